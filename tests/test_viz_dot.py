"""draw_dot: the DOT source of a computation graph, checked without any renderer."""

import re
import subprocess
import sys

import graphviz
import pytest

from tinygrad_bp.engine import LabelError, Value, edges, trace
from tinygrad_bp.losses import mse
from tinygrad_bp.nn import MLP, article_network
from tinygrad_bp.viz import GraphTooLarge, draw_dot, layout_cost
from tinygrad_bp.viz.dot import MAX_SPAN
from tinygrad_bp.viz.clusters import cluster_order, layer_title, neuron_clusters

from helpers import ROOT


def readme_graph(backward=True):
    """The README's example: c = tanh(a·b + e^a) at a = 2, b = −3."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b + a.exp()).tanh()
    c.label = "c"
    if backward:
        c.backward()
    return c


def article_cost():
    net, x, y = article_network()
    cost = mse(net(x), y)
    cost.backward()
    return cost


def declarations(source):
    """{node name: its attribute text} for every node statement in the DOT source."""
    return dict(re.findall(r"^\s*((?:v|op)\d+) \[(.*)\]$", source, re.MULTILINE))


def edge_statements(source):
    return re.findall(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$", source, re.MULTILINE)


def enclosing_clusters(source):
    """{node name: [outer cluster, inner cluster]} from the nesting of `subgraph` blocks."""
    inside, where = [], {}
    for line in source.splitlines():
        opened = re.match(r'\s*subgraph "?cluster_([^"]*)"? \{', line)
        if opened:
            inside.append(opened.group(1))
        elif line.strip() == "}":
            inside = inside[:-1]
        else:
            node = re.match(r"\s*((?:v|op)\d+) \[", line)
            if node:
                where[node.group(1)] = list(inside)
    return where


def name_of(root, label):
    """The DOT name of the Value labelled `label`: v<its index in trace(root)>."""
    return next(f"v{i}" for i, node in enumerate(trace(root)) if node.label == label)


# --- nodes and edges

def test_one_record_per_value_and_one_node_per_operation():
    c = readme_graph()
    nodes = trace(c)
    declared = declarations(draw_dot(c).source)
    records = [name for name, attrs in declared.items() if "shape=record" in attrs]
    operations = [name for name in declared if name.startswith("op")]
    assert sorted(records) == sorted(f"v{i}" for i in range(len(nodes)))
    assert sorted(operations) == sorted(f"op{i}" for i, n in enumerate(nodes) if n.parents)


def test_node_names_are_topological_indices():
    c = readme_graph()
    declared = declarations(draw_dot(c).source)
    for i, node in enumerate(trace(c)):
        assert f"data {node.data:.4g}" in declared[f"v{i}"]


def test_operation_node_shows_the_op_string():
    a = Value(3.0, label="a")
    out = a * 3
    out.backward()
    assert 'label="* 3"' in declarations(draw_dot(out).source)["op1"]


def test_an_operand_used_twice_draws_two_edges():
    a = Value(3.0, label="a")
    out = a + a
    out.backward()
    assert edge_statements(draw_dot(out).source).count(("v0", "op1", "")) == 2


def test_one_edge_per_operand_occurrence_and_one_per_result():
    c = readme_graph()
    nodes = trace(c)
    statements = edge_statements(draw_dot(c).source)
    into_operations = [(p, q) for p, q, _ in statements if q.startswith("op")]
    out_of_operations = [(p, q) for p, q, _ in statements if p.startswith("op")]
    index = {node: i for i, node in enumerate(nodes)}
    assert into_operations == [(f"v{index[p]}", f"op{index[u]}") for p, u, _ in edges(nodes)]
    assert sorted(out_of_operations) == sorted((f"op{i}", f"v{i}")
                                               for i, n in enumerate(nodes) if n.parents)


def test_draw_dot_returns_a_graphviz_digraph():
    assert isinstance(draw_dot(readme_graph()), graphviz.Digraph)


# --- numbers and text

def test_numbers_show_four_significant_digits_and_tooltips_all_of_them():
    c = readme_graph()
    declared = declarations(draw_dot(c).source)
    a = trace(c)[0]
    assert a.label == "a"
    assert "grad 0.9672" in declared["v0"]
    assert f"grad = {a.grad!r}" in declared["v0"]      # 0.9672437435549209 in full


def test_labels_with_record_syntax_are_escaped():
    x = Value(1.0, label='{x|<y>}"')
    out = x * 2
    out.backward()
    assert r'\{x\|\<y\>\}\"' in declarations(draw_dot(out).source)["v0"]


def test_gradients_before_backward_are_not_shown_and_the_caption_says_why():
    source = draw_dot(readme_graph(backward=False)).source
    assert "grad " not in "".join(declarations(source).values())
    assert "gradients not computed yet" in source


def test_gradients_after_backward_are_shown_without_that_caption():
    source = draw_dot(readme_graph()).source
    assert all("grad " in attrs for name, attrs in declarations(source).items()
               if name.startswith("v"))
    assert "not computed" not in source


def test_show_grad_false_hides_gradients_without_a_caption():
    source = draw_dot(readme_graph(), show_grad=False).source
    assert "grad " not in source and "not computed" not in source


@pytest.mark.parametrize("rankdir, record", [("LR", '"a | data 2 | grad 0.9672"'),
                                             ("TB", '"{ a | data 2 | grad 0.9672 }"')])
def test_record_fields_stack_across_the_direction_of_the_graph(rankdir, record):
    source = draw_dot(readme_graph(), rankdir=rankdir).source
    assert f"rankdir={rankdir}" in source
    assert f"label={record}" in declarations(source)["v0"]


@pytest.mark.parametrize("option", ["show_grad", "edge_labels", "clusters"])
def test_an_on_off_option_must_be_a_bool(option):
    with pytest.raises(TypeError, match=f"{option} must be True or False, got str 'yes'"):
        draw_dot(readme_graph(), **{option: "yes"})


def test_unknown_rankdir_is_rejected():
    with pytest.raises(ValueError, match="rankdir must be one of LR, RL, TB, BT, got 'XY'"):
        draw_dot(readme_graph(), rankdir="XY")


def test_draw_dot_of_a_non_value_is_a_type_error():
    with pytest.raises(TypeError, match="draw_dot needs a Value, got float"):
        draw_dot(1.0)


# --- determinism

def test_dot_source_is_identical_for_two_equal_graphs():
    assert draw_dot(article_cost(), edge_labels=True).source == \
        draw_dot(article_cost(), edge_labels=True).source


def test_dot_source_is_identical_across_two_processes():
    script = ("from tinygrad_bp.nn import article_network; from tinygrad_bp.losses import mse;"
              "from tinygrad_bp.viz import draw_dot; net, x, y = article_network(); C = mse(net(x), y);"
              "C.backward(); print(draw_dot(C, edge_labels=True, highlight='w1').source)")
    runs = [subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                           text=True, check=True, env={"PYTHONHASHSEED": seed,
                                                       "PYTHONPATH": str(ROOT)}).stdout
            for seed in ("1", "2")]
    assert runs[0] == runs[1]
    here = draw_dot(article_cost(), edge_labels=True, highlight="w1").source
    assert runs[0].strip() == here.strip()


# --- edge labels

def test_edge_labels_write_each_local_derivative_on_its_edge():
    c = readme_graph()
    nodes = trace(c)
    statements = edge_statements(draw_dot(c, edge_labels=True).source)
    labels = [re.search(r"label=\"?([^\" ]+)", attrs).group(1)
              for p, q, attrs in statements if q.startswith("op")]
    assert labels == [f"{g:.4g}" for _, _, g in edges(nodes)]


def test_without_edge_labels_edges_carry_no_label():
    statements = edge_statements(draw_dot(readme_graph()).source)
    assert statements and all("label=" not in attrs for _, _, attrs in statements)


# --- highlight

def highlighted(source):
    """The names of highlighted nodes and the highlighted edges of a DOT source."""
    nodes = {name for name, attrs in declarations(source).items() if "#d62728" in attrs}
    lines = {(p, q) for p, q, attrs in edge_statements(source) if "#d62728" in (attrs or "")}
    return nodes, lines


@pytest.mark.parametrize("leaf, on_paths, off_paths, caption", [
    # w7 reaches C through the first output only (the article's first example) ...
    ("w7", ["w7", "z_o1", "a_o1", "C"], ["w1", "a_h1", "z_o2", "a_o2", "w10"],
     "1 chain-rule path from w7 to C"),
    # ... and w1 through both outputs: two paths that meet again at C.
    ("w1", ["w1", "z_h1", "a_h1", "z_o1", "a_o1", "z_o2", "a_o2", "C"],
     ["w7", "w10", "a_h2", "x1"], "2 chain-rule paths from w1 to C"),
])
def test_highlight_colours_the_chain_rule_paths_of_the_article(leaf, on_paths, off_paths,
                                                                caption):
    cost = article_cost()
    source = draw_dot(cost, highlight=leaf).source
    nodes, _ = highlighted(source)
    assert {name_of(cost, label) for label in on_paths} <= nodes
    assert not {name_of(cost, label) for label in off_paths} & nodes
    assert f"highlighted: {caption}" in source


def test_highlighted_edges_are_exactly_those_between_highlighted_nodes():
    cost = article_cost()
    source = draw_dot(cost, highlight="w1").source
    nodes, lines = highlighted(source)
    expected = {(p, q) for p, q, _ in edge_statements(source)
                if {p, q} <= nodes or (p in nodes and q.startswith("op")
                                       and "v" + q[2:] in nodes)}
    assert lines == expected and lines


def test_highlight_counts_two_paths_through_a_square():
    a = Value(3.0, label="a")
    out = a * a
    out.backward()
    assert "2 chain-rule paths from a to the root" in draw_dot(out, highlight=a).source


def test_highlight_by_value_equals_highlight_by_label():
    c = readme_graph()
    a = trace(c)[0]
    assert draw_dot(c, highlight=a).source == draw_dot(c, highlight="a").source


def test_highlight_of_an_unknown_label_lists_the_labels():
    with pytest.raises(LabelError, match=r"no node labelled 'w99' .*labels there: .*w1, w2, "):
        draw_dot(article_cost(), highlight="w99")


def test_highlight_of_an_ambiguous_label_is_rejected():
    a, b = Value(1.0, label="x"), Value(2.0, label="x")
    with pytest.raises(LabelError, match="several nodes are labelled 'x'"):
        draw_dot(a + b, highlight="x")


def test_highlight_of_a_value_outside_the_graph_is_rejected():
    with pytest.raises(LabelError, match="'z' .* is not in the graph"):
        draw_dot(readme_graph(), highlight=Value(1.0, label="z"))


def test_highlight_of_a_number_is_a_type_error():
    with pytest.raises(TypeError, match="a node is named by its label .* or given as a Value, got int"):
        draw_dot(readme_graph(), highlight=3)


# --- size guard

def chain(n):
    x = Value(1.0, label="x")
    for _ in range(n):
        x = x * 1.0
    return x


def test_a_graph_past_max_nodes_is_refused_with_its_size_and_the_way_out():
    with pytest.raises(GraphTooLarge, match=r"would lay out 2001 nodes \(1001 Values, 1000 "
                                            r"operations\), more than max_nodes=2000: pass "
                                            r"max_nodes=2001 or more"):
        draw_dot(chain(1000))


def test_a_graph_at_max_nodes_is_drawn():
    assert len(declarations(draw_dot(chain(999)).source)) == 1999


def test_a_larger_max_nodes_draws_a_larger_graph():
    assert len(declarations(draw_dot(chain(1500), max_nodes=3001).source)) == 3001


def test_graph_too_large_is_a_value_error():
    with pytest.raises(ValueError):
        draw_dot(chain(3), max_nodes=6)


def sum_of_one_leaf(n):
    """x + x + … + x, n terms: the issue's graph that hung both renderers at 100-150 terms."""
    x = Value(1.0, label="x")
    total = x
    for _ in range(n - 1):
        total = total + x
    return total


