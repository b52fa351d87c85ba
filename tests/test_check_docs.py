"""The examples in the docstrings of tinygrad_bp.checking's modules and README's "Checking gradients" are true."""

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import tinygrad_bp.checking

README = Path(__file__).resolve().parent.parent / "README.md"


def test_docstring_examples_hold():
    names = ["tinygrad_bp.checking"] + [
        f"tinygrad_bp.checking.{m.name}" for m in pkgutil.iter_modules(tinygrad_bp.checking.__path__)]
    results = [doctest.testmod(importlib.import_module(name)) for name in names]
    assert sum(r.attempted for r in results) >= 8 and sum(r.failed for r in results) == 0


def test_readme_checking_section_examples_hold():
    section = README.read_text(encoding="utf-8").split("## Checking gradients", 1)[1]
    section = section.split("\n## ", 1)[0]
    source = "\n".join(re.findall(r"```python\n(.*?)```", section, re.S))
    test = doctest.DocTestParser().get_doctest(source, {}, "README", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert attempted >= 10 and failed == 0
