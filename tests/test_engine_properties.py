"""Property tests: random expression graphs with shared sub-expressions.

A graph is drawn as a few leaf values and a list of steps. Each step applies one
operation to nodes chosen among *all* earlier nodes (leaves or results), so nodes are
reused and the graph is a DAG with diamonds, not a tree. The root is the last node.

Every operation keeps its inputs inside its domain by construction (log of x² + 1,
a denominator y² + 1, a positive base for a Value exponent), so any drawn graph can be
evaluated; graphs whose values grow large or whose relu inputs sit near the kink are
rejected, since central differences say nothing useful there, and so are the few graphs
whose values overflow a float (an OverflowError, tested on its own elsewhere).
"""

import math

from hypothesis import assume, given, reject, settings
from hypothesis import strategies as st

from tinygrad_bp import Value, edges, trace

# name -> how the step builds its node from nodes x, y and a constant c in [-2, 2]
STEPS = {
    "x + y": lambda x, y, c: x + y,
    "x - y": lambda x, y, c: x - y,
    "x * y": lambda x, y, c: x * y,
    "x / (y² + 1)": lambda x, y, c: x / (y * y + 1),
    "(x² + 1) ** tanh y": lambda x, y, c: (x * x + 1) ** y.tanh(),
    "x + c": lambda x, y, c: x + c,
    "c - x": lambda x, y, c: c - x,
    "c * x": lambda x, y, c: c * x,
    "x / c": lambda x, y, c: x / (c + 3.0),
    "c / (x² + 1)": lambda x, y, c: c / (x * x + 1),
    "x ** 2": lambda x, y, c: x ** 2,
    "x ** 3": lambda x, y, c: x ** 3,
    "(x² + 1) ** c": lambda x, y, c: (x * x + 1) ** c,
    "e^c ** x": lambda x, y, c: math.exp(c) ** x,
    "-x": lambda x, y, c: -x,
    "exp": lambda x, y, c: x.exp(),
    "log(x² + 1)": lambda x, y, c: (x * x + 1).log(),
    "tanh": lambda x, y, c: x.tanh(),
    "sigmoid": lambda x, y, c: x.sigmoid(),
    "relu": lambda x, y, c: x.relu(),
}

LIMIT = 1e3         # largest |value| a graph may reach
KINK = 1e-3         # smallest |input| of relu
H = 1e-6            # central-difference step

small = st.floats(-2.0, 2.0, allow_nan=False)
step = st.tuples(st.sampled_from(sorted(STEPS)), st.integers(0, 100), st.integers(0, 100),
                 small)
graphs = st.tuples(st.lists(small, min_size=1, max_size=3), st.lists(step, min_size=1,
                                                                       max_size=10))


def build(leaf_data, steps):
    """The graph's leaves, root, and the input of every relu in it."""
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(leaf_data)]
    nodes, kinks = list(leaves), []
    for name, i, j, c in steps:
        x, y = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if name == "relu":
            kinks.append(x.data)
        try:
            nodes.append(STEPS[name](x, y, c))
        except OverflowError:       # e.g. x ** 3 ten times over: checked in test_engine_errors
            reject()
    return leaves, nodes[-1], kinks


def build_checked(leaf_data, steps):
    """`build`, rejecting graphs that leave the region where differences are reliable."""
    leaves, root, kinks = build(leaf_data, steps)
    assume(all(abs(n.data) < LIMIT for n in trace(root)))
    assume(all(abs(k) > KINK for k in kinks))
    return leaves, root, kinks


def nudged(leaf_data, i, h):
    return [x + h if k == i else x for k, x in enumerate(leaf_data)]


