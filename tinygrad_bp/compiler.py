"""Compiled replay: trace a function once, then run its graph as straight-line Python.

The eager engine builds a fresh graph on every call and walks it in `backward()`.
When the same computation runs many times (a training loop), `compile(f, *example)`
traces `f` once on Values, writes the forward and the backward pass of that graph
as one Python function (a local variable per node, no Value objects), and compiles
it once with Python's builtin `compile()`:

    >>> from tinygrad_bp import compile
    >>> def f(w, x):
    ...     return (w[0] * x[0] + w[1] * x[1]).tanh()
    >>> step = compile(f, [0.5, -0.3], [1.0, 2.0])
    >>> out, (dw, dx) = step([0.1, 0.2], [3.0, 4.0])
    >>> round(out, 6), [round(g, 6) for g in dw]
    (0.800499, [1.077604, 1.436805])

The replay returns the output and ∂out/∂(every argument), bit-for-bit what the eager
engine gives for the same arguments: each node is regenerated from its rule in the
table of operations (`tinygrad_bp.ops`), whose text the engine runs too, and the
gradients accumulate edge by edge in the order of `Value.backward()`. Where the replay meets a number the graph cannot
take (a log of a negative number, a division by 0, an overflow), f is run eagerly on
the same arguments instead: the engine raises its own error, naming the node.

Like JAX's jit, compile captures one graph. Python control flow that looks at values
(`if x.data > 0`, a loop whose length depends on a value) is frozen at trace time:
the replay takes the branch the example took. `check(*args)` traces `f` again and
raises if the graph differs. The branches *inside* built-in ops (relu, sigmoid) are
regenerated, not frozen. Only the graph of the output is replayed: a value that f
computes and then drops is not recomputed, so neither are its errors.
"""

from __future__ import annotations

import builtins
import math
import re
from typing import Any, Callable, Dict, List, Sequence, Tuple

from tinygrad_bp.engine import Value, describe, real_number, trace
from tinygrad_bp.errors import BPTypeError, BPValueError
from tinygrad_bp.ops import MATH, Op

Spec = Any      # None for a number, n for a flat list of n numbers, a tuple of Specs otherwise

# NOTE: where the engine raises OverflowError (a value or a local derivative that is not
# finite), Python's floats give ±inf and carry on. An ±inf or nan value reaches the
# output unless an op on the way absorbs it (`Op.absorbs`: tanh(inf) = 1, exp(-inf) = 0,
# 1 / inf = 0, inf ** 0 = 1), so the operands of those are checked. An ±inf local
# derivative always shows in some argument's gradient.
_NAME = re.compile(r"\b(a|b|c|out|E)\b")
_NAMESPACE = {**MATH, "fsum": math.fsum}
_NUMBERS = frozenset((float,))
_LISTS = (list, tuple)
_CHUNK = 256        # values per fsum((...)) in the finiteness check


def compile(f: Callable[..., Value], *example_args: Any) -> Compiled:
    """Trace `f(*example_args)` once and return its graph as a fast replay.

    Each argument is a number or a list (or tuple) of numbers, nested as deep as you
    like; every number becomes a leaf Value while `f` is traced. `f` must return one
    Value, built from those leaves (and plain numbers, which are folded into the
    graph as constants). The result is called with arguments of the same shapes:

        out, grads = compiled(*args)

    `out` is f's value as a float and `grads` holds ∂out/∂argument for every argument,
    shaped like it (a float for a number, a list for a list).

    `f` may call `grad` on its Values: the gradient is itself a graph of built-in
    operations, so it compiles like any other, and the replay's `grads` are then second
    derivatives (`compile(lambda x: grad(g)(x), 0.5)` gives g'(x) and g''(x)).

    Raises ValueError when `f`'s graph has a node compile cannot regenerate (a custom
    op) or a leaf that is not one of the arguments (a Value captured from outside:
    pass it in as an argument so that the replay reads its current value).
    """
    if not callable(f):
        raise BPTypeError(f"compile needs a function of Values, got {type(f).__name__} {f!r}")
    specs = tuple(_spec(arg, f"argument {i}") for i, arg in enumerate(example_args))
    leaves = _leaf_args(example_args, specs)
    flat = _flatten_leaves(leaves, specs)
    out = _output(f(*leaves))
    nodes = trace(out)
    source = _generate(nodes, flat)
    code = builtins.compile(source, f"<compiled {getattr(f, '__name__', 'f')}>", "exec")
    namespace = dict(_NAMESPACE)
    exec(code, namespace)
    compiled = Compiled(f, specs, source, namespace["replay"], len(nodes))
    _check_against_eager(compiled, out, flat)
    return compiled


