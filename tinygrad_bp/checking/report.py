"""How checking writes its reports: names of nodes and derivatives, numbers, tables.

A node's name is its label, else its operation on its operands, two levels deep
(`a * 3`, `tanh(x + …)`); a derivative's is `∂C/∂w7`, or `∂(a * b)/∂a`.
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence

from tinygrad_bp.engine import Value
from tinygrad_bp.ops import number_text


class Report:
    """Rows that each pass or not: truthy when all pass; `.failures` lists the others."""

    rows: list

    @property
    def failures(self) -> list:
        return [row for row in self.rows if not row.passed]

    def __bool__(self) -> bool:
        return not self.failures


def agrees(a: float, b: float, rtol: float, atol: float) -> bool:
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def node_name(v: Value) -> str:
    """A node's name: its label, else its operation on its operands, two levels deep."""
    return _expression(v, 2)


def _expression(v: Value, depth: int) -> str:
    if v.label:
        return v.label
    if not v.parents:
        return fmt(v.data, 4)            # an unlabelled leaf: its value
    if depth == 0:
        return "…"
    if v.kind is None:                  # a custom op(a, b)
        return f"{v.op}({', '.join(_expression(p, depth - 1) for p in v.parents)})"
    operands = [(_expression if v.kind.is_function else _operand)(p, depth - 1)
                for p in v.parents]
    c = "" if v.const is None else number_text(v.const)
    return v.kind.written.format(**dict(zip("ab", operands)), c=c)


def _infix(v: Value) -> bool:
    """Whether v is written with an operator: `a * b`, `a * 3`, `2 - a`, `-a`."""
    return v.kind is not None and not v.kind.is_function


def _operand(v: Value, depth: int) -> str:
    """An operand's name, in parentheses when it is itself an operator expression."""
    text = _expression(v, depth)
    return f"({text})" if not v.label and depth > 0 and _infix(v) else text


def wrapped(name: str) -> str:
    """A name ready to follow ∂: bare when it is one word, in parentheses otherwise."""
    return name if name.replace("_", "").isalnum() else f"({name})"


def derivative_name(top: Value, bottom: Value, names: Optional[Dict[Value, str]] = None) -> str:
    """`∂top/∂bottom`; `names`, if given, keeps each node's name once made (a path of n
    factors names its nodes n times)."""
    if names is None:
        return f"∂{wrapped(node_name(top))}/∂{wrapped(node_name(bottom))}"
    for v in (top, bottom):
        if v not in names:
            names[v] = wrapped(node_name(v))
    return f"∂{names[top]}/∂{names[bottom]}"


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def all_of(n: int, one: str, several: str) -> str:
    return f"the {one}" if n == 1 else f"all {n} {several}"


def fmt(x: float, digits: int = 6) -> str:
    return f"{x:.{digits}g}"


def columns(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as left-aligned columns under a header."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip()
                     for line in [header, *rows])
