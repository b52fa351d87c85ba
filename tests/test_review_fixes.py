"""Edge cases found in review: each was a silent wrong answer or an unnamed error."""

import math

import pytest

from tinygrad_bp import Value, compile
from tinygrad_bp.backprop import backprop, sigmoid_prime
from tinygrad_bp.layout import real
from tinygrad_bp.losses import batch_cost


def test_compiled_replay_takes_ints_as_floats_like_the_engine():
    step = compile(lambda x, y: x * x / y, 3.0, 1.0)
    big = 2 ** 53 + 1
    out, grads = step(big, 3)
    x, y = Value(big), Value(3)
    eager = x * x / y
    eager.backward()
    assert type(out) is float
    assert out == eager.data
    assert grads == (x.grad, y.grad)


def test_compiled_replay_names_an_int_too_large_for_a_float():
    step = compile(lambda x: x * 2.0, 1.0)
    with pytest.raises(ValueError, match="argument 0"):
        step(10 ** 400)


def test_backward_names_the_leaf_whose_gradient_overflows():
    x = Value(1e-200, label="x")
    w = (x * 1e200) * 1e200 - 1e200
    w.label = "w"
    with pytest.raises(OverflowError, match=r"∂'w'.*/∂'x'.*overflowed"):
        w.backward()


def test_layout_names_an_int_too_large_for_a_float():
    with pytest.raises(ValueError, match="weights\\[0\\] must be finite as a float"):
        real(10 ** 400, "weights[0]")


def test_sigmoid_prime_keeps_its_digits_when_saturated():
    expected = math.exp(-40.0) / (1.0 + math.exp(-40.0)) ** 2
    assert sigmoid_prime(40.0) == pytest.approx(expected, rel=1e-15)
    engine = Value(40.0)
    engine.sigmoid().backward()
    assert sigmoid_prime(40.0) == pytest.approx(engine.grad, rel=1e-15)


def test_backprop_names_an_overflowing_layer():
    with pytest.raises(OverflowError, match="z of layer 1 overflows"):
        backprop([[[1e308, 1e308]]], [[0.0]], [1e10, 1e10], [1.0])


def test_batch_cost_relabels_nothing_when_an_entry_is_bad():
    first = Value(1.0, label="mine")
    with pytest.raises(TypeError, match="position 2"):
        batch_cost([first, 2.0])
    assert first.label == "mine"
