"""`grad(f)`, `value_and_grad(f)` and `hessian(f)`: the engine's derivatives of a function,
JAX-style. Called with numbers they return floats; `grad` and `value_and_grad` called with
`Value`s return `Value`s, so that they compose: `grad(grad(f))(x)` is f''(x)."""

from __future__ import annotations

import inspect
from typing import Callable, Dict, List, Mapping, Sequence, Tuple, Union

from tinygrad_bp.checking.report import node_name, wrapped
from tinygrad_bp.engine import Value, gradients as gradients_of, trace
from tinygrad_bp.errors import BPTypeError, BPValueError

Argnums = Union[int, Sequence[int], None]
Gradients = Union[float, Tuple[float, ...]]
Derivatives = Union[Gradients, Value, Tuple[Value, ...]]   # floats for numbers, Values for Values


def grad(f: Callable[..., Value], argnums: Argnums = None) -> Callable[..., Derivatives]:
    """The function that maps x to ∂f/∂x: `grad(f)(*xs)`.

    `f` takes `Value`s and returns a `Value`. Called with numbers, the returned function
    calls `f` on leaf `Value`s labelled with `f`'s parameter names (so errors and
    `explain` name them) and returns the gradient of the result as floats:

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

    Called with `Value`s (any argument a Value), it returns the gradients as `Value`s
    instead, in the same shapes: each built with engine operations from the table's
    differentiable rules, so it can be differentiated again. That makes `grad` compose,
    to any order; f''(0.5) of tanh is −2 tanh(0.5)(1 − tanh²(0.5)):

        >>> round(grad(grad(lambda x: x.tanh()))(0.5), 6)
        -0.726862

    The nodes such a gradient adds to the graph say which derivative they belong to: the
    gradient of each argument and node v is labelled `∂f/∂v` (`f` being the result's
    label, else `f`'s name, else "f"), and every other new node `∂f/∂v·…`, a part of
    the nearest such gradient above it.
    """
    check_function(f, "grad")
    value_and_grad_f = value_and_grad(f, argnums)

    def grad_f(*args: object, **kwargs: object) -> Derivatives:
        return value_and_grad_f(*args, **kwargs)[1]

    return _named(grad_f, "grad", f)


def value_and_grad(f: Callable[..., Value],
                   argnums: Argnums = None) -> Callable[..., Tuple[object, Derivatives]]:
    """Like `grad(f, argnums)`, but the function returns `(f(*xs).data, gradients)`, or,
    called with `Value`s, `(f(*xs), gradients)` as `Value`s.

        >>> value_and_grad(lambda x: x.exp())(0.0)
        (1.0, 1.0)
    """
    check_function(f, "value_and_grad")

    def value_and_grad_f(*args: object, **kwargs: object) -> Tuple[object, Derivatives]:
        picked, names, leaves, root = _traced(f, argnums, args, kwargs)
        single = isinstance(argnums, int) or (argnums is None and len(args) == 1)
        if any(isinstance(arg, Value) for arg in args):
            wrt = {leaves[i]: leaves[i].label or names[i] for i in picked}
            found = _named_gradients(root, wrt, _short_name(f))
            values = tuple(found[leaves[i]] for i in picked)
            return root, (values[0] if single else values)
        gradients = gradients_of(root)
        numbers = tuple(gradients.get(leaves[i], 0.0) for i in picked)
        return root.data, (numbers[0] if single else numbers)

    return _named(value_and_grad_f, "value_and_grad", f)


def hessian(f: Callable[..., Value],
            argnums: Argnums = None) -> Callable[..., List[List[float]]]:
    """The function that maps numbers x to the matrix H_ij = ∂²f/∂x_i∂x_j, as a list of
    rows of floats, one row and one column per argument in `argnums` (all by default;
    `argnums=i` gives a 1×1 matrix). H is symmetric up to rounding.

    `f` is traced once; one reverse pass builds every first derivative ∂f/∂x_i as a graph
    (the table's differentiable rules), and one reverse pass over each of those gives row
    i. For n arguments and a graph of N nodes that is n + 1 passes: O(n·N) time, and O(N)
    memory, as the derivative graphs add a few nodes per node of f (often far less than n
    calls of `grad`, which would each trace f and build the derivatives again).

        >>> hessian(lambda x, y: x * x * y)(3.0, 2.0)     # [[2y, 2x], [2x, 0]]
        [[4.0, 6.0], [6.0, 0.0]]
    """
    check_function(f, "hessian")

    def hessian_f(*args: object, **kwargs: object) -> List[List[float]]:
        if any(isinstance(arg, Value) for arg in args):
            raise BPTypeError(f"hessian({function_name(f)}) takes numbers and returns floats; "
                              f"for second derivatives as Values compose grad: "
                              f"grad(grad(f))")
        picked, _, leaves, root = _traced(f, argnums, args, kwargs)
        seconds = second_derivatives(root, [leaves[i] for i in picked])
        return [[seconds[leaves[i]].get(leaves[j], 0.0) for j in picked] for i in picked]

    return _named(hessian_f, "hessian", f)


