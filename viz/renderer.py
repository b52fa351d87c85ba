"""Finding and running a Graphviz renderer: DOT source in, SVG/PNG/PDF bytes out.

The renderer is the first of:

1. the executable named by the environment variable `TINYGRAD_BP_DOT` (a path, or a
   name looked up on PATH);
2. Graphviz's `dot` on PATH;
3. `graphviz-pure`, the self-contained port of Graphviz installed by pip with
   tinygrad_bp (on PATH, or in the scripts directory of the running Python when
   its environment is not activated). It writes svg and png, but not pdf yet.

It runs as `renderer -T<format>` with the DOT source on stdin and the picture on
stdout. Nothing is looked up at import time: `find_renderer` raises
`RendererNotFound` when it is called and nothing is found.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from typing import List, Mapping, Optional

import graphviz

from tinygrad_bp.errors import TinygradBPError

ENV_VAR = "TINYGRAD_BP_DOT"
PURE = "graphviz-pure"


class RendererNotFound(TinygradBPError, graphviz.ExecutableNotFound):
    """No Graphviz renderer was found; the message says how to get one."""

    def __init__(self, message: str) -> None:
        # NOTE: ExecutableNotFound formats its own message from a command; ours says more.
        RuntimeError.__init__(self, message)


class RenderError(TinygradBPError, RuntimeError):
    """The renderer ran and failed; `stderr` holds what it said."""

    def __init__(self, command: List[str], returncode: int, stderr: str) -> None:
        super().__init__(f"{' '.join(command)} failed with exit status {returncode}:\n"
                         f"{stderr.strip() or '(no message on stderr)'}")
        self.command = command
        self.returncode = returncode
        self.stderr = stderr


def find_renderer(environ: Optional[Mapping[str, str]] = None,
                  path: Optional[str] = None) -> str:
    """The renderer to run, as a path; `RendererNotFound` if there is none.

    `environ` defaults to `os.environ`. `path` is the search path for `dot` and
    `graphviz-pure` (default: the PATH in `environ`, then, for graphviz-pure only,
    this Python's scripts directories). Tests pass both to control the search.
    """
    environ = os.environ if environ is None else environ
    search = environ.get("PATH", os.defpath) if path is None else path
    named = environ.get(ENV_VAR, "")
    if named:
        found = shutil.which(named, path=search)
        if found is None:
            raise RendererNotFound(f"{ENV_VAR}={named!r} is not an executable file or a "
                                   f"command on PATH: fix it, or unset it to use Graphviz's "
                                   f"dot or {PURE}")
        return found
    found = shutil.which("dot", path=search) or shutil.which(PURE, path=search)
    if found is None and path is None:
        found = shutil.which(PURE, path=os.pathsep.join(_scripts_directories()))
    if found is None:
        raise RendererNotFound(
            f"no Graphviz renderer found: none named by {ENV_VAR}, no `dot` and no `{PURE}` on "
            f"the search path. Install one with `pip install {PURE}` or your system's Graphviz "
            f"package (e.g. `apt-get install graphviz`), or set {ENV_VAR} to a dot-compatible "
            f"executable. The DOT source is still available: draw_dot(root).source, or render "
            f"to a .dot file.")
    return found


def run_renderer(source: str, fmt: str, renderer: str) -> bytes:
    """The picture `renderer -T<fmt>` makes of the DOT `source`; `RenderError` if it fails."""
    command = [renderer, f"-T{fmt}"]
    try:
        done = subprocess.run(command, input=source.encode("utf-8"), capture_output=True)
    except OSError as error:
        raise RendererNotFound(f"cannot run the renderer {renderer!r}: {error}") from None
    if done.returncode != 0:
        raise RenderError(command, done.returncode, done.stderr.decode("utf-8", "replace"))
    return done.stdout


def _scripts_directories() -> List[str]:
    """Where pip puts the executables of this Python: its environment's, then the user's."""
    directories = [sysconfig.get_path("scripts")]
    preferred = getattr(sysconfig, "get_preferred_scheme", None)     # Python 3.10+
    if preferred is not None:
        directories.append(sysconfig.get_path("scripts", preferred("user")))
    return directories
