"""`check(C, expected)`: hand-derived gradients ∂C/∂v graded against the engine's, and
for each wrong one, its chain rule and where the hand computation went astray; with
`order=2`, hand-derived second derivatives ∂²C/∂u∂v graded the same way.

A hand value is graded to the precision it was written with (`written`): 0.001186 agrees
with 0.0011857831… (it is that value rounded at its last digit) and 0.001187 does not.
"""

from __future__ import annotations

import decimal
import math
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from tinygrad_bp.checking.explaining import Explanation, OneStep, PathLimitError, explain
from tinygrad_bp.checking.functional import (derivative_order, is_number, second_derivatives,
                                             tolerance)
from tinygrad_bp.checking.graph import Target, trace_root
from tinygrad_bp.checking.numerical import second_name
from tinygrad_bp.checking.report import (Report, agrees, all_of, columns, derivative_name, fmt,
                                         node_name, plural, wrapped)
from tinygrad_bp.engine import Number, Value, find, gradients as gradients_of, trace
from tinygrad_bp.errors import BPTypeError, BPValueError
from tinygrad_bp.layout import positive_int


class CheckRow(NamedTuple):
    """One hand-derived ∂root/∂node against the engine's."""
    name: str
    node: Value
    expected: float
    engine: float
    error: float            # |expected − engine|
    passed: bool
    given: str = ""         # the expected value as written (see `written`)
    digits: Optional[int] = None    # its significant digits; None when graded by rtol/atol
                                    # or exact (an integer)
    last_digit_off: int = 0         # how many units of its last digit it is off, when not
                                    # passed and graded by precision (0 otherwise)
    precision: Optional[str] = None     # "4 significant digits", "3 decimal places" (see
                                        # `Written.precision`); None like `digits`

    @property
    def rounding(self) -> bool:
        """Off by one in the last digit given: a rounding, not a mistake in the derivation."""
        return abs(self.last_digit_off) == 1

    @property
    def verdict(self) -> str:
        if self.passed:
            return "ok" if self.precision is None else f"agrees to the {self.precision} given"
        if self.rounding:
            return "off by one in the last digit given: give more digits"
        return "WRONG"


class Written(NamedTuple):
    """A number as written: its value, its text, and where its last digit stands.

    `exponent`: the last digit is worth 10**exponent (None: exact). `digits` counts the
    significant digits, 0 for a zero ("0.000"), None for an integer (exact).
    """
    value: float
    text: str
    digits: Optional[int]
    exponent: Optional[int]

    @property
    def unit(self) -> float:
        """One unit of the last digit, as a float (0.0 when exact, or when it underflows)."""
        return 0.0 if self.exponent is None else float(self.decimal_unit)

    @property
    def decimal_unit(self) -> decimal.Decimal:
        """One unit of the last digit, exactly (1E-400 stays 1E-400)."""
        return decimal.Decimal(1).scaleb(self.exponent or 0, _EXACT)

    @property
    def precision(self) -> Optional[str]:
        """The precision given, in words: "4 significant digits"; for a zero, its decimal
        places ("0.000": "3 decimal places"); None when exact."""
        if self.digits is None:
            return None
        if self.digits:
            return plural(self.digits, "significant digit")
        if self.exponent < 0:
            return plural(-self.exponent, "decimal place")
        return f"nearest {self.decimal_unit:f}"


def written(number: Union[Number, str]) -> Written:
    """How precisely a hand value was written, for grading it.

    - A str is read as typed: "0.001186" has 4 significant digits, its last worth 1e-6;
      "0.0011860" has 5. An integer ("4", "-12") is exact. Text too small for a float
      ("1e-400") keeps its digits: it is graded by them, in decimal arithmetic.
    - A float is read as its shortest repr, the digits Python prints for it: 0.001186 has
      4 significant digits. An integral float (4.0) is exact, like an int.

        >>> written("0.0011860")
        Written(value=0.001186, text='0.0011860', digits=5, exponent=-7)
        >>> written(4.0).digits is None
        True
    """
    if isinstance(number, str):
        text = number.strip()
        value = float(text)
        exact = not any(c in text for c in ".eE")
    else:
        value = float(number)
        exact = value.is_integer()
        text = str(int(number)) if exact else repr(value)
    if not math.isfinite(value):
        raise ValueError(f"a hand value must be finite, got {number!r}")
    if exact:
        return Written(value, text, None, None)
    sign, digits, exponent = _decimal(text, value).as_tuple()
    significant = len(digits) - next((i for i, d in enumerate(digits) if d), len(digits))
    return Written(value, text, significant, exponent)


