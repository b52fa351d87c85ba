"""Checking gradients: the engine's against numbers, and hand-derived ones against the engine.

- `grad(f)` and `value_and_grad(f)` turn a function of `Value`s into a function of
  numbers that returns its gradient, JAX-style, without touching any `.grad`.
- `numerical_grad(f, *xs)` estimates the same gradient by central differences, and
  `gradcheck(f, *xs)` compares the two, input by input.
- `explain(C, w)` writes ∂C/∂w out as the chain rule: one product of factors per path
  from C down to w, summed over the paths.
- `check(C, expected)` grades hand-derived gradients ∂C/∂v against the engine's and,
  for each wrong one, shows its chain rule and where the hand computation went astray.

    >>> from tinygrad_bp import Value, grad, gradcheck
    >>> grad(lambda x, y: x * y + x.tanh())(1.0, 2.0)
    (2.419974341614026, 1.0)
    >>> bool(gradcheck(lambda x: x.sigmoid() * x, 0.5))
    True

None of these functions reads or writes `.grad`: each computes the gradients it needs
with its own reverse pass (the same chain rule as `backward()`), so its answers do not
depend on whether, or how often, `backward()` has been called.
"""

from __future__ import annotations

import inspect
import math
from typing import (Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence,
                    Tuple, Union)

from tinygrad_bp.engine import Value, count_paths, trace

Number = Union[int, float]
Argnums = Union[int, Sequence[int], None]
Gradients = Union[float, Tuple[float, ...]]
Target = Union[Value, str]


# --- grad, value_and_grad: the engine's gradient of a function

def grad(f: Callable[..., Value], argnums: Argnums = None) -> Callable[..., Gradients]:
    """The function that maps numbers x to ∂f/∂x: `grad(f)(*xs)`.

    `f` takes `Value`s and returns a `Value`. The returned function takes numbers, calls
    `f` on leaf `Value`s labelled with `f`'s parameter names (so errors and `explain`
    name them), and returns the gradient of the result as floats:

    - `argnums=None` (default): with respect to every argument, a float when there is
      one argument and a tuple of floats when there are several;
    - `argnums=i`: with respect to argument i only, a float;
    - `argnums=(i, j, ...)`: a tuple, in that order.

    Numbers not in `argnums` become labelled leaves too, so `f` works the same
    whichever gradients are asked for; other arguments not in `argnums` (a list, a
    flag) are passed to `f` unchanged, and so are keyword arguments.

        >>> grad(lambda x: x * x)(3.0)
        6.0
        >>> grad(lambda x, y: x * y, argnums=1)(3.0, 4.0)
        3.0
    """
    value_and_grad_f = value_and_grad(f, argnums)

    def grad_f(*args: object, **kwargs: object) -> Gradients:
        return value_and_grad_f(*args, **kwargs)[1]

    return _named(grad_f, "grad", f)


def value_and_grad(f: Callable[..., Value],
                   argnums: Argnums = None) -> Callable[..., Tuple[float, Gradients]]:
    """Like `grad(f, argnums)`, but the function returns `(f(*xs).data, gradients)`.

        >>> value_and_grad(lambda x: x.exp())(0.0)
        (1.0, 1.0)
    """
    def value_and_grad_f(*args: object, **kwargs: object) -> Tuple[float, Gradients]:
        picked = _picked(argnums, len(args))
        names = _arg_names(f, len(args))
        leaves = {i: Value(arg, label=names[i]) for i, arg in enumerate(args)
                  if i in picked or _is_number(arg)}
        root = _call(f, [leaves.get(i, arg) for i, arg in enumerate(args)], kwargs)
        gradients = _gradients(root)
        found = tuple(gradients.get(leaves[i], 0.0) for i in picked)
        single = isinstance(argnums, int) or (argnums is None and len(args) == 1)
        return root.data, (found[0] if single else found)

    return _named(value_and_grad_f, "value_and_grad", f)


# --- numerical_grad, gradcheck: the engine's gradient against central differences

