"""`explain(C, w)`: ∂C/∂w written out as the chain rule, one product of factors per
path from C down to w, summed over the paths; or, always small, in its one-step form."""

from __future__ import annotations

import math
from typing import Dict, Iterable, List, Mapping, NamedTuple, Tuple, Union

from tinygrad_bp.checking.graph import Target, trace_root
from tinygrad_bp.checking.report import agrees, derivative_name, fmt, node_name, plural, wrapped
from tinygrad_bp.engine import Value, count_paths, find, gradients as gradients_of
from tinygrad_bp.errors import BPValueError
from tinygrad_bp.layout import positive_int

_WIDTH = 100        # the widest equation line before factors go one per line

# How much of a long derivative `str()` writes out; the data (`.paths`, `.terms`) hold all.
SHOWN_PATHS = 10    # paths of an Explanation, terms of a OneStep; the rest are summed
SHOWN_FACTORS = 20  # factors of one path: the first and last half of them


class PathLimitError(BPValueError):
    """More paths from the root to a node than `explain` was allowed to write out."""


class ChainPath(NamedTuple):
    """One path from the root down to the node: its factors and their product."""
    nodes: Tuple[Value, ...]                # root first, the node last
    factors: List[Tuple[str, float]]        # (name such as '∂C/∂a_o1', value)
    product: float


class _Derivative:
    """∂root/∂node worked out: `.total`, and `.node_grad`, the node's `.grad` when it was made.

    `str()` is `equation()` followed by how `.node_grad` compares with `.total`.
    """

    def __init__(self, root: Value, node: Value, total: float) -> None:
        self.root, self.node = root, node
        self.total = total
        self.node_grad = node.grad
        self.name = derivative_name(root, node)

    def equation(self) -> str:
        """The derivative written out, with its numbers; its last line is `∂C/∂v = total`."""
        if self.node is self.root:
            return f"{self.name} = 1"
        return "\n".join(self._lines())

    def _lines(self) -> List[str]:
        raise NotImplementedError

    def __str__(self) -> str:
        grad = f"{wrapped(node_name(self.node))}.grad = {fmt(self.node_grad)}"
        if agrees(self.node_grad, self.total, 1e-9, 1e-12):
            return f"{self.equation()}   ({grad}: agrees)"
        return (f"{self.equation()}   ({grad}, not this: it was not filled by one "
                f"backward() from {node_name(self.root)})")


class Explanation(_Derivative):
    """∂root/∂node as the sum over paths of the product of the factors along each path.

    `.paths` (each with `.factors` and `.product`), `.total` (their sum), `.every_node`
    (whether every node is its own factor) and `.node_grad`, the node's `.grad` when
    `explain` was called, for comparison. `str()` is the equation with its numbers.
    """

    def __init__(self, root: Value, node: Value, paths: List[ChainPath],
                 every_node: bool) -> None:
        super().__init__(root, node, math.fsum(path.product for path in paths))
        self.paths = paths
        self.every_node = every_node

    def _lines(self) -> List[str]:
        count = len(self.paths)
        lines = [f"{self.name}: {plural(count, 'path')} from {node_name(self.root)} to "
                 f"{node_name(self.node)}, each the product of its factors"]
        shown, rest = self.paths[:SHOWN_PATHS], self.paths[SHOWN_PATHS:]
        for number, path in enumerate(shown, 1):
            lines.extend(_path_lines(path, f"path {number} of {count}"))
        products = [path.product for path in shown]
        if rest:
            products.append(math.fsum(path.product for path in rest))
            lines.append(f"  … and {plural(len(rest), 'more path')}, not written out here "
                         f"(.paths holds them all); their products sum to {fmt(products[-1])}")
        lines.append(f"{self.name} = {_signed_sum(products)} = {fmt(self.total)}" if count > 1
                     else f"{self.name} = {fmt(self.total)}")
        return lines

    def __repr__(self) -> str:
        return (f"Explanation({self.name}, paths={len(self.paths)}, "
                f"total={self.total:.6g})")


