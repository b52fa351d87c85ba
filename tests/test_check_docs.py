"""The examples in tinygrad_bp.checking's docstrings and README's "Checking gradients" are true."""

import doctest
import importlib
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_docstring_examples_hold():
    module = importlib.import_module("tinygrad_bp.checking")
    failed, attempted = doctest.testmod(module)
    assert attempted >= 8 and failed == 0


def test_readme_checking_section_examples_hold():
    section = README.read_text(encoding="utf-8").split("## Checking gradients", 1)[1]
    section = section.split("\n## ", 1)[0]
    source = "\n".join(re.findall(r"```python\n(.*?)```", section, re.S))
    test = doctest.DocTestParser().get_doctest(source, {}, "README", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert attempted >= 10 and failed == 0
