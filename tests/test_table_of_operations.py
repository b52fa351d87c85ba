"""Every operation of the table (tinygrad_bp.ops.OPS) reaches every consumer.

An operation is one record of the table and one row (or more) in the shared test table
of tests/test_engine_ops.py; these tests fail when a consumer or a test row is missing.
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_bp import Value, compile, explain
from tinygrad_bp.expr import parse
from tinygrad_bp.ops import FUNCTIONS, OPS, on_floats

from test_engine_ops import BINARY, UNARY

# How the expression parser writes each operation, on variables a (and b).
PARSED = {"+": "a + b", "-": "a - b", "*": "a * b", "/": "a / b", "**": "a ** b",
          "+ C": "a + 2", "- C": "a - 2", "C -": "2 - a", "* C": "a * 2", "/ C": "a / 2",
          "C /": "2 / a", "** C": "a ** 2", "C **": "2 ** a", "neg": "-a",
          **{name: f"{name}(a)" for name in FUNCTIONS}}

ROWS = [pytest.param(op, lambda x, build=build: build(x), [x], id=f"{name} at {x}")
        for op, name, build, _, _, points in UNARY for x in points] + \
       [pytest.param(op, build, [a, b], id=f"{name} at {a}, {b}")
        for op, name, build, _, points in BINARY for a, b in points]


def test_every_operation_has_a_row_in_the_shared_test_table():
    assert {row[0] for row in UNARY + BINARY} == set(OPS)


@pytest.mark.parametrize("name", list(OPS))
def test_every_operation_has_an_engine_method(name):
    assert callable(getattr(Value, OPS[name].method))


@pytest.mark.parametrize("name", list(OPS))
def test_every_operation_has_a_parser_name(name):
    assert set(PARSED) == set(OPS)
    expression = parse(PARSED[name])
    leaves = {variable: Value(1.5, label=variable) for variable in expression.variables}
    assert expression.evaluate(leaves).kind is OPS[name]


def test_the_parser_calls_exactly_the_functions_of_the_table():
    assert set(FUNCTIONS) == {op.name for op in OPS.values() if op.is_function}
    assert {"exp", "log", "tanh", "sigmoid", "relu", "sin", "cos"} <= set(FUNCTIONS)


@pytest.mark.parametrize("op, build, xs", ROWS)
def test_each_row_builds_the_operation_it_names(op, build, xs):
    assert build(*map(Value, xs)).kind is OPS[op]


@pytest.mark.parametrize("op, build, xs", ROWS)
def test_every_operation_has_a_compiled_form_that_replays_it_bit_for_bit(op, build, xs):
    leaves = [Value(x) for x in xs]
    out = build(*leaves)
    out.backward()
    value, grads = compile(build, *xs)(*xs)
    assert [value, *grads] == [out.data, *(leaf.grad for leaf in leaves)]
    assert "g" in compile(build, *xs).source        # generated code, not the eager fallback


@pytest.mark.parametrize("op, build, xs", ROWS)
def test_the_differentiable_rule_gives_the_local_derivatives(op, build, xs):
    node = build(*map(Value, xs))
    again = OPS[op].derivative(node.parents, node, node.const)
    values = [d.data if isinstance(d, Value) else float(d) for d in again]
    assert values == pytest.approx(list(node.local_grads), rel=1e-12, abs=1e-15)


def test_the_differentiable_rule_of_tanh_is_one_minus_out_squared_in_engine_operations():
    x = Value(0.7)
    out = x.tanh()
    slope, = OPS["tanh"].derivative((x,), out, None)
    slope.backward()                    # d/dx (1 − tanh² x) = −2 tanh x (1 − tanh² x)
    assert x.grad == pytest.approx(-2 * math.tanh(0.7) * (1 - math.tanh(0.7) ** 2), rel=1e-12)


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_sin_and_cos_have_second_derivatives_through_their_rules(name):
    x = Value(0.4)
    slope, = OPS[name].derivative((x,), getattr(x, name)(), None)
    slope.backward()                    # sin'' = −sin, cos'' = −cos
    assert x.grad == pytest.approx(-getattr(math, name)(0.4), rel=1e-12)


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_explain_names_sin_and_cos_nodes_as_the_table_writes_them(name):
    x = Value(0.3, label="x")
    y = getattr((x + 1) * 2, name)()
    first_factor = explain(y, x, every_node=True).paths[0].factors[0][0]
    assert first_factor == f"∂({name}(… * 2))/∂((x + 1) * 2)"


# An input of each operation marked `overflows` on which it overflows a float.
OVERFLOWING = {
    "+": lambda: Value(1e308) + Value(1e308), "-": lambda: Value(1e308) - Value(-1e308),
    "*": lambda: Value(1e200) * Value(1e200), "/": lambda: Value(1.0) / Value(1e-320),
    "**": lambda: Value(10.0) ** Value(400.0), "+ C": lambda: Value(1e308) + 1e308,
    "- C": lambda: Value(-1e308) - 1e308, "C -": lambda: 1e308 - Value(-1e308),
    "* C": lambda: Value(1e308) * 10, "/ C": lambda: Value(1.0) / 1e-320,
    "C /": lambda: 1.0 / Value(1e-320), "** C": lambda: Value(1e200) ** 2,
    "C **": lambda: 10.0 ** Value(400.0), "log": lambda: Value(1e-320).log()}


def test_the_operations_marked_as_overflowing_are_those_that_can():
    assert set(OVERFLOWING) == {name for name, op in OPS.items() if op.overflows}


@pytest.mark.parametrize("name", sorted(OVERFLOWING))
def test_an_operation_marked_as_overflowing_raises_rather_than_giving_inf(name):
    with pytest.raises(OverflowError, match="overflows a float"):
        OVERFLOWING[name]()


@settings(max_examples=500)
@given(st.sampled_from(sorted(name for name, op in OPS.items() if not op.overflows)),
       st.floats(allow_nan=False, allow_infinity=False))
def test_an_operation_not_marked_as_overflowing_stays_finite(name, x):
    # NOTE: the engine skips the finiteness test for these: this is what makes it safe.
    try:
        out = getattr(Value(x), OPS[name].method)()
    except OverflowError:           # exp past 709.78: the domain check, before any inf
        assert name == "exp" and x > 709
        return
    assert math.isfinite(out.data) and all(map(math.isfinite, out.local_grads))


@pytest.mark.parametrize("op, build, xs", ROWS)
def test_every_operation_on_floats_gives_the_engine_number_bit_for_bit(op, build, xs):
    node = build(*map(Value, xs))
    operands = xs + ([node.const] if OPS[op].folded else [])
    assert on_floats(OPS[op])(*operands) == node.data


def test_the_tables_docstring_examples_hold():
    import doctest

    import tinygrad_bp.ops
    result = doctest.testmod(tinygrad_bp.ops)
    assert result.attempted > 0 and result.failed == 0
