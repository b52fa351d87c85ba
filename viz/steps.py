"""A step-through page: the forward pass node by node, then the backward pass edge by edge.

`steps_page(root)` draws the graph of `root` with `draw_dot` and writes it into one
self-contained HTML page (SVG, script and style inline, no request leaves it) in which
the reader steps through

- the forward pass, in `trace(root)` order: each operation's value appears when it is
  computed, with its operands written out (z_o1 = w7·a_h1 + w8·a_h2 + w9·a_h3 + b4);
- the backward pass, in the order `backward()` runs: first ∂C/∂C = 1, then, for each
  node u in reverse topological order and each operand p of u, the term
  ∂C/∂u · ∂u/∂p added into ∂C/∂p, the running sum written out term by term,

      ∂C/∂p = Σ over the consumers u of p of ∂C/∂u · ∂u/∂p,

  so that the several paths to w1 each add their own term. At the last step every
  node shows ∂C/∂v, which is v.grad after one `C.backward()`.

Clicking a node shows its whole chain rule (`explain`) and its numerical check
(`gradcheck`, the node's value moved by ±h and the graph after it recomputed). Every
text is computed here, in Python, from the engine; the page's script only shows them.

    >>> from tinygrad_bp import Value, viz
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> c = (a * b).tanh(); c.label = "c"
    >>> page = viz.steps_page(c)                # doctest: +SKIP
    >>> viz.render(c, "steps.html")             # doctest: +SKIP
    PosixPath('steps.html')

The URL fragment `#step=K` opens step K (`#step=0`: before the forward pass,
`#step=end`: after the backward pass). Each Value's SVG group carries `data-index`
(its place in `trace(root)`), `data-label`, `data-value` and `data-grad` (what the page
shows for it at the current step, empty where not yet computed); the step's text is
in the element with id `step-text`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from tinygrad_bp.checking import PathLimitError, explain, gradcheck
from tinygrad_bp.engine import Value, edges, trace
from tinygrad_bp.errors import BPTypeError, BPValueError, TinygradBPError
from tinygrad_bp.viz.dot import draw_dot
from tinygrad_bp.viz.renderer import find_renderer, run_renderer

MAX_PATHS = 20          # beyond this many paths, a node's chain rule is the one-step form
_SVG, _XLINK = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
_LONG = 60              # the longest formula a node is named by before parts become "…"
_ASSETS = Path(__file__).resolve().parent


class StepsPage:
    """The page for one graph: `.html` (the whole page), `.steps` (what each step shows).

    Jupyter shows it inline, in an iframe of its own, so that its script and its keys
    (← → Space) act on the page only, never on the notebook.
    """

    def __init__(self, html_text: str, steps: List[Dict[str, Any]], summary: str) -> None:
        self.html = html_text
        self.steps = steps
        self.summary = summary

    def _repr_html_(self) -> str:
        # NOTE: srcdoc rather than the page itself: in an iframe the page's script runs as
        # in a browser tab whatever the front end does with scripts in HTML output, and its
        # ids, style, CSP and keys (← → Space, which the notebook also uses) stay inside it.
        return (f'<div style="resize: vertical; overflow: hidden; height: 760px">'
                f'<iframe sandbox="allow-scripts" style="width: 100%; height: 100%; border: 0" '
                f'title="{html.escape(self.summary)}" srcdoc="{html.escape(self.html)}">'
                f'</iframe></div>')

    def __repr__(self) -> str:
        return (f"<StepsPage of {self.summary}: {len(self.steps) - 1} steps; "
                f".html holds the page>")


def steps_page(root: Value, *, renderer: Optional[str] = None, timeout: Optional[float] = None,
               **draw_options: Any) -> StepsPage:
    """The step-through page of the graph that ends at `root`.

    `draw_options` are `draw_dot`'s (`rankdir`, `edge_labels`, default True here,
    `highlight`, `clusters`, `max_nodes`: the same size guard as drawing). `renderer` is
    the Graphviz executable (default: `find_renderer()`), `timeout` its time limit in
    seconds (default: `render_timeout()`). Gradients are computed here
    by the chain rule, as `backward()` computes them; no `.grad` is left changed.
    """
    if not isinstance(root, Value):
        raise BPTypeError(f"steps_page needs a Value, got {type(root).__name__} {root!r}")
    if draw_options.get("show_grad", True) is not True:
        raise BPValueError("a step-through page always shows gradients: drop show_grad")
    draw_options.setdefault("edge_labels", True)
    nodes = trace(root)
    gradients, done = _running_sums(nodes)
    svg = _svg(root, nodes, gradients, renderer, timeout, draw_options)
    named = _names(nodes)
    names = {v: text for v, (text, _) in named.items()}
    steps = _steps(root, nodes, named, gradients, done)
    summary = (f"{names[root]}: {len(nodes)} Values, {sum(1 for v in nodes if v.parents)} "
               f"operations, {len(edges(nodes))} edges")
    data = {"nodes": [_node_data(root, nodes, i, names, gradients) for i in range(len(nodes))],
            "steps": steps}
    return StepsPage(_page(names[root], summary, _annotate(svg, nodes, names), data),
                     steps, summary)


# --- the steps

def _running_sums(nodes: Sequence[Value]
                  ) -> Tuple[Dict[Value, float], List[Tuple[Value, Value, float, float]]]:
    """The final ∂C/∂v, and each edge (u, p, ∂u/∂p, ∂C/∂p after it) in backward() order.

    As in `Value.backward()`: ∂C/∂C = 1, then for u in reverse topological order, for
    each operand p of u, ∂C/∂p += ∂u/∂p · ∂C/∂u: the same terms in the same order, so
    the same floats as .grad after one backward().
    """
    sums = dict.fromkeys(nodes, 0.0)
    sums[nodes[-1]] = 1.0
    done = []
    for u in reversed(nodes):
        for p, local in zip(u.parents, u.local_grads):
            sums[p] += local * sums[u]
            done.append((u, p, local, sums[p]))
    return sums, done


def _steps(root: Value, nodes: Sequence[Value], named: Dict[Value, Named],
           sums: Dict[Value, float], done: List[Tuple[Value, Value, float, float]]
           ) -> List[Dict[str, Any]]:
    """Step 0 (the leaves hold their values), one step per operation, ∂C/∂C = 1, one step
    per edge (`done`, from `_running_sums`)."""
    names = {v: text for v, (text, _) in named.items()}
    index = {v: i for i, v in enumerate(nodes)}
    operations = [v for v in nodes if v.parents]
    c = _wrapped(names[root])
    steps: List[Dict[str, Any]] = [{"kind": "start", "text": (
        f"Before the forward pass: the {sum(1 for v in nodes if not v.parents)} leaves "
        f"(inputs and parameters) hold their values; {len(operations)} operations are to "
        f"be computed, then ∂{c}/∂v for every node.")}]
    for k, v in enumerate(operations, 1):
        steps.append({"kind": "forward", "node": index[v], "value": _shown(v.data),
                      "operands": [index[p] for p in v.parents],
                      "text": f"Forward pass, operation {k} of {len(operations)}:\n"
                              f"{_forward_equation(v, named)}"})
    steps.append({"kind": "seed", "node": index[root], "grad": _shown(1.0),
                  "text": f"Backward pass begins at the root: ∂{c}/∂{c} = 1"})
    consumers = {v: 0 for v in nodes}
    for p, _, _ in edges(nodes):
        consumers[p] += 1
    terms: Dict[Value, List[float]] = {v: [] for v in nodes}
    edge_index = _edge_numbers(nodes)
    for k, (u, p, local, running) in enumerate(done, 1):
        upstream = sums[u]
        term = local * upstream
        terms[p].append(term)
        complete = len(terms[p]) == consumers[p]
        du, dp = f"∂{c}/∂{_wrapped(names[u])}", f"∂{c}/∂{_wrapped(names[p])}"
        local_name = f"∂{_wrapped(names[u])}/∂{_wrapped(names[p])}"
        total = " + ".join(_bracketed(_number(t), _ATOM) for t in terms[p])
        sum_line = f"{dp} = {total} = {_g(running)}" if len(terms[p]) > 1 \
            else f"{dp} = {_g(running)}"
        status = (f"term {len(terms[p])} of {consumers[p]}: "
                  + ("complete" if complete else "more to come from other consumers"))
        steps.append({
            "kind": "edge", "edge": edge_index[k - 1], "from": index[u], "to": index[p],
            "grad": _shown(running), "complete": complete,
            "note": f"{_shown(upstream)} × {_shown(local)} = {_shown(term)}",
            "text": f"Backward pass, edge {k} of {len(done)}: from {names[u]} back to "
                    f"{names[p]}\n{du} · {local_name} = {_g(upstream)} · {_g(local)} = "
                    f"{_g(term)}, added into {dp}\n{sum_line}   ({status})"})
    steps[-1]["text"] += (f"\nDone: every node shows ∂{c}/∂v, which is v.grad after "
                          f"{names[root]}.backward().")
    return steps


def _edge_numbers(nodes: Sequence[Value]) -> List[int]:
    """For each edge in backward() order, its number in `edges(nodes)` (forward order)."""
    number = {}
    for k, (p, u, _) in enumerate(edges(nodes)):
        number.setdefault(u, []).append(k)
    return [k for u in reversed(nodes) for k in number.get(u, [])]


def _forward_equation(v: Value, named: Dict[Value, Named]) -> str:
    """`z_o1 = w7·a_h1 + w8·a_h2 + w9·a_h3 + b4 = 0.895682 + 0.6 = 1.49568`: v's operation
    on its operands' names, then on their values (each computed in an earlier step)."""
    written, _ = _formula(v, [named[p] for p in v.parents])
    numbers, _ = _formula(v, [_number(p.data) for p in v.parents])
    head = f"{v.label} = {written}" if v.label else written
    return f"{head} = {numbers} = {_g(v.data)}"


