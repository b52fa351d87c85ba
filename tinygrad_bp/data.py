"""The built-in data set: two separable clouds of points in the plane, for two classes.

Class 0 fills the disc of radius 1 around (−1, −1), class 1 the disc around (1, 1);
the centres are 2√2 apart, so a margin of 2√2 − 2 ≈ 0.83 separates the classes.
Targets are one-hot over two outputs, to fit the article's 2-3-2 network:
y = (1, 0) for class 0 and y = (0, 1) for class 1.
"""

from __future__ import annotations

import math
import random
from typing import List, NamedTuple

from tinygrad_bp.layout import positive_int

CENTRES = ((-1.0, -1.0), (1.0, 1.0))
RADIUS = 1.0


class Sample(NamedTuple):
    """One training example: inputs x and targets y."""
    x: List[float]
    y: List[float]


def two_clouds(n: int = 100, seed: int = 0) -> List[Sample]:
    """`n` samples, alternating class 0 and class 1, drawn by a private `random.Random(seed)`.

    Points are uniform over each disc (radius √u for u uniform in [0, 1]). The same
    `n` and `seed` give the same list on every run and every machine.

        >>> data = two_clouds(4)
        >>> [s.y for s in data]
        [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    """
    positive_int(n, "n (a number of samples)")
    rng = random.Random(seed)
    samples = []
    for i in range(n):
        label = i % 2
        cx, cy = CENTRES[label]
        r, angle = RADIUS * math.sqrt(rng.random()), 2 * math.pi * rng.random()
        target = [0.0, 0.0]
        target[label] = 1.0
        samples.append(Sample([cx + r * math.cos(angle), cy + r * math.sin(angle)], target))
    return samples
