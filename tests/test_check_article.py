"""explain and check on the article's 2-3-2 network, against NOTES.md's formulas by hand.

The network is built twice: by hand here, from `Value` operations with the contract's
labels and default weights, and by `tinygrad_bp.nn.article_network`. The expected
numbers come from a forward pass in plain floats, not from the engine.
"""

import pytest

from tinygrad_bp import Value, check, explain
from tinygrad_bp.losses import mse
from tinygrad_bp.nn import article_network

from helpers import labelled, sigmoid

W = [0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70]
B = [0.35, 0.35, 0.35, 0.60, 0.60]
X = [0.05, 0.10]
Y = [0.01, 0.99]


def network_by_hand():
    """C of the 2-3-2 sigmoid network, neuron-major weights, labels as in the contract."""
    x = [Value(v, label=f"x{i + 1}") for i, v in enumerate(X)]
    w = [Value(v, label=f"w{i + 1}") for i, v in enumerate(W)]
    b = [Value(v, label=f"b{i + 1}") for i, v in enumerate(B)]
    hidden = []
    for j in range(3):
        z = labelled(w[2 * j] * x[0] + w[2 * j + 1] * x[1] + b[j], f"z_h{j + 1}")
        hidden.append(labelled(z.sigmoid(), f"a_h{j + 1}"))
    outputs = []
    for j in range(2):
        z = sum((w[6 + 3 * j + k] * hidden[k] for k in range(1, 3)), w[6 + 3 * j] * hidden[0])
        z = labelled(z + b[3 + j], f"z_o{j + 1}")
        outputs.append(labelled(z.sigmoid(), f"a_o{j + 1}"))
    return labelled(((Y[0] - outputs[0]) ** 2 + (Y[1] - outputs[1]) ** 2) * 0.5, "C")


def network_from_nn():
    net, x, y = article_network()
    return mse(net(x), y)


def forward_by_hand():
    """z and a of every neuron, in plain floats."""
    z_h = [W[2 * j] * X[0] + W[2 * j + 1] * X[1] + B[j] for j in range(3)]
    a_h = [sigmoid(z) for z in z_h]
    z_o = [sum(W[6 + 3 * j + k] * a_h[k] for k in range(3)) + B[3 + j] for j in range(2)]
    a_o = [sigmoid(z) for z in z_o]
    return z_h, a_h, z_o, a_o


def sigmoid_prime(z):
    return sigmoid(z) * (1.0 - sigmoid(z))


NETWORKS = [network_by_hand, network_from_nn]


@pytest.mark.parametrize("network", NETWORKS)
def test_w7_has_one_path_of_three_factors_with_the_notes_values(network):
    z_h, a_h, z_o, a_o = forward_by_hand()
    chain_rule = explain(network(), "w7")
    assert len(chain_rule.paths) == 1
    (path,) = chain_rule.paths
    assert [name for name, _ in path.factors] == ["∂C/∂a_o1", "∂a_o1/∂z_o1", "∂z_o1/∂w7"]
    assert [value for _, value in path.factors] == pytest.approx(
        [a_o[0] - Y[0], sigmoid_prime(z_o[0]), a_h[0]], rel=1e-12)
    assert chain_rule.total == pytest.approx(
        (a_o[0] - Y[0]) * sigmoid_prime(z_o[0]) * a_h[0], rel=1e-12)


@pytest.mark.parametrize("network", NETWORKS)
def test_w1_has_two_paths_of_five_factors_with_the_notes_values(network):
    z_h, a_h, z_o, a_o = forward_by_hand()
    chain_rule = explain(network(), "w1")
    assert len(chain_rule.paths) == 2
    for j, (path, w_j1) in enumerate(zip(chain_rule.paths, (W[6], W[9])), 1):
        assert [name for name, _ in path.factors] == [
            f"∂C/∂a_o{j}", f"∂a_o{j}/∂z_o{j}", f"∂z_o{j}/∂a_h1", "∂a_h1/∂z_h1", "∂z_h1/∂w1"]
        assert [value for _, value in path.factors] == pytest.approx(
            [a_o[j - 1] - Y[j - 1], sigmoid_prime(z_o[j - 1]), w_j1, sigmoid_prime(z_h[0]),
             X[0]], rel=1e-12)
    by_hand = ((a_o[0] - Y[0]) * sigmoid_prime(z_o[0]) * W[6]
               + (a_o[1] - Y[1]) * sigmoid_prime(z_o[1]) * W[9]) * sigmoid_prime(z_h[0]) * X[0]
    assert chain_rule.total == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize("network", NETWORKS)
def test_explained_totals_equal_backward_for_every_parameter(network):
    C = network()
    C.backward()
    for name in [f"w{i}" for i in range(1, 13)] + [f"b{i}" for i in range(1, 6)]:
        chain_rule = explain(C, name)
        assert chain_rule.total == pytest.approx(chain_rule.node.grad, rel=1e-12)


def deltas_by_hand():
    """δ = ∂C/∂z of each neuron from BP1 and BP2, and the gradients of w7, w1 from BP4."""
    z_h, a_h, z_o, a_o = forward_by_hand()
    d_o = [(a_o[j] - Y[j]) * sigmoid_prime(z_o[j]) for j in range(2)]
    d_h = [(W[6 + k] * d_o[0] + W[9 + k] * d_o[1]) * sigmoid_prime(z_h[k]) for k in range(3)]
    return {"z_o1": d_o[0], "z_o2": d_o[1], "z_h1": d_h[0], "z_h2": d_h[1], "z_h3": d_h[2],
            "w7": a_h[0] * d_o[0], "w1": X[0] * d_h[0], "b1": d_h[0]}


@pytest.mark.parametrize("network", NETWORKS)
def test_check_accepts_the_four_equations(network):
    assert check(network(), deltas_by_hand())


@pytest.mark.parametrize("network", NETWORKS)
def test_check_reports_a_wrong_hand_derived_w1(network):
    report = check(network(), {**deltas_by_hand(), "w1": 0.0009})    # engine: 0.000532
    assert [row.name for row in report.failures] == ["w1"]
    assert report.starts == ["w1"]
    assert "the given gradients between it and C hold (z_o1, z_o2, z_h1" in str(report)


@pytest.mark.parametrize("network", NETWORKS)
def test_check_names_the_delta_where_the_error_starts(network):
    # the classic slip: σ'(z_o1) forgotten in δ_o1, then carried into δ_h and the weights
    z_h, a_h, z_o, a_o = forward_by_hand()
    right = deltas_by_hand()
    d_o1 = a_o[0] - Y[0]
    d_h = [(W[6 + k] * d_o1 + W[9 + k] * right["z_o2"]) * sigmoid_prime(z_h[k])
           for k in range(3)]
    expected = {"z_o1": d_o1, "z_o2": right["z_o2"], "z_h1": d_h[0], "z_h2": d_h[1],
                "z_h3": d_h[2], "w7": a_h[0] * d_o1, "w1": X[0] * d_h[0], "b1": d_h[0]}
    report = check(network(), expected)
    assert sorted(row.name for row in report.failures) == [
        "b1", "w1", "w7", "z_h1", "z_h2", "z_h3", "z_o1"]
    assert report.starts == ["z_o1"]
    assert "the hand-derived values first go wrong at z_o1" in str(report)
    assert "chain rule of ∂C/∂z_o1" in str(report)
