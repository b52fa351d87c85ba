"""The step-through page's size, how long it takes to make, and how long a browser takes to load it.

For the article's 2-3-2 network and for a 4-15-15-2 network with its cost (1,019 Values), each
against a baseline in the same process: the same graph drawn as a plain SVG (`viz.render`),
and that SVG loaded in the same browser. Needs Debian's chromium and chromedriver, and
selenium (`pip install -e '.[test]'`). `--screenshot PATH` also writes the README's picture:
the article's network at a backward step.

    python3 benchmarks/steps_page.py [--rounds 5] [--screenshot docs/steps.png]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tinygrad_bp import MLP, Value, article_network, mse, viz
from tinygrad_bp.engine import edges, trace

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1600,1000"]


ZOOMS = 2       # the screenshot's zoom: two steps in from "fit"
LIMIT = 3000    # max_nodes: the 1,019-Value network lays out 2,285 nodes, past the default


def article() -> Value:
    net, x, y = article_network()
    return mse(net(x), y)


def network_1000() -> Value:
    net = MLP(4, [15, 15, 2], seed=0)
    x = [Value(0.1 * (i + 1), label=f"x{i + 1}") for i in range(4)]
    return mse(net(x), [0.1, 0.9])


def paired_seconds(root: Value, page: Path, svg: Path, rounds: int) -> tuple:
    """Medians of writing the page and of writing the SVG alone, timed in alternation, and
    of their difference in each round: the page's own work beyond Graphviz's layout."""
    pages, svgs = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        viz.render(root, svg, edge_labels=True, max_nodes=LIMIT)
        middle = time.perf_counter()
        viz.render(root, page, max_nodes=LIMIT)
        pages.append(time.perf_counter() - middle)
        svgs.append(middle - start)
    return (statistics.median(pages), statistics.median(svgs),
            statistics.median(p - s for p, s in zip(pages, svgs)))


def browser(profile: str) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def load_ms(driver: webdriver.Chrome, path: Path, rounds: int) -> float:
    """Median time from navigation to the end of the load event (the page's script included)."""
    times = []
    for _ in range(rounds):
        driver.get("about:blank")
        driver.get(path.as_uri())
        times.append(driver.execute_script(
            "return performance.getEntriesByType('navigation')[0].loadEventEnd"))
    return statistics.median(times)


def jump_ms(driver: webdriver.Chrome, path: Path, rounds: int) -> float:
    """Median time of one click on "last" from step 0: every step replayed and painted."""
    times = []
    for _ in range(rounds):
        driver.get("about:blank")
        driver.get(path.as_uri() + "#step=0")
        times.append(driver.execute_script("""
            const start = performance.now();
            document.getElementById("last").click();
            return performance.now() - start;"""))
    return statistics.median(times)


def screenshot(driver: webdriver.Chrome, folder: Path, target: Path) -> None:
    """The article's network where a_h1 receives its second term (its two paths meet),
    zoomed in."""
    cost = article()
    page = viz.steps_page(cost)
    a_h1 = next(i for i, v in enumerate(trace(cost)) if v.label == "a_h1")
    step = [k for k, s in enumerate(page.steps) if s.get("to") == a_h1][-1]
    path = folder / "article.html"
    path.write_text(page.html, encoding="utf-8")
    driver.set_window_size(1600, 1000)
    driver.get("about:blank")
    driver.get(f"{path.as_uri()}#step={step}")
    for _ in range(ZOOMS):
        driver.find_element("id", "zoom-in").click()
    driver.save_screenshot(str(target))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--screenshot", type=Path, metavar="PNG")
    parser.add_argument("--only-screenshot", action="store_true", help="measure nothing")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    driver = browser(str(folder / "profile"))
    try:
        print(f"{'graph':<20}{'Values':>7}{'steps':>6}{'page KB':>8}{'svg KB':>7}"
              f"{'page s':>8}{'svg s':>7}{'own s':>7}{'load ms':>8}{'svg ms':>7}{'ratio':>6}"
              f"{'end ms':>7}")
        graphs = (("article 2-3-2", article), ("4-15-15-2 network", network_1000))
        for name, make in graphs if not args.only_screenshot else ():
            root = make()
            nodes = trace(root)
            steps = sum(1 for v in nodes if v.parents) + 1 + len(edges(nodes))
            page_path, svg_path = folder / f"{len(nodes)}.html", folder / f"{len(nodes)}.svg"
            page_s, svg_s, own_s = paired_seconds(root, page_path, svg_path, args.rounds)
            page_ms, plain_ms = (load_ms(driver, page_path, args.rounds),
                                 load_ms(driver, svg_path, args.rounds))
            print(f"{name:<20}{len(nodes):>7}{steps:>6}{page_path.stat().st_size / 1e3:>8.0f}"
                  f"{svg_path.stat().st_size / 1e3:>7.0f}{page_s:>8.2f}{svg_s:>7.2f}"
                  f"{own_s:>7.2f}{page_ms:>8.0f}{plain_ms:>7.0f}{page_ms / plain_ms:>6.1f}"
                  f"{jump_ms(driver, page_path, args.rounds):>7.0f}")
        if args.screenshot is not None:
            screenshot(driver, folder, args.screenshot)
            print(f"wrote {args.screenshot}")
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
