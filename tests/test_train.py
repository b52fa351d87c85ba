"""SGD, the mini-batch training loop and the built-in data set."""

import math
import random

import pytest

import tinygrad_bp.train
from tinygrad_bp.backprop import backprop
from tinygrad_bp.data import CENTRES, RADIUS, Sample, two_clouds
from tinygrad_bp.engine import Value
from tinygrad_bp.losses import batch_cost, binary_cross_entropy, mse
from tinygrad_bp.metrics import accuracy
from tinygrad_bp.nn import MLP
from tinygrad_bp.optim import SGD
from tinygrad_bp.train import (Epoch, evaluate, replayed_step, sample_cost_replay, train,
                               train_step)

from helpers import assert_nested_close

TOL = 1e-12


def averaged_step(weights, biases, batch, lr):
    """w − (η/m) Σ_x ∂C_x/∂w, with each ∂C_x/∂w from the plain-float BP1–BP4."""
    m = len(batch)
    grads = [backprop(weights, biases, x, y) for x, y in batch]
    new_w = [[[w_jk - lr / m * sum(g.nabla_w[l][j][k] for g in grads)
               for k, w_jk in enumerate(row)] for j, row in enumerate(matrix)]
             for l, matrix in enumerate(weights)]
    new_b = [[b_j - lr / m * sum(g.nabla_b[l][j] for g in grads) for j, b_j in enumerate(vector)]
             for l, vector in enumerate(biases)]
    return new_w, new_b


# --- SGD

def test_sgd_step_moves_each_parameter_by_minus_lr_times_grad():
    a, b = Value(1.0), Value(-2.0)
    a.grad, b.grad = 0.5, -3.0
    SGD([a, b], lr=0.1).step()
    assert (a.data, b.data) == (1.0 - 0.1 * 0.5, -2.0 + 0.1 * 3.0)


def test_sgd_zero_grad_resets_the_gradients():
    a = Value(1.0)
    a.grad = 4.0
    SGD([a], lr=1).zero_grad()
    assert a.grad == 0.0


@pytest.mark.parametrize("lr", [0, -0.5, math.nan, math.inf])
def test_sgd_refuses_a_learning_rate_that_is_not_positive_and_finite(lr):
    with pytest.raises(ValueError, match=r"learning rate lr must be a positive finite number"):
        SGD([Value(1.0)], lr)


@pytest.mark.parametrize("lr", [True, "0.1", None])
def test_sgd_refuses_a_learning_rate_that_is_not_a_number_with_a_type_error(lr):
    with pytest.raises(TypeError, match=r"learning rate lr must be a positive finite number"):
        SGD([Value(1.0)], lr)


def test_sgd_refuses_an_inner_node():
    x = Value(2.0, label="x")
    with pytest.raises(ValueError, match=r"SGD can only move leaves .* '\* 3'"):
        SGD([x * 3], lr=0.1)


def test_sgd_refuses_the_same_parameter_twice():
    w = Value(1.0)
    with pytest.raises(ValueError, match=r"the same parameter twice"):
        SGD([w, w], lr=0.1)


def test_sgd_refuses_numbers():
    with pytest.raises(TypeError, match=r"SGD optimises Values, got float"):
        SGD([1.0], lr=0.1)


def test_sgd_step_that_would_overflow_names_the_parameter_and_moves_nothing():
    a, b = Value(1.0, label="a"), Value(1e308, label="b")
    a.grad, b.grad = 1.0, -1e308
    with pytest.raises(OverflowError, match=r"would set 'b' \(data=1e\+308\) to inf .* "
                                            r"training diverged"):
        SGD([a, b], lr=10.0).step()
    assert (a.data, b.data) == (1.0, 1e308)


def test_sgd_repr_shows_size_and_learning_rate():
    assert repr(SGD(MLP(2, [3, 2], seed=0).parameters(), lr=0.5)) == "SGD(17 parameters, lr=0.5)"


# --- one mini-batch step

def test_minibatch_step_equals_the_average_of_per_sample_gradients_applied_once():
    net = MLP(3, [4, 4, 2], seed=3)
    rng = random.Random(1)
    batch = [Sample([rng.uniform(-1, 1) for _ in range(3)], [rng.random(), rng.random()])
             for _ in range(5)]
    expected_w, expected_b = averaged_step(net.weights(), net.biases(), batch, lr=0.7)
    train_step(net, batch, SGD(net.parameters(), lr=0.7))
    assert_nested_close(net.weights(), expected_w, TOL)
    assert_nested_close(net.biases(), expected_b, TOL)


