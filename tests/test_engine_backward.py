"""The backward pass and graph tracing: reuse, diamonds, repeated calls, deep graphs.

Expected gradients are closed forms written out in each test (with the `math` module),
never numbers copied from the engine.
"""

import math
import os
import subprocess
import sys
import textwrap

import pytest

from tinygrad_bp import Value, count_paths, edges, trace

from helpers import ROOT


# --- operand reuse and shared sub-expressions

def test_a_plus_a_records_a_twice_and_has_grad_two():
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    assert b.parents == (a, a) and b.local_grads == (1.0, 1.0)
    assert a.grad == 2.0


def test_a_times_a_records_a_twice_and_has_grad_two_a():
    a = Value(-1.5, label="a")
    b = a * a
    b.backward()
    assert b.parents == (a, a) and b.local_grads == (-1.5, -1.5)
    assert a.grad == 2 * -1.5


def test_a_minus_a_has_grad_zero():
    a = Value(0.7)
    (a - a).backward()
    assert a.grad == 0.0


def test_a_over_a_has_grad_zero():
    a = Value(0.7)
    (a / a).backward()
    assert a.grad == pytest.approx(0.0, abs=1e-15)


def test_a_to_the_a_has_grad_from_both_rules():
    # d/da a^a = a^a (ln a + 1)
    a = Value(1.7)
    (a ** a).backward()
    assert a.grad == pytest.approx(1.7 ** 1.7 * (math.log(1.7) + 1.0), rel=1e-12)


def test_diamond_adds_the_gradients_of_both_paths():
    # d = b·c with b = 2a and c = e^a: ∂d/∂a = 2·e^a + 2a·e^a
    a = Value(0.5, label="a")
    b, c = a * 2, a.exp()
    d = b * c
    d.backward()
    assert a.grad == pytest.approx(2 * math.exp(0.5) + 2 * 0.5 * math.exp(0.5), rel=1e-12)
    assert (b.grad, c.grad) == (c.data, b.data)


def test_shared_sub_expression_receives_the_grad_of_every_consumer():
    # s = x·y used three times: f = s² + tanh(s) + s; ∂f/∂s = 2s + 1 − tanh²(s) + 1
    x, y = Value(0.3, label="x"), Value(-1.2, label="y")
    s = x * y
    f = s * s + s.tanh() + s
    f.backward()
    ds = 2 * s.data + (1 - math.tanh(s.data) ** 2) + 1
    assert s.grad == pytest.approx(ds, rel=1e-12)
    assert (x.grad, y.grad) == (pytest.approx(ds * -1.2, rel=1e-12),
                                pytest.approx(ds * 0.3, rel=1e-12))


def test_readme_example_gives_the_closed_form_gradients():
    # c = tanh(ab + e^a): ∂c/∂a = (1 − c²)(b + e^a), ∂c/∂b = (1 − c²)·a
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b + a.exp()).tanh()
    c.backward()
    slope = 1 - math.tanh(2.0 * -3.0 + math.exp(2.0)) ** 2
    assert a.grad == pytest.approx(slope * (-3.0 + math.exp(2.0)), rel=1e-12)
    assert b.grad == pytest.approx(slope * 2.0, rel=1e-12)


# --- repeated calls and where the pass starts

def sum_of_three_products():
    """x·c1 + x·c2 + x·c3: three edges into x whose float sum depends on the order."""
    x = Value(-0.8168565300453418, label="x")
    y = x * -2.419130004538132 + x * 2.240101149956173 + x * -2.594503367161656
    return x, y


def test_backward_twice_doubles_leaf_grads_exactly():
    x, y = sum_of_three_products()
    y.backward()
    once = x.grad
    y.backward()
    assert x.grad == 2 * once


def test_backward_twice_leaves_inner_grads_unchanged():
    x, y = sum_of_three_products()
    y.backward()
    inner = [(n, n.grad) for n in trace(y) if n.parents]
    y.backward()
    assert [(n, n.grad) for n, _ in inner] == inner


def test_backward_sets_the_root_grad_to_one():
    x, y = sum_of_three_products()
    y.grad = 5.0
    y.backward()
    assert y.grad == 1.0


