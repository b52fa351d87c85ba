"""Safe arithmetic expressions over `Value`s, for the command line.

`parse("tanh(a * b + exp(a))")` reads an expression with Python's own parser
(`ast.parse(..., mode="eval")`) and keeps it only if every node of the syntax
tree is on a short whitelist:

- numbers (int or float literals) and variable names;
- the binary operators `+ - * / **`, unary `-` and `+`, parentheses;
- calls of the table's functions (`tinygrad_bp.ops.FUNCTIONS`: `exp(x)`, `log(x)`,
  `tanh(x)`, `sigmoid(x)`, `relu(x)`, `sin(x)`, `cos(x)`): one positional argument.

Anything else (attribute access, other calls, keywords, lambdas, subscripts,
comparisons, strings...) raises `ExpressionError` naming the construct and its
1-based column. The tree is evaluated by walking it; nothing is ever passed to
`eval` or `exec`.

    >>> e = parse("tanh(a * b + exp(a))")
    >>> e.variables
    ('a', 'b')
    >>> from tinygrad_bp.engine import Value
    >>> e.evaluate({"a": Value(2.0, label="a"), "b": Value(-3.0, label="b")}).data
    0.8829630488148452
"""

from __future__ import annotations

import ast
import keyword
import math
import operator
import sys
import unicodedata
import warnings
from typing import Callable, Dict, List, Mapping, Tuple, Union

from tinygrad_bp.engine import Value
from tinygrad_bp.errors import (BPOverflowError, BPTypeError, BPValueError, BPZeroDivisionError,
                                 TinygradBPError)
from tinygrad_bp.ops import FUNCTIONS, MATH, OPS

# The longest text `parse` and `parse_bindings` read: 100,000 characters hold a sum of
# 10,000 variables, and Python's parser takes a few hundredths of a second on them.
MAX_LENGTH = 100_000

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = (ast.USub, ast.UAdd)
_SYMBOLS = {ast.MatMult: "@", ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<",
            ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&",
            ast.Not: "not", ast.Invert: "~"}

# What a rejected construct is called in an error message.
_CONSTRUCTS = {
    ast.Attribute: "attribute access", ast.Subscript: "subscript", ast.Lambda: "lambda",
    ast.Compare: "comparison", ast.BoolOp: "boolean operator", ast.IfExp: "conditional",
    ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict", ast.Set: "set",
    ast.ListComp: "comprehension", ast.SetComp: "comprehension",
    ast.DictComp: "comprehension", ast.GeneratorExp: "generator expression",
    ast.JoinedStr: "f-string", ast.Starred: "starred expression", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield", ast.NamedExpr: "assignment expression",
    ast.Slice: "slice",
}

Operand = Union[Value, float]


