"""The scalar autograd engine: `Value`, graph tracing and the backward pass.

A `Value` is one node of a computation graph. At forward time it records its
`parents` and, beside them, its `local_grads`: the partial derivative of the node
with respect to each parent, evaluated there and then. One entry per operand
occurrence, so `a * a` has parents `(a, a)` and local derivatives `(a, a)`.

`backward()` applies the chain rule in reverse topological order. For the root C
and every node v, with consumers u (nodes that have v among their parents):

    ∂C/∂C = 1,        ∂C/∂v = Σ_u ∂C/∂u · ∂u/∂v

where ∂u/∂v is the local derivative u stored for v. Each edge adds
`local_grad * grad` into its parent, so the pass is one plain loop.

    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> c = (a * b + a.exp()).tanh(); c.label = "c"
    >>> c.backward()
    >>> round(a.grad, 6), round(b.grad, 6)
    (0.967244, 0.440753)

Numbers mixed into an expression are folded into the node that uses them
rather than becoming nodes of their own: `a * 3` is one node whose single parent
is `a`, whose local derivative is 3.0 and whose `op` reads `"* 3"`. Every
gradient stays exact; the graph just holds only what can have a gradient.

This module imports nothing from the rest of the package.
"""

from __future__ import annotations

import math
import sys
from numbers import Real
from typing import Dict, Iterable, List, Sequence, Tuple, Union

Number = Union[int, float]