def test_backward_on_a_leaf_accumulates_one_like_any_leaf():
    x = Value(4.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_backward_from_an_intermediate_node_gives_its_own_gradients():
    # m = a·b, out = tanh(m): m.backward() gives ∂m/∂a = b, ∂m/∂b = a
    a, b = Value(0.5, label="a"), Value(-2.0, label="b")
    m = a * b
    out = m.tanh()
    m.backward()
    assert (a.grad, b.grad, m.grad) == (-2.0, 0.5, 1.0)
    assert out.grad == 0.0, "a node downstream of the start must not be touched"


def test_backward_from_the_root_after_an_intermediate_node_accumulates_into_leaves():
    a, b = Value(0.5), Value(-2.0)
    m = a * b
    out = m.tanh()
    m.backward()
    out.backward()
    slope = 1 - math.tanh(-1.0) ** 2
    assert a.grad == pytest.approx(-2.0 + slope * -2.0, rel=1e-12)
    assert m.grad == pytest.approx(slope, rel=1e-12), "an inner grad is recomputed"


def test_zero_grad_resets_every_node_of_the_graph():
    x, y = sum_of_three_products()
    y.backward()
    y.zero_grad()
    assert all(n.grad == 0.0 for n in trace(y))


def test_zero_grad_then_backward_gives_single_call_gradients():
    x, y = sum_of_three_products()
    y.backward()
    once = x.grad
    y.backward()
    y.zero_grad()
    y.backward()
    assert x.grad == once


def test_zero_grad_leaves_nodes_outside_the_graph_alone():
    a = Value(1.0)
    b = a * 3
    c = b.exp()
    c.backward()
    b.zero_grad()
    assert (a.grad, b.grad) == (0.0, 0.0)
    assert c.grad == 1.0


# --- deep graphs

def test_million_node_chain_backward_works_under_the_default_recursion_limit():
    limit = sys.getrecursionlimit()
    x, one = Value(0.0, label="x"), Value(1.0, label="one")
    y = x
    for _ in range(1_000_000):
        y = y + one
    y.backward()
    assert (y.data, x.grad, one.grad) == (1_000_000.0, 1.0, 1_000_000.0)
    assert len(trace(y)) == 1_000_002
    assert sys.getrecursionlimit() == limit


def test_deep_chain_of_products_has_the_closed_form_gradient():
    # y = x · r^n: ∂y/∂x = r^n, with each step a two-Value product
    x, r = Value(1.0, label="x"), Value(1.0000001, label="r")
    y = x
    for _ in range(100_000):
        y = y * r
    y.backward()
    assert x.grad == pytest.approx(1.0000001 ** 100_000, rel=1e-9)
    assert r.grad == pytest.approx(100_000 * 1.0000001 ** 99_999, rel=1e-9)


# --- custom operations

def cube(x: Value) -> Value:
    return Value(x.data ** 3, parents=(x,), local_grads=(3 * x.data ** 2,), op="cube")


def test_custom_operation_takes_part_in_backward():
    # f = tanh(cube(x) · y): ∂f/∂x = (1 − f²) · 3x² · y
    x, y = Value(0.4, label="x"), Value(1.5, label="y")
    f = (cube(x) * y).tanh()
    f.backward()
    assert x.grad == pytest.approx((1 - f.data ** 2) * 3 * 0.4 ** 2 * 1.5, rel=1e-12)


def test_custom_operation_records_what_it_was_given():
    x = Value(2.0)
    y = cube(x)
    assert (y.data, y.parents, y.local_grads, y.op) == (8.0, (x,), (12.0,), "cube")
    assert not y.is_leaf


def test_custom_operation_without_an_op_name_is_called_custom():
    x = Value(2.0)
    assert Value(1.0, parents=(x,), local_grads=(0.5,)).op == "custom"


def test_custom_operation_may_use_a_parent_twice():
    # a hand-made x·x: two edges into x, ∂/∂x = x + x
    x = Value(3.0)
    y = Value(9.0, parents=[x, x], local_grads=[3.0, 3.0], op="square")
    y.backward()
    assert (y.parents, x.grad) == ((x, x), 6.0)


def test_custom_operation_accepts_any_real_numbers_as_local_grads():
    from fractions import Fraction
    x = Value(2.0)
    y = Value(1.0, parents=(x,), local_grads=(Fraction(1, 4),))
    y.backward()
    assert (y.local_grads, x.grad) == ((0.25,), 0.25)
    assert type(y.local_grads[0]) is float


def test_custom_operation_of_three_operands_takes_part_in_backward():
    # a hand-made x·y·z: ∂/∂x = yz, ∂/∂y = xz, ∂/∂z = xy
    x, y, z = Value(2.0), Value(3.0), Value(5.0)
    f = Value(30.0, parents=(x, y, z), local_grads=(15.0, 10.0, 6.0), op="xyz") * 2
    f.backward()
    assert f.parents[0].parents == (x, y, z)
    assert f.parents[0].local_grads == (15.0, 10.0, 6.0)
    assert (x.grad, y.grad, z.grad) == (30.0, 20.0, 12.0)
    assert trace(f) == [x, y, z, f.parents[0], f]


@pytest.mark.parametrize("attribute", ["parents", "local_grads"])
def test_edges_of_a_node_cannot_be_reassigned(attribute):
    x = Value(2.0)
    y = x * 3
    with pytest.raises(AttributeError):
        setattr(y, attribute, ())
    assert (y.parents, y.local_grads) == ((x,), (3.0,))


def test_leaf_is_a_node_without_parents():
    x = Value(1.0)
    assert (x.parents, x.local_grads, x.op, x.is_leaf) == ((), (), "", True)


# --- trace and edges

def build_graph():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b; c.label = "c"
    d = c + a; d.label = "d"
    e = c.exp(); e.label = "e"
    f = d * e; f.label = "f"
    return f


def test_trace_puts_every_parent_before_its_children_and_the_root_last():
    f = build_graph()
    order = trace(f)
    position = {id(n): i for i, n in enumerate(order)}
    assert all(position[id(p)] < position[id(n)] for n in order for p in n.parents)
    assert order[-1] is f


def test_trace_lists_every_node_once():
    order = trace(build_graph())
    assert len({id(n) for n in order}) == len(order) == 6


def test_trace_of_a_leaf_is_the_leaf():
    x = Value(1.0)
    assert trace(x) == [x]


def test_trace_leaves_out_nodes_downstream_of_the_root():
    a = Value(1.0)
    b = a * 2
    b.exp()
    assert trace(b) == [a, b]


def test_trace_is_the_same_for_the_same_graph_built_twice():
    first = [n.label for n in trace(build_graph())]
    assert first == [n.label for n in trace(build_graph())]
    assert first == ["a", "b", "c", "d", "e", "f"]


def test_trace_is_the_same_across_interpreter_runs():
    script = textwrap.dedent("""
        from tinygrad_bp import Value, trace
        xs = [Value(float(i), label=f"x{i}") for i in range(6)]
        ys = [xs[i] * xs[(i * 5 + 1) % 6] for i in range(6)]
        root = sum(ys[1:], ys[0]) * ys[2]
        print([n.label or n.op for n in trace(root)])
    """)
    runs = [subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                           text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
                           ).stdout
            for seed in ("1", "2", "3")]
    assert runs[0] == runs[1] == runs[2] and runs[0].count("x") == 6


