"""A Value as a user meets it: construction, attributes, folded numbers, repr.

The other engine tests are split by concern: test_engine_ops.py (every local derivative),
test_engine_backward.py (the backward pass, trace and edges), test_engine_errors.py (bad
input), test_engine_properties.py (random graphs).
"""

import math
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tinygrad_bp import Value


# --- a leaf

def test_leaf_starts_with_float_data_zero_grad_and_no_history():
    x = Value(3)
    assert (x.data, x.grad, x.label, x.op, x.parents, x.local_grads) == (3.0, 0.0, "", "", (), ())
    assert type(x.data) is float and type(x.grad) is float


def test_label_is_kept():
    assert Value(1.0, label="w1").label == "w1"


@pytest.mark.parametrize("data", [Fraction(1, 3), Fraction(-7, 2), 2 ** 60 + 1])
def test_any_real_number_becomes_the_nearest_float(data):
    x = Value(data)
    assert type(x.data) is float and x.data == float(data)


def test_negative_zero_keeps_its_sign():
    assert math.copysign(1.0, Value(-0.0).data) == -1.0


def test_nodes_are_distinct_objects_even_with_equal_data():
    # NOTE: a node is its place in the graph; trace() relies on identity, not on data.
    a, b = Value(1.0), Value(1.0)
    assert a != b and len({a, b}) == 2


def test_misspelt_attribute_is_an_error_not_a_new_attribute():
    x = Value(1.0)
    with pytest.raises(AttributeError):
        x.grads = 1.0


# --- what each operator records

BUILT = [
    ("a + b", lambda a, b: a + b, "+", 2), ("a - b", lambda a, b: a - b, "-", 2),
    ("a * b", lambda a, b: a * b, "*", 2), ("a / b", lambda a, b: a / b, "/", 2),
    ("a ** b", lambda a, b: a ** b, "**", 2), ("-a", lambda a, b: -a, "neg", 1),
    ("exp", lambda a, b: a.exp(), "exp", 1), ("log", lambda a, b: a.log(), "log", 1),
    ("tanh", lambda a, b: a.tanh(), "tanh", 1), ("sigmoid", lambda a, b: a.sigmoid(), "sigmoid", 1),
    ("relu", lambda a, b: a.relu(), "relu", 1),
]


@pytest.mark.parametrize("build, op, arity", [pytest.param(*row[1:], id=row[0]) for row in BUILT])
def test_operation_records_its_op_its_parents_and_a_float_per_parent(build, op, arity):
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    out = build(a, b)
    assert (out.op, out.parents) == (op, (a, b)[:arity])
    assert len(out.local_grads) == arity and all(type(g) is float for g in out.local_grads)
    assert (out.grad, out.label, type(out.data)) == (0.0, "", float)


FOLDED = [
    ("a + 2", lambda a: a + 2, "+ 2"), ("2 + a", lambda a: 2 + a, "+ 2"),
    ("a - 2", lambda a: a - 2, "- 2"), ("2 - a", lambda a: 2 - a, "2 -"),
    ("a * 3", lambda a: a * 3, "* 3"), ("3 * a", lambda a: 3 * a, "* 3"),
    ("a / 4", lambda a: a / 4, "/ 4"), ("4 / a", lambda a: 4 / a, "4 /"),
    ("a ** 2", lambda a: a ** 2, "** 2"), ("2 ** a", lambda a: 2 ** a, "2 **"),
    ("a * 0.1", lambda a: a * 0.1, "* 0.1"), ("a + -2.5", lambda a: a + -2.5, "+ -2.5"),
    ("a * 1e20", lambda a: a * 1e20, "* 1e+20"),
    ("a + 1/2", lambda a: a + Fraction(1, 2), "+ 0.5"),
    ("1/2 - a", lambda a: Fraction(1, 2) - a, "0.5 -"),
]


@pytest.mark.parametrize("build, op", [pytest.param(*row[1:], id=row[0]) for row in FOLDED])
def test_number_is_folded_into_the_node_that_uses_it(build, op):
    a = Value(2.0, label="a")
    out = build(a)
    assert (out.op, out.parents) == (op, (a,))


finite = st.floats(allow_nan=False, allow_infinity=False)


@given(finite)
@example(-0.0)
@example(1e16)
@example(0.1)
def test_folded_constant_is_written_so_that_float_reads_it_back_exactly(c):
    text = (Value(1.0) * c).op[2:]
    assert float(text) == c and math.copysign(1.0, float(text)) == math.copysign(1.0, c)


@given(st.integers(-10 ** 15, 10 ** 15))
def test_integral_constant_is_written_without_a_decimal_point(n):
    assert (Value(1.0) + float(n)).op == f"+ {n}"


# --- repr and naming

def test_repr_shows_label_data_grad_and_op():
    c = Value(0.5).tanh()
    c.label = "c"
    c.backward()
    assert repr(c) == "Value(label='c', data=0.462117, grad=1, op='tanh')"


def test_repr_of_an_unlabelled_leaf_shows_data_and_grad():
    assert repr(Value(-2.25)) == "Value(data=-2.25, grad=0)"


def test_label_given_after_creation_names_the_node_in_errors():
    x = Value(2.0) - 3.0
    x.label = "diff"
    with pytest.raises(ValueError, match="'diff' \\(data=-1\\)"):
        x.log()

