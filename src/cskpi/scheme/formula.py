"""Safe scheme formulas: a hand-written tokenizer and a Pratt parser.

A formula such as ``min(20, satisfaction * 25) - if(complaints >= 3, 5, 0)`` is parsed
when its scheme loads into an immutable typed tree (:mod:`cskpi.scheme.formula_ast`).
Unknown names, misspelt functions and type mix-ups (a condition added to a number)
are rejected then, with the 1-based column and the list of valid names, instead of
failing at payroll time.  Nothing is ever handed to ``eval``/``exec``/``compile``.

Grammar, loosest binding first::

    expr    := expr "or" expr | expr "and" expr | "not" expr
             | sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?   # no chaining
    sum     := sum ("+" | "-") product | product
    product := product ("*" | "/") unary | unary
    unary   := "-" unary | atom
    atom    := NUMBER | NAME | "(" expr ")" | FUNC "(" expr ("," expr)* ")"
             | LOOKUP "(" TEXT ")"
    FUNC    := min | max | round | abs | if
    LOOKUP  := target | team | shop | team_avg | prev | streak

Numbers are plain decimals (``12``, ``0.05``); there are no attributes, indexing,
exponents or power operator.  Text in quotes only names what a lookup reads:
``target('conversion_rate')``, ``team('sales')``, ``shop('silent_sales')``,
``team_avg('score')``, ``prev('score')``, ``streak('金牌')`` (which of them a formula
may use, and with which names, depends on where it stands in the scheme).  A number must be below 10^15 with at most 28
significant digits and 20 decimal places, and a constant part of a formula
(``1000000 * 1000000``) must stay below 10^30 at every step: both are checked here,
when the scheme loads (see :mod:`cskpi.scheme.limits`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, cast

from ..errors import english, message
from .formula_ast import (
    FUNCTIONS,
    LOOKUPS,
    ArithOp,
    BinOp,
    Call,
    Compare,
    CompareOp,
    FormulaRangeError,
    FuncName,
    Logic,
    LogicOp,
    Lookup,
    LookupName,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Value,
    ValueType,
    children,
    evaluate_node,
    lookups_in,
    names_in,
    render,
)
from .limits import MAX_DEPTH, MAX_ROUND_DIGITS, limits_hint, number_text_problem, shorten
from .suggest import closest

KEYWORDS = frozenset({"and", "or", "not", *FUNCTIONS, *LOOKUPS})
ErrorKind = Literal["syntax", "name", "type", "range"]
Msg = dict[str, Any]
Lookups = Mapping[str, Collection[str] | None]
"""Lookup functions a formula may use, each with the names it may look up (None: any)."""


def _m(key: str, /, **params: Any) -> Msg:
    return message(f"scheme.formula.{key}", **params)


class FormulaError(ValueError):
    """A formula that cannot be used, with the 1-based column of the problem.

    ``kind`` is ``"syntax"`` (malformed text), ``"name"`` (unknown name or function),
    ``"type"`` (a condition where a number belongs, or the reverse) or ``"range"`` (a
    number, or a constant part of the formula, out of bounds).  ``problem`` and
    ``hint_message`` are coded messages (``scheme.formula.*``); ``message`` and ``hint``
    their English text.
    """

    def __init__(self, problem: Msg, column: int, kind: ErrorKind = "syntax",
                 hint: Msg | None = None) -> None:
        self.problem = problem
        self.hint_message = hint
        self.message = english(problem)
        self.hint = english(hint) if hint is not None else None
        super().__init__(f"{self.message} (column {column})"
                         + (f"; {self.hint}" if self.hint else ""))
        self.column = column
        self.kind: ErrorKind = kind


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, its tree and its value type (number or condition)."""

    text: str
    root: Node
    type: ValueType

    @property
    def names(self) -> frozenset[str]:
        """The plain names the formula uses (metric keys, the context's names)."""
        return names_in(self.root)

    @property
    def lookups(self) -> frozenset[Lookup]:
        """The lookups the formula uses (``target('sales')`` …); the environment holds
        each under its ``name``."""
        return lookups_in(self.root)

    def evaluate(self, env: Mapping[str, Decimal | None]) -> Value:
        """Compute the formula in ``Decimal`` (``None`` when a needed value is missing)."""
        return evaluate_node(self.root, env)

    def describe(self) -> str:
        """The formula as canonical text (parsing it again gives an equal tree)."""
        return render(self.root)


