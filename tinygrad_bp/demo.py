"""The article, replayed: `tinygrad-bp demo`.

On the labelled 2-3-2 sigmoid network and its default sample (`nn.article_network`),
in the article's order:

1. the network of figure 1: its starting weights and biases, the sample x and target y;
2. the forward pass, z^l = w^l a^(l-1) + b^l and a^l = σ(z^l), neuron by neuron;
3. the quadratic cost C = ½ Σ_j (y_j − a_j)² (section 3);
4. the chain rule for w7 and for w1 written out with numbers (section 5);
5. the algorithm's four equations (section 6): the errors δ from BP1 and BP2 beside the
   engine's ∂C/∂z (they are the same thing), then all 17 gradients from `C.backward()`
   beside those of BP3 and BP4, computed by `tinygrad_bp.backprop` without the engine;
6. one SGD step, p ← p − η ∂C/∂p, with the cost before and after;
7. the graph of C with the chain-rule path of w7 highlighted, as SVG, and beside it the
   network drawn neuron by neuron as the article's figure 1 (`viz.draw_network`);
8. on request (`step_through`), the page that steps through the forward and the backward
   pass of C, node by node and edge by edge (`viz.steps_page`).

The SGD step works on a copy of the network *and of the inputs*, so that the graph of
section 7 shows the gradients of one `C.backward()`, as printed above it.

`replay()` yields the report line by line, so a command line shows it as it goes;
`draw()` is its section 7 alone, so that a caller can tell a failed drawing apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, List, Sequence, Union

from tinygrad_bp.engine import Value, find
from tinygrad_bp.losses import mse
from tinygrad_bp.nn import MLP, article_network
from tinygrad_bp.optim import SGD

if TYPE_CHECKING:
    from tinygrad_bp.backprop import Backprop

DEFAULT_SVG = "tinygrad-bp-demo.svg"
DEFAULT_LR = 0.5


def replay(lr: float = DEFAULT_LR, svg: Union[str, Path, None] = DEFAULT_SVG) -> Iterator[str]:
    """The article's walk-through as lines of text; writes the graph to `svg` unless None
    (an .svg, or any suffix `viz.render` takes: `.dot` is the DOT source, drawn by no renderer).

        >>> lines = list(replay(svg=None))
        >>> lines[0]
        "The article's 2-3-2 sigmoid network, x = (0.05, 0.1), y = (0.01, 0.99)"
    """
    # NOTE: imported here, not at the top: every command's parser reads this module's
    # defaults, and `tinygrad-bp train` should not pay for the checking and reference code.
    from tinygrad_bp.backprop import backprop
    from tinygrad_bp.checking import explain

    net, x, y = article_network()
    C = mse(net(x), y)
    C.backward()
    reference = backprop(net.weights(), net.biases(), [v.data for v in x], y)
    neurons = [[n.name for n in layer.neurons] for layer in net.layers]
    labels = [f"{v}_{n}" for layer in neurons for n in layer for v in "za"] + ["w7"]
    nodes = dict(zip(labels, find(C, labels)))

    yield (f"The article's 2-3-2 sigmoid network, x = ({_join(v.data for v in x)}), "
           f"y = ({_join(y)})")
    yield ""
    yield from _network(net, x)
    yield ""
    yield "2. Forward pass: z = Σ_k w_k a_k + b, a = σ(z), layer by layer"
    yield f"   {'neuron':<8}{'z':>12}{'a':>12}"
    for name in (n for layer in neurons for n in layer):
        yield f"   {name:<8}{nodes['z_' + name].data:>12.6f}{nodes['a_' + name].data:>12.6f}"
    yield ""
    yield f"3. Cost (section 3): C = ½ Σ_j (y_j − a_oj)² = {C.data:.6f}"
    yield ""
    yield "4. The chain rule by hand (section 5): every path from C to the weight"
    for weight in ("w7", "w1"):
        yield ""
        yield from _indent(str(explain(C, weight)))
    yield ""
    yield "5. The algorithm's four equations (section 6), beside the engine"
    yield ""
    yield "   Errors δ = ∂C/∂z: BP1 for the output layer, BP2 backwards from it"
    yield "   BP1: δ^L = (a^L − y) ⊙ σ'(z^L)      BP2: δ^l = ((w^(l+1))ᵀ δ^(l+1)) ⊙ σ'(z^l)"
    yield f"   {'neuron':<8}{'δ (equations)':>16}{'∂C/∂z (engine)':>18}"
    for layer in reversed(range(len(neurons))):
        for j, name in enumerate(neurons[layer]):
            yield (f"   {name:<8}{reference.deltas[layer][j]:>16.8g}"
                   f"{nodes['z_' + name].grad:>18.8g}")
    yield ""
    yield from _gradient_table(net, reference)
    yield ""
    yield from _sgd_step(net, x, y, lr)
    if svg is not None:
        yield from draw(svg)


def draw(svg: Union[str, Path]) -> List[str]:
    """Section 7 of `replay`: draw the graph of C, the paths from w7 highlighted, into
    `svg`, and the network beside it (`network_picture`); return the report's lines.
    Drawing errors propagate (no graphviz, no renderer, a directory that does not exist)."""
    from tinygrad_bp import viz  # NOTE: only here: drawing is the one part that needs graphviz

    net, x, y = article_network()
    C = mse(net(x), y)
    C.backward()
    path = viz.render(C, svg, highlight="w7")
    figure = viz.render(viz.draw_network(net, x, y, highlight="w7"), network_picture(svg))
    return ["", f"7. Graph of C with the path from w7 highlighted: wrote {path}",
            f"   The network as the article's figure 1, the same gradients on its arrows: "
            f"wrote {figure}"]


def step_through(html: Union[str, Path]) -> List[str]:
    """Section 8: write the page that steps through the forward and the backward pass of
    C into `html`; return the report's lines. Errors propagate, as `draw`'s do."""
    from tinygrad_bp import viz  # NOTE: only here, as in draw

    net, x, y = article_network()
    path = viz.render(mse(net(x), y), html)
    return ["", f"8. The forward and backward pass step by step, in a browser: wrote {path}"]


def network_picture(svg: Union[str, Path]) -> Path:
    """Where the demo writes the neuron-level picture: beside `svg`, `-network` added to its
    name (tinygrad-bp-demo.svg → tinygrad-bp-demo-network.svg)."""
    svg = Path(svg)
    return svg.with_name(f"{svg.stem}-network{svg.suffix}")


def _network(net: MLP, x: Sequence[Value]) -> Iterator[str]:
    """Section 1 (figure 1): each neuron's inputs, starting weights and bias."""
    rows = [("neuron", "inputs", "weights", "bias")]
    inputs = [v.label for v in x]
    for layer in net.layers:
        for neuron in layer.neurons:
            rows.append((neuron.name, ", ".join(inputs),
                         "  ".join(f"{w.label}={w.data:g}" for w in neuron.w),
                         f"{neuron.b.label}={neuron.b.data:g}"))
        inputs = [f"a_{neuron.name}" for neuron in layer.neurons]
    widths = [max(len(row[i]) for row in rows) + 3 for i in range(3)]
    yield "1. The network (figure 1): each neuron's starting weights and bias"
    for row in rows:
        yield "   " + "".join(cell.ljust(w) for cell, w in zip(row, widths)) + row[3]


