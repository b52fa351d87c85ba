"""Every Python session in README.md runs as shown: the README cannot drift from the code."""

import doctest
import re

from helpers import README


def test_every_python_session_in_the_readme_holds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)             # the viz example writes c.svg
    sessions = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    test = doctest.DocTestParser().get_doctest("\n".join(sessions), {}, "README.md",
                                               str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert len(sessions) >= 8 and runner.failures == 0 and runner.tries >= 40
    assert (tmp_path / "c.svg").read_text().startswith("<?xml")
