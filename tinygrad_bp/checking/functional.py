"""`grad(f)` and `value_and_grad(f)`: the engine's gradient of a function, JAX-style."""

from __future__ import annotations

import inspect
from typing import Callable, List, Mapping, Sequence, Tuple, Union

from tinygrad_bp.engine import Value, gradients as gradients_of
from tinygrad_bp.errors import BPTypeError, BPValueError

Argnums = Union[int, Sequence[int], None]
Gradients = Union[float, Tuple[float, ...]]


def grad(f: Callable[..., Value], argnums: Argnums = None) -> Callable[..., Gradients]:
    """The function that maps numbers x to ∂f/∂x: `grad(f)(*xs)`.

    `f` takes `Value`s and returns a `Value`. The returned function takes numbers, calls
    `f` on leaf `Value`s labelled with `f`'s parameter names (so errors and `explain`
    name them), and returns the gradient of the result as floats:

    - `argnums=None` (default): with respect to every argument, a float when there is
      one argument and a tuple of floats when there are several;
    - `argnums=i`: with respect to argument i only, a float;
    - `argnums=(i, j, ...)`: a tuple, in that order.

    Numbers not in `argnums` become labelled leaves too, so `f` works the same
    whichever gradients are asked for; other arguments not in `argnums` (a list, a
    flag) are passed to `f` unchanged, and so are keyword arguments.

        >>> grad(lambda x: x * x)(3.0)
        6.0
        >>> grad(lambda x, y: x * y, argnums=1)(3.0, 4.0)
        3.0
    """
    check_function(f, "grad")
    value_and_grad_f = value_and_grad(f, argnums)

    def grad_f(*args: object, **kwargs: object) -> Gradients:
        return value_and_grad_f(*args, **kwargs)[1]

    return _named(grad_f, "grad", f)


def value_and_grad(f: Callable[..., Value],
                   argnums: Argnums = None) -> Callable[..., Tuple[float, Gradients]]:
    """Like `grad(f, argnums)`, but the function returns `(f(*xs).data, gradients)`.

        >>> value_and_grad(lambda x: x.exp())(0.0)
        (1.0, 1.0)
    """
    check_function(f, "value_and_grad")

    def value_and_grad_f(*args: object, **kwargs: object) -> Tuple[float, Gradients]:
        picked = _picked(argnums, len(args))
        names = arg_names(f, len(args))
        leaves = {i: Value(arg, label=names[i]) for i, arg in enumerate(args)
                  if i in picked or is_number(arg)}
        root = call(f, [leaves.get(i, arg) for i, arg in enumerate(args)], kwargs)
        gradients = gradients_of(root)
        found = tuple(gradients.get(leaves[i], 0.0) for i in picked)
        single = isinstance(argnums, int) or (argnums is None and len(args) == 1)
        return root.data, (found[0] if single else found)

    return _named(value_and_grad_f, "value_and_grad", f)


def call(f: Callable[..., object], args: Sequence[object],
          kwargs: Mapping[str, object]) -> Value:
    result = f(*args, **kwargs)
    if not isinstance(result, Value):
        raise BPTypeError(f"{function_name(f)} returned {type(result).__name__} {result!r}, "
                          f"not a Value: build the result from the Values it is given (a "
                          f"float() or .data on the way cuts the graph)")
    return result


def is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_function(f: object, who: str) -> None:
    if not callable(f):
        raise BPTypeError(f"{who} needs a function of Values, got {type(f).__name__} {f!r}")


def tolerance(x: object, name: str) -> float:
    """A tolerance (rtol, atol) as a float, or an error: it must be a number >= 0."""
    if not is_number(x):
        raise BPTypeError(f"{name} must be a number >= 0, got {type(x).__name__} {x!r}")
    if not x >= 0.0:
        raise BPValueError(f"{name} must be a number >= 0, got {x!r}")
    return float(x)


def _picked(argnums: Argnums, count: int) -> List[int]:
    """The argument positions to differentiate, checked against the call."""
    if argnums is None:
        return list(range(count))
    picked = [argnums] if isinstance(argnums, int) else \
        list(argnums) if isinstance(argnums, (tuple, list)) else [argnums]
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in picked):
        raise BPTypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
    for i in picked:
        if not 0 <= i < count:
            raise BPValueError(f"argnums entry {i!r} is not the position of one of the "
                               f"{count} arguments given (0 to {count - 1})")
    if len(set(picked)) != len(picked):
        raise BPValueError(f"argnums {argnums!r} names an argument twice")
    return picked


def arg_names(f: Callable[..., object], count: int) -> List[str]:
    """f's positional parameter names for `count` arguments: `x`, `y`; `xs[0]` for *xs;
    `arg0`, `arg1`... where the signature says nothing."""
    names: List[str] = []
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    for p in parameters:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            names.extend(f"{p.name}[{i}]" for i in range(count - len(names)))
    names = names[:count]
    return names + [f"arg{i}" for i in range(len(names), count)]


def _named(wrapper: Callable, kind: str, f: Callable) -> Callable:
    wrapper.__name__ = wrapper.__qualname__ = f"{kind}({function_name(f)})"
    wrapper.__doc__ = f"{kind} of {function_name(f)}: see tinygrad_bp.{kind}."
    return wrapper


def function_name(f: Callable[..., object]) -> str:
    return getattr(f, "__qualname__", None) or repr(f)
