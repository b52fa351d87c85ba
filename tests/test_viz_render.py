"""render and the renderers: real Graphviz `dot` and graphviz-pure, each selected explicitly."""

import os
import signal
import stat
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import graphviz
import pytest

from tinygrad_bp.engine import Value, trace
from tinygrad_bp.viz import (DEFAULT_TIMEOUT, ENV_VAR, TIMEOUT_ENV_VAR, FormatUnavailable,
                            NoViewer, RenderError, RendererNotFound, RenderTimeout, draw_dot,
                            find_renderer, render, render_timeout, run_renderer)
from tinygrad_bp.viz.renderer import STDERR_SHOWN, signals_held

from helpers import ROOT, SVG
from renderers import ends_soon, fake_executable, hanging_renderer
from test_viz_dot import article_cost, readme_graph


def svg_nodes(path):
    """{node name: the texts drawn in it} for every node group of an SVG file."""
    root = ElementTree.parse(path).getroot()
    return {group.find(f"{SVG}title").text: [t.text for t in group.iter(f"{SVG}text")]
            for group in root.iter(f"{SVG}g") if group.get("class") == "node"}


def files_in(directory):
    return sorted(p.name for p in Path(directory).iterdir())


# --- SVG from each renderer

def test_svg_has_one_node_group_per_value_and_per_operation(renderer, tmp_path):
    c = readme_graph()
    nodes = trace(c)
    drawn = svg_nodes(render(c, tmp_path / "c.svg", renderer=renderer))
    expected = {f"v{i}" for i in range(len(nodes))} | {f"op{i}" for i, n in enumerate(nodes)
                                                      if n.parents}
    assert set(drawn) == expected and len(drawn) == len(expected)


def test_svg_nodes_show_labels_data_and_grads(renderer, tmp_path):
    drawn = svg_nodes(render(readme_graph(), tmp_path / "c.svg", renderer=renderer))
    assert drawn["v0"] == ["a", "data 2", "grad 0.9672"]
    assert drawn["v1"] == ["b", "data -3", "grad 0.4408"]
    assert drawn["op2"] == ["*"]
    assert drawn["v5"] == ["c", "data 0.883", "grad 1"]


def test_the_selected_renderer_is_the_one_that_ran(renderer, tmp_path):
    text = render(readme_graph(), tmp_path / "c.svg", renderer=renderer).read_text()
    generator = "(graphviz-pure)" if "graphviz-pure" in renderer else "graphviz version 2"
    assert generator in text


def test_article_network_svg_shows_clusters_and_highlight(renderer, tmp_path):
    cost = article_cost()
    path = render(cost, tmp_path / "net.svg", renderer=renderer, highlight="w1",
                  edge_labels=True)
    root = ElementTree.parse(path).getroot()
    clusters = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")
                if g.get("class") == "cluster"]
    assert clusters == ["cluster_hidden layer", "cluster_h1", "cluster_h2", "cluster_h3",
                        "cluster_output layer", "cluster_o1", "cluster_o2"]
    assert len(svg_nodes(path)) == sum(1 + bool(n.parents) for n in trace(cost))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "highlighted: 2 chain-rule paths from w1 to C" in texts


def test_svg_is_the_same_in_two_runs(renderer, tmp_path):
    first = render(article_cost(), tmp_path / "1.svg", renderer=renderer).read_bytes()
    second = render(article_cost(), tmp_path / "2.svg", renderer=renderer).read_bytes()
    assert first == second


def test_png_from_each_renderer_is_a_png(renderer, tmp_path):
    path = render(readme_graph(), tmp_path / "c.png", renderer=renderer)
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_pdf_from_debian_dot_is_a_pdf(debian_dot, tmp_path):
    path = render(readme_graph(), tmp_path / "c.pdf", renderer=debian_dot)
    assert path.read_bytes().startswith(b"%PDF")


def test_escaped_record_labels_render_as_written(debian_dot, tmp_path):
    x = Value(1.0, label='{x|<y>}"')
    out = x * 2
    out.backward()
    drawn = svg_nodes(render(out, tmp_path / "x.svg", renderer=debian_dot))
    assert drawn["v0"][0] == '{x|<y>}"'


# --- formats and files

def test_dot_suffix_writes_the_dot_source_without_a_renderer(tmp_path):
    c = readme_graph()
    path = render(c, tmp_path / "c.dot", renderer="/nonexistent/renderer", edge_labels=True)
    assert path.read_text() == draw_dot(c, edge_labels=True).source


def test_suffix_is_case_insensitive(pure, tmp_path):
    path = render(readme_graph(), tmp_path / "c.SVG", renderer=pure)
    assert ElementTree.parse(path).getroot().tag == f"{SVG}svg"


