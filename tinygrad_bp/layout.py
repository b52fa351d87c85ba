"""Nielsen's matrix layout of a network's parameters, and its validation.

`weights[l][j][k]` is the weight from neuron k of layer l to neuron j of layer
l + 1 (Nielsen's w^(l+1)_jk) and `biases[l][j]` the bias of that neuron j, so that

    z^l = w^l a^(l-1) + b^l,    a^l = σ(z^l),    a^0 = x.

Layers are counted as in the article: layer 0 is the input x, layers 1..L hold
neurons, so `weights[0]` and `biases[0]` belong to layer 1. For the article's 2-3-2
network: `weights[0]` is 3 rows of 2 (w1..w6), `weights[1]` is 2 rows of 3
(w7..w12), `biases` is `[[b1, b2, b3], [b4, b5]]`.

Both the network (`tinygrad_bp.nn`) and the plain-float reference
(`tinygrad_bp.backprop`) read parameters through `layer_sizes`, so a malformed
shape gets the same message everywhere. This module imports only the errors.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import List, Optional, Sequence

from tinygrad_bp.errors import BPTypeError, BPValueError
Matrix = Sequence[Sequence[float]]


def layer_sizes(weights: Sequence[Matrix], biases: Sequence[Sequence[float]]) -> List[int]:
    """The layer sizes [n_0, n_1, ..., n_L] of `weights` / `biases`, after checking them.

    Every row of `weights[l]` must have one entry per neuron of layer l (n_0 = the
    length of the first row), `biases[l]` one entry per row of `weights[l]`, and every
    entry must be a finite real number. Anything else is a ValueError (TypeError for a
    non-number) naming the layer, the neuron and the expected size.

        >>> layer_sizes([[[0.15, 0.2], [0.25, 0.3], [0.35, 0.4]],
        ...              [[0.45, 0.5, 0.55], [0.6, 0.65, 0.7]]],
        ...             [[0.35, 0.35, 0.35], [0.6, 0.6]])
        [2, 3, 2]
    """
    check_list(weights, "weights", "a list of weight matrices, one per layer")
    check_list(biases, "biases", "a list of bias vectors, one per layer")
    if len(weights) == 0:
        raise BPValueError("weights has no layers: give at least one weight matrix")
    if len(biases) != len(weights):
        raise BPValueError(f"weights has {len(weights)} layers but biases has {len(biases)}: "
                           f"give one bias vector per weight matrix")
    for l, (matrix, vector) in enumerate(zip(weights, biases)):
        check_list(matrix, f"weights[{l}]", f"the weight matrix of layer {l + 1}")
        check_list(vector, f"biases[{l}]", f"the bias vector of layer {l + 1}")
        for j, row in enumerate(matrix):
            check_list(row, f"weights[{l}][{j}]", f"the weights into neuron {j + 1} of "
                                                   f"layer {l + 1}")
    if len(weights[0]) == 0 or len(weights[0][0]) == 0:
        raise BPValueError("weights[0] (layer 1) is empty: give at least one neuron with at "
                           "least one input")
    sizes = [len(weights[0][0])]
    for l, (matrix, vector) in enumerate(zip(weights, biases)):
        layer = f"layer {l + 1}"
        if len(matrix) == 0:
            raise BPValueError(f"weights[{l}] ({layer}) has no neurons: give at least one row")
        for j, row in enumerate(matrix):
            if len(row) != sizes[-1]:
                raise BPValueError(f"weights[{l}][{j}] ({layer}, neuron {j + 1}) has {len(row)} "
                                   f"weights; expected {sizes[-1]}, one per neuron of layer {l}")
            for k, w in enumerate(row):
                real(w, f"weights[{l}][{j}][{k}] ({layer}, neuron {j + 1})")
        if len(vector) != len(matrix):
            raise BPValueError(f"biases[{l}] ({layer}) has {len(vector)} biases; expected "
                               f"{len(matrix)}, one per neuron (row of weights[{l}])")
        for j, b in enumerate(vector):
            real(b, f"biases[{l}][{j}] ({layer}, neuron {j + 1})")
        sizes.append(len(matrix))
    return sizes


def check_list(x: object, where: str, meaning: str) -> None:
    """Check that `x` is a list (any sequence but a str); `meaning` says what it holds."""
    # NOTE: a list or tuple, the common case, passes without the abstract class's
    # isinstance, which `evaluate` paid twice per sample and epoch.
    if type(x) is list or type(x) is tuple:
        return
    if isinstance(x, str) or not isinstance(x, Sequence):
        raise BPTypeError(f"{where} must be a list ({meaning}), got {type(x).__name__} {x!r}")


def check_length(values: Sequence[object], size: int, what: str) -> None:
    """Check that `values` (an input x or a target y) has `size` entries."""
    if len(values) != size:
        raise BPValueError(f"{what} has {len(values)} entries; expected {size}")


def floats(values: Sequence[object], size: Optional[int], what: str) -> List[float]:
    """`values` as a list of `size` floats (any number if None), or an error naming
    `what` and the entry."""
    check_list(values, what, "numbers" if size is None else f"{size} numbers")
    if size is not None:
        check_length(values, size, what)
    # NOTE: finite floats, the common case, skip the checks entry by entry (the sum is
    # finite if every entry is, and if it overflows the entries are checked one by one).
    if all(type(v) is float for v in values) and math.isfinite(sum(values)):
        return list(values)
    return [real(v, f"{what}[{i}]") for i, v in enumerate(values)]


def positive_int(n: object, what: str) -> int:
    """`n` if it is an int of at least 1 (a count), else an error naming `what`."""
    # NOTE: bool is a subclass of int, but True as a count is a mistake, not 1.
    if isinstance(n, bool) or not isinstance(n, int):
        raise BPTypeError(f"{what} must be a positive int, got {type(n).__name__} {n!r}")
    if n < 1:
        raise BPValueError(f"{what} must be a positive int, got {n!r}")
    return n


def real(x: object, where: str) -> float:
    """`x` as a float if it is a finite real number, else an error naming `where`."""
    if type(x) is float and math.isfinite(x):      # NOTE: the common case, without the checks
        return x
    # NOTE: bool is a subclass of int, but True as a weight is a mistake, not 1.0.
    if isinstance(x, bool) or not isinstance(x, Real):
        raise BPTypeError(f"{where} must be a real number, got {type(x).__name__} {x!r}")
    try:
        value = float(x)
    except OverflowError:   # NOTE: an int beyond ±1.8e308 has no float
        raise BPValueError(f"{where} must be finite as a float, got an int too large for "
                           f"one") from None
    if not math.isfinite(value):
        raise BPValueError(f"{where} must be finite, got {x}")
    return value
