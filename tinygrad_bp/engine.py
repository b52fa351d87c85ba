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

Each built-in operation is a record of the table in `tinygrad_bp.ops`: a node keeps
its record (`kind`) and its folded number (`const`), and `Value`'s operators and
functions are built from the table's rules. This module imports nothing else from the
rest of the package.
"""

from __future__ import annotations

import math
import re
import sys
import weakref
from numbers import Real
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from tinygrad_bp.errors import (BPOverflowError, BPTypeError, BPValueError, BPZeroDivisionError,
                                TinygradBPError)
from tinygrad_bp.ops import MATH, OPS, Op, number_text

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

    # NOTE: a node's edges are slots of its own, not tuples: _p0, _p1 its operands and
    # _g0, _g1 the local derivatives for them (_p0 None for a leaf, _p1 None for one
    # operand; three or more, only in a custom node: _p1 is _MANY and _p0, _g0 are the
    # tuples). One object per node instead of three halves the garbage collector's work.
    # A node of one operand with a number c folded in (`a * 3`) keeps c in _g1, which it
    # does not otherwise use: a slot fewer is 8 bytes less per node.
    __slots__ = ("_data", "grad", "_label", "_op", "_p0", "_p1", "_g0", "_g1", "_mark")

    def __init__(self, data: Number, label: str = "", *, parents: Iterable[Value] = (),
                 local_grads: Iterable[Number] = (), op: str = "") -> None:
        # NOTE: a leaf of a finite float, the common case, passes the checks below in a
        # few comparisons instead of their calls, which were most of the cost of Value(x).
        if (type(data) is float and -_MAX <= data <= _MAX and type(label) is str
                and op == "" and parents == () and local_grads == ()):
            self._data = data
            self.grad = 0.0
            self._label = label
            self._op = ""
            self._mark = self._p0 = None
            return
        self._data = real_number(data, "Value data", label)
        self.grad = 0.0
        self._label = _text(label, "label")
        self._op = _text(op, "op")              # NOTE: set before any error calls describe()
        self._mark = self._p0 = None
        parents = _tuple(parents, "parents", self)
        local_grads = tuple(real_number(g, "local_grads entry", label)
                            for g in _tuple(local_grads, "local_grads", self))
        if not all(isinstance(p, Value) for p in parents):
            raise BPTypeError(f"parents of {describe(self)} must all be Values, got "
                              f"{[type(p).__name__ for p in parents]}")
        if len(parents) != len(local_grads):
            raise BPValueError(f"{describe(self)} has {len(parents)} parents but "
                               f"{len(local_grads)} local_grads: give one local "
                               f"derivative per parent")
        self._op = self._op or ("custom" if parents else "")
        _set_edges(self, parents, local_grads)

    def __reduce__(self) -> tuple:
        """How `pickle` takes a node apart: without recursion, so a chain of a million
        operations works, and with every node it shares with other objects in the same
        pickle still shared.

        The first node met lists every node of its graph, parents first, ahead of its
        own state; a node of that list (while the list exists) gives only its own state,
        whose parents are then already made.
        """
        listing = _listing[0]()
        if listing is not None and self._mark is listing.mark:
            return _rebuild, _state(self)
        listing = _Ancestors(trace(self)[:-1])
        listing.mark = self._mark               # trace's `done`, on every node listed
        _listing[0] = weakref.ref(listing)
        return _rebuild_after, (listing, *_state(self))

    def __deepcopy__(self, memo: Dict[int, object]) -> Value:
        """A copy of the whole graph (`copy.deepcopy`), made parents first without
        recursion; nodes copied before in the same copy (`memo`) are reused."""
        for node in trace(self):
            if id(node) not in memo:
                memo[id(node)] = _rebuild(*_state(node, memo))
        return memo[id(self)]

    @property
    def data(self) -> float:
        """The node's value, a finite float. Assigning checks it as `Value(x)` does."""
        return self._data

    @data.setter
    def data(self, x: Number) -> None:
        # NOTE: a finite float, what SGD assigns, skips the checks' call.
        self._data = x if type(x) is float and -_MAX <= x <= _MAX else real_number(
            x, "Value data", self._label)

    @property
    def label(self) -> str:
        """The node's name in graphs and messages, "" for none. Assigning checks it is a str."""
        return self._label

    @label.setter
    def label(self, text: str) -> None:
        self._label = _text(text, "label")

    @property
    def parents(self) -> Tuple[Value, ...]:
        """The operands this node was computed from, one per occurrence: `(a, a)` for
        `a * a`, `()` for a leaf. Read-only: a node's edges are fixed when it is made."""
        p0 = self._p0
        if p0 is None:
            return ()
        p1 = self._p1
        if p1 is None:
            return (p0,)
        return p0 if p1 is _MANY else (p0, p1)

    @property
    def local_grads(self) -> Tuple[float, ...]:
        """∂self/∂parent for each of `parents`, in the same order, as computed when the
        node was made. Read-only, like `parents`."""
        if self._p0 is None:
            return ()
        p1 = self._p1
        if p1 is None:
            return (self._g0,)
        return self._g0 if p1 is _MANY else (self._g0, self._g1)

    # --- operations: +, -, *, /, **, negation, exp, log, tanh, sigmoid, relu, sin and cos
    # are built from the table in tinygrad_bp.ops, below the class (see `_build_methods`).

    # --- the backward pass

    def backward(self) -> None:
        """Fill in ∂self/∂v as `v.grad` for every node v of the graph that ends here.

        `self.grad` is set to 1. Gradients of leaves *accumulate* across calls (call
        `zero_grad()` between steps; a leaf root accumulates its 1 too); gradients of
        inner nodes are recomputed on every call, so calling `backward()` twice doubles
        every leaf gradient exactly and leaves the inner ones unchanged. A leaf gradient
        that overflows a float is an OverflowError naming the leaf.

        All or nothing: on any error (an overflow, Ctrl-C), every `.grad` of the graph is
        what it was before the call. `gradients(root)` computes the same numbers without
        writing any `.grad`.
        """
        nodes = trace(self)
        held = [node.grad for node in nodes]
        try:
            _chain_rule(nodes)
            # NOTE: each leaf's gradient is summed from 0 and only then added to what it
            # held: adding edge by edge into the old value, (g + c1) + c2, is not in
            # general exactly g + (c1 + c2) in floats, and a second backward() would not
            # exactly double g.
            for node, grad in zip(nodes, held):
                if node._p0 is None:            # a leaf
                    node.grad += grad
                    if not _isfinite(node.grad):
                        raise BPOverflowError(f"∂{describe(self)}/∂{describe(node)} is "
                                              f"{node.grad}: the gradient overflowed a float in "
                                              f"backward()")
        except BaseException:
            for node, grad in zip(nodes, held):
                node.grad = grad
            raise

    def zero_grad(self) -> None:
        """Reset the gradient of every node in the graph that ends here to 0."""
        for node in trace(self):
            node.grad = 0.0

    @property
    def op(self) -> str:
        """What made this node: "+", "tanh", "* 3" (a number folded in), "" for a leaf."""
        op = self._op
        # NOTE: a built-in node stores its record of the table and its number, and the
        # text is made here, on read: formatting the number costs more than the rest of
        # the operation, on every node of x * -1 + 0.5.
        return op.text(self._g1 if op.folded else None) if type(op) is Op else op

    @op.setter
    def op(self, text: str) -> None:
        """Renaming a node makes it a custom operation: its text no longer names a rule."""
        self._op = _text(text, "op")

    @property
    def kind(self) -> Optional[Op]:
        """The operation's record in `tinygrad_bp.ops.OPS`; None for a leaf or a custom op."""
        op = self._op
        return op if type(op) is Op else None

    @property
    def const(self) -> Optional[float]:
        """The number folded into this node (3.0 in `a * 3`), or None."""
        op = self._op
        return self._g1 if type(op) is Op and op.folded else None

    @property
    def is_leaf(self) -> bool:
        """True for inputs and parameters: nodes with no parents."""
        return self._p0 is None

    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        op = f", op={self.op!r}" if self.op else ""
        return f"Value({label}data={self.data:.6g}, grad={self.grad:.6g}{op})"