class Value:
    """A scalar in a computation graph: its `data`, its `grad` and how it was made.

    `Value(x)` makes a leaf (an input or a parameter). A custom operation is a node
    built from its result, its parents and its local derivatives:

        >>> x = Value(3.0, label="x")
        >>> y = Value(x.data ** 3, parents=(x,), local_grads=(3 * x.data ** 2,), op="cube")
        >>> y.backward(); x.grad
        27.0
    """

    __slots__ = ("data", "grad", "label", "_op", "parents", "local_grads")

    def __init__(self, data: Number, label: str = "", *, parents: Iterable[Value] = (),
                 local_grads: Iterable[Number] = (), op: str = "") -> None:
        self.data = _real(data, "Value data", label)
        self.grad = 0.0
        self.label = _text(label, "label")
        self._op = _text(op, "op")              # NOTE: set before any error calls _name()
        self.parents = _tuple(parents, "parents", self)
        self.local_grads = tuple(_real(g, "local_grads entry", label)
                                 for g in _tuple(local_grads, "local_grads", self))
        if not all(isinstance(p, Value) for p in self.parents):
            raise TypeError(f"parents of {self._name()} must all be Values, got "
                            f"{[type(p).__name__ for p in self.parents]}")
        if len(self.parents) != len(self.local_grads):
            raise ValueError(f"{self._name()} has {len(self.parents)} parents but "
                             f"{len(self.local_grads)} local_grads: give one local "
                             f"derivative per parent")
        self._op = self._op or ("custom" if self.parents else "")

    # --- arithmetic: each derivative rule is stated once, in the line that builds the node

    def __add__(self, other: Operand) -> Value:
        if isinstance(other, Value):            # ∂(a+b)/∂a = 1, ∂(a+b)/∂b = 1
            return _node(self.data + other.data, (self, other), _ONES, "+")
        c = _constant(other, self)
        return _node(self.data + c, (self,), _ONE, ("+ {}", c))

    def __sub__(self, other: Operand) -> Value:
        if isinstance(other, Value):            # ∂(a-b)/∂a = 1, ∂(a-b)/∂b = -1
            return _node(self.data - other.data, (self, other), _ONE_MINUS_ONE, "-")
        c = _constant(other, self)
        return _node(self.data - c, (self,), _ONE, ("- {}", c))

    def __rsub__(self, other: Number) -> Value:     # c - a: ∂/∂a = -1
        c = _constant(other, self)
        return _node(c - self.data, (self,), _MINUS_ONE, ("{} -", c))

    def __mul__(self, other: Operand) -> Value:
        if isinstance(other, Value):            # ∂(ab)/∂a = b, ∂(ab)/∂b = a
            return _node(self.data * other.data, (self, other), (other.data, self.data), "*")
        c = _constant(other, self)
        return _node(self.data * c, (self,), (c,), ("* {}", c))

    def __truediv__(self, other: Operand) -> Value:
        if isinstance(other, Value):            # ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = -a/b²
            b = _nonzero(other.data, other, "divide by")
            out = self.data / b                 # NOTE: -(a/b)/b, as b² may underflow to 0
            return _node(out, (self, other), (1.0 / b, -out / b), "/")
        c = _constant(other, self)
        if c == 0.0:
            raise ZeroDivisionError(f"division of {self._name()} by the number 0")
        return _node(self.data / c, (self,), (1.0 / c,), ("/ {}", c))

    def __rtruediv__(self, other: Number) -> Value:     # c / a: ∂/∂a = -c/a²
        c = _constant(other, self)
        a = _nonzero(self.data, self, "divide {} by", c)
        out = c / a                             # NOTE: -(c/a)/a, as a² may underflow to 0
        return _node(out, (self,), (-out / a,), ("{} /", c))

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, Value):            # ∂(a^b)/∂a = b·a^(b-1), ∂(a^b)/∂b = a^b·ln a
            a, b = self.data, other.data
            if a <= 0.0:
                raise ValueError(f"{self._name()} ** {other._name()}: a Value exponent needs "
                                 f"a positive base (its derivative involves ln of the base)")
            out = _power(a, b, self, other)
            return _node(out, (self, other),
                         (b * _power(a, b - 1.0, self, other, "the derivative of "),
                          out * math.log(a)), "**")
        n = _constant(other, self)              # d(a^n)/da = n·a^(n-1)
        out = _power(self.data, n, self, n)
        if n == 0.0:
            slope = 0.0
        elif self.data == 0.0 and n < 1.0:
            raise ZeroDivisionError(f"{_written(self, n)}: the derivative "
                                    f"n·x^(n-1) is infinite at x = 0")
        else:
            slope = n * _power(self.data, n - 1.0, self, n, "the derivative of ")
        return _node(out, (self,), (slope,), ("** {}", n))

    def __rpow__(self, other: Number) -> Value:     # c^a: ∂/∂a = c^a·ln c
        c = _constant(other, self)
        if c <= 0.0:
            raise ValueError(f"{_fmt(c)} ** {self._name()}: a Value exponent needs a positive "
                             f"base (its derivative involves ln of the base)")
        out = _power(c, self.data, c, self)
        return _node(out, (self,), (out * math.log(c),), ("{} **", c))

    def __neg__(self) -> Value:                 # ∂(-a)/∂a = -1
        return _node(-self.data, (self,), _MINUS_ONE, "neg")

    __radd__ = __add__
    __rmul__ = __mul__

    # --- functions

    def exp(self) -> Value:
        """e^x, with d/dx e^x = e^x. Raises OverflowError past x ≈ 709.78."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self._name()}) overflows a float: "
                                f"exp is finite only for x < 709.78") from None
        return _node(out, (self,), (out,), "exp")

    def log(self) -> Value:
        """Natural log ln x, with d/dx ln x = 1/x. Defined for x > 0 only."""
        if self.data <= 0.0:
            raise ValueError(f"log({self._name()}): log is defined only for x > 0")
        return _node(math.log(self.data), (self,), (1.0 / self.data,), "log")

    def tanh(self) -> Value:
        """tanh x, with d/dx tanh x = 1 − tanh² x = 4e / (1 + e)², e = e^(−2|x|).

        Never overflows: tanh(±800) is ±1.0 with slope 0.0.
        """
        # NOTE: 1 − tanh² x cancels to 0 past |x| ≈ 19; the form in e keeps every digit.
        e = math.exp(-2.0 * abs(self.data))
        slope = 4.0 * e / ((1.0 + e) * (1.0 + e))
        return _node(math.tanh(self.data), (self,), (slope,), "tanh")

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e^(−x)), with σ'(x) = σ(x)(1 − σ(x)) = e / (1 + e)², e = e^(−|x|).

        Evaluated as e / (1 + e) for x < 0 so that no exponent is positive:
        σ(−800) is 0.0, not an OverflowError.
        """
        # NOTE: σ(1 − σ) would cancel for x ≫ 0 (σ'(37) came out 0); the form in e does not.
        e = math.exp(-abs(self.data))
        s = 1.0 / (1.0 + e) if self.data >= 0.0 else e / (1.0 + e)
        return _node(s, (self,), (e / ((1.0 + e) * (1.0 + e)),), "sigmoid")

    def relu(self) -> Value:
        """max(0, x), with derivative 1 for x > 0 and 0 for x ≤ 0."""
        # NOTE: relu is not differentiable at exactly 0; we take relu'(0) = 0, as PyTorch does.
        if self.data > 0.0:
            return _node(self.data, (self,), _ONE, "relu")
        return _node(0.0, (self,), _ZERO, "relu")

    # --- the backward pass

    def backward(self) -> None:
        """Fill in ∂self/∂v as `v.grad` for every node v of the graph that ends here.

        `self.grad` is set to 1. Gradients of leaves *accumulate* across calls (call
        `zero_grad()` between steps; a leaf root accumulates its 1 too); gradients of
        inner nodes are recomputed on every call, so calling `backward()` twice doubles
        every leaf gradient exactly and leaves the inner ones unchanged. A leaf gradient
        that overflows a float is an OverflowError naming the leaf.
        """
        nodes = trace(self)
        # NOTE: each leaf's gradient is summed from 0 and only then added to what it held:
        # adding edge by edge into the old value, (g + c1) + c2, is not in general exactly
        # g + (c1 + c2) in floats, and a second backward() would not exactly double g.
        # (Two lists rather than a (leaf, grad) pair per leaf: backward() on a wide sum,
        # half of it leaves, was 6-24% faster.)
        leaves = [node for node in nodes if not node.parents]
        held = [leaf.grad for leaf in leaves]
        for node in nodes:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(nodes):
            parents = node.parents
            if parents:                         # a leaf has nothing to pass on
                grad = node.grad
                # NOTE: enumerate and index rather than zip(parents, local_grads): one
                # iterator per node instead of three; with the leaf test, the loop is
                # 1.16× faster on a 100,000-node chain (benchmarks/README.md).
                for i, local_grad in enumerate(node.local_grads):
                    parents[i].grad += local_grad * grad
        for leaf, grad in zip(leaves, held):
            leaf.grad += grad
            if not _isfinite(leaf.grad):
                raise OverflowError(f"∂{self._name()}/∂{leaf._name()} is {leaf.grad}: the "
                                    f"gradient overflowed a float in backward()")

    def zero_grad(self) -> None:
        """Reset the gradient of every node in the graph that ends here to 0."""
        for node in trace(self):
            node.grad = 0.0

    @property
    def op(self) -> str:
        """What made this node: "+", "tanh", "* 3" (a number folded in), "" for a leaf."""
        op = self._op
        # NOTE: a built-in operation with a folded number stores ("* {}", 3.0) and the
        # text is made here, on first read: formatting the number cost more than the rest
        # of the operation (a · 0.37 took 3.6× longer), on every node of x * -1 + 0.5.
        if isinstance(op, tuple):
            op = self._op = _op_text(op)
        return op

    @op.setter
    def op(self, text: str) -> None:
        self._op = _text(text, "op")

    @property
    def is_leaf(self) -> bool:
        """True for inputs and parameters: nodes with no parents."""
        return not self.parents

    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        op = f", op={self.op!r}" if self.op else ""
        return f"Value({label}data={self.data:.6g}, grad={self.grad:.6g}{op})"

    def _name(self) -> str:
        """How error messages name this node: its label, else its repr."""
        if self.label:
            return f"{self.label!r} (data={self.data:.6g})"
        return repr(self)


