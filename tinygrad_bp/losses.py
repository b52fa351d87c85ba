"""Costs: what training minimises, as `Value`s labelled `C` so that `C.backward()` works.

For one sample x with network outputs a = a^L(x) and targets y = y(x):

- `mse`: the article's quadratic cost  C_x = ½ Σ_j (y_j − a_j)²;
- `binary_cross_entropy`:  C_x = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)].

Both sum over the output neurons j, as Nielsen does. Over a batch of m samples the
cost is the average C = (1/m) Σ_x C_x (`batch_cost`), so that ∂C/∂w = (1/m) Σ_x ∂C_x/∂w,
the averaged gradient that a mini-batch step follows.
"""

from __future__ import annotations

import math
from typing import List, Sequence, Tuple

from tinygrad_bp.engine import Operand, Value, describe
from tinygrad_bp.errors import BPTypeError, BPValueError
from tinygrad_bp.layout import check_list, floats, real
from tinygrad_bp.ops import OPS

# NOTE: a probability that is not the output of a sigmoid node is clamped into
# [EPSILON, 1 − EPSILON] before its log is taken, so ln never sees 0.
EPSILON = 1e-12


def mse(outputs: Sequence[Operand], targets: Sequence[float]) -> Value:
    """The quadratic cost of one sample, C = ½ Σ_j (y_j − a_j)², labelled `C`.

    ∂C/∂a_j = a_j − y_j, the ∇_a C of the article's BP1. A target may also be a Value
    (then C is a function of it too, ∂C/∂y_j = y_j − a_j), as when `compile` traces a
    cost whose targets are arguments.

        >>> C = mse([Value(0.75), Value(0.77)], [0.01, 0.99]); C.label, round(C.data, 6)
        ('C', 0.298)
    """
    outputs, targets = _check_pair(outputs, targets, "mse", value_targets=True)
    return _labelled(squared_error(outputs, targets))


def squared_error(outputs: Sequence[Operand], targets: Sequence[Operand]) -> Operand:
    """½ Σ_j (y_j − a_j)², the formula of `mse`, on plain floats or on Values alike.

    Unchecked and unlabelled: `mse` is the checked cost. On floats it gives exactly
    `mse(outputs, targets).data`, as every operation is the same float operation.
    """
    return _total([(a - y) ** 2 for a, y in zip(outputs, targets)]) * 0.5


def binary_cross_entropy(outputs: Sequence[Operand], targets: Sequence[float]) -> Value:
    """The cross-entropy of one sample, C = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)].

    Targets must lie in [0, 1] and outputs are probabilities. C is labelled `C`
    and stays finite for every output, however close to 0 or 1:

    - when a_j is a sigmoid node, a_j = σ(z_j), its term is computed from the logit
      z_j, as softplus(z_j) − y_j z_j with softplus(z) = ln(1 + e^z) evaluated
      without overflow. That is the same number, finite for every z, with the exact
      gradient ∂C/∂z_j = σ(z_j) − y_j; the term is one node (op "bce") whose parent is
      z_j, so in a graph C reaches z_j directly rather than through a_j;
    - any other output is clamped into [ε, 1 − ε] with ε = `EPSILON` = 1e-12 (no
      gradient flows through a clamped output).

        >>> z = Value(40.0); C = binary_cross_entropy([z.sigmoid()], [0.0])
        >>> round(C.data, 9)        # ln(1 + e^40); σ(40) is 1.0 in floating point
        40.0
    """
    outputs, targets = _check_pair(outputs, targets, "binary_cross_entropy")
    for j, y in enumerate(targets):
        if not 0.0 <= y <= 1.0:
            raise BPValueError(f"binary_cross_entropy: targets[{j}] = {y} is not in [0, 1]")
    return _labelled(_total([_cross_entropy(a, y) for a, y in zip(outputs, targets)]))


def batch_cost(costs: Sequence[Value]) -> Value:
    """The cost of a batch of m samples, C = (1/m) Σ_x C_x, labelled `C`.

    The per-sample costs are relabelled `C_1 .. C_m`, so a graph of the batch keeps
    them apart. By linearity ∂C/∂w = (1/m) Σ_x ∂C_x/∂w: one `backward()` of the batch
    cost gives every parameter the gradient averaged over the batch.
    """
    check_list(costs, "batch_cost: costs", "the per-sample cost Values")
    if len(costs) == 0:
        raise BPValueError("batch_cost of no samples: give at least one per-sample cost")
    for i, c in enumerate(costs, start=1):
        if not isinstance(c, Value):
            raise BPTypeError(f"batch_cost takes per-sample cost Values, got "
                              f"{type(c).__name__} {c!r} at position {i}")
    for i, c in enumerate(costs, start=1):
        c.label = f"C_{i}"
    return _labelled(mean(costs))


def mean(costs: Sequence[Operand]) -> Operand:
    """(1/m) Σ_x C_x, the formula of `batch_cost`, on plain floats or on Values alike."""
    return _total(costs) / len(costs)


# --- helpers

def _cross_entropy(a: Value, y: float) -> Value:
    """One output's term −[y ln a + (1 − y) ln(1 − a)]."""
    if a.kind is OPS["sigmoid"]:
        z = a.parents[0].data
        softplus = max(z, 0.0) + math.log1p(math.exp(-abs(z)))     # ln(1 + e^z)
        return Value(softplus - y * z, parents=a.parents, local_grads=(a.data - y,), op="bce")
    if not 0.0 <= a.data <= 1.0:
        raise BPValueError(f"binary_cross_entropy: output {describe(a)} is not a probability "
                           f"in [0, 1]")
    clamped = min(max(a.data, EPSILON), 1.0 - EPSILON)
    if clamped != a.data:
        a = Value(clamped, parents=(a,), local_grads=(0.0,), op="clamp")
    return -(y * a.log() + (1.0 - y) * (1.0 - a).log())


def _check_pair(outputs: Sequence[Operand], targets: Sequence[Operand], name: str,
                value_targets: bool = False) -> Tuple[List[Value], List[Operand]]:
    """Outputs as Values and targets as floats (or kept as Values, with `value_targets`),
    of the same non-zero length."""
    check_list(outputs, f"{name}: outputs", "Values or numbers, one per output neuron")
    if value_targets and isinstance(targets, (list, tuple)) and any(
            isinstance(y, Value) for y in targets):
        targets = [y if isinstance(y, Value) else real(y, f"targets[{j}]")
                   for j, y in enumerate(targets)]
    else:
        targets = floats(targets, None, "targets")
    if len(outputs) == 0:
        raise BPValueError(f"{name}: no outputs given")
    if len(outputs) != len(targets):
        raise BPValueError(f"{name}: {len(outputs)} outputs but {len(targets)} targets; "
                           f"give one target per output")
    return [a if isinstance(a, Value) else Value(a) for a in outputs], targets


def _total(terms: Sequence[Operand]) -> Operand:
    """Σ terms, starting from the first term rather than from 0 (no `+ 0` node)."""
    return sum(terms[1:], terms[0])


def _labelled(cost: Value) -> Value:
    cost.label = "C"
    return cost
