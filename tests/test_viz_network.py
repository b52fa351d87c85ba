"""draw_network: the article's figure 1 for any MLP, checked from the DOT source against the
engine, and rendered by both renderers (Debian's dot, graphviz-pure)."""

import re
import xml.etree.ElementTree as ElementTree

import graphviz
import pytest

from tinygrad_bp.backprop import backprop
from tinygrad_bp.engine import LabelError, Value, count_paths, trace
from tinygrad_bp.errors import BPTypeError
from tinygrad_bp.losses import mse
from tinygrad_bp.nn import MLP, article_network
from tinygrad_bp.viz import (MAX_WEIGHTS, ComputationGraph, GraphTooLarge, draw_dot,
                             draw_network, render)
from tinygrad_bp.viz.dot import HIGHLIGHT
from tinygrad_bp.viz.renderer import ENV_VAR

from helpers import SVG
from renderers import need_dot, need_pure
STATEMENT = re.compile(r'^\s*(\w+)(?:\s*->\s*(\w+))?\s*\[(.*)\]\s*$')
ATTRIBUTE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s"]+)')


def renderer(which):
    """The renderer's path, or a skip (a failure when CI demands Graphviz's dot)."""
    return need_dot() if which == "dot" else need_pure()


RENDERERS = ["dot", "graphviz-pure"]


def parse(source):
    """The DOT source as ({node: attributes}, [(tail, head, attributes)], [rank=same columns]);
    invisible arrows (the ones that keep a column's order) are left out of the arrows."""
    nodes, arrows, columns = {}, [], []
    for block in re.findall(r"\{\s*rank=same\n(.*?)\}", source, re.S):
        column = [line.strip() for line in block.splitlines()
                  if re.fullmatch(r"\s*\w+\s*", line)]
        titles = [dict(ATTRIBUTE.findall(line))["label"].strip('"')
                  for line in block.splitlines() if "shape=plaintext" in line]
        columns.append((titles[0] if titles else None, column))
    for line in source.splitlines():
        match = STATEMENT.match(line)
        if not match or match.group(1) in ("graph", "node", "edge") \
                or "shape=plaintext" in line:       # a column's title
            continue
        attrs = {k: v[1:-1] if v.startswith('"') else v
                 for k, v in ATTRIBUTE.findall(match.group(3))}
        if match.group(2) is None:
            nodes[match.group(1)] = attrs
        elif attrs.get("style") != "invis":
            arrows.append((match.group(1), match.group(2), attrs))
    return nodes, arrows, columns


def lines(attrs, key="label"):
    return attrs[key].split("\\n")


def article(backward=True):
    """The article's network, its sample, and the cost C of a forward pass (after backward)."""
    net, x, y = article_network()
    cost = mse(net(x), y)
    if backward:
        cost.backward()
    return net, x, y, cost


def by_label(cost):
    return {node.label: node for node in trace(cost) if node.label}


def weights_by_name(arrows):
    """{weight name: (tail, head, attributes)} from the arrows' labels `w7 = 0.45...`."""
    return {attrs["label"].split(" = ")[0]: (tail, head, attrs) for tail, head, attrs in arrows
            if attrs.get("label", "").startswith("w")}


def shown(text, prefix):
    """The number after `prefix` in one line of a label, e.g. 'w7 = 0.45' → 0.45."""
    assert text.startswith(prefix), (text, prefix)
    return text[len(prefix):]


# --- structure, from the DOT source

def test_one_node_per_input_and_neuron_and_the_cost():
    net, x, y, _ = article()
    nodes, _, _ = parse(draw_network(net, x, y).source)
    assert set(nodes) == {"x1", "x2", "h1", "h2", "h3", "o1", "o2", "C"}


def test_no_cost_node_without_targets():
    net, x, _, _ = article()
    nodes, arrows, _ = parse(draw_network(net, x).source)
    assert "C" not in nodes and all(head != "C" for _, head, _ in arrows)


def test_one_arrow_per_weight_from_its_source_to_its_neuron():
    net, x, y, _ = article()
    _, arrows, _ = parse(draw_network(net, x, y).source)
    weights = weights_by_name(arrows)
    # NOTES.md: h_j takes w(2j−1) from x1 and w(2j) from x2; o_j takes w(6+3(j−1)+k) from h_k.
    expected = {f"w{2 * (j - 1) + k}": (f"x{k}", f"h{j}") for j in (1, 2, 3) for k in (1, 2)}
    expected.update({f"w{6 + 3 * (j - 1) + k}": (f"h{k}", f"o{j}")
                     for j in (1, 2) for k in (1, 2, 3)})
    assert {name: (tail, head) for name, (tail, head, _) in weights.items()} == expected
    assert len([a for a in arrows if a[1] != "C"]) == 12
    assert weights["w7"][:2] == ("h1", "o1") and weights["w1"][:2] == ("x1", "h1")