class Compiled:
    """A traced graph of `f`, replayed by generated code: `out, grads = compiled(*args)`.

    `source` is the generated Python (one line per node and per edge); `check(*args)`
    retraces `f` and raises if its graph at `args` is not the compiled one.
    """

    def __init__(self, f: Callable[..., Value], specs: Tuple[Spec, ...], source: str,
                 replay: Callable, n_nodes: int) -> None:
        self.function = f
        self.source = source
        self.n_nodes = n_nodes
        self._specs = specs
        self._replay = replay

    def __call__(self, *args: Any) -> Tuple[float, Tuple[Any, ...]]:
        flat = self._flatten(args)
        # NOTE: one C-speed test of the whole batch (types, then finiteness of the sum);
        # only when it fails are the numbers checked one by one, for the precise error.
        if not (_NUMBERS.issuperset(map(type, flat)) and math.isfinite(sum(flat))):
            for arg, spec, i in zip(args, self._specs, range(len(args))):
                _check_numbers(arg, spec, f"argument {i}")
            flat = [float(x) for x in flat]     # NOTE: as a leaf would: 2 ** 53 + 1 → float
        try:
            out, grads, check = self._replay(flat)
        except (ArithmeticError, ValueError, TypeError):
            check = None
        # NOTE: a non-finite check means some node overflowed; a complex one, that a
        # negative base met a fractional power. Either way the engine decides.
        if type(check) is not float or not math.isfinite(check):
            return self._eager(args)
        return out, _unflatten(grads, self._specs)

    def check(self, *args: Any) -> None:
        """Trace f again at `args`; raise ValueError if its graph is not the compiled one."""
        self._flatten(args)
        out, flat = self._run_eagerly(args)
        if _generate(trace(out), flat) != self.source:
            raise BPValueError(f"{self._name()}: f builds a different graph at these arguments "
                               f"than at the example it was compiled with (Python control flow "
                               f"on values is frozen at trace time): compile again, or run eagerly")

    def _flatten(self, args: Sequence[Any]) -> List[Any]:
        if len(args) != len(self._specs):
            raise BPTypeError(f"{self._name()} was compiled for {len(self._specs)} arguments, "
                              f"got {len(args)}")
        flat: List[Any] = []
        for i, (arg, spec) in enumerate(zip(args, self._specs)):
            # NOTE: a number or a flat list of the right length, the common case, is taken
            # as it is, without building the `where` of an error that will not happen.
            if spec is None:
                flat.append(arg)
            elif type(spec) is int and type(arg) in _LISTS and len(arg) == spec:
                flat += arg
            else:
                _flatten(arg, spec, flat, f"argument {i}")
        return flat

    def _eager(self, args: Sequence[Any]) -> Tuple[float, Tuple[Any, ...]]:
        """f and its gradients by the eager engine, which raises its own errors."""
        out, flat = self._run_eagerly(args)
        out.backward()
        return out.data, _unflatten(tuple(leaf.grad for leaf in flat), self._specs)

    def _run_eagerly(self, args: Sequence[Any]) -> Tuple[Value, List[Value]]:
        leaves = _leaf_args(args, self._specs)
        out = _output(self.function(*leaves))
        return out, _flatten_leaves(leaves, self._specs)

    def _name(self) -> str:
        return f"compiled {getattr(self.function, '__name__', 'f')}"

    def __repr__(self) -> str:
        return (f"<{self._name()}: {len(self._specs)} arguments, {self.n_nodes} nodes; "
                f".source holds the generated code>")


def _output(out: Any) -> Value:
    if not isinstance(out, Value):
        raise BPTypeError(f"compile needs f to return one Value (the output to differentiate), "
                          f"got {type(out).__name__}")
    return out


