"""Writing pictures: what happens to the file the user names (modes, links, errors, signals)."""

import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tinygrad_bp.viz import render, write_file
from tinygrad_bp.viz.files import check_writable

from helpers import ROOT
from renderers import ends_soon, hanging_renderer
from test_viz_dot import readme_graph


def files_in(directory):
    return sorted(p.name for p in Path(directory).iterdir())


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# --- what an existing target keeps

def test_an_existing_file_keeps_its_private_mode(tmp_path):
    target = tmp_path / "c.dot"
    target.write_text("old")
    target.chmod(0o600)
    render(readme_graph(), target)
    assert mode(target) == 0o600 and target.read_text().startswith("digraph")


def test_an_existing_file_keeps_its_group_readable_mode(tmp_path):
    target = tmp_path / "c.dot"
    target.write_text("old")
    target.chmod(0o640)
    write_file(target, b"new")
    assert mode(target) == 0o640 and target.read_bytes() == b"new"


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "pictures").mkdir()
    real = tmp_path / "pictures" / "real.dot"
    real.write_text("old")
    link = tmp_path / "link.dot"
    link.symlink_to(real)
    render(readme_graph(), link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("digraph")
    assert files_in(tmp_path / "pictures") == ["real.dot"]


def test_a_hard_linked_file_is_updated_in_place_for_every_name(tmp_path):
    first = tmp_path / "first.dot"
    first.write_text("old")
    second = tmp_path / "second.dot"
    os.link(first, second)
    inode = first.stat().st_ino
    write_file(first, b"new picture")
    assert second.read_bytes() == b"new picture" and first.stat().st_ino == inode
    assert first.stat().st_nlink == 2 and files_in(tmp_path) == ["first.dot", "second.dot"]


def test_a_hard_linked_file_gets_its_old_bytes_back_when_writing_fails(tmp_path, monkeypatch):
    first = tmp_path / "first.dot"
    first.write_bytes(b"old picture")
    os.link(first, tmp_path / "second.dot")
    truncate, calls = os.ftruncate, []

    def disk_full_once(descriptor, length):
        calls.append(length)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        truncate(descriptor, length)
    monkeypatch.setattr(os, "ftruncate", disk_full_once)
    with pytest.raises(OSError, match="cannot write .*first.dot.*No space left on device"):
        write_file(first, b"a new picture, longer")
    assert (tmp_path / "second.dot").read_bytes() == b"old picture"


def test_a_new_file_gets_the_mode_of_a_new_file(tmp_path):
    mask = os.umask(0o027)
    try:
        write_file(tmp_path / "new.dot", b"x")
    finally:
        os.umask(mask)
    assert mode(tmp_path / "new.dot") == 0o640


# --- refusals name the user's path and what is wrong with it

def test_a_read_only_target_is_refused_and_left_unchanged(tmp_path):
    target = tmp_path / "c.svg"
    target.write_text("keep me")
    target.chmod(0o444)
    with pytest.raises(PermissionError, match=r"cannot write '.*c.svg': it is read-only "
                                              r"\(mode 0444\)"):
        render(readme_graph(), target, renderer="/nonexistent/renderer")
    assert target.read_text() == "keep me" and mode(target) == 0o444


def test_a_directory_as_target_is_named_as_such(tmp_path):
    (tmp_path / "c.svg").mkdir()
    with pytest.raises(IsADirectoryError, match=r"cannot write '.*c.svg': it is a directory"):
        render(readme_graph(), tmp_path / "c.svg", renderer="/nonexistent/renderer")


def test_a_file_where_a_directory_should_be_is_named(tmp_path):
    (tmp_path / "notes").write_text("a file")
    with pytest.raises(NotADirectoryError, match=r"cannot write '.*notes/c.svg': '.*notes' is "
                                                 r"a file, not a directory"):
        render(readme_graph(), tmp_path / "notes" / "c.svg")


def test_a_missing_directory_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"directory '.*nowhere' does not exist"):
        check_writable(tmp_path / "nowhere" / "c.svg")


def test_no_permission_in_the_directory_names_the_users_path_not_the_temporary_file(
        tmp_path, monkeypatch):
    def denied(*args, dir=None, prefix="", suffix=""):
        raise PermissionError(13, "Permission denied", f"{dir}/{prefix}x1y2.tmp")
    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(PermissionError) as error:
        render(readme_graph(), tmp_path / "c.dot")
    message = str(error.value)
    assert message == (f"cannot write '{tmp_path / 'c.dot'}': no permission to create files in "
                       f"directory '{tmp_path}' (Permission denied)")
    assert ".tmp" not in message


@pytest.mark.skipif(not os.path.isdir("/sys"), reason="needs Linux's read-only /sys")
def test_a_system_directory_names_the_users_path(pure):
    with pytest.raises(OSError) as error:
        render(readme_graph(), "/sys/out.svg", renderer=pure)
    assert str(error.value).startswith("cannot write '/sys/out.svg': ")
    assert ".tmp" not in str(error.value)


# --- signals: nothing left behind

SIGTERM_DURING_WRITE = """
import os, signal, sys, time
from tinygrad_bp import Value, viz
def replace_then_wait(*args):
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)
os.replace = replace_then_wait
a = Value(1.0, label="a")
viz.render(a * 2, sys.argv[1])
"""


def test_sigterm_while_writing_removes_the_temporary_file_and_ends_the_process(tmp_path):
    done = subprocess.run([sys.executable, "-c", SIGTERM_DURING_WRITE, str(tmp_path / "a.dot")],
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          timeout=60)
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert files_in(tmp_path) == []


HANGING_RENDER = """
import sys
from tinygrad_bp import Value, viz
a = Value(1.0, label="a")
viz.render(a * 2, sys.argv[1], renderer=sys.argv[2])
"""


def wait_for(path, seconds=30):
    deadline = time.monotonic() + seconds
    while not path.exists() or not path.read_text().strip():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
    return int(path.read_text())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_to_the_python_process_kills_the_renderer_and_its_children(tmp_path, signum):
    (tmp_path / "out").mkdir()
    renderer = hanging_renderer(tmp_path)
    process = subprocess.Popen([sys.executable, "-c", HANGING_RENDER,
                                str(tmp_path / "out" / "a.svg"), str(renderer)],
                               env={**os.environ, "PYTHONPATH": str(ROOT)},
                               stderr=subprocess.PIPE)
    child = wait_for(tmp_path / "child.pid")
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == -signum, stderr    # ended by the signal, as by default
    assert ends_soon(child)
    assert files_in(tmp_path / "out") == []


def test_a_directory_the_user_may_not_write_is_refused_before_rendering(tmp_path, monkeypatch):
    def no_write_in(path, mode):
        return not (mode & os.W_OK and Path(path) == tmp_path)
    monkeypatch.setattr(os, "access", no_write_in)      # as for a user other than root
    with pytest.raises(PermissionError, match=rf"cannot write '{tmp_path / 'c.svg'}': no "
                                              rf"permission to create files in directory"):
        render(readme_graph(), tmp_path / "c.svg", renderer="/nonexistent/renderer")
    assert files_in(tmp_path) == []
