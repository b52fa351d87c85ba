"""The graph queries checking needs: a root's gradients without `.grad`, and nodes by label."""

from __future__ import annotations

from typing import Dict, List, Sequence, Union

from tinygrad_bp.checking.report import node_name
from tinygrad_bp.engine import Value, trace

Target = Union[Value, str]


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