Operand = Union[Value, int, float]
Gradient = Union[Value, float]      # with create_graph: a Value, or a number where constant


def trace(root: Value) -> List[Value]:
    """Every node of the graph that ends at `root`, parents before children, root last.

    The depth-first search keeps its own stack, so a chain of a million operations
    needs no recursion. Parents are visited in their order, which makes the result
    the same on every run.
    """
    # NOTE: the stack holds bare nodes, and each node's state in this search is on the
    # node itself (`_mark`: this search's `expanded` or `done`, anything else for a node
    # not met yet), which is faster than sets of nodes. An inner node met for the second
    # time is finished (its parents, visited since, are all finished), a leaf is finished
    # at once, and a copy of a finished node is skipped. A graph has no cycles (a parent
    # exists before its children), so a node is never met again while its parents are
    # being expanded.
    order: List[Value] = []
    expanded, done = object(), object()     # this search's marks: no other search has them
    stack: List[Value] = []
    node = root
    while True:
        mark = node._mark
        if mark is not done:                # else: met again through another consumer
            p0 = node._p0
            if p0 is not None and mark is not expanded:
                node._mark = expanded
                stack.append(node)
                # NOTE: the edges are read by arity, without building the parents tuple;
                # the search goes on at the first parent at once (rather than pushing it
                # and popping it again) and the others wait on the stack, second on top.
                p1 = node._p1
                if p1 is None:
                    node = p0
                elif p1 is _MANY:
                    stack += p0[:0:-1]
                    node = p0[0]
                else:
                    stack.append(p1)
                    node = p0
                continue
            node._mark = done
            order.append(node)
        if not stack:
            return order
        node = stack.pop()