def numerical_grad(f: Callable[..., Union[Value, float]], *xs: Number,
                   eps: float = 1e-6) -> Gradients:
    """∂f/∂x_i ≈ (f(x + h_i e_i) − f(x − h_i e_i)) / 2h_i for each input x_i.

    The step is relative, h_i = eps · max(1, |x_i|), so that it stays meaningful for
    large inputs; its error is O(h²) from the truncation plus O(ε_float·|f|/h) from
    rounding, and eps = 1e-6 keeps their sum near 1e-10 for values of order 1. `f` is
    called on leaf `Value`s like `grad`'s; it may return a `Value` or a plain number.
    A float for one input, a tuple of floats for several.

        >>> round(numerical_grad(lambda x: x * x, 3.0), 6)
        6.0
    """
    estimates = _central_differences(f, xs, _arg_names(f, len(xs)), eps)
    return estimates[0] if len(xs) == 1 else tuple(estimates)


def _central_differences(f: Callable[..., object], xs: Sequence[Number], names: Sequence[str],
                         eps: float) -> List[float]:
    estimates = []
    for i, x in enumerate(xs):
        h = _step(x, eps)
        up = _data(f(*_leaves(xs, names, i, h)), f)
        down = _data(f(*_leaves(xs, names, i, -h)), f)
        estimates.append((up - down) / (2.0 * h))
    return estimates


class GradcheckRow(NamedTuple):
    """One input of a gradcheck: analytic a (the engine) against numerical n."""
    name: str
    analytic: float
    numerical: float
    abs_error: float        # |a − n|
    rel_error: float        # |a − n| / max(|a|, |n|), 0 when both are 0
    step: float             # h used for this input
    kink: bool              # a relu's input lies within the step: n may legitimately differ
    passed: bool            # |a − n| ≤ atol + rtol · max(|a|, |n|)


class _Report:
    """Rows that each pass or not: truthy when all pass; `.failures` lists the others."""

    rows: list

    @property
    def failures(self) -> list:
        return [row for row in self.rows if not row.passed]

    def __bool__(self) -> bool:
        return not self.failures


class GradcheckReport(_Report):
    """The rows of a gradcheck; truthy when every input passes; prints as a table."""

    def __init__(self, rows: List[GradcheckRow], value: float, rtol: float, atol: float,
                 eps: float) -> None:
        self.rows = rows
        self.value = value
        self.rtol, self.atol, self.eps = rtol, atol, eps

    def __str__(self) -> str:
        table = _table(("input", "analytic", "numerical", "abs error", "rel error", "step",
                        "kink", "verdict"),
                       [(r.name, _g(r.analytic), _g(r.numerical), _g(r.abs_error, 2),
                         _g(r.rel_error, 2), _g(r.step, 2), "kink" if r.kink else "",
                         "ok" if r.passed else "FAIL") for r in self.rows])
        lines = [f"gradcheck of the engine (analytic a) against central differences "
                 f"(numerical n), step = {self.eps:g}*max(1,|x|);\n"
                 f"pass when |a-n| <= atol + rtol*max(|a|,|n|), rtol={self.rtol:g}, "
                 f"atol={self.atol:g}", table]
        if any(row.kink for row in self.rows):
            lines.append("kink: a relu's input is within the step of 0, where relu has no "
                         "derivative; the numerical estimate straddles it and may differ")
        failed = [row.name for row in self.failures]
        lines.append(f"FAILED for {', '.join(failed)}" if failed
                     else _all(len(self.rows), "input passes", "inputs pass"))
        return "\n".join(lines)

    def __repr__(self) -> str:
        failed = [row.name for row in self.failures]
        return (f"GradcheckReport(passed={not failed}, inputs={[r.name for r in self.rows]}, "
                f"failed={failed})")


class GradcheckError(AssertionError):
    """Raised by `gradcheck(..., raise_on_failure=True)`; `.report` holds the whole report."""

    def __init__(self, report: GradcheckReport) -> None:
        failed = ", ".join(row.name for row in report.failures)
        super().__init__(f"gradcheck failed for {failed}\n{report}")
        self.report = report


