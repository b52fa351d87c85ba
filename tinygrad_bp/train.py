"""Mini-batch training, as the article describes it, and evaluation.

Each epoch shuffles the training data, cuts it into mini-batches of m samples and, for
each mini-batch, moves every parameter once by the averaged gradient:

    C = (1/m) Σ_x C_x,        w ← w − (η/m) Σ_x ∂C_x/∂w  =  w − η ∂C/∂w

One `backward()` of the batch cost C gives the averaged gradient (`losses.batch_cost`),
and `optim.SGD` makes the move. After each epoch the cost and the accuracy over the
whole data set are recorded, as plain floats.
"""

from __future__ import annotations

import random
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

from tinygrad_bp.data import Sample
from tinygrad_bp.engine import Value
from tinygrad_bp.errors import BPTypeError, BPValueError
from tinygrad_bp.layout import check_list, positive_int
from tinygrad_bp.losses import batch_cost, mse
from tinygrad_bp.metrics import accuracy
from tinygrad_bp.nn import MLP, Module
from tinygrad_bp.optim import SGD

Loss = Callable[[List[Value], Sequence[float]], Value]


class Epoch(NamedTuple):
    """One line of the training history: cost and accuracy over the data after the epoch."""
    epoch: int
    cost: float
    accuracy: float


def evaluate(net: MLP, data: Sequence[Sample], loss: Loss = mse) -> Tuple[float, float]:
    """`(cost, accuracy)` of `net` over `data`, as plain floats; C = (1/n) Σ_x C_x."""
    outputs = [net(x) for x, _ in data]
    cost = batch_cost([loss(a, y) for a, (_, y) in zip(outputs, data)]).data
    return cost, accuracy(outputs, [y for _, y in data])


def train_step(net: MLP, batch: Sequence[Sample], optimizer: SGD, loss: Loss = mse) -> float:
    """One gradient-descent step on one mini-batch; returns its cost before the step.

    w ← w − (η/m) Σ_x ∂C_x/∂w for every parameter w, with m = len(batch).
    """
    cost = batch_cost([loss(net(x), y) for x, y in batch])
    optimizer.zero_grad()
    cost.backward()
    optimizer.step()
    return cost.data


def train(net: MLP, data: Sequence[Sample], epochs: int, batch_size: int, lr: float,
          seed: Optional[int] = None, loss: Loss = mse,
          on_epoch: Optional[Callable[[Epoch], None]] = None) -> List[Epoch]:
    """Train `net` on `data`, a sequence of (x, y) pairs such as `data.Sample`s, by
    mini-batch SGD; return one `Epoch` record per epoch.

    The order of the samples is shuffled at the start of every epoch by a private
    `random.Random(seed)`, so the same seed (and the same initial network) gives the
    same history. The last mini-batch of an epoch holds the remaining samples when
    `batch_size` does not divide len(data), and a `batch_size` of at least len(data)
    makes every step a full-batch gradient step. `on_epoch`, if given, is called
    with each record as soon as it is computed (to print progress).

        >>> from tinygrad_bp.data import two_clouds
        >>> net, data = MLP(2, [3, 2], seed=0), two_clouds(40)
        >>> history = train(net, data, epochs=3, batch_size=10, lr=2.0, seed=0)
        >>> [h.epoch for h in history]
        [1, 2, 3]
    """
    if not isinstance(net, Module):
        raise BPTypeError(f"train needs a network (such as an MLP), got {type(net).__name__}")
    check_list(data, "data", "(x, y) samples")
    positive_int(epochs, "epochs")
    positive_int(batch_size, "batch_size")
    if len(data) == 0:
        raise BPValueError("train on no data: give at least one sample")
    optimizer = SGD(net.parameters(), lr)
    rng = random.Random(seed)
    order = list(range(len(data)))
    history = []
    for epoch in range(1, epochs + 1):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            train_step(net, [data[i] for i in order[start:start + batch_size]], optimizer, loss)
        record = Epoch(epoch, *evaluate(net, data, loss))
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return history