def test_an_operand_far_from_its_use_is_drawn_again_beside_it():
    total = sum_of_one_leaf(150)
    source = draw_dot(total).source
    copies = re.findall(r"^\s*(v0_\d+) \[", source, flags=re.M)
    assert len(copies) == len(layout_cost(total).far) > 100
    edges_from_copies = [(a, b) for a, b, _ in edge_statements(source) if a in copies]
    assert edges_from_copies == [(copy, f"op{copy.split('_')[1]}") for copy in copies]
    assert all("style=dashed" in line for line in source.splitlines()
               if re.match(rf"\s*({'|'.join(copies)}) \[", line))


def test_a_copy_shows_the_same_label_data_grad_and_highlight_as_the_value():
    total = sum_of_one_leaf(20)
    total.backward()
    source = draw_dot(total, highlight="x").source
    original = re.search(r"^\s*v0 \[label=\"([^\"]*)\"", source, flags=re.M).group(1)
    copies = re.findall(r"^\s*v0_\d+ \[label=\"([^\"]*)\"(.*)$", source, flags=re.M)
    assert copies and all(label == original == "x | data 1 | grad 20" for label, _ in copies)
    assert all("#d62728" in rest for _, rest in copies)


def test_every_edge_of_the_plan_crosses_at_most_max_span_ranks():
    # the sum of the issue had 150²/2 bends before copies; now a handful
    assert layout_cost(sum_of_one_leaf(150)).bends <= MAX_SPAN


