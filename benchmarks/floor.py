"""How fast can one Python object per node be? Construction of a 50,000-node chain.

The issue's construction target is eager / micrograd ≤ 0.05. This script times, in one
process, rotated and after a warm-up like `bench.py`:

- the floor: the chain x ← (new node with parents (x, x)) built from a bare slotted class,
  six attributes and two tuples per node, no arithmetic, no method dispatch, no checks;
- tinygrad_bp: x ← x·c + d with Value operands (25,000 of each op);
- micrograd 0.1.0: the same expression.

Run: `python3 -m pip install -r benchmarks/requirements.txt && python3 benchmarks/floor.py`.
If the floor's ratio to micrograd is above 0.05, no engine that makes one Python object per
node reaches that target on this interpreter.
"""

import gc
import statistics
import time

from micrograd.engine import Value as MicroValue

from tinygrad_bp import Value

NODES, ROUNDS = 50_000, 7


class Bare:
    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads")


def bare_chain() -> None:
    x = Bare()
    for _ in range(NODES):
        node = Bare()
        node.data, node.grad, node.label, node.op = 0.0, 0.0, "", "*"
        node.parents, node.local_grads = (x, x), (0.5, 0.5)
        x = node


def value_chain(V) -> None:
    x = x0 = V(0.5)
    for _ in range(NODES // 2):
        x = x * x0 + x0


def main() -> None:
    runs = {"floor: a bare object per node": bare_chain,
            "tinygrad_bp": lambda: value_chain(Value),
            "micrograd": lambda: value_chain(MicroValue)}
    names = list(runs)
    for run in runs.values():           # warm-up
        run()
    times = {name: [] for name in names}
    for r in range(ROUNDS):
        for name in names[r % 3:] + names[:r % 3]:
            gc.collect()
            start = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    print(f"construction of {NODES:,} nodes, median of {ROUNDS} rounds (GC on)")
    for name, ms in medians.items():
        print(f"{name:32s} {ms:8.2f} ms   / micrograd {ms / medians['micrograd']:.3f}")


if __name__ == "__main__":
    main()