def second_derivatives(root: Value, nodes: Sequence[Value]) -> Dict[Value, Dict[Value, float]]:
    """For each node u of `nodes`, {v: ∂²root/∂u∂v} for the nodes v that ∂root/∂u depends
    on (the others: 0). One reverse pass builds every ∂root/∂u as a graph (the table's
    differentiable rules), and one float reverse pass over each differentiates it."""
    first = gradients_of(root, create_graph=True)
    found: Dict[Value, Dict[Value, float]] = {}
    for u in nodes:
        if u not in found:
            slope = first.get(u, 0.0)
            found[u] = gradients_of(slope) if isinstance(slope, Value) else {}
    return found


def _traced(f: Callable[..., Value], argnums: Argnums, args: Sequence[object],
            kwargs: Mapping[str, object]) -> Tuple[List[int], List[str], Dict[int, Value], Value]:
    """f called on Values: the picked positions, the parameter names, the Value given for
    each argument to differentiate or number (a new labelled leaf for a number), the result."""
    picked = _picked(argnums, len(args))
    names = arg_names(f, len(args))
    leaves = {i: arg if isinstance(arg, Value) else Value(arg, label=names[i])
              for i, arg in enumerate(args) if i in picked or is_number(arg)}
    root = call(f, [leaves.get(i, arg) for i, arg in enumerate(args)], kwargs)
    return picked, names, leaves, root


def _named_gradients(root: Value, wrt: Mapping[Value, str], name: str) -> Dict[Value, Value]:
    """∂root/∂v as a Value for each v of `wrt` (which names it), the new nodes labelled.

    The gradient of each argument and of each node v of root's graph is labelled ∂f/∂v
    (v by its name in reports) when it is a new, unlabelled node; every other new node
    takes the label of the nearest one above it with `·…`: a part of that derivative.
    Unlabelled leaves, and nodes labelled with a ∂ (derivatives named by an inner
    `grad`), name no derivative of their own.
    """
    found = gradients_of(root, create_graph=True)
    top = wrapped(root.label or name)
    forward = trace(root)
    old = set(forward)
    names = {v: wrt.get(v) or node_name(v) for v in reversed(forward)
             if v in wrt or (v.parents or v.label) and not v.label.startswith("∂")}
    names.update(wrt)                   # arguments f did not use too
    result = {}
    for v, label in names.items():
        value = found.get(v, 0.0)
        if v in wrt and not isinstance(value, Value):
            # NOTE: a constant gradient c is built as 0·v + c, a node whose derivative is 0:
            # a new leaf would be a constant from outside the arguments, which compile
            # (rightly, for a captured Value) refuses to replay.
            value = v * 0.0 + value
        if isinstance(value, Value) and value not in old and not value.label:
            value.label = f"∂{top}/∂{wrapped(label)}"
        if v in wrt:
            result[v] = value
    for v, label in names.items():
        value = result.get(v, found.get(v))
        if isinstance(value, Value) and value not in old:
            _label_parts(value, f"∂{top}/∂{wrapped(label)}·…", old)
    return result


def _label_parts(derivative: Value, label: str, old: set) -> None:
    """Label every new unlabelled node that `derivative` was computed from, down to the
    nodes of the original graph and to nodes labelled already."""
    stack = list(derivative.parents)
    while stack:
        node = stack.pop()
        if node in old or node.label:
            continue
        node.label = label
        stack += node.parents


def _short_name(f: Callable[..., object]) -> str:
    """f's name when it is a plain identifier (`loss`), else "f"."""
    name = getattr(f, "__name__", "")
    return name if isinstance(name, str) and name.isidentifier() else "f"


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


def derivative_order(order: object) -> int:
    """`order` of gradcheck and check: 1 (gradients) or 2 (second derivatives), or an error."""
    if isinstance(order, bool) or not isinstance(order, int):
        raise BPTypeError(f"order must be 1 or 2 (an int), got {type(order).__name__} "
                          f"{order!r}")
    if order not in (1, 2):
        raise BPValueError(f"order must be 1 (gradients) or 2 (second derivatives), got "
                           f"{order}")
    return order


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
