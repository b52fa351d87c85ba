"""Errors: a wrong type is a TypeError, a wrong value a ValueError, and every error of ours
also derives from `tinygrad_bp.TinygradBPError`, at every public entry point."""

import importlib
import inspect
import os
import pkgutil

import pytest

import tinygrad_bp
from tinygrad_bp import (TinygradBPError, Value, check, compile, explain, grad, gradcheck,
                         numerical_grad, value_and_grad, viz)
from tinygrad_bp.backprop import backprop
from tinygrad_bp.data import two_clouds
from tinygrad_bp.demo import draw
from tinygrad_bp.engine import find
from tinygrad_bp.errors import (BPFileNotFoundError, BPOverflowError, BPPermissionError,
                                BPTypeError, BPValueError, BPZeroDivisionError)
from tinygrad_bp.expr import BindingError, ExpressionError, bind, parse, parse_bindings
from tinygrad_bp.layout import layer_sizes, positive_int, real
from tinygrad_bp.losses import batch_cost, binary_cross_entropy, mse
from tinygrad_bp.metrics import accuracy, predicted_class
from tinygrad_bp.nn import MLP, Layer, Neuron, article_network
from tinygrad_bp.optim import SGD
from tinygrad_bp.train import train

NET = MLP(2, [2], seed=0)
BIG = Value(1e300, label="big")
Y = Value(2.0, label="x") * Value(3.0, label="w")


def square(x):
    return x * x


def case(expected, call, id):
    return pytest.param(expected, call, id=id)


WRONG_TYPES = [
    case(TypeError, lambda: Value("1.0"), "Value of a str"),
    case(TypeError, lambda: Value(1.0, label=3), "Value labelled by a number"),
    case(TypeError, lambda: Value(1.0, parents=(1.0,), local_grads=(1.0,)), "a parent a number"),
    case(TypeError, lambda: BIG * "2", "a Value times a str"),
    case(TypeError, lambda: find(Y, [3]), "find of a number"),
    case(TypeError, lambda: compile(3.0), "compile of a number"),
    case(TypeError, lambda: compile(square, "1"), "compile at a str"),
    case(TypeError, lambda: compile(lambda v: v[0], [1.0])(1.0), "compiled list given a number"),
    case(TypeError, lambda: viz.draw_network(3.0), "draw_network of a number"),
    case(TypeError, lambda: viz.draw_network(NET, highlight=1.0),
         "draw_network highlight a number"),
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
    case(TypeError, lambda: parse("a").evaluate(["a"]), "evaluate of a list"),
    case(TypeError, lambda: bind("a", {"a": 1.0}), "bind of a str"),
    case(TypeError, lambda: bind(parse("a"), 1.0), "bind of a number"),
    case(TypeError, lambda: viz.render(BIG, 3), "render to a number"),
    case(TypeError, lambda: viz.draw_dot(1.0), "draw_dot of a number"),
    case(TypeError, lambda: viz.draw_dot(BIG, rankdir=1), "draw_dot rankdir a number"),
    case(TypeError, lambda: viz.draw_network(NET, rankdir=1), "draw_network rankdir a number"),
    case(TypeError, lambda: viz.draw_dot(BIG, max_nodes="9"), "draw_dot max_nodes a str"),
    case(TypeError, lambda: viz.draw_dot(BIG, highlight=1.0), "draw_dot highlight a number"),
    case(TypeError, lambda: grad(3.0), "grad of a number"),
    case(TypeError, lambda: value_and_grad(square, argnums="0")(1.0), "argnums a str"),
    case(TypeError, lambda: grad(lambda x: 1.0)(2.0), "grad of a function returning a float"),
    case(TypeError, lambda: numerical_grad(square, "1"), "numerical_grad at a str"),
    case(TypeError, lambda: numerical_grad(square, 1.0, eps="small"), "numerical_grad eps a str"),
    case(TypeError, lambda: gradcheck(square, 1.0, rtol=None), "gradcheck rtol None"),
    case(TypeError, lambda: gradcheck(square, 1.0, names=[1]), "gradcheck names not strs"),
    case(TypeError, lambda: explain(1.0, "x"), "explain of a number"),
    case(TypeError, lambda: explain(Y, 1), "explain of a node given as a number"),
    case(TypeError, lambda: explain(Y, "x", max_paths=1.5), "explain max_paths a float"),
    case(TypeError, lambda: check(Y, 3.0), "check of a number instead of a dict"),
    case(TypeError, lambda: check(Y, {"x": [3.0]}), "check of an expected list"),
]

