"""Writing a picture to a file: the format from the suffix, the file replaced atomically.

`FORMATS` is the one place where a suffix selects what is written. Errors name the
user's path and what is wrong with it, never a temporary file. `write_file` (used by
every writer) keeps what the user had:

- a new file gets the mode a new file gets (0666 less the umask);
- an existing file keeps its mode (and, where the system lets us, its owner);
- a symbolic link is followed: its target is replaced, the link stays a link;
- a file with several hard links is overwritten in place, so that every name shows the
  new picture (as vim does); the bytes are all made before the file is opened, and the
  old ones are put back if writing fails;
- a read-only file (no write permission, for root too) or one the user may not write is
  refused before any work;
- a failure, Ctrl-C or SIGTERM at any step leaves the target as it was and no temporary
  file behind.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, Optional, Union

import graphviz

from tinygrad_bp.engine import Value
from tinygrad_bp.errors import (BPFileNotFoundError, BPIsADirectoryError, BPNotADirectoryError,
                                BPOSError, BPPermissionError, BPTypeError, BPValueError)
from tinygrad_bp.viz.dot import draw_dot
from tinygrad_bp.viz.renderer import check_format, find_renderer, run_renderer, sigterm_cleans_up
from tinygrad_bp.viz.steps import steps_page

# suffix → the renderer's -T format ("dot" is the DOT source itself: no renderer)
FORMATS = {".svg": "svg", ".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".pdf": "pdf",
           ".dot": "dot", ".html": "html"}

PathLike = Union[str, "os.PathLike[str]"]


def render(root: Union[Value, graphviz.Digraph], path: PathLike, *,
           renderer: Optional[str] = None, timeout: Optional[float] = None,
           **draw_options: Any) -> Path:
    """Draw the graph of `root` (see `draw_dot` for the options) into `path`; return it.

    `root` may also be a view already drawn (by `draw_dot` or `draw_network`), written as
    it is: `render(draw_network(net, x, y), "net.svg")`.

    The format comes from the suffix: `.svg`, `.png`, `.jpg`/`.jpeg`, `.pdf` (Graphviz's
    `dot` only: refused at once with graphviz-pure), or `.dot`, the DOT source itself,
    which needs no renderer, or `.html`, the step-through page of `viz.steps.steps_page`
    (of a Value only). `renderer` is the executable to run (default:
    `find_renderer()`), `timeout` its time limit in seconds (default: `render_timeout()`,
    60 s). See the module docstring for what happens to an existing file.
    """
    if isinstance(path, (str, os.PathLike)) and format_of(path) == "html":
        if not isinstance(root, Value):
            raise BPTypeError(f"render: a step-through page (.html) is made from a Value, not "
                            f"from a view already drawn ({type(root).__name__})")
        check_writable(path)
        page = steps_page(root, renderer=renderer, timeout=timeout, **draw_options)
        write_file(path, page.html.encode("utf-8"))
        return Path(path)
    return save_picture(_source(root, draw_options), path, renderer=renderer, timeout=timeout)


def _source(root: Union[Value, graphviz.Digraph], draw_options: Any) -> str:
    """The DOT source of `root`: drawn by `draw_dot`, or that of a view drawn already."""
    if isinstance(root, graphviz.Digraph):
        if draw_options:
            raise BPTypeError(f"render: {', '.join(sorted(draw_options))} are drawing options; "
                              f"a view already drawn takes none (pass them to draw_dot or "
                              f"draw_network)")
        return root.source
    return draw_dot(root, **draw_options).source


def save_picture(source: str, path: PathLike, *, renderer: Optional[str] = None,
                 timeout: Optional[float] = None) -> Path:
    """Write the picture of the DOT `source` into `path`, in the format of its suffix."""
    if not isinstance(path, (str, os.PathLike)):
        raise BPTypeError(f"a picture is written to a path (str or Path), got "
                          f"{type(path).__name__} {path!r}")
    path = Path(path)
    renderer = check_picture(path, renderer, timeout)
    with sigterm_cleans_up():
        data = source.encode("utf-8") if renderer is None else \
            run_renderer(source, format_of(path), renderer, timeout)
        write_file(path, data)
    return path


def check_picture(path: PathLike, renderer: Optional[str] = None,
                  timeout: Optional[float] = None, *, writable: bool = True) -> Optional[str]:
    """Refuse at once, before anything is written, a picture `path` that cannot be made:
    a suffix of no format, a step-through page (made from a Value), a path that cannot be
    written (see `check_writable`; not checked with `writable=False`), no renderer, or a
    format the renderer cannot write. Return the renderer to run (None for .dot)."""
    fmt = format_of(path)
    if fmt == "html":
        raise BPValueError(f"{str(path)!r}: a step-through page is made from a Value, not from "
                           f"DOT source: viz.render(root, path)")
    if writable:
        check_writable(path)
    if fmt == "dot":
        return None
    renderer = renderer or find_renderer()
    check_format(fmt, renderer, timeout)
    return renderer


def format_of(path: PathLike) -> str:
    """The format that the suffix of `path` selects; ValueError if it selects none."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise BPValueError(f"cannot tell the format of {str(path)!r} from its suffix: use one "
                           f"of {', '.join(FORMATS)}")
    return fmt


