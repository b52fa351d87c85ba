"""Every operation's second derivative, from the table's differentiable rules.

For each row of the shared test table (tests/test_engine_ops.py) and each point, f''(x)
as `grad(grad(f))` computes it must match

- the closed form written out below with the `math` module, and
- central differences of the engine's float first derivative, (f'(x + h) − f'(x − h)) / 2h,

at the table's points, which sit on both sides of every domain edge (±small for division,
negative powers and relu, 0+ for log and fractional powers).
"""

import math

import pytest

from tinygrad_bp import Value, grad, gradcheck, hessian
from tinygrad_bp.ops import OPS

from test_engine_ops import BINARY, UNARY, sigmoid, step


def tanh2(x):
    t = math.tanh(x)
    return -2.0 * t * (1.0 - t * t)


def sigmoid2(x):
    s = sigmoid(x)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


# f'' in closed form, by the name of the row in UNARY
SECOND = {
    "x + c": lambda x: 0.0, "c + x": lambda x: 0.0, "x - c": lambda x: 0.0,
    "c - x": lambda x: 0.0, "x * c": lambda x: 0.0, "c * x": lambda x: 0.0,
    "x / c": lambda x: 0.0, "x / -c": lambda x: 0.0, "-x": lambda x: 0.0,
    "c / x": lambda x: 6.0 / x ** 3,                        # 3/x → −3/x² → 6/x³
    "x ** 2": lambda x: 2.0, "x ** 3": lambda x: 6.0 * x,
    "x ** -1": lambda x: 2.0 / x ** 3, "x ** -2": lambda x: 6.0 / x ** 4,
    "x ** 0.5": lambda x: -0.25 * x ** -1.5, "x ** 1.5": lambda x: 0.75 / math.sqrt(x),
    "x ** 0": lambda x: 0.0, "x ** 1": lambda x: 0.0,
    "c ** x": lambda x: 2.0 ** x * math.log(2.0) ** 2,
    "c<1 ** x": lambda x: 0.5 ** x * math.log(0.5) ** 2, "1 ** x": lambda x: 0.0,
    "exp": math.exp, "log": lambda x: -1.0 / x ** 2, "tanh": tanh2, "sigmoid": sigmoid2,
    "relu": lambda x: 0.0, "sin": lambda x: -math.sin(x), "cos": lambda x: -math.cos(x),
}

def mixed_power(a, b):
    """∂²(a^b)/∂a∂b = a^(b−1)(1 + b ln a)."""
    return a ** (b - 1.0) * (1.0 + b * math.log(a))


# the Hessian of each binary operation in closed form: [[∂²/∂a², ∂²/∂a∂b], [∂²/∂b∂a, ∂²/∂b²]]
BINARY_SECOND = {
    "a + b": lambda a, b: [[0.0, 0.0], [0.0, 0.0]],
    "a - b": lambda a, b: [[0.0, 0.0], [0.0, 0.0]],
    "a * b": lambda a, b: [[0.0, 1.0], [1.0, 0.0]],
    "a / b": lambda a, b: [[0.0, -1.0 / b ** 2], [-1.0 / b ** 2, 2.0 * a / b ** 3]],
    # a^b: b(b−1)a^(b−2); the mixed derivative; a^b ln² a
    "a ** b": lambda a, b: [[b * (b - 1.0) * a ** (b - 2.0), mixed_power(a, b)],
                            [mixed_power(a, b), a ** b * math.log(a) ** 2]],
}

UNARY_CASES = [pytest.param(build, SECOND[name], x, id=f"{name} at {x}")
               for _, name, build, _, _, points in UNARY for x in points]
BINARY_CASES = [pytest.param(build, BINARY_SECOND[name], a, b, id=f"{name} at {a}, {b}")
                for _, name, build, _, points in BINARY for a, b in points]


def first_derivative(build, x):
    """f'(x) from the engine's float backward pass."""
    leaf = Value(x)
    build(leaf).backward()
    return leaf.grad


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7)


def test_every_row_of_the_shared_table_has_a_closed_form_second_derivative():
    assert {name for _, name, *_ in UNARY} == set(SECOND)
    assert {name for _, name, *_ in BINARY} == set(BINARY_SECOND)
    assert {row[0] for row in UNARY + BINARY} == set(OPS)


@pytest.mark.parametrize("build, second, x", UNARY_CASES)
def test_second_derivative_matches_closed_form(build, second, x):
    assert grad(grad(build))(x) == pytest.approx(second(x), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("build, second, x", UNARY_CASES)
def test_second_derivative_matches_central_differences_of_the_first(build, second, x):
    h = step(x)
    numerical = (first_derivative(build, x + h) - first_derivative(build, x - h)) / (2 * h)
    assert close(grad(grad(build))(x), numerical), (grad(grad(build))(x), numerical)


@pytest.mark.parametrize("build, second, a, b", BINARY_CASES)
def test_binary_hessian_matches_closed_form(build, second, a, b):
    found = hessian(build)(a, b)
    for row, expected_row in zip(found, second(a, b)):
        assert row == pytest.approx(expected_row, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("build, second, a, b", BINARY_CASES)
def test_binary_hessian_matches_central_differences_of_the_gradient(build, second, a, b):
    report = gradcheck(build, a, b, order=2, atol=1e-6, rtol=1e-5)
    assert report, str(report)


def test_power_with_a_value_exponent_and_a_number_base_has_its_second_derivative():
    # d²/dx² 3^x = 3^x ln² 3, through the rule "C **"
    assert grad(grad(lambda x: 3.0 ** x))(0.7) == pytest.approx(3 ** 0.7 * math.log(3) ** 2,
                                                                rel=1e-12)


def test_relu_second_derivative_is_zero_on_both_sides_and_at_the_kink():
    assert [grad(grad(Value.relu))(x) for x in (-1.0, -1e-9, 0.0, 1e-9, 1.0)] == [0.0] * 5


def test_relu_kink_is_flagged_by_the_second_order_gradcheck():
    report = gradcheck(lambda x: x.relu() * x, 0.0, order=2)
    assert [row.kink for row in report.rows] == [True]
    away = gradcheck(lambda x: x.relu() * x, 0.5, order=2)
    assert [row.kink for row in away.rows] == [False] and away


def test_a_fractional_power_at_zero_names_the_infinite_second_derivative():
    # x^1.5 has f'(0) = 0 but f''(x) = 0.75/√x, infinite at 0
    with pytest.raises(ZeroDivisionError, match="infinite at x = 0"):
        grad(grad(lambda x: x ** 1.5))(0.0)


def test_tanh_third_derivative_matches_the_closed_form():
    # tanh''' = (1 − t²)(6t² − 2), t = tanh x
    for x in (-2.0, -0.3, 0.0, 0.5, 1.7):
        t = math.tanh(x)
        assert grad(grad(grad(Value.tanh)))(x) == pytest.approx((1 - t * t) * (6 * t * t - 2),
                                                               rel=1e-9, abs=1e-12)


def test_fourth_derivative_of_sin_is_sin():
    assert grad(grad(grad(grad(Value.sin))))(0.8) == pytest.approx(math.sin(0.8), rel=1e-12)