def test_a_layouts_repr_gives_its_counts_not_its_edges():
    plan = layout_cost(sum_of_one_leaf(150))
    assert len(plan.far) > 100
    assert repr(plan) == (f"Layout(values={plan.values}, operations={plan.operations}, "
                          f"far={len(plan.far)} edges, bends={plan.bends}, cost={plan.cost})")


def test_graphs_without_distant_operands_draw_no_copies():
    assert layout_cost(article_cost()).far == frozenset()
    assert layout_cost(readme_graph()).far == frozenset()


def test_the_guard_counts_bends_and_copies_and_refuses_at_once():
    total = sum_of_one_leaf(700)
    cost = layout_cost(total)
    assert cost.cost == cost.values + cost.operations + len(cost.far) + cost.bends > 2000
    with pytest.raises(GraphTooLarge, match=rf"would lay out {cost.cost} nodes \(700 Values, "
                                            rf"699 operations, {len(cost.far)} operands drawn "
                                            rf"again beside a distant use.*pass "
                                            rf"max_nodes={cost.cost} or more"):
        draw_dot(total)


# --- clusters

def test_article_network_nodes_are_grouped_by_neuron_and_layer():
    cost = article_cost()
    where = enclosing_clusters(draw_dot(cost).source)
    expected = {"hidden layer": {"h1": ["w1", "w2", "b1", "z_h1", "a_h1"],
                                 "h2": ["w3", "w4", "b2", "z_h2", "a_h2"],
                                 "h3": ["w5", "w6", "b3", "z_h3", "a_h3"]},
                "output layer": {"o1": ["w7", "w8", "w9", "b4", "z_o1", "a_o1"],
                                 "o2": ["w10", "w11", "w12", "b5", "z_o2", "a_o2"]}}
    for layer, neurons in expected.items():
        for neuron, labels in neurons.items():
            for label in labels:
                assert where[name_of(cost, label)] == [layer, neuron], label


