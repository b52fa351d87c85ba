"""`check(C, expected)`: hand-derived gradients ∂C/∂v graded against the engine's, and
for each wrong one, its chain rule and where the hand computation went astray."""

from __future__ import annotations

import math
from typing import Dict, List, Mapping, NamedTuple, Union

from tinygrad_bp.checking.explaining import Explanation, OneStep, PathLimitError, explain
from tinygrad_bp.checking.functional import is_number
from tinygrad_bp.checking.graph import Target, trace_root
from tinygrad_bp.checking.report import (Report, agrees, all_of, columns, derivative_name, fmt,
                                         node_name, wrapped)
from tinygrad_bp.engine import Number, Value, find, gradients as gradients_of, trace


class CheckRow(NamedTuple):
    """One hand-derived ∂root/∂node against the engine's."""
    name: str
    node: Value
    expected: float
    engine: float
    error: float            # |expected − engine|
    passed: bool


class CheckReport(Report):
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
        c = wrapped(node_name(self.root))
        table = columns(("node", f"expected ∂{c}/∂node", "engine", "error", "verdict"),
                       [(r.name, fmt(r.expected), fmt(r.engine), fmt(r.error, 2),
                         "ok" if r.passed else "WRONG") for r in self.rows])
        lines = [f"check of hand-derived gradients of {node_name(self.root)};\nthey hold when "
                 f"|expected-engine| <= atol + rtol*max(|expected|,|engine|), "
                 f"rtol={self.rtol:g}, atol={self.atol:g}", table]
        wrong = self.failures
        if not wrong:
            lines.append(all_of(len(self.rows), "hand-derived gradient holds",
                              "hand-derived gradients hold"))
            return "\n".join(lines)
        lines.append(f"hand-derived gradients wrong: {len(wrong)} of {len(self.rows)}")
        for name in self.starts if len(self.rows) > 1 else ():
            held = self.held_before[name]
            after = (f"; the given gradients between it and {node_name(self.root)} hold "
                     f"({', '.join(held)}), so the mistake is in the factors from there to "
                     f"{name}") if held else ""
            lines.append(f"the hand-derived values first go wrong at {name}{after}")
        for row in wrong:
            lines.append(f"\nchain rule of {derivative_name(self.root, row.node)} "
                         f"(engine {fmt(row.engine)}, expected {fmt(row.expected)}):")
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
    nodes = trace_root(root, "check")
    targets = find(root, list(expected), nodes)
    gradients = gradients_of(root)
    rows = []
    for key, node in zip(expected, targets):
        hand = expected[key]
        if not is_number(hand) or not math.isfinite(hand):
            raise TypeError(f"the expected gradient for {node_name(node)} must be a finite "
                            f"number, got {type(hand).__name__} {hand!r}")
        engine = gradients[node]
        rows.append(CheckRow(node_name(node), node, float(hand), engine, abs(hand - engine),
                             agrees(hand, engine, rtol, atol)))
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
