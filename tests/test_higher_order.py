"""Derivatives of derivatives: grad composes, hessian, gradcheck(order=2), and what they draw."""

import math

import pytest
from hypothesis import given

from tinygrad_bp import Value, compile, grad, gradcheck, hessian, value_and_grad
from tinygrad_bp.backprop import backprop
from tinygrad_bp.checking import GradcheckError
from tinygrad_bp.errors import BPTypeError, BPValueError, TinygradBPError
from tinygrad_bp.engine import gradients, trace
from tinygrad_bp.losses import mse
from tinygrad_bp.nn import article_network

from test_check_random_graphs import inputs, random_graph, steps


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def float_gradient(f, xs, i):
    """∂f/∂x_i from the engine's float backward pass."""
    leaves = [Value(x) for x in xs]
    f(*leaves).backward()
    return leaves[i].grad


def central_hessian(f, xs, h=1e-6):
    """H_ij ≈ (g_i(x + h e_j) − g_i(x − h e_j)) / 2h, g from backward(), written out here."""
    n = len(xs)
    moved = [[list(xs) for _ in range(2)] for _ in range(n)]
    for j in range(n):
        moved[j][0][j] += h
        moved[j][1][j] -= h
    return [[(float_gradient(f, moved[j][0], i) - float_gradient(f, moved[j][1], i)) / (2 * h)
             for j in range(n)] for i in range(n)]


# --- the engine's reverse pass with create_graph=True

def test_create_graph_gives_every_node_a_value_or_a_constant():
    x, y = Value(0.5, label="x"), Value(2.0, label="y")
    z = (x * y).tanh() + y * 3
    found = gradients(z, create_graph=True)
    assert set(found) == set(trace(z))
    assert isinstance(found[x], Value) and isinstance(found[y], Value)
    assert found[z] == 1.0 and type(found[z]) is float


def test_create_graph_gradients_have_the_float_passes_numbers():
    x, y = Value(0.5, label="x"), Value(-1.5, label="y")
    z = (x * y + x.tanh()).sigmoid() / (y * y + 1.0).log()
    floats = gradients(z)
    for node, value in gradients(z, create_graph=True).items():
        data = value.data if isinstance(value, Value) else value
        assert data == pytest.approx(floats[node], rel=1e-12, abs=1e-15)


def test_create_graph_leaves_grad_alone():
    x = Value(0.5, label="x")
    x.grad = 7.0
    slope = gradients((x * x).exp(), create_graph=True)[x]
    assert x.grad == 7.0 and all(node.grad in (0.0, 7.0) for node in trace(slope))


def test_create_graph_gradient_through_a_relu_off_is_the_constant_zero():
    x = Value(-1.0, label="x")
    assert gradients(x.relu() * 2, create_graph=True)[x] == 0.0


def test_create_graph_refuses_a_custom_operation_naming_it():
    x = Value(2.0, label="x")
    cube = Value(8.0, parents=(x,), local_grads=(12.0,), op="cube")
    cube.label = "c"
    with pytest.raises(BPValueError, match="'c' .*custom operation \\('cube'\\)"):
        gradients(cube * 2, create_graph=True)


@given(inputs, steps)
def test_create_graph_and_float_gradients_agree_on_random_graphs(xs, recipe):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    root = random_graph(recipe)(*leaves)
    floats = gradients(root)
    for node, value in gradients(root, create_graph=True).items():
        data = value.data if isinstance(value, Value) else value
        assert data == pytest.approx(floats[node], rel=1e-9, abs=1e-12)


# --- grad composes

def test_grad_of_numbers_is_a_float_and_of_values_a_value():
    f = lambda x: x * x * x                                   # noqa: E731
    assert grad(f)(2.0) == 12.0 and type(grad(f)(2.0)) is float
    slope = grad(f)(Value(2.0, label="x"))
    assert isinstance(slope, Value) and slope.data == 12.0


def test_grad_of_grad_is_the_second_derivative():
    assert grad(grad(lambda x: x.sigmoid()))(0.5) == pytest.approx(
        sigmoid(0.5) * (1 - sigmoid(0.5)) * (1 - 2 * sigmoid(0.5)), rel=1e-12)


