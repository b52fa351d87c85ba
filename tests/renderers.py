"""The two renderers the viz tests run, as fixtures: Debian's Graphviz `dot` and graphviz-pure
(tests/conftest.py gives the fixtures to every test module).

Without `dot` on PATH (a fresh machine) the tests that need it are skipped, saying why,
unless TINYGRAD_BP_REQUIRE_DOT=1 (set by .ci/run): then they fail. graphviz-pure is a
dependency that pip installs, so its absence always fails.
"""

import os
import shutil
import sysconfig
import time
from pathlib import Path

import pytest

DEBIAN_DOT = shutil.which("dot")
PURE = shutil.which("graphviz-pure", path=sysconfig.get_path("scripts")) \
    or shutil.which("graphviz-pure")
REQUIRE_DOT = "TINYGRAD_BP_REQUIRE_DOT"


def need_dot():
    """The path of Graphviz's `dot`, or skip (fail under TINYGRAD_BP_REQUIRE_DOT=1)."""
    if DEBIAN_DOT is None:
        missing = "Graphviz's dot is not on PATH (apt-get install graphviz)"
        if os.environ.get(REQUIRE_DOT) == "1":
            pytest.fail(f"{REQUIRE_DOT}=1 but {missing}")
        pytest.skip(f"needs Graphviz's dot: {missing}; {REQUIRE_DOT}=1 makes this a failure")
    return DEBIAN_DOT


def need_pure():
    if PURE is None:
        pytest.fail("graphviz-pure is not installed beside this Python: pip install -e '.[test]'")
    return PURE


@pytest.fixture(params=["debian-dot", "graphviz-pure"])
def renderer(request):
    """Each renderer in turn."""
    return need_dot() if request.param == "debian-dot" else need_pure()


@pytest.fixture
def debian_dot():
    return need_dot()


@pytest.fixture
def pure():
    return need_pure()


def fake_executable(directory, name, script="exit 0"):
    """An executable shell script `directory/name` running `script`; its path as a str."""
    Path(directory).mkdir(exist_ok=True)
    path = Path(directory) / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return str(path)


def hanging_renderer(directory):
    """A renderer that starts a child (`sleep`), writes its pid to `directory/child.pid` and
    waits for it: killing the renderer alone would leave the child running."""
    return fake_executable(directory, "hanging-dot",
                           f"sleep 300 &\necho $! > '{directory}/child.pid'\nwait")


def ends_soon(pid, seconds=10.0):
    """Whether process `pid` has ended, or ends within `seconds` (a busy machine may take a
    moment to run a killed process's exit; a zombie has ended, its parent just not reaped it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat_file:
                if stat_file.read().split()[2] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False
