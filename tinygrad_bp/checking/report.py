"""How checking writes its reports: names of nodes and derivatives, numbers, tables.

A node's name is its label, else its operation on its operands, two levels deep
(`a * 3`, `tanh(x + …)`); a derivative's is `∂C/∂w7`, or `∂(a * b)/∂a`.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from tinygrad_bp.engine import Value

_INFIX = ("+", "-", "*", "/", "**")


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
