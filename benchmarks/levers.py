"""The effect of each engine lever: the engine just before its commit against just after.

    python3 benchmarks/levers.py [--rounds N] [--only WORD]

A lever is a commit whose message starts with "engine lever:". For each one, the engine
of its parent commit and its own (`tinygrad_bp/engine.py` at both, each loaded as a
module of its own beside today's `tinygrad_bp.ops`) run the same workloads in one
process, interleaved and rotated round by round after a warm-up; the figure is the
median CPU time (`time.process_time`: on a machine shared with other jobs, waiting for a
core is not the engine's cost). GC on, as by default, with a `gc.collect()` before each
run, outside the timed region. The last table switches the cyclic garbage collector off
inside the timed region only (and back on), to show how much of each figure is GC: this
script, not the library, touches the GC.
"""

from __future__ import annotations

import argparse
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
from tinygrad_bp import engine as today          # noqa: E402

_rng = random.Random(0)
XS = [[_rng.uniform(-2, 2), _rng.uniform(-2, 2)] for _ in range(64)]
YS = [[math.sin(x0) * math.cos(x1)] for x0, x1 in XS]
SIZES, ACTS = (2, 16, 16, 1), ("tanh", "tanh", "linear")
INIT = bench.mlp_params(SIZES, 1)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


def engine_at(commit: str) -> types.ModuleType:
    """tinygrad_bp/engine.py as it was at `commit`, loaded as a module of its own."""
    module = types.ModuleType(f"engine_{commit[:7]}")
    source = git("show", f"{commit}:tinygrad_bp/engine.py")
    exec(compile(source, f"engine@{commit[:7]}.py", "exec"), module.__dict__)
    return module


# --- workloads: each takes an engine module and returns a zero-argument run

def mlp_step(engine):
    """bench.py's MLP 2-16-16-1 step on a batch of 64: forward, cost, backward, SGD."""
    params = [engine.Value(p) for p in INIT]

    def run():
        cost = bench.mlp_cost(params, SIZES, ACTS, XS, YS, 1 / 128)
        cost.backward()
        for p in params:
            p.data -= 0.1 * p.grad
            p.grad = 0.0
    return run


def net232(engine):
    """The article's 2-3-2 network, forward and backward, 500 times."""
    params = [engine.Value(p) for p in bench.article_params()]

    def run():
        for _ in range(500):
            bench.mlp_cost(params, (2, 3, 2), ("sigmoid", "sigmoid"), [[0.05, 0.10]],
                           [[0.01, 0.99]], 0.5).backward()
    return run


def chain(engine):
    """x ← x·(−1) + 0.5, 100,000 nodes, built and differentiated."""
    def run():
        x = engine.Value(0.3)
        for _ in range(50_000):
            x = x * -1.0 + 0.5
        x.backward()
    return run


def build(engine):
    """x ← x·b + a with Value operands, 50,000 nodes, built only."""
    def run():
        x = a = engine.Value(0.5)
        for _ in range(25_000):
            x = x * a + a
    return run


def wide(engine):
    """Σ a_i·b_i over 50,000 products (balanced), built and differentiated."""
    rng = random.Random(2)
    a = [engine.Value(rng.uniform(-1, 1)) for _ in range(50_000)]
    b = [engine.Value(rng.uniform(-1, 1)) for _ in range(50_000)]

    def run():
        bench.balanced_sum([x * y for x, y in zip(a, b)]).backward()
    return run


def leaves(engine):
    """Value(x) for 100,000 plain floats."""
    numbers = [i / 7 for i in range(100_000)]

    def run():
        Value = engine.Value
        for x in numbers:
            Value(x)
    return run


def trace_mlp(engine):
    """trace() of the MLP step's graph (about 41,000 nodes)."""
    params = [engine.Value(p) for p in INIT]
    root = bench.mlp_cost(params, SIZES, ACTS, XS, YS, 1 / 128)
    return lambda: engine.trace(root)


def backward_mlp(engine):
    """backward() on the MLP step's graph, built once."""
    params = [engine.Value(p) for p in INIT]
    root = bench.mlp_cost(params, SIZES, ACTS, XS, YS, 1 / 128)
    return root.backward


WORKLOADS = {"MLP step": mlp_step, "2-3-2 × 500": net232, "chain 100,000": chain,
             "build 50,000": build, "wide 50,000": wide, "leaves 100,000": leaves,
             "trace, MLP graph": trace_mlp, "backward(), MLP graph": backward_mlp}


def median_times(cases, rounds, gc_on=True):
    """{name: median CPU seconds}, the cases interleaved and rotated round by round."""
    names = list(cases)
    times = {name: [] for name in names}
    for r in range(-1, rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            gc.collect()
            if not gc_on:
                gc.disable()
            start = time.process_time()
            cases[name]()
            elapsed = time.process_time() - start
            gc.enable()
            if r >= 0:
                times[name].append(elapsed)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", help="only the levers whose message contains this (the "
                                           "totals and the GC share are always measured)")
    args = parser.parse_args()
    levers = [line.split(" ", 1) for line in
              git("log", "--reverse", "--format=%H %s", "--grep=^engine lever:").splitlines()]
    if args.only:
        levers = [(c, s) for c, s in levers if args.only in s]
    print(f"CPU time in ms, median of {args.rounds} rounds; before = the lever's parent commit")
    for commit, subject in levers:
        before, after = engine_at(f"{commit}^"), engine_at(commit)
        print(f"\n{subject} ({commit[:7]})\n")
        print("| workload | before | after | after / before |")
        print("| --- | ---: | ---: | ---: |")
        for name, workload in WORKLOADS.items():
            t = median_times({"before": workload(before), "after": workload(after)},
                             args.rounds)
            print(f"| {name} | {t['before'] * 1e3:.1f} | {t['after'] * 1e3:.1f} "
                  f"| {t['after'] / t['before']:.2f} |", flush=True)
    first = git("log", "--reverse", "--format=%H", "--grep=^engine lever:").split()[0]
    before = engine_at(f"{first}^")
    print(f"\nall the levers: the engine before the first ({first[:7]}^) and this one\n")
    print("| workload | before | after | after / before |")
    print("| --- | ---: | ---: | ---: |")
    for name, workload in WORKLOADS.items():
        t = median_times({"before": workload(before), "after": workload(today)}, args.rounds)
        print(f"| {name} | {t['before'] * 1e3:.1f} | {t['after'] * 1e3:.1f} "
              f"| {t['after'] / t['before']:.2f} |", flush=True)
    print("\nGC share, this engine and micrograd\n")
    print("| workload | GC on | GC off | on / off |")
    print("| --- | ---: | ---: | ---: |")
    micro = types.SimpleNamespace(Value=MicroValue)
    for title, run in (("build 50,000, this engine", build(today)),
                       ("build 50,000, micrograd", build(micro)),
                       ("MLP step, this engine", mlp_step(today)),
                       ("MLP step, micrograd", mlp_step(micro)),
                       ("wide 50,000, this engine", wide(today))):
        on = median_times({"x": run}, args.rounds)["x"]
        off = median_times({"x": run}, args.rounds, gc_on=False)["x"]
        print(f"| {title} | {on * 1e3:.1f} | {off * 1e3:.1f} | {on / off:.2f} |", flush=True)


if __name__ == "__main__":
    main()
