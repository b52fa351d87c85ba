"""The step-through page as written: its steps against the engine, its bytes, its safety.

What the page does in a browser is tested in test_viz_steps_browser.py.
"""

import base64
import hashlib
import html
import json
import os
import re

import pytest
from hypothesis import given, settings

from tinygrad_bp import Value, explain
from tinygrad_bp.engine import edges, trace
from tinygrad_bp.viz import GraphTooLarge, StepsPage, render, steps_page

from test_check_random_graphs import inputs, random_graph
from test_check_random_graphs import steps as recipes
from test_viz_dot import article_cost, readme_graph


def page_data(page):
    """The JSON the page's script reads."""
    text = page.html.split('<script type="application/json" id="steps-data">')[1]
    return json.loads(text.split("</script>")[0])


def fresh_article_cost():
    """The article's cost before backward(): the page must not need it."""
    from tinygrad_bp import article_network, mse
    net, x, y = article_network()
    return mse(net(x), y)


def by_label(root):
    return {v.label: v for v in trace(root) if v.label}


@pytest.fixture(scope="module")
def article_page():
    return steps_page(fresh_article_cost())


# --- the steps

def test_there_is_a_step_per_operation_then_one_for_the_root_then_one_per_edge(article_page):
    nodes = trace(article_cost())
    kinds = [step["kind"] for step in article_page.steps]
    operations = sum(1 for v in nodes if v.parents)
    assert kinds == (["start"] + ["forward"] * operations + ["seed"]
                     + ["edge"] * len(edges(nodes)))


def test_forward_steps_follow_the_engines_topological_order(article_page):
    nodes = trace(article_cost())
    forward = [step["node"] for step in article_page.steps if step["kind"] == "forward"]
    assert forward == [i for i, v in enumerate(nodes) if v.parents]


def test_a_forward_step_writes_the_operation_out_with_names_then_numbers(article_page):
    cost = article_cost()
    z_o1 = by_label(cost)["z_o1"]
    step = next(s for s in article_page.steps
                if s["kind"] == "forward" and s["node"] == trace(cost).index(z_o1))
    partial = z_o1.parents[0].data                  # w7·a_h1 + w8·a_h2 + w9·a_h3
    assert step["text"].splitlines()[1] == (
        f"z_o1 = w7·a_h1 + w8·a_h2 + w9·a_h3 + b4 = {partial:.6g} + 0.6 = {z_o1.data:.6g}")
    assert step["value"] == f"{z_o1.data:.4g}"


def test_backward_steps_follow_the_edges_in_the_order_backward_runs(article_page):
    nodes = trace(article_cost())
    expected = [(nodes.index(u), nodes.index(p)) for u in reversed(nodes) for p in u.parents]
    steps = [(s["from"], s["to"]) for s in article_page.steps if s["kind"] == "edge"]
    assert steps == expected


def test_the_last_running_sum_of_each_node_is_its_grad_after_backward(article_page):
    nodes = trace(article_cost())
    shown = {}
    for step in article_page.steps:
        if step["kind"] in ("edge", "seed"):
            shown[step.get("to", step.get("node"))] = step["grad"]
    assert shown == {i: f"{v.grad:.4g}" for i, v in enumerate(nodes)}


def test_a_node_with_two_consumers_shows_its_sum_term_by_term(article_page):
    cost = article_cost()
    nodes = trace(cost)
    a_h1 = by_label(cost)["a_h1"]
    terms = [u.grad * local for u in reversed(nodes)
             for p, local in zip(u.parents, u.local_grads) if p is a_h1]
    steps = [s for s in article_page.steps if s["kind"] == "edge" and s["to"] == nodes.index(a_h1)]
    assert len(terms) == len(steps) == 2
    assert steps[0]["text"].splitlines()[2] == (f"∂C/∂a_h1 = {terms[0]:.6g}   (term 1 of 2: "
                                                f"more to come from other consumers)")
    written = " + ".join(f"({t:.6g})" if t < 0 else f"{t:.6g}" for t in terms)
    assert steps[1]["text"].splitlines()[2] == (
        f"∂C/∂a_h1 = {written} = {a_h1.grad:.6g}   (term 2 of 2: complete)")
    assert not steps[0]["complete"] and steps[1]["complete"]


def test_an_edge_step_multiplies_the_gradient_by_the_local_derivative(article_page):
    cost = article_cost()
    nodes = trace(cost)
    w7 = by_label(cost)["w7"]
    step = next(s for s in article_page.steps if s["kind"] == "edge"
                and s["to"] == nodes.index(w7))
    consumer = nodes[step["from"]]
    assert step["text"].splitlines()[1] == (
        f"∂C/∂(w7·a_h1) · ∂(w7·a_h1)/∂w7 = {consumer.grad:.6g} · "
        f"{consumer.local_grads[0]:.6g} = {w7.grad:.6g}, added into ∂C/∂w7")