def gradcheck(f: Callable[..., Value], *xs: Number, rtol: float = 1e-5, atol: float = 1e-8,
              eps: float = 1e-6, raise_on_failure: bool = False,
              names: Optional[Sequence[str]] = None) -> GradcheckReport:
    """Compare the engine's ∂f/∂x_i (analytic, a) with `numerical_grad`'s (n), per input.

    Input i passes when |a − n| ≤ atol + rtol · max(|a|, |n|). Each row also has the
    relative error |a − n| / max(|a|, |n|) (0 when both are 0) and the step h_i, and is
    flagged `kink` when, at xs, some relu's input z depends on x_i and lies within the
    step of relu's kink at 0 (|z| ≤ 2·|∂z/∂x_i|·h_i, a linear estimate with a safety
    factor of 2): there the two-sided difference straddles a point with no derivative.
    A kink does not excuse a failure; it explains it. Custom operations' kinks are not
    detected. Rows are named after `f`'s parameters, or by `names` when given.

    The report is truthy when every input passes. With `raise_on_failure=True` a
    failure raises `GradcheckError` (an AssertionError) naming the failing inputs.

        >>> report = gradcheck(lambda x, y: x * y + x.tanh(), 1.0, 2.0)
        >>> bool(report), [row.name for row in report.rows]
        (True, ['x', 'y'])
    """
    names = _arg_names(f, len(xs)) if names is None else _given_names(names, len(xs))
    leaves = [Value(x, label=name) for x, name in zip(xs, names)]
    root = _call(f, leaves, {})
    gradients = _gradients(root)
    numerical = _central_differences(f, xs, names, eps)
    steps = [_step(x, eps) for x in xs]
    kinks = _kinks(root, leaves, steps)
    rows = []
    for leaf, n, h, kink in zip(leaves, numerical, steps, kinks):
        a = gradients.get(leaf, 0.0)
        error = abs(a - n)
        scale = max(abs(a), abs(n))
        rows.append(GradcheckRow(leaf.label, a, n, error, error / scale if scale else 0.0, h,
                                 kink, _agrees(a, n, rtol, atol)))
    report = GradcheckReport(rows, root.data, rtol, atol, eps)
    if raise_on_failure and not report:
        raise GradcheckError(report)
    return report


# --- explain: the chain rule written out, path by path

class PathLimitError(ValueError):
    """More paths from the root to a node than `explain` was allowed to write out."""


class LabelError(LookupError):
    """A label that names no node, or more than one node, of the graph."""


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
        self.name = _derivative(root, node)

    def equation(self) -> str:
        """The derivative written out, with its numbers; its last line is `∂C/∂v = total`."""
        if self.node is self.root:
            return f"{self.name} = 1"
        return "\n".join(self._lines())

    def _lines(self) -> List[str]:
        raise NotImplementedError

    def __str__(self) -> str:
        grad = f"{_wrapped(_name(self.node))}.grad = {_g(self.node_grad)}"
        if _agrees(self.node_grad, self.total, 1e-9, 1e-12):
            return f"{self.equation()}   ({grad}: agrees)"
        return (f"{self.equation()}   ({grad}, not this: it was not filled by one "
                f"backward() from {_name(self.root)})")


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
        lines = [f"{self.name}: {_count(count, 'path')} from {_name(self.root)} to "
                 f"{_name(self.node)}, each the product of its factors"]
        for number, path in enumerate(self.paths, 1):
            lines.extend(_path_lines(path, f"path {number} of {count}"))
        products = _signed_sum(path.product for path in self.paths)
        lines.append(f"{self.name} = {products} = {_g(self.total)}" if count > 1
                     else f"{self.name} = {_g(self.total)}")
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
        v, c = _wrapped(_name(self.node)), _wrapped(_name(self.root))
        lines = [f"{self.name} = Σ over the {_count(len(self.terms), 'consumer')} u of "
                 f"{_name(self.node)} of ∂u/∂{v} · ∂{c}/∂u"]
        for consumer, local, upstream in self.terms:
            u = _wrapped(consumer)
            lines.append(f"  ∂{u}/∂{v} · ∂{c}/∂{u} = {_g(local)} · {_g(upstream)} = "
                         f"{_g(local * upstream)}")
        lines.append(f"{self.name} = {_g(self.total)}")
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

    The number of paths can grow exponentially with depth (each layer multiplies it).
    It is counted first, and past `max_paths` a `PathLimitError` says so; the one-step
    form `explain(root, node, one_step=True)`, which returns a `OneStep`, is always
    small: ∂C/∂v = Σ_u ∂u/∂v · ∂C/∂u over the consumers u of v.
    """
    nodes = _trace_root(root, "explain")
    node = _resolve(node, nodes, root)
    if one_step:
        return _one_step(root, node, nodes)
    counts = count_paths(nodes, node)
    if counts[root] > max_paths:
        raise PathLimitError(
            f"{_derivative(root, node)} has {counts[root]} paths from {_name(root)} to "
            f"{_name(node)}, more than max_paths={max_paths}: the number of paths grows "
            f"exponentially with the depth of the graph. Use the one-step form, which is "
            f"always small: explain(root, node, one_step=True) writes it as the sum over "
            f"the consumers u of {_name(node)} of ∂u/∂{_wrapped(_name(node))} · "
            f"∂{_wrapped(_name(root))}/∂u; or raise max_paths")
    inner = [v for v in nodes if counts[v] and v is not root and v is not node]
    every_node = every_node or not any(v.label for v in inner)
    paths = [_factored(path, every_node) for path in _paths(root, node, counts)]
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


def _factored(path: List[Tuple[Value, float]], every_node: bool) -> ChainPath:
    """A path's factors: one per edge, or one per stretch between labelled nodes."""
    factors = []
    start, value = path[0][0], 1.0
    for i, (v, local) in enumerate(path[1:], 1):
        value *= local
        if every_node or v.label or i == len(path) - 1:
            factors.append((_derivative(start, v), value))
            start, value = v, 1.0
    product = math.prod(factor for _, factor in factors)
    return ChainPath(tuple(v for v, _ in path), factors, product)