def test_products_and_partial_sums_join_their_neuron():
    cost = article_cost()
    where = enclosing_clusters(draw_dot(cost).source)
    z_o1 = next(node for node in trace(cost) if node.label == "z_o1")
    index = {node: i for i, node in enumerate(trace(cost))}
    partial_sum = z_o1.parents[0]           # Σ w·a before the bias is added
    assert partial_sum.label == "" and partial_sum.op == "+"
    assert where[f"v{index[partial_sum]}"] == ["output layer", "o1"]
    assert where[f"op{index[partial_sum]}"] == ["output layer", "o1"]


def test_inputs_and_cost_terms_stay_outside_every_cluster():
    cost = article_cost()
    where = enclosing_clusters(draw_dot(cost).source)
    for label in ("x1", "x2", "C"):
        assert where[name_of(cost, label)] == []
    outside = [name for name, clusters in where.items() if not clusters and name.startswith("v")]
    assert len(outside) == 2 + 2 * 2 + 1 + 1    # x1, x2; a − y and its square per output; Σ; C


def test_layers_and_neurons_appear_in_network_order():
    source = draw_dot(article_cost()).source
    order = re.findall(r'subgraph "?cluster_([^"]*)"? \{', source)
    assert order == ["hidden layer", "h1", "h2", "h3", "output layer", "o1", "o2"]


