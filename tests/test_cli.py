"""The command line as a user runs it: a real subprocess."""

import subprocess
import sys

from tinygrad_bp import __version__

from helpers import ROOT


def test_version_prints_the_package_version(run_cli):
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"tinygrad-bp {__version__}"


def test_help_names_the_program(run_cli):
    result = run_cli("--help")
    assert result.returncode == 0
    assert "usage: tinygrad-bp" in result.stdout


def test_importing_every_module_changes_no_interpreter_setting():
    probe = ("import gc, sys\n"
             "before = (sys.getrecursionlimit(), gc.isenabled(), gc.get_threshold())\n"
             "import tinygrad_bp, tinygrad_bp.cli, tinygrad_bp.compiler, tinygrad_bp.demo, viz\n"
             "after = (sys.getrecursionlimit(), gc.isenabled(), gc.get_threshold())\n"
             "print(before == after, before, after)\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.startswith("True"), result.stdout + result.stderr


def test_a_reader_that_stops_early_gets_no_traceback():
    pipeline = (f"{sys.executable} -m tinygrad_bp demo --no-svg | head -n 1; "
                f"exit ${{PIPESTATUS[0]}}")
    result = subprocess.run(["bash", "-c", pipeline], cwd=ROOT, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}, timeout=60)
    assert result.stdout.startswith("The article's 2-3-2 sigmoid network")
    assert result.stderr == ""