def _one_step(root: Value, node: Value, nodes: List[Value]) -> OneStep:
    gradients = _gradients(root)
    terms = [(_name(consumer), local, gradients[consumer])
             for consumer in nodes
             for parent, local in zip(consumer.parents, consumer.local_grads)
             if parent is node]
    return OneStep(root, node, terms)


# --- check: hand-derived gradients against the engine

class CheckRow(NamedTuple):
    """One hand-derived ∂root/∂node against the engine's."""
    name: str
    node: Value
    expected: float
    engine: float
    error: float            # |expected − engine|
    passed: bool


class CheckReport(_Report):
    """Hand-derived gradients graded against the engine; truthy when all hold.

    `.rows`; `.explanations`, the chain rule of each wrong gradient by name; `.starts`,
    the names of the wrong nodes where the hand computation first went astray (see
    `check`); `str()` is the table followed by the diagnosis.
    """

    def __init__(self, root: Value, rows: List[CheckRow], starts: Dict[str, List[str]],
                 explanations: Dict[str, Union[Explanation, OneStep]], rtol: float,
                 atol: float) -> None:
        self.root = root
        self.rows = rows
        self.starts = list(starts)
        self.held_before = starts       # start name -> given nodes between it and root that hold
        self.explanations = explanations
        self.rtol, self.atol = rtol, atol

    def __str__(self) -> str:
        c = _wrapped(_name(self.root))
        table = _table(("node", f"expected ∂{c}/∂node", "engine", "error", "verdict"),
                       [(r.name, _g(r.expected), _g(r.engine), _g(r.error, 2),
                         "ok" if r.passed else "WRONG") for r in self.rows])
        lines = [f"check of hand-derived gradients of {_name(self.root)};\nthey hold when "
                 f"|expected-engine| <= atol + rtol*max(|expected|,|engine|), "
                 f"rtol={self.rtol:g}, atol={self.atol:g}", table]
        wrong = self.failures
        if not wrong:
            lines.append(_all(len(self.rows), "hand-derived gradient holds",
                              "hand-derived gradients hold"))
            return "\n".join(lines)
        lines.append(f"hand-derived gradients wrong: {len(wrong)} of {len(self.rows)}")
        for name in self.starts if len(self.rows) > 1 else ():
            held = self.held_before[name]
            after = (f"; the given gradients between it and {_name(self.root)} hold "
                     f"({', '.join(held)}), so the mistake is in the factors from there to "
                     f"{name}") if held else ""
            lines.append(f"the hand-derived values first go wrong at {name}{after}")
        for row in wrong:
            lines.append(f"\nchain rule of {_derivative(self.root, row.node)} "
                         f"(engine {_g(row.engine)}, expected {_g(row.expected)}):")
            lines.append(self.explanations[row.name].equation())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"CheckReport(passed={bool(self)}, checked={len(self.rows)}, "
                f"wrong={[row.name for row in self.failures]}, starts={self.starts})")


