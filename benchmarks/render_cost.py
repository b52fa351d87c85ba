"""Render time against graph shape, for Graphviz's dot and graphviz-pure.

    python3 benchmarks/render_cost.py [--timeout 30] [--plain] [--shapes fan_leaf,chain]
                                      [--sizes 50,100]

For each shape and size it prints the layout `draw_dot` plans (Values + operations,
operands drawn again beside a distant use, bends: virtual nodes of edges that cross
ranks, and their sum, the cost the size guard compares with max_nodes) and the
wall-clock time of `renderer -Tsvg` for each renderer, one run each, killed at
--timeout (shown as ">T"). `--plain` draws without the copies of distant operands
(MAX_SPAN set very large), to show what they save. Figures: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import sysconfig
import time
from typing import Callable, Dict, List, Optional

from tinygrad_bp import Value
from tinygrad_bp.losses import mse
from tinygrad_bp.nn import MLP
from tinygrad_bp.viz import dot as dot_module
from tinygrad_bp.viz import RenderTimeout, draw_dot, layout_cost, run_renderer


def fan_leaf(n: int) -> Value:
    """x + x + … + x, n terms: one leaf used by n operations down a chain (issue 10)."""
    x = Value(1.0, label="x")
    total = x
    for _ in range(n - 1):
        total = total + x
    return total


def fan_inner(n: int) -> Value:
    """t + t + … + t with t = tanh(2x): an inner node used n times down a chain."""
    t = (Value(1.0, label="x") * 2).tanh()
    total = t
    for _ in range(n - 1):
        total = total + t
    return total


def fan_wide(n: int) -> Value:
    """x used by n operations side by side, summed as a balanced tree."""
    x = Value(1.0, label="x")
    return _tree([(x * (i + 1)).tanh() for i in range(n)])


def chain(n: int) -> Value:
    """x1 + x2 + … + xn: no fan-out, n - 1 operations in a line."""
    return sum_in_order([Value(1.0, label=f"x{i}") for i in range(1, n + 1)])


def tree(n: int) -> Value:
    """x1 … xn summed as a balanced tree."""
    return _tree([Value(1.0, label=f"x{i}") for i in range(1, n + 1)])


def pairs(n: int) -> Value:
    """Σ_{i<j} x_i·x_j over n variables, summed as a tree: dense fan-out into one rank."""
    xs = [Value(1.0, label=f"x{i}") for i in range(1, n + 1)]
    return _tree([xs[i] * xs[j] for i in range(n) for j in range(i + 1, n)])


def mlp(n: int) -> Value:
    """The quadratic cost of an MLP 2-n-n-2 on one sample: clusters, dense fan-out."""
    net = MLP(2, [n, n, 2], seed=0)
    return mse(net([Value(0.05, label="x1"), Value(0.10, label="x2")]), [0.01, 0.99])


def sum_in_order(values: List[Value]) -> Value:
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


def _tree(values: List[Value]) -> Value:
    while len(values) > 1:
        values = [values[i] + values[i + 1] if i + 1 < len(values) else values[i]
                  for i in range(0, len(values), 2)]
    return values[0]


SHAPES: Dict[str, Callable[[int], Value]] = {
    "fan_leaf": fan_leaf, "fan_inner": fan_inner, "fan_wide": fan_wide, "chain": chain,
    "tree": tree, "pairs": pairs, "mlp": mlp}
SIZES = {"fan_leaf": [50, 150, 300, 660], "fan_inner": [150, 500], "fan_wide": [100, 330],
         "chain": [300, 1000], "tree": [300, 1000], "pairs": [20, 30], "mlp": [8, 16, 24]}


def timed(source: str, renderer: str, timeout: float) -> Optional[float]:
    start = time.perf_counter()
    try:
        run_renderer(source, "svg", renderer, timeout)
    except RenderTimeout:
        return None
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--plain", action="store_true")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--sizes", default="", help="sizes for every shape chosen")
    args = parser.parse_args()
    if args.plain:
        dot_module.MAX_SPAN = 10 ** 9
    renderers = {"dot": shutil.which("dot"),
                 "graphviz-pure": shutil.which("graphviz-pure", path=sysconfig.get_path("scripts"))}
    renderers = {name: path for name, path in renderers.items() if path}
    print(f"renderers: {renderers}; timeout {args.timeout:g} s"
          + ("; without copies of distant operands" if args.plain else ""))
    header = f"{'shape':9} {'n':>5} {'V+ops':>6} {'copies':>6} {'bends':>6} {'cost':>6}"
    print(header + "".join(f" {name:>14}" for name in renderers))
    for shape in args.shapes.split(","):
        sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else SIZES[shape]
        for n in sizes:
            root = SHAPES[shape](n)
            layout = layout_cost(root)
            source = draw_dot(root, max_nodes=10 ** 9).source
            row = (f"{shape:9} {n:>5} {layout.values + layout.operations:>6} "
                   f"{len(layout.far):>6} {layout.bends:>6} {layout.cost:>6}")
            for renderer in renderers.values():
                seconds = timed(source, renderer, args.timeout)
                row += f" {('>%g' % args.timeout) if seconds is None else '%.2f' % seconds:>13}s"
            print(row, flush=True)


if __name__ == "__main__":
    main()
