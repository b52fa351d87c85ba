"""Every operation's value and local derivative, checked two independent ways.

For each operation f and point x the engine's derivative (what `backward()` leaves in
`x.grad`, which for a single node is its stored local derivative) must match

- the central difference (f(x + h) − f(x − h)) / 2h, computed by rebuilding the node
  from perturbed data, and
- the closed-form derivative written out below with the `math` module.

Points include both sides of every domain edge: ±small for relu, division and negative
powers, 0+ for log and fractional powers, negative bases for integer powers.
"""

import math

import pytest

from tinygrad_bp import Value

from helpers import central_difference, sigmoid

SMALL = 1e-3


# The shared table of operations: every operation of tinygrad_bp.ops.OPS has rows here
# (test_table_of_operations.py holds the two in step).
# (op, name, the node built from a Value x, the same function on floats, its closed-form
#  derivative, points). A number on either side of every binary operator.
UNARY = [
    ("+ C", "x + c", lambda x: x + 2.5, lambda x: x + 2.5, lambda x: 1.0, [-3.0, 0.0, 4.0]),
    ("+ C", "c + x", lambda x: 2.5 + x, lambda x: 2.5 + x, lambda x: 1.0, [-3.0, 0.0, 4.0]),
    ("- C", "x - c", lambda x: x - 2.5, lambda x: x - 2.5, lambda x: 1.0, [-3.0, 0.0, 4.0]),
    ("C -", "c - x", lambda x: 2.5 - x, lambda x: 2.5 - x, lambda x: -1.0, [-3.0, 0.0, 4.0]),
    ("* C", "x * c", lambda x: x * -1.5, lambda x: x * -1.5, lambda x: -1.5, [-3.0, 0.0, 4.0]),
    ("* C", "c * x", lambda x: -1.5 * x, lambda x: -1.5 * x, lambda x: -1.5, [-3.0, 0.0, 4.0]),
    ("/ C", "x / c", lambda x: x / 4.0, lambda x: x / 4.0, lambda x: 0.25, [-3.0, 0.0, 4.0]),
    ("/ C", "x / -c", lambda x: x / -0.5, lambda x: x / -0.5, lambda x: -2.0, [-3.0, 0.0, 4.0]),
    # near the pole at 0, from both sides
    ("C /", "c / x", lambda x: 3.0 / x, lambda x: 3.0 / x, lambda x: -3.0 / x ** 2,
     [-2.0, -SMALL, SMALL, 2.0]),
    ("** C", "x ** 2", lambda x: x ** 2, lambda x: x ** 2, lambda x: 2 * x,
     [-2.0, -SMALL, 0.0, SMALL, 3.0]),
    # negative base with an integer exponent is real: (-2)³ = -8
    ("** C", "x ** 3", lambda x: x ** 3, lambda x: x ** 3, lambda x: 3 * x ** 2,
     [-2.0, -SMALL, 0.0, SMALL, 3.0]),
    ("** C", "x ** -1", lambda x: x ** -1, lambda x: 1.0 / x, lambda x: -1.0 / x ** 2,
     [-2.0, -SMALL, SMALL, 3.0]),
    ("** C", "x ** -2", lambda x: x ** -2, lambda x: 1.0 / x ** 2, lambda x: -2.0 / x ** 3,
     [-2.0, -SMALL, SMALL, 3.0]),
    ("** C", "x ** 0.5", lambda x: x ** 0.5, math.sqrt, lambda x: 0.5 / math.sqrt(x),
     [SMALL, 1.0, 4.0]),
    ("** C", "x ** 1.5", lambda x: x ** 1.5, lambda x: x ** 1.5, lambda x: 1.5 * math.sqrt(x),
     [SMALL, 1.0, 4.0]),
    ("** C", "x ** 0", lambda x: x ** 0, lambda x: 1.0, lambda x: 0.0, [-2.0, 0.0, 3.0]),
    ("** C", "x ** 1", lambda x: x ** 1, lambda x: x, lambda x: 1.0, [-2.0, 0.0, 3.0]),
    ("C **", "c ** x", lambda x: 2.0 ** x, lambda x: 2.0 ** x, lambda x: 2.0 ** x * math.log(2.0),
     [-3.0, 0.0, 1.5]),
    ("C **", "c<1 ** x", lambda x: 0.5 ** x, lambda x: 0.5 ** x, lambda x: 0.5 ** x * math.log(0.5),
     [-3.0, 0.0, 1.5]),
    ("C **", "1 ** x", lambda x: 1 ** x, lambda x: 1.0, lambda x: 0.0, [-3.0, 0.0, 1.5]),
    ("neg", "-x", lambda x: -x, lambda x: -x, lambda x: -1.0, [-3.0, 0.0, 4.0]),
    ("exp", "exp", Value.exp, math.exp, math.exp, [-5.0, 0.0, 3.0]),
    # log near its domain edge 0+
    ("log", "log", Value.log, math.log, lambda x: 1.0 / x, [1e-4, SMALL, 1.0, 10.0]),
    ("tanh", "tanh", Value.tanh, math.tanh, lambda x: 1.0 / math.cosh(x) ** 2,
     [-3.0, -SMALL, 0.0, SMALL, 3.0]),
    ("sigmoid", "sigmoid", Value.sigmoid, sigmoid,
     lambda x: math.exp(-x) / (1.0 + math.exp(-x)) ** 2,
     [-5.0, -SMALL, 0.0, SMALL, 5.0]),
    # either side of the kink (relu'(0) itself has its own test)
    ("relu", "relu", Value.relu, lambda x: max(0.0, x), lambda x: 1.0 if x > 0 else 0.0,
     [-2.0, -SMALL, SMALL, 2.0]),
    # radians: around 0, either side of the extrema at ±π/2 and past 2π
    ("sin", "sin", Value.sin, math.sin, math.cos, [-2.0, 0.0, 1.5707963, 7.0]),
    ("cos", "cos", Value.cos, math.cos, lambda x: -math.sin(x), [-2.0, 0.0, 3.1415926, 7.0]),
]