def test_render_returns_a_path(tmp_path):
    path = render(readme_graph(), str(tmp_path / "c.dot"))
    assert path == tmp_path / "c.dot" and isinstance(path, Path)


def test_unknown_suffix_is_rejected_and_writes_nothing(pure, tmp_path):
    with pytest.raises(ValueError, match="cannot tell the format of .*c.gif.* use one of "
                                         r"\.svg, \.png, \.jpg, \.jpeg, \.pdf, \.dot"):
        render(readme_graph(), tmp_path / "c.gif", renderer=pure)
    assert files_in(tmp_path) == []


def test_draw_options_reach_draw_dot(tmp_path):
    path = render(readme_graph(), tmp_path / "c.dot", rankdir="TB", highlight="b")
    assert "rankdir=TB" in path.read_text() and "#d62728" in path.read_text()


def test_written_file_gets_the_ordinary_mode_of_a_new_file(pure, tmp_path):
    mask = os.umask(0o022)
    try:
        path = render(readme_graph(), tmp_path / "c.svg", renderer=pure)
    finally:
        os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_missing_directory_is_a_clear_error(pure, tmp_path):
    with pytest.raises(FileNotFoundError, match="directory .*nowhere.* does not exist"):
        render(readme_graph(), tmp_path / "nowhere" / "c.svg", renderer=pure)


# --- failures leave nothing behind

def failing_renderer(directory, stderr=b"cannot draw that\n"):
    """A renderer that writes `stderr` and exits with status 3."""
    Path(directory).mkdir(exist_ok=True)
    (Path(directory) / "said").write_bytes(stderr)
    return fake_executable(directory, "failing-dot", f"cat '{directory}/said' >&2\nexit 3")


def test_renderer_failure_raises_with_its_stderr_and_leaves_no_file(tmp_path):
    renderer = failing_renderer(tmp_path / "bin")
    (tmp_path / "out").mkdir()
    with pytest.raises(RenderError, match="-Tsvg failed with exit status 3:\ncannot draw that") \
            as error:
        render(readme_graph(), tmp_path / "out" / "c.svg", renderer=renderer)
    assert error.value.stderr == "cannot draw that\n" and error.value.returncode == 3
    assert files_in(tmp_path / "out") == []


def test_failed_render_keeps_the_previous_file_unchanged(tmp_path):
    target = tmp_path / "c.svg"
    target.write_bytes(b"previous picture")
    with pytest.raises(RenderError):
        render(readme_graph(), target, renderer=failing_renderer(tmp_path / "bin"))
    assert target.read_bytes() == b"previous picture"
    assert files_in(tmp_path) == ["bin", "c.svg"]


def test_a_renderers_stderr_is_quoted_only_up_to_a_cap(tmp_path):
    renderer = failing_renderer(tmp_path, stderr=b"x" * (STDERR_SHOWN + 5000))
    with pytest.raises(RenderError) as error:
        run_renderer("digraph {}", "svg", renderer)
    assert error.value.stderr == "x" * STDERR_SHOWN + "\n… (5000 more bytes not shown)"


def test_pdf_with_graphviz_pure_is_refused_before_rendering_naming_graphviz(pure, tmp_path):
    with pytest.raises(FormatUnavailable, match="cannot write pdf .*PDF needs Graphviz's dot: "
                                                "install Graphviz .*apt-get install graphviz"):
        render(readme_graph(), tmp_path / "c.pdf", renderer=pure)
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("suffix, magic", [(".jpg", b"\xff\xd8\xff"), (".jpeg", b"\xff\xd8\xff"),
                                           (".png", b"\x89PNG")])
def test_formats_graphviz_pure_writes_are_accepted(pure, tmp_path, suffix, magic):
    path = render(readme_graph(), tmp_path / f"c{suffix}", renderer=pure)
    assert path.read_bytes().startswith(magic)


