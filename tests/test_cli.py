"""The command line as a user runs it: a real subprocess."""

from tinygrad_bp import __version__


def test_version_prints_the_package_version(run_cli):
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"tinygrad-bp {__version__}"


def test_help_names_the_program(run_cli):
    result = run_cli("--help")
    assert result.returncode == 0
    assert "usage: tinygrad-bp" in result.stdout
