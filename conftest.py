"""Doctests (`--doctest-modules`, see setup.cfg) run in a temporary directory, so that an
example may write a file as a user would, `viz.render(c, "c.svg")`, and leave nothing behind."""

import pytest


@pytest.fixture(autouse=True)
def doctest_in_a_temporary_directory(request, tmp_path_factory, monkeypatch):
    if type(request.node).__name__ == "DoctestItem":
        monkeypatch.chdir(tmp_path_factory.mktemp("doctest"))
