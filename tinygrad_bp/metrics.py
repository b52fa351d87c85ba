"""Metrics: numbers that describe how well a network does, reported but never optimised.

Training can only follow the gradient of the cost (`tinygrad_bp.losses`); a metric such
as accuracy is a step function of the outputs with no useful gradient, so it is
computed from the outputs' data and returned as a plain float (the article's section 4).
"""

from __future__ import annotations

from typing import Sequence

from tinygrad_bp.engine import Operand, Value
from tinygrad_bp.errors import BPValueError
from tinygrad_bp.layout import check_list, real


def accuracy(outputs: Sequence[Sequence[Operand]], targets: Sequence[Sequence[float]]) -> float:
    """The fraction of samples whose predicted class is the target class, in [0, 1].

    A metric is reported, not optimised, so this returns a plain float, never a Value.
    `outputs[i]` and `targets[i]` are the output and target vectors of sample i;
    each vector's class is given by `predicted_class`.

        >>> accuracy([[0.9, 0.2], [0.4, 0.3], [0.1, 0.8]], [[1, 0], [0, 1], [0, 1]])
        0.6666666666666666
    """
    check_list(outputs, "accuracy: outputs", "one output vector per sample")
    check_list(targets, "accuracy: targets", "one target vector per sample")
    if len(outputs) == 0:
        raise BPValueError("accuracy of no samples: give at least one output")
    if len(outputs) != len(targets):
        raise BPValueError(f"accuracy: {len(outputs)} outputs but {len(targets)} targets; "
                           f"give one target vector per sample")
    hits = 0
    for i, (output, target) in enumerate(zip(outputs, targets)):
        check_list(output, f"accuracy: outputs[{i}]", "the output vector of a sample")
        check_list(target, f"accuracy: targets[{i}]", "the target vector of a sample")
        if len(output) != len(target):
            raise BPValueError(f"accuracy: sample {i} has {len(output)} outputs but "
                               f"{len(target)} targets")
        hits += predicted_class(output) == predicted_class(target)
    return hits / len(outputs)


def predicted_class(vector: Sequence[Operand]) -> int:
    """The class a vector stands for: the index of its largest entry (the first on a
    tie), or, for a single entry, 1 when it is at least 0.5 and 0 otherwise.

        >>> predicted_class([0.2, 0.7]), predicted_class([0.7])
        (1, 1)
    """
    check_list(vector, "predicted_class: the vector", "Values or numbers")
    data = [v.data if isinstance(v, Value) else real(v, f"predicted_class: entry {i}")
            for i, v in enumerate(vector)]
    if len(data) == 0:
        raise BPValueError("predicted_class of an empty vector")
    if len(data) == 1:
        # NOTE: an output of exactly 0.5 counts as class 1.
        return int(data[0] >= 0.5)
    return max(range(len(data)), key=data.__getitem__)
