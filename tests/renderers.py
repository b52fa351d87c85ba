"""The two renderers the viz tests run, as fixtures: Debian's Graphviz `dot` and graphviz-pure.

Without `dot` on PATH (a fresh machine) the tests that need it are skipped, saying why,
unless TINYGRAD_BP_REQUIRE_DOT=1 (set by .ci/run): then they fail. graphviz-pure is a
dependency that pip installs, so its absence always fails.
"""

import os
import shutil
import sysconfig

import pytest

DEBIAN_DOT = shutil.which("dot")
PURE = shutil.which("graphviz-pure", path=sysconfig.get_path("scripts"))
REQUIRE_DOT = "TINYGRAD_BP_REQUIRE_DOT"


def need_dot():
    """The path of Graphviz's `dot`, or skip (fail under TINYGRAD_BP_REQUIRE_DOT=1)."""
    if DEBIAN_DOT is None:
        message = (f"needs Graphviz's dot, which is not on PATH (apt-get install graphviz); "
                   f"{REQUIRE_DOT}=1 turns this skip into a failure")
        if os.environ.get(REQUIRE_DOT) == "1":
            pytest.fail(f"{REQUIRE_DOT}=1: {message}")
        pytest.skip(message)
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