# --- names: a node's label, else its operation on its operands' names

Named = Tuple[str, int]     # a formula and the precedence of its outermost operation
_ATOM, _UNARY = 5, 3
_INFIX = {"+": (1, " + "), "-": (1, " - "), "*": (2, "·"), "/": (2, " / "), "**": (4, "^")}
_SHORT = {"sigmoid": "σ"}   # how a function is written where it has a name of its own


def _names(nodes: Sequence[Value]) -> Dict[Value, Named]:
    """Each node's name: its label; for an unlabelled leaf its value; else its formula
    in its operands' names (a + b·c), with operands elided ("…") where it grows long."""
    named: Dict[Value, Named] = {}
    for v in nodes:
        if v.label:
            named[v] = (v.label, _ATOM)
        elif not v.parents:
            named[v] = _number(v.data, 4)
        else:
            named[v] = _formula(v, [named[p] for p in v.parents])
            if len(named[v][0]) > _LONG:
                named[v] = _formula(v, [named[p] if named[p][1] == _ATOM else ("…", _ATOM)
                                        for p in v.parents])
    return named


def _formula(v: Value, operands: List[Named]) -> Named:
    """v's operation written on its operands, with the parentheses precedence needs; a
    folded number is written where the operation's record (`v.kind`) puts it."""
    kind = v.kind
    if kind is None:                                    # a custom operation
        return f"{v.op}({', '.join(text for text, _ in operands)})", _ATOM
    if kind.is_function:
        return f"{_SHORT.get(kind.name, kind.name)}({operands[0][0]})", _ATOM
    if kind.name == "neg":
        return f"-{_bracketed(operands[0], _UNARY + 1)}", _UNARY
    symbol = kind.name.replace("C", "").strip()
    if not kind.folded:
        return _infix(symbol, operands[0], operands[1])
    number = _number(v.const)
    if symbol == "*" or kind.written.startswith("{c}"):  # 0.5·x rather than x·0.5
        return _infix(symbol, number, operands[0])
    return _infix(symbol, operands[0], number)