Operand = Union[Value, int, float]


def trace(root: Value) -> List[Value]:
    """Every node of the graph that ends at `root`, parents before children, root last.

    The depth-first search keeps its own stack, so a chain of a million operations
    needs no recursion. Parents are visited in their order, which makes the result
    the same on every run.
    """
    # NOTE: the stack holds bare nodes: an inner node popped for the second time is
    # finished (its parents, pushed above it, have all been popped), a leaf is finished
    # at once, and a copy of a finished node is skipped. This made trace about 4× faster
    # on a 100,000-node chain, 1.7× on an MLP step, than pushing (node, flag) pairs through
    # a generator (benchmarks/README.md). A graph has no cycles (a parent exists before its
    # children), so a node is never met again while its parents are being expanded.
    order: List[Value] = []
    expanded, done = set(), set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node in done:
            continue
        parents = node.parents
        if parents and node not in expanded:
            expanded.add(node)
            stack.append(node)
            stack += parents[::-1]          # the first parent on top: visited first
        else:
            done.add(node)
            order.append(node)
    return order


def edges(nodes: Iterable[Value]) -> List[Tuple[Value, Value, float]]:
    """One `(parent, child, local_grad)` triple per operand occurrence, in node order."""
    return [(parent, child, local_grad)
            for child in nodes
            for parent, local_grad in zip(child.parents, child.local_grads)]


def count_paths(nodes: Sequence[Value], target: Value) -> Dict[Value, int]:
    """For each node v of `nodes` (in `trace` order), the number of paths from v down to
    `target`: paths(target) = 1, paths(v) = Σ over v's operands p of paths(p), so `a * a`
    counts twice. Exact integers, in one pass, before any path is written out."""
    counts: Dict[Value, int] = {}
    for v in nodes:                     # topological order: parents are counted first
        counts[v] = 1 if v is target else sum(counts[p] for p in v.parents)
    return counts


# --- helpers: node creation without the checks a user-built node goes through