def describe(node: Value) -> str:
    """How error messages name a node: `'x' (data=2)` by its label, else its repr."""
    if node.label:
        return f"{node.label!r} (data={node.data:.6g})"
    return repr(node)


class LabelError(TinygradBPError, LookupError, ValueError):
    """A label that names no node, or several nodes, of a graph; or a Value not in it."""


def find(root: Value, keys: Sequence[Union[Value, str]],
         nodes: Optional[Sequence[Value]] = None) -> List[Value]:
    """The node each key names in the graph that ends at `root`: a label, or the Value.

    `nodes` is `trace(root)` when the caller has it already. One `LabelError` names
    every key that fails: a label of no node or of several, a Value not in the graph.

        >>> x = Value(2.0, label="x"); y = x * 3; y.label = "y"
        >>> find(y, ["x", y]) == [x, y]
        True
    """
    nodes = trace(root) if nodes is None else nodes
    by_label: Dict[str, List[Value]] = {}
    for node in nodes:
        if node.label:
            by_label.setdefault(node.label, []).append(node)
    members = set(nodes)
    found, unknown, ambiguous, foreign = [], [], [], []
    for key in keys:
        if isinstance(key, Value):
            (found if key in members else foreign).append(key)
        elif isinstance(key, str):
            matches = by_label.get(key, [])
            if len(matches) == 1:
                found.append(matches[0])
            else:
                (ambiguous if matches else unknown).append(key)
        else:
            raise BPTypeError(f"a node is named by its label (str) or given as a Value, got "
                              f"{type(key).__name__} {key!r}")
    if unknown or ambiguous or foreign:
        raise label_error(f"the graph of {_short(root)}", by_label, unknown, ambiguous,
                          [describe(v) for v in foreign],
                          f"{_short(root)} was not computed from it")
    return found


def label_error(where: str, labels: Iterable[str], unknown: Sequence[str] = (),
                ambiguous: Sequence[str] = (), foreign: Sequence[str] = (),
                why_foreign: str = "") -> LabelError:
    """The `LabelError` for keys that name no one node of `where` ("the graph of C"):
    `unknown` labels (listed beside the `labels` there, in natural order: w1, w2, …, w10),
    `ambiguous` ones, and `foreign` things (as described) that are not in it, `why_foreign`."""
    problems = []
    if unknown:
        there = sorted({label for label in labels if label}, key=lambda label: [
            int(part) if i % 2 else part for i, part in enumerate(re.split(r"([0-9]+)", label))])
        problems.append(f"no node labelled {', '.join(map(repr, unknown))} in {where} "
                        f"(labels there: {', '.join(there) or 'none'})")
    if ambiguous:
        problems.append(f"several nodes are labelled {', '.join(map(repr, ambiguous))}: "
                        f"pass the Value itself, or label the nodes apart")
    if foreign:
        problems.append(f"{', '.join(foreign)} is not in {where}: {why_foreign}")
    return LabelError("; ".join(problems))


