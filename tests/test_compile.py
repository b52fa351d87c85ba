"""Compiled replay: the generated code gives exactly what the eager engine gives."""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_bp
from tinygrad_bp import Value, compile


def bits(x):
    """A float's exact identity: -0.0 and 0.0 differ, every nan is the same."""
    return float(x).hex()


def eager(f, *numbers):
    """f's value and ∂f/∂(each number), by the eager engine on fresh leaves.

    The leaves are labelled as compile labels its own: arg0, arg1, ...
    """
    leaves = [Value(x, label=f"arg{i}") for i, x in enumerate(numbers)]
    out = f(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


# --- random graphs: a program is a list of steps, each making one node from earlier ones

UNARY = ["neg", "exp", "log", "tanh", "sigmoid", "relu"]
BINARY = ["+", "-", "*", "/", "**"]
FOLDED = ["+c", "c+", "-c", "c-", "*c", "c*", "/c", "c/", "**c", "c**"]
number = st.floats(-3.0, 3.0, allow_nan=False).map(lambda x: round(x, 3))
step = st.tuples(st.sampled_from(UNARY + BINARY + FOLDED), st.integers(0, 99),
                 st.integers(0, 99), st.sampled_from([0.0, 0.5, -1.0, 2.0, 3.0, -0.25]))


def run_program(program, args):
    """The sum of every step's node, so that each step is part of the graph.

    NOTE: compile replays the graph of f's output only; a node f computes and then
    drops is not rerun, nor are its errors (documented in compiler.py).
    """
    values = list(args)
    for op, i, j, c in program:
        a, b = values[i % len(values)], values[j % len(values)]
        if op in UNARY:
            out = -a if op == "neg" else getattr(a, op)()
        elif op in BINARY:
            out = {"+": a + b, "-": a - b, "*": a * b}[op] if op in "+-*" else (
                a / b if op == "/" else a ** b)
        else:
            c = abs(c) + 0.5 if op in ("c**", "/c") else c
            out = {"+c": lambda: a + c, "c+": lambda: c + a, "-c": lambda: a - c,
                   "c-": lambda: c - a, "*c": lambda: a * c, "c*": lambda: c * a,
                   "/c": lambda: a / c, "c/": lambda: c / a, "**c": lambda: a ** c,
                   "c**": lambda: c ** a}[op]()
        values.append(out)
    total = values[len(args)]
    for value in values[len(args) + 1:]:
        total = total + value
    return total


def eager_or_error(f, numbers):
    try:
        return eager(f, *numbers)
    except (ArithmeticError, ValueError) as exc:
        return exc


def compile_and_redraw(program, example, data, numbers):
    """The program compiled at `example`, new arguments drawn from `numbers`, and what
    the eager engine gives (or raises) at them."""
    def f(*args):
        return run_program(program, args)
    assume(not isinstance(eager_or_error(f, example), Exception))
    compiled = compile(f, *example)
    args = data.draw(st.lists(numbers, min_size=len(example), max_size=len(example)))
    return compiled, args, eager_or_error(f, args)


@given(st.lists(step, min_size=1, max_size=12), st.lists(number, min_size=1, max_size=3),
       st.data())
def test_replay_is_bit_for_bit_eager_on_random_graphs(program, example, data):
    compiled, numbers, want = compile_and_redraw(program, example, data, number)
    assume(not isinstance(want, Exception))
    out, grads = compiled(*numbers)
    assert bits(out) == bits(want[0])
    assert [bits(g) for g in grads] == [bits(g) for g in want[1]]


positive = st.floats(0.5, 2.0).map(lambda x: round(x, 3))
troublesome = st.sampled_from([0.0, -1.0, -0.5, 800.0, -800.0])


@given(st.lists(step, min_size=1, max_size=8), st.lists(positive, min_size=1, max_size=3),
       st.data())
def test_replay_raises_the_eager_error_where_eager_fails(program, example, data):
    compiled, numbers, want = compile_and_redraw(program, example, data, troublesome)
    if isinstance(want, Exception):
        with pytest.raises(type(want)) as raised:
            compiled(*numbers)
        assert str(raised.value) == str(want)
    else:
        out, grads = compiled(*numbers)
        assert [bits(out)] + [bits(g) for g in grads] == [bits(x) for x in [want[0]] + want[1]]


def test_zero_gradients_have_the_sign_eager_gives():
    def f(x, y):
        return (x.relu() * y) * -1.0        # at x < 0: terms of -0.0 into both gradients
    out, grads = compile(f, -1.0, 2.0)(-3.0, 5.0)
    want = eager(f, -3.0, 5.0)
    assert [bits(out)] + [bits(g) for g in grads] == [bits(want[0])] + [bits(g) for g in want[1]]
    assert bits(grads[1]) == bits(0.0)


# --- an MLP training step: parameters, a batch of inputs and targets as lists

def mlp_cost(params, xs, ys):
    """C = 1/(2n) Σ (a − y)² for a 2-4-1 tanh network; params neuron by neuron, bias last."""
    total = 0.0
    for x, y in zip(xs, ys):
        hidden = [(params[3 * j] * x[0] + params[3 * j + 1] * x[1] + params[3 * j + 2]).tanh()
                  for j in range(4)]
        a = params[12] * hidden[0]
        for k in range(1, 4):
            a = a + params[12 + k] * hidden[k]
        a = a + params[16]
        total = total + (a - y[0]) * (a - y[0])
    return total * (1.0 / (2 * len(xs)))


PARAMS = [0.3, -0.2, 0.1, 0.5, 0.4, -0.1, -0.6, 0.2, 0.0, 0.1, 0.7, 0.3,
          0.5, -0.4, 0.3, 0.2, 0.05]
XS = [[0.5, -1.0], [1.5, 0.2], [-0.7, 0.9]]
YS = [[0.2], [-0.1], [0.6]]


def test_mlp_step_replay_is_bit_for_bit_eager():
    step = compile(mlp_cost, PARAMS, XS, YS)
    params = [p * 1.1 - 0.01 for p in PARAMS]
    out, (grads, _, _) = step(params, XS, YS)
    leaves = [Value(p) for p in params]
    C = mlp_cost(leaves, XS, YS)            # inputs and targets as plain numbers (folded)
    C.backward()
    assert bits(out) == bits(C.data)
    assert [bits(g) for g in grads] == [bits(p.grad) for p in leaves]


def test_mlp_step_gradients_match_central_differences():
    step = compile(mlp_cost, PARAMS, XS, YS)
    _, (grads, _, _) = step(PARAMS, XS, YS)
    h = 1e-6
    for i, g in enumerate(grads):
        up, down = list(PARAMS), list(PARAMS)
        up[i] += h
        down[i] -= h
        numeric = (step(up, XS, YS)[0] - step(down, XS, YS)[0]) / (2 * h)
        assert math.isclose(g, numeric, rel_tol=1e-5, abs_tol=1e-8)


def test_gradient_with_respect_to_an_input_is_the_weight():
    step = compile(lambda w, x: w * x, 3.0, 2.0)
    assert step(4.0, 5.0) == (20.0, (5.0, 4.0))


# --- arguments and results

def test_grads_are_shaped_like_the_arguments():
    step = compile(lambda s, v, m: s * v[1] + m[1][0] * m[0][1], 1.0, [1.0, 2.0],
                   [[1.0, 2.0], [3.0]])
    out, (ds, dv, dm) = step(2.0, [5.0, 7.0], [[1.0, 4.0], [6.0]])
    assert out == 2.0 * 7.0 + 6.0 * 4.0
    assert (ds, dv, dm) == (7.0, [0.0, 2.0], [[0.0, 6.0], [4.0]])


def test_unused_argument_gets_a_zero_gradient():
    step = compile(lambda x, y: x.exp(), 0.0, 5.0)
    assert step(0.0, 9.0) == (1.0, (1.0, 0.0))


def test_f_returning_its_argument_has_gradient_one():
    step = compile(lambda x: x, 2.0)
    assert step(-3.0) == (-3.0, (1.0,))


def test_calls_do_not_accumulate_gradients():
    step = compile(lambda x: x * x, 3.0)
    assert step(3.0) == step(3.0) == (9.0, (6.0,))


def test_source_is_inspectable_python_with_labels():
    def f(x):
        y = x.tanh()
        y.label = "a_h1"
        return y
    step = compile(f, 0.5)
    assert step.source.startswith("def replay(args):")
    assert "tanh(v0)" in step.source and "# 'a_h1'" in step.source
    assert "1 nodes" not in repr(step) and "2 nodes" in repr(step)


def test_compile_is_exported_by_the_package():
    assert tinygrad_bp.compile is compile and "compile" in tinygrad_bp.__all__


# --- errors: caught at compile time

def test_custom_op_is_rejected_naming_the_node_and_op():
    def f(x):
        return Value(x.data ** 3, "cube_x", parents=(x,), local_grads=(3 * x.data ** 2,),
                     op="cube")
    with pytest.raises(ValueError, match=r"node 'cube_x' \(data=8\).*'cube'"):
        compile(f, 2.0)


def test_hand_built_node_named_like_a_built_in_op_is_a_custom_op():
    def f(x):
        return Value(5.0, parents=(x,), local_grads=(1.0,), op="exp")
    with pytest.raises(ValueError, match="'exp' with 1 parent.*not a built-in operation"):
        compile(f, 2.0)


def test_built_in_node_changed_after_it_was_built_is_rejected():
    def f(x):
        y = x.exp()
        y.data = 5.0
        return y
    with pytest.raises(ValueError, match="does not match its data or local_grads"):
        compile(f, 2.0)


def test_value_captured_from_outside_f_is_rejected_naming_it():
    w = Value(0.5, label="w1")
    with pytest.raises(ValueError, match=r"leaf 'w1' \(data=0.5\) is not one of f's arguments"):
        compile(lambda x: w * x, 2.0)


def test_f_returning_a_number_is_rejected():
    with pytest.raises(TypeError, match="return one Value"):
        compile(lambda x: 3.0, 2.0)


def test_example_argument_that_is_not_a_number_is_rejected_naming_it():
    with pytest.raises(TypeError, match=r"argument 1\[0\] must be a real number"):
        compile(lambda x, y: x * y[0], 1.0, ["2"])


# --- errors: caught at call time

def test_different_number_of_arguments_is_a_type_error():
    step = compile(lambda x, y: x * y, 1.0, 2.0)
    with pytest.raises(TypeError, match="compiled for 2 arguments, got 3"):
        step(1.0, 2.0, 3.0)


def test_list_of_another_length_is_rejected_naming_the_argument():
    step = compile(lambda v: v[0] + v[1], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"argument 0 must be a list of 2.*got a list of 3"):
        step([1.0, 2.0, 3.0])


def test_number_where_a_list_was_compiled_is_rejected():
    step = compile(lambda m: m[0][0] * m[1], [[1.0], 2.0])
    with pytest.raises(TypeError, match=r"argument 0\[0\] must be a list of 1.*got float"):
        step([1.0, 2.0])


def test_non_number_argument_is_rejected_naming_its_position():
    step = compile(lambda v: v[0] + v[1], [1.0, 2.0])
    with pytest.raises(TypeError, match=r"argument 0\[1\] must be a real number.*bool"):
        step([1.0, True])


def test_non_finite_argument_is_rejected_naming_its_position():
    step = compile(lambda x, y: x * y, 1.0, 2.0)
    with pytest.raises(ValueError, match=r"argument 1 must be finite, got inf"):
        step(1.0, math.inf)


def test_domain_error_at_replay_is_the_engine_error_naming_the_node():
    step = compile(lambda x: x.log(), 2.0)
    message = r"log\('arg0' \(data=-1\)\): log is defined only for x > 0"
    with pytest.raises(ValueError, match=message):
        step(-1.0)


def test_negative_base_to_a_fractional_power_raises_rather_than_going_complex():
    step = compile(lambda x: x ** 0.5 + 1.0, 4.0)
    with pytest.raises(ValueError, match="not a real number"):
        step(-4.0)


def test_control_flow_on_values_is_frozen_at_trace_time():
    def f(x):
        return x * 2.0 if x.data > 0 else x * 3.0
    step = compile(f, 1.0)
    assert step(-1.0) == (-2.0, (2.0,))     # the branch taken at the example
    step.check(2.0)                         # same graph: no error
    with pytest.raises(ValueError, match="different graph.*frozen at trace time"):
        step.check(-1.0)


def test_overflow_that_a_later_node_absorbs_is_still_the_engine_error():
    step = compile(lambda x: (x * 1e308 * 10.0).tanh(), 1e-3)  # tanh(inf) would be 1.0
    with pytest.raises(OverflowError, match="overflows a float"):
        step(1.0)


def test_replay_that_fails_where_eager_does_not_gives_the_eager_result():
    def f(x):
        return (x * -1.0).log() if x.data < 0 else x.log()
    step = compile(f, -1.0)                 # frozen: log(-x), which fails at x = 2
    assert step(2.0) == (math.log(2.0), (0.5,))


def test_compiled_replay_takes_ints_as_floats_like_the_engine():
    step = compile(lambda x, y: x * x / y, 3.0, 1.0)
    big = 2 ** 53 + 1
    out, grads = step(big, 3)
    x, y = Value(big), Value(3)
    eager = x * x / y
    eager.backward()
    assert type(out) is float
    assert out == eager.data
    assert grads == (x.grad, y.grad)


def test_compiled_replay_names_an_int_too_large_for_a_float():
    step = compile(lambda x: x * 2.0, 1.0)
    with pytest.raises(ValueError, match="argument 0"):
        step(10 ** 400)