def _infix(op: str, left: Named, right: Named) -> Named:
    """left op right; - and / group to the left, ^ to the right."""
    precedence, symbol = _INFIX[op]
    right_assoc = op == "**"
    return (f"{_bracketed(left, precedence + right_assoc)}{symbol}"
            f"{_bracketed(right, precedence + (not right_assoc and op in '-/'))}", precedence)


def _bracketed(operand: Named, least: int) -> str:
    """The operand's text, in parentheses if it binds less tightly than `least`."""
    text, precedence = operand
    return text if precedence >= least else f"({text})"


def _number(x: float, digits: int = 6) -> Named:
    """A number as an operand: a negative one binds like unary minus."""
    return _g(x, digits), _UNARY if x < 0 or math.copysign(1.0, x) < 0 else _ATOM


def _wrapped(name: str) -> str:
    """A name ready to follow ∂: bare when it is one word, in parentheses otherwise."""
    return name if name.replace("_", "").isalnum() else f"({name})"


# --- what a click shows: the chain rule and the numerical check

def _node_data(root: Value, nodes: Sequence[Value], position: int, names: Dict[Value, str],
               gradients: Dict[Value, float]) -> Dict[str, Any]:
    """What the page keeps of a node: its name, its value at step 0 (a leaf's), and what a
    click on it shows: both numbers in full, its chain rule and its numerical check."""
    v = nodes[position]
    return {"name": names[v], "leaf": not v.parents, "value": _shown(v.data),
            "full": f"data = {v.data!r}\n∂{_wrapped(names[root])}/∂{_wrapped(names[v])} = "
                    f"{gradients[v]!r}",
            "chain": _chain_rule(root, v),
            "check": _numerical_check(root, nodes, position, names)}


