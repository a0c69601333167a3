"""The typed, immutable syntax tree of a scheme formula, its evaluator and its printer.

A formula is parsed once, when its scheme loads (see :mod:`cskpi.scheme.formula`), into
these nodes; scoring then evaluates the tree against an environment of ``Decimal``
values.  Nothing here runs Python code: there is no ``eval``, ``exec`` or ``compile``.

Evaluation rules:

* numbers are ``Decimal``; arithmetic runs in a context of its own, of
  :data:`PRECISION` significant digits, whatever the caller's context is;
* every value read or computed must stay below
  :data:`~cskpi.scheme.limits.WORKING_LIMIT` (10^30) in size: beyond it, or for a
  value that is not a finite number, :class:`FormulaRangeError` is raised with the
  column of the operation; nothing else escapes (no ``decimal`` exception);
* a missing value (``None``) makes any arithmetic, comparison or function result
  ``None``; division by zero gives ``None``;
* ``and``/``or``/``not`` follow three-valued (Kleene) logic: ``false and None`` is
  false, ``true or None`` is true, otherwise a ``None`` operand gives ``None``;
* ``if(c, a, b)`` evaluates only the branch that ``c`` picks (``None`` if ``c`` is);
* ``round(x, d)`` rounds half up (``round(2.345, 2)`` = 2.35).

Column numbers on nodes are 1-based positions in the formula text; they are left out
of equality, so two trees are equal when they mean the same thing.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeAlias

from ..errors import english, message
from .limits import PRECISION, WORKING_LIMIT, size_text

ArithOp = Literal["+", "-", "*", "/"]
CompareOp = Literal["<", "<=", ">", ">=", "==", "!="]
LogicOp = Literal["and", "or"]
FuncName = Literal["min", "max", "round", "abs", "if"]
LookupName = Literal["target", "team", "shop", "team_avg", "prev", "streak"]
ValueType = Literal["number", "bool"]
Value: TypeAlias = Decimal | bool | None

FUNCTIONS: tuple[FuncName, ...] = ("min", "max", "round", "abs", "if")
LOOKUPS: tuple[LookupName, ...] = ("target", "team", "shop", "team_avg", "prev", "streak")
"""Functions that look a value up by a name in quotes: ``target('conversion_rate')``."""


@dataclass(frozen=True)
class Num:
    """A number literal (the parser only makes non-negative ones; ``-2`` is ``Neg``)."""

    value: Decimal
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Name:
    """A metric key or another name given by the formula's context."""

    name: str
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Lookup:
    """``target('KEY')``, ``team('KEY')``, ``shop('KEY')``, ``team_avg('KEY')``,
    ``prev('KEY')`` or ``streak('LEVEL')``: a value the scorer looks up by name.

    The environment holds it under :attr:`name` (``"target('sales')"``).
    """

    func: LookupName
    key: str
    column: int = field(default=0, compare=False, repr=False)

    @property
    def name(self) -> str:
        return lookup_name(self.func, self.key)


def lookup_name(func: str, key: str) -> str:
    """The environment name of a lookup: ``target('sales')``."""
    return f"{func}('{key}')"


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Node
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Not:
    """Logical ``not``."""

    operand: Node
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class BinOp:
    """``+ - * /`` on two numbers."""

    op: ArithOp
    left: Node
    right: Node
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Compare:
    """A comparison of two numbers; comparisons do not chain."""

    op: CompareOp
    left: Node
    right: Node
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Logic:
    """``and`` / ``or`` of two conditions."""

    op: LogicOp
    left: Node
    right: Node
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Call:
    """``min(…)``, ``max(…)``, ``round(x[, digits])``, ``abs(x)`` or ``if(c, a, b)``."""

    func: FuncName
    args: tuple[Node, ...]
    column: int = field(default=0, compare=False, repr=False)


Node: TypeAlias = Num | Name | Lookup | Neg | Not | BinOp | Compare | Logic | Call


