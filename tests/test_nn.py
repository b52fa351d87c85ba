"""The network: construction, labels, parameter layout, forward pass and its errors."""

import math
import random

import pytest

import tinygrad_bp.layout
from tinygrad_bp.engine import Value, trace
from tinygrad_bp.losses import mse
from tinygrad_bp.nn import MLP, Layer, Neuron, article_network

from helpers import sigmoid

ARTICLE_PARAMETERS = [("w1", 0.15), ("w2", 0.20), ("b1", 0.35),
                      ("w3", 0.25), ("w4", 0.30), ("b2", 0.35),
                      ("w5", 0.35), ("w6", 0.40), ("b3", 0.35),
                      ("w7", 0.45), ("w8", 0.50), ("w9", 0.55), ("b4", 0.60),
                      ("w10", 0.60), ("w11", 0.65), ("w12", 0.70), ("b5", 0.60)]


# --- the article's network

def test_article_parameters_are_labelled_and_valued_as_in_notes():
    net, _, _ = article_network()
    assert [(p.label, p.data) for p in net.parameters()] == ARTICLE_PARAMETERS


def test_article_sample_is_labelled_leaves_and_float_targets():
    _, x, y = article_network()
    assert [(v.label, v.data, v.is_leaf) for v in x] == [("x1", 0.05, True), ("x2", 0.10, True)]
    assert y == [0.01, 0.99] and all(type(t) is float for t in y)


def test_article_graph_labels_every_neuron_z_and_a_and_the_cost():
    net, x, y = article_network()
    labels = {node.label for node in trace(mse(net(x), y)) if node.label}
    neurons = ["h1", "h2", "h3", "o1", "o2"]
    expected = ({label for label, _ in ARTICLE_PARAMETERS} | {"x1", "x2", "C"}
                | {f"z_{n}" for n in neurons} | {f"a_{n}" for n in neurons})
    assert labels == expected


def test_article_chain_from_cost_to_w7_has_three_labelled_steps():
    net, x, _ = article_network()
    a_o1 = net(x)[0]
    (z_o1,) = a_o1.parents
    assert (a_o1.label, z_o1.label) == ("a_o1", "z_o1")
    assert "w7" in {node.label for node in trace(z_o1)}


def test_article_w7_reaches_only_the_first_output_and_w1_reaches_both():
    net, x, _ = article_network()
    reaches = [{node.label for node in trace(a)} for a in net(x)]
    assert ["w7" in labels for labels in reaches] == [True, False]
    assert ["w10" in labels for labels in reaches] == [False, True]
    assert ["w1" in labels for labels in reaches] == [True, True]


def test_article_forward_pass_matches_the_formula():
    net, x, y = article_network()
    h = [sigmoid(w1 * 0.05 + w2 * 0.10 + 0.35) for w1, w2 in [(0.15, 0.2), (0.25, 0.3), (0.35, 0.4)]]
    o1 = sigmoid(0.45 * h[0] + 0.50 * h[1] + 0.55 * h[2] + 0.60)
    o2 = sigmoid(0.60 * h[0] + 0.65 * h[1] + 0.70 * h[2] + 0.60)
    assert [a.data for a in net(x)] == pytest.approx([o1, o2], abs=1e-15)