UNARY_CASES = [pytest.param(build, f, df, x, id=f"{name} at {x}")
               for _, name, build, f, df, points in UNARY for x in points]


# (op, name, the node built from Values a and b, closed-form (∂/∂a, ∂/∂b), points)
BINARY = [
    ("+", "a + b", lambda a, b: a + b, lambda a, b: (1.0, 1.0), [(-2.0, 3.0), (0.5, 0.0)]),
    ("-", "a - b", lambda a, b: a - b, lambda a, b: (1.0, -1.0), [(-2.0, 3.0), (0.5, 0.0)]),
    ("*", "a * b", lambda a, b: a * b, lambda a, b: (b, a), [(-2.0, 3.0), (0.5, 0.0), (0.0, -4.0)]),
    # b near 0 from both sides
    ("/", "a / b", lambda a, b: a / b, lambda a, b: (1.0 / b, -a / b ** 2),
     [(-2.0, 3.0), (1.5, SMALL), (1.5, -SMALL), (0.0, -4.0)]),
    ("**", "a ** b", lambda a, b: a ** b, lambda a, b: (b * a ** (b - 1), a ** b * math.log(a)),
     [(2.0, 3.0), (0.5, -1.5), (SMALL, 2.0), (3.0, 0.0), (1.0, 2.5)]),
]

BINARY_CASES = [pytest.param(build, df, a, b, id=f"{name} at {a}, {b}")
                for _, name, build, df, points in BINARY for a, b in points]


def step(x):
    """A central-difference step small beside x (x may sit 1e-4 from a domain edge)."""
    return 1e-6 * min(abs(x), 1.0) if x else 1e-6


def assert_derivative_close(grad, expected):
    assert math.isclose(grad, expected, rel_tol=1e-6, abs_tol=1e-8), (grad, expected)


@pytest.mark.parametrize("build, f, df, x", UNARY_CASES)
def test_unary_data_matches_math(build, f, df, x):
    assert math.isclose(build(Value(x)).data, f(x), rel_tol=1e-12, abs_tol=1e-300)


@pytest.mark.parametrize("build, f, df, x", UNARY_CASES)
def test_unary_grad_matches_closed_form(build, f, df, x):
    leaf = Value(x)
    build(leaf).backward()
    assert math.isclose(leaf.grad, df(x), rel_tol=1e-12, abs_tol=1e-300)


@pytest.mark.parametrize("build, f, df, x", UNARY_CASES)
def test_unary_grad_matches_central_difference(build, f, df, x):
    leaf = Value(x)
    build(leaf).backward()
    assert_derivative_close(leaf.grad, central_difference(lambda t: build(Value(t)).data, x,
                                                          step(x)))


@pytest.mark.parametrize("build, f, df, x", UNARY_CASES)
def test_unary_node_records_its_local_grad(build, f, df, x):
    leaf = Value(x)
    out = build(leaf)
    assert out.parents == (leaf,)
    assert out.local_grads == (pytest.approx(df(x), rel=1e-12, abs=1e-300),)


