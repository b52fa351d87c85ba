"""The table of operations: every derivative rule of the engine, written once.

Each built-in operation is one `Op` record. The eager engine builds `Value`'s methods
from it, `compile` writes its replay from it, the expression parser takes its function
names from it, and `explain` and the graph renderer write nodes the way it says. A new
operation is one entry here (and one row in the shared test table of operations).

A rule is written twice in one record, in two notations that a test holds equal:

- `forward` and `local`, Python over floats: `forward` sets `out` from the operands
  a (and b) and the folded number c; `local` gives ∂out/∂a (and ∂out/∂b), over the same
  names and `out`. The engine and the compiled replay run exactly this text, so the two
  agree bit for bit. Where a textbook form loses digits (1 − tanh² x cancels to 0 past
  |x| ≈ 19), the text uses a form that keeps them.
- `derivative(inputs, out, c)`, the same local derivatives built with engine operations
  from the operand `Value`s, the output `Value` and the folded number: a tuple with one
  entry per operand, each a `Value` (differentiable again) or a plain number where the
  derivative is locally constant (1, c, relu's step). This is the form that
  higher-order derivatives differentiate: tanh' = 1 − out², σ' = out · (1 − out).

    >>> OPS["tanh"].local
    ('4.0 * E / ((1.0 + E) * (1.0 + E))',)
    >>> from tinygrad_bp import Value
    >>> x = Value(0.5); y = x.tanh()
    >>> OPS["tanh"].derivative((x,), y, None)[0].data == 1 - y.data ** 2
    True

This module imports nothing from the rest of the package.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, NamedTuple, Optional, Tuple

Local = Any         # a local derivative: a Value, or a number where it is locally constant


class Op(NamedTuple):
    """One operation: how it computes, how it differentiates, how it prints."""
    name: str                   # the key; `Value.op` prints it with C replaced by the number
    method: str                 # the `Value` method that builds it: "__mul__", "tanh"
    arity: int                  # operands that are Values: 1 or 2
    folded: bool                # a number c is folded into the node ("* 3": a * c)
    forward: str                # statements over floats a, b, c, setting out (E: a temporary)
    local: Tuple[str, ...]      # ∂out/∂a (, ∂out/∂b) over a, b, c, out, E
    derivative: Callable[..., Tuple[Local, ...]]    # (inputs, out, c): the same, as Values
    written: str                # the node in an expression: "{a} * {b}", "exp({a})"
    kink: bool = False          # the derivative jumps where the operand is 0 (relu)
    absorbs: bool = False       # can give a finite value from an infinite operand (tanh(inf))
    doc: str = ""               # the method's docstring: the function and its derivative

    @property
    def is_function(self) -> bool:
        """Called by name, `x.exp()` and `exp(x)`, rather than written with an operator."""
        return not self.method.startswith("__")

    def text(self, c: Optional[float]) -> str:
        """What `Value.op` reads for a node of this operation: "*", "* 3", "tanh"."""
        return self.name.replace("C", number_text(c)) if self.folded else self.name


def number_text(c: float) -> str:
    """A folded number as it appears in `op`: `2` rather than `2.0`, exact otherwise."""
    # NOTE: repr is exact and writes integral floats below 1e16 as "2.0"; int(-0.0) would
    # lose the sign of -0.0.
    text = repr(c)
    return text[:-2] if text.endswith(".0") else text


def _relu_step(inputs: tuple, out: Any, c: None) -> Tuple[Local, ...]:
    # NOTE: relu is not differentiable at exactly 0; we take relu'(0) = 0, as PyTorch does.
    return (1.0 if inputs[0].data > 0.0 else 0.0,)


def _power_c(inputs: tuple, out: Any, c: float) -> Tuple[Local, ...]:
    a, = inputs
    return (0.0 if c == 0.0 else c * a ** (c - 1.0),)


_TABLE = (
    # name, method, arity, folded, forward, local, derivative, written; kink, absorbs, doc
    Op("+", "__add__", 2, False, "out = a + b", ("1.0", "1.0"),
       lambda x, out, c: (1.0, 1.0), "{a} + {b}"),
    Op("-", "__sub__", 2, False, "out = a - b", ("1.0", "-1.0"),
       lambda x, out, c: (1.0, -1.0), "{a} - {b}"),
    Op("*", "__mul__", 2, False, "out = a * b", ("b", "a"),
       lambda x, out, c: (x[1], x[0]), "{a} * {b}"),
    # NOTE: -(a/b)/b, as b² may underflow to 0.
    Op("/", "__truediv__", 2, False, "out = a / b", ("1.0 / b", "-out / b"),
       lambda x, out, c: (1.0 / x[1], -out / x[1]), "{a} / {b}", absorbs=True),
    Op("**", "__pow__", 2, False, "out = a ** b", ("b * a ** (b - 1.0)", "out * log(a)"),
       lambda x, out, c: (x[1] * x[0] ** (x[1] - 1.0), out * x[0].log()), "{a} ** {b}",
       absorbs=True),
    Op("+ C", "__add__", 1, True, "out = a + c", ("1.0",),
       lambda x, out, c: (1.0,), "{a} + {c}"),
    Op("- C", "__sub__", 1, True, "out = a - c", ("1.0",),
       lambda x, out, c: (1.0,), "{a} - {c}"),
    Op("C -", "__rsub__", 1, True, "out = c - a", ("-1.0",),
       lambda x, out, c: (-1.0,), "{c} - {a}"),
    Op("* C", "__mul__", 1, True, "out = a * c", ("c",),
       lambda x, out, c: (c,), "{a} * {c}"),
    Op("/ C", "__truediv__", 1, True, "out = a / c", ("1.0 / c",),
       lambda x, out, c: (1.0 / c,), "{a} / {c}"),
    Op("C /", "__rtruediv__", 1, True, "out = c / a", ("-out / a",),
       lambda x, out, c: (-out / x[0],), "{c} / {a}", absorbs=True),
    Op("** C", "__pow__", 1, True, "out = a ** c", ("0.0 if c == 0.0 else c * a ** (c - 1.0)",),
       _power_c, "{a} ** {c}", absorbs=True),
    Op("C **", "__rpow__", 1, True, "out = c ** a", ("out * log(c)",),
       lambda x, out, c: (out * math.log(c),), "{c} ** {a}", absorbs=True),
    Op("neg", "__neg__", 1, False, "out = -a", ("-1.0",),
       lambda x, out, c: (-1.0,), "-{a}"),
    Op("exp", "exp", 1, False, "out = exp(a)", ("out",),
       lambda x, out, c: (out,), "exp({a})", absorbs=True,
       doc="e^x, with d/dx e^x = e^x. Raises OverflowError past x ≈ 709.78."),
    Op("log", "log", 1, False, "out = log(a)", ("1.0 / a",),
       lambda x, out, c: (1.0 / x[0],), "log({a})",
       doc="Natural log ln x, with d/dx ln x = 1/x. Defined for x > 0 only."),
    # NOTE: 1 − tanh² x cancels to 0 past |x| ≈ 19; the form in E = e^(−2|x|) keeps every
    # digit: tanh' = 4E / (1 + E)².
    Op("tanh", "tanh", 1, False, "E = exp(-2.0 * abs(a)); out = tanh(a)",
       ("4.0 * E / ((1.0 + E) * (1.0 + E))",),
       lambda x, out, c: (1.0 - out * out,), "tanh({a})", absorbs=True,
       doc="tanh x, with d/dx tanh x = 1 − tanh² x = 4e / (1 + e)², e = e^(−2|x|).\n\n"
           "Never overflows: tanh(±800) is ±1.0 with slope 0.0."),
    # NOTE: σ(1 − σ) would cancel for x ≫ 0 (σ'(37) came out 0); the form in E = e^(−|x|)
    # does not, and e / (1 + e) for x < 0 keeps every exponent negative: σ(−800) is 0.0.
    Op("sigmoid", "sigmoid", 1, False,
       "E = exp(-abs(a)); out = 1.0 / (1.0 + E) if a >= 0.0 else E / (1.0 + E)",
       ("E / ((1.0 + E) * (1.0 + E))",),
       lambda x, out, c: (out * (1.0 - out),), "sigmoid({a})", absorbs=True,
       doc="σ(x) = 1 / (1 + e^(−x)), with σ'(x) = σ(x)(1 − σ(x)) = e / (1 + e)², "
           "e = e^(−|x|).\n\nEvaluated as e / (1 + e) for x < 0 so that no exponent is "
           "positive: σ(−800) is 0.0, not an OverflowError."),
    Op("relu", "relu", 1, False, "out = a if a > 0.0 else 0.0", ("1.0 if a > 0.0 else 0.0",),
       _relu_step, "relu({a})", kink=True, absorbs=True,
       doc="max(0, x), with derivative 1 for x > 0 and 0 for x ≤ 0 (relu'(0) = 0)."),
    Op("sin", "sin", 1, False, "out = sin(a)", ("cos(a)",),
       lambda x, out, c: (x[0].cos(),), "sin({a})",
       doc="sin x (x in radians), with d/dx sin x = cos x."),
    Op("cos", "cos", 1, False, "out = cos(a)", ("-sin(a)",),
       lambda x, out, c: (-x[0].sin(),), "cos({a})",
       doc="cos x (x in radians), with d/dx cos x = −sin x."),
)

OPS: Dict[str, Op] = {op.name: op for op in _TABLE}

# The functions the rules' text calls; `abs` is Python's own.
MATH: Dict[str, Callable[[float], float]] = {
    "exp": math.exp, "log": math.log, "tanh": math.tanh, "sin": math.sin, "cos": math.cos}

FUNCTIONS = tuple(op.name for op in _TABLE if op.is_function)