def test_weight_labels_show_the_engine_values_and_gradients():
    net, x, y, _ = article()
    _, arrows, _ = parse(draw_network(net, x, y).source)
    weights = weights_by_name(arrows)
    for w in (p for p in net.parameters() if p.label.startswith("w")):
        value, grad = lines(weights[w.label][2])
        assert float(shown(value, f"{w.label} = ")) == float(f"{w.data:.4g}")
        assert float(shown(grad, f"∂C/∂{w.label} = ")) == float(f"{w.grad:.4g}")
        assert weights[w.label][2]["tooltip"] == f"{w.label} = {w.data!r}, ∂C/∂{w.label} = " \
                                                 f"{w.grad!r}"
    assert lines(weights["w7"][2]) == ["w7 = 0.45", "∂C/∂w7 = 0.0716"]


def test_neurons_show_b_z_a_and_delta_of_the_engine():
    net, x, y, cost = article()
    nodes, _, _ = parse(draw_network(net, x, y).source)
    engine = by_label(cost)
    reference = backprop(net.weights(), net.biases(), [v.data for v in x], y)
    for l, layer in enumerate(net.layers):
        for j, neuron in enumerate(layer.neurons):
            shown_lines = lines(nodes[neuron.name])
            if l == len(net.layers) - 1:                        # an output: its target
                assert shown_lines.pop(4) == f"y{j + 1} = {y[j]:.4g}"
            name, b, z, a, delta = shown_lines
            assert name == neuron.name
            assert float(shown(b, f"{neuron.b.label} = ")) == float(f"{neuron.b.data:.4g}")
            assert float(shown(z, "z = ")) == float(f"{engine['z_' + name].data:.4g}")
            assert float(shown(a, "a = σ(z) = ")) == float(f"{engine['a_' + name].data:.4g}")
            # δ = ∂C/∂z: the engine's gradient of the z node, and BP1/BP2's δ
            assert float(shown(delta, "δ = ")) == float(f"{engine['z_' + name].grad:.4g}")
            assert float(shown(delta, "δ = ")) == float(f"{reference.deltas[l][j]:.4g}")
    assert lines(nodes["h1"]) == ["h1", "b1 = 0.35", "z = 0.3775", "a = σ(z) = 0.5933",
                                  "δ = 0.01064"]


def test_inputs_show_their_values_and_the_cost_its_value_and_targets():
    net, x, y, cost = article()
    nodes, arrows, _ = parse(draw_network(net, x, y).source)
    assert lines(nodes["x1"]) == ["x1", "= 0.05"] and lines(nodes["x2"]) == ["x2", "= 0.1"]
    assert lines(nodes["C"])[1] == f"= {cost.data:.4g}" == "= 0.3349"
    assert nodes["C"]["tooltip"] == f"C = {cost.data!r}"
    assert {tail for tail, head, _ in arrows if head == "C"} == {"o1", "o2"}
    assert lines(nodes["o1"])[4] == "y1 = 0.01" and lines(nodes["o2"])[4] == "y2 = 0.99"
    assert "target y2 = 0.99" in nodes["o2"]["tooltip"]


def test_inputs_given_as_numbers_are_named_x_k():
    net = MLP(3, [2], seed=0)
    nodes, _, _ = parse(draw_network(net, [1.5, -2, 0.25]).source)
    assert [lines(nodes[f"x{k}"]) for k in (1, 2, 3)] == [["x1", "= 1.5"], ["x2", "= -2"],
                                                          ["x3", "= 0.25"]]


def test_both_drawings_show_the_same_gradients_after_one_backward():
    net, x, y, cost = article()
    _, arrows, _ = parse(draw_network(net, x, y).source)
    records = {attrs["label"].split(" | ")[0]: attrs["label"]
               for _, attrs in parse_records(draw_dot(cost).source)}
    for name, (_, _, attrs) in weights_by_name(arrows).items():
        grad = shown(lines(attrs)[1], f"∂C/∂{name} = ")
        assert records[name].endswith(f"grad {grad}")