# ---------------------------------------------------------------------------- printing
_PREC_OR, _PREC_AND, _PREC_NOT, _PREC_CMP, _PREC_ADD, _PREC_MUL, _PREC_NEG, _PREC_ATOM = range(
    1, 9)


def precedence(node: Node) -> int:
    """How tightly a node binds (higher binds tighter), as the parser reads it."""
    if isinstance(node, Logic):
        return _PREC_OR if node.op == "or" else _PREC_AND
    if isinstance(node, Not):
        return _PREC_NOT
    if isinstance(node, Compare):
        return _PREC_CMP
    if isinstance(node, BinOp):
        return _PREC_ADD if node.op in ("+", "-") else _PREC_MUL
    if isinstance(node, Neg):
        return _PREC_NEG
    return _PREC_ATOM


def _wrap(node: Node, parens: bool) -> str:
    text = render(node)
    return f"({text})" if parens else text


def render(node: Node) -> str:
    """Canonical text of a tree, with only the parentheses its structure needs."""
    if isinstance(node, Num):
        return format(node.value, "f")
    if isinstance(node, Name | Lookup):
        return node.name
    if isinstance(node, Neg):
        return "-" + _wrap(node.operand, precedence(node.operand) <= _PREC_NEG)
    if isinstance(node, Not):
        return "not " + _wrap(node.operand, precedence(node.operand) < _PREC_NOT)
    if isinstance(node, Call):
        return f"{node.func}({', '.join(render(a) for a in node.args)})"
    prec = precedence(node)
    # left-associative operators: the left side may bind as loosely as the node itself,
    # the right side must bind tighter; comparisons do not chain on either side
    left_parens = precedence(node.left) < prec or (
        isinstance(node, Compare) and precedence(node.left) <= prec)
    right_parens = precedence(node.right) <= prec
    return f"{_wrap(node.left, left_parens)} {node.op} {_wrap(node.right, right_parens)}"


# -------------------------------------------------------------------------- evaluation
class FormulaRangeError(ArithmeticError):
    """A value out of bounds while a formula is evaluated (with the operation's column).

    ``problem`` is the coded message (``scheme.range.*``), ``message`` its English text;
    ``value`` is the offending value when there is one (None: it could not be computed).
    """

    def __init__(self, problem: dict[str, Any], column: int,
                 value: Decimal | None = None) -> None:
        self.problem = problem
        self.message = english(problem)
        super().__init__(f"{self.message} (column {column})")
        self.column = column
        self.value = value


def _context() -> decimal.Context:
    """The context formulas run in: fixed precision, exponents well inside the bounds."""
    return decimal.Context(prec=PRECISION, rounding=decimal.ROUND_HALF_EVEN, Emax=999_999,
                           Emin=-999_999, traps=[decimal.InvalidOperation,
                                                 decimal.DivisionByZero, decimal.Overflow])


def evaluate_node(node: Node, env: Mapping[str, Decimal | None]) -> Value:
    """Evaluate ``node``; see the module docstring for the rules.

    Raises ``KeyError`` when the tree uses a name that ``env`` has no entry for (a
    ``None`` entry is a missing value, not an error), and :class:`FormulaRangeError`
    when a value read or computed is out of bounds.
    """
    with decimal.localcontext(_context()):
        try:
            return _eval(node, env)
        except decimal.DecimalException as err:  # the bounds checks leave none; a backstop
            raise FormulaRangeError(message("scheme.range.cannot_compute",
                                            error=type(err).__name__), node.column) from None


def operation(node: Node) -> dict[str, Any]:
    """What a node does, as a message names it (``'*'``, ``min()``, ``sales``)."""
    if isinstance(node, BinOp):
        return message("scheme.formula.op", op=node.op)
    if isinstance(node, Call):
        return message("scheme.formula.func", func=node.func)
    if isinstance(node, Name | Lookup):
        return message("scheme.formula.name", name=node.name)
    if isinstance(node, Neg):
        return message("scheme.formula.op", op="-")
    return message("scheme.formula.the_number")


