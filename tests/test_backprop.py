"""BP1–BP4 with plain floats, against the engine, the chain rule by hand and central differences."""

import ast
import copy
import math
import random

import pytest

from tinygrad_bp.backprop import backprop, sigmoid, sigmoid_prime
from tinygrad_bp.engine import Value
from tinygrad_bp.losses import mse
from tinygrad_bp.nn import MLP, article_network

from helpers import ROOT, assert_nested_close

TOL = 1e-12


def random_parameters(sizes, rng):
    weights = [[[rng.uniform(-2, 2) for _ in range(n_in)] for _ in range(n_out)]
               for n_in, n_out in zip(sizes, sizes[1:])]
    biases = [[rng.uniform(-1, 1) for _ in range(n_out)] for n_out in sizes[1:]]
    return weights, biases


def engine_gradients(weights, biases, x, y):
    net = MLP.from_weights(weights, biases)
    mse(net(x), y).backward()
    return net.gradients()


def cost(weights, biases, x, y):
    """C_x by a plain forward pass, written out here independently of both implementations."""
    a = x
    for w, b in zip(weights, biases):
        a = [1 / (1 + math.exp(-(sum(w_jk * a_k for w_jk, a_k in zip(row, a)) + b_j)))
             for row, b_j in zip(w, b)]
    return 0.5 * sum((y_j - a_j) ** 2 for y_j, a_j in zip(y, a))


# --- agreement with the engine

@pytest.mark.parametrize("sizes", [[2, 3, 2], [3, 4, 4, 2], [1, 1], [4, 2, 3, 1, 2]])
@pytest.mark.parametrize("seed", range(5))
def test_engine_gradients_equal_backprop_gradients(sizes, seed):
    rng = random.Random(seed)
    weights, biases = random_parameters(sizes, rng)
    for _ in range(3):
        x = [rng.uniform(-1, 1) for _ in range(sizes[0])]
        y = [rng.random() for _ in range(sizes[-1])]
        expected_w, expected_b = backprop(weights, biases, x, y)
        nabla_w, nabla_b = engine_gradients(weights, biases, x, y)
        assert_nested_close(nabla_w, expected_w, TOL)
        assert_nested_close(nabla_b, expected_b, TOL)


def test_intermediate_values_equal_the_engine_nodes():
    net, x, y = article_network()
    outputs = net(x)
    result = backprop(net.weights(), net.biases(), [0.05, 0.10], y)
    z_o = [a.parents[0] for a in outputs]
    assert result.activations[0] == [0.05, 0.10]
    assert_nested_close(result.activations[-1], [a.data for a in outputs], 1e-15)
    assert_nested_close(result.zs[-1], [z.data for z in z_o], 1e-15)
    assert result.cost == pytest.approx(mse(outputs, y).data, abs=1e-15)


def test_output_error_is_bp1():
    net, _, y = article_network()
    result = backprop(net.weights(), net.biases(), [0.05, 0.10], y)
    expected = [(a - y_j) * sigmoid_prime(z) for a, y_j, z in
                zip(result.activations[-1], y, result.zs[-1])]
    assert result.deltas[-1] == expected


def test_deltas_are_the_engine_gradients_of_z():
    net, x, y = article_network()
    outputs = net(x)
    mse(outputs, y).backward()
    z_o = [a.parents[0] for a in outputs]
    result = backprop(net.weights(), net.biases(), [0.05, 0.10], y)
    assert_nested_close(result.deltas[-1], [z.grad for z in z_o], TOL)


# --- the chain rule by hand (NOTES.md, section 5)

def article_by_hand():
    """The article's forward pass, one neuron at a time."""
    x1, x2 = 0.05, 0.10
    y1, y2 = 0.01, 0.99
    w = dict(zip(range(1, 13), [0.15, 0.20, 0.25, 0.30, 0.35, 0.40,
                                0.45, 0.50, 0.55, 0.60, 0.65, 0.70]))
    z_h = [w[1] * x1 + w[2] * x2 + 0.35, w[3] * x1 + w[4] * x2 + 0.35, w[5] * x1 + w[6] * x2 + 0.35]
    a_h = [sigmoid(z) for z in z_h]
    z_o1 = w[7] * a_h[0] + w[8] * a_h[1] + w[9] * a_h[2] + 0.60
    z_o2 = w[10] * a_h[0] + w[11] * a_h[1] + w[12] * a_h[2] + 0.60
    return dict(x1=x1, y1=y1, y2=y2, w=w, z_h1=z_h[0], a_h1=a_h[0],
                z_o1=z_o1, a_o1=sigmoid(z_o1), z_o2=z_o2, a_o2=sigmoid(z_o2))


def engine_article_gradient(label):
    net, x, y = article_network()
    mse(net(x), y).backward()
    return next(p.grad for p in net.parameters() if p.label == label)


def test_dC_dw7_by_the_chain_rule_equals_the_engine():
    v = article_by_hand()
    # ∂C/∂w7 = (a_o1 − y1) · σ'(z_o1) · a_h1: only the first output depends on w7
    by_hand = (v["a_o1"] - v["y1"]) * sigmoid_prime(v["z_o1"]) * v["a_h1"]
    assert engine_article_gradient("w7") == pytest.approx(by_hand, abs=TOL)