def parse_records(source):
    """(name, attributes) of draw_dot's record nodes."""
    for line in source.splitlines():
        match = STATEMENT.match(line)
        if match and match.group(2) is None and "shape=record" in line:
            yield match.group(1), {k: v[1:-1] if v.startswith('"') else v
                                   for k, v in ATTRIBUTE.findall(match.group(3))}


# --- before backward, without a sample, without gradients

def test_before_backward_no_gradient_is_shown_and_the_caption_says_so():
    net, x, y, _ = article(backward=False)
    view = draw_network(net, x, y)
    nodes, arrows, _ = parse(view.source)
    assert "gradients not computed yet" in view.source
    assert not any("∂C" in attrs.get("label", "") for _, _, attrs in arrows)
    assert not any("δ" in attrs["label"] for attrs in nodes.values())
    assert lines(nodes["o1"])[2:] == ["z = 1.496", "a = σ(z) = 0.8169", "y1 = 0.01"]


def test_show_grad_false_hides_gradients_without_a_caption():
    net, x, y, _ = article()
    view = draw_network(net, x, y, show_grad=False)
    nodes, arrows, _ = parse(view.source)
    assert not any("∂C" in attrs.get("label", "") for _, _, attrs in arrows)
    assert "δ" not in nodes["h1"]["label"] and "not computed" not in view.source


def test_without_a_sample_neurons_show_their_bias_and_inputs_their_name():
    net, _, _, _ = article()
    nodes, _, _ = parse(draw_network(net).source)
    assert lines(nodes["h1"]) == ["h1", "b1 = 0.35", "δ = 0.01064"]
    assert lines(nodes["x1"]) == ["x1"] and "C" not in nodes


def test_a_linear_neuron_shows_no_separate_activation():
    net = MLP(2, [2, 1], output_activation="linear", seed=0)
    nodes, _, _ = parse(draw_network(net, [0.5, 0.5]).source)
    assert [line.split(" = ")[0] for line in lines(nodes["o1"])] == ["o1", "b3", "z"]
    assert lines(nodes["h1"])[3].startswith("a = σ(z) = ")


def test_tanh_neurons_name_their_activation():
    net = MLP(2, [2], activation="tanh", seed=0)
    nodes, _, _ = parse(draw_network(net, [0.5, 0.5]).source)
    assert lines(nodes["o1"])[3].startswith("a = tanh(z) = ")


def test_drawing_changes_no_parameter_and_no_gradient():
    net, x, y, _ = article()
    before = [(p.data, p.grad) for p in net.parameters()]
    draw_network(net, x, y, highlight="w1")
    assert [(p.data, p.grad) for p in net.parameters()] == before


def test_the_same_network_gives_the_same_source():
    net, x, y, _ = article()
    assert draw_network(net, x, y).source == draw_network(net, x, y).source


# --- columns and order

def test_one_column_per_layer_in_index_order():
    net, x, y, _ = article()
    _, _, columns = parse(draw_network(net, x, y).source)
    assert columns == [("input layer", ["x1", "x2"]), ("hidden layer", ["h1", "h2", "h3"]),
                       ("output layer", ["o1", "o2"]), ("cost", ["C"])]


def test_several_hidden_layers_keep_the_engines_names_and_columns():
    net = MLP(2, [3, 4, 2], seed=0)
    nodes, arrows, columns = parse(draw_network(net).source)
    assert [names for _, names in columns] == [["x1", "x2"], ["h1_1", "h1_2", "h1_3"],
                                               ["h2_1", "h2_2", "h2_3", "h2_4"], ["o1", "o2"]]
    assert [title for title, _ in columns] == ["input layer", "hidden layer 1",
                                               "hidden layer 2", "output layer"]
    weights = weights_by_name(arrows)
    neurons = [n for layer in net.layers for n in layer.neurons]
    sources = {"h1": ["x1", "x2"], "h2": ["h1_1", "h1_2", "h1_3"],
               "o": ["h2_1", "h2_2", "h2_3", "h2_4"]}
    for neuron in neurons:
        tails = sources[neuron.name[:2] if neuron.name.startswith("h") else "o"]
        assert [weights[w.label][:2] for w in neuron.w] == [(t, neuron.name) for t in tails]
    assert len(weights) == 2 * 3 + 3 * 4 + 4 * 2