def _chain_rule(root: Value, v: Value) -> str:
    """explain's equation; past MAX_PATHS paths, its one-step form, saying why."""
    try:
        return explain(root, v, max_paths=MAX_PATHS).equation()
    except PathLimitError:
        return (f"(more than {MAX_PATHS} paths: the one-step form)\n"
                + explain(root, v, one_step=True).equation())


def _redo(v: Value, operands: Sequence[Value]) -> Optional[Value]:
    """v's operation (its record in the table of operations) applied to `operands`, or
    None for a custom operation."""
    kind = v.kind
    if kind is None:
        return None
    method = getattr(operands[0], kind.method)
    return method(v.const) if kind.folded else method(*operands[1:])


def _numerical_check(root: Value, nodes: Sequence[Value], position: int,
                     names: Dict[Value, str]) -> str:
    """gradcheck of ∂C/∂v, v = nodes[position]: C recomputed from v with v's value moved
    by ±h, v's own inputs held fixed."""
    v = nodes[position]
    c, name = _wrapped(names[root]), names[v]
    if v is root:
        return f"∂{c}/∂{c} = 1 by definition: nothing to check numerically"
    depends, downstream = {v}, []           # the nodes computed from v, in order
    for u in nodes[position + 1:]:
        if any(p in depends for p in u.parents):
            depends.add(u)
            downstream.append(u)

    def recomputed(moved: Value) -> Value:
        new = {v: moved}
        for u in downstream:
            redone = _redo(u, [new[p] if p in new else Value(p.data) for p in u.parents])
            if redone is None:
                raise _NotRedone(u)
            new[u] = redone
        return new[root]

    try:
        if recomputed(Value(v.data)).data != root.data:
            return (f"no numerical check: recomputing {c} from {name} does not give its "
                    f"value back (a value in the graph changed after it was computed)")
        report = gradcheck(recomputed, v.data, names=[name])
    except _NotRedone as error:
        return (f"no numerical check: the operation {error.node.op!r} between {c} and "
                f"{name} is not built in, so {c} cannot be recomputed from the graph")
    except (ArithmeticError, ValueError) as error:
        return f"no numerical check: a step of ±h leaves the domain ({error})"
    held = ", the nodes it is computed from held fixed" if v.parents else ""
    return f"{c} recomputed with {name} moved by ±h{held}:\n{report}"


