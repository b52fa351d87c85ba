"""The article's algorithm (figure 6) with plain floats: the four equations BP1–BP4.

For a network of sigmoid layers 1..L and the quadratic cost of one sample,
C_x = ½ Σ_j (y_j − a^L_j)², with σ'(z) = σ(z)(1 − σ(z)) and ⊙ the elementwise product:

1. Input:         a^0 = x
2. Feed forward:  z^l = w^l a^(l-1) + b^l,  a^l = σ(z^l)          for l = 1..L
3. BP1:           δ^L = ∇_a C ⊙ σ'(z^L),   ∇_a C = a^L − y
4. BP2:           δ^l = ((w^(l+1))ᵀ δ^(l+1)) ⊙ σ'(z^l)            for l = L−1..1
5. BP3, BP4:      ∂C/∂b^l_j = δ^l_j,   ∂C/∂w^l_jk = a^(l-1)_k δ^l_j

This module does not import the engine, and computes σ itself: when its gradients
agree with those of `C.backward()` on an `MLP`, that is evidence for both.

    >>> weights = [[[0.15, 0.20], [0.25, 0.30], [0.35, 0.40]],     # the article's 2-3-2
    ...            [[0.45, 0.50, 0.55], [0.60, 0.65, 0.70]]]
    >>> biases = [[0.35, 0.35, 0.35], [0.60, 0.60]]
    >>> result = backprop(weights, biases, x=[0.05, 0.10], y=[0.01, 0.99])
    >>> nabla_w, nabla_b = result
    >>> round(nabla_w[1][0][0], 6)          # ∂C/∂w7 = a_h1 δ_o1
    0.071596
    >>> result
    Backprop(2 → 3 → 2, C=0.33485, output error δ^L=[0.120681, -0.0170135])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator, List, Sequence

from tinygrad_bp.errors import BPOverflowError
from tinygrad_bp.layout import Matrix, floats, layer_sizes

Vector = List[float]


@dataclass(frozen=True, repr=False)
class Backprop:
    """The gradient of C_x and every quantity computed on the way, for display.

    Unpacks as `nabla_w, nabla_b`. With L layers of neurons, list index l = 0..L−1
    stands for the article's layer l + 1 (the layout of `weights` and `biases`):

    - `nabla_w[l][j][k]` = ∂C/∂w^(l+1)_jk and `nabla_b[l][j]` = ∂C/∂b^(l+1)_j;
    - `zs[l]` = z^(l+1), `deltas[l]` = δ^(l+1);
    - `activations` has L + 1 entries: `activations[0]` = a^0 = x, `activations[l]` = a^l;
    - `cost` = C_x = ½ Σ_j (y_j − a^L_j)².
    """

    nabla_w: List[List[Vector]]
    nabla_b: List[Vector]
    zs: List[Vector]
    activations: List[Vector]
    deltas: List[Vector]
    cost: float

    def __iter__(self) -> Iterator[list]:
        return iter((self.nabla_w, self.nabla_b))

    def __repr__(self) -> str:
        shape = " → ".join(str(len(a)) for a in self.activations)
        return f"Backprop({shape}, C={self.cost:.6g}, output error δ^L={_fmt(self.deltas[-1])})"


def backprop(weights: Sequence[Matrix], biases: Sequence[Sequence[float]],
             x: Sequence[float], y: Sequence[float]) -> Backprop:
    """∂C_x/∂w and ∂C_x/∂b for one sample (x, y), by BP1–BP4, in the layout of the inputs.

    `weights[l][j][k]` is w^(l+1)_jk and `biases[l][j]` is b^(l+1)_j (Nielsen's layout,
    as `MLP.from_weights` takes them). Every layer is sigmoid and the cost quadratic.
    A malformed shape, or an x or y of the wrong length, is a ValueError naming it.
    """
    sizes = layer_sizes(weights, biases)
    x = floats(x, sizes[0], "x")
    y = floats(y, sizes[-1], "y")

    # 1-2. input and feed forward: z^l = w^l a^(l-1) + b^l, a^l = σ(z^l)
    activations, zs = [x], []
    for w, b in zip(weights, biases):
        z = [_dot(row, activations[-1]) + b_j for row, b_j in zip(w, b)]
        if not all(map(math.isfinite, z)):
            raise BPOverflowError(f"z of layer {len(zs) + 1} overflows a float: {_fmt(z)}")
        zs.append(z)
        activations.append([sigmoid(z_j) for z_j in z])

    # 3. BP1: δ^L = (a^L − y) ⊙ σ'(z^L)
    deltas = [[(a_j - y_j) * sigmoid_prime(z_j)
               for a_j, y_j, z_j in zip(activations[-1], y, zs[-1])]]

    # 4. BP2: δ^l = ((w^(l+1))ᵀ δ^(l+1)) ⊙ σ'(z^l), from l = L−1 down to 1
    for l in range(len(weights) - 1, 0, -1):
        w_next, delta_next = weights[l], deltas[0]
        columns = zip(*w_next)                  # column k of w^(l+1) is row k of its transpose
        deltas.insert(0, [_dot(column, delta_next) * sigmoid_prime(z_k)
                          for column, z_k in zip(columns, zs[l - 1])])

    # 5. BP3: ∂C/∂b^l_j = δ^l_j;  BP4: ∂C/∂w^l_jk = a^(l-1)_k δ^l_j
    nabla_b = [list(delta) for delta in deltas]
    nabla_w = [[[a_k * d_j for a_k in a_prev] for d_j in delta]
               for a_prev, delta in zip(activations, deltas)]

    cost = 0.5 * sum((y_j - a_j) ** 2 for y_j, a_j in zip(y, activations[-1]))
    return Backprop(nabla_w, nabla_b, zs, activations, deltas, cost)


def sigmoid(z: float) -> float:
    """σ(z) = 1 / (1 + e^(−z)), evaluated so that no exponent is positive (no overflow)."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def sigmoid_prime(z: float) -> float:
    """σ'(z) = σ(z)(1 − σ(z)) = e / (1 + e)² with e = e^(−|z|)."""
    # NOTE: σ(1 − σ) cancels to 0 for z ≫ 0 (σ'(40) would be 0, not 4.2e-18).
    e = math.exp(-abs(z))
    return e / ((1.0 + e) * (1.0 + e))


def _dot(u: Sequence[float], v: Sequence[float]) -> float:
    """Σ_k u_k v_k, summed in index order."""
    total = 0.0
    for u_k, v_k in zip(u, v):
        total += u_k * v_k
    return total


def _fmt(vector: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in vector) + "]"
