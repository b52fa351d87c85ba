"""Errors: a wrong type is a TypeError, a wrong value a ValueError, and every error of ours
also derives from `tinygrad_bp.TinygradBPError`, at every public entry point."""

import pytest

from tinygrad_bp import TinygradBPError, Value
from tinygrad_bp import viz
from tinygrad_bp.backprop import backprop
from tinygrad_bp.data import two_clouds
from tinygrad_bp.demo import draw
from tinygrad_bp.errors import (BPFileNotFoundError, BPOverflowError, BPTypeError, BPValueError,
                                BPZeroDivisionError)
from tinygrad_bp.expr import BindingError, ExpressionError, bind, parse, parse_bindings
from tinygrad_bp.layout import layer_sizes, positive_int, real
from tinygrad_bp.losses import batch_cost, binary_cross_entropy, mse
from tinygrad_bp.metrics import accuracy, predicted_class
from tinygrad_bp.nn import MLP, Layer, Neuron, article_network
from tinygrad_bp.optim import SGD
from tinygrad_bp.train import train

NET = MLP(2, [2], seed=0)
BIG = Value(1e300, label="big")


def case(expected, call, id):
    return pytest.param(expected, call, id=id)


WRONG_TYPES = [
    case(TypeError, lambda: MLP(2.0, [2]), "MLP nin a float"),
    case(TypeError, lambda: MLP(2, 3), "MLP nouts not a list"),
    case(TypeError, lambda: MLP(2, [2], activation=1), "MLP activation not a str"),
    case(TypeError, lambda: Neuron(0.5, 0.1), "Neuron weights not a list"),
    case(TypeError, lambda: Neuron([0.5], "0.1"), "Neuron bias a str"),
    case(TypeError, lambda: Layer([[1.0]], [None]), "Layer bias None"),
    case(TypeError, lambda: NET(0.5), "MLP called on a number"),
    case(TypeError, lambda: article_network(x=0.5), "article_network x not a list"),
    case(TypeError, lambda: SGD(Value(1.0), 0.1), "SGD params a Value"),
    case(TypeError, lambda: SGD([1.0], 0.1), "SGD param a number"),
    case(TypeError, lambda: SGD([Value(1.0)], "0.1"), "SGD lr a str"),
    case(TypeError, lambda: train(NET, two_clouds(4), epochs=1.0, batch_size=2, lr=1.0),
         "train epochs a float"),
    case(TypeError, lambda: train(NET, 4, epochs=1, batch_size=2, lr=1.0), "train data a number"),
    case(TypeError, lambda: train("net", two_clouds(4), epochs=1, batch_size=2, lr=1.0),
         "train net a str"),
    case(TypeError, lambda: two_clouds(4.0), "two_clouds n a float"),
    case(TypeError, lambda: mse(0.5, [1.0]), "mse outputs a number"),
    case(TypeError, lambda: mse([0.5], 1.0), "mse targets a number"),
    case(TypeError, lambda: mse([0.5], ["1"]), "mse target a str"),
    case(TypeError, lambda: batch_cost([0.5]), "batch_cost of a number"),
    case(TypeError, lambda: batch_cost(Value(0.5)), "batch_cost of one Value"),
    case(TypeError, lambda: accuracy(0.5, [[1.0]]), "accuracy outputs a number"),
    case(TypeError, lambda: accuracy([0.5], [[1.0]]), "accuracy output vector a number"),
    case(TypeError, lambda: predicted_class([0.5, "a"]), "predicted_class entry a str"),
    case(TypeError, lambda: layer_sizes([[[1.0]]], 0.0), "layer_sizes biases a number"),
    case(TypeError, lambda: positive_int("3", "n"), "positive_int of a str"),
    case(TypeError, lambda: real(None, "x"), "real of None"),
    case(TypeError, lambda: backprop([[[1.0]]], [[0.0]], [None], [0.0]), "backprop x entry None"),
    case(TypeError, lambda: parse(3), "parse a number"),
    case(TypeError, lambda: parse_bindings(3), "parse_bindings a number"),
    case(TypeError, lambda: viz.draw_dot(1.0), "draw_dot of a number"),
    case(TypeError, lambda: viz.draw_dot(BIG, rankdir=1), "draw_dot rankdir a number"),
    case(TypeError, lambda: viz.draw_dot(BIG, max_nodes="9"), "draw_dot max_nodes a str"),
    case(TypeError, lambda: viz.draw_dot(BIG, highlight=1.0), "draw_dot highlight a number"),
]