class _NotRedone(TinygradBPError):
    """An operation on the way from a node to the root that the table does not know."""

    def __init__(self, node: Value) -> None:
        super().__init__(node.op)
        self.node = node


# --- the picture and the page

def _svg(root: Value, nodes: Sequence[Value], gradients: Dict[Value, float],
         renderer: Optional[str], timeout: Optional[float], draw_options: Dict[str, Any]) -> str:
    """The SVG of draw_dot's graph with every gradient field present, laid out for the
    final numbers; the nodes' `.grad` are set for the drawing and then put back."""
    held = [v.grad for v in nodes]
    try:
        for v in nodes:
            v.grad = gradients[v]
        source = draw_dot(root, **draw_options).source
    finally:
        for v, grad in zip(nodes, held):
            v.grad = grad
    return run_renderer(source, "svg", renderer or find_renderer(), timeout).decode("utf-8")


_NODE_TITLE = re.compile(r"v(?P<i>\d+)(?P<copy>_\d+)?|op(?P<op>\d+)")
_EDGE_TITLE = re.compile(r"v(?P<p>\d+)(?:_\d+)?->op(?P<u>\d+)|op(?P<v>\d+)->v\d+")


def _annotate(svg: str, nodes: Sequence[Value], names: Dict[Value, str]) -> str:
    """The SVG with data attributes for the page: each Value's group gets data-index (a
    copy drawn beside a distant use, data-copy-of), data-label, data-value, data-grad (as
    at step 0), and its value and gradient texts a class; each operation data-op; each
    edge data-to, the index of the Value it leads to, and each edge p → u data-edge, its
    number in `edges`."""
    ElementTree.register_namespace("", _SVG)
    ElementTree.register_namespace("xlink", _XLINK)
    tree = ElementTree.fromstring(svg)
    index = {v: i for i, v in enumerate(nodes)}
    numbers: Dict[Tuple[str, str], List[int]] = {}
    for k, (p, u, _) in enumerate(edges(nodes)):
        numbers.setdefault((str(index[p]), str(index[u])), []).append(k)
    for group in tree.iter(f"{{{_SVG}}}g"):
        title = group.findtext(f"{{{_SVG}}}title", "")
        node = _NODE_TITLE.fullmatch(title) if group.get("class") == "node" else None
        edge = _EDGE_TITLE.fullmatch(title) if group.get("class") == "edge" else None
        if node and node.group("op"):
            group.set("data-op", node.group("op"))
        elif node:
            _annotate_value(group, node.group("i"), bool(node.group("copy")), nodes, names)
        elif edge and edge.group("v"):
            group.set("data-to", edge.group("v"))
        elif edge:
            group.set("data-to", edge.group("u"))
            group.set("data-edge", str(numbers[edge.group("p"), edge.group("u")].pop(0)))
    for size in ("width", "height"):        # NOTE: the page scales it (viewBox stays)
        tree.attrib.pop(size, None)
    return ElementTree.tostring(tree, encoding="unicode")


def _annotate_value(group: ElementTree.Element, i: str, copy: bool, nodes: Sequence[Value],
                    names: Dict[Value, str]) -> None:
    """A Value's record as at step 0: a leaf's value, no other value, no gradient."""
    v = nodes[int(i)]
    group.attrib.update({"data-copy-of" if copy else "data-index": i, "data-label": v.label,
                         "data-value": _shown(v.data) if not v.parents else "",
                         "data-grad": "", "tabindex": "0"})
    *_, value, grad = group.iter(f"{{{_SVG}}}text")
    value.set("class", "value")
    grad.set("class", "grad")
    value.text = f"data {_shown(v.data)}" if not v.parents else "data ?"
    grad.text = "grad ?"
    for anchor in group.iter(f"{{{_SVG}}}a"):
        anchor.set(f"{{{_XLINK}}}title", f"{names[v]}: click for its chain rule")


