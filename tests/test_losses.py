"""Costs: values, gradients (against central differences and by hand), labels and errors."""

import math
import random

import pytest

from tinygrad_bp.engine import Value
from tinygrad_bp.losses import (EPSILON, batch_cost, binary_cross_entropy, mean, mse,
                                 squared_error)

from helpers import central_difference


def bce_by_hand(a, y):
    return -(y * math.log(a) + (1 - y) * math.log(1 - a))


# --- mse

def test_mse_is_half_the_sum_of_squared_errors_labelled_C():
    C = mse([Value(0.75), Value(0.25)], [1.0, 0.0])
    assert C.label == "C"
    assert C.data == pytest.approx(0.5 * (0.25 ** 2 + 0.25 ** 2), abs=1e-15)


def test_mse_gradient_is_output_minus_target():
    outputs = [Value(0.8), Value(0.3), Value(-0.1)]
    targets = [0.01, 0.99, 0.5]
    mse(outputs, targets).backward()
    assert [a.grad for a in outputs] == pytest.approx([a.data - y for a, y in zip(outputs, targets)],
                                                      abs=1e-15)


def test_mse_gradient_matches_central_differences():
    a = Value(0.3)
    mse([a, Value(0.6)], [0.9, 0.2]).backward()
    numeric = central_difference(lambda t: mse([Value(t), Value(0.6)], [0.9, 0.2]).data, 0.3)
    assert a.grad == pytest.approx(numeric, abs=1e-8)


def test_mse_of_one_output_is_a_value():
    C = mse([Value(0.5)], [1.0])
    assert isinstance(C, Value) and C.data == 0.125


def test_mse_accepts_plain_numbers_as_outputs():
    assert mse([0.5, 0.5], [1, 0]).data == 0.25


def test_mse_length_mismatch_is_an_error_naming_both_lengths():
    with pytest.raises(ValueError, match=r"mse: 2 outputs but 3 targets; give one target per output"):
        mse([Value(0.1), Value(0.2)], [0, 1, 0])


def test_mse_of_no_outputs_is_an_error():
    with pytest.raises(ValueError, match=r"mse: no outputs given"):
        mse([], [])


def test_mse_non_number_target_is_an_error_naming_it():
    with pytest.raises(TypeError, match=r"targets\[1\] must be a real number, got str"):
        mse([Value(0.1), Value(0.2)], [0, "1"])


def test_mse_with_value_targets_is_differentiable_in_the_targets_too():
    a, y = Value(0.8), Value(0.3)
    C = mse([a], [y])
    C.backward()
    assert C.data == 0.5 * (0.8 - 0.3) ** 2
    assert (a.grad, y.grad) == (0.8 - 0.3, 0.3 - 0.8)


def test_mse_with_value_targets_gives_the_numbers_of_float_targets():
    outputs, targets = [0.8, 0.3, -0.1], [0.01, 0.99, 0.5]
    folded = [Value(a) for a in outputs]
    traced = [Value(a) for a in outputs]
    C_folded, C_traced = mse(folded, targets), mse(traced, [Value(y) for y in targets])
    C_folded.backward()
    C_traced.backward()
    assert C_traced.data == C_folded.data
    assert [a.grad for a in traced] == [a.grad for a in folded]


def test_squared_error_on_floats_is_exactly_mse():
    rng = random.Random(3)
    for _ in range(200):
        n = rng.randint(1, 4)
        outputs = [rng.uniform(-3, 3) for _ in range(n)]
        targets = [rng.uniform(-1, 1) for _ in range(n)]
        assert squared_error(outputs, targets) == mse(outputs, targets).data


def test_mean_on_floats_is_exactly_batch_cost():
    costs = [0.1, 0.7, 0.30000000000000004, 2.5]
    assert mean(costs) == batch_cost([Value(c) for c in costs]).data


# --- binary cross-entropy

def test_bce_of_sigmoid_outputs_equals_the_formula():
    z = [Value(0.4), Value(-1.3)]
    C = binary_cross_entropy([v.sigmoid() for v in z], [1.0, 0.25])
    expected = bce_by_hand(1 / (1 + math.exp(-0.4)), 1.0) + bce_by_hand(1 / (1 + math.exp(1.3)), 0.25)
    assert C.label == "C" and C.data == pytest.approx(expected, abs=1e-14)


def test_bce_of_plain_probabilities_equals_the_formula():
    C = binary_cross_entropy([Value(0.7), Value(0.2)], [1.0, 0.0])
    assert C.data == pytest.approx(bce_by_hand(0.7, 1.0) + bce_by_hand(0.2, 0.0), abs=1e-15)


