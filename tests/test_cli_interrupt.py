"""Ctrl-C ends every command with one line and exit status 130, leaving no file behind.

Each test runs the command as a real subprocess, waits until it is busy, and sends it SIGINT,
as a terminal does on Ctrl-C.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")


def start(*args, env=None, cwd=None):
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "tinygrad_bp", *map(str, args)], cwd=cwd,
                            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def interrupt(process):
    """Send SIGINT; return (exit status, stdout rest, stderr)."""
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def wait_for(condition, process, what):
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, f"ended before {what}: {process.communicate()}"
        assert time.monotonic() < deadline, f"no {what} within 60 s"
        time.sleep(0.02)


@pytest.fixture
def slow_renderer(tmp_path):
    """A renderer that records its process id and then runs until it is killed."""
    marker = tmp_path / "renderer.pid"
    script = tmp_path / "slow-dot"
    script.write_text(f'#!/bin/sh\necho $$ > "{marker}"\nexec sleep 120\n')
    script.chmod(0o755)
    return {"TINYGRAD_BP_DOT": str(script)}, marker


def renderer_started(marker):
    """The condition that the slow renderer runs: its process id written in full."""
    return lambda: marker.exists() and marker.read_text().endswith("\n")


def assert_ended_by_interrupt(status, err, command):
    assert status == 130
    assert err == f"tinygrad-bp {command}: interrupted\n"


def running(pid):
    """Whether process `pid` still runs: it exists and is not a zombie (a killed child whose
    parent has exited waits for the init process to reap it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def assert_renderer_gone(marker):
    pid = int(marker.read_text())
    deadline = time.monotonic() + 10
    while running(pid):
        assert time.monotonic() < deadline, f"the renderer {pid} outlived the command"
        time.sleep(0.05)


def test_ctrl_c_during_training_prints_one_line_and_exits_130():
    process = start("train", "--epochs", "100000000", "--batch-size", "1")
    for line in process.stdout:
        if line.strip().startswith("1 "):           # the first epoch is done
            break
    status, _, err = interrupt(process)
    assert_ended_by_interrupt(status, err, "train")


def test_ctrl_c_during_grad_prints_one_line_and_exits_130():
    n = 5000                                # its output fills the pipe: it waits there
    process = start("grad", "+".join(f"x{i}" for i in range(n)),
                    "--at", ",".join(f"x{i}=1" for i in range(n)), "--explain")
    assert process.stdout.readline().startswith("f(x0, x1")     # it has started
    status, _, err = interrupt(process)
    assert_ended_by_interrupt(status, err, "grad")


def test_ctrl_c_while_the_demo_draws_leaves_no_file(tmp_path, slow_renderer):
    env, marker = slow_renderer
    folder = tmp_path / "out"
    folder.mkdir()
    process = start("demo", env=env, cwd=folder)
    wait_for(renderer_started(marker), process, "renderer")
    status, out, err = interrupt(process)
    assert_ended_by_interrupt(status, err, "demo")
    assert "6. One SGD step" in out
    assert list(folder.iterdir()) == []
    assert_renderer_gone(marker)


def test_ctrl_c_while_graph_draws_leaves_no_file(tmp_path, slow_renderer):
    env, marker = slow_renderer
    folder = tmp_path / "out"
    folder.mkdir()
    process = start("graph", "a * b", "--at", "a=1,b=2", "-o", folder / "g.svg", env=env)
    wait_for(renderer_started(marker), process, "renderer")
    status, _, err = interrupt(process)
    assert_ended_by_interrupt(status, err, "graph")
    assert list(folder.iterdir()) == []
    assert_renderer_gone(marker)


def test_ctrl_c_while_graph_draws_keeps_the_old_file(tmp_path, slow_renderer):
    env, marker = slow_renderer
    target = tmp_path / "g.svg"
    target.write_text("the old picture")
    process = start("graph", "a * b", "--at", "a=1,b=2", "-o", target, env=env)
    wait_for(renderer_started(marker), process, "renderer")
    assert interrupt(process)[0] == 130
    assert target.read_text() == "the old picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["g.svg", "renderer.pid",
                                                                 "slow-dot"])