_new = object.__new__
_isfinite, _INF = math.isfinite, math.inf
_MAX_INT = int(sys.float_info.max)          # the largest int with a finite float
_ONE, _ZERO, _MINUS_ONE = (1.0,), (0.0,), (-1.0,)
_ONES, _ONE_MINUS_ONE = (1.0, 1.0), (1.0, -1.0)


def _node(data: float, parents: tuple, local_grads: tuple, op: Union[str, tuple]) -> Value:
    """A node of a built-in operation: its inputs are already checked, its outputs not.

    `op` is its text, or (template, number) for a folded number: see `Value.op`.
    """
    # NOTE: float arithmetic rounds to ±inf silently (1e308 + 1e308, 1 / 1e-320): a node
    # whose value or local derivative is not a finite float is an error, not a node. (From
    # finite operands a local derivative can become ±inf but never nan.)
    if not _isfinite(data) or _INF in local_grads or -_INF in local_grads:
        names = ", ".join(p._name() for p in parents)
        raise OverflowError(f"{_op_text(op)!r} of {names} overflows a float: value {data}, "
                            f"local derivatives {local_grads}")
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._op = op
    node.parents = parents
    node.local_grads = local_grads
    return node


def _real(x: object, what: str, label: str) -> float:
    """`x` as a finite float, or a TypeError/ValueError that says what was wrong."""
    where = f" (label {label!r})" if label else ""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what}{where} must be a real number (int or float), "
                        f"got {type(x).__name__} {x!r}")
    try:
        x = float(x)
    except OverflowError:   # NOTE: an int or Fraction beyond ±1.8e308 has no float
        raise ValueError(f"{what}{where} must be finite as a float, got a "
                         f"{type(x).__name__} too large for one") from None
    if not math.isfinite(x):
        raise ValueError(f"{what}{where} must be finite, got {x}")
    return x


def _text(x: object, what: str) -> str:
    if not isinstance(x, str):
        raise TypeError(f"{what} must be a str, got {type(x).__name__} {x!r}")
    return x


def _tuple(items: object, what: str, node: Value) -> tuple:
    """The `parents` or `local_grads` of a custom node as a tuple, or a TypeError."""
    try:
        return tuple(items)
    except TypeError:
        raise TypeError(f"{what} of {node._name()} must be a tuple with one entry per "
                        f"parent, got {type(items).__name__}") from None


def _constant(x: object, node: Value) -> float:
    """A number combined with `node`, checked like a leaf's data."""
    # NOTE: the message names the node, and formatting it cost more than the whole
    # operation (a · 0.37 took 3.6× longer): the common case returns before it is built.
    if type(x) is int and -_MAX_INT <= x <= _MAX_INT:
        x = float(x)
    if type(x) is float and _isfinite(x):
        return x
    return _real(x, f"the number combined with {node._name()}", "")


def _nonzero(x: float, node: Value, doing: str, c: float = 0.0) -> float:
    """`x`, or a ZeroDivisionError naming `node`; `doing` shows the number `c` at {}."""
    if x == 0.0:
        raise ZeroDivisionError(f"cannot {doing.format(_fmt(c))} {node._name()}: it is 0")
    return x


def _power(base: float, exponent: float, left: Operand, right: Operand,
           what: str = "") -> float:
    """base ** exponent as a real float, or an error quoting `what` and `left ** right`.

    `left` and `right` are the operands as written (Values or numbers): the message is
    built only when there is an error.
    """
    try:
        out = base ** exponent
    except ZeroDivisionError:
        raise ZeroDivisionError(f"{what}{_written(left, right)}: 0 cannot be raised to a "
                                f"negative power") from None
    except OverflowError:
        raise OverflowError(f"{what}{_written(left, right)} overflows a float") from None
    if isinstance(out, complex):
        raise ValueError(f"{what}{_written(left, right)}: a negative base to a non-integer "
                         f"power is not a real number")
    return out


def _written(left: Operand, right: Operand) -> str:
    """A power as error messages show it: `'x' (data=2) ** 3`."""
    return " ** ".join(x._name() if isinstance(x, Value) else _fmt(x) for x in (left, right))


def _op_text(op: Union[str, tuple]) -> str:
    """The text of an op stored as text or as (template, folded number)."""
    return op[0].format(_fmt(op[1])) if isinstance(op, tuple) else op


def _fmt(c: float) -> str:
    """A folded constant as it appears in `op`: `2` rather than `2.0`, exact otherwise."""
    # NOTE: repr is exact and writes integral floats below 1e16 as "2.0"; int(-0.0) would
    # lose the sign of -0.0.
    text = repr(c)
    return text[:-2] if text.endswith(".0") else text