def test_mlp_4_5_3_has_every_node_and_arrow():
    net = MLP(4, [5, 3], seed=1)
    x, y = [0.1, 0.2, 0.3, 0.4], [0.0, 1.0, 0.0]
    mse(net(x), y).backward()
    nodes, arrows, columns = parse(draw_network(net, x, y).source)
    names = [names for _, names in columns]
    assert names == [["x1", "x2", "x3", "x4"], [f"h{j}" for j in range(1, 6)],
                     ["o1", "o2", "o3"], ["C"]]
    assert set(nodes) == {name for column in names for name in column}
    weights = weights_by_name(arrows)
    assert len(weights) == 35 and weights["w21"][:2] == ("h1", "o1")
    assert weights["w20"][:2] == ("x4", "h5")
    for w in net.parameters():
        if w.label.startswith("w"):
            assert lines(weights[w.label][2])[1] == f"∂C/∂{w.label} = {w.grad:.4g}"


@pytest.mark.parametrize("which", RENDERERS)
@pytest.mark.parametrize("rankdir", ["LR", "RL", "TB", "BT"])
@pytest.mark.parametrize("highlight", [None, "w1", "h3", "x2"])
@pytest.mark.parametrize("sample", [True, False])
def test_rendered_neurons_keep_their_index_order_whatever_the_options(which, rankdir,
                                                                       highlight, sample):
    path = renderer(which)
    net = MLP(4, [5, 3], seed=1)
    x, y = [0.1, 0.2, 0.3, 0.4], [0.0, 1.0, 0.0]
    mse(net(x), y).backward()
    view = draw_network(net, *((x, y) if sample else ()), highlight=highlight,
                        rankdir=rankdir, show_grad=sample)
    centres = node_centres(run_svg(view, path))
    across = 1 if rankdir in ("LR", "RL") else 0        # y grows downward in SVG
    for column in (["x1", "x2", "x3", "x4"], [f"h{j}" for j in range(1, 6)],
                   ["o1", "o2", "o3"]):
        positions = [centres[name][across] for name in column]
        assert positions == sorted(positions) and len(set(positions)) == len(positions)
        assert len({round(centres[name][1 - across]) for name in column}) == 1


def run_svg(view, path):
    from tinygrad_bp.viz import run_renderer
    return ElementTree.fromstring(run_renderer(view.source, "svg", path))


def node_centres(svg):
    """{node name: (x, y)} of every node's ellipse or polygon in a rendered SVG."""
    centres = {}
    for group in svg.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        ellipse = next(group.iter(f"{SVG}ellipse"), None)     # inside the tooltip's <a>
        if ellipse is not None:
            centres[group.find(f"{SVG}title").text] = (float(ellipse.get("cx")),
                                                       float(ellipse.get("cy")))
    return centres


# --- highlight

def hot(view):
    nodes, arrows, _ = parse(view.source)
    return ({name for name, attrs in nodes.items() if attrs.get("color") == HIGHLIGHT},
            {(tail, head) for tail, head, attrs in arrows if attrs.get("color") == HIGHLIGHT})


def test_highlight_w7_marks_one_path_through_o1():
    net, x, y, _ = article()
    view = draw_network(net, x, y, highlight="w7")
    assert hot(view) == ({"o1", "C"}, {("h1", "o1"), ("o1", "C")})
    assert "highlighted: 1 neuron-level path from w7 to C" in view.source


def test_highlight_w1_marks_two_paths_through_o1_and_o2():
    net, x, y, _ = article()
    view = draw_network(net, x, y, highlight="w1")
    assert hot(view) == ({"h1", "o1", "o2", "C"},
                         {("x1", "h1"), ("h1", "o1"), ("h1", "o2"), ("o1", "C"), ("o2", "C")})
    assert "highlighted: 2 neuron-level paths from w1 to C" in view.source


def test_highlight_counts_equal_the_computation_graphs_paths():
    net, x, y, cost = article()
    nodes = trace(cost)
    for leaf in [*x, *net.parameters()]:
        paths = count_paths(nodes, leaf)[cost]
        s = "s" if paths != 1 else ""
        view = draw_network(net, x, y, highlight=leaf.label)
        assert f"highlighted: {paths} neuron-level path{s} from {leaf.label} to C" in view.source


def test_highlight_of_a_neuron_a_bias_or_an_input():
    net, x, y, _ = article()
    assert hot(draw_network(net, x, y, highlight="h2")) == \
        ({"h2", "o1", "o2", "C"}, {("h2", "o1"), ("h2", "o2"), ("o1", "C"), ("o2", "C")})
    assert hot(draw_network(net, x, y, highlight="b5")) == ({"o2", "C"}, {("o2", "C")})
    nodes, arrows = hot(draw_network(net, x, y, highlight="x2"))
    assert nodes == {"x2", "h1", "h2", "h3", "o1", "o2", "C"} and len(arrows) == 3 + 6 + 2


