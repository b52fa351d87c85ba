"""`tinygrad-bp grad` end to end, as a real subprocess: output and exit status."""

import math
import re

import pytest

EXPR = "x * y + tanh(x)"
DX = 2.0 + 1.0 - math.tanh(1.0) ** 2            # ∂f/∂x = y + 1 − tanh² x at x=1, y=2


def number_after(text, prefix):
    """The number on the line that starts with `prefix`."""
    line = next(line for line in text.splitlines() if line.startswith(prefix))
    return float(line[len(prefix):].split()[0])


def test_prints_value_and_every_gradient(run_cli):
    result = run_cli("grad", EXPR, "--at", "x=1,y=2")
    assert result.returncode == 0, result.stderr
    assert number_after(result.stdout, "f = ") == 2.0 + math.tanh(1.0)
    assert math.isclose(number_after(result.stdout, "∂f/∂x = "), DX, rel_tol=1e-12)
    assert number_after(result.stdout, "∂f/∂y = ") == 1.0


def test_prints_the_numerical_check_of_each_gradient(run_cli):
    out = run_cli("grad", EXPR, "--at", "x=1,y=2").stdout
    assert "gradcheck of the engine" in out
    assert re.search(r"^x +2\.41997 +2\.41997 .* ok$", out, re.MULTILINE)
    assert re.search(r"^y +1 +1 .* ok$", out, re.MULTILINE)
    assert "all 2 inputs pass" in out


def test_wrt_limits_the_gradients_shown(run_cli):
    out = run_cli("grad", EXPR, "--at", "x=1,y=2", "--wrt", "y").stdout
    assert "∂f/∂y = 1.0" in out
    assert "∂f/∂x" not in out
    assert re.search(r"^x ", out, re.MULTILINE) is None


def test_expectations_that_hold_exit_0(run_cli):
    result = run_cli("grad", EXPR, "--at", "x=1,y=2", "--expect", f"x={DX:.6f},y=1")
    assert result.returncode == 0, result.stdout
    assert "all 2 hand-derived gradients hold" in result.stdout


def test_an_expectation_that_fails_exits_1_and_shows_its_chain_rule(run_cli):
    result = run_cli("grad", EXPR, "--at", "x=1,y=2", "--expect", "x=3,y=1")
    assert result.returncode == 1
    assert re.search(r"^x +3 +2\.41997 .* WRONG$", result.stdout, re.MULTILINE)
    assert "chain rule of ∂f/∂x" in result.stdout


def test_explain_writes_each_gradient_as_the_chain_rule(run_cli):
    out = run_cli("grad", EXPR, "--at", "x=1,y=2", "--explain").stdout
    assert "∂f/∂x: 2 paths from f to x" in out
    assert "∂f/∂(x * y)" in out and "∂(tanh(x))/∂x" in out
    assert "∂f/∂x = 2 + 0.419974 = 2.41997" in out


def test_an_expression_without_variables_has_nothing_to_differentiate(run_cli):
    result = run_cli("grad", "2 * 3")
    assert result.returncode == 0
    assert "f = 6.0" in result.stdout and "nothing to differentiate" in result.stdout


def test_a_bad_expression_exits_2_pointing_at_the_column(run_cli):
    result = run_cli("grad", "x // y", "--at", "x=1,y=2")
    assert result.returncode == 2
    assert "column 3: operator // is not allowed" in result.stderr
    assert "  x // y\n    ^" in result.stderr
    assert result.stdout == ""


def test_a_variable_without_a_value_exits_2(run_cli):
    result = run_cli("grad", EXPR, "--at", "x=1")
    assert result.returncode == 2
    assert "no value for y" in result.stderr


def test_an_unknown_wrt_variable_exits_2_naming_it(run_cli):
    result = run_cli("grad", EXPR, "--at", "x=1,y=2", "--wrt", "z")
    assert result.returncode == 2
    assert "--wrt: 'z' is not a variable of 'x * y + tanh(x)' (its variables: x, y)" \
        in result.stderr


