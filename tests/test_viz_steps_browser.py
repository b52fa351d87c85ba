"""The step-through page in a real headless browser (Debian's chromium, driven by selenium).

Skipped with the reason when no browser is installed, unless TINYGRAD_BP_REQUIRE_BROWSER=1
(as `.ci/run` sets it): then a missing browser fails.
"""

import json
import os
import random
import shutil

import pytest

from tinygrad_bp import Value, explain
from tinygrad_bp.engine import edges, trace
from tinygrad_bp.viz import steps_page

from test_check_random_graphs import random_graph
from test_viz_dot import article_cost
from test_viz_steps import fresh_article_cost

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
REQUIRED = os.environ.get("TINYGRAD_BP_REQUIRE_BROWSER") == "1"
# NOTE: nothing that would reach out on its own (updates, sync, QUIC probes), and a fresh
# profile, so that the network log holds only what the page asks for.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,900"]


def start_browser(profile):
    """A headless chromium with a fresh profile and a performance (network) log."""
    missing = [name for name, found in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER))
               if found is None]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("the selenium package (pip install -e '.[test]')")
    if missing:
        reason = (f"no headless browser: {', '.join(missing)} not found (Debian: apt-get "
                  f"install chromium chromium-driver)")
        if REQUIRED:
            pytest.fail(f"TINYGRAD_BP_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_browser(tmp_path_factory.mktemp("profile"))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """Write a graph's page once: pages(name, root) → its file."""
    folder = tmp_path_factory.mktemp("pages")
    written = {}

    def write(name, root):
        if name not in written:
            written[name] = folder / f"{name}.html"
            written[name].write_text(steps_page(root).html, encoding="utf-8")
        return written[name]
    return write


def open_page(browser, path, fragment=""):
    """Load the page afresh (not a same-document jump) and wait for its script to run."""
    browser.get("about:blank")
    browser.get(path.as_uri() + fragment)
    assert browser.find_element("id", "counter").text.startswith("step "), "the script did not run"


def shown(browser):
    """[index, data-label, data-value, data-grad, value text, grad text] of every Value."""
    return browser.execute_script("""
        return Array.from(document.querySelectorAll("g.node[data-index]")).map(g => [
            +g.dataset.index, g.dataset.label, g.dataset.value, g.dataset.grad,
            g.querySelector("text.value").textContent, g.querySelector("text.grad").textContent]);
    """)


def current_step(browser):
    return int(browser.find_element("id", "slider").get_attribute("value"))


def step_text(browser):
    return browser.find_element("id", "step-text").text


def random_expression(seed):
    """A random graph with shared sub-expressions, its leaves labelled x0, x1, ..."""
    generator = random.Random(seed)
    xs = [Value(round(generator.uniform(-2, 2), 3), label=f"x{i}")
          for i in range(generator.randint(1, 4))]
    recipe = [(generator.randint(0, 1), generator.randint(0, 9), generator.randint(0, 99),
               generator.randint(0, 99)) for _ in range(generator.randint(2, 8))]
    return random_graph(recipe)(*xs)


GRAPHS = [pytest.param("article", fresh_article_cost, id="article")] + [
    pytest.param(f"random{seed}", lambda seed=seed: random_expression(seed), id=f"random{seed}")
    for seed in range(4)]


# --- the steps against the engine

@pytest.mark.parametrize("name, make", GRAPHS)
def test_the_page_has_a_step_per_operation_the_root_and_each_edge(browser, pages, name, make):
    root = make()
    nodes = trace(root)
    open_page(browser, pages(name, root))
    expected = sum(1 for v in nodes if v.parents) + 1 + len(edges(nodes))
    assert int(browser.find_element("id", "slider").get_attribute("max")) == expected
    assert browser.find_element("id", "counter").text == f"step 0 of {expected} (start)"


@pytest.mark.parametrize("name, make", GRAPHS)
def test_at_the_end_every_gradient_shown_is_the_engines(browser, pages, name, make):
    root = make()
    root.backward()
    nodes = trace(root)
    open_page(browser, pages(name, root), "#step=end")
    drawn = shown(browser)
    assert sorted(i for i, *_ in drawn) == list(range(len(nodes)))
    for i, label, value, grad, value_text, grad_text in drawn:
        assert label == nodes[i].label
        assert value == f"{nodes[i].data:.4g}" and value_text == f"data {value}"
        assert grad == f"{nodes[i].grad:.4g}" and grad_text == f"grad {grad}"
        assert float(grad) == pytest.approx(nodes[i].grad, rel=5e-4, abs=1e-300)


@pytest.mark.parametrize("name, make", GRAPHS)
def test_at_step_0_no_gradient_and_only_the_leaves_values_are_shown(browser, pages, name, make):
    root = make()
    nodes = trace(root)
    open_page(browser, pages(name, root), "#step=0")
    for i, _, value, grad, value_text, grad_text in shown(browser):
        assert grad == "" and grad_text == "grad ?"
        if nodes[i].parents:
            assert value == "" and value_text == "data ?"
        else:
            assert value == f"{nodes[i].data:.4g}"


def test_a_forward_step_shows_the_value_it_computes_and_nothing_later(browser, pages):
    cost = article_cost()
    nodes = trace(cost)
    operations = [i for i, v in enumerate(nodes) if v.parents]
    z_o1 = next(i for i, v in enumerate(nodes) if v.label == "z_o1")
    step = operations.index(z_o1) + 1
    open_page(browser, pages("article", cost), f"#step={step}")
    values = {i: value for i, _, value, *_ in shown(browser)}
    assert values[z_o1] == f"{nodes[z_o1].data:.4g}"
    assert all(values[i] == "" for i in operations[step:])
    assert step_text(browser).splitlines()[1].startswith(
        "z_o1 = w7·a_h1 + w8·a_h2 + w9·a_h3 + b4")


def test_a_backward_step_shows_the_running_sum_of_a_node_with_two_consumers(browser, pages):
    cost = article_cost()
    nodes = trace(cost)
    a_h1 = nodes.index(next(v for v in nodes if v.label == "a_h1"))
    page = steps_page(cost)
    first = next(k for k, s in enumerate(page.steps) if s.get("to") == a_h1)
    open_page(browser, pages("article", cost), f"#step={first}")
    [(grad, partial)] = browser.execute_script(f"""
        const g = document.querySelector('g.node[data-index="{a_h1}"]');
        return [[g.dataset.grad, g.classList.contains("partial")]];""")
    term = next(u.grad * local for u in reversed(nodes)
                for p, local in zip(u.parents, u.local_grads) if p is nodes[a_h1])
    assert grad == f"{term:.4g}" and partial
    assert "(term 1 of 2: more to come" in step_text(browser)


# --- the controls

def test_arrow_keys_home_and_end_move_the_page(browser, pages):
    from selenium.webdriver.common.keys import Keys
    page = steps_page(article_cost())
    open_page(browser, pages("article", article_cost()), "#step=5")
    body = browser.find_element("tag name", "body")
    for key, expected in ((Keys.ARROW_RIGHT, 6), (Keys.ARROW_RIGHT, 7), (Keys.ARROW_LEFT, 6),
                          (Keys.END, len(page.steps) - 1), (Keys.HOME, 0), (Keys.ARROW_LEFT, 0)):
        body.send_keys(key)
        assert current_step(browser) == expected
        assert step_text(browser) == page.steps[expected]["text"]
    assert browser.execute_script("return location.hash") == "#step=0"


def test_buttons_move_one_step_and_to_either_end(browser, pages):
    page = steps_page(article_cost())
    open_page(browser, pages("article", article_cost()), "#step=40")
    end = len(page.steps) - 1
    for button, expected in (("next", 41), ("next", 42), ("prev", 41), ("last", end),
                             ("next", end), ("first", 0)):
        browser.find_element("id", button).click()
        assert current_step(browser) == expected
        assert step_text(browser) == page.steps[expected]["text"]


def test_space_plays_and_pauses_even_on_a_focused_button(browser, pages):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
    open_page(browser, pages("article", article_cost()), "#step=3")
    Select(browser.find_element("id", "speed")).select_by_value("0.5")  # no step while we look
    play = browser.find_element("id", "play")
    browser.find_element("id", "next").click()           # the focus stays on "next"
    assert current_step(browser) == 4
    browser.switch_to.active_element.send_keys(Keys.SPACE)
    assert play.text == "⏸ pause" and current_step(browser) == 4
    browser.switch_to.active_element.send_keys(Keys.SPACE)
    assert play.text == "▶ play"


def test_play_advances_at_the_chosen_speed_until_paused(browser, pages):
    from selenium.webdriver.support.ui import Select, WebDriverWait
    open_page(browser, pages("article", article_cost()), "#step=0")
    Select(browser.find_element("id", "speed")).select_by_value("10")
    browser.find_element("id", "play").click()
    WebDriverWait(browser, 5).until(lambda b: current_step(b) >= 3)
    browser.find_element("id", "play").click()
    paused = current_step(browser)
    assert browser.execute_script("return new Promise(r => setTimeout(r, 400))") is None
    assert current_step(browser) == paused


def test_the_slider_opens_any_step(browser, pages):
    from selenium.webdriver.common.keys import Keys
    page = steps_page(article_cost())
    open_page(browser, pages("article", article_cost()), "#step=10")
    browser.find_element("id", "slider").send_keys(Keys.ARROW_RIGHT)
    assert current_step(browser) == 11 and step_text(browser) == page.steps[11]["text"]


def test_a_changed_fragment_opens_its_step(browser, pages):
    page = steps_page(article_cost())
    open_page(browser, pages("article", article_cost()), "#step=2")
    browser.execute_script("location.hash = '#step=50'")
    assert current_step(browser) == 50 and step_text(browser) == page.steps[50]["text"]


def test_clicking_a_node_shows_its_chain_rule_and_numerical_check(browser, pages):
    cost = article_cost()
    nodes = trace(cost)
    w1 = next(i for i, v in enumerate(nodes) if v.label == "w1")
    open_page(browser, pages("article", cost), "#step=0")
    assert not browser.find_element("id", "details").is_displayed()
    browser.find_element("css selector", f'g.node[data-index="{w1}"]').click()
    assert browser.find_element("id", "details").is_displayed()
    assert browser.find_element("id", "details-title").text == "w1"
    chain = browser.execute_script("return document.getElementById('chain-rule').textContent")
    assert chain == explain(cost, "w1").equation()
    check = browser.execute_script(
        "return document.getElementById('numerical-check').textContent")
    row = next(line for line in check.splitlines() if line.startswith("w1 "))
    assert float(row.split()[2]) == pytest.approx(nodes[w1].grad, rel=1e-5)
    assert row.split()[-1] == "ok"


# --- nothing leaves the page

def test_no_request_leaves_the_page(browser, pages):
    path = pages("article", article_cost())
    browser.get_log("performance")                              # drop what came before
    open_page(browser, path, "#step=end")
    browser.find_element("id", "first").click()
    browser.find_element("id", "play").click()
    browser.find_element("id", "play").click()
    requested = [json.loads(entry["message"])["message"]
                 for entry in browser.get_log("performance")]
    urls = {m["params"]["request"]["url"] for m in requested
            if m["method"] == "Network.requestWillBeSent"}
    assert urls == {path.as_uri()}                                 # the page itself, only
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_the_content_security_policy_blocks_an_outside_request(browser, pages):
    open_page(browser, pages("article", article_cost()))
    blocked = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        document.addEventListener("securitypolicyviolation", e => done(e.blockedURI));
        const image = document.createElement("img");
        image.src = "https://example.invalid/pixel.png";
        document.body.appendChild(image);""")
    assert blocked == "https://example.invalid/pixel.png"


def test_the_page_logs_no_error(browser, pages):
    browser.get_log("browser")
    open_page(browser, pages("article", article_cost()), "#step=end")
    browser.find_element("id", "first").click()
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []


def test_the_page_works_with_either_renderers_svg(browser, tmp_path, renderer):
    cost = fresh_article_cost()
    path = tmp_path / "steps.html"
    path.write_text(steps_page(cost, renderer=renderer).html, encoding="utf-8")
    cost.backward()
    open_page(browser, path, "#step=end")
    grads = {i: grad for i, _, _, grad, *_ in shown(browser)}
    assert grads == {i: f"{v.grad:.4g}" for i, v in enumerate(trace(cost))}


def test_zoom_in_enlarges_the_graph_and_fit_restores_it(browser, pages):
    open_page(browser, pages("article", fresh_article_cost()))
    width = browser.find_element("css selector", "#graph svg").rect["width"]
    browser.find_element("id", "zoom-in").click()
    zoomed = browser.find_element("css selector", "#graph svg").rect["width"]
    assert zoomed == pytest.approx(1.25 * width, abs=2)
    browser.find_element("id", "zoom-fit").click()
    assert browser.find_element("css selector", "#graph svg").rect["width"] == pytest.approx(width)


def test_escape_closes_the_nodes_panel(browser, pages):
    from selenium.webdriver.common.keys import Keys
    open_page(browser, pages("article", fresh_article_cost()))
    browser.find_element("css selector", 'g.node[data-index="0"]').click()
    assert browser.find_element("id", "details").is_displayed()
    browser.find_element("tag name", "body").send_keys(Keys.ESCAPE)
    assert not browser.find_element("id", "details").is_displayed()


def test_the_notebook_iframe_runs_the_page(browser, tmp_path):
    page = steps_page(fresh_article_cost())
    notebook = tmp_path / "notebook.html"
    notebook.write_text(f"<!DOCTYPE html><html><body>{page._repr_html_()}</body></html>",
                        encoding="utf-8")
    browser.get(notebook.as_uri())
    browser.switch_to.frame(browser.find_element("tag name", "iframe"))
    try:
        counter = browser.find_element("id", "counter").text
        assert counter == f"step 0 of {len(page.steps) - 1} (start)"
        browser.find_element("id", "next").click()
        assert step_text(browser) == page.steps[1]["text"]
    finally:
        browser.switch_to.default_content()


def test_an_edges_local_derivative_shows_once_its_operation_is_computed(browser, pages):
    cost = fresh_article_cost()
    nodes = trace(cost)
    open_page(browser, pages("article", cost), "#step=0")
    hidden = """return Array.from(document.querySelectorAll("g.edge text")).map(t =>
        [+t.closest("g.edge").dataset.to, getComputedStyle(t).visibility === "hidden"]);"""
    assert all(is_hidden for _, is_hidden in browser.execute_script(hidden))
    browser.find_element("id", "next").click()                  # the first operation
    first = next(i for i, v in enumerate(nodes) if v.parents)
    assert all(is_hidden == (to != first) for to, is_hidden in browser.execute_script(hidden))
    browser.find_element("id", "last").click()
    assert not any(is_hidden for _, is_hidden in browser.execute_script(hidden))


def test_an_operand_drawn_again_beside_a_distant_use_shows_the_same_numbers(browser, tmp_path):
    x = Value(0.5, label="x")
    y = x
    for _ in range(12):                 # x is used at every rank: copies drawn beside its uses
        y = y * 1.1 + x
    path = tmp_path / "steps.html"
    path.write_text(steps_page(y).html, encoding="utf-8")
    y.backward()
    open_page(browser, path, "#step=end")
    copies = browser.execute_script("""
        return Array.from(document.querySelectorAll("g.node[data-copy-of]")).map(g =>
            [+g.dataset.copyOf, g.dataset.value, g.dataset.grad]);""")
    assert copies and {i for i, *_ in copies} == {0}
    assert all((value, grad) == (f"{x.data:.4g}", f"{x.grad:.4g}") for _, value, grad in copies)
    edges_drawn = browser.execute_script(
        "return document.querySelectorAll('g.edge[data-edge]').length")
    assert edges_drawn == len(edges(trace(y)))