class OneStep(_Derivative):
    """∂C/∂v = Σ_u ∂u/∂v · ∂C/∂u over the consumers u of v: `.terms`, `.total`.

    Each term is `(consumer name, ∂u/∂v, ∂C/∂u)`; a node used twice by one consumer
    (`v * v`) gives two terms. Always as long as v has consumers, however many paths.
    """

    def __init__(self, root: Value, node: Value,
                 terms: List[Tuple[str, float, float]]) -> None:
        total = math.fsum(local * upstream for _, local, upstream in terms) \
            if node is not root else 1.0
        super().__init__(root, node, total)
        self.terms = terms

    def _lines(self) -> List[str]:
        v, c = wrapped(node_name(self.node)), wrapped(node_name(self.root))
        lines = [f"{self.name} = Σ over the {plural(len(self.terms), 'consumer')} u of "
                 f"{node_name(self.node)} of ∂u/∂{v} · ∂{c}/∂u"]
        shown, rest = self.terms[:SHOWN_PATHS], self.terms[SHOWN_PATHS:]
        for consumer, local, upstream in shown:
            u = wrapped(consumer)
            lines.append(f"  ∂{u}/∂{v} · ∂{c}/∂{u} = {fmt(local)} · {fmt(upstream)} = "
                         f"{fmt(local * upstream)}")
        if rest:
            lines.append(f"  … and {plural(len(rest), 'more term')}, not written out here "
                         f"(.terms holds them all), summing to "
                         f"{fmt(math.fsum(local * up for _, local, up in rest))}")
        lines.append(f"{self.name} = {fmt(self.total)}")
        return lines

    def __repr__(self) -> str:
        return f"OneStep({self.name}, consumers={len(self.terms)}, total={self.total:.6g})"


def explain(root: Value, node: Target, *, every_node: bool = False, max_paths: int = 1000,
            one_step: bool = False) -> Union[Explanation, OneStep]:
    """∂root/∂node written out as the chain rule, with numbers.

    Every path root = v_0 → v_1 → ... → v_k = node (each v_i+1 a parent of v_i) gives
    the product Π ∂v_i/∂v_i+1 of the local derivatives along it, and ∂root/∂node is the
    sum of these products over all paths:

        ∂C/∂w7 = ∂C/∂a_o1 · ∂a_o1/∂z_o1 · ∂z_o1/∂w7

    Factors run between consecutive *labelled* nodes of a path, as the article writes
    them: unlabelled nodes in between are folded in, their local derivatives multiplied.
    With `every_node=True` each node is its own factor, unlabelled ones named by their
    operation and operands (deeper ones abbreviated `…`). When no node strictly between
    root and node is labelled, the folded form would say only ∂root/∂node, so every
    node is shown.

    `node` is a `Value` or a label. `.total` is computed from the local derivatives,
    not read from `.grad`; `str()` shows the node's `.grad` beside it.

    `str()` writes out the first `SHOWN_PATHS` paths and sums the others in one line, and
    of a path longer than `SHOWN_FACTORS` factors its first and last factors.

    The number of paths can grow exponentially with depth (each layer multiplies it).
    It is counted first, and past `max_paths` a `PathLimitError` says so; the one-step
    form `explain(root, node, one_step=True)`, which returns a `OneStep`, is always
    small: ∂C/∂v = Σ_u ∂u/∂v · ∂C/∂u over the consumers u of v.
    """
    nodes = trace_root(root, "explain")
    positive_int(max_paths, "max_paths")
    node = find(root, [node], nodes)[0]
    if one_step:
        return _one_step(root, node, nodes)
    counts = count_paths(nodes, node)
    if counts[root] > max_paths:
        raise PathLimitError(
            f"{derivative_name(root, node)} has {counts[root]} paths from {node_name(root)} to "
            f"{node_name(node)}, more than max_paths={max_paths}: the number of paths grows "
            f"exponentially with the depth of the graph. Use the one-step form, which is "
            f"always small: explain(root, node, one_step=True) writes it as the sum over "
            f"the consumers u of {node_name(node)} of ∂u/∂{wrapped(node_name(node))} · "
            f"∂{wrapped(node_name(root))}/∂u; or raise max_paths")
    inner = [v for v in nodes if counts[v] and v is not root and v is not node]
    every_node = every_node or not any(v.label for v in inner)
    names: Dict[Value, str] = {}
    paths = [_factored(path, every_node, names) for path in _paths(root, node, counts)]
    return Explanation(root, node, paths, every_node)