@settings(max_examples=300)
@given(graphs)
def test_every_leaf_gradient_matches_central_differences(graph):
    leaf_data, steps = graph
    leaves, root, kinks = build_checked(leaf_data, steps)
    root.backward()
    # NOTE: rounding in f(x ± h) is about ε · Σ|node values| and is divided by 2h
    scale = sum(abs(n.data) for n in trace(root))
    for i, leaf in enumerate(leaves):
        _, up, up_kinks = build(nudged(leaf_data, i, H), steps)
        _, down, down_kinks = build(nudged(leaf_data, i, -H), steps)
        assume([k > 0 for k in up_kinks] == [k > 0 for k in down_kinks])
        difference = (up.data - down.data) / (2 * H)
        assert math.isclose(leaf.grad, difference, rel_tol=1e-5, abs_tol=1e-8 * (1 + scale)), (
            leaf, leaf.grad, difference)


def grads(root):
    return [n.grad for n in trace(root)]


@given(graphs)
def test_backward_twice_doubles_leaf_grads_and_keeps_inner_grads(graph):
    _, root, _ = build(*graph)
    root.backward()
    first = grads(root)
    root.backward()
    expected = [2 * g if n.is_leaf else g for n, g in zip(trace(root), first)]
    assert grads(root) == expected


@given(graphs)
def test_zero_grad_then_backward_repeats_the_first_gradients(graph):
    _, root, _ = build(*graph)
    root.backward()
    first = grads(root)
    root.backward()
    root.zero_grad()
    assert not any(grads(root))
    root.backward()
    assert grads(root) == first


@given(graphs)
def test_trace_is_a_topological_order_of_each_node_once(graph):
    _, root, _ = build(*graph)
    order = trace(root)
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order)
    assert order[-1] is root
    assert all(position[id(p)] < position[id(n)] for n in order for p in n.parents)


@given(graphs)
def test_trace_reaches_every_ancestor(graph):
    _, root, _ = build(*graph)
    found = {id(n) for n in trace(root)}
    stack, ancestors = [root], set()
    while stack:
        node = stack.pop()
        if id(node) not in ancestors:
            ancestors.add(id(node))
            stack.extend(node.parents)
    assert found == ancestors


def depth_first_order(root):
    """The post-order of a recursive depth-first search that visits parents in order."""
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for parent in node.parents:
                visit(parent)
            order.append(node)
    visit(root)
    return order


@given(graphs)
def test_trace_is_the_order_of_a_depth_first_search_visiting_parents_in_order(graph):
    # NOTE: backward() adds into each gradient in this order: the order fixes the bits.
    _, root, _ = build(*graph)
    assert trace(root) == depth_first_order(root)


@given(graphs)
def test_backward_adds_every_edge_exactly_in_reverse_trace_order(graph):
    # NOTE: the bits of every gradient are fixed by this order; a faster backward() must
    # give exactly these numbers.
    leaves, root, _ = build(*graph)
    nodes = trace(root)
    grads = {id(n): 0.0 for n in nodes}
    grads[id(root)] = 1.0
    for node in reversed(nodes):
        for parent, local_grad in zip(node.parents, node.local_grads):
            grads[id(parent)] += local_grad * grads[id(node)]
    root.backward()
    assert [n.grad for n in nodes] == [grads[id(n)] for n in nodes]


@given(graphs)
def test_trace_of_a_sub_graph_first_leaves_the_next_trace_whole(graph):
    _, root, _ = build(*graph)
    for parent in root.parents:
        trace(parent)
    assert trace(root) == depth_first_order(root)


@given(graphs)
def test_edges_hold_one_entry_per_operand_occurrence(graph):
    _, root, _ = build(*graph)
    nodes = trace(root)
    expected = [(p, n, g) for n in nodes for p, g in zip(n.parents, n.local_grads)]
    assert edges(nodes) == expected
    assert len(expected) == sum(len(n.parents) for n in nodes)


@given(graphs)
def test_root_gradient_is_the_sum_over_edges_into_each_node(graph):
    # ∂C/∂v = Σ over edges (v, u, ∂u/∂v) of ∂C/∂u · ∂u/∂v, for every non-root node v
    _, root, _ = build(*graph)
    root.backward()
    nodes = trace(root)
    for v in nodes[:-1]:
        total = math.fsum(u.grad * g for p, u, g in edges(nodes) if p is v)
        assert math.isclose(v.grad, total, rel_tol=1e-12, abs_tol=1e-12 * (1 + abs(total)))