# ---------------------------------------------------------------------------- tokenizer
TokenKind = Literal["num", "name", "op", "str", "end"]


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    column: int


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<num>\d+(?:\.\d+)?(?![\w.]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|==|!=|[-+*/<>(),])
  | (?P<str>'[^'\n]*'|"[^"\n]*")
""", re.VERBOSE)

_BAD_CHARS = {
    "'": "quote", '"': "quote", ".": "attribute", "^": "power", "=": "equals",
    "[": "index", "]": "index", "&": "and", "|": "or", "!": "not",
    "（": "paren", "）": "paren", "，": "comma",
}


def tokenize(text: str) -> list[Token]:
    """Split formula text into tokens, ending with an ``end`` token."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text.startswith("**", pos):
            raise FormulaError(_m("no_power"), pos + 1)
        m = _TOKEN.match(text, pos)
        if m is None:
            if text[pos].isdigit():
                raise FormulaError(_m("malformed_number", start=text[pos:pos + 8]), pos + 1)
            ch = text[pos]
            reason = _m(f"char.{_BAD_CHARS.get(ch, 'other')}")
            raise FormulaError(_m("bad_char", char=ch, reason=reason), pos + 1)
        kind = m.lastgroup
        if kind in ("num", "name", "op", "str"):
            tokens.append(Token(cast(TokenKind, kind), m.group(), pos + 1))
        pos = m.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


# ------------------------------------------------------------------------------ parser
_INFIX_BP = {"or": 1, "and": 2, "<": 4, "<=": 4, ">": 4, ">=": 4, "==": 4, "!=": 4,
             "+": 5, "-": 5, "*": 6, "/": 6}
_NOT_BP, _CMP_BP, _NEG_BP = 3, 4, 7


def _type_name(t: ValueType) -> Msg:
    return _m(f"type.{t}")