def check(root: Value, expected: Mapping[Target, Number], *, rtol: float = 1e-4,
          atol: float = 1e-9, max_paths: int = 1000) -> CheckReport:
    """Grade hand-derived gradients ∂root/∂v of leaves or inner nodes, named by label or Value.

    `expected` maps each node v (its label, or the `Value`) to your ∂root/∂v; for an inner
    node such as z_o1 that is the article's δ = ∂C/∂z_o1. A value holds when
    |expected − engine| ≤ atol + rtol · max(|expected|, |engine|); rtol = 1e-4 accepts
    hand values rounded to five significant digits.

    Each wrong gradient comes with its chain rule (`explain`, or its one-step form past
    `max_paths` paths). Where several nodes were given, the report names where the
    error starts: the wrong nodes v such that every other given node u on a path from
    root to v (every u whose gradient feeds v's in the backward pass) holds. A wrong δ
    at z_o1 propagates to w7, so given both wrong, the error starts at z_o1; given
    z_o1 right and w7 wrong, it starts at w7, in the factors between the two.

    Labels that name no node, or several, raise `LabelError` naming all of them.

        >>> from tinygrad_bp import Value, check
        >>> x = Value(2.0, label="x"); y = x * x; y.label = "y"
        >>> bool(check(y, {"x": 4.0})), bool(check(y, {"x": 2.0}))
        (True, False)
    """
    nodes = _trace_root(root, "check")
    targets = _resolve_all(list(expected), nodes, root)
    gradients = _gradients(root)
    rows = []
    for key, node in zip(expected, targets):
        hand = expected[key]
        if not _is_number(hand) or not math.isfinite(hand):
            raise TypeError(f"the expected gradient for {_name(node)} must be a finite "
                            f"number, got {type(hand).__name__} {hand!r}")
        engine = gradients[node]
        rows.append(CheckRow(_name(node), node, float(hand), engine, abs(hand - engine),
                             _agrees(hand, engine, rtol, atol)))
    wrong = [row for row in rows if not row.passed]
    explanations = {row.name: _explain_or_one_step(root, row.node, max_paths)
                    for row in wrong}
    # given u feeds v's gradient when v is among the nodes u was computed from
    below = {row.name: set(trace(row.node)[:-1]) for row in rows}
    starts = {row.name: [u.name for u in rows if u.passed and row.node in below[u.name]]
              for row in wrong if not any(row.node in below[u.name] for u in wrong)}
    return CheckReport(root, rows, starts, explanations, rtol, atol)


def _explain_or_one_step(root: Value, node: Value,
                         max_paths: int) -> Union[Explanation, OneStep]:
    try:
        return explain(root, node, max_paths=max_paths)
    except PathLimitError:
        return explain(root, node, one_step=True)


# --- shared helpers

def _gradients(root: Value) -> Dict[Value, float]:
    """∂root/∂v for every node v of root's graph, by the chain rule in reverse topological
    order (as `backward()` computes it), kept in a dict instead of written to `.grad`."""
    nodes = trace(root)
    gradients = dict.fromkeys(nodes, 0.0)
    gradients[root] = 1.0
    for v in reversed(nodes):
        for parent, local in zip(v.parents, v.local_grads):
            gradients[parent] += local * gradients[v]
    return gradients


def _call(f: Callable[..., object], args: Sequence[object],
          kwargs: Mapping[str, object]) -> Value:
    result = f(*args, **kwargs)
    if not isinstance(result, Value):
        raise TypeError(f"{_function_name(f)} returned {type(result).__name__} {result!r}, "
                        f"not a Value: build the result from the Values it is given (a "
                        f"float() or .data on the way cuts the graph)")
    return result


def _data(result: object, f: Callable[..., object]) -> float:
    """The number f returned, whether a Value or a plain number."""
    if isinstance(result, Value):
        return result.data
    if _is_number(result):
        return float(result)
    raise TypeError(f"{_function_name(f)} returned {type(result).__name__} {result!r}: "
                    f"numerical_grad needs a Value or a number")


