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
    assert "no value for 'y'" in result.stderr


def test_an_unknown_wrt_variable_exits_2_naming_it(run_cli):
    result = run_cli("grad", EXPR, "--at", "x=1,y=2", "--wrt", "z")
    assert result.returncode == 2
    assert "--wrt: 'z' is not a variable of 'x * y + tanh(x)' (its variables: 'x', 'y')" \
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
    assert re.search(r"^x .* kink +differs$", out, re.MULTILINE)
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


# --- the parser's last gaps (issue 10, items 9-13)

@pytest.mark.parametrize("expression, value", [("-2*x", -2.0), ("-x*3", -3.0), ("-(x+1)", -2.0),
                                               ("-.5*x", -0.5)])
def test_an_expression_starting_with_minus_is_taken_for_the_expression(run_cli, expression,
                                                                      value):
    result = run_cli("grad", expression, "--at", "x=1")
    assert result.returncode == 0, result.stderr
    assert number_after(result.stdout, "f = ") == value
    assert f"f(x) = {expression}" in result.stdout


def test_an_expression_starting_with_minus_may_follow_the_options(run_cli):
    result = run_cli("grad", "--at", "x=1", "--wrt", "x", "-2*x")
    assert result.returncode == 0, result.stderr
    assert number_after(result.stdout, "∂f/∂x = ") == -2.0


@pytest.mark.parametrize("expression", ["--x", "-" * 5000 + "x"])
def test_an_expression_starting_with_two_minuses_is_taken_for_the_expression(run_cli,
                                                                            expression):
    result = run_cli("grad", expression, "--at", "x=1")
    assert result.returncode == 0, result.stderr
    assert number_after(result.stdout, "f = ") == 1.0           # an even number of minuses


@pytest.mark.parametrize("before, after", [(["--", "-x"], ["--at", "x=1"]),
                                           (["--at", "x=1", "--"], ["-x"])])
def test_a_double_dash_marks_the_next_argument_as_the_expression(run_cli, before, after):
    result = run_cli("grad", *before, *after)
    assert result.returncode == 0, result.stderr
    assert number_after(result.stdout, "f = ") == -1.0


def test_an_abbreviated_option_is_still_an_option(run_cli):
    result = run_cli("grad", "x*y", "--a", "x=1,y=2")                # --at, or --atol?
    assert result.returncode == 2
    assert "ambiguous option: --a could match --at, --atol" in result.stderr


def test_a_bad_expression_starting_with_minus_points_at_its_own_column(run_cli):
    result = run_cli("grad", "-x//2", "--at", "x=1")
    assert result.returncode == 2
    assert "column 3: operator // is not allowed" in result.stderr
    assert "\n  -x//2\n    ^" in result.stderr


@pytest.mark.parametrize("expression, value", [("x + 0**0.5", 1.0), ("x*2**1023", 2.0 ** 1023),
                                               ("x+log(1e-310)", 1.0 + math.log(1e-310))])
def test_a_constant_part_is_computed_as_a_number(run_cli, expression, value):
    result = run_cli("grad", expression, "--at", "x=1")
    assert result.returncode == 0, result.stderr
    assert number_after(result.stdout, "f = ") == value


def test_a_constant_part_outside_its_domain_exits_1_naming_it(run_cli):
    result = run_cli("grad", "x + log(0)", "--at", "x=1")
    assert result.returncode == 1
    assert "log(0): log is defined only for x > 0" in result.stderr


def test_wrt_reads_names_in_nfkc_form_as_at_and_expect_do(run_cli):
    result = run_cli("grad", "x * y", "--at", "x=2,y=3", "--wrt", "\uff58")     # full-width x
    assert result.returncode == 0, result.stderr
    assert number_after(result.stdout, "∂f/∂x = ") == 3.0
    assert "∂f/∂y" not in result.stdout


def test_a_look_alike_letter_in_the_expression_is_refused_showing_its_code_point(run_cli):
    result = run_cli("grad", "\u0445 * 2", "--at", "x=1")          # Cyrillic х
    assert result.returncode == 2
    assert "'\u0445' (U+0445 CYRILLIC SMALL LETTER HA)" in result.stderr


