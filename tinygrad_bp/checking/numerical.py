"""`numerical_grad` estimates a gradient by central differences; `gradcheck` compares
the engine's with it, input by input, and reports as a table."""

from __future__ import annotations

from typing import Callable, List, NamedTuple, Optional, Sequence, Union

from tinygrad_bp.checking.functional import (Gradients, arg_names, call, check_function,
                                             function_name, is_number, tolerance)
from tinygrad_bp.checking.report import Report, agrees, all_of, columns, fmt
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
    """One input of a gradcheck: analytic a (the engine) against numerical n."""
    name: str
    analytic: float
    numerical: float
    abs_error: float        # |a − n|
    rel_error: float        # |a − n| / max(|a|, |n|), 0 when both are 0
    step: float             # h used for this input
    kink: bool              # a relu's input lies within the step: n may legitimately differ
    passed: bool            # |a − n| ≤ atol + rtol · max(|a|, |n|)


class GradcheckReport(Report):
    """The rows of a gradcheck; truthy when every input passes; prints as a table."""

    def __init__(self, rows: List[GradcheckRow], value: float, rtol: float, atol: float,
                 eps: float) -> None:
        self.rows = rows
        self.value = value
        self.rtol, self.atol, self.eps = rtol, atol, eps

    def __str__(self) -> str:
        table = columns(("input", "analytic", "numerical", "abs error", "rel error", "step",
                        "kink", "verdict"),
                       [(r.name, fmt(r.analytic), fmt(r.numerical), fmt(r.abs_error, 2),
                         fmt(r.rel_error, 2), fmt(r.step, 2), "kink" if r.kink else "",
                         "ok" if r.passed else "differs" if r.kink else "FAIL")
                        for r in self.rows])
        lines = [f"gradcheck of the engine (analytic a) against central differences "
                 f"(numerical n), step = {self.eps:g}*max(1,|x|);\n"
                 f"pass when |a-n| <= atol + rtol*max(|a|,|n|), rtol={self.rtol:g}, "
                 f"atol={self.atol:g}", table]
        if any(row.kink for row in self.rows):
            lines.append("kink: a relu's input is within the step of 0, where relu has no "
                         "derivative; the numerical estimate straddles it and may differ")
        failed = [row.name for row in self.failures if not row.kink]
        at_kinks = [row.name for row in self.failures if row.kink]
        if at_kinks:
            lines.append(f"differs at a kink for {', '.join(at_kinks)}: expected there, not an "
                         f"error of the engine, which takes relu'(0) = 0")
        if failed:
            lines.append(f"FAILED for {', '.join(failed)}")
        elif not at_kinks:
            lines.append(all_of(len(self.rows), "input passes", "inputs pass"))
        return "\n".join(lines)

    def __repr__(self) -> str:
        failed = [row.name for row in self.failures]
        return (f"GradcheckReport(passed={not failed}, inputs={[r.name for r in self.rows]}, "
                f"failed={failed})")


class GradcheckError(TinygradBPError, AssertionError):
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
    A kink does not excuse a failure (the report stays falsy); it explains it, and the
    report says "differs at a kink" instead of "FAILED". Custom operations' kinks are not
    detected. Rows are named after `f`'s parameters, or by `names` when given.

    The report is truthy when every input passes. With `raise_on_failure=True` a
    failure raises `GradcheckError` (an AssertionError) naming the failing inputs.

        >>> report = gradcheck(lambda x, y: x * y + x.tanh(), 1.0, 2.0)
        >>> bool(report), [row.name for row in report.rows]
        (True, ['x', 'y'])
    """
    check_function(f, "gradcheck")
    rtol, atol = tolerance(rtol, "rtol"), tolerance(atol, "atol")
    names = arg_names(f, len(xs)) if names is None else _given_names(names, len(xs))
    leaves = [Value(x, label=name) for x, name in zip(xs, names)]
    root = call(f, leaves, {})
    gradients = gradients_of(root)
    numerical = _central_differences(f, xs, names, eps)
    steps = [_step(x, eps) for x in xs]
    kinks = _kinks(root, leaves, steps)
    rows = []
    for leaf, n, h, kink in zip(leaves, numerical, steps, kinks):
        a = gradients.get(leaf, 0.0)
        error = abs(a - n)
        scale = max(abs(a), abs(n))
        rows.append(GradcheckRow(leaf.label, a, n, error, error / scale if scale else 0.0, h,
                                 kink, agrees(a, n, rtol, atol)))
    report = GradcheckReport(rows, root.data, rtol, atol, eps)
    if raise_on_failure and not report:
        raise GradcheckError(report)
    return report


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
