"""Writing a graph to a file: the format from the suffix, the file written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Optional, Union

from tinygrad_bp.engine import Value
from tinygrad_bp.viz.dot import draw_dot
from tinygrad_bp.viz.renderer import find_renderer, run_renderer
from tinygrad_bp.viz.steps import steps_page

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".html": "html"}


def render(root: Value, path: Union[str, os.PathLike], *, renderer: Optional[str] = None,
           **draw_options: Any) -> Path:
    """Draw the graph of `root` (see `draw_dot` for the options) into `path`; return it.

    The format comes from the suffix: `.svg`, `.png`, `.pdf` (Graphviz's `dot` only),
    `.dot`, which is the DOT source itself and needs no renderer, or `.html`, the
    step-through page of `viz.steps.steps_page`. `renderer` is the
    executable to run; by default `find_renderer()` picks one. The picture is made in
    memory and written to a temporary file beside `path`, then moved over it: a failure
    at any step leaves `path` as it was and no temporary file behind.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot tell the format of {str(path)!r} from its suffix: use one "
                         f"of {', '.join(FORMATS)}")
    if fmt == "html":
        _write_atomically(path, steps_page(root, renderer=renderer, **draw_options)
                          .html.encode("utf-8"))
        return path
    source = draw_dot(root, **draw_options).source
    if fmt == "dot":
        picture = source.encode("utf-8")
    else:
        picture = run_renderer(source, fmt, renderer or find_renderer())
    _write_atomically(path, picture)
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same directory and a rename."""
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: directory {str(path.parent)!r} "
                                f"does not exist")
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        # NOTE: mkstemp makes the file private (0600); give it the mode a new file gets.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