def test_bce_gradient_through_the_logit_is_sigmoid_minus_target():
    z = Value(0.8)
    binary_cross_entropy([z.sigmoid()], [0.3]).backward()
    assert z.grad == pytest.approx(1 / (1 + math.exp(-0.8)) - 0.3, abs=1e-15)


def test_bce_gradient_through_the_logit_matches_central_differences():
    z = Value(-0.6)
    binary_cross_entropy([z.sigmoid()], [0.9]).backward()
    numeric = central_difference(lambda t: binary_cross_entropy([Value(t).sigmoid()], [0.9]).data, -0.6)
    assert z.grad == pytest.approx(numeric, abs=1e-8)


def test_bce_gradient_of_a_plain_probability_matches_central_differences():
    a = Value(0.35)
    binary_cross_entropy([a], [0.8]).backward()
    numeric = central_difference(lambda t: binary_cross_entropy([Value(t)], [0.8]).data, 0.35)
    assert a.grad == pytest.approx(numeric, abs=1e-7)
    assert a.grad == pytest.approx((0.35 - 0.8) / (0.35 * 0.65), abs=1e-12)


@pytest.mark.parametrize("z", [-800.0, -40.0, 40.0, 800.0])
def test_bce_stays_finite_and_exact_for_saturated_sigmoid_outputs(z):
    logit = Value(z)
    C = binary_cross_entropy([logit.sigmoid()], [1.0])
    C.backward()
    # −ln σ(z) = ln(1 + e^(−z)): about −z for very negative z, about 0 for large z
    assert C.data == pytest.approx(max(-z, 0.0) + math.log1p(math.exp(-abs(z))), rel=1e-15)
    # σ(z) − 1 = −1/(1 + e^z), written so that neither exponent overflows
    expected = -1 / (1 + math.exp(z)) if z <= 0 else -math.exp(-z) / (1 + math.exp(-z))
    assert logit.grad == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("a, y", [(0.0, 1.0), (1.0, 0.0), (0.0, 0.0), (1.0, 1.0)])
def test_bce_of_a_probability_at_0_or_1_is_clamped_to_a_finite_cost(a, y):
    C = binary_cross_entropy([Value(a)], [y])
    clamped = EPSILON if a == 0.0 else 1.0 - EPSILON
    assert math.isfinite(C.data)
    assert C.data == pytest.approx(bce_by_hand(clamped, y), rel=1e-12)


def test_bce_clamped_output_gets_no_gradient():
    a = Value(0.0)
    binary_cross_entropy([a], [1.0]).backward()
    assert a.grad == 0.0


def test_bce_target_outside_0_1_is_an_error():
    with pytest.raises(ValueError, match=r"targets\[1\] = 2.0 is not in \[0, 1\]"):
        binary_cross_entropy([Value(0.5), Value(0.5)], [0.0, 2.0])


def test_bce_output_that_is_not_a_probability_is_an_error_naming_it():
    with pytest.raises(ValueError, match=r"output 'a' \(data=1.5\) is not a probability"):
        binary_cross_entropy([Value(1.5, label="a")], [1.0])


def test_bce_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: 1 outputs but 2 targets"):
        binary_cross_entropy([Value(0.5)], [0.0, 1.0])


# --- batch cost

def test_batch_cost_is_the_mean_of_per_sample_costs_labelled_C():
    costs = [mse([Value(a)], [0.0]) for a in (1.0, 2.0, 3.0)]
    C = batch_cost(costs)
    assert C.label == "C" and C.data == pytest.approx((0.5 + 2.0 + 4.5) / 3, abs=1e-15)
    assert [c.label for c in costs] == ["C_1", "C_2", "C_3"]


def test_batch_cost_gradient_is_the_average_of_per_sample_gradients():
    w = Value(0.7)
    samples = [(1.0, 0.2), (-2.0, 0.5), (0.5, 0.9)]
    batch_cost([mse([w * x], [y]) for x, y in samples]).backward()
    per_sample = [(0.7 * x - y) * x for x, y in samples]
    assert w.grad == pytest.approx(sum(per_sample) / 3, abs=1e-15)


def test_batch_cost_of_no_samples_is_an_error():
    with pytest.raises(ValueError, match=r"batch_cost of no samples"):
        batch_cost([])


def test_batch_cost_refuses_numbers():
    with pytest.raises(TypeError, match=r"batch_cost takes per-sample cost Values, got float"):
        batch_cost([0.5])


def test_batch_cost_relabels_nothing_when_an_entry_is_bad():
    first = Value(1.0, label="mine")
    with pytest.raises(TypeError, match="position 2"):
        batch_cost([first, 2.0])
    assert first.label == "mine"