class _Parser:
    def __init__(self, text: str, allowed: Collection[str] | None, suggest: bool,
                 lookups: Lookups | None) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.allowed = allowed
        self.suggest = suggest
        self.lookups = lookups
        self.nesting = 0

    # -- helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def expect(self, text: str, context: Msg) -> Token:
        if self.tok.text != text or self.tok.kind == "str":
            raise FormulaError(_m("expected", want=text, context=context,
                                  found=self._shown(self.tok)), self.tok.column)
        return self.advance()

    @staticmethod
    def _shown(tok: Token) -> Msg:
        return _m("found.end") if tok.kind == "end" else _m("found.text", text=tok.text)

    @staticmethod
    def require(t: ValueType, want: ValueType, what: Msg, column: int) -> None:
        if t != want:
            raise FormulaError(_m("needs", what=what, want=_type_name(want),
                                  got=_type_name(t)), column, "type")

    # -- grammar
    def parse(self) -> tuple[Node, ValueType]:
        if self.tok.kind == "end":
            raise FormulaError(_m("empty"), 1)
        node, t, _ = self.expr(0)
        end = self.tokens[self.pos]
        if end.kind != "end":
            raise FormulaError(_m("unexpected", found=self._shown(end)), end.column)
        return node, t

    def expr(self, min_bp: int) -> tuple[Node, ValueType, int]:
        """Parse an expression whose operators bind at least ``min_bp``.

        Returns the node, its value type and its tree depth.
        """
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise FormulaError(_m("too_deep", max=MAX_DEPTH), self.tok.column)
        left, left_t, depth = self.prefix()
        while True:
            tok = self.tok
            bp = _INFIX_BP.get(tok.text) if tok.kind in ("op", "name") else None
            if bp is None or bp < min_bp:
                break
            if isinstance(left, Compare) and bp == _CMP_BP:
                raise FormulaError(_m("chained"), tok.column)
            self.advance()
            right, right_t, right_depth = self.expr(bp + 1)
            depth = max(depth, right_depth) + 1
            if depth > MAX_DEPTH:
                raise FormulaError(_m("too_deep", max=MAX_DEPTH), tok.column)
            left, left_t = self.combine(tok, left, left_t, right, right_t)
        self.nesting -= 1
        return left, left_t, depth

    def combine(self, tok: Token, left: Node, left_t: ValueType, right: Node,
                right_t: ValueType) -> tuple[Node, ValueType]:
        op, col = tok.text, tok.column
        what = _m("op", op=op)
        if op in ("and", "or"):
            self.require(left_t, "bool", what, col)
            self.require(right_t, "bool", what, col)
            return Logic(cast(LogicOp, op), left, right, col), "bool"
        self.require(left_t, "number", what, col)
        self.require(right_t, "number", what, col)
        if _INFIX_BP[op] == _CMP_BP:
            return Compare(cast(CompareOp, op), left, right, col), "bool"
        return BinOp(cast(ArithOp, op), left, right, col), "number"

    def prefix(self) -> tuple[Node, ValueType, int]:  # noqa: PLR0911
        tok = self.advance()
        if tok.kind == "num":
            problem = number_text_problem(tok.text)
            if problem is not None:
                raise FormulaError(_m("number_range", number=shorten(tok.text),
                                      reason=problem[1]), tok.column, "range", limits_hint())
            return Num(Decimal(tok.text), tok.column), "number", 1
        if tok.text == "-" and tok.kind == "op":
            operand, t, depth = self.expr(_NEG_BP)
            self.require(t, "number", _m("op", op="-"), tok.column)
            return Neg(operand, tok.column), "number", depth + 1
        if tok.text == "(" and tok.kind == "op":
            node, t, depth = self.expr(0)
            self.expect(")", _m("context.close_paren", column=tok.column))
            return node, t, depth
        if tok.kind == "name":
            return self.name(tok)
        if tok.kind == "str":
            raise FormulaError(_m("text_place", functions=list(LOOKUPS)), tok.column)
        if tok.kind == "op":
            raise FormulaError(_m("expected_value", found=tok.text), tok.column)
        raise FormulaError(_m("ends_early"), tok.column)

    def name(self, tok: Token) -> tuple[Node, ValueType, int]:
        if tok.text == "not":
            operand, t, depth = self.expr(_NOT_BP)
            self.require(t, "bool", _m("op", op="not"), tok.column)
            return Not(operand, tok.column), "bool", depth + 1
        if tok.text in ("and", "or"):
            raise FormulaError(_m("needs_condition", op=tok.text), tok.column)
        is_call = self.tok.text == "(" and self.tok.kind == "op"
        if tok.text in FUNCTIONS or tok.text in LOOKUPS:
            if not is_call:
                raise FormulaError(_m("is_function", func=tok.text), tok.column)
            return self.lookup(tok) if tok.text in LOOKUPS else self.call(tok)
        if is_call:
            raise FormulaError(_m("unknown_function", name=tok.text), tok.column, "name",
                               hint=_m("hint.functions",
                                       functions=list(FUNCTIONS + LOOKUPS)))
        if self.allowed is not None and tok.text not in self.allowed:
            raise FormulaError(_m("unknown_name", name=tok.text), tok.column, "name",
                               hint=names_hint(tok.text, self.allowed, self.suggest))
        return Name(tok.text, tok.column), "number", 1

    def lookup(self, func: Token) -> tuple[Node, ValueType, int]:
        self.advance()  # "("
        arg = self.advance()
        if arg.kind != "str":
            raise FormulaError(_m("lookup_arg", func=func.text), arg.column)
        self.expect(")", _m("context.close_call", func=func.text))
        key = arg.text[1:-1]
        allowed = self._lookup_keys(func)
        if allowed is not None and key not in allowed:
            raise FormulaError(_m("unknown_lookup", func=func.text, key=key), arg.column + 1,
                               "name", hint=names_hint(key, allowed, self.suggest))
        return Lookup(cast(LookupName, func.text), key, func.column), "number", 1

    def _lookup_keys(self, func: Token) -> Collection[str] | None:
        """The names ``func`` may look up here (None: any); an error when it may not be
        used here at all."""
        if self.lookups is None:
            if self.allowed is None:
                return None
            raise FormulaError(_m("lookup_not_here", func=func.text), func.column, "name")
        if func.text not in self.lookups:
            raise FormulaError(_m("lookup_not_here", func=func.text), func.column, "name",
                               hint=_m("hint.lookups", functions=sorted(self.lookups))
                               if self.lookups else None)
        return self.lookups[func.text]

    def call(self, func: Token) -> tuple[Node, ValueType, int]:
        self.advance()  # "("
        args: list[tuple[Node, ValueType, int]] = []
        if not (self.tok.text == ")" and self.tok.kind == "op"):
            args.append(self.expr(0))
            while self.tok.text == "," and self.tok.kind == "op":
                self.advance()
                args.append(self.expr(0))
        self.expect(")", _m("context.close_call", func=func.text))
        depth = max((d for _, _, d in args), default=0) + 1
        nodes = tuple(a for a, _, _ in args)
        return (Call(cast(FuncName, func.text), nodes, func.column),
                self.check_call(func, args), depth)

    def check_call(self, func: Token, args: list[tuple[Node, ValueType, int]]) -> ValueType:
        name, col, n = func.text, func.column, len(args)
        wanted = {"min": _m("args.at_least", n=2), "max": _m("args.at_least", n=2),
                  "abs": _m("args.exactly", n=1), "round": _m("args.one_or_two"),
                  "if": _m("args.exactly", n=3)}[name]
        ok = {"min": n >= 2, "max": n >= 2, "abs": n == 1, "round": n in (1, 2),
              "if": n == 3}[name]
        if not ok:
            raise FormulaError(_m("arg_count", func=name, wanted=wanted, n=n), col)
        if name == "if":
            cond, then, other = args
            self.require(cond[1], "bool", _m("if_condition"), cond[0].column)
            if then[1] != other[1]:
                raise FormulaError(_m("if_branches"), other[0].column, "type")
            return then[1]
        for node, t, _ in args:
            self.require(t, "number", _m("func", func=name), node.column)
        if name == "round" and n == 2:
            digits = args[1][0]
            if not (isinstance(digits, Num) and digits.value == digits.value.to_integral_value()
                    and digits.value <= MAX_ROUND_DIGITS):
                raise FormulaError(_m("round_digits", max=MAX_ROUND_DIGITS), digits.column)
        return "number"


