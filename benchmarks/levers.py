"""The effect of each engine lever: the engine before them (git commit BASE) against this one.

    python3 benchmarks/levers.py [BASE]

Both engines are loaded into one process and timed interleaved (medians of 7 after a
warm-up), on the same graphs. A lever measured on its own swaps one function of the
base engine for this one's, everything else equal. BASE defaults to main's engine as
it was when the levers were merged onto it (89a5d62). The last table switches the cyclic
garbage collector off inside the timed region only (and back on), to show how much of
each figure is GC: this script, not the library, touches the GC.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from micrograd.engine import Value as MicroValue  # noqa: E402

import bench                                     # noqa: E402
from tinygrad_bp import engine as new            # noqa: E402

_rng = random.Random(0)
XS = [[_rng.uniform(-2, 2), _rng.uniform(-2, 2)] for _ in range(64)]
YS = [[math.sin(x0) * math.cos(x1)] for x0, x1 in XS]
BASE = sys.argv[1] if len(sys.argv) > 1 else "89a5d62"


def load_base():
    source = subprocess.run(["git", "show", f"{BASE}:tinygrad_bp/engine.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType("base_engine")
    exec(compile(source, "base_engine.py", "exec"), module.__dict__)
    return module


old = load_base()


def chain(V, n, folded):
    """n nodes: x·b + a with Value operands, or x·(−1) + 0.5 with folded numbers."""
    a, b = V(0.5), V(0.5)
    x = a
    for _ in range(n // 2):
        x = x * -1.0 + 0.5 if folded else x * b + a
    return x


def old_backward_loop(nodes):
    for node in reversed(nodes):
        grad = node.grad
        for parent, local_grad in zip(node.parents, node.local_grads):
            parent.grad += local_grad * grad


def new_backward_loop(nodes):
    for node in reversed(nodes):
        parents = node.parents
        if parents:
            grad = node.grad
            for i, local_grad in enumerate(node.local_grads):
                parents[i].grad += local_grad * grad


def median_times(cases, rounds=7, gc_on=True):
    """{name: median seconds}, the cases interleaved and rotated round by round."""
    names = list(cases)
    times = {name: [] for name in names}
    for r in range(-1, rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            gc.collect()
            if not gc_on:
                gc.disable()
            start = time.perf_counter()
            cases[name]()
            elapsed = time.perf_counter() - start
            gc.enable()
            if r >= 0:
                times[name].append(elapsed)
    return {name: statistics.median(t) for name, t in times.items()}


def compare(title, before, after, gc_on=True):
    t = median_times({"before": before, "after": after}, gc_on=gc_on)
    print(f"| {title} | {t['before'] * 1e3:.1f} | {t['after'] * 1e3:.1f} "
          f"| {t['before'] / t['after']:.2f}× |")


def main():
    n = 100_000
    old_graph, new_graph = chain(old.Value, n, False), chain(new.Value, n, False)
    nodes = new.trace(new_graph)
    a, old_a, c = new.Value(0.5), old.Value(0.5), 0.3712345678
    print(f"base engine: commit {BASE}; times in ms (median of 7)\n")
    print("| lever (measured on its own) | before | after | speed-up |")
    print("| --- | ---: | ---: | ---: |")
    compare(f"trace, chain of {n:,} Value-operand nodes",
            lambda: old.trace(new_graph), lambda: new.trace(new_graph))
    params = [new.Value(p) for p in bench.mlp_params((2, 16, 16, 1), 1)]
    step = bench.mlp_cost(params, (2, 16, 16, 1), ("tanh", "tanh", "linear"), XS, YS, 1 / 128)
    compare("trace, graph of bench.py's MLP step",
            lambda: old.trace(step), lambda: new.trace(step))
    compare(f"backward loop (no trace), {n:,} nodes",
            lambda: old_backward_loop(nodes), lambda: new_backward_loop(nodes))
    compare("a · 0.3712345678, 50,000 times (message and op text made lazily)",
            lambda: [old_a * c for _ in range(50_000)],
            lambda: [a * c for _ in range(50_000)])
    print("\n| whole engine | before | after | speed-up |")
    print("| --- | ---: | ---: | ---: |")
    compare("build 50,000 nodes, Value operands",
            lambda: chain(old.Value, 50_000, False), lambda: chain(new.Value, 50_000, False))
    compare("build 50,000 nodes, folded numbers",
            lambda: chain(old.Value, 50_000, True), lambda: chain(new.Value, 50_000, True))
    compare(f"backward() on a {n:,}-node chain",
            lambda: old_graph.backward(), lambda: new_graph.backward())
    print("\n| GC share | GC on | GC off | on / off |")
    print("| --- | ---: | ---: | ---: |")
    mlp = bench.Network("mlp", (2, 16, 16, 1), ("tanh", "tanh", "linear"),
                        bench.mlp_params((2, 16, 16, 1), 1), XS, YS, 1 / 128, 1, 0.1)
    for title, run in (
            ("build 50,000 nodes, Value operands", lambda: chain(new.Value, 50_000, False)),
            ("micrograd: the same", lambda: chain(MicroValue, 50_000, False)),
            (f"backward() on a {n:,}-node chain", lambda: new_graph.backward()),
            ("MLP step (bench.py's mlp)", mlp.setup("eager")),
            ("micrograd: the same", mlp.setup("micrograd"))):
        on = median_times({"x": run})["x"]
        off = median_times({"x": run}, gc_on=False)["x"]
        print(f"| {title} | {on * 1e3:.1f} | {off * 1e3:.1f} | {on / off:.2f}× |")


if __name__ == "__main__":
    main()