def test_failure_while_writing_removes_the_temporary_file(pure, tmp_path, monkeypatch):
    def fail(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        render(readme_graph(), tmp_path / "c.svg", renderer=pure)
    assert files_in(tmp_path) == []


def test_a_renderer_that_cannot_run_is_reported_at_render_time(tmp_path):
    with pytest.raises(RendererNotFound, match="cannot run the renderer .*nonexistent"):
        render(readme_graph(), tmp_path / "c.svg", renderer=str(tmp_path / "nonexistent"))
    assert files_in(tmp_path) == []


def test_run_renderer_reports_a_syntax_error_from_dot(debian_dot):
    with pytest.raises(RenderError, match="syntax error"):
        run_renderer("digraph { a -> ", "svg", debian_dot)


# --- finding the renderer

def test_dot_on_the_path_comes_before_graphviz_pure(tmp_path):
    dot = fake_executable(tmp_path, "dot")
    fake_executable(tmp_path, "graphviz-pure")
    assert find_renderer(environ={}, path=str(tmp_path)) == dot


def test_graphviz_pure_is_used_when_there_is_no_dot(tmp_path):
    pure = fake_executable(tmp_path, "graphviz-pure")
    assert find_renderer(environ={}, path=str(tmp_path)) == pure


def test_the_environment_variable_comes_first(tmp_path):
    fake_executable(tmp_path, "dot")
    (tmp_path / "elsewhere").mkdir()
    named = fake_executable(tmp_path / "elsewhere", "my-dot")
    assert find_renderer(environ={ENV_VAR: named}, path=str(tmp_path)) == named


def test_the_environment_variable_may_name_a_command_on_path(tmp_path):
    named = fake_executable(tmp_path, "my-dot")
    assert find_renderer(environ={ENV_VAR: "my-dot", "PATH": str(tmp_path)}) == named


def test_the_path_of_the_environment_is_searched_by_default(tmp_path):
    dot = fake_executable(tmp_path, "dot")
    assert find_renderer(environ={"PATH": str(tmp_path)}) == dot


def test_a_broken_environment_variable_is_an_error_naming_it(tmp_path):
    fake_executable(tmp_path, "dot")
    with pytest.raises(RendererNotFound, match=f"{ENV_VAR}='/no/such/dot' is not an "
                                               "executable"):
        find_renderer(environ={ENV_VAR: "/no/such/dot"}, path=str(tmp_path))


def test_no_renderer_is_an_executable_not_found_that_says_what_to_do(tmp_path):
    with pytest.raises(graphviz.ExecutableNotFound) as error:
        find_renderer(environ={}, path=str(tmp_path))
    message = str(error.value)
    assert isinstance(error.value, RendererNotFound)
    assert "pip install graphviz-pure" in message and "apt-get install graphviz" in message
    assert ENV_VAR in message and "The DOT source is still available" in message


def test_importing_viz_looks_for_no_renderer(tmp_path):
    # With the variable naming nothing, any lookup would fail: import and .dot must not.
    script = ("from tinygrad_bp import Value, viz; a = Value(1.0, label='a');"
              "viz.render(a * 2, 'a.dot'); print('ok')")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT),
                                          ENV_VAR: "/no/such/dot"})
    assert done.stdout == "ok\n", done.stderr
    assert (tmp_path / "a.dot").read_text().startswith('digraph "computation graph"')


def test_render_uses_the_renderer_the_environment_names(pure, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, pure)
    text = render(readme_graph(), tmp_path / "c.svg").read_text()
    assert "(graphviz-pure)" in text


def test_graphviz_pure_beside_this_python_is_found_without_path(pure, tmp_path):
    # pip puts graphviz-pure in this Python's scripts directory, on PATH or not.
    assert find_renderer(environ={"PATH": str(tmp_path)}) == pure


# --- Jupyter

def test_jupyter_shows_the_graph_as_svg_from_the_selected_renderer(pure, monkeypatch):
    monkeypatch.setenv(ENV_VAR, pure)
    bundle = draw_dot(readme_graph())._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert "(graphviz-pure)" in bundle["image/svg+xml"]


def test_jupyter_png_on_request(pure, monkeypatch):
    monkeypatch.setenv(ENV_VAR, pure)
    bundle = draw_dot(readme_graph())._repr_mimebundle_(include=["image/png", "image/svg+xml"],
                                                        exclude=["image/svg+xml"])
    assert list(bundle) == ["image/png"] and bundle["image/png"].startswith(b"\x89PNG")


# --- time limit

def test_a_renderer_past_its_timeout_is_killed_with_its_children(tmp_path):
    renderer = hanging_renderer(tmp_path)
    with pytest.raises(RenderTimeout, match=r"took more than 0.5 s and was stopped: .*timeout= "
                                            r"\(or TINYGRAD_BP_RENDER_TIMEOUT=seconds\)"):
        run_renderer("digraph {}", "svg", renderer, timeout=0.5)
    assert ends_soon(int((tmp_path / "child.pid").read_text()))


def test_a_timeout_is_a_render_error_and_writes_nothing(tmp_path):
    renderer = fake_executable(tmp_path / "bin", "hanging-dot", "sleep 300")
    (tmp_path / "out").mkdir()
    with pytest.raises(RenderError):
        render(readme_graph(), tmp_path / "out" / "c.svg", renderer=renderer, timeout=0.3)
    assert files_in(tmp_path / "out") == []


@pytest.mark.parametrize("environ, seconds", [({}, DEFAULT_TIMEOUT),
                                              ({TIMEOUT_ENV_VAR: "2.5"}, 2.5)])