def test_minibatch_step_equals_the_mean_of_engine_per_sample_gradients():
    net = MLP(2, [3, 2], seed=4)
    batch = two_clouds(6)
    per_sample = []
    for x, y in batch:
        net.zero_grad()
        mse(net(x), y).backward()
        per_sample.append([p.grad for p in net.parameters()])
    before = [p.data for p in net.parameters()]
    train_step(net, batch, SGD(net.parameters(), lr=1.5))
    for i, p in enumerate(net.parameters()):
        mean = sum(g[i] for g in per_sample) / len(batch)
        assert p.data == pytest.approx(before[i] - 1.5 * mean, abs=TOL)


def test_train_step_returns_the_batch_cost_before_the_step():
    net = MLP(2, [3, 2], seed=0)
    batch = two_clouds(4)
    expected = sum(mse(net(x), y).data for x, y in batch) / 4
    assert train_step(net, batch, SGD(net.parameters(), lr=1.0)) == pytest.approx(expected, abs=TOL)


def test_gradients_do_not_leak_from_one_step_into_the_next():
    net = MLP(2, [3, 2], seed=0)
    data = two_clouds(4)
    optimizer = SGD(net.parameters(), lr=1.0)
    train_step(net, data[:2], optimizer)
    expected_w, expected_b = averaged_step(net.weights(), net.biases(), data[2:], lr=1.0)
    train_step(net, data[2:], optimizer)
    assert_nested_close(net.weights(), expected_w, TOL)
    assert_nested_close(net.biases(), expected_b, TOL)


# --- the training loop

def test_epoch_steps_through_the_seeded_shuffle_with_a_smaller_last_batch():
    net = MLP(2, [3, 2], seed=1)
    data = two_clouds(5)
    weights, biases = net.weights(), net.biases()
    order = list(range(5))
    random.Random(9).shuffle(order)
    for batch in ([0, 1], [2, 3], [4]):       # 5 samples, batch size 2: the last batch holds 1
        weights, biases = averaged_step(weights, biases, [data[order[i]] for i in batch], lr=0.8)
    train(net, data, epochs=1, batch_size=2, lr=0.8, seed=9)
    assert_nested_close(net.weights(), weights, TOL)
    assert_nested_close(net.biases(), biases, TOL)


def test_batch_size_beyond_the_data_makes_a_full_batch_step():
    net = MLP(2, [3, 2], seed=1)
    data = two_clouds(6)
    expected_w, _ = averaged_step(net.weights(), net.biases(), data, lr=0.5)
    train(net, data, epochs=1, batch_size=100, lr=0.5, seed=0)
    assert_nested_close(net.weights(), expected_w, TOL)


def test_training_lowers_the_cost_and_separates_the_two_clouds():
    net, data = MLP(2, [3, 2], seed=0), two_clouds()
    start_cost, start_accuracy = evaluate(net, data)
    history = train(net, data, epochs=20, batch_size=10, lr=2.0, seed=0)
    assert start_accuracy == 0.5
    assert history[-1].cost < start_cost / 10
    assert history[-1].accuracy == 1.0


def test_training_with_cross_entropy_lowers_the_cross_entropy():
    net, data = MLP(2, [3, 2], seed=0), two_clouds(40)
    start_cost, _ = evaluate(net, data, binary_cross_entropy)
    history = train(net, data, epochs=5, batch_size=10, lr=1.0, seed=0, loss=binary_cross_entropy)
    assert history[-1].cost < start_cost / 2


def test_same_seed_gives_the_same_history_and_weights():
    runs = []
    for _ in range(2):
        net = MLP(2, [3, 2], seed=5)
        runs.append((train(net, two_clouds(30), epochs=3, batch_size=7, lr=1.0, seed=5),
                     net.weights()))
    assert runs[0] == runs[1]


def test_different_shuffle_seeds_give_different_weights():
    weights = []
    for seed in (1, 2):
        net = MLP(2, [3, 2], seed=0)
        train(net, two_clouds(30), epochs=1, batch_size=7, lr=1.0, seed=seed)
        weights.append(net.weights())
    assert weights[0] != weights[1]


def test_training_neither_uses_nor_changes_the_global_random_state():
    random.seed(42)
    expected = random.random()
    random.seed(42)
    train(MLP(2, [3, 2], seed=0), two_clouds(10), epochs=2, batch_size=3, lr=1.0, seed=0)
    assert random.random() == expected


def test_history_has_one_record_of_plain_floats_per_epoch():
    net, data = MLP(2, [3, 2], seed=0), two_clouds(10)
    history = train(net, data, epochs=3, batch_size=4, lr=1.0, seed=0)
    assert [h.epoch for h in history] == [1, 2, 3]
    assert all(type(h.cost) is float and type(h.accuracy) is float for h in history)
    assert history[-1] == Epoch(3, *evaluate(net, data))


