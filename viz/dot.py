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

import os
import re
import sys
from pathlib import Path
from typing import (Any, Dict, FrozenSet, Iterable, List, NamedTuple, Optional,
                    Sequence, Tuple, Union)

import graphviz

from tinygrad_bp.engine import Value, count_paths, describe, edges, find, trace
from tinygrad_bp.errors import BPTypeError, BPValueError, TinygradBPError
from tinygrad_bp.viz.clusters import Cluster, cluster_order, neuron_clusters
from tinygrad_bp.viz.renderer import find_renderer, run_renderer

MAX_NODES = 2000
MAX_SPAN = 4            # ranks an edge may cross before its operand is drawn again beside it
RANKDIRS = ("LR", "RL", "TB", "BT")
HIGHLIGHT = "#d62728"

_HOT = {"color": HIGHLIGHT, "penwidth": "2"}
_FONT = {"fontname": "Helvetica", "fontsize": "11"}
_CLUSTER_STYLE = {"style": "rounded,filled", "color": "#9aa5b1", **_FONT}
_LAYER_FILL, _NEURON_FILL = "#f4f6f8", "#e3eaf2"


class ComputationGraph(graphviz.Digraph):
    """A `graphviz.Digraph` whose pictures come from the renderer `find_renderer()` picks, so
    that graphviz-pure works for Jupyter's inline picture, `.pipe()`, `.render()` and
    `.view()` as for `viz.render`. The default format is svg."""

    summary = "an empty graph"      # draw_dot says what it drew, for repr()

    def __init__(self, *, format: str = "svg", **options: Any) -> None:
        super().__init__(format=format, **options)

    def __repr__(self) -> str:
        return f"<ComputationGraph of {self.summary}; .source holds the DOT>"

    def _repr_mimebundle_(self, include: Optional[Iterable[str]] = None,
                          exclude: Optional[Iterable[str]] = None, **_: Any) -> Dict[str, Any]:
        wanted = {"image/svg+xml"} if include is None else set(include)
        wanted -= set(exclude or ())
        bundle: Dict[str, Any] = {}
        if "image/svg+xml" in wanted:
            bundle["image/svg+xml"] = self.pipe("svg", encoding="utf-8")
        if "image/png" in wanted:
            bundle["image/png"] = self.pipe("png")
        return bundle

    def pipe(self, format: Optional[str] = None, *, encoding: Optional[str] = None,
             timeout: Optional[float] = None, **_ignored: Any) -> Union[bytes, str]:
        """The picture as bytes (or text, given `encoding`), in `format` (default svg)."""
        picture = run_renderer(self.source, format or self.format, find_renderer(), timeout)
        return picture if encoding is None else picture.decode(encoding)

    def render(self, filename: Union[str, "os.PathLike[str]", None] = None,
               directory: Union[str, "os.PathLike[str]", None] = None, view: bool = False,
               cleanup: bool = False, format: Optional[str] = None,
               *, outfile: Union[str, "os.PathLike[str]", None] = None,
               timeout: Optional[float] = None, **_ignored: Any) -> str:
        """As `graphviz.Digraph.render`: save the DOT source as `filename` (in `directory`),
        write the picture beside it as `filename.<format>` (or as `outfile`, its format from
        its suffix), optionally delete the source (`cleanup`) and open the picture (`view`);
        return the picture's path."""
        # NOTE: imported here because viz.files builds on this module.
        from tinygrad_bp.viz.files import check_picture, save_picture
        if outfile is not None:
            format = format or Path(outfile).suffix.lstrip(".").lower() or None
            if filename is None:        # as graphviz does: the source beside the picture
                filename = Path(outfile).with_suffix(".gv")
        fmt = format or self.format
        source = os.path.join(self.directory if directory is None else directory,
                              self.filename if filename is None else filename)
        picture = Path(outfile) if outfile is not None else Path(f"{source}.{fmt}")
        if picture.suffix.lower() != f".{fmt}":
            raise BPValueError(f"cannot write {fmt} into {str(picture)!r}: its suffix says "
                               f"another format")
        # NOTE: refused before the source is saved, whose directory graphviz may create
        renderer = check_picture(picture, timeout=timeout, writable=False)
        source_path = self.save(filename, directory=directory)
        save_picture(self.source, picture, renderer=renderer, timeout=timeout)
        if cleanup:
            os.remove(source_path)
        if view:
            show(picture)
        return str(picture)

    def view(self, filename: Union[str, "os.PathLike[str]", None] = None,
             directory: Union[str, "os.PathLike[str]", None] = None, cleanup: bool = False,
             **_ignored: Any) -> str:
        """Render (see `render`) and open the picture with the system's viewer."""
        return self.render(filename, directory, view=True, cleanup=cleanup)


class NoViewer(TinygradBPError, RuntimeError):
    """This machine has no program to show a picture with (`ComputationGraph.view`)."""


