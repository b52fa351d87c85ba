"""The safe expression parser: what it accepts, what it computes, what it rejects and where."""

import math
import re
import sys

import pytest

from tinygrad_bp.engine import Value
from tinygrad_bp.expr import (MAX_LENGTH, BindingError, ExpressionError, bind, parse,
                              parse_bindings, parse_names)


def leaves(**values):
    return {name: Value(x, label=name) for name, x in values.items()}


def central_difference(text, values, name, h=1e-6):
    """∂f/∂name ≈ (f(x + h) − f(x − h)) / 2h, from two fresh evaluations."""
    def f(x):
        return parse(text).evaluate(leaves(**{**values, name: x})).data
    return (f(values[name] + h) - f(values[name] - h)) / (2 * h)


# --- what it accepts and computes

def test_variables_are_listed_in_order_of_first_appearance():
    assert parse("b * a + a / c").variables == ("b", "a", "c")


def test_function_names_are_not_variables():
    assert parse("exp(x) + log(y)").variables == ("x", "y")


@pytest.mark.parametrize("text, expected", [
    ("a + b", 2.0 + -3.0),
    ("a - b", 2.0 - -3.0),
    ("a * b", 2.0 * -3.0),
    ("a / b", 2.0 / -3.0),
    ("a ** 3", 2.0 ** 3),
    ("-a", -2.0),
    ("+a", 2.0),
    ("-2 ** a", -(2.0 ** 2.0)),             # ** binds tighter than unary minus, as in Python
    ("(a + b) * a", (2.0 - 3.0) * 2.0),
    ("exp(a)", math.exp(2.0)),
    ("log(a)", math.log(2.0)),
    ("tanh(b)", math.tanh(-3.0)),
    ("sigmoid(b)", 1.0 / (1.0 + math.exp(3.0))),
    ("relu(b) + relu(a)", 2.0),
    ("tanh(a * b + exp(a))", math.tanh(-6.0 + math.exp(2.0))),
    ("2.5e-1 * a + 1", 0.25 * 2.0 + 1),
])
def test_evaluate_computes_the_same_value_as_python(text, expected):
    assert parse(text).evaluate(leaves(a=2.0, b=-3.0)).data == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("text", ["tanh(a * b + exp(a))", "a / b ** 2 - sigmoid(a * a)",
                                  "log(a + relu(b) + 1) * -b", "2 ** a / (1 + a ** b)"])
def test_gradients_of_an_evaluated_graph_match_central_differences(text):
    values = {"a": 2.0, "b": -3.0}
    variables = leaves(**values)
    parse(text).evaluate(variables).backward()
    for name, leaf in variables.items():
        assert leaf.grad == pytest.approx(central_difference(text, values, name), rel=1e-6)


def test_gradient_of_a_product_matches_the_product_rule():
    variables = leaves(a=2.0, b=-3.0)
    parse("a * b * a").evaluate(variables).backward()      # ∂(a²b)/∂a = 2ab, ∂/∂b = a²
    assert variables["a"].grad == 2 * 2.0 * -3.0
    assert variables["b"].grad == 2.0 ** 2


def test_numbers_are_folded_into_the_node_that_uses_them():
    out = parse("2 * 3 * a").evaluate(leaves(a=1.5))
    assert out.op == "* 6" and out.data == 9.0


def test_an_expression_of_numbers_only_is_a_leaf_value():
    out = parse("2 ** 3 - 1").evaluate({})
    assert out.is_leaf and out.data == 7.0


def test_a_variable_used_twice_is_one_leaf_with_two_edges():
    variables = leaves(a=3.0)
    out = parse("a * a").evaluate(variables)
    assert out.parents == (variables["a"], variables["a"])


def test_evaluate_without_a_variable_raises_binding_error_naming_it():
    with pytest.raises(BindingError, match="no value for 'b' in 'a \\* b'"):
        parse("a * b").evaluate(leaves(a=1.0))


def test_engine_errors_propagate_from_evaluate():
    with pytest.raises(ValueError, match="log is defined only for x > 0"):
        parse("log(a)").evaluate(leaves(a=-1.0))


def test_division_of_numbers_by_zero_raises_zero_division_error():
    with pytest.raises(ZeroDivisionError):
        parse("a + 1 / 0").evaluate(leaves(a=1.0))


def test_repr_shows_text_and_variables():
    assert repr(parse("x*y")) == "Expression('x*y', variables=('x', 'y'))"


# --- what it rejects, naming the construct and its 1-based column