def test_grad_of_grad_of_grad_of_tanh_is_its_closed_form():
    t = math.tanh(0.5)
    assert grad(grad(grad(lambda x: x.tanh())))(0.5) == pytest.approx(
        (1 - t * t) * (6 * t * t - 2), rel=1e-12)


def test_argnums_picks_the_variable_of_each_differentiation():
    f = lambda x, y: x * x * y * y * y                        # noqa: E731
    # ∂/∂y ∂f/∂x = 2x · 3y²
    assert grad(grad(f, argnums=0), argnums=1)(2.0, 3.0) == pytest.approx(2 * 2 * 3 * 9)
    assert grad(grad(f, argnums=1), argnums=1)(2.0, 3.0) == pytest.approx(4 * 6 * 3)


def test_grad_of_values_keeps_argnums_shapes():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    both = grad(lambda x, y: x * y)(x, y)
    one = grad(lambda x, y: x * y, argnums=(1,))(x, y)
    assert [type(g) for g in both] == [Value, Value] and [g.data for g in both] == [3.0, 2.0]
    assert isinstance(one, tuple) and [g.data for g in one] == [2.0]


def test_value_and_grad_of_values_returns_the_result_value_itself():
    x = Value(0.3, label="x")
    value, slope = value_and_grad(lambda x: x.exp())(x)
    assert isinstance(value, Value) and value.parents == (x,)
    assert slope.data == pytest.approx(math.exp(0.3))


def test_a_constant_gradient_is_a_value_of_the_argument_whose_derivative_is_zero():
    x = Value(1.0, label="x")
    slope = grad(lambda x: x * 3)(x)
    assert slope.data == 3.0 and x in trace(slope) and slope.label == "∂f/∂x"
    assert grad(grad(lambda x: x * 3))(1.0) == 0.0


def test_the_gradient_of_an_unused_argument_is_a_zero_value():
    y = Value(5.0, label="y")
    slope = grad(lambda x, y: x * 2, argnums=1)(Value(1.0), y)
    assert isinstance(slope, Value) and slope.data == 0.0 and y in trace(slope)


def test_grad_of_values_leaves_every_grad_untouched():
    x = Value(0.5, label="x")
    second = grad(grad(lambda x: x.tanh()))(x)
    assert isinstance(second, Value)
    assert all(node.grad == 0.0 for node in trace(second))


def test_a_custom_operation_on_the_way_is_refused_with_its_name():
    def cube(x):
        return Value(x.data ** 3, parents=(x,), local_grads=(3 * x.data ** 2,), op="cube")
    assert grad(cube)(2.0) == 12.0                  # first derivatives still work
    with pytest.raises(ValueError, match="custom operation \\('cube'\\).*cannot be differentiated"):
        grad(grad(cube))(2.0)


# --- hessian

def test_hessian_is_the_matrix_of_second_derivatives():
    # f = x²y + sin(y): [[2y, 2x], [2x, −sin y]]
    found = hessian(lambda x, y: x * x * y + y.sin())(3.0, 0.5)
    assert found == [[pytest.approx(1.0), pytest.approx(6.0)],
                     [pytest.approx(6.0), pytest.approx(-math.sin(0.5))]]


def test_hessian_returns_lists_of_floats():
    found = hessian(lambda x, y: (x * y).tanh())(0.3, -0.7)
    assert type(found) is list and all(type(row) is list for row in found)
    assert all(type(entry) is float for row in found for entry in row)


def test_hessian_with_argnums_has_one_row_and_column_per_picked_argument():
    f = lambda x, y, z: x * y * z * z                         # noqa: E731
    assert hessian(f, argnums=(2, 0))(2.0, 3.0, 5.0) == [[12.0, 30.0], [30.0, 0.0]]
    assert hessian(f, argnums=2)(2.0, 3.0, 5.0) == [[12.0]]


def test_hessian_of_a_linear_function_is_zero():
    assert hessian(lambda x, y: x * 2 - y)(1.0, 2.0) == [[0.0, 0.0], [0.0, 0.0]]


def test_hessian_refuses_values_and_points_to_grad():
    with pytest.raises(BPTypeError, match="grad\\(grad\\(f\\)\\)"):
        hessian(lambda x: x * x)(Value(1.0))


