"""`tinygrad-bp demo`: the article replayed, end to end through a real subprocess."""

import os
import re
import xml.etree.ElementTree as ET

import pytest

from tinygrad_bp import demo
from tinygrad_bp.cli import main
from tinygrad_bp.demo import draw, replay
from tinygrad_bp.engine import trace
from tinygrad_bp.losses import mse
from tinygrad_bp.nn import article_network

from helpers import sigmoid


def article_by_hand():
    """The NOTES.md formulas for the default 2-3-2 network, with floats only."""
    x, y = (0.05, 0.10), (0.01, 0.99)
    w = [0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70]
    z_h = [w[2 * j] * x[0] + w[2 * j + 1] * x[1] + 0.35 for j in range(3)]
    a_h = [sigmoid(z) for z in z_h]
    z_o = [sum(w[6 + 3 * j + k] * a_h[k] for k in range(3)) + 0.60 for j in range(2)]
    a_o = [sigmoid(z) for z in z_o]
    cost = 0.5 * sum((y[j] - a_o[j]) ** 2 for j in range(2))
    d_o = [(a_o[j] - y[j]) * a_o[j] * (1 - a_o[j]) for j in range(2)]
    dw7 = d_o[0] * a_h[0]
    dw1 = (d_o[0] * w[6] + d_o[1] * w[9]) * a_h[0] * (1 - a_h[0]) * x[0]
    return {"a_o1": a_o[0], "C": cost, "w7": dw7, "w1": dw1}


@pytest.fixture(scope="module")
def demo_output(run_cli, tmp_path_factory):
    """One real run of the command, shared by the tests that only read its output."""
    folder = tmp_path_factory.mktemp("demo")
    return run_cli("demo", cwd=folder), folder


def number_after(text, pattern):
    return float(re.search(pattern + r"\s*=?\s*(-?[\d.e-]+)", text).group(1))


def test_demo_succeeds_and_writes_the_default_svg(demo_output):
    result, folder = demo_output
    assert result.returncode == 0, result.stderr
    svg = folder / "tinygrad-bp-demo.svg"
    assert f"wrote {svg.name}" in result.stdout
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")


def test_demo_prints_the_cost_of_the_notes_formulas(demo_output):
    expected = article_by_hand()
    assert number_after(demo_output[0].stdout, r"C = ½ Σ_j \(y_j − a_oj\)²") == \
        pytest.approx(expected["C"], abs=1e-6)


def test_demo_prints_the_hand_derived_w7_and_w1_gradients(demo_output):
    expected = article_by_hand()
    rows = dict(re.findall(r"^   (w\d+|b\d)\s+(\S+)\s+\S+\s+\S+$", demo_output[0].stdout, re.M))
    assert len(rows) == 17
    assert float(rows["w7"]) == pytest.approx(expected["w7"], rel=1e-12)
    assert float(rows["w1"]) == pytest.approx(expected["w1"], rel=1e-12)


def test_demo_reports_engine_and_equations_agreeing(demo_output):
    largest = number_after(demo_output[0].stdout, r"largest difference:")
    assert largest < 1e-15


def test_demo_writes_out_one_path_for_w7_and_two_for_w1(demo_output):
    out = demo_output[0].stdout
    assert "∂C/∂w7: 1 path from C to w7" in out
    assert "∂C/∂w1: 2 paths from C to w1" in out
    assert "∂C/∂a_o1 · ∂a_o1/∂z_o1 · ∂z_o1/∂w7" in out


def test_demo_sgd_step_lowers_the_cost(demo_output):
    out = demo_output[0].stdout
    before = number_after(out, r"C before")
    after = number_after(out, r"C after")
    assert before == pytest.approx(article_by_hand()["C"], abs=1e-6)
    assert after < before


def test_demo_highlights_the_w7_path_in_the_svg(demo_output):
    svg = ET.parse(demo_output[1] / "tinygrad-bp-demo.svg").getroot()
    texts = " ".join(t.text or "" for t in svg.iter() if t.tag.endswith("text"))
    assert "1 chain-rule path from w7 to C" in texts


