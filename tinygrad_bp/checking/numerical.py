"""`numerical_grad` estimates a gradient by central differences; `gradcheck` compares
the engine's with it, input by input (or, with `order=2`, its second derivatives with
central differences of its gradient), and reports as a table."""

from __future__ import annotations

from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple, Union

from tinygrad_bp.checking.functional import (Gradients, arg_names, call, check_function,
                                             derivative_order, function_name, is_number,
                                             second_derivatives, tolerance)
from tinygrad_bp.checking.report import Report, agrees, all_of, columns, fmt, wrapped
from tinygrad_bp.engine import Number, Value, gradients as gradients_of, trace
from tinygrad_bp.errors import BPTypeError, BPValueError, TinygradBPError


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
    check_function(f, "numerical_grad")
    estimates = _central_differences(f, xs, arg_names(f, len(xs)), eps)
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
    """One input of a gradcheck (one pair of inputs with `order=2`): analytic a (the
    engine) against numerical n."""
    name: str               # the input, or with order=2 the derivative: ∂²f/∂x∂y
    analytic: float
    numerical: float
    abs_error: float        # |a − n|
    rel_error: float        # |a − n| / max(|a|, |n|), 0 when both are 0
    step: float             # h used for this input (with order=2, for the second one)
    kink: bool              # a relu's input lies within the step: n may legitimately differ
    passed: bool            # |a − n| ≤ atol + rtol · max(|a|, |n|)


class GradcheckReport(Report):
    """The rows of a gradcheck; truthy when every input passes; prints as a table."""

    def __init__(self, rows: List[GradcheckRow], value: float, rtol: float, atol: float,
                 eps: float, order: int = 1) -> None:
        self.rows = rows
        self.value = value
        self.rtol, self.atol, self.eps = rtol, atol, eps
        self.order = order

    def __str__(self) -> str:
        table = columns(("input" if self.order == 1 else "derivative", "analytic", "numerical",
                         "abs error", "rel error", "step", "kink", "verdict"),
                       [(r.name, fmt(r.analytic), fmt(r.numerical), fmt(r.abs_error, 2),
                         fmt(r.rel_error, 2), fmt(r.step, 2), "kink" if r.kink else "",
                         "ok" if r.passed else "differs" if r.kink else "FAIL")
                        for r in self.rows])
        compared = ("the engine (analytic a) against central differences (numerical n)"
                    if self.order == 1 else
                    "the engine's second derivatives (analytic a) against central "
                    "differences of its gradient (numerical n)")
        lines = [f"gradcheck of {compared}, step = {self.eps:g}*max(1,|x|);\n"
                 f"pass when |a-n| <= atol + rtol*max(|a|,|n|), rtol={self.rtol:g}, "
                 f"atol={self.atol:g}", table]
        if any(row.kink for row in self.rows):
            relu = "relu" if self.order == 1 else "relu'"
            lines.append(f"kink: a relu's input is within the step of 0, where {relu} has no "
                         f"derivative; the numerical estimate straddles it and may differ")
        failed = [row.name for row in self.failures if not row.kink]
        at_kinks = [row.name for row in self.failures if row.kink]
        if at_kinks:
            lines.append(f"differs at a kink for {', '.join(at_kinks)}: expected there, not an "
                         f"error of the engine, which takes relu'(0) = 0"
                         + ("" if self.order == 1 else " and relu''(0) = 0"))
        if failed:
            lines.append(f"FAILED for {', '.join(failed)}")
        elif not at_kinks:
            lines.append(all_of(len(self.rows), "input passes", "inputs pass") if self.order == 1
                         else all_of(len(self.rows), "derivative passes", "derivatives pass"))
        return "\n".join(lines)

    def __repr__(self) -> str:
        failed = [row.name for row in self.failures]
        rows = "inputs" if self.order == 1 else "order=2, derivatives"
        return (f"GradcheckReport(passed={not failed}, {rows}={[r.name for r in self.rows]}, "
                f"failed={failed})")


