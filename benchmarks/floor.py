"""How fast can one Python object per node be? Construction of a 50,000-node chain.

The construction target compares tinygrad_bp with micrograd on x ← x·c + d (Value
operands). This script times, in one process, rotated and after a warm-up like `bench.py`:

- the floor: one bare slotted object per node holding data, grad, label, op and its two
  edges in slots of its own (parent 0, parent 1, local derivative 0, local derivative 1):
  no tuple, no arithmetic, no method dispatch, no checks. Nothing that keeps a node's
  parents and local derivatives can allocate less than this one object;
- the same object plus a parents tuple and a local-derivatives tuple, as main's engine
  keeps them (three allocations per node, two of them tracked by the cyclic GC);
- the floor reached through operators: `x * c + d` on a minimal class whose `__mul__`
  and `__add__` build that slotted node (what operator overloading itself adds);
- tinygrad_bp and micrograd 0.1.0 on the same expression.

Run: `python3 -m pip install -r benchmarks/requirements.txt && python3 benchmarks/floor.py`.
GC on (default settings); a `gc.collect()` before each run, outside the timed region; CPU
time (`time.process_time`), as in `bench.py`.
"""

import gc
import statistics
import time

from micrograd.engine import Value as MicroValue

from tinygrad_bp import Value

NODES, ROUNDS = 50_000, 7
_new = object.__new__       # allocation without the type call and its __init__ lookup


class Node:
    """The floor: one object, edges in slots."""
    __slots__ = ("data", "grad", "label", "op", "p0", "p1", "g0", "g1")


class TupleNode:
    """One object and two tuples per node."""
    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads")


class Operand(Node):
    """The floor behind operators: x * c and x + d each build one Node, nothing else."""
    __slots__ = ()

    def __init__(self, data):
        self.data, self.grad, self.label, self.op = data, 0.0, "", ""
        self.p0 = self.p1 = self.g0 = self.g1 = None

    def __mul__(self, other):
        node = _new(Operand)
        node.data, node.grad, node.label, node.op = self.data * other.data, 0.0, "", "*"
        node.p0, node.p1, node.g0, node.g1 = self, other, other.data, self.data
        return node

    def __add__(self, other):
        node = _new(Operand)
        node.data, node.grad, node.label, node.op = self.data + other.data, 0.0, "", "+"
        node.p0, node.p1, node.g0, node.g1 = self, other, 1.0, 1.0
        return node


def slot_chain() -> None:
    x = _new(Node)
    for _ in range(NODES):
        node = _new(Node)
        node.data, node.grad, node.label, node.op = 0.0, 0.0, "", "*"
        node.p0, node.p1, node.g0, node.g1 = x, x, 0.5, 0.5
        x = node


def tuple_chain() -> None:
    x = _new(TupleNode)
    for _ in range(NODES):
        node = _new(TupleNode)
        node.data, node.grad, node.label, node.op = 0.0, 0.0, "", "*"
        node.parents, node.local_grads = (x, x), (0.5, 0.5)
        x = node


def value_chain(V) -> None:
    x = x0 = V(0.5)
    for _ in range(NODES // 2):
        x = x * x0 + x0


RUNS = {"floor: one slotted object, no tuple": slot_chain,
        "slotted object + two tuples": tuple_chain,
        "floor through operators": lambda: value_chain(Operand),
        "tinygrad_bp": lambda: value_chain(Value),
        "micrograd": lambda: value_chain(MicroValue)}


def main() -> None:
    names = list(RUNS)
    for run in RUNS.values():           # warm-up
        run()
    times = {name: [] for name in names}
    for r in range(ROUNDS):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            gc.collect()
            start = time.process_time()
            RUNS[name]()
            times[name].append(time.process_time() - start)
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    print(f"construction of {NODES:,} nodes, median of {ROUNDS} rounds (GC on), CPU ms")
    print(f"{'':38s} {'ms':>8s}  {'/ micrograd':>11s}  {'/ floor':>8s}")
    floor = medians[names[0]]
    for name, ms in medians.items():
        print(f"{name:38s} {ms:8.2f}  {ms / medians['micrograd']:11.3f}  {ms / floor:8.2f}")


if __name__ == "__main__":
    main()