def test_on_epoch_receives_each_record_as_it_is_made():
    seen = []
    history = train(MLP(2, [3, 2], seed=0), two_clouds(10), epochs=2, batch_size=5, lr=1.0,
                    seed=0, on_epoch=seen.append)
    assert seen == history


@pytest.mark.parametrize("option, value", [("epochs", 0), ("epochs", -1), ("batch_size", 0)])
def test_train_refuses_counts_below_one(option, value):
    options = dict(epochs=1, batch_size=2, lr=1.0)
    options[option] = value
    with pytest.raises(ValueError, match=rf"{option} must be a positive int, got {value!r}"):
        train(MLP(2, [3, 2], seed=0), two_clouds(4), **options)


@pytest.mark.parametrize("option, value", [("epochs", 2.0), ("batch_size", 2.5),
                                           ("batch_size", True)])
def test_train_refuses_counts_that_are_not_ints_with_a_type_error(option, value):
    options = dict(epochs=1, batch_size=2, lr=1.0)
    options[option] = value
    with pytest.raises(TypeError, match=rf"{option} must be a positive int, got "
                                        rf"{type(value).__name__} {value!r}"):
        train(MLP(2, [3, 2], seed=0), two_clouds(4), **options)


def test_train_refuses_empty_data():
    with pytest.raises(ValueError, match=r"train on no data"):
        train(MLP(2, [3, 2], seed=0), [], epochs=1, batch_size=1, lr=1.0)


def test_evaluate_is_the_mean_cost_and_accuracy_as_plain_floats():
    net, data = MLP(2, [3, 2], seed=0), two_clouds(6)
    cost, accuracy = evaluate(net, data)
    assert cost == pytest.approx(sum(mse(net(x), y).data for x, y in data) / 6, abs=TOL)
    assert type(cost) is float and type(accuracy) is float


# --- training by compiled replay

