"""check grades a hand value to the precision it was written with (issue 9, item 3)."""

import decimal
import re

import pytest

from tinygrad_bp import Value, check, trace
from tinygrad_bp.checking.grading import written
from tinygrad_bp.losses import mse
from tinygrad_bp.nn import article_network
from tinygrad_bp.viz import draw_dot


def article_cost():
    net, x, y = article_network()
    C = mse(net(x), y)
    C.backward()
    return C


def engine(C, label):
    return next(v.grad for v in trace(C) if v.label == label)


def row(report, name):
    return next(r for r in report.rows if r.name == name)


def test_a_value_rounded_at_its_last_digit_agrees():
    C = article_cost()
    assert f"{engine(C, 'w4'):.4g}" == "0.001186"               # 0.0011857831...
    report = check(C, {"w4": 0.001186})
    assert report
    assert row(report, "w4").verdict == "agrees to the 4 significant digits given"
    assert "agrees to the 4 significant digits given" in str(report)


def test_a_value_off_by_one_in_its_last_digit_asks_for_more_digits():
    report = check(article_cost(), {"w4": 0.001187})
    assert not report
    assert row(report, "w4").last_digit_off == 1
    assert "off by one in the last digit given: give more digits" in str(report)
    assert "chain rule of" not in str(report)                  # no mistake to look for


def test_a_value_off_by_more_than_one_unit_is_wrong():
    report = check(article_cost(), {"w4": 0.001188})
    assert row(report, "w4").verdict == "WRONG"
    assert "chain rule of ∂C/∂w4" in str(report)


def test_all_29_labelled_gradients_agree_as_the_graph_draws_them():
    C = article_cost()
    nodes = trace(C)
    drawn = {}
    for line in draw_dot(C).source.splitlines():
        node = re.match(r'\s*v(\d+) \[label="([^"|]+) \| data \S+ \| grad (\S+?)"', line)
        if node and nodes[int(node.group(1))] is not C:
            drawn[node.group(2)] = float(node.group(3))
    assert len(drawn) == 29
    report = check(C, drawn)
    assert report, str(report)
    assert all(r.verdict.startswith("agrees to the") for r in report.rows)


def test_a_str_is_graded_to_the_digits_typed():
    C = article_cost()
    assert check(C, {"w4": "0.0011858"})                       # 5 digits, rounded right
    report = check(C, {"w4": "0.0011860"})                     # 5 digits: 0.0011858 is right
    assert row(report, "w4").verdict == "WRONG"
    assert row(report, "w4").given == "0.0011860"


@pytest.mark.parametrize("given, exact", [(4, True), (4.0, True), ("4", True), ("4.0", False)])
def test_an_integer_is_exact(given, exact):
    x = Value(2.015, label="x")
    y = x * x                                                   # ∂y/∂x = 4.03
    assert bool(check(y, {"x": given})) is not exact


def test_explicit_tolerances_override_the_digits():
    C = article_cost()
    assert not check(C, {"w4": 0.0013})
    assert check(C, {"w4": 0.0013}, rtol=0.1)
    assert check(C, {"w4": 0.0013}, atol=2e-4)
    assert "rtol=0.1, atol=1e-09" in str(check(C, {"w4": 0.0013}, rtol=0.1))


def test_a_rounded_intermediate_is_not_taken_for_where_the_error_starts():
    # δ_o1 rounded to 4 digits (right), and w7 = δ_o1 · a_h1 worked out from the rounded δ
    C = article_cost()
    delta = 0.1207
    w7 = float(f"{delta * 0.5933:.4g}")                         # 0.07161; the engine's: 0.07160
    report = check(C, {"z_o1": delta, "w7": w7})
    assert row(report, "w7").rounding
    assert report.starts == []
    assert "first go wrong" not in str(report)


def test_a_real_mistake_below_a_rounded_value_is_still_found():
    C = article_cost()
    report = check(C, {"z_o1": 0.1207, "w7": 0.07161, "w1": 0.0009})
    assert report.starts == ["w1"]
    assert "first go wrong at w1; the given gradients between it and C hold (z_o1)" \
        in str(report)


@pytest.mark.parametrize("number, digits, unit", [
    ("0.001186", 4, 1e-6), ("0.0011860", 5, 1e-7), ("1.186e-3", 4, 1e-6), ("-2.5", 2, 0.1),
    (0.001186, 4, 1e-6), (0.1 + 0.2, 17, 1e-17), ("1e3", 1, 1000.0), ("0.000", 0, 1e-3),
])
def test_written_reads_the_digits_and_the_unit_of_the_last(number, digits, unit):
    read = written(number)
    assert read.digits == digits
    assert read.unit == pytest.approx(unit, rel=1e-12)


def test_written_keeps_the_last_digit_of_text_too_small_for_a_float():
    read = written("1e-400")
    assert read.value == 0.0 and read.unit == 0.0               # both underflow a float
    assert (read.digits, read.exponent) == (1, -400)
    assert read.decimal_unit == decimal.Decimal("1e-400")


@pytest.mark.parametrize("given", [1e-320, 5e-324, "1e-400"])
def test_a_value_whose_last_digit_is_too_small_for_a_float_is_wrong(given):
    x = Value(2.015, label="x")
    y = x * x                                                   # ∂y/∂x = 4.03
    report = check(y, {"x": given})
    assert row(report, "x").verdict == "WRONG"
    assert re.search(rf"^x +{re.escape(str(given))} +4\.03 +4 +WRONG$", str(report),
                     re.MULTILINE)


def test_text_that_underflows_a_float_is_graded_by_its_decimal_digits():
    x = Value(2.0, label="x")
    y = x * 0.0                                                 # ∂y/∂x = 0
    assert row(check(y, {"x": "0e-400"}), "x").passed
    assert row(check(y, {"x": "1e-400"}), "x").last_digit_off == 1      # 0 rounds to 0e-400
    assert row(check(y, {"x": "3e-400"}), "x").verdict == "WRONG"


def test_a_zero_given_agrees_to_its_decimal_places():
    x = Value(2.0, label="x")
    y = x * 0.0004                                              # ∂y/∂x = 0.0004
    assert row(check(y, {"x": "0.000"}), "x").verdict == "agrees to the 3 decimal places given"
    assert row(check(y, {"x": "0.0000"}), "x").verdict == "WRONG"


def test_values_equal_up_to_float_rounding_always_agree():
    x = Value(0.1, label="x")
    y = x * 3.0                                                 # ∂y/∂x = 3.0 exactly
    z = (x + 0.2) * 1.0
    assert check(y, {"x": 3.0000000000000004})                  # one float ulp off
    assert check(z, {"x": 1.0})


def test_a_str_that_is_not_a_number_is_a_value_error_naming_the_node():
    with pytest.raises(ValueError, match="expected gradient for w4 must be a finite number"):
        check(article_cost(), {"w4": "about 0.001"})
