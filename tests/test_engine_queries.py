"""The engine's graph queries: the pure reverse pass, an all-or-nothing backward(), one
label lookup with one error, and how a node is described in messages."""

import ast
import math

import pytest

from tinygrad_bp import Value, check, explain, trace
from tinygrad_bp.engine import LabelError, describe, find, gradients
from tinygrad_bp.viz import draw_dot

from helpers import ROOT


def graph():
    x, y = Value(0.5, label="x"), Value(-1.5, label="y")
    z = (x * y + x.tanh()).sigmoid()
    z.label = "z"
    return x, y, z


# --- gradients(root): the reverse pass of backward(), without .grad

def test_gradients_are_backwards_numbers_bit_for_bit():
    x, y, z = graph()
    found = gradients(z)
    z.backward()
    assert {v: v.grad for v in trace(z)} == found


def test_gradients_change_no_grad():
    x, y, z = graph()
    x.grad, y.grad = 5.0, -2.0
    gradients(z)
    assert [v.grad for v in trace(z)] == [5.0, -2.0] + [0.0] * (len(trace(z)) - 2)


def test_gradients_match_the_closed_form():
    x, y, z = graph()
    s = z.data * (1.0 - z.data)                     # σ'(u) at u = xy + tanh x
    found = gradients(z)
    assert found[x] == pytest.approx(s * (-1.5 + 1.0 - math.tanh(0.5) ** 2), rel=1e-12)
    assert found[y] == pytest.approx(s * 0.5, rel=1e-12)
    assert found[z] == 1.0


# --- backward() is all or nothing

def test_a_backward_that_overflows_leaves_every_grad_as_it_was():
    w = Value(1e-300)
    u = Value(1.0)
    y = w.log() * 1e10 + u * 2
    u.grad = 5
    before = [v.grad for v in trace(y)]
    with pytest.raises(OverflowError):
        y.backward()
    assert (w.grad, u.grad) == (0.0, 5.0)
    assert [v.grad for v in trace(y)] == before


def test_a_backward_interrupted_by_ctrl_c_leaves_every_grad_as_it_was(monkeypatch):
    x, y, z = graph()
    x.grad = 3.0
    before = [v.grad for v in trace(z)]

    def interrupted(nodes):             # a failure path: Ctrl-C half-way through the pass
        nodes[-1].grad, nodes[0].grad = 1.0, 99.0
        raise KeyboardInterrupt
    monkeypatch.setattr("tinygrad_bp.engine._chain_rule", interrupted)
    with pytest.raises(KeyboardInterrupt):
        z.backward()
    assert [v.grad for v in trace(z)] == before


# --- find: one label lookup, one error type, used by check, explain and draw_dot

def test_find_returns_the_nodes_named_by_label_or_value():
    x, y, z = graph()
    assert find(z, ["y", x, "z"]) == [y, x, z]


def test_find_names_every_unknown_ambiguous_and_foreign_key_in_one_error():
    a, b = Value(1.0, label="a"), Value(2.0, label="a")
    stranger = Value(3.0, label="s")
    with pytest.raises(LabelError) as info:
        find(a + b, ["p", "a", stranger])
    message = str(info.value)
    assert "no node labelled 'p'" in message and "several nodes are labelled 'a'" in message
    assert "'s' (data=3) is not in the graph" in message


def test_a_label_error_is_a_lookup_error_and_a_value_error():
    assert issubclass(LabelError, LookupError) and issubclass(LabelError, ValueError)


@pytest.mark.parametrize("use", [lambda z: check(z, {"nope": 1.0}),
                                 lambda z: explain(z, "nope"),
                                 lambda z: draw_dot(z, highlight="nope")],
                         ids=["check", "explain", "draw_dot"])
def test_check_explain_and_draw_dot_raise_the_same_label_error(use):
    _, _, z = graph()
    with pytest.raises(LabelError, match=r"no node labelled 'nope' in the graph of z "
                                         r"\(labels there: x, y, z\)"):
        use(z)


def test_an_unknown_label_lists_the_labels_there_in_natural_order():
    w10, w2, w1 = (Value(1.0, label=name) for name in ("w10", "w2", "w1"))
    root = w10 + w2 + w1
    with pytest.raises(LabelError, match=r"\(labels there: w1, w2, w10\)$"):
        find(root, ["w3"])


# --- describe: how messages name a node

def test_describe_names_a_labelled_node_by_label_and_value():
    assert describe(Value(2.0, label="x")) == "'x' (data=2)"


def test_describe_names_an_unlabelled_node_by_its_repr():
    node = Value(2.0) * 3
    assert describe(node) == repr(node) == "Value(data=6, grad=0, op='* 3')"


# --- layering

def private_uses(path):
    """Private names `path` takes from another of our modules: imported, or read off an
    object (a `_name` the module does not define itself)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = {node.name for node in ast.walk(tree)
           if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    own |= {target.attr for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign))
            for target in getattr(node, "targets", [getattr(node, "target", None)])
            if isinstance(target, ast.Attribute)}
    own |= {name.value for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
            for statement in node.body if isinstance(statement, ast.Assign)
            for target in statement.targets if isinstance(target, ast.Name)
            and target.id == "__slots__" for name in ast.walk(statement.value)
            if isinstance(name, ast.Constant)}
    outside = {alias.asname or alias.name for node in ast.walk(tree)
               if isinstance(node, ast.Import) for alias in node.names
               if not alias.name.startswith("tinygrad_bp")}        # argparse, os, ...
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tinygrad_bp"):
            found += [f"import {alias.name}" for alias in node.names
                      if alias.name.startswith("_") and not alias.name.startswith("__")]
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__") and node.attr not in own
                and not (isinstance(node.value, ast.Name) and node.value.id in outside)):
            found.append(f".{node.attr}")
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "tinygrad_bp").rglob("*.py"))
                         + sorted((ROOT / "viz").rglob("*.py")), ids=lambda p: p.name)
def test_no_module_uses_a_private_name_of_another(path):
    assert private_uses(path) == []
