"""`tinygrad-bp graph` end to end, as a real subprocess."""

import math
import re
import xml.etree.ElementTree as ElementTree

import pytest

from helpers import SVG
from renderers import PURE, fake_executable


def node_count(path):
    root = ElementTree.parse(path).getroot()
    return sum(1 for g in root.iter(f"{SVG}g") if g.get("class") == "node")


def printed(stdout):
    """{name: number} from the `name = number` lines the command prints."""
    return {name: float(number) for name, number in re.findall(r"^(\S+) = (\S+)$", stdout,
                                                               re.MULTILINE)}


# --- success

def test_graph_prints_value_and_gradients_and_writes_the_svg(run_cli, tmp_path):
    out = tmp_path / "graph.svg"
    result = run_cli("graph", "tanh(a * b + exp(a))", "--at", "a=2,b=-3", "-o", out)
    assert result.returncode == 0, result.stderr
    values = printed(result.stdout)
    t = math.tanh(2 * -3 + math.exp(2))
    assert values["value"] == pytest.approx(t, rel=1e-15)
    # ∂/∂a tanh(ab + e^a) = (1 − t²)(b + e^a), ∂/∂b = (1 − t²)·a
    assert values["a.grad"] == pytest.approx((1 - t * t) * (-3 + math.exp(2)), rel=1e-12)
    assert values["b.grad"] == pytest.approx((1 - t * t) * 2, rel=1e-12)
    assert result.stdout.endswith(f"wrote {out}\n")
    assert node_count(out) == 6 + 4         # a, b, a·b, e^a, sum, tanh; four operations


def test_graph_options_reach_the_picture(run_cli, tmp_path):
    out = tmp_path / "graph.dot"
    result = run_cli("graph", "a * b + a", "--at", "a=2,b=-3", "-o", out, "--edge-labels",
                     "--highlight", "b", "--rankdir", "TB")
    assert result.returncode == 0, result.stderr
    source = out.read_text()
    assert "rankdir=TB" in source and "#d62728" in source
    assert re.search(r"v0 -> op2 \[label=-3 ", source)      # ∂(ab)/∂a = b on a's edge
    assert "1 chain-rule path from b to a * b + a" in source


def test_graph_of_numbers_only_needs_no_bindings(run_cli, tmp_path):
    result = run_cli("graph", "2 ** 3", "-o", tmp_path / "n.dot")
    assert result.returncode == 0, result.stderr
    assert printed(result.stdout) == {"value": 8.0}


def test_graph_network_draws_the_article_network_with_its_cost(run_cli, tmp_path):
    out = tmp_path / "net.svg"
    result = run_cli("graph", "--network", "-o", out, "--highlight", "w7")
    assert result.returncode == 0, result.stderr
    values = printed(result.stdout)
    # The article's forward pass in plain floats: z = Σ w·a + b, a = σ(z), C = ½ Σ (y − a)²
    sigma = lambda z: 1 / (1 + math.exp(-z))                           # noqa: E731
    x = (0.05, 0.10)
    hidden = [sigma(w1 * x[0] + w2 * x[1] + 0.35)
              for w1, w2 in ((0.15, 0.20), (0.25, 0.30), (0.35, 0.40))]
    outputs = [sigma(sum(w * a for w, a in zip(ws, hidden)) + 0.60)
               for ws in ((0.45, 0.50, 0.55), (0.60, 0.65, 0.70))]
    cost = 0.5 * ((0.01 - outputs[0]) ** 2 + (0.99 - outputs[1]) ** 2)
    assert values["C"] == pytest.approx(cost, rel=1e-12)
    # ∂C/∂w7 = (a_o1 − y1)·σ'(z_o1)·a_h1, the article's chain rule by hand
    a_o1 = outputs[0]
    assert values["w7.grad"] == pytest.approx((a_o1 - 0.01) * a_o1 * (1 - a_o1) * hidden[0],
                                              rel=1e-12)
    assert len(values) == 1 + 17            # C and the 12 weights and 5 biases
    text = [t.text for t in ElementTree.parse(out).getroot().iter(f"{SVG}text")]
    assert "hidden layer" in text and "output layer" in text
    assert "highlighted: 1 chain-rule path from w7 to C" in text


def test_graph_network_without_clusters(run_cli, tmp_path):
    out = tmp_path / "net.dot"
    assert run_cli("graph", "--network", "--no-clusters", "-o", out).returncode == 0
    assert "subgraph" not in out.read_text()


def test_graph_uses_the_renderer_named_by_the_environment(run_cli, tmp_path):
    out = tmp_path / "g.svg"
    result = run_cli("graph", "a * a", "--at", "a=3", "-o", out,
                     env={"TINYGRAD_BP_DOT": PURE})
    assert result.returncode == 0, result.stderr
    assert "(graphviz-pure)" in out.read_text()