@given(inputs, steps)
def test_random_graphs_hessians_match_central_differences(xs, recipe):
    f = random_graph(recipe)
    found = hessian(f)(*xs)
    numerical = central_hessian(f, xs)
    kinks = [row.kink for row in gradcheck(f, *xs, order=2).rows]
    for i, row in enumerate(found):
        for j, entry in enumerate(row):
            if not kinks[i * len(xs) + j]:      # relu's jump makes the difference meaningless
                assert math.isclose(entry, numerical[i][j], rel_tol=1e-4, abs_tol=1e-5), \
                    (i, j, entry, numerical[i][j])


@given(inputs, steps)
def test_random_graphs_hessians_are_symmetric(xs, recipe):
    found = hessian(random_graph(recipe))(*xs)
    for i, row in enumerate(found):
        for j, entry in enumerate(row):
            assert entry == pytest.approx(found[j][i], rel=1e-9, abs=1e-12)


# --- gradcheck(order=2)

def test_second_order_gradcheck_passes_a_right_engine():
    report = gradcheck(lambda x, y: (x * y).sigmoid() * x.exp(), 0.4, -1.2, order=2)
    assert report and len(report.rows) == 4, str(report)


@given(inputs, steps)
def test_second_order_gradcheck_passes_on_random_graphs_with_its_default_tolerances(xs, recipe):
    report = gradcheck(random_graph(recipe), *xs, order=2)
    assert all(row.passed or row.kink for row in report.rows), str(report)


def test_second_order_gradcheck_names_rows_by_pair_of_inputs():
    report = gradcheck(lambda x, y: x * y, 1.0, 2.0, order=2)
    assert [row.name for row in report.rows] == ["∂²f/∂x²", "∂²f/∂x∂y", "∂²f/∂y∂x", "∂²f/∂y²"]
    assert [row.analytic for row in report.rows] == [0.0, 1.0, 1.0, 0.0]


def test_second_order_gradcheck_reports_its_step_and_tolerances():
    text = str(gradcheck(lambda x: x.tanh(), 0.5, order=2))
    assert "second derivatives" in text and "central differences of its gradient" in text
    assert "step = 1e-06*max(1,|x|)" in text and "rtol=1e-05, atol=1e-06" in text


def test_second_order_gradcheck_refuses_a_custom_operation():
    def square(x):                          # local derivatives as numbers only
        return Value(x.data ** 2, parents=(x,), local_grads=(2 * x.data,), op="square")
    with pytest.raises(ValueError, match="'square'"):
        gradcheck(square, 1.5, order=2)


def test_second_order_gradcheck_at_a_kink_fails_and_says_why():
    report = gradcheck(lambda x: x.relu() * x, 0.0, order=2)
    assert not report and report.rows[0].kink
    assert "where relu' has no derivative" in str(report)


def test_second_order_gradcheck_raises_on_failure_naming_the_derivative():
    # no estimate meets tolerances of 0: the failure names the derivative
    with pytest.raises(GradcheckError, match="∂²f/∂x²"):
        gradcheck(lambda x: (x * 3.0).exp(), 2.0, order=2, rtol=0.0, atol=0.0,
                  raise_on_failure=True)


@pytest.mark.parametrize("order, error", [(3, ValueError), (0, ValueError), ("2", TypeError),
                                          (True, TypeError)])
def test_gradcheck_order_must_be_one_or_two(order, error):
    with pytest.raises(error, match="order") as raised:
        gradcheck(lambda x: x * x, 1.0, order=order)
    assert isinstance(raised.value, TinygradBPError)


# --- the article's network