class ExpressionError(BPValueError):
    """An expression or binding that is not allowed, with the 1-based `column` of the fault."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.message = message
        self.column = column


class _Refused(TinygradBPError):
    """A construct that is not allowed; `_checked_nodes` adds its column."""


class BindingError(BPValueError):
    """Variables and bindings that do not match: a variable without a value, or the reverse."""


class Expression:
    """A parsed, checked expression: `variables` in order of first appearance, `evaluate()`."""

    def __init__(self, text: str, nodes: List[ast.expr]) -> None:
        self.text = text
        self._nodes = nodes             # checked syntax nodes, root first, each before its operands
        names = dict.fromkeys(node.id for node in nodes if isinstance(node, ast.Name))
        self.variables: Tuple[str, ...] = tuple(names)

    def evaluate(self, values: Mapping[str, Value]) -> Value:
        """The expression built from `values` (one `Value` per variable) as a graph.

        A missing variable raises `BindingError` naming it. Numbers in the expression are
        folded into the nodes that use them, as the engine does for `a * 3`; an
        expression of numbers only gives a leaf `Value` of its result. Errors of the
        engine (log of a negative number, division by zero) propagate unchanged.
        """
        self._check_bound(values)
        result: Dict[ast.expr, Operand] = {}
        for node in reversed(self._nodes):      # operands before the node that uses them
            result[node] = _evaluate(node, result, values)
        root = result[self._nodes[0]]
        return root if isinstance(root, Value) else Value(root)

    def _check_bound(self, names: Mapping[str, object]) -> None:
        if not isinstance(names, Mapping):
            raise BPTypeError(f"the variables of {self.text!r} are given as a dict "
                              f"{{name: value}}, got {type(names).__name__} {names!r}")
        unbound = [name for name in self.variables if name not in names]
        if unbound:
            raise BindingError(f"no value for {', '.join(map(spelled, unbound))} in "
                               f"{self.text!r}: give one as {unbound[0]}=NUMBER")

    def __repr__(self) -> str:
        return f"Expression({self.text!r}, variables={self.variables!r})"


def parse(text: str) -> Expression:
    """Parse `text` into an `Expression`, or raise `ExpressionError` saying what is not allowed.

    Precedence is Python's: `**` binds tighter than unary minus, so `-2**a` is `-(2**a)`.
    A text longer than `MAX_LENGTH` characters is refused before it is parsed.
    """
    if not isinstance(text, str):
        raise BPTypeError(f"an expression must be a str, got {type(text).__name__} {text!r}")
    _check_length(text, "an expression")
    stripped = text.strip()
    # NOTE: the parser sees the stripped text; leading blanks shift every column.
    shift = len(text) - len(text.lstrip())
    if not stripped:
        raise ExpressionError("the expression is empty", 1)
    for column, character in enumerate(text, start=1):
        # NOTE: one printable line, so that columns mean what they say (and no NUL bytes).
        if not character.isprintable():
            raise ExpressionError(f"character {character!r} is not allowed", column)
    limit = sys.getrecursionlimit()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)      # e.g. for `2(a)`: refused below
            # NOTE: Python 3.11 builds the syntax tree of x0 + x1 + ... recursively, one level
            # per term, under the recursion limit (a sum of 3,000 terms exceeds it); the
            # tree is no deeper than the text is long, and the limit is restored at once.
            sys.setrecursionlimit(max(limit, len(stripped) + 1000))
            tree = ast.parse(stripped, mode="eval").body
    except SyntaxError as error:
        detail = "" if error.msg == "invalid syntax" else f": {error.msg}"
        raise ExpressionError(f"invalid syntax{detail}", (error.offset or 1) + shift) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply for Python's parser", 1) \
            from None
    finally:
        sys.setrecursionlimit(limit)
    return Expression(text, _checked_nodes(tree, stripped, shift))


def parse_bindings(text: str, *, as_written: bool = False) -> Dict[str, Union[float, str]]:
    """`"a=2,b=-3"` as `{"a": 2.0, "b": -3.0}`; blanks around names and numbers are allowed,
    and an empty text binds nothing. With `as_written=True` the numbers are kept as typed
    (`{"a": "2", "b": "-3"}`), for grading a hand value to the digits it was given with.

    Raises `ExpressionError` (with the column of the faulty pair) for a pair without
    `=`, a name that is not a variable name, a value that is not a finite number, or
    a name bound twice.
    """
    if not isinstance(text, str):
        raise BPTypeError(f"bindings must be a str, got {type(text).__name__} {text!r}")
    _check_length(text, "bindings")
    bindings: Dict[str, Union[float, str]] = {}
    if not text.strip():
        return bindings
    column = 1
    for pair in text.split(","):
        name, equals, number = (part.strip() for part in pair.partition("="))
        name = variable_name(name)
        if not pair.strip():
            raise ExpressionError("empty binding: remove the extra comma", column)
        if not equals:
            raise ExpressionError(f"{pair.strip()!r} is not of the form name=number", column)
        if not _is_variable_name(name):
            raise ExpressionError(f"{spelled(name)} is not a variable name", column)
        if name in bindings:
            raise ExpressionError(f"{name!r} is bound twice", column)
        try:
            value = float(number)
        except ValueError:
            raise ExpressionError(f"{name}={number!r}: the value is not a number", column) \
                from None
        if not math.isfinite(value):
            raise ExpressionError(f"{name}={number}: the value must be finite", column)
        bindings[name] = number if as_written else value
        column += len(pair) + 1
    return bindings


def parse_names(text: str) -> List[str]:
    """`"x, y"` as `["x", "y"]`: variable names (in NFKC form, see `variable_name`) separated
    by commas, each kept once, in order; an empty text names none.

    Raises `ExpressionError`, with the column of the faulty name, for an empty name or
    one that is not a variable name.
    """
    if not isinstance(text, str):
        raise BPTypeError(f"names must be a str, got {type(text).__name__} {text!r}")
    _check_length(text, "names")
    names: List[str] = []
    if not text.strip():
        return names
    column = 1
    for part in text.split(","):
        name = variable_name(part.strip())
        if not name:
            raise ExpressionError("empty name: remove the extra comma", column)
        if not _is_variable_name(name):
            raise ExpressionError(f"{spelled(name)} is not a variable name", column)
        if name not in names:
            names.append(name)
        column += len(part) + 1
    return names


def variable_name(text: str) -> str:
    """`text` as Python reads a name in EXPR: in NFKC form, so full-width `ｘ` is `x`.

    Names given outside the expression (--at, --wrt, --expect) go through this too, or
    they would never match the expression's.
    """
    return unicodedata.normalize("NFKC", text)


def spelled(name: str) -> str:
    """`name` quoted for a message, with the code point and Unicode name of each non-ASCII
    character, so that a look-alike shows itself: `'х' (U+0445 CYRILLIC SMALL LETTER HA)`."""
    foreign = [f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed character')}"
               for c in dict.fromkeys(name) if not c.isascii()]
    return f"{name!r} ({', '.join(foreign)})" if foreign else repr(name)


def bind(expression: Expression, bindings: Mapping[str, float]) -> Dict[str, Value]:
    """One labelled leaf `Value` per variable of `expression`, in order of first appearance.

    Raises `BindingError` for a variable without a binding or a binding that the
    expression does not use (most likely a typo in either).

        >>> bind(parse("a * b"), {"b": -3.0, "a": 2.0})
        {'a': Value(label='a', data=2, grad=0), 'b': Value(label='b', data=-3, grad=0)}
    """
    if not isinstance(expression, Expression):
        raise BPTypeError(f"bind needs an Expression (from parse), got "
                          f"{type(expression).__name__} {expression!r}")
    expression._check_bound(bindings)
    used = set(expression.variables)
    unused = [name for name in bindings if name not in used]
    if unused:
        raise BindingError(f"{', '.join(map(spelled, unused))} bound but not used in "
                           f"{expression.text!r} (its variables: "
                           f"{', '.join(map(spelled, expression.variables)) or 'none'})")
    return {name: Value(bindings[name], label=name) for name in expression.variables}


def _check_length(text: str, what: str) -> None:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"{what} of {len(text):,} characters is longer than the "
                              f"{MAX_LENGTH:,} allowed", MAX_LENGTH + 1)


def _is_variable_name(name: str) -> bool:
    return name.isidentifier() and name not in FUNCTIONS and not keyword.iskeyword(name)


def _checked_nodes(tree: ast.expr, line: str, shift: int) -> List[ast.expr]:
    """Every node of `tree`, root first, left to right; `ExpressionError` at the first bad one."""
    nodes: List[ast.expr] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        nodes.append(node)
        try:
            operands = _operands(node, line, shift)
        except _Refused as refused:         # NOTE: the column only now: it costs O(len(line))
            raise ExpressionError(str(refused), _column(node, line) + shift) from None
        stack.extend(reversed(operands))
    return nodes


def _column(node: ast.expr, line: str) -> int:
    """The 1-based column of `node` in `line`: of its operator for a binary operation,
    of the attribute's name for attribute access, else where the node starts."""
    # NOTE: ast's offsets count UTF-8 bytes; a column counts characters (δ is two bytes).
    encoded = line.encode("utf-8")

    def chars(offset: int) -> int:
        return len(encoded[:offset].decode("utf-8", errors="ignore"))

    if isinstance(node, ast.BinOp) and node.left.end_lineno == node.lineno == 1:
        left_end = chars(node.left.end_col_offset)
        between = line[left_end:]
        return left_end + len(between) - len(between.lstrip(" )")) + 1
    if isinstance(node, ast.Attribute) and node.end_lineno == 1:
        return chars(node.end_col_offset) - len(node.attr) + 1
    return chars(node.col_offset) + 1