def _page(title: str, summary: str, svg: str, data: Dict[str, Any]) -> str:
    """The whole page; its CSP allows its own script and style (by hash) and nothing else."""
    script = (_ASSETS / "steps.js").read_text(encoding="utf-8")
    style = (_ASSETS / "steps.css").read_text(encoding="utf-8")
    # NOTE: hashes, not 'unsafe-inline': a label cannot smuggle in a script that runs.
    policy = (f"default-src 'none'; script-src '{_sha256(script)}'; "
              f"style-src '{_sha256(style)}'; base-uri 'none'; form-action 'none'")
    # NOTE: "<" written as \u003c, so that no label can end the data's script element.
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    heading = html.escape(f"Backpropagation step by step: {title}")
    return (_TEMPLATE.replace("{policy}", html.escape(policy))
            .replace("{heading}", heading).replace("{summary}", html.escape(summary))
            .replace("{style}", style).replace("{svg}", svg)
            .replace("{data}", payload).replace("{script}", script))


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading}</title>
<style>{style}</style>
</head>
<body>
<header><h1>{heading}</h1><p id="summary">{summary}</p></header>
<div id="bar">
<nav id="controls" aria-label="steps">
<button id="first" type="button" title="first step (Home)">|&#x25C0; first</button>
<button id="prev" type="button" title="previous step (&#x2190;)">&#x25C0; previous</button>
<button id="play" type="button" title="play or pause (Space)">&#x25B6; play</button>
<button id="next" type="button" title="next step (&#x2192;)">next &#x25B6;</button>
<button id="last" type="button" title="last step (End)">last &#x25B6;|</button>
<label>speed <select id="speed"><option value="0.5">0.5 steps/s</option>
<option value="1" selected>1 step/s</option><option value="2">2 steps/s</option>
<option value="4">4 steps/s</option><option value="10">10 steps/s</option></select></label>
<input id="slider" type="range" min="0" max="0" value="0" step="1" aria-label="step">
<span id="counter"></span>
<span class="zoom"><button id="zoom-out" type="button" title="zoom out (-)">&#x2212;</button
><button id="zoom-fit" type="button" title="fit the graph to the window (0)">fit</button
><button id="zoom-in" type="button" title="zoom in (+)">+</button></span>
</nav>
<div id="step-text" role="status" aria-live="polite"><noscript>Stepping through the passes
needs JavaScript, which this browser does not run here.</noscript></div>
</div>
<main id="graph">{svg}</main>
<aside id="details" hidden><button id="close" type="button" title="close (Esc)">&#x2715;</button>
<h2 id="details-title"></h2>
<pre id="details-values"></pre>
<h3>Chain rule</h3><pre id="chain-rule"></pre>
<h3>Numerical check</h3><pre id="numerical-check"></pre></aside>
<footer>Click a node for its whole chain rule and its numerical check.
Keys: &#x2192; next, &#x2190; previous, Home first, End last, Space play/pause, + and &#x2212; zoom,
0 fits the graph to the window, Esc closes the node's panel.
Link to a step with <code>#step=K</code> (<code>#step=0</code>, <code>#step=end</code>).
Colours: <span class="key current">being computed or passing on its gradient</span>
<span class="key operand">its operands / the operand receiving</span>
<span class="key partial">gradient partly summed</span>.
Made by tinygrad_bp.</footer>
<script type="application/json" id="steps-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""


# --- numbers as the page writes them

def _shown(x: float) -> str:
    """A number in a node: 4 significant digits, as draw_dot writes them."""
    return f"{x:.4g}"


def _g(x: float, digits: int = 6) -> str:
    """A number in an equation: 6 significant digits, as explain writes them."""
    return f"{x:.{digits}g}"
