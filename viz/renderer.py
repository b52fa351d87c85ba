"""Finding and running a Graphviz renderer: DOT source in, picture bytes out, within a time limit.

The renderer is the first of:

1. the executable named by the environment variable `TINYGRAD_BP_DOT` (a path, or a
   name looked up on PATH);
2. Graphviz's `dot` on PATH;
3. `graphviz-pure`, the self-contained port of Graphviz installed by pip with
   tinygrad_bp (on PATH, or in the scripts directory of the running Python when
   its environment is not activated). It writes svg, png and jpg, but not pdf.

It runs as `renderer -T<format>` with the DOT source on stdin and the picture on
stdout, in a process group of its own, for at most `timeout` seconds (default
`DEFAULT_TIMEOUT`, or `TINYGRAD_BP_RENDER_TIMEOUT`). On a timeout, Ctrl-C or SIGTERM the
whole group is killed: no renderer outlives the call. Nothing is looked up at import
time: `find_renderer` raises `RendererNotFound` when it is called and nothing is found.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import sysconfig
import tempfile
import threading
from contextlib import contextmanager
from types import FrameType
from typing import IO, Callable, Dict, FrozenSet, Iterator, List, Mapping, Optional, Tuple

import graphviz

from tinygrad_bp.errors import BPValueError, TinygradBPError

ENV_VAR = "TINYGRAD_BP_DOT"
TIMEOUT_ENV_VAR = "TINYGRAD_BP_RENDER_TIMEOUT"
DEFAULT_TIMEOUT = 60.0
PURE = "graphviz-pure"
STDERR_SHOWN = 2000                 # bytes of a renderer's stderr quoted in an error
PROBE_TIMEOUT = 10.0                # seconds for `renderer -T?` to list its formats
GET_GRAPHVIZ = ("install Graphviz (`apt-get install graphviz`, `brew install graphviz`, or "
                "https://graphviz.org/download/) or set TINYGRAD_BP_DOT to its dot")


class RendererNotFound(TinygradBPError, graphviz.ExecutableNotFound):
    """No Graphviz renderer was found; the message says how to get one."""

    def __init__(self, message: str) -> None:
        # NOTE: ExecutableNotFound formats its own message from a command; ours says more.
        RuntimeError.__init__(self, message)


class RenderError(TinygradBPError, RuntimeError):
    """The renderer ran and failed; `stderr` holds the start of what it said."""

    def __init__(self, command: List[str], returncode: int, stderr: str) -> None:
        super().__init__(f"{' '.join(command)} failed with exit status {returncode}:\n"
                         f"{stderr.strip() or '(no message on stderr)'}")
        self.command = command
        self.returncode = returncode
        self.stderr = stderr


class RenderTimeout(RenderError):
    """The renderer ran longer than its time limit and was killed."""

    def __init__(self, command: List[str], timeout: float, stderr: str) -> None:
        RuntimeError.__init__(self, f"{' '.join(command)} took more than {timeout:g} s and was "
                                    f"stopped: draw a smaller graph, or allow more time with "
                                    f"timeout= (or {TIMEOUT_ENV_VAR}=seconds)")
        self.command, self.returncode, self.stderr = command, None, stderr


class FormatUnavailable(BPValueError):
    """The renderer found cannot write the format asked for; the message says what can."""


class Terminated(BaseException):
    """SIGTERM arrived while a picture was being made (see `sigterm_cleans_up`)."""


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


def render_timeout(environ: Optional[Mapping[str, str]] = None) -> float:
    """Seconds a renderer may run: `TINYGRAD_BP_RENDER_TIMEOUT` if set, else 60."""
    text = (os.environ if environ is None else environ).get(TIMEOUT_ENV_VAR, "")
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):      # NOTE: false for nan too
        raise BPValueError(f"{TIMEOUT_ENV_VAR}={text!r} must be a positive number of seconds")
    return seconds


@functools.lru_cache(maxsize=None)
def renderer_formats(renderer: str, timeout: float = PROBE_TIMEOUT) -> Optional[FrozenSet[str]]:
    """The -T formats `renderer` writes, read from the list it prints when asked for an
    unknown one (as Graphviz's dot and graphviz-pure both do); None if it prints none."""
    _, _, said = _run([renderer, "-T?"], b"", timeout)
    listed = re.search(r"Use one of:([^\n]*)", said)
    return None if listed is None else frozenset(listed.group(1).split())


def check_format(fmt: str, renderer: str, timeout: Optional[float] = None) -> None:
    """Raise `FormatUnavailable` at once if `renderer` says it cannot write `fmt`."""
    timeout = render_timeout() if timeout is None else timeout
    formats = renderer_formats(renderer, min(PROBE_TIMEOUT, timeout))
    if formats is None or fmt in formats:
        return
    pictures = sorted(formats & {"svg", "png", "jpg", "pdf", "gif"})
    needs = f"{fmt.upper()} needs Graphviz's dot: {GET_GRAPHVIZ}" if fmt == "pdf" else \
        f"use another renderer ({GET_GRAPHVIZ})"
    raise FormatUnavailable(f"the renderer {renderer} cannot write {fmt} (it writes "
                            f"{', '.join(pictures) or 'none of svg, png, jpg, pdf'}). {needs}; "
                            f"or write one of those formats")


def run_renderer(source: str, fmt: str, renderer: str, timeout: Optional[float] = None) -> bytes:
    """The picture `renderer -T<fmt>` makes of the DOT `source`.

    `RenderError` if it fails, `RenderTimeout` if it runs past `timeout` seconds (default:
    `render_timeout()`). The renderer runs in its own process group, killed whole on a
    timeout, on Ctrl-C and on SIGTERM.
    """
    command = [renderer, f"-T{fmt}"]
    returncode, picture, said = _run(command, source.encode("utf-8"),
                                     render_timeout() if timeout is None else timeout)
    if returncode != 0:
        raise RenderError(command, returncode, said)
    return picture


def _run(command: List[str], stdin: bytes, timeout: float) -> Tuple[int, bytes, str]:
    """Run `command` in a process group of its own, killed whole on a timeout, Ctrl-C or
    SIGTERM; return its exit status, its stdout and the start of its stderr."""
    # NOTE: stderr goes to a file, of which only the start is read: a renderer that
    # writes without end cannot fill memory.
    with tempfile.TemporaryFile() as stderr, sigterm_cleans_up():
        process = None
        try:
            with signals_held():
                try:
                    process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                               stdout=subprocess.PIPE, stderr=stderr,
                                               start_new_session=True)
                except OSError as error:
                    raise RendererNotFound(f"cannot run the renderer {command[0]!r}: "
                                           f"{error}") from None
            stdout, _ = process.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise RenderTimeout(command, timeout, _start_of(stderr)) from None
        except BaseException:
            if process is not None:
                _kill_group(process)
            raise
        return process.returncode, stdout, _start_of(stderr)