def _short(node: Value) -> str:
    """A node's name in a sentence: its label, else its description."""
    return node.label or describe(node)


def gradients(root: Value, create_graph: bool = False) -> Dict[Value, Gradient]:
    """∂root/∂v for every node v of the graph that ends at `root` (∂root/∂root = 1).

    The same chain rule, in the same order, as `backward()`, whose numbers these are;
    but no `.grad` is changed: the pass borrows the nodes' `.grad` for its sums and puts
    back what each held, whatever happens.

        >>> x = Value(3.0, label="x"); y = x * x
        >>> gradients(y)[x], x.grad
        (6.0, 0.0)

    With `create_graph=True` each local derivative ∂u/∂v is taken from the table's
    differentiable rule (`tinygrad_bp.ops.Op.derivative`) instead of the float stored on
    the node, so every gradient is a `Value` built with engine operations, whose graph
    can be differentiated again; or a plain number where it is constant (∂(3x)/∂x = 3,
    and 0 where nothing reaches v). A custom operation, whose local derivatives are
    only numbers, is a ValueError naming it.

        >>> slope = gradients(y, create_graph=True)[x]      # 2x, as a graph
        >>> slope.data, gradients(slope)[x]                 # and its derivative, 2
        (6.0, 2.0)
    """
    if create_graph:
        return _differentiable_chain_rule(root)
    nodes = trace(root)
    held = [node.grad for node in nodes]
    try:
        _chain_rule(nodes)
        return {node: node.grad for node in nodes}
    finally:
        for node, grad in zip(nodes, held):
            node.grad = grad


def _differentiable_chain_rule(root: Value) -> Dict[Value, Gradient]:
    """`gradients(root, create_graph=True)`: the chain rule summed with engine operations."""
    nodes = trace(root)
    found: Dict[Value, Gradient] = {root: 1.0}
    for node in reversed(nodes):
        upstream = found.get(node)
        if upstream is None or not node.parents:
            continue
        kind = node.kind
        if kind is None:
            raise BPValueError(f"{describe(node)} is a custom operation ({node.op!r}): its "
                               f"local derivatives are numbers, which cannot be differentiated "
                               f"again; build it from the engine's operations for higher "
                               f"derivatives")
        for parent, local in zip(node.parents, kind.derivative(node.parents, node, node.const)):
            term = _times(local, upstream)
            if term is not None:
                held = found.get(parent)
                found[parent] = term if held is None else held + term
    return {node: found.get(node, 0.0) for node in nodes}


def _times(local: Gradient, upstream: Gradient) -> Optional[Gradient]:
    """local · upstream, with no node for a factor ±1 and None for a constant 0."""
    # NOTE: only plain numbers are tested: a Value whose data is 0 or 1 by chance still
    # has a derivative of its own, which the product must keep.
    for a, b in ((local, upstream), (upstream, local)):
        if not isinstance(a, Value):
            if a == 0.0:
                return None
            if a == 1.0:
                return b
            if a == -1.0:
                return -b
    return local * upstream


def _chain_rule(nodes: List[Value]) -> None:
    """Set each node's `.grad` to ∂root/∂node, root last in `nodes` (a `trace`):

        ∂C/∂C = 1,        ∂C/∂v = Σ_u ∂C/∂u · ∂u/∂v over the consumers u of v.
    """
    for node in nodes:
        node.grad = 0.0
    nodes[-1].grad = 1.0
    for node in reversed(nodes):
        p0 = node._p0
        if p0 is None:                      # a leaf has nothing to pass on
            continue
        # NOTE: one branch per arity reads the edge slots directly: no tuple and no
        # iterator per node (the same additions, in the same order, as over
        # zip(parents, local_grads)).
        grad = node.grad
        p1 = node._p1
        if p1 is None:
            p0.grad += node._g0 * grad
        elif p1 is _MANY:
            for parent, local_grad in zip(p0, node._g0):
                parent.grad += local_grad * grad
        else:
            p0.grad += node._g0 * grad
            p1.grad += node._g1 * grad


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
_EXP_MAX = math.log(sys.float_info.max)    # exp(x) is a finite float for x ≤ this


