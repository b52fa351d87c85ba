"""What checking's functions take as a graph: its root, and its nodes by label or Value."""

from __future__ import annotations

from typing import List, Union

from tinygrad_bp.engine import Value, trace
from tinygrad_bp.errors import BPTypeError

Target = Union[Value, str]      # a node, or its label: see `tinygrad_bp.engine.find`


def trace_root(root: object, who: str) -> List[Value]:
    """`trace(root)`, or a TypeError saying that `who` needs the root Value of a graph."""
    if not isinstance(root, Value):
        raise BPTypeError(f"{who} needs the root Value of a graph (such as the cost C), got "
                          f"{type(root).__name__} {root!r}")
    return trace(root)