def test_highlight_by_parameter_value_or_neuron_object():
    net, x, y, _ = article()
    w7, o1 = net.parameters()[9], net.layers[1].neurons[0]
    assert w7.label == "w7"
    by_name = draw_network(net, x, y, highlight="w7").source
    assert draw_network(net, x, y, highlight=w7).source == by_name
    assert hot(draw_network(net, x, y, highlight=o1)) == hot(draw_network(net, x, y,
                                                                        highlight="o1"))


def test_highlight_without_targets_ends_at_the_outputs():
    net, x, _, _ = article()
    view = draw_network(net, x, highlight="w1")
    assert "highlighted: 2 neuron-level paths from w1 to the outputs" in view.source


def test_highlight_of_an_unknown_name_is_a_label_error_worded_as_draw_dots():
    net, x, y, _ = article()
    with pytest.raises(LabelError) as by_dot:
        draw_dot(mse(net(x), y), highlight="w13")
    with pytest.raises(LabelError) as by_network:
        draw_network(net, x, y, highlight="w13")
    assert str(by_dot.value).startswith("no node labelled 'w13' in the graph of C (labels "
                                        "there: ")
    assert str(by_network.value).startswith("no node labelled 'w13' in the network 2 → 3 → 2 "
                                            "(labels there: ")
    assert "w8, w9, w10, w11, w12, x1, x2" in str(by_network.value)


def test_highlight_of_a_value_outside_the_network_is_a_label_error():
    net, x, y, _ = article()
    with pytest.raises(LabelError, match=r"^'w1' \(data=1\) is not in the network 2 → 3 → 2: "
                                         r"it is not one of its parameters$"):
        draw_network(net, x, y, highlight=Value(1.0, label="w1"))


def test_highlight_of_a_neuron_of_another_network_is_a_label_error():
    net, x, y, _ = article()
    other, _, _ = article_network()
    with pytest.raises(LabelError, match="is not in the network 2 → 3 → 2: it is not one of "
                                         "its neurons"):
        draw_network(net, x, y, highlight=other.layers[1].neurons[0])


def test_highlight_of_something_else_is_a_type_error():
    net, x, y, _ = article()
    with pytest.raises(TypeError, match="highlight must be"):
        draw_network(net, x, y, highlight=7)


@pytest.mark.parametrize("label", ["z_o1", "a_o1"])
def test_highlight_takes_the_engines_labels_of_a_neurons_z_and_a(label):
    net, x, y, _ = article()
    assert hot(draw_network(net, x, y, highlight=label)) == \
        hot(draw_network(net, x, y, highlight="o1"))
    assert f"from {label} to C" in draw_network(net, x, y, highlight=label).source


def test_a_linear_neurons_a_is_not_a_name():
    net = MLP(2, [1], output_activation="linear")
    with pytest.raises(LabelError, match="no node labelled 'a_o1'"):
        draw_network(net, highlight="a_o1")


# --- bad input, size

def test_draw_network_needs_an_mlp():
    with pytest.raises(TypeError, match="draws an MLP, got Value"):
        draw_network(Value(1.0))


@pytest.mark.parametrize("given, error", [("5", TypeError), (2.5, TypeError),
                                          (True, TypeError), (0, ValueError), (-1, ValueError)])
def test_max_weights_must_be_a_positive_int(given, error):
    net, _, _, _ = article()
    with pytest.raises(error, match=f"max_weights must be a positive int, got .*{given!r}"):
        draw_network(net, max_weights=given)


def test_a_cost_that_is_not_a_function_is_a_type_error():
    net, x, y, _ = article()
    with pytest.raises(TypeError, match="cost must be a function cost\\(outputs, y\\)"):
        draw_network(net, x, y, cost="mse")


def test_a_cost_that_returns_no_value_is_a_type_error():
    net, x, y, _ = article()
    with pytest.raises(TypeError, match="cost must return the cost C as a Value.*got int 3"):
        draw_network(net, x, y, cost=lambda a, b: 3)


def test_show_grad_must_be_a_bool():
    net, x, y, _ = article()
    with pytest.raises(TypeError, match="show_grad must be True or False, got str 'yes'"):
        draw_network(net, x, y, show_grad="yes")


def test_targets_without_a_sample_are_refused():
    net, _, y, _ = article()
    with pytest.raises(ValueError, match="y needs x"):
        draw_network(net, y=y)