class GradcheckError(TinygradBPError, AssertionError):
    """Raised by `gradcheck(..., raise_on_failure=True)`; `.report` holds the whole report."""

    def __init__(self, report: GradcheckReport) -> None:
        failed = ", ".join(row.name for row in report.failures)
        super().__init__(f"gradcheck failed for {failed}\n{report}")
        self.report = report


def gradcheck(f: Callable[..., Value], *xs: Number, rtol: float = 1e-5,
              atol: Optional[float] = None, eps: float = 1e-6, raise_on_failure: bool = False,
              names: Optional[Sequence[str]] = None, order: int = 1) -> GradcheckReport:
    """Compare the engine's ∂f/∂x_i (analytic, a) with `numerical_grad`'s (n), per input.

    Input i passes when |a − n| ≤ atol + rtol · max(|a|, |n|) (atol = 1e-8 by default).
    Each row also has the relative error |a − n| / max(|a|, |n|) (0 when both are 0)
    and the step h_i, and is flagged `kink` when, at xs, some relu's input z depends on
    x_i and lies within the step of relu's kink at 0 (|z| ≤ 2·|∂z/∂x_i|·h_i, a linear
    estimate with a safety factor of 2): there the two-sided difference straddles a
    point with no derivative. A kink does not excuse a failure (the report stays falsy);
    it explains it, and the report says "differs at a kink" instead of "FAILED". Custom
    operations' kinks are not detected. Rows are named after `f`'s parameters, or by
    `names` when given.

    With `order=2`, one row per pair (i, j): the engine's ∂²f/∂x_i∂x_j (row i of
    `hessian`, from the table's differentiable rules) against central differences of
    the engine's float gradient g (as `grad` computes it, from the rules' float form),
    (g_i(x + h_j e_j) − g_i(x − h_j e_j)) / 2h_j. The step is the same,
    h_j = eps · max(1, |x_j|): the rounding error of g, a few units of 2⁻⁵² · |g|, is
    divided by h, which makes about 1e-9 · |g| for eps = 1e-6, while the truncation
    error h² · |∂³g| / 6 stays below 1e-12 for moderate third derivatives. So the
    default atol is 1e-6 for order 2 (right answers pass for gradients up to about
    1000) and rtol stays 1e-5. Pair (i, j) is flagged `kink` when moving x_j reaches a
    relu's kink: there g jumps, and the difference quotient of a jump means nothing.

    The report is truthy when every row passes. With `raise_on_failure=True` a
    failure raises `GradcheckError` (an AssertionError) naming the failing rows.

        >>> report = gradcheck(lambda x, y: x * y + x.tanh(), 1.0, 2.0)
        >>> bool(report), [row.name for row in report.rows]
        (True, ['x', 'y'])
        >>> [row.name for row in gradcheck(lambda x, y: x * y + x.tanh(), 1.0, 2.0, order=2).rows]
        ['∂²f/∂x²', '∂²f/∂x∂y', '∂²f/∂y∂x', '∂²f/∂y²']
    """
    check_function(f, "gradcheck")
    order = derivative_order(order)
    rtol = tolerance(rtol, "rtol")
    atol = (1e-8 if order == 1 else 1e-6) if atol is None else tolerance(atol, "atol")
    names = arg_names(f, len(xs)) if names is None else _given_names(names, len(xs))
    leaves = [Value(x, label=name) for x, name in zip(xs, names)]
    root = call(f, leaves, {})
    steps = [_step(x, eps) for x in xs]
    kinks = _kinks(root, leaves, steps)
    if order == 1:
        gradients = gradients_of(root)
        compared = [(leaf.label, gradients.get(leaf, 0.0), n, h, kink) for leaf, n, h, kink
                    in zip(leaves, _central_differences(f, xs, names, eps), steps, kinks)]
    else:
        compared = _second_derivatives(f, xs, names, leaves, root, steps, kinks)
    rows = []
    for name, a, n, h, kink in compared:
        error = abs(a - n)
        scale = max(abs(a), abs(n))
        rows.append(GradcheckRow(name, a, n, error, error / scale if scale else 0.0, h,
                                 kink, agrees(a, n, rtol, atol)))
    report = GradcheckReport(rows, root.data, rtol, atol, eps, order)
    if raise_on_failure and not report:
        raise GradcheckError(report)
    return report


