"""tinygrad_bp against micrograd and hand-written floats, on the workloads of issue 6.

    python3 benchmarks/bench.py [--quick] [--json PATH]

Engines: `eager` (tinygrad_bp.Value), `micrograd` (micrograd 0.1.0 from PyPI, with the
operations it lacks added below in its own closure style), `floats` (each workload written
by hand in plain floats: forward and backward, no graph objects) and `compiled`
(tinygrad_bp.compile: trace once, replay generated code) where a graph is replayed.

Protocol: one process; a warm-up round first; then every round runs each engine once per
workload, the engine order rotated from round to round (A B C, B C A, C A B, ...); every
run's result is checked against the float implementation before its time counts; the
figure is the median over rounds. Times are CPU time (`time.process_time`): on a machine
shared with other jobs, waiting for a core is not an engine's cost, and wall time there
moved by ±25% between runs. GC stays on (default settings); a `gc.collect()` before
each run, outside the timed region, keeps one engine's garbage out of the next one's time.
Each run is timed twice over: until it returns, and until a `gc.collect()` right after it
has freed its cyclic garbage (micrograd's nodes hold closures that hold the nodes: its
dropped graphs wait for the collector, ours are freed by reference counting).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from micrograd.engine import Value as MicroValue    # noqa: E402

import tinygrad_bp                                  # noqa: E402
from tinygrad_bp import Value                       # noqa: E402
from tinygrad_bp.engine import trace                # noqa: E402

compile_graph = getattr(tinygrad_bp, "compile", None)


# --- micrograd 0.1.0 lacks tanh, sigmoid and exp: add them in its own style (closures)

def _micro_tanh(self):
    t = math.tanh(self.data)
    out = MicroValue(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t * t) * out.grad
    out._backward = _backward
    return out


def _micro_sigmoid(self):
    s = 1 / (1 + math.exp(-self.data))
    out = MicroValue(s, (self,), "sigmoid")

    def _backward():
        self.grad += s * (1 - s) * out.grad
    out._backward = _backward
    return out


def _micro_exp(self):
    e = math.exp(self.data)
    out = MicroValue(e, (self,), "exp")

    def _backward():
        self.grad += e * out.grad
    out._backward = _backward
    return out


for _name, _fn in (("tanh", _micro_tanh), ("sigmoid", _micro_sigmoid), ("exp", _micro_exp)):
    if not hasattr(MicroValue, _name):
        setattr(MicroValue, _name, _fn)


# --- the networks, written once for any Value class (only operators and methods)

ACTIVATIONS = {"tanh": math.tanh, "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
               "linear": lambda z: z}


def forward(params, sizes, acts, x, activate):
    """Every layer's activations [x, a^1, ..., a^L] of an MLP whose parameters are `params`.

    `params` is flat, layer by layer, neuron by neuron: that neuron's weights, then its
    bias. z = w_1 a_1 + w_2 a_2 + ... + b, a = activate(z, act). Only operators are
    used, so the same code runs on floats and on any Value class.
    """
    layers = [x]
    i = 0
    for n_in, n_out, act in zip(sizes, sizes[1:], acts):
        a, out = layers[-1], []
        for _ in range(n_out):
            z = params[i] * a[0]
            for k in range(1, n_in):
                z = z + params[i + k] * a[k]
            z = z + params[i + n_in]
            i += n_in + 1
            out.append(activate(z, act))
        layers.append(out)
    return layers


def activate_value(z, act):
    return z if act == "linear" else getattr(z, act)()


def activate_float(z, act):
    return ACTIVATIONS[act](z)


def mlp_cost(params, sizes, acts, xs, ys, scale):
    """C = scale · Σ_samples Σ_j (a_j − y_j)² on Values (`xs`, `ys`: numbers or Values)."""
    total = None
    for x, y in zip(xs, ys):
        for aj, yj in zip(forward(params, sizes, acts, x, activate_value)[-1], y):
            d = aj - yj
            total = d * d if total is None else total + d * d
    return total * scale


def float_mlp(params, sizes, acts, xs, ys, scale):
    """`mlp_cost` and its gradient by hand, in plain floats: (C, [∂C/∂p for p in params]).

    Forward keeps every layer's activations; backward is BP1–BP4:
    δ^L = ∂C/∂a^L ⊙ act'(z^L), δ^l = (w^(l+1))ᵀ δ^(l+1) ⊙ act'(z^l),
    ∂C/∂b = δ, ∂C/∂w_jk = a_k δ_j. act' is taken from a: tanh' = 1 − a², σ' = a(1 − a).
    """
    layers = list(zip(sizes, sizes[1:], acts))
    starts = [sum((m + 1) * n for m, n, _ in layers[:l]) for l in range(len(layers))]
    grads = [0.0] * len(params)
    total = None
    for x, y in zip(xs, ys):
        activations = forward(params, sizes, acts, x, activate_float)
        delta = []
        for aj, yj in zip(activations[-1], y):
            d = aj - yj
            total = d * d if total is None else total + d * d
            delta.append(2.0 * d * scale)
        for l in range(len(layers) - 1, -1, -1):
            n_in, n_out, act = layers[l]
            a_out, a_in = activations[l + 1], activations[l]
            if act == "tanh":
                delta = [dj * (1.0 - aj * aj) for dj, aj in zip(delta, a_out)]
            elif act == "sigmoid":
                delta = [dj * aj * (1.0 - aj) for dj, aj in zip(delta, a_out)]
            back = [0.0] * n_in
            for j, dj in enumerate(delta):
                i = starts[l] + j * (n_in + 1)
                for k in range(n_in):
                    grads[i + k] += a_in[k] * dj
                    back[k] += params[i + k] * dj
                grads[i + n_in] += dj
            delta = back
    return total * scale, grads


def mlp_params(sizes, seed):
    rng = random.Random(seed)
    params = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        for _ in range(n_out):
            params += [rng.uniform(-1, 1) / math.sqrt(n_in) for _ in range(n_in)] + [0.1]
    return params


def close(a, b, rel=1e-9, abs_=1e-12):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def check(name, got, want):
    """Raise unless the engine's (C, grads) match the float implementation's."""
    (c, grads), (c_ref, grads_ref) = got, want
    bad = [i for i, (g, r) in enumerate(zip(grads, grads_ref)) if not close(g, r)]
    if not close(c, c_ref) or len(grads) != len(grads_ref) or bad:
        raise AssertionError(f"{name}: result differs from the float implementation "
                             f"(C {c} vs {c_ref}; first bad gradient index {bad[:1]})")


# --- workloads: each is setup(engine) -> run, a zero-argument callable timed once per round

class Network:
    """An MLP training step (forward, cost, backward, SGD update) on every engine."""

    def __init__(self, name, sizes, acts, init, xs, ys, scale, repeat, lr):
        self.name, self.sizes, self.acts, self.init = name, sizes, acts, init
        self.xs, self.ys, self.scale, self.repeat, self.lr = xs, ys, scale, repeat, lr
        self.compiled = None

    def setup(self, engine):
        sizes, acts, xs, ys = self.sizes, self.acts, self.xs, self.ys
        scale, lr = self.scale, self.lr
        if engine in ("eager", "micrograd"):
            V = Value if engine == "eager" else MicroValue
            params = [V(p) for p in self.init]

            def step():
                C = mlp_cost(params, sizes, acts, xs, ys, scale)
                C.backward()
                grads = [p.grad for p in params]
                for p in params:
                    p.data -= lr * p.grad
                    p.grad = 0.0
                return C.data, grads
        elif engine == "floats":
            params = list(self.init)

            def step():
                C, grads = float_mlp(params, sizes, acts, xs, ys, scale)
                params[:] = [p - lr * g for p, g in zip(params, grads)]
                return C, grads
        else:
            if self.compiled is None:
                self.compiled = compile_graph(
                    lambda p, x, y: mlp_cost(p, sizes, acts, x, y, scale), self.init, xs, ys)
            replay, params = self.compiled, list(self.init)

            def step():
                C, (grads, _, _) = replay(params, xs, ys)
                params[:] = [p - lr * g for p, g in zip(params, grads)]
                return C, grads

        def run():
            for _ in range(self.repeat - 1):
                step()
            return step()
        return run

    def check(self, engine, result):
        # NOTE: the last of `repeat` steps is checked, against the float implementation
        # run for as many steps (with lr = 0 every step is the same).
        if not hasattr(self, "_expected"):
            self._expected = self.setup("floats")()
        check(f"{self.name} [{engine}]", result, self._expected)


class Chain:
    """x ← x·c + d, repeated: a chain of `n` nodes, built and (for `backward`) differentiated.

    With `folded`, c = −1 and d = 0.5 are numbers (each op is one node) and
    ∂out/∂x₀ = (−1)^(n/2); otherwise c = x₀ and d = x₀ are Values, x₀ = 0.5.
    """

    def __init__(self, name, n, folded, backward):
        self.name, self.n, self.folded, self.backward = name, n, folded, backward

    def setup(self, engine):
        steps, folded, backward = self.n // 2, self.folded, self.backward
        if engine == "floats":
            def run():
                x = x0 = 0.3 if folded else 0.5
                c, d = (-1.0, 0.5) if folded else (x0, x0)
                for _ in range(steps):
                    x = x * c + d
                if not backward:
                    return x, []
                g = 1.0
                for _ in range(steps):      # back through + d (×1) and × c
                    g = g * c
                return x, [g]
            return run
        V = Value if engine == "eager" else MicroValue

        def run():
            x = x0 = V(0.3 if folded else 0.5)
            c, d = (-1.0, 0.5) if folded else (x0, x0)
            for _ in range(steps):
                x = x * c + d
            if not backward:
                return x.data, []
            x.backward()
            return x.data, [x0.grad]
        return run

    def check(self, engine, result):
        check(f"{self.name} [{engine}]", result, self.setup("floats")())


class WideSum:
    """Σ_i a_i·b_i over n products, summed as a balanced binary tree; ∂/∂a_i = b_i."""

    def __init__(self, n):
        self.name = f"wide sum, {n:,} products"
        rng = random.Random(2)
        self.a = [rng.uniform(-1, 1) for _ in range(n)]
        self.b = [rng.uniform(-1, 1) for _ in range(n)]

    def setup(self, engine):
        if engine == "floats":
            a, b = self.a, self.b

            def run():
                level = [x * y for x, y in zip(a, b)]
                sizes = []
                while len(level) > 1:
                    sizes.append(len(level))
                    pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
                    level = pairs + [level[-1]] if len(level) % 2 else pairs
                g = [1.0]
                for size in reversed(sizes):        # each sum hands its gradient to both terms
                    down = []
                    for gi in g[:size // 2]:
                        down += (gi, gi)
                    g = down + g[size // 2:] if size % 2 else down
                return level[0], [gi * y for gi, y in zip(g, b)]
            return run
        V = Value if engine == "eager" else MicroValue
        a = [V(x) for x in self.a]
        b = [V(x) for x in self.b]

        def run():
            root = balanced_sum([x * y for x, y in zip(a, b)])
            root.backward()
            grads = [x.grad for x in a]
            for x in a + b:
                x.grad = 0.0
            return root.data, grads
        return run

    def check(self, engine, result):
        if not hasattr(self, "_expected"):
            self._expected = self.setup("floats")()
        check(f"{self.name} [{engine}]", result, self._expected)


def balanced_sum(terms):
    while len(terms) > 1:
        pairs = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        terms = pairs + [terms[-1]] if len(terms) % 2 else pairs
    return terms[0]


# --- timing

def time_workload(workload, engines, rounds):
    """Median seconds per engine, without and with the collection of the run's garbage,
    and the errors engines raised (recorded, not re-raised).

    The first figure stops when the run returns; the second also times a `gc.collect()`
    right after it, which frees what reference counting could not (reference cycles).
    """
    times = {e: [] for e in engines}
    with_collection = {e: [] for e in engines}
    errors = {}
    for r in range(-1, rounds):                     # round -1 is the warm-up, not counted
        k = r % len(engines)
        for engine in engines[k:] + engines[:k]:
            if engine in errors:
                continue
            run = workload.setup(engine)
            gc.collect()
            start = time.process_time()
            try:
                result = run()
            except RecursionError as exc:
                errors[engine] = f"RecursionError: {exc}"
                continue
            elapsed = time.process_time() - start
            gc.collect()                # the run's cyclic garbage (micrograd's closures)
            collected = time.process_time() - start
            del run
            workload.check(engine, result)
            if r >= 0:
                times[engine].append(elapsed)
                with_collection[engine].append(collected)
    return ({e: statistics.median(t) for e, t in times.items() if t},
            {e: statistics.median(t) for e, t in with_collection.items() if t}, errors)


def bytes_per_node(engine, n):
    """Memory held by the wide-sum graph (leaves included, after backward) per node."""
    V = Value if engine == "eager" else MicroValue
    rng = random.Random(2)
    a_data = [rng.uniform(-1, 1) for _ in range(n)]
    b_data = [rng.uniform(-1, 1) for _ in range(n)]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    a = [V(x) for x in a_data]
    b = [V(x) for x in b_data]
    root = balanced_sum([x * y for x, y in zip(a, b)])
    del a, b
    root.backward()
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    nodes = len(trace(root)) if engine == "eager" else count_micro_nodes(root)
    return held / nodes, nodes


def count_micro_nodes(root):
    seen, stack = {root}, [root]
    while stack:
        for child in stack.pop()._prev:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return len(seen)


def compile_cost(network, repeat):
    """Seconds for tinygrad_bp.compile to trace and generate the network's step (median)."""
    sizes, acts, scale = network.sizes, network.acts, network.scale
    costs = []
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        compile_graph(lambda p, x, y: mlp_cost(p, sizes, acts, x, y, scale),
                      network.init, network.xs, network.ys)
        costs.append(time.process_time() - start)
    return statistics.median(costs)