def relative_gap(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def train_both_ways(make_net, data, **options):
    """(history, parameters, gradients) of a compiled and of an eager run from one start."""
    runs = []
    for compiled in (True, False):
        net = make_net()
        history = train(net, data, compiled=compiled, **options)
        runs.append((history, [p.data for p in net.parameters()],
                     [p.grad for p in net.parameters()]))
    return runs


@pytest.mark.parametrize("make_net, data, options", [
    (lambda: MLP(2, [3, 2], seed=0), two_clouds(),
     dict(epochs=20, batch_size=10, lr=2.0, seed=0)),
    (lambda: MLP(2, [16, 16, 1], activation="tanh", output_activation="sigmoid", seed=0),
     [Sample(x, [y[1]]) for x, y in two_clouds(60)], dict(epochs=5, batch_size=7, lr=0.5, seed=1)),
    (lambda: MLP(2, [8, 8, 2], activation="relu", output_activation="linear", seed=3),
     two_clouds(50), dict(epochs=10, batch_size=7, lr=0.1, seed=2)),
], ids=["2-3-2 sigmoid", "2-16-16-1 tanh", "2-8-8-2 relu, ragged batches"])
def test_compiled_training_equals_eager_training_to_1e_12(make_net, data, options):
    (history, params, grads), (eager_history, eager_params, eager_grads) = \
        train_both_ways(make_net, data, **options)
    assert [h.accuracy for h in history] == [h.accuracy for h in eager_history]
    assert max(relative_gap(h.cost, e.cost) for h, e in zip(history, eager_history)) < 1e-12
    assert max(relative_gap(p, e) for p, e in zip(params, eager_params)) < 1e-12
    # NOTE: the last step's gradients are sums whose terms may cancel: compared relative
    # to the largest of them.
    largest = max(map(abs, eager_grads))
    assert max(abs(g - e) for g, e in zip(grads, eager_grads)) < 1e-12 * largest


def test_compiled_training_compiles_once_whatever_the_batches(monkeypatch):
    compiled = []
    real_compile = tinygrad_bp.train.compile
    monkeypatch.setattr(tinygrad_bp.train, "compile",
                        lambda *args: compiled.append(args) or real_compile(*args))
    train(MLP(2, [3, 2], seed=0), two_clouds(23), epochs=3, batch_size=5, lr=1.0, seed=0)
    assert len(compiled) == 1           # 23 = 4 × 5 + 3: the ragged batch reuses it


def test_compiled_training_replays_one_sample_graph(monkeypatch):
    replays = []
    real_step = tinygrad_bp.train.replayed_step
    monkeypatch.setattr(tinygrad_bp.train, "replayed_step",
                        lambda replay, batch, *rest: replays.append((replay, len(batch)))
                        or real_step(replay, batch, *rest))
    train(MLP(2, [3, 2], seed=0), two_clouds(10), epochs=2, batch_size=4, lr=1.0, seed=0)
    assert [m for _, m in replays] == [4, 4, 2] * 2
    assert len({id(replay) for replay, _ in replays}) == 1
    assert replays[0][0].n_nodes < 60       # one sample's network and cost, not a batch


def test_compiled_false_builds_every_step_eagerly(monkeypatch):
    monkeypatch.setattr(tinygrad_bp.train, "compile", None)     # would fail if called
    history = train(MLP(2, [3, 2], seed=0), two_clouds(10), epochs=2, batch_size=4, lr=1.0,
                    seed=0, compiled=False)
    assert len(history) == 2


@pytest.mark.parametrize("loss", [binary_cross_entropy, lambda a, y: mse(a, y) * 2.0],
                         ids=["binary_cross_entropy", "a cost of the user's"])
def test_costs_that_may_branch_on_values_train_eagerly(loss):
    net = MLP(2, [3, 2], seed=0)
    assert sample_cost_replay(net, two_clouds(10), loss) is None


def test_samples_that_are_not_numbers_train_eagerly():
    data = [Sample([Value(0.5), Value(-0.5)], [1.0, 0.0])]
    assert sample_cost_replay(MLP(2, [3, 2], seed=0), data) is None
    train(MLP(2, [3, 2], seed=0), data, epochs=1, batch_size=1, lr=1.0)


def test_replayed_step_moves_the_parameters_as_train_step_does():
    batch = two_clouds(7)
    nets = [MLP(2, [4, 2], activation="tanh", seed=5) for _ in range(2)]
    replay = sample_cost_replay(nets[0], batch)
    cost = replayed_step(replay, batch, SGD(nets[0].parameters(), lr=0.9), nets[0])
    eager_cost = train_step(nets[1], batch, SGD(nets[1].parameters(), lr=0.9))
    assert relative_gap(cost, eager_cost) < 1e-15
    for p, q in zip(nets[0].parameters(), nets[1].parameters()):
        assert relative_gap(p.data, q.data) < 1e-15
        assert p.grad == pytest.approx(q.grad, rel=1e-12, abs=1e-15)


def test_a_sample_the_replay_cannot_take_fails_as_eager_training_does():
    data = two_clouds(6) + [Sample([0.5, 0.5, 0.5], [1.0, 0.0])]
    errors = []
    for compiled in (True, False):
        net = MLP(2, [3, 2], seed=0)
        before = net.weights()
        with pytest.raises(ValueError) as error:
            train(net, data, epochs=1, batch_size=7, lr=1.0, compiled=compiled)
        assert net.weights() == before          # the failed step moved nothing
        errors.append(str(error.value))
    assert errors[0] == errors[1] and "has 3 entries; expected 2" in errors[0]


def test_evaluate_on_floats_gives_exactly_the_graph_figures():
    net, data = MLP(2, [3, 2], activation="tanh", seed=2), two_clouds(30)
    outputs = [net(x) for x, _ in data]
    eager_cost = batch_cost([mse(a, y) for a, (_, y) in zip(outputs, data)]).data
    eager_accuracy = accuracy(outputs, [y for _, y in data])
    assert evaluate(net, data) == (eager_cost, eager_accuracy)


def test_evaluate_refuses_targets_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"the targets has 3 entries; expected 2"):
        evaluate(MLP(2, [3, 2], seed=0), [Sample([0.1, 0.2], [1.0, 0.0, 0.0])])


# --- the built-in data set

def test_two_clouds_is_the_same_on_every_call():
    assert two_clouds(50, seed=3) == two_clouds(50, seed=3)
    assert two_clouds(50, seed=3) != two_clouds(50, seed=4)


def test_two_clouds_alternates_one_hot_classes():
    assert [s.y for s in two_clouds(4)] == [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]


def test_two_clouds_points_lie_in_their_class_disc():
    for x, y in two_clouds(200):
        cx, cy = CENTRES[y.index(1.0)]
        assert math.hypot(x[0] - cx, x[1] - cy) <= RADIUS


def test_two_clouds_are_separated_by_the_line_x1_plus_x2_equals_0():
    assert all((x[0] + x[1] > 0) == (y[1] == 1.0) for x, y in two_clouds(200))


@pytest.mark.parametrize("n", [0, -3])
def test_two_clouds_refuses_a_count_that_is_not_positive(n):
    with pytest.raises(ValueError, match=r"n \(a number of samples\) must be a positive int"):
        two_clouds(n)


@pytest.mark.parametrize("n", [2.0, True, "4"])
def test_two_clouds_refuses_a_count_that_is_not_an_int_with_a_type_error(n):
    with pytest.raises(TypeError, match=r"n \(a number of samples\) must be a positive int"):
        two_clouds(n)