# --- generating the code

def _generate(nodes: List[Value], flat: List[Value]) -> str:
    """Python source of `replay(args)` for the graph `nodes` (topological, root last).

    `flat` lists the argument leaves in the order `args` holds their numbers.
    """
    index = {node: k for k, node in enumerate(nodes)}
    lines = ["def replay(args):",
             "    " + ", ".join(f"v{index[leaf]}" if leaf in index else "_" for leaf in flat)
             + ", = args"]
    arguments = set(flat)
    checked: Dict[str, None] = {}               # operands of absorbing ops, in order
    for k, node in enumerate(nodes):
        if not node.parents:
            if node not in arguments:
                raise BPValueError(f"cannot compile: the leaf {describe(node)} is not one of f's "
                                   f"arguments; pass it in as an argument (a Value captured "
                                   f"from outside f would be frozen), or use a plain number "
                                   f"for a constant")
            continue
        op = _rule(node)
        for statement in op.forward.split("; "):
            target, expression = statement.split(" = ")
            lines.append(f"    {_fill(target, node, k, index)} = "
                         f"{_fill(expression, node, k, index)}"
                         + (f"  # {node.label!r}" if node.label and target == "out" else ""))
        if op.absorbs:
            checked.update((f"v{index[parent]}", None) for parent in node.parents)
    root = len(nodes) - 1
    lines.append(f"    g{root} = 1.0")
    started = {root}
    for k in range(root, -1, -1):
        node = nodes[k]
        if not node.parents:
            continue
        for parent, local_grad in zip(node.parents, node.kind.local):
            p = index[parent]
            if local_grad == "1.0":             # NOTE: 1.0·g and −1.0·g are exactly g and −g
                sign, term = "+", f"g{k}"
            elif local_grad == "-1.0":
                sign, term = "-", f"g{k}"
            else:
                sign, term = "+", f"({_fill(local_grad, node, k, index)}) * g{k}"
            if p in started:
                lines.append(f"    g{p} = g{p} {sign} {term}")
            else:
                lines.append(f"    g{p} = {'-' if sign == '-' else ''}{term}")
                started.add(p)
    # NOTE: backward() sums every gradient from 0.0, and the first term here is not
    # added to 0.0: that can only turn an exact 0.0 into -0.0 (0.0 + -0.0 is 0.0), and
    # signs of zero never change a magnitude in sums and products. So every gradient
    # has its bits except perhaps the sign of a zero, which 0.0 + g restores for the
    # gradients returned, and the replay does one add fewer per node.
    grads = ", ".join(f"0.0 + g{index[leaf]}" if leaf in index else "0.0" for leaf in flat)
    lines.append(f"    grads = ({grads},)")
    # NOTE: fsum is nan or ±inf if any term is; it can also overflow from finite terms
    # (then the call falls back to the eager engine, which gives the right answer).
    terms = [f"v{root}"] + list(checked)
    sums = ["fsum(grads)"] + [f"fsum(({', '.join(terms[i:i + _CHUNK])},))"
                              for i in range(0, len(terms), _CHUNK)]
    lines.append(f"    return v{root}, grads, {' + '.join(sums)}")
    return "\n".join(lines) + "\n"


def _rule(node: Value) -> Op:
    """`node`'s record in the table of operations, or an error for a custom op."""
    if node.kind is None:
        raise BPValueError(f"cannot compile node {describe(node)}: compile regenerates every "
                           f"node from its op, and {node.op!r} with {len(node.parents)} "
                           f"parent(s) is not a built-in operation; write f with built-in "
                           f"operations only")
    return node.kind


def _fill(template: str, node: Value, k: int, index: Dict[Value, int]) -> str:
    """A rule's text with this node's variables and folded number in place."""
    names = {"out": f"v{k}", "E": f"e{k}", "c": f"({node.const!r})"}
    for name, parent in zip("ab", node.parents):
        names[name] = f"v{index[parent]}"
    # NOTE: the number is written in parentheses, so that (-2.0) ** a stays what it says.
    return _NAME.sub(lambda match: names[match.group()], template)