def test_a_wrong_sample_size_is_refused_by_the_network():
    net, _, y, _ = article()
    with pytest.raises(ValueError, match="has 3 entries; expected 2"):
        draw_network(net, [1.0, 2.0, 3.0])


def test_a_bad_rankdir_is_refused():
    net, _, _, _ = article()
    with pytest.raises(ValueError, match="rankdir must be one of"):
        draw_network(net, rankdir="up")


def test_a_rankdir_not_a_str_is_a_type_error():
    net, _, _, _ = article()
    with pytest.raises(BPTypeError, match="rankdir must be a str, one of LR, RL, TB, BT; got "
                                          "list"):
        draw_network(net, rankdir=["LR"])


def test_a_network_too_large_is_refused_with_its_size_and_the_override():
    net = MLP(10, [10, 5], seed=0)                   # 100 + 50 weights
    assert MAX_WEIGHTS < 150
    with pytest.raises(GraphTooLarge, match=r"150 weight arrows.*max_weights=150 or more"):
        draw_network(net)
    nodes, _, _ = parse(draw_network(net, max_weights=150).source)
    assert len(nodes) == 10 + 10 + 5


# --- the view: repr, render, Jupyter, both renderers

def test_the_view_is_a_computation_graph_that_says_what_it_draws():
    net, x, y, _ = article()
    view = draw_network(net, x, y)
    assert isinstance(view, ComputationGraph) and isinstance(view, graphviz.Digraph)
    assert repr(view) == ("<ComputationGraph of the network 2 → 3 → 2: 5 neurons, 12 weights; "
                          ".source holds the DOT>")


def test_render_writes_a_view_as_dot_without_a_renderer(tmp_path):
    net, x, y, _ = article()
    view = draw_network(net, x, y)
    path = render(view, tmp_path / "net.dot", renderer="/nonexistent/dot")
    assert path.read_text(encoding="utf-8") == view.source


def test_the_views_own_render_writes_svg_by_default_as_draw_dots(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, need_pure())
    monkeypatch.chdir(tmp_path)
    net, x, y, _ = article()
    assert draw_network(net, x, y).format == draw_dot(mse(net(x), y)).format == "svg"
    assert draw_network(net, x, y).render("n") == "n.svg"
    assert "(graphviz-pure)" in (tmp_path / "n.svg").read_text()


def test_render_of_a_view_takes_no_drawing_options(tmp_path):
    net, _, _, _ = article()
    with pytest.raises(TypeError, match="highlight are drawing options"):
        render(draw_network(net), tmp_path / "net.svg", highlight="w1")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("which", RENDERERS)
def test_both_renderers_draw_valid_svg_with_every_node_and_label(which, tmp_path):
    path = renderer(which)
    net, x, y, _ = article()
    view = draw_network(net, x, y, highlight="w1")
    svg = ElementTree.parse(render(view, tmp_path / "net.svg", renderer=path)).getroot()
    titles = {g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g")
              if g.get("class") == "node"}
    assert titles == {"x1", "x2", "h1", "h2", "h3", "o1", "o2", "C",
                      "title0", "title1", "title2", "title3"}
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "∂C/∂w7 = 0.0716" in texts and "w1 = 0.15" in texts and "δ = 0.1207" in texts
    assert "hidden layer" in texts and "y2 = 0.99" in texts


@pytest.mark.parametrize("which", RENDERERS)
def test_both_renderers_write_png(which, tmp_path):
    path = renderer(which)
    net, x, y, _ = article()
    png = render(draw_network(net, x, y), tmp_path / "net.png", renderer=path).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("which", RENDERERS)
def test_jupyter_shows_the_view_inline_as_svg(which, monkeypatch):
    monkeypatch.setenv("TINYGRAD_BP_DOT", renderer(which))
    net, x, y, _ = article()
    bundle = draw_network(net, x, y)._repr_mimebundle_()
    assert ElementTree.fromstring(bundle["image/svg+xml"]).tag == f"{SVG}svg"


# --- command line: graph --view neurons, demo

def test_graph_view_neurons_writes_the_network_view(run_cli, tmp_path):
    result = run_cli("graph", "--network", "--view", "neurons", "--highlight", "w1",
                     "-o", tmp_path / "net.dot")
    assert result.returncode == 0, result.stderr
    assert "w7.grad = 0.07159633201989468" in result.stdout
    net, x, y, _ = article()
    expected = draw_network(net, x, y, highlight="w1").source
    assert (tmp_path / "net.dot").read_text(encoding="utf-8") == expected


