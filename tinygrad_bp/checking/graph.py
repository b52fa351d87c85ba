"""The graph queries checking needs: a root's gradients without `.grad`, and nodes by label."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Union

from tinygrad_bp.checking.report import node_name
from tinygrad_bp.engine import Value, trace

Target = Union[Value, str]
Differentiable = Union[Value, float]    # a gradient built with engine operations, or a constant


class LabelError(LookupError):
    """A label that names no node, or more than one node, of the graph."""


def gradients_of(root: Value) -> Dict[Value, float]:
    """∂root/∂v for every node v of root's graph, by the chain rule in reverse topological
    order (as `backward()` computes it), kept in a dict instead of written to `.grad`."""
    nodes = trace(root)
    gradients = dict.fromkeys(nodes, 0.0)
    gradients[root] = 1.0
    for v in reversed(nodes):
        for parent, local in zip(v.parents, v.local_grads):
            gradients[parent] += local * gradients[v]
    return gradients


def differentiable_gradients(root: Value) -> Dict[Value, Differentiable]:
    """∂root/∂v for every node v that root depends on, built with engine operations.

    The chain rule of `gradients_of`, ∂C/∂v = Σ_u ∂u/∂v · ∂C/∂u, with each local
    derivative ∂u/∂v taken from the table's differentiable rule (`Op.derivative`) rather
    than the float stored on the node: every gradient is a `Value` whose graph can be
    differentiated again, or a plain number where it is constant (∂(3x)/∂x = 3). Nodes
    through which root does not depend on anything are left out (their gradient is 0).
    """
    nodes = trace(root)
    found: Dict[Value, Differentiable] = {root: 1.0}
    for v in reversed(nodes):
        upstream = found.get(v)
        if upstream is None or not v.parents:
            continue
        if v.kind is None:
            raise ValueError(f"{node_name(v)} is a custom operation ({v.op!r}): its local "
                             f"derivatives are numbers, which cannot be differentiated again; "
                             f"build it from the engine's operations for higher derivatives")
        for parent, local in zip(v.parents, v.kind.derivative(v.parents, v, v.const)):
            term = _product(local, upstream)
            if term is not None:
                held = found.get(parent)
                found[parent] = term if held is None else held + term
    return found


def _product(local: Differentiable, upstream: Differentiable) -> Optional[Differentiable]:
    """local · upstream with no node for a factor ±1, and None for a constant 0."""
    # NOTE: a Value is never compared with a number here: its data may be 0 or 1 by chance,
    # yet its derivative is not that of a constant.
    for a, b in ((local, upstream), (upstream, local)):
        if not isinstance(a, Value):
            if a == 0.0:
                return None
            if a == 1.0:
                return b
            if a == -1.0:
                return -b
    return local * upstream


def trace_root(root: object, who: str) -> List[Value]:
    if not isinstance(root, Value):
        raise TypeError(f"{who} needs the root Value of a graph (such as the cost C), got "
                        f"{type(root).__name__} {root!r}")
    return trace(root)


def resolve(key: Target, nodes: List[Value], root: Value) -> Value:
    return resolve_all([key], nodes, root)[0]


def resolve_all(keys: Sequence[Target], nodes: List[Value], root: Value) -> List[Value]:
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
                        f"{node_name(root)} (labels there: {known})")
    if ambiguous:
        problems.append(f"several nodes are labelled {', '.join(map(repr, ambiguous))}: "
                        f"pass the Value itself, or label the nodes apart")
    if foreign:
        problems.append(f"{', '.join(v._name() for v in foreign)} is not in the graph of "
                        f"{node_name(root)}: {node_name(root)} was not computed from it")
    if problems:
        raise (LabelError if unknown or ambiguous else ValueError)("; ".join(problems))
    return found
