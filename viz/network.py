"""The network view: an `MLP` drawn as the article draws its figure 1, neuron by neuron.

Inputs on the left, one column per layer, each neuron a circle showing its bias b,
its weighted sum and activation

    z^l_j = Σ_k w^l_jk a^(l-1)_k + b^l_j,        a^l_j = σ(z^l_j)

and, once `backward()` has run, its error δ^l_j = ∂C/∂z^l_j. One arrow per weight,
from neuron k of layer l−1 (or input x_k) to neuron j of layer l, labelled with the
weight's name, value and gradient ∂C/∂w, and drawn in the colour of the neuron it
feeds. The cost C sits on the right when targets y are given.

`viz.dot` draws every product and partial sum of the engine (the chain rule's view);
this draws what they add up to (the lecture's view). The numbers of both come from
the same Values, so one `backward()` gives both pictures the same gradients.

    >>> from tinygrad_bp.nn import article_network
    >>> from tinygrad_bp.losses import binary_cross_entropy, mse
    >>> net, x, y = article_network()
    >>> mse(net(x), y).backward()
    >>> draw_network(net, x, y, highlight="w1")
    <ComputationGraph of the network 2 → 3 → 2: 5 neurons, 12 weights; .source holds the DOT>
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple, Union

import graphviz

from tinygrad_bp.engine import Operand, Value, describe, label_error, trace
from tinygrad_bp.errors import BPTypeError, BPValueError
from tinygrad_bp.layout import positive_int
from tinygrad_bp.losses import binary_cross_entropy, mse
from tinygrad_bp.nn import MLP, Neuron
from tinygrad_bp.viz.dot import (HIGHLIGHT, ComputationGraph, GraphTooLarge, check_flag,
                                 check_rankdir, dot_text)

MAX_WEIGHTS = 100
ACTIVATION_TEXT = {"sigmoid": "σ(z)", "tanh": "tanh(z)", "relu": "relu(z)"}
COST_TEXT = {mse: "½ Σ_j (y_j − a_j)²",
             binary_cross_entropy: "−Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)]"}
# NOTE: the arrows into a neuron take its colour, so that each label reads against its
# own arrow where arrows cross; red is kept for the highlight.
PALETTE = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2",
           "#7f7f7f")

_FONT = {"fontname": "Helvetica", "fontsize": "11"}
_HOT = {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "2.5"}
_DIM, _DIM_TEXT = "55", "99"          # the alpha of what a highlight leaves out
_COST_ARROW = "#555555"
_INPUT_FILL, _NEURON_FILL, _COST_FILL = "#fdf6e3", "#eef2f7", "#f4f6f8"


class Highlight(NamedTuple):
    """What a highlight marks: the nodes and arrows on the neuron-level paths from `name`
    to `end`, and how many such paths there are."""
    name: str
    nodes: Set[str]
    arrows: Set[Tuple[str, str]]
    count: int
    end: str


def draw_network(net: MLP, x: Optional[Sequence[Operand]] = None,
                 y: Optional[Sequence[float]] = None,
                 highlight: Union[str, Value, Neuron, None] = None, show_grad: bool = True,
                 rankdir: str = "LR", *, cost: Callable[..., Value] = mse,
                 max_weights: int = MAX_WEIGHTS) -> ComputationGraph:
    """`net` drawn neuron by neuron, as a graph like `draw_dot`'s (Jupyter shows it inline;
    `viz.render(view, "net.svg")` writes it).

    - `x`: an input sample (numbers or Values). Given, a forward pass of the engine fills
      in every neuron's z and a, and the inputs show their values.
    - `y`: the targets. Given (with `x`), each output neuron shows its target y_j, and the
      cost C of the outputs is drawn on the right: `cost(outputs, y)`, by default the
      article's quadratic cost C = ½ Σ_j (y_j − a_j)² (`losses.mse`).
    - `show_grad`: once `backward()` has run (some parameter's grad is not 0), each weight's
      arrow shows ∂C/∂w and each neuron δ = ∂C/∂z, read from its bias (BP3: ∂C/∂b = δ).
      They are the parameters' `.grad`, from whatever cost `backward()` was called on;
      before it, the caption says that gradients are not computed yet.
    - `highlight`: a weight or bias (its label or its Value), a neuron (its name, e.g. "h1",
      the engine's labels of its z and a, "z_h1" and "a_h1", or the Neuron) or an input
      ("x1"): mark every neuron-level path through which it reaches C (or the outputs,
      without y) and count them in the caption: one for w7, two for w1 in the article's
      network. A name of nothing or of several things, or a Value or Neuron not in `net`,
      is a `LabelError` (a ValueError), worded as `draw_dot`'s.
    - `rankdir`: "LR" (inputs on the left), "RL", "TB" or "BT". Whatever the options, the
      neurons of a layer keep their index order: h1 above h2 (left of it for TB and BT).
    - `max_weights`: a network with more weights is refused (`GraphTooLarge`): its arrows
      and labels would not be legible. Pass a larger number to draw it anyway.

    Node names are the engine's: `x1, x2, ...`, the neurons `h1, ...` (`h<l>_<j>` with
    several hidden layers) and `o1, ...`, and `C`. Numbers show 4 significant digits;
    the tooltips (SVG) hold them in full.
    """
    if not isinstance(net, MLP):
        raise BPTypeError(f"draw_network draws an MLP, got {type(net).__name__} {net!r}")
    check_rankdir(rankdir)
    check_flag(show_grad, "show_grad")
    positive_int(max_weights, "max_weights")
    if not callable(cost):
        raise BPTypeError(f"cost must be a function cost(outputs, y) -> Value, such as "
                          f"losses.mse; got {type(cost).__name__} {cost!r}")
    neurons = [n for layer in net.layers for n in layer.neurons]
    weights = sum(len(n.w) for n in neurons)
    if weights > max_weights:
        raise GraphTooLarge(f"the network {_shape(net)} would draw {weights} weight arrows, "
                            f"more than max_weights={max_weights}, too many to label legibly: "
                            f"pass max_weights={weights} or more to draw it anyway")
    if y is not None and x is None:
        raise BPValueError("draw_network: y needs x (the cost C is computed from the outputs "
                           "of a forward pass at x)")
    forward = _forward(net, x) if x is not None else {}
    C = cost([forward[n.name][1] for n in net.layers[-1].neurons], y) \
        if y is not None else None
    if y is not None and not isinstance(C, Value):
        raise BPTypeError(f"cost must return the cost C as a Value (computed from the outputs "
                          f"and y), got {type(C).__name__} {C!r}")
    grads_known = show_grad and any(p.grad != 0.0 for p in net.parameters())
    sources = _sources(net)
    hot = _highlight(net, sources, highlight, C is not None) if highlight is not None \
        else None

    view = ComputationGraph(name="network", graph_attr={
        "rankdir": rankdir, "ranksep": "1.4", "nodesep": "0.5", "newrank": "true", **_FONT},
        node_attr=_FONT, edge_attr={**_FONT, "fontsize": "9", "arrowsize": "0.7"})
    view.summary = f"the network {_shape(net)}: {len(neurons)} neurons, {weights} weights"
    caption = _caption(show_grad and C is not None and not grads_known, hot)
    if caption:
        view.attr(label=caption, labelloc="t")

    for k in range(net.nin):
        name = f"x{k + 1}"
        view.node(name, **_input_node(name, None if x is None else x[k]), **_mark(hot, name))
    targets = dict(zip((n.name for n in net.layers[-1].neurons), y or ()))
    circles = [_neuron_node(n, forward.get(n.name), targets.get(n.name), grads_known)
               for n in neurons]
    size = max(_diameter(circle["label"]) for circle in circles)
    for neuron, circle in zip(neurons, circles):
        view.node(neuron.name, **circle, width=f"{size:.2f}", **_mark(hot, neuron.name))
    if C is not None:
        own = dot_text(getattr(cost, "__name__", "cost"))
        formula = COST_TEXT.get(cost, f"{own}(a, y)")
        view.node("C", label=f"C = {formula}\\n= {_number(C.data)}", shape="box",
                  style="rounded,filled", fillcolor=_COST_FILL, tooltip=f"C = {C.data!r}",
                  **_mark(hot, "C"))
    _draw_columns(view, net, C is not None)
    for layer in net.layers:
        for j, neuron in enumerate(layer.neurons):
            colour = PALETTE[j % len(PALETTE)]
            for w, source in zip(neuron.w, sources[neuron.name]):
                view.edge(source, neuron.name, **_weight_label(w, grads_known),
                          **_arrow(hot, (source, neuron.name), colour))
            if C is not None and layer is net.layers[-1]:
                view.edge(neuron.name, "C", **_arrow(hot, (neuron.name, "C"), _COST_ARROW))
    return view


def _draw_columns(view: graphviz.Digraph, net: MLP, with_cost: bool) -> None:
    """One titled column per layer (and the cost), the titles on one line."""
    columns = [("input layer", [f"x{k}" for k in range(1, net.nin + 1)])]
    for l, layer in enumerate(net.layers):
        title = "output layer" if l == len(net.layers) - 1 else \
            "hidden layer" if len(net.layers) == 2 else f"hidden layer {l + 1}"
        columns.append((title, [n.name for n in layer.neurons]))
    if with_cost:
        columns.append(("cost", ["C"]))
    for i, (title, names) in enumerate(columns):
        _keep_order(view, f"title{i}", title, names)
        if i:
            # NOTE: a heavy arrow is drawn straight: the titles stay on one line.
            view.edge(f"title{i - 1}", f"title{i}", style="invis", weight="100")


def _forward(net: MLP, x: Sequence[Operand]) -> Dict[str, Tuple[Value, Value]]:
    """neuron name → (z, a) from one forward pass of the engine at `x`, found by the labels
    `z_<n>`, `a_<n>` that `tinygrad_bp.nn` gives them; a is z for a "linear" neuron."""
    nodes = {node.label: node for output in net(x) for node in trace(output)}
    return {n.name: (nodes[f"z_{n.name}"], nodes.get(f"a_{n.name}", nodes[f"z_{n.name}"]))
            for layer in net.layers for n in layer.neurons}


def _sources(net: MLP) -> Dict[str, List[str]]:
    """neuron name → the nodes its weights come from, in weight order (x_k, then neurons)."""
    previous = [f"x{k}" for k in range(1, net.nin + 1)]
    sources = {}
    for layer in net.layers:
        for neuron in layer.neurons:
            sources[neuron.name] = previous
        previous = [n.name for n in layer.neurons]
    return sources


def _highlight(net: MLP, sources: Dict[str, List[str]], highlight: Union[str, Value, Neuron],
               to_cost: bool) -> Highlight:
    """The neuron-level paths from what `highlight` names to C (or to the outputs).

    A weight enters at its arrow and its neuron, a bias or neuron at the neuron, an input
    at its arrows into the first layer. From a neuron every path goes on through every
    neuron of the next layer, so  paths(o_j) = 1,  paths(n) = Σ_m paths(m) over the
    neurons m of the next layer.
    """
    name = _highlight_name(net, highlight)
    entries: List[Tuple[str, List[Tuple[str, str]]]] = []   # (name, its own arrows)
    for k in range(1, net.nin + 1):
        entries.append((f"x{k}", [(f"x{k}", n.name) for n in net.layers[0].neurons]))
    for layer in net.layers:
        for neuron in layer.neurons:
            itself = [(neuron.name, neuron.name)]
            entries += [(neuron.name, itself), (f"z_{neuron.name}", itself),
                        (neuron.b.label, itself)]
            if neuron.activation != "linear":       # NOTE: a linear neuron's a is its z
                entries.append((f"a_{neuron.name}", itself))
            entries += [(w.label, [(source, neuron.name)])
                        for w, source in zip(neuron.w, sources[neuron.name])]
    matches = [arrows for label, arrows in entries if label == name]
    if len(matches) != 1:
        raise label_error(f"the network {_shape(net)}", (label for label, _ in entries),
                          unknown=[] if matches else [name], ambiguous=[name] if matches else [])
    own = matches[0]
    layers = [[n.name for n in layer.neurons] for layer in net.layers]
    paths = dict.fromkeys(layers[-1], 1)
    for layer, after in zip(reversed(layers[:-1]), reversed(layers[1:])):
        paths.update(dict.fromkeys(layer, sum(paths[m] for m in after)))
    reached = {neuron for _, neuron in own}
    arrows = {arrow for arrow in own if arrow[0] != arrow[1]}
    for layer, after in zip(layers, layers[1:]):
        if reached & set(layer):
            arrows |= {(n, m) for n in reached & set(layer) for m in after}
            reached |= set(after)
    if to_cost:
        arrows |= {(o, "C") for o in layers[-1] if o in reached}
        reached.add("C")
    count = sum(paths[neuron] for _, neuron in own)
    return Highlight(name, reached | {name}, arrows, count, "C" if to_cost else "the outputs")


def _highlight_name(net: MLP, highlight: Union[str, Value, Neuron]) -> str:
    """The name of what `highlight` is or names; a Value or Neuron must belong to `net`."""
    if isinstance(highlight, str):
        return highlight
    if isinstance(highlight, Neuron):
        if all(highlight is not n for layer in net.layers for n in layer.neurons):
            raise label_error(f"the network {_shape(net)}", (), foreign=[repr(highlight)],
                              why_foreign="it is not one of its neurons")
        return highlight.name
    if isinstance(highlight, Value):
        if all(highlight is not p for p in net.parameters()):
            raise label_error(f"the network {_shape(net)}", (), foreign=[describe(highlight)],
                              why_foreign="it is not one of its parameters")
        return highlight.label
    raise BPTypeError(f"highlight must be a name (e.g. 'w7', 'b1', 'h1', 'x1'), a parameter "
                      f"Value or a Neuron, got {type(highlight).__name__} {highlight!r}")


def _caption(grads_missing: bool, hot: Optional[Highlight]) -> str:
    """The lines above the picture: gradients still to compute, and what is highlighted."""
    lines = []
    if grads_missing:
        lines.append("gradients not computed yet (every parameter's grad is 0): call "
                     "backward() on the cost")
    if hot is not None:
        s = "s" if hot.count != 1 else ""
        lines.append(f"highlighted: {hot.count} neuron-level path{s} from "
                     f"{dot_text(hot.name)} to {hot.end}")
    return "\\n".join(lines)               # DOT's line break


def _input_node(name: str, xk: Optional[Operand]) -> Dict[str, str]:
    """The circle of input x_k, with its value when a sample is given."""
    attrs = {"shape": "circle", "style": "filled", "fillcolor": _INPUT_FILL}
    if xk is None:
        return {**attrs, "label": name, "tooltip": f"input {name}"}
    value = xk.data if isinstance(xk, Value) else float(xk)
    return {**attrs, "label": f"{name}\\n= {_number(value)}", "tooltip": f"{name} = {value!r}"}


def _neuron_node(neuron: Neuron, forward: Optional[Tuple[Value, Value]],
                 target: Optional[float], grads_known: bool) -> Dict[str, str]:
    """The circle of a neuron: its name, b, z, a = σ(z), an output's target y_j, and
    δ = ∂C/∂z (= ∂C/∂b)."""
    b = neuron.b
    name, bias = dot_text(neuron.name), dot_text(b.label)
    lines = [name, f"{bias} = {_number(b.data)}"]
    tips = [f"{name}: {bias} = {b.data!r}"]
    if forward is not None:
        z, a = forward
        lines.append(f"z = {_number(z.data)}")
        tips.append(f"z = {z.data!r}")
        if neuron.activation in ACTIVATION_TEXT:            # "linear": a is z itself
            lines.append(f"a = {ACTIVATION_TEXT[neuron.activation]} = {_number(a.data)}")
            tips.append(f"a = {a.data!r}")
    if target is not None:
        j = neuron.name[1:]                                   # an output neuron o<j>
        lines.append(f"y{j} = {_number(target)}")
        tips.append(f"target y{j} = {float(target)!r}")
    if grads_known:
        lines.append(f"δ = {_number(b.grad)}")
        tips.append(f"δ = ∂C/∂z = ∂C/∂{bias} = {b.grad!r}")
    return {"label": "\\n".join(lines), "shape": "circle", "style": "filled",
            "fillcolor": _NEURON_FILL, "tooltip": ", ".join(tips)}


def _diameter(label: str) -> float:
    """A little more than the diameter (inches) of the circle Graphviz draws around `label`:
    √2 times its text box at 11 points (0.088 in a character, 0.18 in a line) with margins."""
    # NOTE: one size for every neuron (Graphviz's width is a minimum), so that the circles
    # look alike as in the article's figure, whatever the digits of their numbers.
    lines = label.split("\\n")
    return math.sqrt(2) * max(0.088 * max(map(len, lines)) + 0.22, 0.18 * len(lines) + 0.11)


def _weight_label(w: Value, grads_known: bool) -> Dict[str, str]:
    """The label of a weight's arrow: `w7 = 0.45` and, after backward, `∂C/∂w7 = 0.0716`."""
    name = dot_text(w.label)
    label, tip = f"{name} = {_number(w.data)}", f"{name} = {w.data!r}"
    if grads_known:
        label += f"\\n∂C/∂{name} = {_number(w.grad)}"
        tip += f", ∂C/∂{name} = {w.grad!r}"
    return {"label": label, "tooltip": tip, "labeltooltip": tip}


def _keep_order(view: graphviz.Digraph, title_name: str, title: str, names: List[str]
                ) -> None:
    """One rank per column: its title, then its nodes in index order, chained by invisible
    arrows, which Graphviz keeps pointing one way along the rank (top to bottom, or left to
    right)."""
    with view.subgraph() as column:
        column.attr(rank="same")
        column.node(title_name, label=title, shape="plaintext", fontsize="12",
                    fontcolor="#52606d")
        names = [title_name, *names]
        for name in names[1:]:
            column.node(name)
        for upper, lower in zip(names, names[1:]):
            column.edge(upper, lower, style="invis")


def _mark(hot: Optional[Highlight], name: str) -> Dict[str, str]:
    return {"color": HIGHLIGHT, "penwidth": "2.5"} if hot and name in hot.nodes else {}


def _arrow(hot: Optional[Highlight], arrow: Tuple[str, str], colour: str) -> Dict[str, str]:
    """An arrow's colours: its own, red on a highlighted path, faded off it."""
    if hot is None:
        return {"color": colour, "fontcolor": colour}
    if arrow in hot.arrows:
        return dict(_HOT)
    return {"color": colour + _DIM, "fontcolor": colour + _DIM_TEXT}


def _shape(net: MLP) -> str:
    return " → ".join(map(str, net.sizes))


def _number(x: float) -> str:
    """4 significant digits, as `draw_dot` shows numbers (the tooltip has them all)."""
    return f"{x:.4g}"