_MAX = sys.float_info.max
_MANY = object()        # _p1 of a node with three or more parents (see Value.__slots__)


def _set_edges(node: Value, parents: tuple, local_grads: tuple) -> None:
    """Store a node's edges in its slots (see Value.__slots__)."""
    if len(parents) == 1:
        node._p0, node._p1, node._g0 = parents[0], None, local_grads[0]
    elif len(parents) == 2:
        (node._p0, node._p1), (node._g0, node._g1) = parents, local_grads
    elif parents:
        node._p0, node._p1, node._g0 = parents, _MANY, local_grads


# --- pickling and deep copies (see Value.__reduce__)

class _Ancestors(list):
    """The nodes of a graph being pickled, parents first, and the mark that trace left on
    them; while it is alive, each of them is taken apart on its own.

    Only pickle's argument tuple holds it (`_listing` holds a weak reference), so it dies
    when its pickling ends, or fails part way: no later pickle mistakes a stale mark."""
    __slots__ = ("mark", "__weakref__")

    def __reduce__(self) -> tuple:
        return list, (list(self),)      # NOTE: the nodes, in order; not the mark


_listing: List[Callable[[], Optional[_Ancestors]]] = [lambda: None]


def _state(node: Value, copies: Optional[Dict[int, object]] = None) -> tuple:
    """What `_rebuild` needs to make `node` again, as one flat tuple: data, grad, label,
    the operation (by name if built-in), the folded number, then the parents (or their
    `copies`, by id) and the local derivatives."""
    op = node._op
    built_in = type(op) is Op
    parents = node.parents
    if copies is not None:
        parents = tuple(copies[id(parent)] for parent in parents)
    return (node._data, node.grad, node._label, op.name if built_in else op, built_in,
            node._g1 if built_in and op.folded else None, *parents, *node.local_grads)


def _rebuild(data: float, grad: float, label: str, op: str, built_in: bool,
             c: Optional[float], *edges: object) -> Value:
    """The node `_state` describes."""
    node = _new(Value)
    node._data, node.grad, node._label, node._mark, node._p0 = data, grad, label, None, None
    node._op = OPS[op] if built_in else op
    n = len(edges) // 2
    _set_edges(node, edges[:n], edges[n:])
    if c is not None:
        node._g1 = c                    # the folded number (see Value.__slots__)
    return node


def _rebuild_after(ancestors: list, *state: object) -> Value:
    """`_rebuild`, once `ancestors` (the nodes the state refers to) have been made."""
    return _rebuild(*state)


def _overflow(data: float, operands: tuple, local_grads: tuple, op: Op,
              c: Optional[float]) -> None:
    names = ", ".join(describe(p) for p in operands)
    raise BPOverflowError(f"{op.text(c)!r} of {names} overflows a float: value {data}, "
                          f"local derivatives {local_grads}")


def real_number(x: object, what: str, label: str = "") -> float:
    """`x` as a finite float, or a TypeError/ValueError that says what was wrong."""
    where = f" (label {label!r})" if label else ""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise BPTypeError(f"{what}{where} must be a real number (int or float), "
                          f"got {type(x).__name__} {x!r}")
    try:
        x = float(x)
    except OverflowError:   # NOTE: an int or Fraction beyond ±1.8e308 has no float
        raise BPValueError(f"{what}{where} must be finite as a float, got a "
                           f"{type(x).__name__} too large for one") from None
    if not math.isfinite(x):
        raise BPValueError(f"{what}{where} must be finite, got {x}")
    return x


def _text(x: object, what: str) -> str:
    if not isinstance(x, str):
        raise BPTypeError(f"{what} must be a str, got {type(x).__name__} {x!r}")
    return x


def _tuple(items: object, what: str, node: Value) -> tuple:
    """The `parents` or `local_grads` of a custom node as a tuple, or a TypeError."""
    try:
        return tuple(items)
    except TypeError:
        raise BPTypeError(f"{what} of {describe(node)} must be a tuple with one entry per "
                          f"parent, got {type(items).__name__}") from None


