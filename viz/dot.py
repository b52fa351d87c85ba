"""The computation graph of a `Value` as a `graphviz.Digraph` (DOT source, no rendering).

Every Value v is a record node showing its label, v.data and v.grad = ∂C/∂v (C the
root); every operation is a small node between its operands and its result, with
one edge per operand occurrence, so `a + a` draws two edges from a. With
`edge_labels=True` the edge from operand p into the operation that makes u carries
the local derivative ∂u/∂p: the factor the chain rule multiplies along that edge,

    ∂C/∂p = Σ over paths p → … → C of the product of the local derivatives on the path.

`highlight=w7` draws exactly those paths from w7 to the root.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

import graphviz

from tinygrad_bp.engine import Value, count_paths, describe, edges, find, trace
from tinygrad_bp.viz.clusters import Cluster, cluster_order, neuron_clusters
from tinygrad_bp.viz.renderer import find_renderer, run_renderer

MAX_NODES = 2000
RANKDIRS = ("LR", "RL", "TB", "BT")
HIGHLIGHT = "#d62728"

_HOT = {"color": HIGHLIGHT, "penwidth": "2"}
_FONT = {"fontname": "Helvetica", "fontsize": "11"}
_CLUSTER_STYLE = {"style": "rounded,filled", "color": "#9aa5b1", **_FONT}
_LAYER_FILL, _NEURON_FILL = "#f4f6f8", "#e3eaf2"


class ComputationGraph(graphviz.Digraph):
    """A `graphviz.Digraph` that Jupyter shows through the renderer `find_renderer()` picks
    (so graphviz-pure works there too). Write files with `viz.render`."""

    summary = "an empty graph"      # draw_dot says what it drew, for repr()

    def __repr__(self) -> str:
        return f"<ComputationGraph of {self.summary}; .source holds the DOT>"

    def _repr_mimebundle_(self, include: Optional[Iterable[str]] = None,
                          exclude: Optional[Iterable[str]] = None, **_: Any) -> Dict[str, Any]:
        wanted = {"image/svg+xml"} if include is None else set(include)
        wanted -= set(exclude or ())
        bundle: Dict[str, Any] = {}
        if "image/svg+xml" in wanted:
            bundle["image/svg+xml"] = run_renderer(self.source, "svg", find_renderer()).decode()
        if "image/png" in wanted:
            bundle["image/png"] = run_renderer(self.source, "png", find_renderer())
        return bundle


class GraphTooLarge(ValueError):
    """A graph of more than `max_nodes` drawn nodes: unreadable, and slow to lay out."""


def draw_dot(root: Value, *, rankdir: str = "LR", show_grad: bool = True,
             edge_labels: bool = False, highlight: Union[Value, str, None] = None,
             clusters: bool = True, max_nodes: int = MAX_NODES) -> ComputationGraph:
    """The graph that ends at `root` as a `graphviz.Digraph` (shown inline by Jupyter).

    - `rankdir`: "LR" (inputs on the left), "RL", "TB" or "BT".
    - `show_grad`: show v.grad in each node. If `root.grad` is 0, `backward()` has not
      run (it sets ∂C/∂C = 1), so the nodes show no gradient and the graph says so.
    - `edge_labels`: write the local derivative ∂u/∂p on each edge p → u.
    - `highlight`: a node of the graph, or the label of exactly one, usually a leaf:
      colour every path from it to the root and count the paths in the caption. A
      label of no node or of several, or a Value not in the graph, is a `LabelError`
      (a ValueError).
    - `clusters`: box the nodes of each neuron and each layer of a network built by
      `tinygrad_bp.nn` (found from the labels `z_<n>`, `a_<n>`; see `viz.clusters`).
      Graphs without such labels are drawn without boxes either way.
    - `max_nodes`: raise `GraphTooLarge` if the picture would have more nodes (Values
      plus operations). Graphviz's dot takes about a minute for 3000 such nodes.

    Node names are `v<i>` for the i-th Value in `trace(root)` order and `op<i>` for
    the operation that made it, so the same graph always gives the same DOT source.
    Numbers show 4 significant digits; the tooltips (SVG) hold them in full.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value, got {type(root).__name__} {root!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    nodes = trace(root)
    operations = sum(1 for node in nodes if node.parents)
    _check_size(root, len(nodes), operations, max_nodes)
    index = {node: i for i, node in enumerate(nodes)}
    # NOTE: backward() sets ∂C/∂C = 1, so a root gradient of 0 means it has not run.
    grads_known = show_grad and root.grad != 0.0
    target = find(root, [highlight], nodes)[0] if highlight is not None else None
    paths = count_paths(nodes, target) if target is not None else {}
    on_path = {node for node, count in paths.items() if count}

    dot = ComputationGraph(name="computation graph", graph_attr={
        "rankdir": rankdir, "nodesep": "0.15", "ranksep": "0.3", **_FONT},
        node_attr=_FONT, edge_attr={**_FONT, "fontsize": "9"})
    dot.summary = (f"{root.label or 'the root'}: {len(nodes)} Values, "
                   f"{operations} operations")
    caption = _caption(root, show_grad and not grads_known, target, paths)
    if caption:
        dot.attr(label=caption, labelloc="t")
    vertical_fields = rankdir in ("LR", "RL")
    groups = neuron_clusters(nodes) if clusters else {}
    for layer, neurons in _nest(nodes, groups).items():
        with dot.subgraph(name=f"cluster_{layer}") as box:
            box.attr(label=layer, fillcolor=_LAYER_FILL, **_CLUSTER_STYLE)
            for neuron, members in neurons.items():
                with box.subgraph(name=f"cluster_{neuron}") as inner:
                    inner.attr(label=neuron, fillcolor=_NEURON_FILL, **_CLUSTER_STYLE)
                    for node in members:
                        _add_node(inner, node, index[node], grads_known, vertical_fields,
                                  node in on_path)
    for node in nodes:
        if node not in groups:
            _add_node(dot, node, index[node], grads_known, vertical_fields, node in on_path)
    for parent, child, local_grad in edges(nodes):
        attrs = dict(_HOT) if parent in on_path and child in on_path else {}
        if child in groups and groups.get(parent) != groups[child]:
            # NOTE: an edge into a neuron from outside is one rank longer, so that the
            # neuron's weights sit right of the previous layer, as in the article's figure.
            attrs["minlen"] = "2"
        if edge_labels:
            attrs.update(label=_number(local_grad), labeltooltip=f"∂u/∂p = {local_grad!r}")
        dot.edge(f"v{index[parent]}", f"op{index[child]}", **attrs)
    return dot


def _check_size(root: Value, values: int, operations: int, max_nodes: int) -> None:
    size = values + operations
    if size > max_nodes:
        raise GraphTooLarge(f"the graph of {describe(root)} would draw {size} nodes ({values} "
                            f"Values, {operations} operations), more than max_nodes={max_nodes}: "
                            f"pass max_nodes={size} or more to draw it anyway (Graphviz may "
                            f"take minutes), or draw a smaller part of the graph")


def _add_node(graph: graphviz.Digraph, node: Value, i: int, grads_known: bool,
              vertical_fields: bool, hot: bool) -> None:
    """The record of `node` (`v<i>`) and, for an inner node, its operation (`op<i>`)."""
    fields = [_escape(node.label)] if node.label else []
    fields.append(f"data {_number(node.data)}")
    tooltip = f"{node.label or 'value'}: data = {node.data!r}"
    if grads_known:
        fields.append(f"grad {_number(node.grad)}")
        tooltip += f", grad = {node.grad!r}"
    record = " | ".join(fields)
    colour = _HOT if hot else {}
    graph.node(f"v{i}", label=record if vertical_fields else f"{{ {record} }}",
               shape="record", tooltip=tooltip, **colour)
    if node.parents:
        graph.node(f"op{i}", label=node.op, shape="ellipse", width="0.3", height="0.3",
                   margin="0.02", tooltip=f"operation {node.op}", **colour)
        graph.edge(f"op{i}", f"v{i}", **colour)


def _nest(nodes: Sequence[Value], groups: Dict[Value, Cluster]
          ) -> Dict[str, Dict[str, List[Value]]]:
    """layer → neuron → member nodes: layers and neurons in network order, nodes in `nodes`
    order."""
    members: Dict[Cluster, List[Value]] = {}
    for node in nodes:
        if node in groups:
            members.setdefault(groups[node], []).append(node)
    nested: Dict[str, Dict[str, List[Value]]] = {}
    for layer, neuron in sorted(members, key=cluster_order):
        nested.setdefault(layer, {})[neuron] = members[layer, neuron]
    return nested


def _caption(root: Value, grads_missing: bool, target: Optional[Value],
             paths: Dict[Value, int]) -> str:
    lines = []
    if grads_missing:
        lines.append("gradients not computed yet (root.grad is 0): call backward() on the root")
    if target is not None:
        n = paths[root]
        lines.append(f"highlighted: {n} chain-rule path{'s' if n != 1 else ''} from "
                     f"{target.label or 'the highlighted node'} to {root.label or 'the root'}")
    return "\\n".join(lines)               # DOT's line break


def _number(x: float) -> str:
    """A number as the picture shows it: 4 significant digits (the tooltip has them all)."""
    return f"{x:.4g}"


def _escape(text: str) -> str:
    """`text` safe inside a record label, where { } | < > and \\ have meanings."""
    return "".join("\\" + c if c in '{}|<>\\"' else c for c in text).replace("\n", "\\n")