def test_an_unknown_expect_variable_exits_2_naming_it(run_cli):
    result = run_cli("grad", EXPR, "--at", "x=1,y=2", "--expect", "w=1")
    assert result.returncode == 2
    assert "--expect: 'w' is not a variable" in result.stderr


def test_a_bad_binding_exits_2_pointing_at_it(run_cli):
    result = run_cli("grad", EXPR, "--at", "x=1,y=two")
    assert result.returncode == 2
    assert "in --at, column 5: y='two': the value is not a number" in result.stderr


def test_an_expression_undefined_at_the_point_exits_1(run_cli):
    result = run_cli("grad", "log(x)", "--at", "x=-1")
    assert result.returncode == 1
    assert "log is defined only for x > 0" in result.stderr


def test_a_relu_at_its_kink_is_flagged_in_the_numerical_check(run_cli):
    out = run_cli("grad", "relu(x) * y", "--at", "x=0,y=2").stdout
    assert re.search(r"^x .* kink +FAIL$", out, re.MULTILINE)
    assert "kink: a relu's input is within the step of 0" in out


def test_explain_past_the_path_limit_falls_back_to_the_one_step_form(run_cli):
    result = run_cli("grad", "+".join(["x"] * 1001), "--at", "x=1", "--explain")
    assert result.returncode == 0
    assert "has 1001 paths from f to x, more than max_paths=1000" in result.stdout
    assert "∂f/∂x = Σ over the 1001 consumers u of x" in result.stdout
    assert "∂f/∂x = 1001   (x.grad = 1001: agrees)" in result.stdout


def test_a_gradient_that_overflows_in_backward_exits_1_naming_it(run_cli):
    result = run_cli("grad", "(a * 1e200) * (a * 1e200)", "--at", "a=1e-50")
    assert result.returncode == 1
    assert "overflowed a float in backward()" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_point_too_near_the_domain_edge_for_the_numerical_check_still_reports(run_cli):
    result = run_cli("grad", "log(a)", "--at", "a=1e-7")
    assert result.returncode == 0, result.stderr
    assert "∂f/∂a = 10000000.0" in result.stdout
    assert "no numerical check here" in result.stdout


def test_an_expression_nested_too_deeply_exits_2(run_cli):
    result = run_cli("grad", "a**" * 3000 + "a", "--at", "a=1")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_a_number_too_large_for_a_float_exits_2_pointing_at_it(run_cli):
    result = run_cli("grad", f"a + {2 ** 1024 - 1}", "--at", "a=1")
    assert result.returncode == 2
    assert "column 5: number too large for a float" in result.stderr


@pytest.mark.parametrize("option", ["--rtol", "--atol"])
@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_a_negative_or_non_finite_tolerance_is_bad_usage(run_cli, option, value):
    result = run_cli("grad", "a", "--at", "a=1", "--expect", "a=1", f"{option}={value}")
    assert result.returncode == 2
    assert "must be a finite number >= 0" in result.stderr


def test_a_variable_named_f_does_not_clash_with_the_expression_name(run_cli):
    result = run_cli("grad", "f * 2", "--at", "f=3")
    assert result.returncode == 0, result.stderr
    assert "f_(f) = f * 2" in result.stdout
    assert "∂f_/∂f = 2.0" in result.stdout


def test_sin_and_cos_are_functions_of_an_expression(run_cli):
    result = run_cli("grad", "sin(x) * cos(y)", "--at", "x=0.5,y=2")
    assert result.returncode == 0, result.stderr
    assert number_after(result.stdout, "f = ") == math.sin(0.5) * math.cos(2.0)
    assert math.isclose(number_after(result.stdout, "∂f/∂x = "), math.cos(0.5) * math.cos(2.0),
                        rel_tol=1e-12)
    assert math.isclose(number_after(result.stdout, "∂f/∂y = "), -math.sin(0.5) * math.sin(2.0),
                        rel_tol=1e-12)


def test_help_lists_every_function_of_the_table(run_cli):
    from tinygrad_bp.ops import FUNCTIONS
    out = run_cli("grad", "--help").stdout
    assert " ".join(FUNCTIONS) in " ".join(out.split())