# NOTE: a context for grading a hand value against a float whatever their sizes: no
# exponent is out of its range, and its precision holds every digit of a float (767 at most).
_EXACT = decimal.Context(prec=2000, Emin=decimal.MIN_EMIN, Emax=decimal.MAX_EMAX)


# NOTE: hand values computed with floats carry float rounding; below this relative
# difference they agree whatever their digits.
FLOAT_ROUNDING = 1e-12


class CheckReport(Report):
    """Hand-derived gradients graded against the engine; truthy when all hold.

    `.rows`; `.explanations`, the chain rule of each wrong gradient by name; `.starts`,
    the names of the wrong nodes where the hand computation first went astray (see
    `check`); `str()` is the table followed by the diagnosis.
    """

    def __init__(self, root: Value, rows: List[CheckRow], starts: Dict[str, List[str]],
                 explanations: Dict[str, Union[Explanation, OneStep]],
                 rtol: Optional[float], atol: Optional[float], order: int = 1) -> None:
        self.root = root
        self.order = order
        self.rows = rows
        self.starts = list(starts)
        self.held_before = starts       # start name -> given nodes between it and root that hold
        self.explanations = explanations
        self.rtol, self.atol = rtol, atol      # None: graded by the precision given

    def __str__(self) -> str:
        c = wrapped(node_name(self.root))
        what = "gradients" if self.order == 1 else "second derivatives"
        given = (("node", f"expected ∂{c}/∂node") if self.order == 1
                 else ("derivative", "expected"))
        table = columns(given + ("engine", "error", "verdict"),
                        [(r.name, r.given or fmt(r.expected), fmt(r.engine), fmt(r.error, 2),
                          r.verdict) for r in self.rows])
        if self.rtol is None:
            rule = ("each holds when the engine's value, rounded at the last digit given, is "
                    "the value given (an integer: exactly)")
        else:
            rule = (f"they hold when |expected-engine| <= atol + rtol*max(|expected|,|engine|), "
                    f"rtol={self.rtol:g}, atol={self.atol:g}")
        lines = [f"check of hand-derived {what} of {node_name(self.root)};\n{rule}", table]
        failed = self.failures
        if not failed:
            lines.append(all_of(len(self.rows), f"hand-derived {what[:-1]} holds",
                                f"hand-derived {what} hold"))
            return "\n".join(lines)
        wrong = [row for row in failed if not row.rounding]
        rounded = [row.name for row in failed if row.rounding]
        lines.append(f"hand-derived {what} that do not hold: {len(failed)} of "
                     f"{len(self.rows)}")
        if rounded:
            lines.append(f"off by one in the last digit given, as a rounding would be: "
                         f"{', '.join(rounded)}; give more digits")
        for name in self.starts if len(self.rows) > 1 else ():
            held = self.held_before[name]
            after = (f"; the given gradients between it and {node_name(self.root)} hold "
                     f"({', '.join(held)}), so the mistake is in the factors from there to "
                     f"{name}") if held else ""
            lines.append(f"the hand-derived values first go wrong at {name}{after}")
        for row in wrong if self.order == 1 else ():
            lines.append(f"\nchain rule of {derivative_name(self.root, row.node)} "
                         f"(engine {fmt(row.engine)}, expected {row.given or fmt(row.expected)}):")
            lines.append(self.explanations[row.name].equation())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"CheckReport(passed={bool(self)}, checked={len(self.rows)}, "
                f"wrong={[row.name for row in self.failures]}, starts={self.starts})")