def test_deep_network_has_numbered_hidden_layers():
    net = MLP(2, [2, 2, 1], seed=0)
    out = net([Value(1.0, label="x1"), Value(2.0, label="x2")])[0]
    out.backward()
    order = re.findall(r'subgraph "?cluster_([^"]*)"? \{', draw_dot(out).source)
    assert order == ["hidden layer 1", "h1_1", "h1_2", "hidden layer 2", "h2_1", "h2_2",
                     "output layer", "o1"]


def test_clusters_false_draws_no_boxes():
    assert "subgraph" not in draw_dot(article_cost(), clusters=False).source


def test_a_graph_without_neuron_labels_has_no_boxes():
    assert "subgraph" not in draw_dot(readme_graph()).source


def test_a_node_shared_by_two_neurons_stays_outside_both():
    shared = Value(2.0) * Value(3.0)
    z1, z2 = shared + 1.0, shared + 2.0
    z1.label, z2.label = "z_o1", "z_o2"
    groups = neuron_clusters(trace(z1 + z2))
    assert groups[z1] == ("output layer", "o1") and groups[z2] == ("output layer", "o2")
    assert shared not in groups and shared.parents[0] not in groups


def test_labelled_non_parameters_do_not_join_a_neuron():
    x = Value(2.0, label="x1")
    z = x * 3.0
    z.label = "z_h1"
    assert x not in neuron_clusters(trace(z))


def test_labels_that_only_look_like_neurons_are_ignored():
    a = Value(1.0, label="z_score")
    b = Value(2.0, label="a_b")
    assert neuron_clusters(trace(a * b)) == {}


@pytest.mark.parametrize("neuron, title", [("h3", "hidden layer"), ("h2_1", "hidden layer 2"),
                                           ("o12", "output layer")])
def test_layer_title_names_the_layer_of_a_neuron(neuron, title):
    assert layer_title(neuron) == title


def test_layer_title_of_a_non_neuron_is_rejected():
    with pytest.raises(ValueError, match="'x1' is not a neuron name"):
        layer_title("x1")


def test_cluster_order_puts_hidden_layers_first_by_number():
    clusters = [("output layer", "o2"), ("hidden layer 2", "h2_1"), ("output layer", "o1"),
                ("hidden layer 1", "h1_10"), ("hidden layer 1", "h1_2")]
    assert [neuron for _, neuron in sorted(clusters, key=cluster_order)] == \
        ["h1_2", "h1_10", "h2_1", "o1", "o2"]


def test_repr_counts_the_values_and_operations_drawn():
    cost = article_cost()
    nodes = trace(cost)
    operations = sum(1 for node in nodes if node.parents)
    assert repr(draw_dot(cost)) == (f"<ComputationGraph of C: {len(nodes)} Values, "
                                    f"{operations} operations; .source holds the DOT>")