def show(picture: Path) -> None:
    """Open `picture` with the system's viewer; `NoViewer` if there is none to be had."""
    if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise NoViewer(f"wrote {str(picture)!r}, but this machine has no display to show it "
                       f"on (neither DISPLAY nor WAYLAND_DISPLAY is set): open the file "
                       f"elsewhere, or use render() instead of view()")
    try:
        graphviz.view(picture)
    except (OSError, RuntimeError) as error:
        raise NoViewer(f"wrote {str(picture)!r}, but found no program to show it ({error}): "
                       f"open the file yourself, or use render() instead of view()") from None


class GraphTooLarge(BPValueError):
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
        raise BPTypeError(f"draw_dot needs a Value, got {type(root).__name__} {root!r}")
    check_rankdir(rankdir)
    for flag, name in ((show_grad, "show_grad"), (edge_labels, "edge_labels"),
                       (clusters, "clusters")):
        check_flag(flag, name)
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int):
        raise BPTypeError(f"max_nodes must be an int, got {type(max_nodes).__name__} "
                          f"{max_nodes!r}")
    nodes = trace(root)
    index = {node: i for i, node in enumerate(nodes)}
    groups = neuron_clusters(nodes) if clusters else {}
    layout = _plan_layout(nodes, groups)
    _check_size(root, layout, max_nodes)
    # NOTE: backward() sets ∂C/∂C = 1, so a root gradient of 0 means it has not run.
    grads_known = show_grad and root.grad != 0.0
    target = find(root, [highlight], nodes)[0] if highlight is not None else None
    paths = count_paths(nodes, target) if target is not None else {}
    on_path = {node for node, count in paths.items() if count}

    dot = ComputationGraph(name="computation graph", graph_attr={
        "rankdir": rankdir, "nodesep": "0.15", "ranksep": "0.3", **_FONT},
        node_attr=_FONT, edge_attr={**_FONT, "fontsize": "9"})
    dot.summary = (f"{root.label or 'the root'}: {len(nodes)} Values, "
                   f"{layout.operations} operations")
    caption = _caption(root, show_grad and not grads_known, target, paths)
    if caption:
        dot.attr(label=caption, labelloc="t")
    vertical_fields = rankdir in ("LR", "RL")
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
        if _minlen(parent, child, groups) == 2:
            # NOTE: an edge into a neuron from outside is one rank longer, so that the
            # neuron's weights sit right of the previous layer, as in the article's figure.
            attrs["minlen"] = "2"
        if edge_labels:
            attrs.update(label=_number(local_grad),
                         labeltooltip=dot_text(f"∂u/∂p = {local_grad!r}"))
        i, j = index[parent], index[child]
        operand = f"v{i}"
        if (parent, child) in layout.far:
            operand = f"v{i}_{j}"
            _add_record(dot, operand, parent, grads_known, vertical_fields, parent in on_path,
                        copy_of=f"v{i}")
        dot.edge(operand, f"op{j}", **attrs)
    return dot


class Layout(NamedTuple):
    """What Graphviz will lay out, as `draw_dot` plans it (see `layout_cost`)."""
    values: int                         # one record per Value
    operations: int                     # one small node per inner Value
    far: FrozenSet[Tuple[Value, Value]]  # (operand, result) edges drawn from a copy
    bends: int                          # virtual nodes: one per rank an edge crosses

    @property
    def cost(self) -> int:
        """The nodes Graphviz's dot lays out, virtual ones included: what drives its time."""
        return self.values + self.operations + len(self.far) + self.bends

    def __repr__(self) -> str:
        # NOTE: counts, not the edges in `far`: a large graph has thousands of them
        return (f"Layout(values={self.values}, operations={self.operations}, "
                f"far={len(self.far)} edges, bends={self.bends}, cost={self.cost})")


def layout_cost(root: Value, clusters: bool = True) -> Layout:
    """The layout `draw_dot(root)` would ask of Graphviz, without drawing it."""
    nodes = trace(root)
    return _plan_layout(nodes, neuron_clusters(nodes) if clusters else {})


def _plan_layout(nodes: Sequence[Value], groups: Dict[Value, Cluster]) -> Layout:
    """Rank the drawn graph as dot does (longest path from the leaves, each leaf then moved
    next to its first use); an edge that would cross more than `MAX_SPAN` ranks is drawn
    from a copy of its operand placed beside its use.

    dot adds a virtual node for every rank an edge crosses, and its layout time grows much
    faster than their number: one Value used by n operations down a chain (x + x + … + x)
    makes n²/2 of them (benchmarks/README.md). With the copies each edge crosses at most
    `MAX_SPAN` ranks, and the cost is linear in the edges.
    """
    rank: Dict[Value, int] = {}         # the rank of each Value's record; its operation is
    consumers: Dict[Value, List[Value]] = {}     # one rank before it
    for node in nodes:
        for parent in node.parents:
            consumers.setdefault(parent, []).append(node)
        rank[node] = max((rank[p] + _minlen(p, node, groups) for p in node.parents),
                         default=-1) + 1
    for node in nodes:
        if not node.parents and node in consumers:
            rank[node] = min(rank[c] - 1 - _minlen(node, c, groups) for c in consumers[node])
    far, bends, operations = set(), 0, 0
    for node in nodes:
        operations += bool(node.parents)
        for parent in set(node.parents):
            span = rank[node] - 1 - rank[parent]
            if span > MAX_SPAN:
                far.add((parent, node))
            else:
                bends += (span - 1) * node.parents.count(parent)
    return Layout(len(nodes), operations, frozenset(far), bends)