WRONG_VALUES = [
    case(ValueError, lambda: Value(float("nan")), "Value of nan"),
    case(ValueError, lambda: check(Y, {"x": "three"}), "check of an expected str not a number"),
    case(ValueError, lambda: Value(1.0, parents=(BIG,), local_grads=()), "one local_grad short"),
    case(ValueError, lambda: Value(-1.0).log(), "log of a negative number"),
    case(ValueError, lambda: Value(-2.0) ** Value(0.5), "a negative base to a Value exponent"),
    case(ValueError, lambda: compile(lambda v: v[0], [1.0])([1.0, 2.0]), "compiled list too long"),
    case(ValueError, lambda: viz.draw_network(NET, y=[1.0, 0.0]), "draw_network y without x"),
    case(ValueError, lambda: viz.draw_network(NET, highlight="w99"),
         "draw_network highlight unknown"),
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
    case(ValueError, lambda: viz.draw_network(NET, rankdir="up"), "draw_network rankdir unknown"),
    case(ValueError, lambda: viz.draw_dot(BIG, highlight="nobody"), "draw_dot highlight unknown"),
    case(viz.GraphTooLarge, lambda: viz.draw_dot(BIG * 2, max_nodes=1), "draw_dot too large"),
    case(ValueError, lambda: viz.render(BIG, "big.gif"), "render an unknown suffix"),
    case(ValueError, lambda: viz.render_timeout({"TINYGRAD_BP_RENDER_TIMEOUT": "soon"}),
         "render_timeout not a number"),
    case(viz.RendererNotFound, lambda: viz.find_renderer({"TINYGRAD_BP_DOT": "no-such-dot"}),
         "find_renderer of a missing executable"),
    case(ValueError, lambda: value_and_grad(square, argnums=3)(1.0), "argnums out of range"),
    case(ValueError, lambda: numerical_grad(square, 1.0, eps=0.0), "numerical_grad eps 0"),
    case(ValueError, lambda: gradcheck(square, 1.0, atol=-1.0), "gradcheck atol negative"),
    case(ValueError, lambda: gradcheck(square, 1.0, names=["a", "b"]), "gradcheck two names"),
    case(ValueError, lambda: explain(Y, BIG), "explain of a node outside the graph"),
    case(ValueError, lambda: explain(Y, "x", max_paths=0), "explain max_paths 0"),
    case(ValueError, lambda: check(Y, {"x": float("nan")}), "check of an expected nan"),
]

FILES = [
    case(FileNotFoundError, lambda: viz.render(BIG, "missing/big.dot"),
         "render into a missing directory"),
    case(FileNotFoundError, lambda: draw("missing/demo.svg"), "demo draw into a missing directory"),
    case(NotADirectoryError, lambda: _render_below_a_file(), "render below a file"),
    case(IsADirectoryError, lambda: _render_onto_a_directory(), "render onto a directory"),
]

LOOKUPS = [
    case(LookupError, lambda: find(Y, ["nobody"]), "find of an unknown label"),
    case(LookupError, lambda: explain(Y, "nobody"), "explain of an unknown label"),
    case(LookupError, lambda: check(Y, {"nobody": 1.0}), "check of an unknown label"),
]