def names_hint(name: str, allowed: Collection[str], suggest: bool = True) -> Msg:
    """A hint listing the valid names, starting with the closest one to ``name`` (when
    ``suggest``: looking for it costs about a millisecond)."""
    valid = sorted(allowed)
    close = closest(name, valid) if suggest else None
    listed = ", ".join(valid) if valid else "(none)"
    if close:
        return message("scheme.hint.names_close", close=close, valid=listed)
    return message("scheme.hint.names", valid=listed)


def parse_formula(text: str, allowed_names: Collection[str] | None = None, *,
                  expect: ValueType | None = None, suggest: bool = True,
                  lookups: Lookups | None = None) -> Formula:
    """Parse ``text`` into a :class:`Formula`.

    ``allowed_names`` are the names the formula may use (``None``: any name).  With
    ``expect``, the formula must give a number (``"number"``) or a condition
    (``"bool"``).  ``lookups`` are the lookup functions it may call, each with the names
    it may look up (None: any lookup with any name when ``allowed_names`` is None, none
    otherwise).  Raises :class:`FormulaError` with a 1-based column; unknown names are
    reported with the valid ones in ``hint`` (and in ``str(error)``), the closest one
    first unless ``suggest`` is false.  Numbers and constant parts out of bounds are
    ``"range"`` errors.
    """
    root, value_type = _Parser(text, allowed_names, suggest, lookups).parse()
    _check_constants(root)
    if expect is not None and value_type != expect:
        raise FormulaError(_m("gives", got=_type_name(value_type), want=_type_name(expect)),
                           1, "type")
    return Formula(text, root, value_type)


def _check_constants(root: Node) -> None:
    """Evaluate every largest part of the tree without names, as scoring would.

    A constant part that leaves the bounds (``1000000000 * 1000000000 * 1000000000000``)
    fails now, with the column of the operation, instead of for every agent later.
    """
    if _is_constant(root) and not isinstance(root, Num):
        _evaluate_constant(root)


def _is_constant(node: Node) -> bool:
    """Whether ``node`` uses no name; non-constant nodes check their constant parts."""
    if isinstance(node, Name | Lookup):
        return False
    kids = children(node)
    flags = [_is_constant(child) for child in kids]
    if all(flags):
        return True
    for child, constant in zip(kids, flags, strict=True):
        if constant and not isinstance(child, Num):
            _evaluate_constant(child)
    return False


def _evaluate_constant(node: Node) -> None:
    try:
        evaluate_node(node, {})
    except FormulaRangeError as err:
        raise FormulaError(err.problem, err.column, "range", limits_hint()) from None