def _bounded(value: Decimal, node: Node) -> Decimal:
    """``value`` when it is finite and below :data:`WORKING_LIMIT`, else the error."""
    verb = "is" if isinstance(node, Name | Lookup | Num) else "gives"
    if not value.is_finite():
        raise FormulaRangeError(message(f"scheme.range.not_finite.{verb}",
                                        operation=operation(node), value=str(value)),
                                node.column, value)
    if value.copy_abs() >= WORKING_LIMIT:
        raise FormulaRangeError(message(f"scheme.range.too_large.{verb}",
                                        operation=operation(node), size=size_text(value)),
                                node.column, value)
    return value


def _eval(node: Node, env: Mapping[str, Decimal | None]) -> Value:
    if isinstance(node, Num):
        return _bounded(node.value, node)
    if isinstance(node, Name | Lookup):
        if node.name not in env:
            raise KeyError(f"no value given for {node.name!r}")
        given = env[node.name]
        return _bounded(given, node) if isinstance(given, Decimal) else given
    result = _eval_operation(node, env)
    return _bounded(result, node) if isinstance(result, Decimal) else result


def _eval_operation(node: Node, env: Mapping[str, Decimal | None]) -> Value:  # noqa: C901, PLR0911
    if isinstance(node, Neg):
        value = _eval(node.operand, env)
        return None if value is None else -_number(value)
    if isinstance(node, Not):
        value = _eval(node.operand, env)
        return None if value is None else not value
    if isinstance(node, Logic):
        return _logic(node, env)
    if isinstance(node, Call):
        return _call(node, env)
    left, right = _eval(node.left, env), _eval(node.right, env)
    if left is None or right is None:
        return None
    a, b = _number(left), _number(right)
    if isinstance(node, Compare):
        return _compare(node.op, a, b)
    if node.op == "+":
        return a + b
    if node.op == "-":
        return a - b
    if node.op == "*":
        return a * b
    if b == 0:
        return None
    return a / b


def _number(value: Decimal | bool) -> Decimal:
    if isinstance(value, bool):  # the parser's type check keeps conditions out of sums
        raise TypeError("a condition was used as a number")
    return value


def _compare(op: CompareOp, a: Decimal, b: Decimal) -> bool:
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "==":
        return a == b
    return a != b


def _logic(node: Logic, env: Mapping[str, Decimal | None]) -> Value:
    decisive = node.op == "or"  # the operand value that settles the result
    left = _eval(node.left, env)
    if left is not None and bool(left) == decisive:
        return decisive
    right = _eval(node.right, env)
    if right is not None and bool(right) == decisive:
        return decisive
    if left is None or right is None:
        return None
    return not decisive


def _call(node: Call, env: Mapping[str, Decimal | None]) -> Value:
    if node.func == "if":
        cond = _eval(node.args[0], env)
        if cond is None:
            return None
        return _eval(node.args[1] if cond else node.args[2], env)
    values = [_eval(a, env) for a in node.args]
    if any(v is None for v in values):
        return None
    numbers = [_number(v) for v in values if v is not None]
    if node.func == "min":
        return min(numbers)
    if node.func == "max":
        return max(numbers)
    if node.func == "abs":
        return abs(numbers[0])
    digits = int(numbers[1]) if len(numbers) > 1 else 0
    return numbers[0].quantize(Decimal(1).scaleb(-digits), rounding=decimal.ROUND_HALF_UP)


def children(node: Node) -> tuple[Node, ...]:
    """The nodes directly under ``node``."""
    if isinstance(node, Neg | Not):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, BinOp | Compare | Logic):
        return (node.left, node.right)
    return ()


def names_in(node: Node) -> frozenset[str]:
    """Every plain name a tree uses (metric keys and the context's names)."""
    if isinstance(node, Name):
        return frozenset((node.name,))
    return frozenset().union(*(names_in(c) for c in children(node)))


def lookups_in(node: Node) -> frozenset[Lookup]:
    """Every lookup (``target('sales')`` …) a tree uses."""
    if isinstance(node, Lookup):
        return frozenset((node,))
    return frozenset().union(*(lookups_in(c) for c in children(node)))