def _paths(root: Value, node: Value,
           counts: Mapping[Value, int]) -> Iterable[List[Tuple[Value, float]]]:
    """Each path from `root` to `node` as [(v_0, 1), (v_1, ∂v_0/∂v_1), ...], depth first.

    Iterative, so a chain deeper than Python's recursion limit is fine; operands are
    followed in order, which makes the paths' order that of the operands.
    """
    path = [(root, 1.0)]
    pending = [iter(zip(root.parents, root.local_grads))]      # operands not yet followed
    while pending:
        if path[-1][0] is node:
            yield list(path)
        # NOTE: at `node` itself no operand can reach `node` again: the graph is acyclic.
        step = next(((p, local) for p, local in pending[-1] if counts[p]), None)
        if step is None:
            path.pop()
            pending.pop()
        else:
            path.append(step)
            pending.append(iter(zip(step[0].parents, step[0].local_grads)))


def _factored(path: List[Tuple[Value, float]], every_node: bool,
              names: Dict[Value, str]) -> ChainPath:
    """A path's factors: one per edge, or one per stretch between labelled nodes; `names`
    holds the names of the nodes already met."""
    factors = []
    start, value = path[0][0], 1.0
    for i, (v, local) in enumerate(path[1:], 1):
        value *= local
        if every_node or v.label or i == len(path) - 1:
            factors.append((derivative_name(start, v, names), value))
            start, value = v, 1.0
    product = math.prod(factor for _, factor in factors)
    return ChainPath(tuple(v for v, _ in path), factors, product)


def _one_step(root: Value, node: Value, nodes: List[Value]) -> OneStep:
    gradients = gradients_of(root)
    terms = [(node_name(consumer), local, gradients[consumer])
             for consumer in nodes
             for parent, local in zip(consumer.parents, consumer.local_grads)
             if parent is node]
    return OneStep(root, node, terms)


def _path_lines(path: ChainPath, title: str) -> List[str]:
    """A path as a names line over a numbers line, or one factor per line when too wide."""
    names = [name for name, _ in path.factors]
    values = [fmt(value) for _, value in path.factors]
    widths = [max(len(a), len(b)) for a, b in zip(names, values)]
    if sum(widths) + 3 * len(widths) <= _WIDTH:
        return ["  " + " · ".join(a.ljust(w) for a, w in zip(names, widths)).rstrip(),
                "= " + " · ".join(b.ljust(w) for b, w in zip(values, widths))
                + f" = {fmt(path.product)}"]
    rows = list(zip(names, values))
    if len(rows) > SHOWN_FACTORS:
        half = SHOWN_FACTORS // 2
        rest = len(rows) - 2 * half
        rows[half:-half] = [(f"… {rest} more factors, whose product is "
                             f"{fmt(math.prod(v for _, v in path.factors[half:-half]))}", "")]
    width = max(len(name) for name, value in rows if value)
    return ([f"  {title}, the product of:"]
            + [f"    {a.ljust(width)}  {b}".rstrip() for a, b in rows]
            + [f"  = {fmt(path.product)}"])


def _signed_sum(terms: Iterable[float]) -> str:
    """`a + b - c`, the numbers as `fmt` writes them."""
    text = ""
    for term in terms:
        sign = "-" if term < 0 else "+"
        text = fmt(term) if not text else f"{text} {sign} {fmt(abs(term))}"
    return text
