"""Shared test helpers: running the command line as a real subprocess."""

import os
import subprocess
import sys

import pytest
from hypothesis import settings

import renderers
from helpers import ROOT

# The renderer fixtures (see renderers.py), for every test module without an import.
renderer, debian_dot, pure = renderers.renderer, renderers.debian_dot, renderers.pure

# CI machines are slower and busier than a laptop: no per-example deadline.
settings.register_profile("default", deadline=None)
settings.load_profile("default")


@pytest.fixture(scope="session")
def run_cli():
    """Run `python -m tinygrad_bp ARGS...` from this checkout; return the CompletedProcess."""
    def run(*args, cwd=None, env=None, timeout=120):
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        return subprocess.run([sys.executable, "-m", "tinygrad_bp", *map(str, args)],
                              cwd=cwd or ROOT, env=full_env, capture_output=True,
                              text=True, timeout=timeout)
    return run