# Issue 12's targets: eager / micrograd (collections outside the timed region, and for the
# MLP also with both engines' collections timed), the 100,000-node chain in seconds, bytes.
TARGETS = {"mlp": 0.10, "net232": 0.30, "wide": 0.15, "build": 0.13}
TARGET_MLP_COLLECTED = 0.06
TARGET_CHAIN_SECONDS = 0.075
TARGET_BYTES = 140


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke test")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON here")
    parser.add_argument("--only", metavar="KEY", action="append",
                        help="run only this workload (mlp, net232, chain, chain1m, wide, build); "
                             "repeatable")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else 7

    rng = random.Random(0)
    xs = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(64)]
    ys = [[math.sin(x0) * math.cos(x1)] for x0, x1 in xs]
    sizes = (2, 16, 16, 1)
    mlp = Network("MLP 2-16-16-1 step, batch 64", sizes, ("tanh", "tanh", "linear"),
                  mlp_params(sizes, seed=1), xs, ys, 1.0 / (2 * len(xs)), repeat=1, lr=0.1)
    net232 = Network("2-3-2 sigmoid fwd+bwd x2000", (2, 3, 2), ("sigmoid", "sigmoid"),
                     article_params(), [[0.05, 0.10]], [[0.01, 0.99]], 0.5, repeat=2000, lr=0.0)
    graph = ["eager", "micrograd", "floats"]
    replay = graph + (["compiled"] if compile_graph else [])
    plan = [("mlp", mlp, replay), ("net232", net232, replay),
            ("chain", Chain("deep chain, 100,000 ops", 100_000, True, True), graph),
            ("chain1m", Chain("deep chain, 1,000,000 ops", 1_000_000, True, True),
             ["eager"] if args.quick else ["eager", "floats"]),
            ("wide", WideSum(200_000), graph),
            ("build", Chain("construction, 50,000 nodes", 50_000, False, False), graph)]

    if args.only:
        plan = [item for item in plan if item[0] in args.only]
    results = {}
    for key, workload, engines in plan:
        medians, collected, errors = time_workload(workload, engines,
                                                   rounds if key != "chain1m" else 3)
        results[key] = {"name": workload.name, "seconds": medians,
                        "seconds_with_collection": collected, "errors": errors}
        print(f"  done: {workload.name}", file=sys.stderr)
    memory = {} if args.only else {e: bytes_per_node(e, 200_000) for e in ("eager", "micrograd")}
    cost = compile_cost(mlp, 3) if compile_graph and "mlp" in results else None

    report(results, memory, cost, rounds)
    if args.json:
        machine = {"nproc": os.cpu_count(), "python": platform.python_version(),
                   "machine": platform.machine(), "micrograd": version("micrograd")}
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "rounds": rounds, "workloads": results,
                       "bytes_per_node": {e: m[0] for e, m in memory.items()},
                       "nodes_in_wide_sum": {e: m[1] for e, m in memory.items()},
                       "compile_seconds_mlp": cost, "targets": {
                           "ratio": TARGETS, "mlp_ratio_with_collection": TARGET_MLP_COLLECTED,
                           "chain_seconds": TARGET_CHAIN_SECONDS,
                           "bytes_per_node": TARGET_BYTES}}, f, indent=2)


