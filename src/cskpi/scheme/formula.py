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
    FUNC    := min | max | round | abs | if

Numbers are plain decimals (``12``, ``0.05``); there are no strings, attributes,
indexing, exponents or power operator.  A number must be below 10^15 with at most 28
significant digits and 20 decimal places, and a constant part of a formula
(``1000000 * 1000000``) must stay below 10^30 at every step: both are checked here,
when the scheme loads (see :mod:`cskpi.scheme.limits`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, cast

from .formula_ast import (
    FUNCTIONS,
    ArithOp,
    BinOp,
    Call,
    Compare,
    CompareOp,
    FormulaRangeError,
    FuncName,
    Logic,
    LogicOp,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Value,
    ValueType,
    evaluate_node,
    names_in,
    render,
)
from .limits import LIMITS_HINT, MAX_DEPTH, MAX_ROUND_DIGITS, number_text_problem, shorten
from .suggest import closest

KEYWORDS = frozenset({"and", "or", "not", *FUNCTIONS})
ErrorKind = Literal["syntax", "name", "type", "range"]


class FormulaError(ValueError):
    """A formula that cannot be used, with the 1-based column of the problem.

    ``kind`` is ``"syntax"`` (malformed text), ``"name"`` (unknown name or function),
    ``"type"`` (a condition where a number belongs, or the reverse) or ``"range"`` (a
    number, or a constant part of the formula, out of bounds).
    """

    def __init__(self, message: str, column: int, kind: ErrorKind = "syntax",
                 hint: str | None = None) -> None:
        super().__init__(f"{message} (column {column})" + (f"; {hint}" if hint else ""))
        self.message = message
        self.column = column
        self.kind: ErrorKind = kind
        self.hint = hint


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, its tree and its value type (number or condition)."""

    text: str
    root: Node
    type: ValueType

    @property
    def names(self) -> frozenset[str]:
        """The names the formula uses."""
        return names_in(self.root)

    def evaluate(self, env: Mapping[str, Decimal | None]) -> Value:
        """Compute the formula in ``Decimal`` (``None`` when a needed value is missing)."""
        return evaluate_node(self.root, env)

    def describe(self) -> str:
        """The formula as canonical text (parsing it again gives an equal tree)."""
        return render(self.root)


# ---------------------------------------------------------------------------- tokenizer
TokenKind = Literal["num", "name", "op", "end"]


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
""", re.VERBOSE)

_BAD_CHARS = {
    "'": "strings are not allowed in a formula",
    '"': "strings are not allowed in a formula",
    ".": "attribute access is not allowed; numbers are written like 0.5",
    "^": "there is no power operator",
    "=": "use == to compare",
    "[": "indexing is not allowed", "]": "indexing is not allowed",
    "&": "use 'and'", "|": "use 'or'", "!": "use 'not' (or != to compare)",
    "（": "use ASCII parentheses ( )", "）": "use ASCII parentheses ( )",
    "，": "use an ASCII comma ,",
}