def test_dC_dw1_by_the_chain_rule_sums_both_paths_and_equals_the_engine():
    v = article_by_hand()
    w = v["w"]
    # ∂C/∂w1 = [(a_o1 − y1) σ'(z_o1) w7 + (a_o2 − y2) σ'(z_o2) w10] · σ'(z_h1) · x1
    by_hand = ((v["a_o1"] - v["y1"]) * sigmoid_prime(v["z_o1"]) * w[7]
               + (v["a_o2"] - v["y2"]) * sigmoid_prime(v["z_o2"]) * w[10]) \
        * sigmoid_prime(v["z_h1"]) * v["x1"]
    assert engine_article_gradient("w1") == pytest.approx(by_hand, abs=TOL)


# --- against central differences

def central_difference(weights, biases, x, y, kind, index, h=1e-6):
    """∂C/∂θ by central differences, θ = weights[l][j][k] (kind "w") or biases[l][j] ("b")."""
    def cost_with(step):
        w, b = copy.deepcopy(weights), copy.deepcopy(biases)
        if kind == "w":
            l, j, k = index
            w[l][j][k] += step
        else:
            l, j = index
            b[l][j] += step
        return cost(w, b, x, y)
    return (cost_with(h) - cost_with(-h)) / (2 * h)


@pytest.mark.parametrize("sizes", [[2, 3, 2], [3, 4, 4, 2]])
def test_backprop_gradients_match_central_differences(sizes):
    rng = random.Random(11)
    weights, biases = random_parameters(sizes, rng)
    x = [rng.uniform(-1, 1) for _ in range(sizes[0])]
    y = [rng.random() for _ in range(sizes[-1])]
    nabla_w, nabla_b = backprop(weights, biases, x, y)
    for l, matrix in enumerate(weights):
        for j, row in enumerate(matrix):
            for k in range(len(row)):
                numeric = central_difference(weights, biases, x, y, "w", (l, j, k))
                assert nabla_w[l][j][k] == pytest.approx(numeric, abs=1e-8)
            numeric = central_difference(weights, biases, x, y, "b", (l, j))
            assert nabla_b[l][j] == pytest.approx(numeric, abs=1e-8)


# --- the result object

def test_result_unpacks_to_nabla_w_and_nabla_b_in_the_input_layout():
    weights, biases = random_parameters([3, 4, 2], random.Random(0))
    result = backprop(weights, biases, [0.1, 0.2, 0.3], [0.0, 1.0])
    nabla_w, nabla_b = result
    assert [[len(row) for row in m] for m in nabla_w] == [[3] * 4, [4] * 2]
    assert [len(v) for v in nabla_b] == [4, 2]
    assert (nabla_w, nabla_b) == (result.nabla_w, result.nabla_b)


def test_result_lists_activations_from_the_input_to_the_output():
    weights, biases = random_parameters([3, 4, 2], random.Random(0))
    result = backprop(weights, biases, [0.1, 0.2, 0.3], [0.0, 1.0])
    assert [len(a) for a in result.activations] == [3, 4, 2]
    assert [len(z) for z in result.zs] == [len(d) for d in result.deltas] == [4, 2]
    assert result.activations[1] == [sigmoid(z) for z in result.zs[0]]


def test_result_repr_shows_shape_cost_and_output_error():
    net, _, y = article_network()
    result = backprop(net.weights(), net.biases(), [0.05, 0.10], y)
    assert repr(result) == "Backprop(2 → 3 → 2, C=0.33485, output error δ^L=[0.120681, -0.0170135])"


# --- errors

def test_input_of_the_wrong_length_is_an_error():
    net, _, _ = article_network()
    with pytest.raises(ValueError, match=r"x has 3 entries; expected 2"):
        backprop(net.weights(), net.biases(), [1, 2, 3], [0, 1])


def test_target_of_the_wrong_length_is_an_error():
    net, _, _ = article_network()
    with pytest.raises(ValueError, match=r"y has 1 entries; expected 2"):
        backprop(net.weights(), net.biases(), [1, 2], [0])


def test_ragged_weights_are_an_error_naming_layer_and_neuron():
    with pytest.raises(ValueError, match=r"weights\[1\]\[1\] \(layer 2, neuron 2\) has 2 weights; "
                                         r"expected 3"):
        backprop([[[1, 2], [3, 4], [5, 6]], [[1, 2, 3], [4, 5]]], [[0, 0, 0], [0, 0]], [1, 2], [0, 1])


def test_non_number_input_is_an_error_naming_it():
    with pytest.raises(TypeError, match=r"x\[1\] must be a real number, got NoneType"):
        backprop([[[1, 2]]], [[0]], [1, None], [0])


# --- independence and docs

def test_sigmoid_does_not_overflow():
    assert sigmoid(-800.0) == 0.0 and sigmoid(800.0) == 1.0


@pytest.mark.parametrize("module", ["backprop.py", "layout.py"])
def test_reference_does_not_import_the_engine_or_the_network(module):
    tree = ast.parse((ROOT / "tinygrad_bp" / module).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert imported <= {"__future__", "math", "dataclasses", "typing", "numbers",
                        "tinygrad_bp.layout", "tinygrad_bp.errors"}


def test_sigmoid_prime_keeps_its_digits_when_saturated():
    expected = math.exp(-40.0) / (1.0 + math.exp(-40.0)) ** 2
    assert sigmoid_prime(40.0) == pytest.approx(expected, rel=1e-15)
    engine = Value(40.0)
    engine.sigmoid().backward()
    assert sigmoid_prime(40.0) == pytest.approx(engine.grad, rel=1e-15)


def test_backprop_names_an_overflowing_layer():
    with pytest.raises(OverflowError, match="z of layer 1 overflows"):
        backprop([[[1e308, 1e308]]], [[0.0]], [1e10, 1e10], [1.0])
