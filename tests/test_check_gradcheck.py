"""gradcheck: the engine's gradient against central differences, input by input."""

import math

import pytest
from tinygrad_bp import Value, gradcheck
from tinygrad_bp.checking import GradcheckError, GradcheckReport

# Every built-in operation, at a point where it is differentiable, as (f, inputs).
BUILT_INS = {
    "+": (lambda a, b: a + b, (0.7, -1.3)),
    "-": (lambda a, b: a - b, (0.7, -1.3)),
    "*": (lambda a, b: a * b, (0.7, -1.3)),
    "/": (lambda a, b: a / b, (0.7, -1.3)),
    "**": (lambda a, b: a ** b, (1.7, -1.3)),
    "neg": (lambda a: -a, (0.7,)),
    "exp": (lambda a: a.exp(), (0.7,)),
    "log": (lambda a: a.log(), (0.7,)),
    "tanh": (lambda a: a.tanh(), (0.7,)),
    "sigmoid": (lambda a: a.sigmoid(), (-0.7,)),
    "relu": (lambda a: a.relu(), (0.7,)),
    "relu off": (lambda a: a.relu(), (-0.7,)),
    "+ 2": (lambda a: a + 2, (0.7,)),
    "- 2": (lambda a: a - 2, (0.7,)),
    "2 -": (lambda a: 2 - a, (0.7,)),
    "* 3": (lambda a: a * 3, (0.7,)),
    "/ 4": (lambda a: a / 4, (0.7,)),
    "4 /": (lambda a: 4 / a, (0.7,)),
    "** 2": (lambda a: a ** 2, (0.7,)),
    "** 0.5": (lambda a: a ** 0.5, (0.7,)),
    "2 **": (lambda a: 2 ** a, (0.7,)),
}


@pytest.mark.parametrize("op", sorted(BUILT_INS))
def test_gradcheck_passes_on_every_built_in_operation(op):
    f, xs = BUILT_INS[op]
    report = gradcheck(f, *xs)
    assert report, str(report)
    assert len(report.rows) == len(xs)


def cube_with_wrong_derivative(x):
    """x³ whose local derivative is 2x² instead of 3x²: the bug gradcheck must catch."""
    return Value(x.data ** 3, parents=(x,), local_grads=(2 * x.data ** 2,), op="cube")


def scaled_cube(x, y):
    return cube_with_wrong_derivative(x) * y


def test_gradcheck_fails_on_a_custom_op_with_a_wrong_derivative():
    report = gradcheck(scaled_cube, 1.5, 2.0)
    assert not report
    assert [row.name for row in report.failures] == ["x"]


def test_gradcheck_report_rows_hold_both_values_and_their_errors():
    x_row, y_row = gradcheck(scaled_cube, 1.5, 2.0).rows
    assert x_row.analytic == pytest.approx(2 * 1.5 ** 2 * 2.0)
    assert x_row.numerical == pytest.approx(3 * 1.5 ** 2 * 2.0, rel=1e-8)
    assert x_row.abs_error == pytest.approx(abs(x_row.analytic - x_row.numerical))
    assert x_row.rel_error == pytest.approx(1 / 3, rel=1e-6)
    assert x_row.step == pytest.approx(1.5e-6)
    assert y_row.passed and not x_row.passed


def test_gradcheck_table_names_the_failing_input():
    text = str(gradcheck(scaled_cube, 1.5, 2.0))
    assert "FAILED for x" in text
    x_line = next(line for line in text.splitlines() if line.startswith("x "))
    assert x_line.split()[-1] == "FAIL"


def test_gradcheck_table_columns_are_aligned():
    lines = str(gradcheck(lambda x, y: x * y, 1.0, 2.0)).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("input"))
    column = lines[header].index("numerical")
    assert lines[header + 1][column - 2:column] == "  "
    assert lines[header + 1][column] != " "


def test_gradcheck_raises_on_failure_naming_the_input():
    with pytest.raises(GradcheckError, match="gradcheck failed for x") as caught:
        gradcheck(scaled_cube, 1.5, 2.0, raise_on_failure=True)
    assert isinstance(caught.value, AssertionError)
    assert not caught.value.report


def test_gradcheck_raise_on_failure_returns_a_passing_report():
    assert gradcheck(lambda x: x * x, 1.5, raise_on_failure=True)


def test_gradcheck_rows_are_named_by_given_names():
    report = gradcheck(lambda *xs: xs[0] * xs[1], 1.0, 2.0, names=["a", "b"])
    assert [row.name for row in report.rows] == ["a", "b"]


def test_gradcheck_rows_of_star_args_are_indexed():
    report = gradcheck(lambda *xs: xs[0] * xs[1], 1.0, 2.0)
    assert [row.name for row in report.rows] == ["xs[0]", "xs[1]"]


def test_both_gradients_zero_is_agreement():
    row = gradcheck(lambda x, y: x * 2, 1.0, 3.0).rows[1]
    assert row.analytic == 0.0 and row.numerical == 0.0
    assert row.rel_error == 0.0 and row.passed


def test_tolerances_decide_the_verdict():
    f = lambda x: x.exp()       # noqa: E731
    assert not gradcheck(f, 1.0, rtol=0.0, atol=0.0, eps=1e-2)
    assert gradcheck(f, 1.0, rtol=1e-4, atol=0.0, eps=1e-2)


def test_relu_at_its_kink_is_flagged():
    report = gradcheck(lambda x, y: (x - 1).relu() * y, 1.0, 2.0)
    x_row, y_row = report.rows
    assert x_row.kink and not y_row.kink
    assert "kink: a relu's input is within the step" in str(report)


def test_relu_just_inside_the_step_is_flagged_and_fails():
    # relu's input x − 1 = 5e-7 is within the step 1e-6 of 0: the difference straddles it
    x_row = gradcheck(lambda x: (x - 1).relu(), 1.0 + 5e-7).rows[0]
    assert x_row.kink and not x_row.passed


def test_relu_far_from_its_kink_is_not_flagged():
    assert not any(row.kink for row in gradcheck(lambda x: (x - 1).relu(), 1.5).rows)


def test_report_repr_names_the_failures():
    assert repr(gradcheck(scaled_cube, 1.5, 2.0)) == \
        "GradcheckReport(passed=False, inputs=['x', 'y'], failed=['x'])"


def test_report_keeps_the_value_of_f():
    assert isinstance(gradcheck(lambda x: x.exp(), 1.0), GradcheckReport)
    assert gradcheck(lambda x: x.exp(), 1.0).value == pytest.approx(math.e)


def test_a_failure_at_a_kink_says_it_differs_there_not_failed():
    report = gradcheck(lambda x: x.relu(), 0.0)
    assert not report                       # a kink explains a difference; it does not pass
    text = str(report)
    assert "FAILED" not in text
    assert "differs at a kink for x: expected there, not an error of the engine" in text
    assert text.splitlines()[3].split()[-1] == "differs"


def test_kinks_are_found_in_a_chain_of_many_relus():
    # relu(relu(...relu(x - 1)...)) at x = 1: every relu's input is 0, and depends on x
    def chain(x, y):
        v = x - 1
        for _ in range(500):
            v = v.relu()
        return v + y
    x_row, y_row = gradcheck(chain, 1.0, 2.0).rows
    assert x_row.kink and not y_row.kink


def test_a_relu_input_that_depends_on_the_input_only_through_a_zero_slope_is_flagged():
    # z = x * 0 + 0 is at the kink and computed from x, though ∂z/∂x = 0
    assert gradcheck(lambda x: (x * 0).relu(), 1.0).rows[0].kink