def test_edges_has_one_entry_per_operand_occurrence():
    a = Value(3.0, label="a")
    b = a * a
    c = b + a
    assert edges(trace(c)) == [(a, b, 3.0), (a, b, 3.0), (b, c, 1.0), (a, c, 1.0)]


def test_edges_count_matches_the_parents_of_every_node():
    nodes = trace(build_graph())
    assert len(edges(nodes)) == sum(len(n.parents) for n in nodes) == 7


def test_edges_of_a_leaf_is_empty():
    assert edges(trace(Value(1.0))) == []


def test_backward_names_the_leaf_whose_gradient_overflows():
    x = Value(1e-200, label="x")
    w = (x * 1e200) * 1e200 - 1e200
    w.label = "w"
    with pytest.raises(OverflowError, match=r"∂'w'.*/∂'x'.*overflowed"):
        w.backward()


def test_count_paths_counts_each_operand_occurrence():
    a = Value(2.0, label="a")
    b = a * a                           # two paths from b to a
    c = b + a                           # and a third, directly
    counts = count_paths(trace(c), a)
    assert counts[a] == 1 and counts[b] == 2 and counts[c] == 3


def test_count_paths_is_zero_off_the_paths():
    a, other = Value(1.0), Value(2.0)
    out = a.exp() + other
    counts = count_paths(trace(out), a)
    assert counts[other] == 0 and counts[out] == 1
