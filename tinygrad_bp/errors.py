"""The errors tinygrad_bp raises: every one derives from `TinygradBPError`.

Each also derives from the built-in exception that says what went wrong, so both
ways of catching work: `except ValueError` for one kind of mistake, `except
TinygradBPError` for anything this package refused. A wrong type is a
`BPTypeError` (a TypeError), a wrong value a `BPValueError` (a ValueError).

    >>> from tinygrad_bp.nn import MLP
    >>> try:
    ...     MLP(2.0, [2])
    ... except TypeError as error:
    ...     print(error, isinstance(error, TinygradBPError))
    nin (a number of inputs) must be a positive int, got float 2.0 True

This module imports nothing, so the engine can use it and still import nothing
else from the package.
"""


class TinygradBPError(Exception):
    """Base of every error tinygrad_bp raises."""


class BPTypeError(TinygradBPError, TypeError):
    """An argument of the wrong type."""


class BPValueError(TinygradBPError, ValueError):
    """An argument of the right type with a wrong value."""


class BPOverflowError(TinygradBPError, OverflowError):
    """A result too large for a float (the engine never returns inf)."""


class BPZeroDivisionError(TinygradBPError, ZeroDivisionError):
    """A division by zero, or a derivative that would need one."""


class BPOSError(TinygradBPError, OSError):
    """A file that cannot be written; the message names the user's path and why."""


class BPFileNotFoundError(BPOSError, FileNotFoundError):
    """A file cannot be written because its directory does not exist."""


class BPNotADirectoryError(BPOSError, NotADirectoryError):
    """A file cannot be written because a file stands where a directory should be."""


class BPIsADirectoryError(BPOSError, IsADirectoryError):
    """A file cannot be written because it is a directory."""


class BPPermissionError(BPOSError, PermissionError):
    """A file cannot be written for want of permission."""