def check(root: Value,
          expected: Mapping[Union[Target, Tuple[Target, Target]], Union[Number, str]], *,
          rtol: Optional[float] = None, atol: Optional[float] = None,
          max_paths: int = 1000, order: int = 1) -> CheckReport:
    """Grade hand-derived gradients ∂root/∂v of leaves or inner nodes, named by label or Value.

    `expected` maps each node v (its label, or the `Value`) to your ∂root/∂v; for an inner
    node such as z_o1 that is the article's δ = ∂C/∂z_o1.

    A hand value is graded to the precision it was written with (see `written`: a float
    by its shortest repr, a str as typed): it holds when the engine's value, rounded at
    the last digit given, is that value, so 0.001186 holds for 0.0011857831… and the
    report says it "agrees to the 4 significant digits given". An integer is exact. A
    value off by one in its last digit is reported as such ("give more digits"): that is
    what rounding an intermediate result does, so it is not taken for a mistake when
    locating one. Values within `FLOAT_ROUNDING` (relative) of the engine's always hold.

    With `rtol` or `atol` given, every value holds when instead
    |expected − engine| ≤ atol + rtol · max(|expected|, |engine|) (defaults then
    rtol = 1e-4, atol = 1e-9).

    Each wrong gradient comes with its chain rule (`explain`, or its one-step form past
    `max_paths` paths). Where several nodes were given, the report names where the
    error starts: the wrong nodes v such that every other given node u on a path from
    root to v (every u whose gradient feeds v's in the backward pass) holds. A wrong δ
    at z_o1 propagates to w7, so given both wrong, the error starts at z_o1; given
    z_o1 right and w7 wrong, it starts at w7, in the factors between the two.

    With `order=2`, `expected` gives second derivatives, graded the same way, to the
    digits given: a node v for ∂²root/∂v², a pair (u, v) for ∂²root/∂u∂v =
    ∂(∂root/∂u)/∂v. The engine's come from differentiating its gradient again (the
    table's differentiable rules); the report gives no chain rule for them.

    Labels that name no node, or several, raise `LabelError` naming all of them.

        >>> from tinygrad_bp import Value, check
        >>> x = Value(2.0, label="x"); y = x * x; y.label = "y"
        >>> bool(check(y, {"x": 4.0})), bool(check(y, {"x": 2.0}))
        (True, False)
        >>> bool(check(y, {"x": 2}, order=2))          # ∂²y/∂x² = 2
        True
    """
    order = derivative_order(order)
    by_tolerance = rtol is not None or atol is not None
    if by_tolerance:
        rtol = tolerance(1e-4 if rtol is None else rtol, "rtol")
        atol = tolerance(1e-9 if atol is None else atol, "atol")
    nodes = trace_root(root, "check")
    if not isinstance(expected, Mapping):
        raise BPTypeError(f"check takes your gradients as a dict {{label or Value: ∂root/∂v}}, "
                          f"got {type(expected).__name__} {expected!r}")
    positive_int(max_paths, "max_paths")
    if order == 1:
        targets = find(root, list(expected), nodes)
        gradients = gradients_of(root)
        graded = [(key, node_name(node), node, gradients[node])
                  for key, node in zip(expected, targets)]
    else:
        graded = _second_derivatives(root, expected, nodes)
    rows = []
    for key, name, node, engine in graded:
        hand = _hand_value(expected[key], name, "gradient" if order == 1 else "value")
        error = abs(hand.value - engine)
        if by_tolerance:
            rows.append(CheckRow(name, node, hand.value, engine, error,
                                 agrees(hand.value, engine, rtol, atol), hand.text))
            continue
        off = _units_off(hand, engine)
        rows.append(CheckRow(name, node, hand.value, engine, error, off == 0,
                             hand.text, hand.digits, off, hand.precision))
    if order == 2:
        return CheckReport(root, rows, {}, {}, rtol, atol, order)
    wrong = [row for row in rows if not row.passed and not row.rounding]
    explanations = {row.name: _explain_or_one_step(root, row.node, max_paths)
                    for row in wrong}
    # given u feeds v's gradient when v is among the nodes u was computed from
    below = {row.name: set(trace(row.node)[:-1]) for row in rows}
    # NOTE: a value off by one in its last digit counts as holding here: taking a rounding
    # for a mistake would place the error below a node that is right.
    held = [u for u in rows if u.passed or u.rounding]
    starts = {row.name: [u.name for u in held if row.node in below[u.name]]
              for row in wrong if not any(row.node in below[u.name] for u in wrong)}
    return CheckReport(root, rows, starts, explanations, rtol, atol)