def _constant(x: object, node: Value) -> float:
    """A number combined with `node`, checked like a leaf's data."""
    # NOTE: the message names the node, and formatting it costs more than the whole
    # operation: the common case returns before it is built.
    if type(x) is int and -_MAX_INT <= x <= _MAX_INT:
        x = float(x)
    if type(x) is float and _isfinite(x):
        return x
    return real_number(x, f"the number combined with {describe(node)}", "")


def _nonzero(x: float, node: Value, doing: str, c: float = 0.0) -> float:
    """`x`, or a ZeroDivisionError naming `node`; `doing` shows the number `c` at {}."""
    if x == 0.0:
        raise BPZeroDivisionError(f"cannot {doing.format(number_text(c))} {describe(node)}: "
                                  f"it is 0")
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
        raise BPZeroDivisionError(f"{what}{_written(left, right)}: 0 cannot be raised to a "
                                  f"negative power") from None
    except OverflowError:
        raise BPOverflowError(f"{what}{_written(left, right)} overflows a float") from None
    if isinstance(out, complex):
        raise BPValueError(f"{what}{_written(left, right)}: a negative base to a non-integer "
                           f"power is not a real number")
    return out


def _written(left: Operand, right: Operand) -> str:
    """A power as error messages show it: `'x' (data=2) ** 3`."""
    return " ** ".join(describe(x) if isinstance(x, Value) else number_text(x)
                       for x in (left, right))


# --- domain checks: the errors a rule's arithmetic would otherwise hide or misname

def _divide_by_value(a: Value, b: Value) -> None:
    _nonzero(b.data, b, "divide by")


def _divide_by_number(a: Value, c: float) -> None:
    raise BPZeroDivisionError(f"division of {describe(a)} by the number 0")


def _divide_number(a: Value, c: float) -> None:
    _nonzero(a.data, a, "divide {} by", c)


def _value_power(a: Value, b: Value) -> None:
    if a.data <= 0.0:
        raise BPValueError(f"{describe(a)} ** {describe(b)}: a Value exponent needs a positive "
                           f"base (its derivative involves ln of the base)")
    _power(a.data, b.data, a, b)
    _power(a.data, b.data - 1.0, a, b, "the derivative of ")


def _number_power(a: Value, n: float) -> None:      # a ** n: n·a^(n-1)
    _power(a.data, n, a, n)
    if n == 0.0:
        return
    if a.data == 0.0 and n < 1.0:
        raise BPZeroDivisionError(f"{_written(a, n)}: the derivative n·x^(n-1) is infinite "
                                  f"at x = 0")
    _power(a.data, n - 1.0, a, n, "the derivative of ")


def _power_of_number(a: Value, c: float) -> None:    # c ** a
    if c <= 0.0:
        raise BPValueError(f"{number_text(c)} ** {describe(a)}: a Value exponent needs a positive "
                           f"base (its derivative involves ln of the base)")
    _power(c, a.data, c, a)


def _exp_overflow(a: Value) -> None:
    raise BPOverflowError(f"exp({describe(a)}) overflows a float: exp is finite only for "
                          f"x < 709.78")


def _log_domain(a: Value) -> None:
    raise BPValueError(f"log({describe(a)}): log is defined only for x > 0")


# For each operation with a domain: when to call its check (over a, b, c), and the check.
# NOTE: the condition is tested inline, so that an operation in its domain pays no call.
_CHECKS: Dict[str, Tuple[str, Callable[..., None]]] = {
    "/": ("b == 0.0", _divide_by_value), "/ C": ("c == 0.0", _divide_by_number),
    "C /": ("a == 0.0", _divide_number), "**": ("True", _value_power),
    "** C": ("True", _number_power), "C **": ("True", _power_of_number),
    "exp": (f"a > {_EXP_MAX!r}", _exp_overflow), "log": ("a <= 0.0", _log_domain)}


# --- Value's operations, built from the table