FAILED_CHECKS = [
    case(AssertionError, lambda: gradcheck(lambda x: Value(x.data ** 2, parents=(x,),
                                                             local_grads=(0.0,)),
                                           1.0, raise_on_failure=True),
         "gradcheck of a wrong derivative"),
]

ARITHMETIC = [
    case(OverflowError, lambda: Value(1000.0).exp(), "exp overflows"),
    case(OverflowError, lambda: BIG * BIG, "a product overflows"),
    case(ZeroDivisionError, lambda: BIG / 0, "division by the number 0"),
    case(ZeroDivisionError, lambda: Value(0.0) ** -1, "0 to a negative power"),
    case(OverflowError, lambda: backprop([[[1e308, 1e308]]], [[0.0]], [10.0, 10.0], [0.0]),
         "backprop z overflows"),
    case(OverflowError, lambda: _diverging_step(), "SGD step diverges"),
]


def _render_below_a_file():
    open("file.dot", "w").close()
    viz.render(BIG, "file.dot/big.dot")


def _render_onto_a_directory():
    os.mkdir("big.dot")
    viz.render(BIG, "big.dot")


def _diverging_step():
    w = Value(1e308, label="w")
    w.grad = -1e308
    SGD([w], lr=10.0).step()


@pytest.fixture(autouse=True)
def in_a_temporary_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)             # render and draw write files


def raised(call, expected):
    """The error `call()` raises, after checking that it is an `expected`."""
    with pytest.raises(expected) as info:
        call()
    return info.value


@pytest.mark.parametrize("expected, call", WRONG_TYPES)
def test_a_wrong_type_is_a_type_error_of_ours(expected, call):
    error = raised(call, expected)
    assert isinstance(error, TinygradBPError) and not isinstance(error, ValueError)


@pytest.mark.parametrize("expected, call", WRONG_VALUES)
def test_a_wrong_value_is_a_value_error_of_ours(expected, call):
    error = raised(call, expected)
    assert isinstance(error, TinygradBPError) and not isinstance(error, TypeError)


@pytest.mark.parametrize("expected, call", ARITHMETIC + FILES + LOOKUPS + FAILED_CHECKS)
def test_other_failures_are_errors_of_ours(expected, call):
    assert isinstance(raised(call, expected), TinygradBPError)


@pytest.mark.parametrize("ours, builtin", [(BPTypeError, TypeError), (BPValueError, ValueError),
                                           (BPOverflowError, OverflowError),
                                           (BPZeroDivisionError, ZeroDivisionError),
                                           (BPFileNotFoundError, FileNotFoundError),
                                           (BPPermissionError, PermissionError)])
def test_each_error_of_ours_is_caught_by_its_builtin_and_by_the_base(ours, builtin):
    assert issubclass(ours, builtin) and issubclass(ours, TinygradBPError)


def error_classes():
    """Every error class (Exception) defined in a module of the package or of viz; a
    BaseException that is no Exception (viz's Terminated, SIGTERM's) is a signal, not an
    error, and is left out."""
    modules = [info.name for package in (tinygrad_bp, viz)
               for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
               if not info.name.endswith("__main__")]
    found = {}
    for name in modules:
        for _, cls in inspect.getmembers(importlib.import_module(name), inspect.isclass):
            if issubclass(cls, Exception) and cls.__module__.startswith("tinygrad_bp."):
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


ERROR_CLASSES = error_classes()


def test_the_package_defines_error_classes_to_check():
    assert {"tinygrad_bp.errors.BPValueError", "tinygrad_bp.viz.dot.GraphTooLarge",
            "tinygrad_bp.expr.ExpressionError"} <= set(ERROR_CLASSES)


@pytest.mark.parametrize("cls", list(ERROR_CLASSES.values()), ids=list(ERROR_CLASSES))
def test_every_error_class_of_the_package_derives_from_the_base(cls):
    assert issubclass(cls, TinygradBPError)