@pytest.mark.parametrize("text, construct, column", [
    ("a.real", "attribute access", 3),
    ("a + exp(b).x", "attribute access", 12),
    ("foo(a)", "call of 'foo' is not allowed", 1),
    ("a + __import__('os')", "call of '__import__' is not allowed", 5),
    ("exp(a, b)", "exp takes exactly one argument, got 2", 1),
    ("__import__('os').system('ls')", "attribute access", 18),
    ("(a + b)(c)", "only calls of exp, log, tanh, sigmoid, relu, sin, cos by name", 1),
    ("exp(a)(b)", "only calls of exp, log, tanh, sigmoid, relu, sin, cos by name", 1),
    ("exp()", "exp takes exactly one argument, got 0", 1),
    ("exp(x=a)", "keyword argument", 1),
    ("exp(*a)", "starred expression", 5),
    ("(lambda: a)", "lambda", 2),
    ("a[0]", "subscript", 1),
    ("a < b", "comparison", 1),
    ("a and b", "boolean operator", 1),
    ("a if b else c", "conditional", 1),
    ("[a]", "list", 1),
    ("a @ b", "operator @", 3),
    ("(a + b) // 2", "operator //", 9),
    ("not a", "unary operator not", 1),
    ("'text'", "str literal", 1),
    ("True", "bool literal", 1),
    ("2j * a", "complex literal", 1),
    ("a * 1e400", "too large for a float", 5),
    ("exp", "exp is a function", 1),
    ("a +* b", "invalid syntax", 4),
    ("  a.b", "attribute access", 5),       # columns count in the text as given
    ("   ", "empty", 1),
    ("(a +\n b)", "character '\\n' is not allowed", 5),
    ("a\x00", "character '\\x00' is not allowed", 2),
])
def test_disallowed_constructs_are_rejected_with_their_column(text, construct, column):
    with pytest.raises(ExpressionError, match="column") as error:
        parse(text)
    assert construct in error.value.message
    assert error.value.column == column


def test_expression_error_is_a_value_error_with_the_column_in_its_text():
    with pytest.raises(ValueError, match="^column 3: attribute access is not allowed$"):
        parse("a.__class__")


def test_parse_of_a_non_string_raises_type_error():
    with pytest.raises(TypeError, match="must be a str"):
        parse(3)


def test_a_long_sum_evaluates_without_recursion():
    variables = leaves(a=1.0)
    parse("a+" * 2000 + "a").evaluate(variables).backward()
    assert variables["a"].grad == 2001