def _leaves(xs: Sequence[Number], names: Sequence[str], i: int, h: float) -> List[Value]:
    """Fresh labelled leaves for xs, with x_i moved by h."""
    return [Value(x + h if j == i else x, label=name)
            for j, (x, name) in enumerate(zip(xs, names))]


def _step(x: Number, eps: float) -> float:
    if not (_is_number(eps) and eps > 0.0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    if not _is_number(x):
        raise TypeError(f"inputs must be numbers (int or float), got {type(x).__name__} {x!r}")
    return eps * max(1.0, abs(x))


def _kinks(root: Value, leaves: List[Value], steps: List[float]) -> List[bool]:
    """For each leaf: does some relu's input z, which depends on it, lie within reach of 0?"""
    flagged = [False] * len(leaves)
    for v in trace(root):
        if v.op != "relu":
            continue
        z = v.parents[0]
        slopes = _gradients(z)
        for i, (leaf, h) in enumerate(zip(leaves, steps)):
            if leaf in slopes and (z.data == 0.0 or abs(z.data) <= 2.0 * abs(slopes[leaf]) * h):
                flagged[i] = True
    return flagged


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _agrees(a: float, b: float, rtol: float, atol: float) -> bool:
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def _picked(argnums: Argnums, count: int) -> List[int]:
    """The argument positions to differentiate, checked against the call."""
    if argnums is None:
        return list(range(count))
    picked = [argnums] if isinstance(argnums, int) else \
        list(argnums) if isinstance(argnums, (tuple, list)) else [argnums]
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in picked):
        raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
    for i in picked:
        if not 0 <= i < count:
            raise ValueError(f"argnums entry {i!r} is not the position of one of the "
                             f"{count} arguments given (0 to {count - 1})")
    if len(set(picked)) != len(picked):
        raise ValueError(f"argnums {argnums!r} names an argument twice")
    return picked


def _arg_names(f: Callable[..., object], count: int) -> List[str]:
    """f's positional parameter names for `count` arguments: `x`, `y`; `xs[0]` for *xs;
    `arg0`, `arg1`... where the signature says nothing."""
    names: List[str] = []
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    for p in parameters:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            names.extend(f"{p.name}[{i}]" for i in range(count - len(names)))
    names = names[:count]
    return names + [f"arg{i}" for i in range(len(names), count)]


def _given_names(names: Sequence[str], count: int) -> List[str]:
    names = list(names)
    if len(names) != count or not all(isinstance(name, str) for name in names):
        raise ValueError(f"names must be {count} strs, one per input, got {names!r}")
    return names


def _named(wrapper: Callable, kind: str, f: Callable) -> Callable:
    wrapper.__name__ = wrapper.__qualname__ = f"{kind}({_function_name(f)})"
    wrapper.__doc__ = f"{kind} of {_function_name(f)}: see tinygrad_bp.{kind}."
    return wrapper


def _function_name(f: Callable[..., object]) -> str:
    return getattr(f, "__qualname__", None) or repr(f)


def _trace_root(root: object, who: str) -> List[Value]:
    if not isinstance(root, Value):
        raise TypeError(f"{who} needs the root Value of a graph (such as the cost C), got "
                        f"{type(root).__name__} {root!r}")
    return trace(root)


def _resolve(key: Target, nodes: List[Value], root: Value) -> Value:
    return _resolve_all([key], nodes, root)[0]


def _resolve_all(keys: Sequence[Target], nodes: List[Value], root: Value) -> List[Value]:
    """The node each key names (a label, or a Value of root's graph); errors name them all."""
    by_label: Dict[str, List[Value]] = {}
    for v in nodes:
        if v.label:
            by_label.setdefault(v.label, []).append(v)
    members = set(nodes)
    found, unknown, ambiguous, foreign = [], [], [], []
    for key in keys:
        if isinstance(key, Value):
            (found if key in members else foreign).append(key)
        elif isinstance(key, str):
            matches = by_label.get(key, [])
            if not matches:
                unknown.append(key)
            elif len(matches) > 1:
                ambiguous.append(key)
            else:
                found.append(matches[0])
        else:
            raise TypeError(f"a node is named by its label (str) or given as a Value, got "
                            f"{type(key).__name__} {key!r}")
    problems = []
    if unknown:
        known = ", ".join(sorted(by_label)) or "none"
        problems.append(f"no node labelled {', '.join(map(repr, unknown))} in the graph of "
                        f"{_name(root)} (labels there: {known})")
    if ambiguous:
        problems.append(f"several nodes are labelled {', '.join(map(repr, ambiguous))}: "
                        f"pass the Value itself, or label the nodes apart")
    if foreign:
        problems.append(f"{', '.join(v._name() for v in foreign)} is not in the graph of "
                        f"{_name(root)}: {_name(root)} was not computed from it")
    if problems:
        raise (LabelError if unknown or ambiguous else ValueError)("; ".join(problems))
    return found