def _gradient_table(net: MLP, reference: Backprop) -> Iterator[str]:
    """Section 5, BP3 and BP4: each parameter's ∂C/∂p from the engine and from the equations."""
    engine_w, engine_b = net.gradients()
    rows = []
    for l, layer in enumerate(net.layers):
        for j, neuron in enumerate(layer.neurons):
            for k, w in enumerate(neuron.w):
                rows.append((w.label, engine_w[l][j][k], reference.nabla_w[l][j][k]))
            rows.append((neuron.b.label, engine_b[l][j], reference.nabla_b[l][j]))
    yield (f"   All {len(rows)} gradients: the engine (C.backward()) beside BP3 "
           f"(∂C/∂b = δ) and BP4 (∂C/∂w_jk = a_k δ_j)")
    yield f"   {'param':<7}{'engine':>22}{'equations':>22}{'|difference|':>14}"
    for label, by_engine, by_equations in rows:
        yield (f"   {label:<7}{by_engine!r:>22}{by_equations!r:>22}"
               f"{abs(by_engine - by_equations):>14.2g}")
    largest = max(abs(e - r) for _, e, r in rows)
    yield f"   largest difference: {largest:.2g}"


def _sgd_step(net: MLP, x: Sequence[Value], y: Sequence[float], lr: float) -> Iterator[str]:
    """Section 6: one gradient-descent step on a copy of the network and of its inputs."""
    copy = MLP.from_weights(net.weights(), net.biases())
    # NOTE: fresh inputs: backward() on the copy would otherwise add its gradients to the
    # .grad of x1 and x2, which the graph of the original C then shows doubled.
    inputs = [Value(v.data, label=v.label) for v in x]
    before = mse(copy(inputs), y)
    before.backward()
    SGD(copy.parameters(), lr).step()
    after = mse(copy(inputs), y)
    yield f"6. One SGD step, p ← p − η ∂C/∂p with η = {lr:g}:"
    yield f"   C before = {before.data:.6f}, C after = {after.data:.6f} " \
          f"({after.data - before.data:+.6f})"


def _join(numbers: Iterable[float]) -> str:
    return ", ".join(f"{n:g}" for n in numbers)


def _indent(text: str) -> List[str]:
    return ["   " + line for line in text.splitlines()]