def _minlen(parent: Value, child: Value, groups: Dict[Value, Cluster]) -> int:
    """Ranks between `parent` and the operation of `child`: 2 into a neuron from outside."""
    return 2 if child in groups and groups.get(parent) != groups[child] else 1


def _check_size(root: Value, layout: Layout, max_nodes: int) -> None:
    if layout.cost <= max_nodes:
        return
    parts = [f"{layout.values} Values", f"{layout.operations} operations"]
    if layout.far:
        parts.append(f"{len(layout.far)} operands drawn again beside a distant use")
    if layout.bends:
        parts.append(f"{layout.bends} bends of edges that cross ranks")
    raise GraphTooLarge(f"the graph of {describe(root)} would lay out {layout.cost} nodes "
                        f"({', '.join(parts)}), more than max_nodes={max_nodes}: pass "
                        f"max_nodes={layout.cost} or more to draw it anyway (Graphviz may take "
                        f"minutes), or draw a smaller part of the graph")


def _add_node(graph: graphviz.Digraph, node: Value, i: int, grads_known: bool,
              vertical_fields: bool, hot: bool) -> None:
    """The record of `node` (`v<i>`) and, for an inner node, its operation (`op<i>`)."""
    _add_record(graph, f"v{i}", node, grads_known, vertical_fields, hot)
    if node.parents:
        colour = _HOT if hot else {}
        graph.node(f"op{i}", label=dot_text(node.op), shape="ellipse", width="0.3",
                   height="0.3", margin="0.02", tooltip=dot_text(f"operation {node.op}"),
                   **colour)
        graph.edge(f"op{i}", f"v{i}", **colour)


def _add_record(graph: graphviz.Digraph, name: str, node: Value, grads_known: bool,
                vertical_fields: bool, hot: bool, copy_of: str = "") -> None:
    """The record `name` showing `node`'s label, data and grad; dashed for a copy."""
    fields = [_record_text(node.label)] if node.label else []
    fields.append(f"data {_number(node.data)}")
    tooltip = f"{node.label or 'value'}: data = {node.data!r}"
    if grads_known:
        fields.append(f"grad {_number(node.grad)}")
        tooltip += f", grad = {node.grad!r}"
    record = " | ".join(fields)
    attrs = dict(_HOT) if hot else {}
    if copy_of:
        tooltip += f" (drawn again beside this use; first drawn as {copy_of})"
        attrs["style"] = "dashed"
    graph.node(name, label=graphviz.nohtml(record if vertical_fields else f"{{ {record} }}"),
               shape="record", tooltip=dot_text(tooltip), **attrs)


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
    return graphviz.nohtml("\\n".join(dot_text(line) for line in lines))   # \n: DOT's line break


def _number(x: float) -> str:
    """A number as the picture shows it: 4 significant digits (the tooltip has them all)."""
    return f"{x:.4g}"


def check_flag(value: object, name: str) -> None:
    """Refuse an on/off option that is not a bool ("yes", 1): a TypeError naming it."""
    if not isinstance(value, bool):
        raise BPTypeError(f"{name} must be True or False, got {type(value).__name__} "
                          f"{value!r}")


def check_rankdir(rankdir: object) -> None:
    """Refuse a `rankdir` Graphviz would not take: not a str (TypeError), or not one of
    `RANKDIRS` (ValueError)."""
    if not isinstance(rankdir, str):
        raise BPTypeError(f"rankdir must be a str, one of {', '.join(RANKDIRS)}; got "
                          f"{type(rankdir).__name__} {rankdir!r}")
    if rankdir not in RANKDIRS:
        raise BPValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")


def dot_text(text: str) -> str:
    """`text` as a DOT string that Graphviz draws as itself, and that makes well-formed SVG.

    Backslashes are doubled (no `\\N`, `\\G`, no escaped final quote), `&` is written
    `&amp;` (no character references), a newline is a line break, and a character XML
    cannot hold (controls, lone surrogates, U+FFFE, U+FFFF) is shown as its Python escape.
    The result is marked `nohtml`, so that `<…>` is text, not an HTML label.
    """
    out = []
    for c in text:
        code = ord(c)
        if c == "\n":
            out.append("\\n")
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            out.append(f"\\\\x{code:02x}" if code < 0x100 else f"\\\\u{code:04x}")
        else:
            out.append({"\\": "\\\\", '"': '\\"', "&": "&amp;"}.get(c, c))
    return graphviz.nohtml("".join(out))


def _record_text(text: str) -> str:
    """`dot_text(text)` inside a record label, where { } | < > also have meanings, and where
    Graphviz trims spaces at the ends and joins runs of them: those become no-break spaces."""
    kept = re.sub(r"^ | (?= )| $", "\u00a0", text)
    return "".join("\\" + c if c in "{}|<>" else c for c in dot_text(kept))