def test_a_sum_as_long_as_allowed_parses_and_evaluates():
    text = "a+" * ((MAX_LENGTH - 1) // 2) + "a"         # 50,000 terms, nested as deep
    assert len(text) <= MAX_LENGTH
    assert parse(text).evaluate(leaves(a=1.0)).data == (MAX_LENGTH - 1) // 2 + 1


def test_parsing_leaves_the_recursion_limit_as_it_was():
    before = sys.getrecursionlimit()
    parse("a+" * 5000 + "a")
    assert sys.getrecursionlimit() == before


@pytest.mark.parametrize("reader", [parse, parse_bindings, parse_names])
def test_a_text_longer_than_the_cap_is_refused_before_parsing(reader):
    with pytest.raises(ExpressionError) as caught:
        reader("a" * (MAX_LENGTH + 1))
    assert f"{MAX_LENGTH + 1:,} characters is longer than the {MAX_LENGTH:,} allowed" \
        in caught.value.message
    assert caught.value.column == MAX_LENGTH + 1


# --- parts of numbers only are numbers (issue 10, item 9)

@pytest.mark.parametrize("text, expected", [
    ("x + 0**0.5", 1.0),                        # x**0.5 has no derivative at 0; 0**0.5 is 0
    ("x * 2**1023", 2.0 ** 1023),               # the derivative of 2**n overflows; 2**1023 not
    ("x + log(1e-310)", 1.0 + math.log(1e-310)),    # 1/1e-310 overflows; log(1e-310) not
    ("x + sigmoid(-800) + relu(-2) + tanh(3) + exp(1)", 1.0 + math.tanh(3) + math.e),
    ("x + sin(1) * cos(2)", 1.0 + math.sin(1) * math.cos(2)),
])
def test_a_part_of_numbers_only_is_computed_as_a_number(text, expected):
    x = Value(1.0, label="x")
    out = parse(text).evaluate({"x": x})
    out.backward()
    assert out.data == pytest.approx(expected, rel=1e-15)
    assert x.grad == pytest.approx(central_difference(text, {"x": 1.0}, "x"), rel=1e-6)
    assert len(out.parents) == 1                # the number is folded into one node


@pytest.mark.parametrize("text, error, message", [
    ("x + 1/0", ZeroDivisionError, "1 / 0 divides by zero"),
    ("x + 0**-1", ZeroDivisionError, "0 ** (-1) divides by zero"),
    ("x + (-8)**0.5", ValueError, "(-8) ** 0.5: a negative number to a fractional power"),
    ("x + log(0)", ValueError, "log(0): log is defined only for x > 0"),
    ("x + exp(1000)", OverflowError, "exp(1000) overflows a float"),
    ("x + 2**1024", OverflowError, "2 ** 1024 overflows a float"),
    ("x + 1e308*10", OverflowError, "1e+308 * 10 overflows a float"),
])
def test_a_part_of_numbers_only_reports_its_own_domain_error(text, error, message):
    with pytest.raises(error, match=re.escape(message)):
        parse(text).evaluate(leaves(x=1.0))


# --- bindings

def test_parse_bindings_reads_names_and_numbers():
    assert parse_bindings("a=2, b = -3,c=1e-3") == {"a": 2.0, "b": -3.0, "c": 0.001}


@pytest.mark.parametrize("text, problem, column", [
    ("a", "not of the form name=number", 1),
    ("a=2,b", "not of the form name=number", 5),
    ("a=x", "not a number", 1),
    ("a=", "not a number", 1),
    ("a=2,1b=3", "'1b' is not a variable name", 5),
    ("exp=1", "'exp' is not a variable name", 1),
    ("lambda=1", "'lambda' is not a variable name", 1),
    ("a=2,a=3", "'a' is bound twice", 5),
    ("a=nan", "must be finite", 1),
    ("a=2,,b=3", "empty binding", 5),
])
def test_malformed_bindings_are_rejected_with_their_column(text, problem, column):
    with pytest.raises(ExpressionError) as error:
        parse_bindings(text)
    assert problem in error.value.message
    assert error.value.column == column


def test_empty_bindings_bind_nothing():
    assert parse_bindings("  ") == {}


def test_bind_gives_labelled_leaves_in_the_expression_order():
    bound = bind(parse("b * a"), {"a": 2.0, "b": -3.0})
    assert list(bound) == ["b", "a"]
    assert [(v.label, v.data, v.is_leaf) for v in bound.values()] == [("b", -3.0, True),
                                                                        ("a", 2.0, True)]


def test_bind_rejects_an_unbound_variable():
    with pytest.raises(BindingError, match="no value for 'b' in 'a \\* b': give one as b=NUMBER"):
        bind(parse("a * b"), {"a": 1.0})


def test_bind_rejects_an_unused_binding():
    with pytest.raises(BindingError, match="'c' bound but not used in 'a \\* b'"):
        bind(parse("a * b"), {"a": 1.0, "b": 2.0, "c": 3.0})


def test_columns_count_characters_not_bytes():
    with pytest.raises(ExpressionError) as error:
        parse("δδδ + foo(a)")
    assert error.value.column == 7
    with pytest.raises(ExpressionError) as error:
        parse("σ.real")
    assert error.value.column == 3


def test_bindings_read_names_as_the_parser_reads_them():
    expression = parse("\uff41 * 2")          # full-width a: Python reads it as a
    assert expression.variables == ("a",)
    assert parse_bindings("\uff41=3") == {"a": 3.0}


# --- names outside the expression (issue 10, item 13)

def test_parse_names_reads_names_in_nfkc_form_once_each():
    assert parse_names(" ｘ , y,x ") == ["x", "y"]


@pytest.mark.parametrize("text, column", [("x,,y", 3), ("x, 2y", 3), ("x,exp", 3)])
def test_parse_names_refuses_what_is_not_a_name_at_its_column(text, column):
    with pytest.raises(ExpressionError) as caught:
        parse_names(text)
    assert caught.value.column == column


def test_an_unbound_look_alike_letter_shows_its_code_point():
    expression = parse("\u0445 * 2")                 # Cyrillic х, not Latin x
    with pytest.raises(BindingError) as caught:
        bind(expression, {"x": 1.0})
    assert "U+0445 CYRILLIC SMALL LETTER HA" in str(caught.value)


def test_a_binding_of_a_look_alike_letter_shows_its_code_point():
    with pytest.raises(BindingError) as caught:
        bind(parse("x * 2"), {"x": 1.0, "\u0445": 1.0})
    assert "'\u0445' (U+0445 CYRILLIC SMALL LETTER HA) bound but not used" in str(caught.value)