def test_article_network_takes_overrides_in_nielsen_layout():
    weights = [[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [[7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]]
    biases = [[-1.0, -2.0, -3.0], [-4.0, -5.0]]
    net, x, y = article_network(weights, biases, x=[1, 2], y=[0, 1])
    assert net.weights() == weights and net.biases() == biases
    assert [v.data for v in x] == [1.0, 2.0] and y == [0.0, 1.0]


def test_article_network_refuses_another_shape():
    with pytest.raises(ValueError, match=r"2-3-2 network, but these weights give 2-2-2"):
        article_network([[[1, 2], [3, 4]], [[1, 2], [3, 4]]], [[0, 0], [0, 0]])


def test_article_network_refuses_a_sample_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"x has 3 entries; expected 2"):
        article_network(x=[1, 2, 3])
    with pytest.raises(ValueError, match=r"y has 1 entries; expected 2"):
        article_network(y=[1])


# --- labels of other shapes

def test_labels_with_several_hidden_layers_name_layer_and_neuron():
    net = MLP(3, [4, 4, 2], seed=0)
    names = [[n.name for n in layer.neurons] for layer in net.layers]
    assert names == [["h1_1", "h1_2", "h1_3", "h1_4"], ["h2_1", "h2_2", "h2_3", "h2_4"], ["o1", "o2"]]


def test_parameters_are_numbered_across_the_network_in_order():
    net = MLP(3, [4, 4, 2], seed=0)
    weights = [p.label for p in net.parameters() if p.label.startswith("w")]
    biases = [p.label for p in net.parameters() if p.label.startswith("b")]
    assert weights == [f"w{i}" for i in range(1, 3 * 4 + 4 * 4 + 4 * 2 + 1)]
    assert biases == [f"b{j}" for j in range(1, 4 + 4 + 2 + 1)]


def test_network_without_hidden_layer_has_only_output_neurons():
    net = MLP(2, [2], seed=0)
    assert [n.name for n in net.layers[0].neurons] == ["o1", "o2"]


def test_linear_neuron_returns_z_with_no_activation_node():
    net = MLP.from_weights([[[2.0, 3.0]]], [[1.0]], activation="linear")
    (out,) = net([1.0, 1.0])
    assert (out.label, out.data) == ("z_o1", 6.0)
    assert not any(node.label.startswith("a_") for node in trace(out))


# --- parameters, construction and round trip

def test_parameters_order_is_layer_neuron_weights_then_bias():
    net = MLP.from_weights([[[1, 2], [3, 4]], [[5, 6]]], [[7, 8], [9]])
    assert [p.data for p in net.parameters()] == [1, 2, 7, 3, 4, 8, 5, 6, 9]


def test_from_weights_round_trips_weights_and_biases():
    weights = [[[0.1, -0.2, 0.3]], [[0.4], [0.5]], [[0.6, -0.7]]]
    biases = [[0.01], [0.02, 0.03], [0.04]]
    net = MLP.from_weights(weights, biases)
    assert net.weights() == weights and net.biases() == biases


def test_from_weights_copies_the_numbers_it_is_given():
    weights = [[[1.0, 2.0]]]
    net = MLP.from_weights(weights, [[0.0]])
    net.parameters()[0].data = 5.0
    assert weights == [[[1.0, 2.0]]]


def test_same_seed_gives_the_same_network():
    assert MLP(3, [4, 2], seed=7).weights() == MLP(3, [4, 2], seed=7).weights()
    assert MLP(3, [4, 2], seed=7).biases() == MLP(3, [4, 2], seed=7).biases()


def test_different_seeds_give_different_networks():
    assert MLP(3, [4, 2], seed=1).weights() != MLP(3, [4, 2], seed=2).weights()


def test_initialisation_neither_uses_nor_changes_the_global_random_state():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    MLP(3, [4, 2], seed=5)
    assert random.random() == expected


def test_initialisation_draws_from_plus_minus_one_over_sqrt_fan_in():
    net = MLP(16, [8, 2], seed=0)
    assert all(abs(p.data) <= 1 / 4 for p in net.layers[0].parameters())
    assert all(abs(p.data) <= 1 / math.sqrt(8) for p in net.layers[1].parameters())
    assert max(abs(p.data) for p in net.layers[0].parameters()) > 0.2


def test_output_activation_applies_to_the_output_layer_only():
    net = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    assert [layer.activation for layer in net.layers] == ["tanh", "sigmoid"]
    assert net([0.5, -0.5])[0].op == "sigmoid"
    assert net.layers[0]([0.5, -0.5])[0].op == "tanh"


def test_activation_applies_to_the_output_layer_too_by_default():
    net = MLP(2, [3, 1], activation="relu", seed=0)
    assert [layer.activation for layer in net.layers] == ["relu", "relu"]


def test_zero_grad_resets_every_parameter_gradient():
    net, x, y = article_network()
    mse(net(x), y).backward()
    assert any(p.grad != 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad == 0 for p in net.parameters())


# --- calling

def test_call_on_numbers_returns_a_list_of_values_even_for_one_output():
    out = MLP(2, [1], seed=0)([0.5, 0.25])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)


def test_layer_call_returns_a_list_of_values():
    out = Layer([[1.0, 2.0]], [0.0], prefix="h")([Value(1.0), 2])
    assert isinstance(out, list) and [v.label for v in out] == ["a_h1"]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "linear"])
def test_predict_gives_exactly_the_graph_outputs(activation):
    rng = random.Random(7)
    net = MLP(3, [5, 4, 2], activation=activation, seed=1)
    for scale in (0.1, 1.0, 30.0, 1000.0):          # saturated sigmoids and tanhs too
        x = [rng.uniform(-scale, scale) for _ in range(3)]
        assert net.predict(x) == [a.data for a in net(x)]