def test_graph_view_defaults_to_the_computation_graph(run_cli, tmp_path):
    assert run_cli("graph", "--network", "-o", tmp_path / "a.dot").returncode == 0
    assert run_cli("graph", "--network", "--view", "graph", "-o", tmp_path / "b.dot") \
        .returncode == 0
    _, _, _, cost = article()
    default = (tmp_path / "a.dot").read_text(encoding="utf-8")
    assert default == (tmp_path / "b.dot").read_text(encoding="utf-8") == draw_dot(cost).source


@pytest.mark.parametrize("args, problem", [
    (["a * b", "--at", "a=1,b=2"], "--view neurons draws a network: use it with --network"),
    (["--network", "--edge-labels"], "apply to --view graph only"),
    (["--network", "--highlight", "w13"], "no node labelled 'w13' in the network 2 → 3 → 2"),
])
def test_graph_view_neurons_usage_errors_exit_2(run_cli, tmp_path, args, problem):
    result = run_cli("graph", *args, "--view", "neurons", "-o", tmp_path / "net.svg")
    assert result.returncode == 2 and problem in result.stderr
    assert not (tmp_path / "net.svg").exists()


def test_graph_view_neurons_renders_svg(run_cli, tmp_path):
    renderer("graphviz-pure")
    result = run_cli("graph", "--network", "--view", "neurons", "-o", tmp_path / "net.svg")
    assert result.returncode == 0, result.stderr
    svg = ElementTree.parse(tmp_path / "net.svg").getroot()
    assert "∂C/∂w7 = 0.0716" in [t.text for t in svg.iter(f"{SVG}text")]


def test_demo_writes_the_graph_and_the_network_figure(run_cli, tmp_path):
    renderer("graphviz-pure")
    result = run_cli("demo", "--svg", tmp_path / "article.svg")
    assert result.returncode == 0, result.stderr
    figure = tmp_path / "article-network.svg"
    assert f"wrote {figure}" in result.stdout
    svg = ElementTree.parse(figure).getroot()
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    net, x, y, _ = article()
    for w in net.parameters():
        if w.label.startswith("w"):
            assert f"∂C/∂{w.label} = {w.grad:.4g}" in texts
    assert "highlighted: 1 neuron-level path from w7 to C" in texts


def test_the_module_docstring_example_holds():
    import doctest
    from tinygrad_bp.viz import network
    result = doctest.testmod(network)
    assert result.attempted > 0 and result.failed == 0


def test_a_network_without_a_sample_has_no_caption_about_gradients():
    net = MLP(2, [3, 2], seed=0)
    source = draw_network(net).source
    assert "\tlabel=" not in source and "not computed" not in source


def test_highlight_of_a_label_several_parameters_share_is_refused():
    net, x, y, _ = article()
    net.parameters()[1].label = "w1"                 # w2 relabelled: two weights named w1
    with pytest.raises(LabelError, match="several nodes are labelled 'w1': pass the Value"):
        draw_network(net, x, y, highlight="w1")


@pytest.mark.parametrize("which", RENDERERS)
def test_a_parameter_label_with_quotes_and_backslashes_draws_as_itself(which):
    path = renderer(which)
    net = MLP(2, [1], seed=0)
    net.parameters()[0].label = 'w"1\\N'
    svg = run_svg(draw_network(net, [1.0, 2.0], highlight='w"1\\N'), path)
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert f'w"1\\N = {net.parameters()[0].data:.4g}' in texts
    assert 'highlighted: 1 neuron-level path from w"1\\N to the outputs' in texts


# A user's text, and what a picture shows of it: a control character as its escape.
AWKWARD_LABELS = [("w&1", "w&1"), ("w\x011", "w\\x011"), ("<b>x</b>", "<b>x</b>"),
                  ("ends\\", "ends\\"), ("\\N", "\\N"), ("&amp;", "&amp;")]


def dot_string(quoted):
    """What Graphviz reads in a quoted DOT string: `\\\\` is `\\`, `\\"` is `"`, `\\n` a line
    break, and `&amp;` is `&`; any other escape or character reference would not be the text."""
    assert quoted.startswith('"') and quoted.endswith('"'), quoted
    escapes = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
    text = re.sub(r"\\.", lambda m: escapes[m.group()], quoted[1:-1])
    assert not re.search(r"&(?!amp;)", text), text
    return text.replace("&amp;", "&")


