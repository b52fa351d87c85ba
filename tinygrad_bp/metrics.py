"""Metrics: numbers that describe how well a network does, reported but never optimised.

Training can only follow the gradient of the cost (`tinygrad_bp.losses`); a metric such
as accuracy is a step function of the outputs with no useful gradient, so it is
computed from the outputs' data and returned as a plain float (the article's section 4).
"""

from __future__ import annotations

from typing import Sequence

from tinygrad_bp.engine import Operand, Value


def accuracy(outputs: Sequence[Sequence[Operand]], targets: Sequence[Sequence[float]]) -> float:
    """The fraction of samples whose predicted class is the target class, in [0, 1].

    A metric is reported, not optimised, so this returns a plain float, never a Value.
    `outputs[i]` and `targets[i]` are the output and target vectors of sample i;
    each vector's class is given by `predicted_class`.

        >>> accuracy([[0.9, 0.2], [0.4, 0.3], [0.1, 0.8]], [[1, 0], [0, 1], [0, 1]])
        0.6666666666666666
    """
    if len(outputs) == 0:
        raise ValueError("accuracy of no samples: give at least one output")
    if len(outputs) != len(targets):
        raise ValueError(f"accuracy: {len(outputs)} outputs but {len(targets)} targets; "
                         f"give one target vector per sample")
    hits = 0
    for i, (output, target) in enumerate(zip(outputs, targets)):
        if len(output) != len(target):
            raise ValueError(f"accuracy: sample {i} has {len(output)} outputs but "
                             f"{len(target)} targets")
        hits += predicted_class(output) == predicted_class(target)
    return hits / len(outputs)


def predicted_class(vector: Sequence[Operand]) -> int:
    """The class a vector stands for: the index of its largest entry (the first on a
    tie), or, for a single entry, 1 when it is at least 0.5 and 0 otherwise.

        >>> predicted_class([0.2, 0.7]), predicted_class([0.7])
        (1, 1)
    """
    data = [v.data if isinstance(v, Value) else v for v in vector]
    if len(data) == 0:
        raise ValueError("predicted_class of an empty vector")
    if len(data) == 1:
        # NOTE: an output of exactly 0.5 counts as class 1.
        return int(data[0] >= 0.5)
    return max(range(len(data)), key=data.__getitem__)