def test_an_operand_used_twice_receives_two_terms():
    a = Value(3.0, label="a")
    root = a * a
    steps = [s for s in steps_page(root).steps if s["kind"] == "edge"]
    assert [(s["from"], s["to"], s["complete"]) for s in steps] == [(1, 0, False), (1, 0, True)]
    assert steps[1]["text"].splitlines()[2] == \
        "∂(a·a)/∂a = 3 + 3 = 6   (term 2 of 2: complete)"


def test_a_leaf_alone_has_only_the_start_and_the_root_step():
    x = Value(2.0, label="x")
    steps = steps_page(x).steps
    assert [s["kind"] for s in steps] == ["start", "seed"]
    assert steps[1]["text"] == ("Backward pass begins at the root: ∂x/∂x = 1\nDone: every node "
                                "shows ∂x/∂v, which is v.grad after x.backward().")


@settings(max_examples=25)
@given(inputs, recipes)
def test_on_random_graphs_the_sums_end_at_backwards_grads_and_the_checks_pass(xs, recipe):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    root = random_graph(recipe)(*leaves)
    page = steps_page(root)
    root.backward()
    nodes = trace(root)
    shown = {}
    for step in page.steps[1:]:
        if step["kind"] != "forward":
            shown[step["to"] if "to" in step else step["node"]] = step["grad"]
    assert shown == {i: f"{v.grad:.4g}" for i, v in enumerate(nodes)}
    for node in page_data(page)["nodes"][:-1]:
        verdict = node["check"].splitlines()[-1]
        assert (verdict == "the input passes" or "kink" in node["check"]
                or node["check"].startswith("no numerical check: a step")), node["check"]


def test_the_page_leaves_every_grad_as_it_was():
    cost = fresh_article_cost()
    steps_page(cost)
    assert all(v.grad == 0.0 for v in trace(cost))
    cost.backward()
    before = [v.grad for v in trace(cost)]
    steps_page(cost)
    assert [v.grad for v in trace(cost)] == before


def test_names_bracket_by_precedence():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    root = ((a + b) * a - (a - b) / -b) ** 2
    data = page_data(steps_page(root))
    assert data["nodes"][-1]["name"] == "((a + b)·a - (a - b) / -b)^2"


def test_each_node_carries_its_chain_rule_and_numerical_check(article_page):
    cost = article_cost()
    data = page_data(article_page)
    w1 = trace(cost).index(by_label(cost)["w1"])
    assert data["nodes"][w1]["chain"] == explain(cost, "w1").equation()
    check = data["nodes"][w1]["check"]
    row = next(line for line in check.splitlines() if line.startswith("w1 "))
    analytic, numerical = map(float, row.split()[1:3])
    assert analytic == pytest.approx(by_label(cost)["w1"].grad, rel=1e-5)
    assert numerical == pytest.approx(by_label(cost)["w1"].grad, rel=1e-5)
    assert row.split()[-1] == "ok"


def test_an_inner_nodes_numerical_check_moves_the_node_itself(article_page):
    cost = article_cost()
    data = page_data(article_page)
    z_o1 = by_label(cost)["z_o1"]
    check = data["nodes"][trace(cost).index(z_o1)]["check"]
    assert check.startswith("C recomputed with z_o1 moved by ±h, the nodes it is computed "
                            "from held fixed:")
    row = next(line for line in check.splitlines() if line.startswith("z_o1 "))
    assert float(row.split()[2]) == pytest.approx(z_o1.grad, rel=1e-5)


def test_a_custom_operation_has_no_numerical_check_and_says_why():
    x = Value(1.5, label="x")
    y = Value(x.data ** 3, parents=(x,), local_grads=(3 * x.data ** 2,), op="cube")
    root = y.tanh()
    data = page_data(steps_page(root))
    assert "the operation 'cube'" in data["nodes"][0]["check"]
    assert "ok" in data["nodes"][1]["check"]          # y itself: only tanh follows it


@pytest.mark.parametrize("op, parents", [("-", 1), ("exp", 2), ("* 2", 2), ("+ x", 1)])
def test_a_custom_node_named_like_a_built_in_one_is_not_redone(op, parents):
    x = Value(1.5, label="x")
    y = Value(7.0, parents=(x,) * parents, local_grads=(1.0,) * parents, op=op)
    data = page_data(steps_page(y * 2))
    assert data["nodes"][0]["check"].startswith("no numerical check")


def test_a_graph_whose_leaf_changed_after_the_forward_pass_is_not_checked_wrongly():
    x = Value(1.5, label="x")
    y = (x * x).tanh()
    x.data = 2.0                        # as an optimiser step would, after the forward pass
    data = page_data(steps_page(y))
    assert data["nodes"][0]["check"].startswith("no numerical check: recomputing")


# --- the page as a file

def test_the_same_graph_gives_the_same_bytes(article_page):
    assert steps_page(fresh_article_cost()).html == article_page.html


