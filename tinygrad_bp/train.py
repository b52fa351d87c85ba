"""Mini-batch training, as the article describes it, and evaluation.

Each epoch shuffles the training data, cuts it into mini-batches of m samples and, for
each mini-batch, moves every parameter once by the averaged gradient:

    C = (1/m) Σ_x C_x,        w ← w − (η/m) Σ_x ∂C_x/∂w  =  w − η ∂C/∂w

One `backward()` of the batch cost C gives the averaged gradient (`losses.batch_cost`),
and `optim.SGD` makes the move. After each epoch the cost and the accuracy over the
whole data set are recorded, as plain floats.

`train` runs the same steps by compiled replay (`tinygrad_bp.compile`) when it can:
the graph of one sample's cost, C_x / m as a function of the parameters, x, y and m, is
traced and compiled once, then replayed for every sample of every batch (a smaller last
batch only changes the argument m). The replay's gradients are the eager graph's, node
for node; only the sum over the batch is grouped differently (see `train`).
"""

from __future__ import annotations

import random
from numbers import Real
from operator import add
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from tinygrad_bp.compiler import Compiled, compile
from tinygrad_bp.data import Sample
from tinygrad_bp.engine import Value
from tinygrad_bp.errors import BPTypeError, BPValueError
from tinygrad_bp.layout import check_length, check_list, floats, positive_int
from tinygrad_bp.losses import batch_cost, mean, mse, squared_error
from tinygrad_bp.metrics import accuracy
from tinygrad_bp.nn import MLP, Module
from tinygrad_bp.optim import SGD

Loss = Callable[[List[Value], Sequence[float]], Value]

# Costs that read nothing but their outputs' values and never branch on them, with
# their formula on plain floats: the graph is the same for every sample, so they train
# by compiled replay and are evaluated on floats.
# NOTE: binary_cross_entropy is not one: it clamps outputs near 0 and 1 (a branch on
# values) and reads a sigmoid output's logit from the graph. It, and any cost of the
# user's (whose branches cannot be seen from here), trains and evaluates eagerly.
REPLAYABLE_LOSSES: Dict[Loss, Callable[[List[float], Sequence[float]], float]] = {
    mse: squared_error}


class Epoch(NamedTuple):
    """One line of the training history: cost and accuracy over the data after the epoch."""
    epoch: int
    cost: float
    accuracy: float


def evaluate(net: MLP, data: Sequence[Sample], loss: Loss = mse) -> Tuple[float, float]:
    """`(cost, accuracy)` of `net` over `data`, as plain floats; C = (1/n) Σ_x C_x.

    For `mse` the outputs are computed as plain floats (`MLP.predict`, the same numbers
    as the graph's), which is many times faster than building n graphs.
    """
    targets = [y for _, y in data]
    float_loss = REPLAYABLE_LOSSES.get(loss)
    if float_loss is None:
        outputs = [net(x) for x, _ in data]
        cost = batch_cost([loss(a, y) for a, y in zip(outputs, targets)]).data
    else:
        outputs = net.predict_all([x for x, _ in data])
        for a, y in zip(outputs, targets):
            check_length(y, len(a), "the targets")
        cost = mean([float_loss(a, floats(y, len(y), "targets")) for a, y in zip(outputs, targets)])
    return cost, accuracy(outputs, targets)


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
          on_epoch: Optional[Callable[[Epoch], None]] = None,
          compiled: bool = True) -> List[Epoch]:
    """Train `net` on `data`, a sequence of (x, y) pairs such as `data.Sample`s, by
    mini-batch SGD; return one `Epoch` record per epoch.

    The order of the samples is shuffled at the start of every epoch by a private
    `random.Random(seed)`, so the same seed (and the same initial network) gives the
    same history. The last mini-batch of an epoch holds the remaining samples when
    `batch_size` does not divide len(data), and a `batch_size` of at least len(data)
    makes every step a full-batch gradient step. `on_epoch`, if given, is called
    with each record as soon as it is computed (to print progress).

    With `compiled` (the default), the steps run by compiled replay whenever the cost
    is one whose graph does not depend on values (`mse`) and the samples are numbers;
    otherwise, or with `compiled=False`, every step builds its graph eagerly
    (`train_step`). The two agree to rounding: each parameter's gradient is the same
    sum of the same edge terms, but eager `backward()` adds the batch's terms into one
    running sum, where the replay sums each sample's terms and then adds the samples'
    sums (relative differences of order 1e-16 per step).

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
    replay = sample_cost_replay(net, data, loss) if compiled else None
    rng = random.Random(seed)
    order = list(range(len(data)))
    history = []
    for epoch in range(1, epochs + 1):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            batch = [data[i] for i in order[start:start + batch_size]]
            if replay is None:
                train_step(net, batch, optimizer, loss)
            else:
                replayed_step(replay, batch, optimizer, net, loss)
        record = Epoch(epoch, *evaluate(net, data, loss))
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return history


def sample_cost_replay(net: MLP, data: Sequence[Sample], loss: Loss = mse
                       ) -> Optional[Compiled]:
    """One sample's share of the batch cost, compiled: `replay(params, x, y, m)` returns
    C_x / m and its gradients, with `params` the parameters' values in `parameters()`
    order. None when the step cannot be replayed (see `train`): then train eagerly.
    """
    if (loss not in REPLAYABLE_LOSSES or not isinstance(net, MLP)
            or not all(_numbers(x) and _numbers(y) for x, y in data)):
        return None

    def sample_cost(params: List[Value], x: List[Value], y: List[Value], m: Value) -> Value:
        # NOTE: C_x / m, as batch_cost divides: the replay hands the gradient 1/m down
        # each sample's graph exactly as backward() does for the batch.
        return loss(net.with_parameters(params)(x), y) / m

    x, y = data[0]
    return compile(sample_cost, [p.data for p in net.parameters()], list(x), list(y), 1.0)


def replayed_step(replay: Compiled, batch: Sequence[Sample], optimizer: SGD, net: MLP,
                  loss: Loss = mse) -> float:
    """`train_step` by compiled replay: the same move, the same cost before it.

    Nothing changes until every sample has been replayed; if a replay fails (a sample
    of the wrong shape, a value the graph cannot take), the step runs eagerly instead,
    and the engine reports the error with its own message.
    """
    params = optimizer.params
    values = [p.data for p in params]
    m = float(len(batch))
    cost, grads = 0.0, [0.0] * len(params)
    try:
        for x, y in batch:
            c, (g, _, _, _) = replay(values, x, y, m)
            cost += c
            grads = list(map(add, grads, g))
    except (ArithmeticError, ValueError, TypeError):
        return train_step(net, batch, optimizer, loss)
    for p, g in zip(params, grads):
        p.grad = g
    optimizer.step()
    return cost


def _numbers(values: object) -> bool:
    return isinstance(values, (list, tuple)) and all(
        isinstance(v, Real) and not isinstance(v, bool) for v in values)