# --- bad usage: exit status 2, nothing written

@pytest.mark.parametrize("expression, construct, column", [
    ("a.__class__", "attribute access is not allowed", 3),
    ("__import__('os').system('true')", "attribute access is not allowed", 18),
    ("__import__('os')", "call of '__import__' is not allowed", 1),
    ("open(a)", "call of 'open' is not allowed", 1),
    ("(lambda: a)()", "lambda is not allowed", 2),
    ("(a + 1)(a)", "only calls of exp, log, tanh, sigmoid, relu, sin, cos by name", 1),
    ("a[0]", "subscript is not allowed", 1),
    ("exp(a, a)", "exp takes exactly one argument, got 2", 1),
    ("a // 2", "operator // is not allowed", 3),
    ("a +* 2", "invalid syntax", 4),
])
def test_graph_rejects_disallowed_expressions_with_construct_and_column(
        run_cli, tmp_path, expression, construct, column):
    result = run_cli("graph", expression, "--at", "a=1", "-o", tmp_path / "g.svg")
    assert result.returncode == 2
    assert f"error: in EXPR, column {column}: {construct}" in result.stderr
    caret_line = result.stderr.splitlines()[-1]
    assert caret_line == "  " + " " * (column - 1) + "^"
    assert list(tmp_path.iterdir()) == []


def test_graph_rejects_an_unbound_variable(run_cli, tmp_path):
    result = run_cli("graph", "a * b", "--at", "a=1", "-o", tmp_path / "g.svg")
    assert result.returncode == 2
    assert "no value for 'b' in 'a * b': give one as b=NUMBER" in result.stderr


def test_graph_rejects_an_unused_binding(run_cli, tmp_path):
    result = run_cli("graph", "a * b", "--at", "a=1,b=2,c=3", "-o", tmp_path / "g.svg")
    assert result.returncode == 2
    assert "'c' bound but not used in 'a * b'" in result.stderr


@pytest.mark.parametrize("bindings, problem", [
    ("a=1,b", "in --at, column 5: 'b' is not of the form name=number"),
    ("a=1,b=x", "in --at, column 5: b='x': the value is not a number"),
    ("a=1,a=2", "in --at, column 5: 'a' is bound twice"),
])
def test_graph_rejects_malformed_bindings(run_cli, tmp_path, bindings, problem):
    result = run_cli("graph", "a * 2", "--at", bindings, "-o", tmp_path / "g.svg")
    assert result.returncode == 2
    assert problem in result.stderr


@pytest.mark.parametrize("args, problem", [
    (["a"], "the following arguments are required: -o/--output"),
    (["-o", "g.svg"], "give either EXPR or --network"),
    (["a", "--network", "-o", "g.svg"], "give either EXPR or --network"),
    (["--network", "--at", "a=1", "-o", "g.svg"], "--network has its own inputs"),
    (["a", "--at", "a=1", "-o", "g.gif"], "cannot tell the format of -o 'g.gif'"),
    (["a", "--at", "a=1", "-o", "g.svg", "--rankdir", "XY"], "invalid choice: 'XY'"),
    (["a", "--at", "a=1", "-o", "g.svg", "--max-nodes", "0"], "must be a positive integer"),
    (["--network", "-o", "g.svg", "--highlight", "w13"], "no node labelled 'w13' in the graph of C"),
])
def test_graph_usage_errors_exit_with_status_2(run_cli, tmp_path, args, problem):
    result = run_cli("graph", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert problem in result.stderr
    assert list(tmp_path.iterdir()) == []


# --- failures: exit status 1, nothing written

def test_graph_reports_a_failed_computation_with_status_1(run_cli, tmp_path):
    result = run_cli("graph", "log(a)", "--at", "a=-1", "-o", tmp_path / "g.svg")
    assert result.returncode == 1
    assert "computation failed: log('a' (data=-1)): log is defined only for x > 0" \
        in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_graph_over_the_size_limit_says_how_to_raise_it(run_cli, tmp_path):
    result = run_cli("graph", "--network", "-o", tmp_path / "net.svg", "--max-nodes", "50")
    assert result.returncode == 1
    assert "would lay out 105 nodes (54 Values, 35 operations, 16 bends" in result.stderr and "--max-nodes" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_graph_without_a_renderer_fails_with_status_1_and_the_way_out(run_cli, tmp_path):
    result = run_cli("graph", "a * 2", "--at", "a=1", "-o", tmp_path / "g.svg",
                     env={"TINYGRAD_BP_DOT": str(tmp_path / "no-such-dot")})
    assert result.returncode == 1
    assert "TINYGRAD_BP_DOT=" in result.stderr and "is not an executable" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_graph_renderer_failure_shows_its_stderr(run_cli, tmp_path):
    renderer = fake_executable(tmp_path / "bin", "failing-dot",
                               "echo 'Error: cannot lay this out' >&2\nexit 1")
    (tmp_path / "out").mkdir()
    result = run_cli("graph", "a * 2", "--at", "a=1", "-o", tmp_path / "out" / "g.svg",
                     env={"TINYGRAD_BP_DOT": renderer})
    assert result.returncode == 1
    assert "drawing failed" in result.stderr and "cannot lay this out" in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_graph_pdf_with_graphviz_pure_exits_2_saying_pdf_needs_graphviz(run_cli, tmp_path):
    result = run_cli("graph", "a * 2", "--at", "a=1", "-o", tmp_path / "g.pdf",
                     env={"TINYGRAD_BP_DOT": PURE})
    assert result.returncode == 2
    assert "PDF needs Graphviz's dot" in result.stderr and "apt-get install graphviz" \
        in result.stderr and "not recognized" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.mkdir(), "it is a directory"),
    (lambda p: (p.write_text("old"), p.chmod(0o444)), r"it is read-only \(mode 0444\)")])