# --- names of nodes and factors

_INFIX = ("+", "-", "*", "/", "**")
_WIDTH = 100        # the widest equation line before factors go one per line


def _name(v: Value) -> str:
    """A node's name: its label, else its operation on its operands, two levels deep."""
    return _expression(v, 2)


def _expression(v: Value, depth: int) -> str:
    if v.label:
        return v.label
    if not v.parents:
        return _g(v.data, 4)            # an unlabelled leaf: its value
    if depth == 0:
        return "…"
    if not _infix(v):                   # exp(a), or a custom op(a, b)
        return f"{v.op}({', '.join(_expression(p, depth - 1) for p in v.parents)})"
    operands = [_operand(p, depth - 1) for p in v.parents]
    if v.op == "neg":
        return f"-{operands[0]}"
    if len(operands) == 2:
        return f"{operands[0]} {v.op} {operands[1]}"
    if v.op.startswith(_INFIX):         # a * 3: op "* 3"
        return f"{operands[0]} {v.op}"
    return f"{v.op} {operands[0]}"      # 2 - a: op "2 -"


def _infix(v: Value) -> bool:
    """Whether v is written with an operator: `a * b`, `a * 3` (op "* 3"), `2 - a`, `-a`."""
    if v.op in _INFIX:
        return len(v.parents) == 2
    folded = " " in v.op and (v.op.startswith(_INFIX) or v.op.endswith(_INFIX))
    return len(v.parents) == 1 and (folded or v.op == "neg")


def _operand(v: Value, depth: int) -> str:
    """An operand's name, in parentheses when it is itself an operator expression."""
    text = _expression(v, depth)
    return f"({text})" if not v.label and depth > 0 and _infix(v) else text


def _wrapped(name: str) -> str:
    """A name ready to follow ∂: bare when it is one word, in parentheses otherwise."""
    return name if name.replace("_", "").isalnum() else f"({name})"


def _derivative(top: Value, bottom: Value) -> str:
    return f"∂{_wrapped(_name(top))}/∂{_wrapped(_name(bottom))}"


def _path_lines(path: ChainPath, title: str) -> List[str]:
    """A path as a names line over a numbers line, or one factor per line when too wide."""
    names = [name for name, _ in path.factors]
    values = [_g(value) for _, value in path.factors]
    widths = [max(len(a), len(b)) for a, b in zip(names, values)]
    if sum(widths) + 3 * len(widths) <= _WIDTH:
        return ["  " + " · ".join(a.ljust(w) for a, w in zip(names, widths)).rstrip(),
                "= " + " · ".join(b.ljust(w) for b, w in zip(values, widths))
                + f" = {_g(path.product)}"]
    width = max(len(name) for name in names)
    return ([f"  {title}, the product of:"]
            + [f"    {a.ljust(width)}  {b}" for a, b in zip(names, values)]
            + [f"  = {_g(path.product)}"])


def _signed_sum(terms: Iterable[float]) -> str:
    """`a + b - c`, the numbers as `_g` writes them."""
    text = ""
    for term in terms:
        sign = "-" if term < 0 else "+"
        text = _g(term) if not text else f"{text} {sign} {_g(abs(term))}"
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _all(n: int, one: str, several: str) -> str:
    return f"the {one}" if n == 1 else f"all {n} {several}"


def _g(x: float, digits: int = 6) -> str:
    return f"{x:.{digits}g}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as left-aligned columns under a header."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip()
                     for line in [header, *rows])