def article_params():
    """The article's 2-3-2 weights and biases, in `mlp_cost`'s flat layout."""
    w = [0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70]
    return (w[0:2] + [0.35] + w[2:4] + [0.35] + w[4:6] + [0.35]
            + w[6:9] + [0.60] + w[9:12] + [0.60])


def report(results, memory, cost, rounds):
    def ms(s):
        return "—" if s is None else f"{s * 1e3:.2f}"

    def ratio(a, b):
        return "—" if a is None or b is None else f"{a / b:.3f}"

    print(f"\nmedians of {rounds} rounds (ms); ratios from the same run; \"+ gc\": with a "
          f"gc.collect() after the run inside the timed region\n")
    print("| workload | eager | eager + gc | micrograd | micrograd + gc | floats | compiled "
          "| eager/micrograd | (+ gc) | eager/floats | compiled/floats |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key, r in results.items():
        s, c, errors = r["seconds"], r["seconds_with_collection"], r["errors"]
        eager, micro, floats, comp = map(s.get, ("eager", "micrograd", "floats", "compiled"))
        eager_c, micro_c = c.get("eager"), c.get("micrograd")
        failed = "micrograd" in errors
        print(f"| {r['name']} | {ms(eager)} | {ms(eager_c)} "
              f"| {'RecursionError' if failed else ms(micro)} | {ms(micro_c)} | {ms(floats)} "
              f"| {ms(comp)} | {ratio(eager, micro)} | {ratio(eager_c, micro_c)} "
              f"| {ratio(eager, floats)} | {ratio(comp, floats)} |")
    print("\n| target | figure | met? |")
    print("| --- | ---: | --- |")

    def verdict(title, figure, limit, text):
        print(f"| {title} ≤ {limit} | {text} | {'yes' if figure <= limit else '**no**'} |")

    for key, limit in TARGETS.items():
        if key in results and "micrograd" in results[key]["seconds"]:
            s = results[key]["seconds"]
            verdict(f"{results[key]['name']}: eager / micrograd", s["eager"] / s["micrograd"],
                    limit, ratio(s["eager"], s["micrograd"]))
    if "mlp" in results:
        c = results["mlp"]["seconds_with_collection"]
        verdict("MLP step, collections timed: eager / micrograd", c["eager"] / c["micrograd"],
                TARGET_MLP_COLLECTED, ratio(c["eager"], c["micrograd"]))
    if "chain" in results:
        t = results["chain"]["seconds"]["eager"]
        verdict("100,000-node chain, build + backward (s)", t, TARGET_CHAIN_SECONDS, f"{t:.3f}")
    if memory:
        verdict("bytes per node, wide sum (leaves included, after backward)",
                memory["eager"][0], TARGET_BYTES, f"{memory['eager'][0]:.0f}")
        print("\nbytes per node: " + ", ".join(f"{e} {m[0]:.0f} ({m[1]:,} nodes)"
                                              for e, m in memory.items()))
    if cost is not None:
        print(f"one-off compile of the MLP step (trace, generate, compile()): "
              f"{cost * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