def _operands(node: ast.expr, line: str, shift: int) -> List[ast.expr]:
    """The operands of a whitelisted `node`; `_Refused` if `node` is not allowed."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _Refused(f"{type(node.value).__name__} literal {node.value!r} is not "
                                  f"allowed: only numbers")
        try:
            too_large = not math.isfinite(float(node.value))
        except OverflowError:               # NOTE: an int literal beyond ±1.8e308
            too_large = True
        if too_large:
            raise _Refused("number too large for a float")
        return []
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise _Refused(f"{node.id} is a function: call it as {node.id}(x)")
        return []
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise _Refused(f"operator {_SYMBOLS[type(node.op)]} is not allowed: "
                                  f"only + - * / **")
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise _Refused(f"unary operator {_SYMBOLS[type(node.op)]} is not allowed: "
                                  f"only - and +")
        return [node.operand]
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            _checked_nodes(node.func, line, shift)      # name what is wrong inside, if anything
            raise _Refused(f"only calls of {', '.join(FUNCTIONS)} by name are allowed")
        _check_call(node)
        return [node.args[0]]
    construct = _CONSTRUCTS.get(type(node), type(node).__name__)
    raise _Refused(f"{construct} is not allowed")


def _check_call(node: ast.Call) -> None:
    name = node.func.id
    if name not in FUNCTIONS:
        raise _Refused(f"call of {name!r} is not allowed: only {', '.join(FUNCTIONS)}")
    if node.keywords:
        raise _Refused(f"keyword argument in {name}(...) is not allowed")
    if len(node.args) != 1:
        raise _Refused(f"{name} takes exactly one argument, got {len(node.args)}")


def _evaluate(node: ast.expr, result: Mapping[ast.expr, Operand],
              values: Mapping[str, Value]) -> Operand:
    """The value of one checked node, its operands' values already in `result`."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = result[node.operand]
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = result[node.left], result[node.right]
        if not isinstance(left, Value) and not isinstance(right, Value):
            return _number(node, _BINARY[type(node.op)], left, right)
        return _BINARY[type(node.op)](left, right)
    argument = result[node.args[0]]             # a call: the only construct left
    if not isinstance(argument, Value):
        return _number(node, _NUMBER_FUNCTIONS[node.func.id], argument)
    return getattr(argument, node.func.id)()