def test_the_csp_allows_exactly_the_pages_own_script_and_style(article_page):
    text = article_page.html
    policy = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"',
                                     text).group(1))
    script = re.search(r"<script>(.*?)</script>", text, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)

    def digest(body):
        return "sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()

    assert policy == (f"default-src 'none'; script-src '{digest(script)}'; style-src "
                      f"'{digest(style)}'; base-uri 'none'; form-action 'none'")
    assert text.count("<script>") == 1 and text.count("<style>") == 1


def test_the_page_names_no_outside_resource(article_page):
    # NOTE: the SVG's namespaces are names, not addresses that anything fetches.
    addresses = set(re.findall(r"(?:https?:)?//[\w.-]+[\w/.-]*", article_page.html))
    assert addresses <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def test_a_label_cannot_inject_markup_or_script():
    a = Value(1.0, label="</script><script>alert(1)</script>")
    b = Value(2.0, label='<img src="https://x.invalid/p.png">')
    page = steps_page(a * b).html
    assert "<script>alert(1)" not in page and '<img src="https' not in page
    assert page.count("<script") == 2


def test_render_writes_the_page_for_an_html_suffix(tmp_path):
    path = render(readme_graph(), tmp_path / "steps.html")
    assert path.read_text(encoding="utf-8") == steps_page(readme_graph()).html
    assert os.listdir(tmp_path) == ["steps.html"]


def test_the_size_guard_refuses_a_large_graph_and_the_override_draws_it(tmp_path):
    x = Value(0.5, label="x")
    for _ in range(60):
        x = x * 0.9 + 0.01
    with pytest.raises(GraphTooLarge, match="max_nodes"):
        render(x, tmp_path / "big.html", max_nodes=100)
    assert not (tmp_path / "big.html").exists()
    assert render(x, tmp_path / "big.html", max_nodes=300).stat().st_size > 0


def test_a_failed_page_leaves_the_file_as_it_was(tmp_path):
    target = tmp_path / "steps.html"
    target.write_text("before")
    with pytest.raises(ValueError, match="show_grad"):
        render(readme_graph(), target, show_grad=False)
    assert target.read_text() == "before" and os.listdir(tmp_path) == ["steps.html"]


def test_a_page_is_made_from_a_value_not_from_a_drawn_view_or_dot_source(tmp_path):
    from tinygrad_bp.viz import draw_dot, save_picture
    with pytest.raises(TypeError, match="made from a Value"):
        render(draw_dot(readme_graph()), tmp_path / "steps.html")
    with pytest.raises(ValueError, match="made from a Value"):
        save_picture(draw_dot(readme_graph()).source, tmp_path / "steps.html")
    assert os.listdir(tmp_path) == []


def test_steps_page_needs_a_value():
    with pytest.raises(TypeError, match="steps_page needs a Value"):
        steps_page(1.0)


def test_jupyter_shows_the_page_in_a_sandboxed_iframe(article_page):
    shown = article_page._repr_html_()
    assert shown.count("<iframe") == 1 and 'sandbox="allow-scripts"' in shown
    srcdoc = re.search(r'srcdoc="([^"]*)"', shown).group(1)
    assert html.unescape(srcdoc) == article_page.html


def test_repr_says_what_the_page_holds(article_page):
    assert repr(article_page) == ("<StepsPage of C: 54 Values, 35 operations, 60 edges: "
                                  "96 steps; .html holds the page>")
    assert isinstance(article_page, StepsPage)


# --- the command line, as a real subprocess

def test_graph_writes_the_page_for_an_html_output(run_cli, tmp_path):
    done = run_cli("graph", "tanh(a * b + exp(a))", "--at", "a=2,b=-3", "-o", "steps.html",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "steps.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and 'id="step-text"' in text


def test_graph_network_and_demo_write_the_same_page(run_cli, tmp_path):
    graph = run_cli("graph", "--network", "-o", "net.html", cwd=tmp_path)
    demo = run_cli("demo", "--no-svg", "--html", "demo.html", cwd=tmp_path)
    assert graph.returncode == demo.returncode == 0, graph.stderr + demo.stderr
    assert "8. The forward and backward pass step by step" in demo.stdout
    assert (tmp_path / "net.html").read_bytes() == (tmp_path / "demo.html").read_bytes()
    assert (tmp_path / "demo.html").read_text(encoding="utf-8") == \
        steps_page(fresh_article_cost()).html


def test_graph_refuses_a_page_of_the_neuron_view(run_cli, tmp_path):
    done = run_cli("graph", "--network", "--view", "neurons", "-o", "net.html", cwd=tmp_path)
    assert done.returncode == 2 and "use --view graph" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_demo_html_needs_the_html_suffix(run_cli, tmp_path):
    done = run_cli("demo", "--no-svg", "--html", "page.htm", cwd=tmp_path)
    assert done.returncode == 2 and "must end in .html" in done.stderr


def test_demo_reports_a_page_it_cannot_write_with_status_1(run_cli, tmp_path):
    done = run_cli("demo", "--no-svg", "--html", str(tmp_path / "missing" / "steps.html"),
                   cwd=tmp_path)
    assert done.returncode == 1
    assert "writing the step-through page failed" in done.stderr and "does not exist" in done.stderr