def test_graph_write_errors_name_the_users_path_and_the_reason(run_cli, tmp_path, make, reason):
    target = tmp_path / "g.svg"
    make(target)
    result = run_cli("graph", "a * 2", "--at", "a=1", "-o", target)
    assert result.returncode == 1
    assert re.search(rf"cannot write '{target}': {reason}", result.stderr), result.stderr
    assert ".tmp" not in result.stderr and [p.name for p in tmp_path.iterdir()] == ["g.svg"]


def test_graph_help_epilog_lists_one_example_per_line(run_cli):
    lines = run_cli("graph", "--help").stdout.splitlines()
    examples = lines[lines.index("examples:") + 1:]
    assert examples and all(line.split()[:2] == ["tinygrad-bp", "graph"] for line in examples)
    assert not any("|" in line for line in examples)


@pytest.mark.parametrize("expression", [["--x"], ["--", "-x"]])
def test_graph_takes_an_expression_starting_with_minus_or_after_a_double_dash(run_cli,
                                                                            tmp_path,
                                                                            expression):
    result = run_cli("graph", *expression, "--at", "x=1", "-o", tmp_path / "g.dot")
    assert result.returncode == 0, result.stderr
    value = 1.0 if expression == ["--x"] else -1.0
    assert printed(result.stdout)["value"] == value
    assert f"data {value:g} | grad 1" in (tmp_path / "g.dot").read_text()


def test_graph_highlight_error_names_the_expression_as_typed(run_cli, tmp_path):
    result = run_cli("graph", "x * y", "--at", "x=2,y=3", "-o", tmp_path / "g.svg",
                     "--highlight", "z")
    assert result.returncode == 2
    assert "in the graph of x * y " in result.stderr and "Value(" not in result.stderr


def test_graph_labels_the_root_with_a_long_expression_shortened(run_cli, tmp_path):
    result = run_cli("graph", "+".join(["x"] * 100), "--at", "x=1", "-o", tmp_path / "g.dot")
    assert result.returncode == 0, result.stderr
    assert '"x+x+x+x+x+x+x+x+x+x+x+x+x+x+x…+x+x+x+x+x | data 100 | grad 1"' \
        in (tmp_path / "g.dot").read_text()


def test_graph_of_the_issues_150_term_sum_is_drawn_by_each_renderer(run_cli, renderer,
                                                                   tmp_path):
    out = tmp_path / "f.svg"
    result = run_cli("graph", "+".join(["x"] * 150), "--at", "x=1", "-o", out,
                     env={"TINYGRAD_BP_DOT": renderer}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "x.grad = 150.0" in result.stdout and out.read_text().rstrip().endswith("</svg>")


def test_graph_timeout_stops_a_hanging_renderer(run_cli, tmp_path):
    renderer = fake_executable(tmp_path / "bin", "hanging-dot", "sleep 300")
    (tmp_path / "out").mkdir()
    result = run_cli("graph", "a * 2", "--at", "a=1", "-o", tmp_path / "out" / "g.svg",
                     "--timeout", "0.5", env={"TINYGRAD_BP_DOT": renderer}, timeout=30)
    assert result.returncode == 1
    assert "took more than 0.5 s and was stopped" in result.stderr and "--timeout" \
        in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_graph_of_a_gradient_that_overflows_exits_1(run_cli, tmp_path):
    target = tmp_path / "g.svg"
    result = run_cli("graph", "(a * 1e200) * (a * 1e200)", "--at", "a=1e-50", "-o", target)
    assert result.returncode == 1
    assert "computation failed" in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()


def test_graph_output_named_only_by_a_suffix_is_bad_usage(run_cli, tmp_path):
    result = run_cli("graph", "a", "--at", "a=1", "-o", tmp_path / ".svg")
    assert result.returncode == 2