def test_predict_all_is_predict_of_each_input():
    net = MLP(2, [4, 3], activation="tanh", seed=2)
    xs = [[0.5, -1.0], [2.0, 0.25], [0, 1]]
    assert net.predict_all(xs) == [net.predict(x) for x in xs]


def test_predict_takes_ints_as_the_graph_does():
    net = MLP(2, [3, 1], seed=0)
    assert net.predict([1, -2]) == [a.data for a in net([1, -2])]


def test_predict_reads_values_in_the_input_as_their_data():
    net, x, _ = article_network()
    assert net.predict(x) == [a.data for a in net(x)]


def test_predict_refuses_an_input_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"the input to the network has 3 entries; expected 2"):
        MLP(2, [1], seed=0).predict([1.0, 2.0, 3.0])


def test_predict_refuses_a_non_number_input():
    with pytest.raises(TypeError, match=r"the input to the network\[1\] must be a real number"):
        MLP(2, [1], seed=0).predict([1.0, "2"])


def test_with_parameters_computes_the_network_of_those_values():
    net = MLP(2, [3, 2], activation="tanh", seed=0)
    other = MLP(2, [3, 2], activation="tanh", seed=1)
    x = [0.3, -0.8]
    swapped = net.with_parameters(other.parameters())
    assert [a.data for a in swapped(x)] == [a.data for a in other(x)]


def test_with_parameters_shares_the_values_and_leaves_the_network_unchanged():
    net = MLP(2, [3, 2], seed=0)
    before = net.parameters()
    labels = [p.label for p in before]
    leaves = [Value(p.data, label=f"p{i}") for i, p in enumerate(before)]
    copy = net.with_parameters(leaves)
    assert all(a is b for a, b in zip(copy.parameters(), leaves))
    assert all(a is b for a, b in zip(net.parameters(), before))
    assert [p.label for p in net.parameters()] == labels
    assert [p.label for p in leaves] == [f"p{i}" for i in range(17)]


def test_with_parameters_lets_gradients_reach_the_values():
    net, x, y = article_network()
    leaves = [Value(p.data) for p in net.parameters()]
    mse(net.with_parameters(leaves)(x), y).backward()
    mse(net(x), y).backward()
    assert [v.grad for v in leaves] == [p.grad for p in net.parameters()]


def test_with_parameters_refuses_the_wrong_number_of_values():
    net = MLP(2, [3, 2], seed=0)
    with pytest.raises(ValueError, match=r"17 parameters, got 16 values"):
        net.with_parameters([Value(0.0)] * 16)


def test_with_parameters_refuses_numbers():
    net = MLP(2, [1], seed=0)
    with pytest.raises(TypeError, match=r"must be Values, got float 0.5 at position 1"):
        net.with_parameters([Value(0.0), 0.5, Value(0.0)])


def test_call_on_values_lets_gradients_reach_the_inputs():
    net, x, y = article_network()
    mse(net(x), y).backward()
    assert x[0].grad != 0 and x[1].grad != 0


def test_call_with_wrong_input_length_names_the_expected_size():
    with pytest.raises(ValueError, match=r"the input to the network has 3 entries; expected 2"):
        MLP(2, [3, 2], seed=0)([1, 2, 3])


def test_layer_call_with_wrong_input_length_names_the_layer():
    layer = Layer([[1, 2], [3, 4]], [0, 0], prefix="h")
    with pytest.raises(ValueError, match=r"the input to layer h1..h2 has 1 entries; expected 2"):
        layer([1])


def test_neuron_call_with_wrong_input_length_names_the_neuron():
    with pytest.raises(ValueError, match=r"the input to neuron 'h1' has 1 entries; expected 2"):
        Neuron([1, 2], 0, name="h1")([1])


def test_call_on_a_single_number_asks_for_a_list():
    with pytest.raises(TypeError, match=r"the network takes a list of 1 inputs"):
        MLP(1, [1], seed=0)(0.5)


# --- shape errors

def test_ragged_weight_row_names_layer_neuron_and_expected_size():
    with pytest.raises(ValueError, match=r"weights\[0\]\[1\] \(layer 1, neuron 2\) has 1 "
                                         r"weights; expected 2, one per neuron of layer 0"):
        MLP.from_weights([[[1, 2], [3]]], [[0, 0]])


def test_mismatched_layer_width_names_layer_neuron_and_expected_size():
    with pytest.raises(ValueError, match=r"weights\[1\]\[0\] \(layer 2, neuron 1\) has 2 "
                                         r"weights; expected 3, one per neuron of layer 1"):
        MLP.from_weights([[[1, 2], [3, 4], [5, 6]], [[1, 2]]], [[0, 0, 0], [0]])