@pytest.mark.parametrize("build, df, a, b", BINARY_CASES)
def test_binary_grads_match_closed_form(build, df, a, b):
    va, vb = Value(a), Value(b)
    out = build(va, vb)
    out.backward()
    assert out.parents == (va, vb)
    assert va.grad == pytest.approx(df(a, b)[0], rel=1e-12, abs=1e-300)
    assert vb.grad == pytest.approx(df(a, b)[1], rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("build, df, a, b", BINARY_CASES)
def test_binary_grads_match_central_differences(build, df, a, b):
    va, vb = Value(a), Value(b)
    build(va, vb).backward()
    assert_derivative_close(va.grad, central_difference(lambda t: build(Value(t), vb).data, a,
                                                        step(a)))
    assert_derivative_close(vb.grad, central_difference(lambda t: build(va, Value(t)).data, b,
                                                        step(b)))


def test_relu_derivative_at_zero_is_zero():
    x = Value(0.0)
    y = x.relu()
    y.backward()
    assert (y.data, x.grad) == (0.0, 0.0)


def test_relu_derivative_at_negative_zero_is_zero():
    x = Value(-0.0)
    x.relu().backward()
    assert x.grad == 0.0


@pytest.mark.parametrize("x", [-800.0, -50.0, 50.0, 800.0])
def test_sigmoid_of_large_inputs_is_finite_and_in_range(x):
    y = Value(x).sigmoid()
    assert 0.0 <= y.data <= 1.0
    assert math.isfinite(y.local_grads[0]) and y.local_grads[0] >= 0.0


@pytest.mark.parametrize("x, expected", [(-800.0, 0.0), (800.0, 1.0)])
def test_sigmoid_saturates_far_from_zero(x, expected):
    assert Value(x).sigmoid().data == expected


@pytest.mark.parametrize("x", [-40.0, -20.0])
def test_sigmoid_keeps_relative_precision_for_negative_inputs(x):
    # NOTE: 1 − σ(−x) would round to 0 here; 1 / (1 + e^(−x)) is exact enough for x ≥ −700
    assert Value(x).sigmoid().data == pytest.approx(1.0 / (1.0 + math.exp(-x)), rel=1e-15, abs=0)


@pytest.mark.parametrize("x, expected", [(-800.0, -1.0), (800.0, 1.0)])
def test_tanh_of_large_inputs_saturates_with_zero_slope(x, expected):
    y = Value(x).tanh()
    assert (y.data, y.local_grads) == (expected, (0.0,))


def test_exp_of_very_negative_input_is_zero_not_an_error():
    y = Value(-800.0).exp()
    assert (y.data, y.local_grads) == (0.0, (0.0,))


def test_negative_base_to_odd_integer_power_keeps_its_sign():
    y = Value(-2.0) ** 3
    assert (y.data, y.local_grads) == (-8.0, (12.0,))


def test_zero_to_the_power_zero_is_one_with_zero_slope():
    y = Value(0.0) ** 0
    assert (y.data, y.local_grads) == (1.0, (0.0,))


def test_power_above_one_at_zero_has_zero_slope():
    # NOTE: x^1.5 is defined only for x >= 0, so its slope at 0 is one-sided.
    y = Value(0.0) ** 1.5
    h = 1e-6
    assert (y.data, y.local_grads) == (0.0, (0.0,))
    assert ((Value(h) ** 1.5).data - y.data) / h == pytest.approx(0.0, abs=1e-2)


@pytest.mark.parametrize("x", [-40.0, -30.0, -20.0, 20.0, 30.0, 40.0])
def test_sigmoid_slope_keeps_relative_precision_when_saturated(x):
    # σ'(x) = 1 / (4 cosh²(x/2)): tiny but a float, and the same at x and −x
    assert Value(x).sigmoid().local_grads[0] == pytest.approx(
        1.0 / (4.0 * math.cosh(x / 2) ** 2), rel=1e-12, abs=0)


@pytest.mark.parametrize("x", [-40.0, -20.0, -10.0, 10.0, 20.0, 40.0])
def test_tanh_slope_keeps_relative_precision_when_saturated(x):
    # NOTE: 1 − tanh² x cancels to 0 past |x| ≈ 19, while 1 / cosh² x is still a float
    assert Value(x).tanh().local_grads[0] == pytest.approx(
        1.0 / math.cosh(x) ** 2, rel=1e-12, abs=0)


@pytest.mark.parametrize("x", [0.5, 3.0, 30.0])
def test_sigmoid_slope_is_the_same_at_x_and_minus_x(x):
    assert Value(x).sigmoid().local_grads == Value(-x).sigmoid().local_grads