WRONG_VALUES = [
    case(ValueError, lambda: MLP(0, [2]), "MLP nin 0"),
    case(ValueError, lambda: MLP(2, []), "MLP nouts empty"),
    case(ValueError, lambda: MLP(2, [2], activation="Sigmoid"), "MLP activation unknown"),
    case(ValueError, lambda: Neuron([], 0.1), "Neuron without weights"),
    case(ValueError, lambda: NET([0.5]), "MLP called on too few inputs"),
    case(ValueError, lambda: article_network(weights=[[[1.0]]], biases=[[0.0]]),
         "article_network not 2-3-2"),
    case(ValueError, lambda: SGD([Value(1.0)], 0), "SGD lr 0"),
    case(ValueError, lambda: SGD([Value(1.0) * 2], 0.1), "SGD param an inner node"),
    case(ValueError, lambda: train(NET, [], epochs=1, batch_size=2, lr=1.0), "train on no data"),
    case(ValueError, lambda: train(NET, two_clouds(4), epochs=0, batch_size=2, lr=1.0),
         "train epochs 0"),
    case(ValueError, lambda: two_clouds(0), "two_clouds n 0"),
    case(ValueError, lambda: mse([0.5], [1.0, 0.0]), "mse lengths differ"),
    case(ValueError, lambda: binary_cross_entropy([0.5], [2.0]), "bce target above 1"),
    case(ValueError, lambda: batch_cost([]), "batch_cost of nothing"),
    case(ValueError, lambda: accuracy([], []), "accuracy of nothing"),
    case(ValueError, lambda: predicted_class([]), "predicted_class of nothing"),
    case(ValueError, lambda: layer_sizes([], []), "layer_sizes without layers"),
    case(ValueError, lambda: positive_int(0, "n"), "positive_int of 0"),
    case(ValueError, lambda: real(float("nan"), "x"), "real of nan"),
    case(ValueError, lambda: backprop([[[1.0]]], [[0.0]], [1.0, 2.0], [0.0]),
         "backprop x too long"),
    case(ExpressionError, lambda: parse("a.b"), "parse an attribute"),
    case(ExpressionError, lambda: parse_bindings("a=x"), "parse_bindings a non-number"),
    case(BindingError, lambda: bind(parse("a"), {}), "bind without a value"),
    case(ValueError, lambda: viz.draw_dot(BIG, rankdir="up"), "draw_dot rankdir unknown"),
    case(ValueError, lambda: viz.draw_dot(BIG, highlight="nobody"), "draw_dot highlight unknown"),
    case(viz.GraphTooLarge, lambda: viz.draw_dot(BIG * 2, max_nodes=1), "draw_dot too large"),
    case(ValueError, lambda: viz.render(BIG, "big.gif"), "render an unknown suffix"),
    case(FileNotFoundError, lambda: viz.render(BIG, "missing/big.dot"),
         "render into a missing directory"),
    case(FileNotFoundError, lambda: draw("missing/demo.svg"), "demo draw into a missing directory"),
    case(viz.RendererNotFound, lambda: viz.find_renderer({"TINYGRAD_BP_DOT": "no-such-dot"}),
         "find_renderer of a missing executable"),
]

ARITHMETIC = [
    case(OverflowError, lambda: backprop([[[1e308, 1e308]]], [[0.0]], [10.0, 10.0], [0.0]),
         "backprop z overflows"),
    case(OverflowError, lambda: _diverging_step(), "SGD step diverges"),
]


def _diverging_step():
    w = Value(1e308, label="w")
    w.grad = -1e308
    SGD([w], lr=10.0).step()


@pytest.mark.parametrize("expected, call", WRONG_TYPES)
def test_a_wrong_type_is_a_type_error_of_ours(expected, call, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(expected) as raised:
        call()
    assert isinstance(raised.value, TinygradBPError) and not isinstance(raised.value, ValueError)


@pytest.mark.parametrize("expected, call", WRONG_VALUES)
def test_a_wrong_value_is_a_value_error_of_ours(expected, call, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(expected) as raised:
        call()
    assert isinstance(raised.value, TinygradBPError) and not isinstance(raised.value, TypeError)


@pytest.mark.parametrize("expected, call", ARITHMETIC)
def test_an_arithmetic_failure_is_an_error_of_ours(expected, call):
    with pytest.raises(expected) as raised:
        call()
    assert isinstance(raised.value, TinygradBPError)


@pytest.mark.parametrize("ours, builtin", [(BPTypeError, TypeError), (BPValueError, ValueError),
                                           (BPOverflowError, OverflowError),
                                           (BPZeroDivisionError, ZeroDivisionError),
                                           (BPFileNotFoundError, FileNotFoundError)])
def test_each_error_of_ours_is_caught_by_its_builtin_and_by_the_base(ours, builtin):
    assert issubclass(ours, builtin) and issubclass(ours, TinygradBPError)