def _check_against_eager(compiled: Compiled, out: Value, flat: List[Value]) -> None:
    """The replay at the example must give exactly the traced graph's value and gradients.

    It can only differ for a built-in node whose data or local_grads were changed
    after it was built.
    """
    out.backward()
    want = [out.data] + [leaf.grad for leaf in flat]
    try:
        value, grads, check = compiled._replay([leaf.data for leaf in flat])
        same = ([float(x).hex() for x in (value, *grads)] == [x.hex() for x in want]
                and math.isfinite(check))
    except (ArithmeticError, ValueError, TypeError):
        same = False
    if not same:
        raise BPValueError("cannot compile: the graph has a node whose op does not match its "
                           "data or local_grads (changed after the node was built?); the "
                           "replay would not reproduce f")


# --- arguments: numbers and nested lists of numbers, flattened in order

def _spec(arg: Any, where: str) -> Spec:
    """The shape of an example argument: None, a length, or a tuple of shapes."""
    if isinstance(arg, (list, tuple)):
        specs = tuple(_spec(x, f"{where}[{j}]") for j, x in enumerate(arg))
        return len(specs) if all(s is None for s in specs) else specs
    real_number(arg, where)
    return None


def _leaf_args(args: Sequence[Any], specs: Tuple[Spec, ...]) -> List[Any]:
    """Fresh leaf Values shaped like `args`, labelled arg0, arg1[2], ..."""
    return [_leaves(arg, spec, f"arg{i}") for i, (arg, spec) in enumerate(zip(args, specs))]


def _leaves(arg: Any, spec: Spec, name: str) -> Any:
    """Fresh leaf Values in the shape of `arg`, labelled arg0, arg1[2], ..."""
    if spec is None:
        return Value(arg, label=name)
    specs = (None,) * spec if isinstance(spec, int) else spec
    return [_leaves(x, s, f"{name}[{j}]") for j, (x, s) in enumerate(zip(arg, specs))]


def _flatten_leaves(leaves: List[Any], specs: Tuple[Spec, ...]) -> List[Value]:
    flat: List[Value] = []
    for arg, spec in zip(leaves, specs):
        _flatten(arg, spec, flat, "")
    return flat


def _flatten(x: Any, spec: Spec, flat: List[Any], where: str) -> None:
    """Append the numbers of `x` to `flat`, or raise if `x` is not shaped like `spec`."""
    if spec is None:
        flat.append(x)
        return
    length = spec if isinstance(spec, int) else len(spec)
    if not isinstance(x, (list, tuple)) or len(x) != length:
        is_list = isinstance(x, (list, tuple))
        got = f"a list of {len(x)}" if is_list else type(x).__name__
        raise (BPValueError if is_list else BPTypeError)(
            f"{where} must be a list of {length}, like the example it was compiled with, "
            f"got {got}")
    if isinstance(spec, int):
        flat.extend(x)
    else:
        for j, (xj, sj) in enumerate(zip(x, spec)):
            _flatten(xj, sj, flat, f"{where}[{j}]")


def _check_numbers(x: Any, spec: Spec, where: str) -> None:
    """Raise the engine's error for the first number in `x` a leaf would refuse."""
    if spec is None:
        real_number(x, where)
        return
    specs = (None,) * spec if isinstance(spec, int) else spec
    for j, (xj, sj) in enumerate(zip(x, specs)):
        _check_numbers(xj, sj, f"{where}[{j}]")


def _unflatten(grads: Tuple[float, ...], specs: Tuple[Spec, ...]) -> Tuple[Any, ...]:
    """The flat gradients regrouped like the arguments."""
    out = []
    position = 0
    for spec in specs:
        if spec is None:                # NOTE: numbers and flat lists without a call
            out.append(grads[position])
            position += 1
        elif type(spec) is int:
            out.append(list(grads[position:position + spec]))
            position += spec
        else:
            part, position = _regroup(grads, spec, position)
            out.append(part)
    return tuple(out)


def _regroup(grads: Tuple[float, ...], spec: Spec, position: int) -> Tuple[Any, int]:
    if spec is None:
        return grads[position], position + 1
    if isinstance(spec, int):
        return list(grads[position:position + spec]), position + spec
    part = []
    for s in spec:
        item, position = _regroup(grads, s, position)
        part.append(item)
    return part, position