def awkward_network(text):
    """A 2 → 1 network whose first weight is labelled `text` and its bias `b` + `text`."""
    net = MLP(2, [1], seed=0)
    net.parameters()[0].label = text
    net.parameters()[-1].label = "b" + text
    return net


@pytest.mark.parametrize("text, shown", AWKWARD_LABELS)
def test_a_parameter_label_draws_as_itself_in_the_dot_source(text, shown):
    net = awkward_network(text)
    w, b = net.parameters()[0], net.parameters()[-1]
    source = draw_network(net, [1.0, 2.0], highlight=text).source
    label, = re.findall(r'x1 -> o1 \[.*?label=("(?:[^"\\]|\\.)*")', source)
    assert dot_string(label) == f"{shown} = {w.data:.4g}"
    circle, = re.findall(r'^\s*o1 \[.*?label=("(?:[^"\\]|\\.)*")', source, re.M)
    assert dot_string(circle).split("\n")[1] == f"b{shown} = {b.data:.4g}"
    caption, = re.findall(r'^\s*label=("(?:[^"\\]|\\.)*")', source, re.M)
    assert dot_string(caption) == f"highlighted: 1 neuron-level path from {shown} to the outputs"


@pytest.mark.parametrize("text, shown", AWKWARD_LABELS)
@pytest.mark.parametrize("which", RENDERERS)
def test_a_parameter_label_draws_as_itself_in_well_formed_svg(which, text, shown):
    path = renderer(which)
    net = awkward_network(text)
    w, b = net.parameters()[0], net.parameters()[-1]
    svg = run_svg(draw_network(net, [1.0, 2.0], highlight=text), path)   # well-formed XML
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert f"{shown} = {w.data:.4g}" in texts and f"b{shown} = {b.data:.4g}" in texts
    assert f"highlighted: 1 neuron-level path from {shown} to the outputs" in texts


def curve_points(d):
    """Points along an SVG path of cubic Bézier segments ("M x,y C x,y x,y x,y ...")."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    corners = list(zip(numbers[::2], numbers[1::2]))
    points = []
    for i in range(0, len(corners) - 3, 3):
        p0, p1, p2, p3 = corners[i:i + 4]
        for t in (k / 20 for k in range(21)):
            u = 1 - t
            points.append(tuple(u ** 3 * a + 3 * u * u * t * b + 3 * u * t * t * c + t ** 3 * e
                                for a, b, c, e in zip(p0, p1, p2, p3)))
    return points


@pytest.mark.parametrize("which", RENDERERS)
def test_each_weight_label_sits_next_to_its_own_arrow_in_the_articles_figure(which):
    net, x, y, _ = article()
    svg = run_svg(draw_network(net, x, y, highlight="w1"), renderer(which))
    arrows, labels = {}, {}
    for group in svg.iter(f"{SVG}g"):
        if group.get("class") == "edge":
            title = group.find(f"{SVG}title").text
            arrows[title] = curve_points(next(group.iter(f"{SVG}path")).get("d"))
            texts = [(float(t.get("x")), float(t.get("y"))) for t in group.iter(f"{SVG}text")]
            if texts:
                labels[title] = tuple(sum(c) / len(texts) for c in zip(*texts))
    assert len(labels) == 12
    for title, (lx, ly) in labels.items():
        distance = {other: min(((px - lx) ** 2 + (py - ly) ** 2) ** 0.5 for px, py in points)
                    for other, points in arrows.items()}
        nearest = min(distance, key=distance.get)
        assert nearest == title and distance[title] < 40, (title, nearest, distance[title])


def test_another_cost_is_drawn_with_its_formula_and_the_engines_value():
    from tinygrad_bp.losses import binary_cross_entropy
    net, x, y, _ = article(backward=False)
    C = binary_cross_entropy(net(x), y)
    C.backward()
    nodes, arrows, _ = parse(draw_network(net, x, y, cost=binary_cross_entropy).source)
    assert lines(nodes["C"]) == ["C = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)]",
                                 f"= {C.data:.4g}"]
    weights = weights_by_name(arrows)
    assert lines(weights["w7"][2])[1] == f"∂C/∂w7 = {net.parameters()[9].grad:.4g}"


def test_a_cost_of_ones_own_is_named_by_its_function():
    def half_abs(outputs, targets):
        return sum(((a - t) ** 2) ** 0.5 for a, t in zip(outputs, targets)) * 0.5
    net, x, y, _ = article()
    nodes, _, _ = parse(draw_network(net, x, y, cost=half_abs).source)
    assert lines(nodes["C"])[0] == "C = half_abs(a, y)"