def test_wrong_bias_count_names_layer_and_expected_size():
    with pytest.raises(ValueError, match=r"biases\[1\] \(layer 2\) has 1 biases; expected 2"):
        MLP.from_weights([[[1, 2], [3, 4]], [[1, 2], [3, 4]]], [[0, 0], [0]])


def test_different_layer_counts_in_weights_and_biases_are_an_error():
    with pytest.raises(ValueError, match=r"weights has 2 layers but biases has 1"):
        MLP.from_weights([[[1]], [[1]]], [[0]])


def test_no_layers_is_an_error():
    with pytest.raises(ValueError, match=r"weights has no layers"):
        MLP.from_weights([], [])


def test_empty_layer_is_an_error():
    with pytest.raises(ValueError, match=r"weights\[1\] \(layer 2\) has no neurons"):
        MLP.from_weights([[[1]], []], [[0], []])


def test_a_missing_level_of_nesting_names_what_the_level_holds():
    with pytest.raises(TypeError, match=r"weights\[0\]\[0\] must be a list \(the weights into "
                                        r"neuron 1 of layer 1\), got int 1"):
        MLP.from_weights([[1, 2]], [[0]])      # one level short: a row, not a matrix


def test_biases_that_are_not_a_list_are_an_error():
    with pytest.raises(TypeError, match=r"biases\[0\] must be a list \(the bias vector of "
                                        r"layer 1\), got float 0.5"):
        MLP.from_weights([[[1.0]]], [0.5])


def test_non_number_weight_names_its_position():
    with pytest.raises(TypeError, match=r"weights\[0\]\[0\]\[1\] \(layer 1, neuron 1\) must be "
                                        r"a real number, got str 'a'"):
        MLP.from_weights([[[1, "a"]]], [[0]])


def test_non_finite_bias_names_its_position():
    with pytest.raises(ValueError, match=r"biases\[0\]\[0\] \(layer 1, neuron 1\) must be finite"):
        MLP.from_weights([[[1]]], [[math.nan]])


def test_neuron_with_a_non_number_weight_names_the_neuron():
    with pytest.raises(TypeError, match=r"weights of neuron 'h1'\[1\] must be a real number"):
        Neuron([1.0, None], 0.0, name="h1")


def test_neuron_with_an_infinite_bias_names_the_neuron():
    with pytest.raises(ValueError, match=r"bias of neuron 'h1' must be finite, got inf"):
        Neuron([1.0], math.inf, name="h1")


def test_unknown_activation_is_named_with_the_allowed_ones():
    with pytest.raises(ValueError, match=r"unknown activation 'softmax': choose one of "
                                         r"'sigmoid', 'tanh', 'relu', 'linear'"):
        MLP(2, [2], activation="softmax")


def test_unknown_output_activation_is_named():
    with pytest.raises(ValueError, match=r"unknown activation 'Sigmoid'"):
        MLP.from_weights([[[1]]], [[0]], output_activation="Sigmoid")


@pytest.mark.parametrize("nin, nouts", [(0, [2]), (2, []), (2, [3, 0])])
def test_sizes_below_one_are_a_value_error(nin, nouts):
    with pytest.raises(ValueError, match=r"must be a (positive int|non-empty list)"):
        MLP(nin, nouts)


@pytest.mark.parametrize("nin, nouts", [(2.0, [2]), (2, 3), (2, 3.0), (2, "32"), (2, [True])])
def test_sizes_that_are_not_ints_or_a_list_are_a_type_error(nin, nouts):
    with pytest.raises(TypeError, match=r"must be a (positive int|list)"):
        MLP(nin, nouts)


# --- repr

def test_reprs_show_shape_activations_and_parameters():
    net, _, _ = article_network()
    assert repr(net) == ("MLP(2 → 3 → 2, activation='sigmoid', output_activation='sigmoid', "
                         "17 parameters)")
    assert repr(net.layers[1]) == "Layer([o1, o2], 3 inputs, sigmoid)"
    assert repr(net.layers[0].neurons[0]) == "Neuron('h1', sigmoid, w1=0.15, w2=0.2, b1=0.35)"


def test_layout_names_an_int_too_large_for_a_float():
    with pytest.raises(ValueError, match="weights\\[0\\] must be finite as a float"):
        tinygrad_bp.layout.real(10 ** 400, "weights[0]")