def check_writable(path: PathLike) -> None:
    """Raise the OSError that writing `path` would meet, naming `path` and the reason:
    a missing directory, a file where a directory should be, a directory where the file
    should be, a read-only file, a directory the user may not create files in."""
    shown, target = str(path), Path(os.path.realpath(path))
    for ancestor in reversed(Path(path).parents):
        if ancestor.exists() and not ancestor.is_dir():
            raise BPNotADirectoryError(f"cannot write {shown!r}: {str(ancestor)!r} is a file, "
                                       f"not a directory")
    if not target.parent.is_dir():
        raise BPFileNotFoundError(f"cannot write {shown!r}: directory {str(target.parent)!r} "
                                  f"does not exist")
    if target.is_dir():
        raise BPIsADirectoryError(f"cannot write {shown!r}: it is a directory")
    if target.exists():
        mode = stat.S_IMODE(target.stat().st_mode)
        if not mode & 0o222 or not os.access(target, os.W_OK):
            raise BPPermissionError(f"cannot write {shown!r}: it is read-only (mode {mode:04o}); "
                                    f"make it writable (chmod u+w) or write elsewhere")
        if target.stat().st_nlink > 1:
            return                          # overwritten in place: the directory is not touched
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise BPPermissionError(f"cannot write {shown!r}: no permission to create files in "
                                f"directory {str(target.parent)!r}")


def write_file(path: PathLike, data: bytes) -> None:
    """Replace the contents of `path` by `data` as the module docstring says."""
    check_writable(path)
    target = Path(os.path.realpath(path))
    with sigterm_cleans_up():
        try:
            if target.exists() and target.stat().st_nlink > 1:
                _overwrite_in_place(target, data)
            else:
                _replace(target, data)
        except OSError as error:
            raise _naming(path, target, error) from None


def _replace(target: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `target`, give it `target`'s mode, rename it."""
    old = target.stat() if target.exists() else None
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                             suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        # NOTE: mkstemp makes the file private (0600): give it the mode the user expects.
        os.chmod(temporary, stat.S_IMODE(old.st_mode) if old else 0o666 & ~_umask())
        if old and (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
            try:
                os.chown(temporary, old.st_uid, old.st_gid)
            except PermissionError:         # only root may give a file away
                pass
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def _overwrite_in_place(target: Path, data: bytes) -> None:
    """Write `data` into `target` itself (keeping its hard links); restore it on failure."""
    previous = target.read_bytes()
    descriptor = os.open(target, os.O_WRONLY)
    try:
        try:
            _write_all(descriptor, data)
        except BaseException:
            _write_all(descriptor, previous)
            raise
    finally:
        os.close(descriptor)


def _write_all(descriptor: int, data: bytes) -> None:
    """Make the file open as `descriptor` hold exactly `data`."""
    os.lseek(descriptor, 0, os.SEEK_SET)
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]
    os.ftruncate(descriptor, len(data))


def _naming(path: PathLike, target: Path, error: OSError) -> OSError:
    """`error` again, its message naming the user's `path` instead of a temporary file."""
    reason = error.strerror or str(error)
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = f"no permission to create files in directory {str(target.parent)!r} " \
                 f"({reason})"
    named = _OURS.get(type(error), BPOSError)(f"cannot write {str(path)!r}: {reason}")
    named.errno = error.errno
    return named


_OURS = {FileNotFoundError: BPFileNotFoundError, NotADirectoryError: BPNotADirectoryError,
         IsADirectoryError: BPIsADirectoryError, PermissionError: BPPermissionError}


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