def _hand_value(given: object, name: str, what: str) -> Written:
    """The hand value given for `name` (a node, or a second derivative), as written."""
    if isinstance(given, str):
        try:
            return written(given)
        except ValueError:
            raise BPValueError(f"the expected {what} for {name} must be a finite number, got "
                               f"{given!r}") from None
    if not is_number(given):
        raise BPTypeError(f"the expected {what} for {name} must be a finite number, got "
                          f"{type(given).__name__} {given!r}")
    if not math.isfinite(given):
        raise BPValueError(f"the expected {what} for {name} must be a finite number, got "
                           f"{given!r}")
    return written(given)


def _second_derivatives(root: Value, expected: Mapping[object, object],
                        nodes: Sequence[Value]) -> List[Tuple[object, str, Value, float]]:
    """(key, name, v, engine's ∂²root/∂u∂v) for each key of `expected`: v or (u, v)."""
    pairs = []
    for key in expected:
        pair = key if isinstance(key, tuple) else (key, key)
        if len(pair) != 2:
            raise BPValueError(f"a second derivative is named by a node or a pair (u, v) "
                               f"of nodes, got {key!r}")
        pairs.append(pair)
    found = find(root, [target for pair in pairs for target in pair], nodes)
    seconds = second_derivatives(root, found[::2])
    top = wrapped(node_name(root))
    return [(key, second_name(top, node_name(u), node_name(v)), v, seconds[u].get(v, 0.0))
            for key, u, v in zip(expected, found[::2], found[1::2])]


def _units_off(hand: Written, engine: float) -> int:
    """By how many units of its last digit `hand` differs from `engine` rounded there
    (0: it is that rounding, or equal up to `FLOAT_ROUNDING`); for an exact hand value,
    0 if equal else a large number. In decimal arithmetic, so that no unit of a last digit
    is too small or too large for a float (1e-400, 5e-324)."""
    if hand.digits is None:
        return 0 if hand.value == engine else 10
    given, exact = _decimal(hand.text, hand.value), decimal.Decimal(engine)
    difference = _EXACT.subtract(given, exact)
    if abs(difference) <= _EXACT.multiply(decimal.Decimal(FLOAT_ROUNDING),
                                          max(abs(given), abs(exact))):
        return 0
    unit = hand.decimal_unit
    # NOTE: half a unit is the rounding's reach: the engine's value rounded at the last
    # digit given is the hand value.
    if abs(difference) <= _EXACT.multiply(unit, decimal.Decimal("0.5")):
        return 0
    rounded = _EXACT.divide(exact, unit).to_integral_value(decimal.ROUND_HALF_UP, _EXACT)
    return int(_EXACT.divide(given, unit) - rounded)


def _decimal(text: str, value: float) -> decimal.Decimal:
    """A hand value in decimal: its text as typed, else (a form float() reads and Decimal
    does not, such as "1_000.5") its float's repr."""
    try:
        return decimal.Decimal(text)
    except decimal.InvalidOperation:
        return decimal.Decimal(repr(value))


def _explain_or_one_step(root: Value, node: Value,
                         max_paths: int) -> Union[Explanation, OneStep]:
    try:
        return explain(root, node, max_paths=max_paths)
    except PathLimitError:
        return explain(root, node, one_step=True)