def tokenize(text: str) -> list[Token]:
    """Split formula text into tokens, ending with an ``end`` token."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text.startswith("**", pos):
            raise FormulaError("there is no power operator '**'", pos + 1)
        m = _TOKEN.match(text, pos)
        if m is None:
            if text[pos].isdigit():
                raise FormulaError(f"malformed number starting {text[pos:pos + 8]!r}", pos + 1)
            ch = text[pos]
            reason = _BAD_CHARS.get(ch, "not allowed in a formula")
            raise FormulaError(f"unexpected character {ch!r}: {reason}", pos + 1)
        kind = m.lastgroup
        if kind == "num" or kind == "name" or kind == "op":
            tokens.append(Token(cast(TokenKind, kind), m.group(), pos + 1))
        pos = m.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


# ------------------------------------------------------------------------------ parser
_INFIX_BP = {"or": 1, "and": 2, "<": 4, "<=": 4, ">": 4, ">=": 4, "==": 4, "!=": 4,
             "+": 5, "-": 5, "*": 6, "/": 6}
_NOT_BP, _CMP_BP, _NEG_BP = 3, 4, 7


def _describe_type(t: ValueType) -> str:
    return "a number" if t == "number" else "a condition"


class _Parser:
    def __init__(self, text: str, allowed: Collection[str] | None, suggest: bool) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.allowed = allowed
        self.suggest = suggest
        self.nesting = 0

    # -- helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def expect(self, text: str, context: str) -> Token:
        if self.tok.text != text:
            raise FormulaError(f"expected {text!r} {context}, found {self._shown(self.tok)}",
                               self.tok.column)
        return self.advance()

    @staticmethod
    def _shown(tok: Token) -> str:
        return "the end of the formula" if tok.kind == "end" else repr(tok.text)

    @staticmethod
    def require(node: Node, t: ValueType, want: ValueType, what: str, column: int) -> None:
        if t != want:
            raise FormulaError(f"{what} needs {_describe_type(want)}, not {_describe_type(t)}",
                               column, "type")

    # -- grammar
    def parse(self) -> tuple[Node, ValueType]:
        if self.tok.kind == "end":
            raise FormulaError("the formula is empty", 1)
        node, t, _ = self.expr(0)
        end = self.tokens[self.pos]
        if end.kind != "end":
            raise FormulaError(f"unexpected {self._shown(end)}", end.column)
        return node, t

    def expr(self, min_bp: int) -> tuple[Node, ValueType, int]:
        """Parse an expression whose operators bind at least ``min_bp``.

        Returns the node, its value type and its tree depth.
        """
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise FormulaError(f"the formula nests deeper than {MAX_DEPTH} levels",
                               self.tok.column)
        left, left_t, depth = self.prefix()
        while True:
            tok = self.tok
            bp = _INFIX_BP.get(tok.text) if tok.kind in ("op", "name") else None
            if bp is None or bp < min_bp:
                break
            if isinstance(left, Compare) and bp == _CMP_BP:
                raise FormulaError("comparisons cannot be chained; join them with 'and'",
                                   tok.column)
            self.advance()
            right, right_t, right_depth = self.expr(bp + 1)
            depth = max(depth, right_depth) + 1
            if depth > MAX_DEPTH:
                raise FormulaError(f"the formula nests deeper than {MAX_DEPTH} levels",
                                   tok.column)
            left, left_t = self.combine(tok, left, left_t, right, right_t)
        self.nesting -= 1
        return left, left_t, depth

    def combine(self, tok: Token, left: Node, left_t: ValueType, right: Node,
                right_t: ValueType) -> tuple[Node, ValueType]:
        op, col = tok.text, tok.column
        if op in ("and", "or"):
            self.require(left, left_t, "bool", f"'{op}'", col)
            self.require(right, right_t, "bool", f"'{op}'", col)
            return Logic(cast(LogicOp, op), left, right, col), "bool"
        self.require(left, left_t, "number", f"'{op}'", col)
        self.require(right, right_t, "number", f"'{op}'", col)
        if _INFIX_BP[op] == _CMP_BP:
            return Compare(cast(CompareOp, op), left, right, col), "bool"
        return BinOp(cast(ArithOp, op), left, right, col), "number"

    def prefix(self) -> tuple[Node, ValueType, int]:  # noqa: PLR0911
        tok = self.advance()
        if tok.kind == "num":
            problem = number_text_problem(tok.text)
            if problem is not None:
                raise FormulaError(f"the number {shorten(tok.text)} is out of range: "
                                   f"{problem[1]}", tok.column, "range", LIMITS_HINT)
            return Num(Decimal(tok.text), tok.column), "number", 1
        if tok.text == "-" and tok.kind == "op":
            operand, t, depth = self.expr(_NEG_BP)
            self.require(operand, t, "number", "'-'", tok.column)
            return Neg(operand, tok.column), "number", depth + 1
        if tok.text == "(" and tok.kind == "op":
            node, t, depth = self.expr(0)
            self.expect(")", f"to close the '(' at column {tok.column}")
            return node, t, depth
        if tok.kind == "name":
            return self.name(tok)
        if tok.kind == "op":
            raise FormulaError(f"expected a number, a name or '(', found {tok.text!r}",
                               tok.column)
        raise FormulaError("the formula ends where a value was expected", tok.column)

    def name(self, tok: Token) -> tuple[Node, ValueType, int]:
        if tok.text == "not":
            operand, t, depth = self.expr(_NOT_BP)
            self.require(operand, t, "bool", "'not'", tok.column)
            return Not(operand, tok.column), "bool", depth + 1
        if tok.text in ("and", "or"):
            raise FormulaError(f"'{tok.text}' needs a condition before it", tok.column)
        is_call = self.tok.text == "(" and self.tok.kind == "op"
        if tok.text in FUNCTIONS:
            if not is_call:
                raise FormulaError(f"'{tok.text}' is a function: write {tok.text}(…)",
                                   tok.column)
            return self.call(tok)
        if is_call:
            raise FormulaError(f"unknown function {tok.text!r}", tok.column, "name",
                               hint="functions: " + ", ".join(FUNCTIONS))
        if self.allowed is not None and tok.text not in self.allowed:
            raise FormulaError(f"unknown name {tok.text!r}", tok.column, "name",
                               hint=names_hint(tok.text, self.allowed, self.suggest))
        return Name(tok.text, tok.column), "number", 1

    def call(self, func: Token) -> tuple[Node, ValueType, int]:
        self.advance()  # "("
        args: list[tuple[Node, ValueType, int]] = []
        if not (self.tok.text == ")" and self.tok.kind == "op"):
            args.append(self.expr(0))
            while self.tok.text == "," and self.tok.kind == "op":
                self.advance()
                args.append(self.expr(0))
        self.expect(")", f"to close {func.text}(")
        depth = max((d for _, _, d in args), default=0) + 1
        nodes = tuple(a for a, _, _ in args)
        return (Call(cast(FuncName, func.text), nodes, func.column),
                self.check_call(func, args), depth)

    def check_call(self, func: Token, args: list[tuple[Node, ValueType, int]]) -> ValueType:
        name, col, n = func.text, func.column, len(args)
        wanted = {"min": "at least 2", "max": "at least 2", "abs": "1", "round": "1 or 2",
                  "if": "3"}[name]
        ok = {"min": n >= 2, "max": n >= 2, "abs": n == 1, "round": n in (1, 2),
              "if": n == 3}[name]
        if not ok:
            raise FormulaError(f"{name}() takes {wanted} arguments, not {n}", col)
        if name == "if":
            cond, then, other = args
            self.require(cond[0], cond[1], "bool", "the first argument of if()", cond[0].column)
            if then[1] != other[1]:
                raise FormulaError("both branches of if() must be numbers, or both conditions",
                                   other[0].column, "type")
            return then[1]
        for node, t, _ in args:
            self.require(node, t, "number", f"{name}()", node.column)
        if name == "round" and n == 2:
            digits = args[1][0]
            if not (isinstance(digits, Num) and digits.value == digits.value.to_integral_value()
                    and digits.value <= MAX_ROUND_DIGITS):
                raise FormulaError("round()'s digits must be a whole number from 0 to "
                                   f"{MAX_ROUND_DIGITS}", digits.column)
        return "number"


def names_hint(name: str, allowed: Collection[str], suggest: bool = True) -> str:
    """A hint listing the valid names, starting with the closest one to ``name`` (when
    ``suggest``: looking for it costs about a millisecond)."""
    valid = sorted(allowed)
    close = closest(name, valid) if suggest else None
    listed = ", ".join(valid) if valid else "(none)"
    prefix = f"did you mean {close!r}? " if close else ""
    return f"{prefix}valid names: {listed}"


def parse_formula(text: str, allowed_names: Collection[str] | None = None, *,
                  expect: ValueType | None = None, suggest: bool = True) -> Formula:
    """Parse ``text`` into a :class:`Formula`.

    ``allowed_names`` are the names the formula may use (``None``: any name).  With
    ``expect``, the formula must give a number (``"number"``) or a condition
    (``"bool"``).  Raises :class:`FormulaError` with a 1-based column; unknown names
    are reported with the valid ones in ``hint`` (and in ``str(error)``), the closest
    one first unless ``suggest`` is false.  Numbers and constant parts out of bounds
    are ``"range"`` errors.
    """
    root, value_type = _Parser(text, allowed_names, suggest).parse()
    _check_constants(root)
    if expect is not None and value_type != expect:
        raise FormulaError(f"the formula gives {_describe_type(value_type)}, but "
                           f"{_describe_type(expect)} is needed here", 1, "type")
    return Formula(text, root, value_type)


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Neg | Not):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, BinOp | Compare | Logic):
        return (node.left, node.right)
    return ()


def _check_constants(root: Node) -> None:
    """Evaluate every largest part of the tree without names, as scoring would.

    A constant part that leaves the bounds (``1000000000 * 1000000000 * 1000000000000``)
    fails now, with the column of the operation, instead of for every agent later.
    """
    if _is_constant(root) and not isinstance(root, Num):
        _evaluate_constant(root)


def _is_constant(node: Node) -> bool:
    """Whether ``node`` uses no name; non-constant nodes check their constant parts."""
    if isinstance(node, Name):
        return False
    children = _children(node)
    flags = [_is_constant(child) for child in children]
    if all(flags):
        return True
    for child, constant in zip(children, flags, strict=True):
        if constant and not isinstance(child, Num):
            _evaluate_constant(child)
    return False


def _evaluate_constant(node: Node) -> None:
    try:
        evaluate_node(node, {})
    except FormulaRangeError as err:
        raise FormulaError(err.message, err.column, "range", LIMITS_HINT) from None