def test_the_timeout_defaults_to_60_s_unless_the_environment_says(environ, seconds):
    assert DEFAULT_TIMEOUT == 60 and render_timeout(environ) == seconds


@pytest.mark.parametrize("text", ["0", "-1", "soon", "nan", "inf"])
def test_a_bad_timeout_in_the_environment_is_named(text):
    with pytest.raises(ValueError, match=f"{TIMEOUT_ENV_VAR}='{text}' must be a positive"):
        render_timeout({TIMEOUT_ENV_VAR: text})


# --- Ctrl-C and SIGTERM as the renderer starts

@pytest.fixture
def own_handlers():
    """The handlers of SIGINT and SIGTERM are put back as they were after the test."""
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in before.items():
        signal.signal(signum, handler)


def test_ctrl_c_while_popen_starts_the_renderer_still_kills_it(tmp_path, monkeypatch):
    started, pids = subprocess.Popen, []

    def ctrl_c_before_popen_returns(*args, **kwargs):
        process = started(*args, **kwargs)
        pids.append(process.pid)
        signal.raise_signal(signal.SIGINT)      # as a Ctrl-C just after the fork
        return process

    monkeypatch.setattr(subprocess, "Popen", ctrl_c_before_popen_returns)
    with pytest.raises(KeyboardInterrupt):
        run_renderer("digraph {}", "svg", hanging_renderer(tmp_path))
    assert len(pids) == 1 and ends_soon(pids[0])


def test_signals_in_a_held_block_reach_their_handlers_after_it_every_one(own_handlers):
    came = []

    def handler(signum, frame):
        came.append(signal.Signals(signum).name)
        raise RuntimeError(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    with pytest.raises(RuntimeError) as raised:
        with signals_held():
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGTERM)
            came.append("end of the block")
    assert came == ["end of the block", "SIGTERM", "SIGINT"]
    assert str(raised.value) == "SIGINT" and str(raised.value.__context__) == "SIGTERM"
    assert signal.getsignal(signal.SIGINT) is signal.getsignal(signal.SIGTERM) is handler


# --- graphviz.Digraph's own methods go through the same renderer lookup

def test_digraph_render_writes_the_source_and_an_svg_beside_it(pure, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, pure)
    monkeypatch.chdir(tmp_path)
    written = draw_dot(readme_graph()).render("gout")          # micrograd's notebook
    assert written == "gout.svg" and files_in(tmp_path) == ["gout", "gout.svg"]
    assert "(graphviz-pure)" in Path("gout.svg").read_text()
    assert Path("gout").read_text() == draw_dot(readme_graph()).source


def test_digraph_render_takes_format_outfile_and_cleanup(pure, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, pure)
    dot = draw_dot(readme_graph())
    assert dot.render(tmp_path / "g", format="png", cleanup=True) == str(tmp_path / "g.png")
    assert files_in(tmp_path) == ["g.png"]
    dot.render(outfile=tmp_path / "h.jpg")
    assert (tmp_path / "h.jpg").read_bytes().startswith(b"\xff\xd8\xff")
    assert files_in(tmp_path) == ["g.png", "h.gv", "h.jpg"]


def test_digraph_pipe_uses_the_selected_renderer(pure, monkeypatch):
    monkeypatch.setenv(ENV_VAR, pure)
    dot = draw_dot(readme_graph())
    assert "(graphviz-pure)" in dot.pipe(encoding="utf-8")
    assert dot.pipe("png").startswith(b"\x89PNG")


def test_digraph_render_of_pdf_with_graphviz_pure_says_pdf_needs_graphviz(pure, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv(ENV_VAR, pure)
    with pytest.raises(FormatUnavailable, match="PDF needs Graphviz's dot"):
        draw_dot(readme_graph()).render(tmp_path / "g", format="pdf")


def test_a_refused_digraph_render_writes_no_file(pure, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, pure)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FormatUnavailable):
        draw_dot(readme_graph()).render("gout2", format="pdf")
    with pytest.raises(FormatUnavailable):
        draw_dot(readme_graph()).render(outfile="h.pdf")
    assert files_in(tmp_path) == []                             # not even the DOT source


def test_digraph_view_without_a_display_fails_clearly_after_writing(pure, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv(ENV_VAR, pure)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(NoViewer, match=r"wrote '.*g.svg', but this machine has no display"):
        draw_dot(readme_graph()).view(tmp_path / "g")
    assert (tmp_path / "g.svg").exists()


def test_digraph_view_without_a_viewer_program_fails_clearly(pure, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, pure)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("PATH", str(tmp_path))                  # no xdg-open, no open
    with pytest.raises(NoViewer, match=r"found no program to show it"):
        draw_dot(readme_graph()).view(tmp_path / "g")
