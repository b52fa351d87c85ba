"""Training end to end: `train()` by compiled replay against eager training, and against
the library at another commit (BASE, default: main before compiled training).

    python3 benchmarks/training.py [--rounds N] [BASE]

Each figure is one fresh interpreter (a subprocess, started in an empty directory so that
only PYTHONPATH decides which library it imports), the runs interleaved round by round and
rotated, the median reported. Times are CPU time (user + system of the process), not wall
time: on a machine shared with other jobs, waiting for a core is not the library's cost.

- `tinygrad-bp train` (the CLI's defaults: the 2-3-2 network, 100 samples, 20 epochs of
  batches of 10): CPU time of the whole command, interpreter start-up included, and the
  time of its work in the process (network, first evaluation, training);
- an MLP 2-16-16-1 (tanh, tanh, sigmoid) on 200 samples of the same clouds, target the
  class, 20 epochs of batches of 10, lr 0.5: the time of `train()`.

"base" is BASE's library, "eager" this one with `compiled=False`, "compiled" this one
as it runs by default. The one-off compile (tracing, generating and compiling one
sample's graph) is timed on its own, with the number of steps after which it has paid
for itself: compile time / (eager step − replayed step).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMPTY = tempfile.mkdtemp(prefix="training-bench-")

# Runs in a fresh interpreter whose sys.path starts with the library to time. It prints
# one JSON object. `compiled` is None for a library without the option.
WORKER = r"""
import json, sys, time
from tinygrad_bp.data import Sample, two_clouds
from tinygrad_bp.nn import MLP
from tinygrad_bp.train import evaluate, train
workload, compiled = sys.argv[1], json.loads(sys.argv[2])
options = {} if compiled is None else {"compiled": compiled}
if workload == "cli":
    data = two_clouds()
    begin = time.process_time()
    net = MLP(2, [3, 2], seed=0)
    evaluate(net, data)
    history = train(net, data, 20, 10, 2.0, seed=0, **options)
else:
    data = [Sample(x, [y[1]]) for x, y in two_clouds(200)]
    net = MLP(2, [16, 16, 1], activation="tanh", output_activation="sigmoid", seed=0)
    begin = time.process_time()
    history = train(net, data, 20, 10, 0.5, seed=0, **options)
end = time.process_time()
print(json.dumps({"seconds": end - begin, "cost": history[-1].cost}))
"""

# The one-off compile and the time of one step each way, for the 2-16-16-1 network.
AMORTISE = r"""
import json, statistics, time
from tinygrad_bp.data import Sample, two_clouds
from tinygrad_bp.nn import MLP
from tinygrad_bp.optim import SGD
from tinygrad_bp.train import replayed_step, sample_cost_replay, train_step
for shape, act, out, n in (([3, 2], "sigmoid", "sigmoid", 2), ([16, 16, 1], "tanh", "sigmoid", 1)):
    data = [Sample(x, y[2 - n:]) for x, y in two_clouds(200)]
    net = MLP(2, shape, activation=act, output_activation=out, seed=0)
    optimizer = SGD(net.parameters(), lr=1e-9)
    batch = data[:10]
    compile_times, eager, replayed = [], [], []
    for _ in range(5):
        begin = time.process_time()
        replay = sample_cost_replay(net, data)
        compile_times.append(time.process_time() - begin)
        begin = time.process_time()
        for _ in range(10):
            train_step(net, batch, optimizer)
        eager.append((time.process_time() - begin) / 10)
        begin = time.process_time()
        for _ in range(10):
            replayed_step(replay, batch, optimizer, net)
        replayed.append((time.process_time() - begin) / 10)
    c, e, r = map(statistics.median, (compile_times, eager, replayed))
    print(json.dumps({"network": "2-" + "-".join(map(str, shape)), "nodes": replay.n_nodes,
                      "compile": c, "eager_step": e, "replayed_step": r,
                      "steps_to_amortise": c / (e - r)}))
"""


def run(library: Path, code: str, *args: str) -> str:
    return subprocess.run([sys.executable, "-c", code, *args], check=True, text=True,
                          capture_output=True, cwd=EMPTY, env={"PYTHONPATH": str(library)}).stdout


def cli_cpu(library: Path, *options: str) -> float:
    """CPU seconds of one `tinygrad-bp train` process, start-up included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "tinygrad_bp", "train", *options], check=True,
                   capture_output=True, cwd=EMPTY, env={"PYTHONPATH": str(library)})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", nargs="?", default="55dbc9f")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        archive = subprocess.run(["git", "archive", args.base, "tinygrad_bp"], cwd=ROOT,
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        cases = {
            "cli process: base": lambda: cli_cpu(base),
            "cli process: eager": lambda: cli_cpu(ROOT, "--no-compile"),
            "cli process: compiled": lambda: cli_cpu(ROOT),
            "cli work: base": lambda: json.loads(run(base, WORKER, "cli", "null"))["seconds"],
            "cli work: eager": lambda: json.loads(run(ROOT, WORKER, "cli", "false"))["seconds"],
            "cli work: compiled": lambda: json.loads(run(ROOT, WORKER, "cli", "true"))["seconds"],
            "2-16-16-1: base": lambda: json.loads(run(base, WORKER, "mlp", "null"))["seconds"],
            "2-16-16-1: eager": lambda: json.loads(run(ROOT, WORKER, "mlp", "false"))["seconds"],
            "2-16-16-1: compiled": lambda: json.loads(run(ROOT, WORKER, "mlp", "true"))["seconds"],
        }
        names = list(cases)
        times = {name: [] for name in names}
        for r in range(args.rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                times[name].append(cases[name]())
            print(f"  round {r + 1} of {args.rounds}", file=sys.stderr)
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"base: {args.base}; medians of {args.rounds} rounds, seconds\n")
    print("| workload | base | eager | compiled | base / compiled | eager / compiled |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for workload in ("cli process", "cli work", "2-16-16-1"):
        b, e, c = (medians[f"{workload}: {way}"] for way in ("base", "eager", "compiled"))
        print(f"| {workload} | {b:.3f} | {e:.3f} | {c:.3f} | {b / c:.1f}× | {e / c:.1f}× |")
    print("\n| network | nodes per sample | compile (ms) | eager step (ms) | replayed step (ms) "
          "| steps to amortise |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for line in run(ROOT, AMORTISE).splitlines():
        a = json.loads(line)
        print(f"| {a['network']} | {a['nodes']} | {a['compile'] * 1e3:.1f} "
              f"| {a['eager_step'] * 1e3:.2f} | {a['replayed_step'] * 1e3:.3f} "
              f"| {a['steps_to_amortise']:.1f} |")


if __name__ == "__main__":
    main()