def test_no_svg_skips_the_picture(run_cli, tmp_path):
    result = run_cli("demo", "--no-svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []
    assert "Graph of C" not in result.stdout


def test_svg_option_chooses_the_path(run_cli, tmp_path):
    target = tmp_path / "article.svg"
    result = run_cli("demo", "--svg", target)
    assert result.returncode == 0, result.stderr
    ET.parse(target)


def test_unwritable_svg_path_exits_1_after_the_text(run_cli, tmp_path):
    result = run_cli("demo", "--svg", tmp_path / "missing" / "net.svg")
    assert result.returncode == 1
    assert "6. One SGD step" in result.stdout
    assert "--no-svg" in result.stderr
    assert not (tmp_path / "missing").exists()


def test_svg_and_no_svg_together_is_bad_usage(run_cli):
    result = run_cli("demo", "--svg", "a.svg", "--no-svg")
    assert result.returncode == 2


def test_replay_learning_rate_changes_the_step():
    small = [line for line in replay(lr=0.1, svg=None) if "C after" in line]
    large = [line for line in replay(lr=1.0, svg=None) if "C after" in line]
    assert small != large


def test_svg_path_without_the_svg_suffix_is_bad_usage_before_any_output(run_cli, tmp_path):
    result = run_cli("demo", "--svg", tmp_path / "net.txt")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "must end in .svg" in result.stderr


# --- the figure shows the engine's numbers (issue 9, item 1)

def fresh_cost_nodes():
    """The nodes of the article's C after one C.backward(), in trace order: node v<i> of
    the figure is the i-th."""
    net, x, y = article_network()
    C = mse(net(x), y)
    C.backward()
    return trace(C)


def assert_shows_one_backward(drawn):
    """`drawn` maps node index i to (grad as shown, grad in the tooltip) for every Value."""
    nodes = fresh_cost_nodes()
    assert sorted(drawn) == list(range(len(nodes)))          # every Value is drawn
    for i, (shown, tooltip) in drawn.items():
        true = nodes[i].grad
        assert float(tooltip) == true, (i, nodes[i])
        digits = len(re.sub(r"^[-0.]*|e.*$|\.", "", shown)) or 1
        assert float(shown) == float(f"{true:.{digits}g}"), (i, nodes[i], shown)
        assert float(shown) == pytest.approx(true, rel=5e-4, abs=1e-300)


def test_demo_figure_source_shows_every_gradient_of_one_backward(tmp_path):
    path = tmp_path / "demo.dot"          # the DOT source: needs no renderer
    list(replay(svg=path))
    drawn = {}
    for line in path.read_text().splitlines():
        node = re.match(r'\s*v(\d+) \[.*\blabel="([^"]*)".*\btooltip="([^"]*)"', line)
        if node:
            shown = re.search(r"grad (\S+?)(?: |$)", node.group(2)).group(1)
            drawn[int(node.group(1))] = (shown, node.group(3).rsplit("grad = ", 1)[1])
    assert_shows_one_backward(drawn)


def renderer_or_skip():
    from tinygrad_bp import viz
    try:
        return viz.find_renderer()
    except viz.RendererNotFound as error:
        if os.environ.get("TINYGRAD_BP_REQUIRE_DOT") == "1":
            raise
        pytest.skip(f"no Graphviz renderer here: {error}")


def test_demo_svg_shows_every_gradient_of_one_backward(demo_output):
    renderer_or_skip()
    svg = ET.parse(demo_output[1] / "tinygrad-bp-demo.svg").getroot()
    drawn = {}
    for group in svg.iter("{http://www.w3.org/2000/svg}g"):
        title = group.find("{http://www.w3.org/2000/svg}title")
        if title is None or not re.fullmatch(r"v\d+", title.text or ""):
            continue
        link = next(e for e in group.iter() if e.tag.endswith("}a"))
        tooltip = link.get("{http://www.w3.org/1999/xlink}title")
        texts = [t.text for t in group.iter() if t.tag.endswith("}text")]
        shown = next(t for t in texts if t.startswith("grad ")).split()[1]
        drawn[int(title.text[1:])] = (shown, tooltip.rsplit("grad = ", 1)[1])
    assert_shows_one_backward(drawn)


# --- what the demo prints, in the article's order (issue 9, item 8)

def test_demo_prints_the_starting_weights_and_biases(demo_output):
    out = demo_output[0].stdout
    section = out[out.index("1. The network (figure 1)"):out.index("2. Forward pass")]
    printed = dict(re.findall(r"\b([wb]\d+)=(\S+)", section))
    net, _, _ = article_network()
    assert printed == {p.label: f"{p.data:g}" for p in net.parameters()}


def test_demo_sections_follow_the_article(demo_output):
    out = demo_output[0].stdout
    titles = re.findall(r"^(\d)\. (.*)$", out, re.MULTILINE)
    assert [int(n) for n, _ in titles] == list(range(1, 8))
    order = ["The network (figure 1)", "Forward pass", "Cost (section 3)",
             "chain rule by hand (section 5)", "four equations (section 6)", "SGD step",
             "Graph of C"]
    assert all(word in title for word, (_, title) in zip(order, titles)), titles
    assert out.index("∂C/∂w1: 2 paths") < out.index("BP1: δ^L") < out.index("All 17 gradients")


def test_draw_writes_both_pictures_and_returns_the_report_lines(tmp_path):
    lines = draw(tmp_path / "net.svg")
    assert lines[1].endswith(f"wrote {tmp_path / 'net.svg'}")
    assert lines[2].endswith(f"wrote {tmp_path / 'net-network.svg'}")
    for name in ("net.svg", "net-network.svg"):
        assert ET.parse(tmp_path / name).getroot().tag.endswith("svg")


def test_replay_ends_with_the_lines_of_draw(tmp_path):
    assert list(replay(svg=tmp_path / "a.svg"))[-3:] == draw(tmp_path / "a.svg")


def test_an_error_in_the_text_is_not_reported_as_a_failed_drawing(monkeypatch, tmp_path):
    def broken(lr, svg):
        raise ValueError("the text broke")
        yield                                   # a generator, like replay
    monkeypatch.setattr(demo, "replay", broken)
    with pytest.raises(ValueError, match="the text broke"):
        main(["demo", "--svg", str(tmp_path / "a.svg")])