def _on_floats(name: str) -> Callable[[float], float]:
    """The function `name` of the table of operations over a float: its `forward` rule, the
    text the engine runs, without the local derivatives."""
    namespace: Dict[str, object] = dict(MATH)
    body = "\n    ".join(OPS[name].forward.split("; "))
    exec(f"def function(a):\n    {body}\n    return out", namespace)   # our table, not input
    return namespace["function"]


# NOTE: a part of numbers only is a number, not a node: no gradient flows through it, so
# no derivative is taken there that could fail (log(1e-310) is finite, its derivative
# 1/x is not; 0 ** 0.5 is 0, though x ** 0.5 has no derivative at 0).
_NUMBER_FUNCTIONS = {name: _on_floats(name) for name in FUNCTIONS}


def _number(node: ast.expr, operation: Callable[..., object], *operands: float) -> float:
    """A part of numbers only, computed as a float; an error names the part."""
    try:
        out = operation(*operands)
    except ZeroDivisionError:
        raise BPZeroDivisionError(f"{_part(node)} divides by zero") from None
    except OverflowError:
        raise BPOverflowError(f"{_part(node)} overflows a float") from None
    except ValueError:                          # math.log(x) for x <= 0
        raise BPValueError(f"{_part(node)}: log is defined only for x > 0") from None
    if isinstance(out, complex):
        raise BPValueError(f"{_part(node)}: a negative number to a fractional power is not a "
                         f"real number")
    if not math.isfinite(out):
        raise BPOverflowError(f"{_part(node)} overflows a float")
    return out


def _part(node: ast.expr) -> str:
    """The text of a part of the expression, shortened to 60 characters."""
    try:
        text = ast.unparse(node)
    except RecursionError:
        text = "…"
    return text if len(text) <= 60 else text[:59] + "…"