def _build_methods() -> None:
    """Give `Value` one method per operation of `tinygrad_bp.ops.OPS`.

    Each method runs its rule's own text (`forward`, then `local`), compiled once here,
    so the eager engine and `compile`'s replay compute with the same float operations
    in the same order. `a * b` and `a * 3` are one method, `__mul__`, that takes the
    rule "*" for a Value operand and "* C" for a number; `__radd__` and `__rmul__` are
    `__add__` and `__mul__` (addition and multiplication commute).

        a = self._data; b = other._data
        out = a * b
        node = _new(Value)
        node._data = out; node.grad = 0.0; node._label = ''; node._op = OP
        node._p0 = self; node._p1 = other; node._g0 = b; node._g1 = a
        node._mark = None
        return node
    """
    methods: Dict[str, List[Op]] = {}
    for op in OPS.values():
        methods.setdefault(op.method, []).append(op)
    for name, ops in methods.items():
        setattr(Value, name, _method(name, ops))
    Value.__radd__ = Value.__add__
    Value.__rmul__ = Value.__mul__


def _method(name: str, ops: List[Op]) -> Callable[..., Value]:
    """The method `name` of Value for the rules `ops` (one per kind of operand)."""
    on_value = [op for op in ops if not op.folded]
    on_number = [op for op in ops if op.folded]
    namespace = {**MATH, "Value": Value, "_new": _new, "_constant": _constant,
                 "_overflow": _overflow, "_MAX": _MAX}
    # NOTE: the function is defined as `method`: named `tanh`, it would hide math's tanh.
    lines = [f"def method(self{', other' if on_number or on_value[0].arity == 2 else ''}):"]
    if on_value and on_number:
        lines.append("    if isinstance(other, Value):")
        lines += ["    " + line for line in _body(on_value[0], "V", namespace)]
    if on_number:
        lines.append("    c = _constant(other, self)")
    lines += _body((on_number or on_value)[0], "N", namespace)
    exec("\n".join(lines), namespace)
    method = namespace["method"]
    method.__doc__ = ops[0].doc or None
    method.__name__, method.__qualname__ = name, f"Value.{name}"
    return method


def _body(op: Op, tag: str, namespace: Dict[str, object]) -> List[str]:
    """The lines that build a node of `op`, its record and check named OP{tag}, CHECK{tag}."""
    namespace[f"OP{tag}"] = op
    lines = ["    a = self._data" + ("; b = other._data" if op.arity == 2 else "")]
    if op.name in _CHECKS:
        condition, namespace[f"CHECK{tag}"] = _CHECKS[op.name]
        argument = "other" if op.arity == 2 else "c" if op.folded else ""
        call = f"CHECK{tag}(self{', ' if argument else ''}{argument})"
        lines.append(f"    {call}" if condition == "True" else f"    if {condition}: {call}")
    lines += [f"    {statement}" for statement in op.forward.split("; ")]
    c = "c" if op.folded else "None"
    local = list(op.local)
    if op.overflows:
        # NOTE: float arithmetic rounds to ±inf silently (1e308 * 10, 1 / 1e-320): a node
        # whose value or local derivative is not a finite float is an error, not a node.
        # Only operations that can overflow test, and only what can overflow: the value
        # and each local derivative that is more than an operand or a constant.
        finite = ["out"]
        for i, expression in enumerate(op.local):
            if not _PLAIN.fullmatch(expression):
                lines.append(f"    g{i} = {expression}")
                local[i] = f"g{i}"
                finite.append(local[i])
        operands = "(self, other)" if op.arity == 2 else "(self,)"
        lines.append(f"    if not ({' and '.join(f'-_MAX <= {x} <= _MAX' for x in finite)}):")
        grads = ", ".join(local) + ("," if len(local) == 1 else "")
        lines.append(f"        _overflow(out, {operands}, ({grads}), OP{tag}, {c})")
    # NOTE: the node is made here, not by a helper's call: a call per node was a tenth of
    # the build of a chain. Its slots are set as Value.__slots__ describes them.
    p1, g1 = ("other", local[1]) if op.arity == 2 else ("None", c)
    return lines + [
        "    node = _new(Value)",
        "    node._data = out; node.grad = 0.0; node._label = ''; node._op = OP" + tag,
        f"    node._p0 = self; node._p1 = {p1}; node._g0 = {local[0]}; node._g1 = {g1}",
        "    node._mark = None",
        "    return node"]


_PLAIN = re.compile(r"-?(\d+\.\d+|a|b|c|out)")   # a local derivative that cannot overflow


_build_methods()
