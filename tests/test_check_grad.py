"""grad, value_and_grad and numerical_grad: gradients of functions, as floats."""

import math

import pytest

from tinygrad_bp import Value, grad, numerical_grad, value_and_grad


def f(x, y):
    return x * y + x.tanh()


def df(x, y):
    """∂f/∂x = y + 1 − tanh² x, ∂f/∂y = x: by hand."""
    return y + 1.0 - math.tanh(x) ** 2, x


def test_grad_of_two_arguments_is_a_tuple_of_floats_by_hand():
    result = grad(f)(1.0, 2.0)
    assert isinstance(result, tuple) and all(type(g) is float for g in result)
    assert result == pytest.approx(df(1.0, 2.0), rel=1e-12)


def test_grad_of_one_argument_is_a_float():
    result = grad(lambda x: x * x * x)(2.0)
    assert type(result) is float
    assert result == pytest.approx(12.0, rel=1e-12)


def test_grad_agrees_with_backward():
    x, y = Value(0.3, label="x"), Value(-1.7, label="y")
    f(x, y).backward()
    assert grad(f)(0.3, -1.7) == (x.grad, y.grad)


def test_grad_argnums_int_gives_that_argument_as_a_float():
    assert grad(f, argnums=1)(1.0, 2.0) == pytest.approx(df(1.0, 2.0)[1])


def test_grad_argnums_tuple_gives_those_arguments_in_that_order():
    dx, dy = df(1.0, 2.0)
    assert grad(f, argnums=(1, 0))(1.0, 2.0) == pytest.approx((dy, dx))


def test_numbers_outside_argnums_are_values_so_f_works_unchanged():
    assert grad(lambda x, y: x.tanh() * y, argnums=1)(0.0, 2.0) == 0.0


def test_non_numbers_outside_argnums_are_passed_unchanged():
    def weighted(x, weights):
        return x * weights[0] + x * weights[1]

    assert grad(weighted, argnums=0)(2.0, [3.0, 4.0]) == 7.0


def test_keyword_arguments_are_passed_unchanged():
    assert grad(lambda x, power=1: x ** power)(3.0, power=2) == 6.0


def test_value_and_grad_returns_the_value_too():
    value, gradients = value_and_grad(f)(1.0, 2.0)
    assert value == pytest.approx(2.0 + math.tanh(1.0))
    assert gradients == pytest.approx(df(1.0, 2.0))


def test_grad_of_an_input_the_result_does_not_use_is_zero():
    assert grad(lambda x, y: x * 2)(1.0, 5.0) == (2.0, 0.0)


def test_grad_labels_inputs_with_parameter_names_in_errors():
    with pytest.raises(ValueError, match="'x'"):
        grad(lambda x: x.log())(-1.0)


def test_grad_does_not_touch_grads_of_closed_over_values():
    w = Value(3.0, label="w")
    assert grad(lambda x: x * w)(2.0) == 3.0
    assert w.grad == 0.0


def test_grad_rejects_a_function_returning_a_float_naming_it():
    with pytest.raises(TypeError, match=r"returned float 4\.0, not a Value"):
        grad(lambda x: x.data * 2)(2.0)


def test_grad_rejects_non_numbers_naming_the_argument():
    with pytest.raises(TypeError, match="'x'"):
        grad(lambda x: x * 2)("2")


@pytest.mark.parametrize("argnums", [2, -1, (0, 0)])
def test_grad_rejects_argnums_that_are_not_positions_of_the_call(argnums):
    with pytest.raises(ValueError, match="argnums"):
        grad(f, argnums=argnums)(1.0, 2.0)


@pytest.mark.parametrize("argnums", [1.0, "x", (0, True)])
def test_grad_rejects_argnums_that_are_not_ints(argnums):
    with pytest.raises(TypeError, match="argnums must be an int"):
        grad(f, argnums=argnums)(1.0, 2.0)


def test_grad_function_is_named_after_f():
    assert grad(f).__name__ == "grad(f)"


def test_numerical_grad_matches_the_derivative_by_hand():
    assert numerical_grad(f, 1.0, 2.0) == pytest.approx(df(1.0, 2.0), rel=1e-8)


def test_numerical_grad_of_one_input_is_a_float():
    result = numerical_grad(lambda x: x.exp(), 0.5)
    assert type(result) is float
    assert result == pytest.approx(math.exp(0.5), rel=1e-8)


def test_numerical_grad_accepts_a_function_returning_a_number():
    assert numerical_grad(lambda x: x.data ** 2, 3.0) == pytest.approx(6.0, rel=1e-8)


def test_numerical_grad_step_is_relative_for_large_inputs():
    # x = 1e8: an absolute step of 1e-6 would vanish in rounding; eps·|x| = 100 does not
    assert numerical_grad(lambda x: x * x, 1e8) == pytest.approx(2e8, rel=1e-8)


def test_numerical_grad_rejects_a_function_returning_something_else():
    with pytest.raises(TypeError, match="returned str"):
        numerical_grad(lambda x: "x", 1.0)