def test_an_expression_longer_than_the_cap_is_bad_usage_shown_in_part(run_cli):
    from tinygrad_bp.expr import MAX_LENGTH
    result = run_cli("grad", "x+" * (MAX_LENGTH // 2) + "x", "--at", "x=1")
    assert result.returncode == 2
    assert f"is longer than the {MAX_LENGTH:,} allowed" in result.stderr
    assert len(result.stderr) < 500


def test_many_variables_get_a_numerical_check_of_an_even_sample(run_cli):
    n = 3000
    result = run_cli("grad", "+".join(f"x{i}" for i in range(n)),
                     "--at", ",".join(f"x{i}=1" for i in range(n)))
    assert result.returncode == 0, result.stderr
    assert len(re.findall(r"^∂f/∂x\d+ = 1\.0$", result.stdout, re.MULTILINE)) == n
    checked = re.findall(r"^(x\d+) +1 +1 ", result.stdout, re.MULTILINE)
    assert f"it checks {len(checked)} of the {n} variables" in result.stdout
    assert 1 < len(checked) < n
    assert checked[0] == "x0" and checked[-1] == f"x{n - 1}"


# --- --expect graded to the digits typed (issue 9, item 3)

@pytest.mark.parametrize("typed, digits", [("2.42", 3), ("2.420", 4), ("2.41997", 6)])
def test_expect_agrees_to_the_digits_typed(run_cli, typed, digits):
    result = run_cli("grad", EXPR, "--at", "x=1,y=2", "--expect", f"x={typed}")
    assert result.returncode == 0, result.stdout
    assert re.search(rf"^x +{re.escape(typed)} +2\.41997 .* agrees to the {digits} significant "
                     rf"digits given$", result.stdout, re.MULTILINE)


def test_expect_off_by_one_in_the_last_digit_typed_exits_1_asking_for_more(run_cli):
    result = run_cli("grad", EXPR, "--at", "x=1,y=2", "--expect", "x=2.4199")
    assert result.returncode == 1
    assert "off by one in the last digit given: give more digits" in result.stdout


def test_expect_too_small_for_a_float_exits_1_calling_it_wrong(run_cli):
    result = run_cli("grad", EXPR, "--at", "x=1,y=2", "--expect", "x=1e-400")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(r"^x +1e-400 +2\.41997 .* WRONG$", result.stdout, re.MULTILINE)


def test_expect_with_a_tolerance_ignores_the_digits(run_cli):
    result = run_cli("grad", EXPR, "--at", "x=1,y=2", "--expect", "x=2.4199", "--rtol", "1e-3")
    assert result.returncode == 0, result.stdout
    assert "rtol=0.001" in result.stdout


def test_a_difference_at_a_relu_kink_exits_0_and_says_why(run_cli):
    result = run_cli("grad", "relu(x)", "--at", "x=0")
    assert result.returncode == 0
    assert "FAILED" not in result.stdout
    assert "differs at a kink for x" in result.stdout
    assert "∂f/∂x = 0.0" in result.stdout


def test_explain_of_a_2kb_expression_prints_a_summary_not_megabytes(run_cli):
    expression = "*".join(["x"] * 1000)                         # 1,999 characters, 1000 paths
    result = run_cli("grad", expression, "--at", "x=1", "--explain")
    assert result.returncode == 0, result.stderr
    assert "… and 990 more paths, not written out here" in result.stdout
    assert len(result.stdout) < 50_000


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


def test_explain_of_many_variables_writes_out_the_first_ones(run_cli):
    from tinygrad_bp.cli import EXPLAINED_VARIABLES
    n = EXPLAINED_VARIABLES + 5
    result = run_cli("grad", "+".join(f"x{i}" for i in range(n)),
                     "--at", ",".join(f"x{i}=1" for i in range(n)), "--explain")
    assert result.returncode == 0, result.stderr
    assert f"the first {EXPLAINED_VARIABLES} of the {n} variables (name others with --wrt)" \
        in result.stdout
    assert len(re.findall(r"^∂f/∂x\d+ = 1   \(x\d+\.grad = 1: agrees\)$", result.stdout,
                          re.MULTILINE)) == EXPLAINED_VARIABLES
