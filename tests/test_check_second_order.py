"""Hand-derived second derivatives graded: check(..., order=2) and `grad --order 2`."""

import math

import pytest

from tinygrad_bp import Value, check, grad, trace
from tinygrad_bp.checking import LabelError
from tinygrad_bp.losses import mse
from tinygrad_bp.nn import article_network

from test_higher_order import article_second_derivative_in_w7, sigmoid


def sigmoid2(x):
    s = sigmoid(x)
    return s * (1 - s) * (1 - 2 * s)


def article_cost():
    net, x, y = article_network()
    return mse(net(x), y)


# --- check(order=2)

def test_a_right_hand_derived_second_derivative_holds():
    report = check(article_cost(), {"w7": article_second_derivative_in_w7()}, order=2)
    assert report and report.rows[0].name == "∂²C/∂w7²", str(report)


def test_a_wrong_hand_derived_second_derivative_is_wrong():
    cost = article_cost()
    data = {v.label: v.data for v in trace(cost)}
    a_h1, z_o1 = data["a_h1"], data["z_o1"]
    forgotten = a_h1 ** 2 * (sigmoid(z_o1) * (1 - sigmoid(z_o1))) ** 2    # the σ'' term left out
    report = check(cost, {"w7": forgotten}, order=2)
    assert not report
    assert report.rows[0].engine == pytest.approx(article_second_derivative_in_w7(), rel=1e-12)
    assert report.rows[0].verdict == "WRONG"
    assert "hand-derived second derivatives that do not hold: 1 of 1" in str(report)


def test_a_pair_of_nodes_names_a_mixed_second_derivative():
    x, y = Value(0.5, label="x"), Value(2.0, label="y")
    f = x.sigmoid() * y
    f.label = "f"
    report = check(f, {("x", "y"): sigmoid(0.5) * (1 - sigmoid(0.5)), "x": 2 * sigmoid2(0.5),
                       y: 0.0}, order=2)
    assert [row.name for row in report.rows] == ["∂²f/∂x∂y", "∂²f/∂x²", "∂²f/∂y²"]
    assert report, str(report)


def test_second_derivatives_of_an_inner_node_hold_the_others_fixed():
    # C as a function of z_o1: ∂²C/∂z_o1² = σ'(z)² + (a − y1) σ''(z)
    cost = article_cost()
    z = next(v for v in trace(cost) if v.label == "z_o1")
    s = sigmoid(z.data)
    expected = (s * (1 - s)) ** 2 + (s - 0.01) * sigmoid2(z.data)
    assert check(cost, {"z_o1": expected}, order=2, rtol=1e-9)


def test_second_order_grades_the_digits_given_as_for_gradients():
    x = Value(0.5, label="x")
    y = x.sigmoid()
    y.label = "y"
    # σ'(0.5) = 0.2350037…, σ''(0.5) = −0.0575568…: to four digits, and one off in the last
    for order, rounded, off in ((1, "0.2350", "0.2351"), (2, "-0.05756", "-0.05757")):
        held, one_off = (check(y, {"x": text}, order=order).rows[0] for text in (rounded, off))
        assert held.passed and held.verdict == "agrees to the 4 significant digits given"
        assert not one_off.passed and one_off.rounding, (order, off)


def test_second_order_takes_tolerances_instead_of_digits_when_given():
    x = Value(3.0, label="x")
    y = x * x * x
    y.label = "y"
    assert check(y, {"x": 18.001}, order=2, rtol=1e-4) and not check(y, {"x": 18.01}, order=2,
                                                                        rtol=1e-4)


def test_second_order_check_reports_no_chain_rule():
    text = str(check(article_cost(), {"w7": 1.0}, order=2))
    assert "chain rule" not in text and "WRONG" in text


def test_second_order_check_names_unknown_labels():
    with pytest.raises(LabelError, match="'w99'"):
        check(article_cost(), {("w1", "w99"): 0.0}, order=2)


def test_second_order_check_refuses_a_key_of_three_nodes():
    with pytest.raises(ValueError, match="pair"):
        check(article_cost(), {("w1", "w7", "w8"): 0.0}, order=2)


@pytest.mark.parametrize("order, error", [(3, ValueError), ("2", TypeError), (True, TypeError)])
def test_check_order_must_be_one_or_two(order, error):
    with pytest.raises(error, match="order"):
        check(article_cost(), {"w7": 0.0}, order=order)


# --- tinygrad-bp grad --order 2

def number_after(text, prefix):
    line = next(line for line in text.splitlines() if line.startswith(prefix))
    return float(line[len(prefix):].split()[0])


def test_cli_order_two_prints_every_second_derivative_once(run_cli):
    result = run_cli("grad", "sigmoid(x) * y", "--at", "x=0.5,y=2", "--order", "2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert math.isclose(number_after(out, "∂²f/∂x² = "), 2 * sigmoid2(0.5), rel_tol=1e-12)
    assert math.isclose(number_after(out, "∂²f/∂x∂y = "),
                        grad(grad(lambda x, y: x.sigmoid() * y, 0), 1)(0.5, 2.0), rel_tol=1e-15)
    assert number_after(out, "∂²f/∂y² = ") == 0.0
    assert "∂²f/∂y∂x = " not in out                  # the Hessian is symmetric


def test_cli_order_two_checks_second_derivatives_numerically(run_cli):
    out = run_cli("grad", "sigmoid(x) * y", "--at", "x=0.5,y=2", "--order", "2").stdout
    assert "second derivatives (analytic a) against central differences of its gradient" in out
    assert "all 4 derivatives pass" in out


def test_cli_order_two_expect_grades_a_hand_derived_second_derivative(run_cli):
    right = run_cli("grad", "sigmoid(x)", "--at", "x=0.5", "--order", "2",
                    "--expect", "x=-0.057557")
    wrong = run_cli("grad", "sigmoid(x)", "--at", "x=0.5", "--order", "2",
                    "--expect", "x=0.057557")
    assert right.returncode == 0 and "hand-derived second derivative holds" in right.stdout
    assert wrong.returncode == 1 and "WRONG" in wrong.stdout


def test_cli_order_three_is_bad_usage(run_cli):
    result = run_cli("grad", "x * x", "--at", "x=1", "--order", "3")
    assert result.returncode == 2 and "--order" in result.stderr


def test_cli_order_two_grades_the_digits_typed(run_cli):
    out = run_cli("grad", "sigmoid(x)", "--at", "x=0.5", "--order", "2",
                  "--expect", "x=-0.0576").stdout
    assert "agrees to the 3 significant digits given" in out


def test_cli_order_two_refuses_more_variables_than_it_prints(run_cli):
    names = [f"x{i}" for i in range(21)]
    result = run_cli("grad", " + ".join(names), "--at", ",".join(f"{n}=1" for n in names),
                     "--order", "2")
    assert result.returncode == 2 and "at most 20 variables" in result.stderr
    assert result.stdout == ""
