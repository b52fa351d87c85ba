"""Optimisers: how parameters move once their gradients are known."""

from __future__ import annotations

import math
from numbers import Real
from typing import Iterable

from tinygrad_bp.engine import Value, describe
from tinygrad_bp.errors import BPOverflowError, BPTypeError, BPValueError


class SGD:
    """Gradient descent: `step()` moves every parameter against its gradient,

        p ← p − η ∂C/∂p        (η = `lr`)

    With C the batch cost (1/m) Σ_x C_x of a mini-batch, this is the article's update
    w ← w − (η/m) Σ_x ∂C_x/∂w. Gradients accumulate in the engine, so call
    `zero_grad()` before each `backward()`.

        >>> w = Value(1.0, "w"); opt = SGD([w], lr=0.1)
        >>> (w * w).backward(); opt.step(); w.data     # 1 − 0.1 · 2
        0.8
    """

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        if isinstance(params, (Value, str)) or not isinstance(params, Iterable):
            raise BPTypeError(f"SGD takes an iterable of parameters (such as "
                              f"net.parameters()), got {type(params).__name__} {params!r}")
        self.params = list(params)
        for p in self.params:
            if not isinstance(p, Value):
                raise BPTypeError(f"SGD optimises Values, got {type(p).__name__} {p!r}")
            if not p.is_leaf:
                raise BPValueError(f"SGD can only move leaves (parameters), but {describe(p)} is "
                                   f"the result of {p.op!r}")
        if len({id(p) for p in self.params}) != len(self.params):
            raise BPValueError("SGD was given the same parameter twice: each step would move "
                               "it twice")
        if isinstance(lr, bool) or not isinstance(lr, Real):
            raise BPTypeError(f"the learning rate lr must be a positive finite number, got "
                              f"{type(lr).__name__} {lr!r}")
        if not (math.isfinite(lr) and lr > 0):
            raise BPValueError(f"the learning rate lr must be a positive finite number, got {lr!r}")
        self.lr = float(lr)

    def step(self) -> None:
        """Move every parameter by −lr × its grad; if any would become inf or nan (the
        training diverged), raise OverflowError naming it and move none of them."""
        moved = [p.data - self.lr * p.grad for p in self.params]
        for p, data in zip(self.params, moved):
            if not math.isfinite(data):
                raise BPOverflowError(f"SGD step would set {describe(p)} to {data} (grad "
                                      f"{p.grad:g}, lr {self.lr:g}): training diverged; try a "
                                      f"smaller learning rate")
        for p, data in zip(self.params, moved):
            p.data = data

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0

    def __repr__(self) -> str:
        return f"SGD({len(self.params)} parameters, lr={self.lr:g})"