def _second_derivatives(f: Callable[..., Value], xs: Sequence[Number], names: Sequence[str],
                        leaves: List[Value], root: Value, steps: List[float],
                        kinks: List[bool]) -> List[Tuple[str, float, float, float, bool]]:
    """(name, analytic, numerical, step, kink) for each ∂²f/∂x_i∂x_j, row by row."""
    seconds = second_derivatives(root, leaves)
    numerical = []          # numerical[j][i]: ∂g_i/∂x_j by central differences
    for j, h in enumerate(steps):
        up, down = (_gradient(f, _leaves(xs, names, j, step)) for step in (h, -h))
        numerical.append([(u - d) / (2.0 * h) for u, d in zip(up, down)])
    top = wrapped(root.label or "f")
    return [(second_name(top, names[i], names[j]), seconds[leaves[i]].get(leaves[j], 0.0),
             numerical[j][i], steps[j], kinks[j])
            for i in range(len(xs)) for j in range(len(xs))]


def second_name(top: str, first: str, second: str) -> str:
    """∂²f/∂x² or ∂²f/∂x∂y: the derivative by `second` of the derivative by `first`."""
    if first == second:
        return f"∂²{top}/∂{wrapped(first)}²"
    return f"∂²{top}/∂{wrapped(first)}∂{wrapped(second)}"


def _gradient(f: Callable[..., Value], leaves: List[Value]) -> List[float]:
    """The engine's float gradient of f at `leaves`, one entry per leaf."""
    gradients = gradients_of(call(f, leaves, {}))
    return [gradients.get(leaf, 0.0) for leaf in leaves]


def _data(result: object, f: Callable[..., object]) -> float:
    """The number f returned, whether a Value or a plain number."""
    if isinstance(result, Value):
        return result.data
    if is_number(result):
        return float(result)
    raise BPTypeError(f"{function_name(f)} returned {type(result).__name__} {result!r}: "
                      f"numerical_grad needs a Value or a number")


def _leaves(xs: Sequence[Number], names: Sequence[str], i: int, h: float) -> List[Value]:
    """Fresh labelled leaves for xs, with x_i moved by h."""
    return [Value(x + h if j == i else x, label=name)
            for j, (x, name) in enumerate(zip(xs, names))]


def _step(x: Number, eps: float) -> float:
    if not is_number(eps):
        raise BPTypeError(f"eps must be a positive number, got {type(eps).__name__} {eps!r}")
    if not eps > 0.0:
        raise BPValueError(f"eps must be a positive number, got {eps!r}")
    if not is_number(x):
        raise BPTypeError(f"inputs must be numbers (int or float), got {type(x).__name__} {x!r}")
    return eps * max(1.0, abs(x))


def _kinks(root: Value, leaves: List[Value], steps: List[float]) -> List[bool]:
    """For each leaf: does the input z of some op with a kink at 0 (relu), which depends on
    it, lie within reach of 0?

    One forward pass per leaf carries ∂v/∂leaf to every node v that depends on the leaf,
    so the cost is leaves × nodes whatever the number of kinks, the same order as the
    central differences themselves.
    """
    nodes = trace(root)
    inputs = [v.parents[0] for v in nodes if v.kind is not None and v.kind.kink]
    flagged = [False] * len(leaves)
    if not inputs:
        return flagged
    for i, (leaf, h) in enumerate(zip(leaves, steps)):
        slope = {leaf: 1.0}             # ∂v/∂leaf, for the nodes v computed from the leaf
        for v in nodes:
            terms = [local * slope[p] for p, local in zip(v.parents, v.local_grads)
                     if p in slope]
            if terms:
                slope[v] = sum(terms)
        flagged[i] = any(z in slope and (z.data == 0.0 or abs(z.data) <= 2.0 * abs(slope[z]) * h)
                         for z in inputs)
    return flagged


def _given_names(names: Sequence[str], count: int) -> List[str]:
    names = list(names)
    if not all(isinstance(name, str) for name in names):
        raise BPTypeError(f"names must be {count} strs, one per input, got {names!r}")
    if len(names) != count:
        raise BPValueError(f"names must be {count} strs, one per input, got {names!r}")
    return names