Handler = Callable[[int, Optional[FrameType]], object]      # a signal's Python handler


@contextmanager
def signals_held() -> Iterator[None]:
    """Within this block Ctrl-C and SIGTERM are held back; at its end each one that came
    reaches the handler there was before, in the order they came, every one even if an
    earlier one raises.

    NOTE: Popen returns the process only once it has started it. A KeyboardInterrupt
    raised in between (as it returns from the fork) loses the process: nothing could kill
    the renderer, which would outlive the command. Held back, the signal arrives once the
    process is known.

    Only Python handlers are held (only they can raise), and only in the main thread
    (the only one they run in).
    """
    held: Dict[int, Optional[FrameType]] = {}
    previous: Dict[int, Handler] = {}
    try:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                handler = signal.getsignal(signum)
                if callable(handler):
                    previous[signum] = handler
                    signal.signal(signum, lambda number, frame: held.setdefault(number, frame))
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _deliver([(previous[signum], signum, frame) for signum, frame in held.items()])


def _deliver(signals: List[Tuple[Handler, int, Optional[FrameType]]]) -> None:
    """Call each handler on its signal in turn, every one even if an earlier one raises
    (the exception of the last to raise propagates, the earlier ones as its context)."""
    if signals:
        (handler, signum, frame), rest = signals[0], signals[1:]
        try:
            handler(signum, frame)
        finally:
            _deliver(rest)


@contextmanager
def sigterm_cleans_up() -> Iterator[None]:
    """Within this block SIGTERM raises `Terminated`, so that `finally` blocks run (the
    renderer is killed, temporary files removed); then SIGTERM is delivered again to the
    handler there was before, by default ending the process as it would have.

    Only where SIGTERM would kill Python outright (its default action, main thread);
    elsewhere, and inside another such block, it changes nothing.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL):
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated(signum)

    signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    except Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)
        raise
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the renderer and everything it started, and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _start_of(stderr: IO[bytes]) -> str:
    """The first `STDERR_SHOWN` bytes of the renderer's stderr, and how much more there was."""
    size = stderr.seek(0, os.SEEK_END)
    stderr.seek(0)
    text = stderr.read(STDERR_SHOWN).decode("utf-8", "replace")
    if size > STDERR_SHOWN:
        text += f"\n… ({size - STDERR_SHOWN} more bytes not shown)"
    return text


def _scripts_directories() -> List[str]:
    """Where pip puts the executables of this Python: its environment's, then the user's."""
    directories = [sysconfig.get_path("scripts")]
    preferred = getattr(sysconfig, "get_preferred_scheme", None)     # Python 3.10+
    if preferred is not None:
        directories.append(sysconfig.get_path("scripts", preferred("user")))
    return directories