def article_second_derivative_in_w7():
    """∂²C/∂w7² derived by hand from BP1–BP4 with plain floats (tinygrad_bp.backprop).

    BP1 and BP4 give ∂C/∂w7 = a_h1 · δ_o1 with δ_o1 = (a_o1 − y1) σ'(z_o1); only o1 depends
    on w7, with ∂z_o1/∂w7 = a_h1 and a_h1 independent of w7. Differentiating again:
    ∂δ_o1/∂w7 = [σ'(z_o1)² + (a_o1 − y1) σ''(z_o1)] · a_h1, so
    ∂²C/∂w7² = a_h1² [σ'(z_o1)² + (a_o1 − y1) σ''(z_o1)], σ'' = σ'(1 − 2σ).
    """
    net, _, y = article_network()
    result = backprop(net.weights(), net.biases(), [0.05, 0.10], y)
    a_h1 = result.activations[1][0]
    z_o1, a_o1 = result.zs[1][0], result.activations[2][0]
    s = sigmoid(z_o1)
    first, second = s * (1 - s), s * (1 - s) * (1 - 2 * s)
    return a_h1 ** 2 * (first ** 2 + (a_o1 - y[0]) * second)


def article_cost(w1, w7):
    """C as a function of w1 and w7, the other parameters as in the article."""
    net, x, y = article_network()
    net.layers[0].neurons[0].w[0] = w1
    net.layers[1].neurons[0].w[0] = w7
    return mse(net(x), y)


def test_article_second_derivative_in_w7_matches_the_hand_formula_from_bp1_to_bp4():
    assert grad(grad(article_cost, argnums=1), argnums=1)(0.15, 0.45) == pytest.approx(
        article_second_derivative_in_w7(), rel=1e-12)


def test_article_hessian_in_w7_and_w1_matches_central_differences():
    report = gradcheck(article_cost, 0.15, 0.45, order=2)
    assert report and [row.name for row in report.rows][0] == "∂²C/∂w1²", str(report)


# --- what a derivative's graph says about itself

def test_the_gradient_is_labelled_with_the_derivative_it_is():
    x, y = Value(0.5, label="x"), Value(2.0, label="y")

    def loss(x, y):
        return (x * y).sigmoid() * x
    dx, dy = grad(loss)(x, y)
    assert (dx.label, dy.label) == ("∂loss/∂x", "∂loss/∂y")


def test_every_node_the_backward_pass_adds_names_the_derivative_it_belongs_to():
    x, y = Value(0.5, label="x"), Value(2.0, label="y")
    value, (dx, dy) = value_and_grad(lambda x, y: (x * y).tanh() * x)(x, y)
    forward = set(trace(value))
    added = [node for node in trace(dx) + trace(dy) if node not in forward]
    assert added and all(node.label.startswith("∂f/∂") for node in added)
    assert {node.label for node in added} >= {"∂f/∂x", "∂f/∂y", "∂f/∂(x * y)"}


def test_a_second_derivative_names_itself_after_the_first():
    x = Value(0.5, label="x")
    assert grad(grad(lambda x: x.tanh()))(x).label == "∂(∂f/∂x)/∂x"


def test_the_drawing_of_a_derivative_shows_each_node_with_its_derivative_name():
    from tinygrad_bp.viz import draw_dot
    from test_viz_dot import declarations
    x = Value(0.5, label="x")
    slope = grad(lambda x: x.tanh() * x)(x)
    drawn = declarations(draw_dot(slope).source)
    for i, node in enumerate(trace(slope)):
        assert drawn[f"v{i}"].startswith(f'label="{node.label} | data {node.data:.4g}"'
                                         if node.label else f'label="data {node.data:.4g}"')
        assert f'tooltip="{node.label or "value"}: data = {node.data!r}"' in drawn[f"v{i}"]
    assert 'label="∂f/∂x | data 0.8553"' in drawn[f"v{len(trace(slope)) - 1}"]


# --- compile

def test_compile_replays_a_function_whose_inner_gradient_is_constant():
    step = compile(lambda x: grad(lambda x: x * 3)(x) * x, 1.0)    # 3x
    assert step(2.0) == (6.0, (3.0,))


def test_compile_replays_a_function_that_calls_grad_inside():
    def slope(x, y):
        return grad(lambda x, y: (x * y).tanh() * x, argnums=0)(x, y)
    step = compile(slope, 0.5, 2.0)
    value, gradients = step(0.7, -1.1)
    assert value == pytest.approx(grad(lambda x, y: (x * y).tanh() * x, 0)(0.7, -1.1), rel=1e-12)
    assert gradients == pytest.approx(tuple(hessian(lambda x, y: (x * y).tanh() * x)(0.7, -1.1)[0]),
                                      rel=1e-12)
