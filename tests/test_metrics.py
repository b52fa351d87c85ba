"""Metrics: reported as plain floats, never optimised."""

import pytest

from tinygrad_bp.engine import Value
from tinygrad_bp.metrics import accuracy, predicted_class


def test_accuracy_is_the_fraction_of_matching_classes():
    outputs = [[0.9, 0.1], [0.2, 0.7], [0.6, 0.4], [0.3, 0.35]]
    targets = [[1, 0], [0, 1], [0, 1], [0, 1]]
    assert accuracy(outputs, targets) == 0.75


def test_accuracy_of_values_is_a_plain_float():
    result = accuracy([[Value(0.9), Value(0.1)]], [[1.0, 0.0]])
    assert type(result) is float and result == 1.0


def test_accuracy_of_one_output_thresholds_at_one_half():
    assert accuracy([[0.49], [0.5], [0.8]], [[0], [1], [0]]) == pytest.approx(2 / 3)


def test_predicted_class_takes_the_first_of_tied_maxima():
    assert predicted_class([0.3, 0.7, 0.7]) == 1


def test_accuracy_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"accuracy: 2 outputs but 1 targets"):
        accuracy([[1, 0], [0, 1]], [[1, 0]])


def test_accuracy_vector_length_mismatch_names_the_sample():
    with pytest.raises(ValueError, match=r"accuracy: sample 1 has 2 outputs but 3 targets"):
        accuracy([[1, 0], [0, 1]], [[1, 0], [0, 0, 1]])


def test_accuracy_of_no_samples_is_an_error():
    with pytest.raises(ValueError, match=r"accuracy of no samples"):
        accuracy([], [])


def test_predicted_class_of_an_empty_vector_is_an_error():
    with pytest.raises(ValueError, match=r"predicted_class of an empty vector"):
        predicted_class([])
