"""The safe formula parser: precedence, evaluation rules, errors, and property tests.

Expected values are worked out by hand; the property tests compare the parser and
the Decimal evaluator with a tree of the tests' own, evaluated in exact Fractions.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cskpi.scheme import Formula, FormulaError, parse_formula


def ev(text: str, **env: Any) -> Any:
    values = {k: (None if v is None else Decimal(str(v))) for k, v in env.items()}
    return parse_formula(text, None).evaluate(values)


# ------------------------------------------------------------------------- precedence
@pytest.mark.parametrize(("text", "expected"), [
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("10 - 4 - 3", 3),          # left-associative: (10 - 4) - 3
    ("10 - (4 - 3)", 9),
    ("8 / 4 / 2", 1),           # (8 / 4) / 2
    ("2 * 3 + 4 * 5", 26),
    ("-2 * 3", -6),
    ("-(2 + 3) * 2", -10),
    ("2 - -3", 5),
    ("--4", 4),
    ("0.1 + 0.2", Decimal("0.3")),  # exact decimals, no binary float error
    ("round(1000 * 107 / 130, 2)", Decimal("823.08")),  # the spec's KPI bonus example
])
def test_arithmetic_precedence(text: str, expected: int | Decimal) -> None:
    assert ev(text) == Decimal(expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("1 < 2", True), ("2 <= 2", True), ("3 > 4", False), ("4 >= 5", False),
    ("1 == 1.0", True), ("1 != 2", True),
    ("1 + 1 == 2", True),                      # arithmetic binds tighter than ==
    ("not 1 > 2 and 3 > 2", True),             # (not (1 > 2)) and (3 > 2)
    ("1 > 2 or 3 > 2 and 1 > 2", False),       # 1 > 2 or (3 > 2 and 1 > 2)
    ("(1 > 2 or 3 > 2) and 1 > 2", False),
    ("(1 > 2 or 3 > 2) and 2 > 1", True),
    ("not not 1 < 2", True),
])
def test_comparisons_and_logic(text: str, expected: bool) -> None:
    assert ev(text) is expected


def test_functions() -> None:
    assert ev("min(3, 1, 2)") == 1
    assert ev("max(3, 1, 2) * 2") == 6
    assert ev("round(2.345, 2)") == Decimal("2.35")     # half up, not banker's
    assert ev("round(2.5)") == 3
    assert ev("round(0.125, 2)") == Decimal("0.13")
    assert ev("round(-2.5)") == -3                      # half away from zero
    assert ev("abs(-4) + abs(4)") == 8
    assert ev("if(x > 1, 10, 20)", x=2) == 10
    assert ev("if(x > 1, 10, 20)", x=1) == 20
    assert ev("if(x > 1, x > 5, x < 0)", x=7) is True


def test_if_evaluates_only_the_chosen_branch() -> None:
    f = parse_formula("if(1 < 2, 5, y)", None)
    assert f.evaluate({}) == 5          # y is never looked up
    with pytest.raises(KeyError):
        parse_formula("if(1 > 2, 5, y)", None).evaluate({})
    assert ev("if(x > 1, 1, 2)", x=None) is None


def test_missing_values_and_division_by_zero() -> None:
    assert ev("1 / 0") is None
    assert ev("x / (y - y)", x=1, y=3) is None
    assert ev("x + 1", x=None) is None
    assert ev("min(x, 1)", x=None) is None
    assert ev("round(x, 1)", x=None) is None
    assert ev("x > 1", x=None) is None
    assert ev("1 / 0 > 1") is None


def test_three_valued_logic() -> None:
    assert ev("x > 1 or 1 < 2", x=None) is True
    assert ev("1 < 2 or x > 1", x=None) is True
    assert ev("x > 1 and 1 > 2", x=None) is False
    assert ev("x > 1 and 1 < 2", x=None) is None
    assert ev("x > 1 or 1 > 2", x=None) is None
    assert ev("not x > 1", x=None) is None


def test_formula_text_names_describe() -> None:
    f = parse_formula("pool*score/ max_score", ["pool", "score", "max_score"])
    assert f.text == "pool*score/ max_score"
    assert f.names == {"pool", "score", "max_score"}
    assert f.type == "number"
    assert f.describe() == "pool * score / max_score"
    assert parse_formula("-(a*b) - -c + (x - (y - z))").describe() == \
        "-(a * b) - -c + (x - (y - z))"
    assert parse_formula("((a + b)) * c").describe() == "(a + b) * c"
    assert parse_formula("not (a > 1 or b > 1)").describe() == "not (a > 1 or b > 1)"
    assert parse_formula("-(-a)").describe() == "-(-a)"
    assert parse_formula("if(a>=1,round(b,2),max(1,2))").describe() == \
        "if(a >= 1, round(b, 2), max(1, 2))"
    assert parse_formula("complaints >= 3", expect="bool").type == "bool"


# ------------------------------------------------------------------------------ errors
def error_of(text: str, names: list[str] | None = None, **kw: Any) -> FormulaError:
    with pytest.raises(FormulaError) as info:
        parse_formula(text, names, **kw)
    return info.value


def test_unknown_name_lists_valid_names_and_column() -> None:
    err = error_of("1 + refund_rat * 2", ["refund_rate", "sales"])
    assert (err.kind, err.column) == ("name", 5)
    assert "refund_rat" in err.message
    assert "refund_rate, sales" in str(err)
    assert err.hint is not None and err.hint.startswith("did you mean 'refund_rate'?")


def test_unknown_function() -> None:
    err = error_of("sqrt(4)")
    assert (err.kind, err.column) == ("name", 1)
    assert "min, max, round, abs, if" in str(err)


@pytest.mark.parametrize(("text", "column"), [
    ("__import__('os').system('x')", 17),   # text in quotes names lookups; no attributes
    ("os.system", 3),                        # nor attribute access
    ("().__class__", 3),
    ("[1][0]", 1),
    ("lambda: 1", 7),
    ("2 ^ 3", 3),                            # no power operator
    ("2 ** 3", 3),
    ("x = 1", 3),
    ("1 +", 4),
    ("", 1),
    ("1 2", 3),
    ("(1 + 2", 7),
    ("1 < 2 < 3", 7),                        # comparisons do not chain
    ("min(1)", 1),
    ("abs(1, 2)", 1),
    ("round(1, 0.5)", 10),
    ("max", 1),
    ("1.2.3", 1),
    ("a and", 6),
])
def test_syntax_errors(text: str, column: int) -> None:
    err = error_of(text, ["a", "x"])
    assert (err.kind, err.column) == ("syntax", column)


@pytest.mark.parametrize("text", [
    "1 + (2 > 1)", "if(1, 2, 3)", "if(1 > 0, 2, 3 > 1)", "not 1", "1 and 2 > 1", "-(1 > 2)",
    "min(1 > 0, 2)",
])
def test_type_errors(text: str) -> None:
    assert error_of(text).kind == "type"


def test_expected_type() -> None:
    assert error_of("1 > 0", expect="number").kind == "type"
    assert error_of("1 + 0", expect="bool").kind == "type"


@pytest.mark.parametrize("text", [
    "(" * 5000 + "1" + ")" * 5000,
    "-" * 5000 + "1",
    "not " * 3000 + "1 > 0",
    "abs(" * 3000 + "1" + ")" * 3000,
    "+".join(["1"] * 5000),
    "min(1, " * 2000 + "1" + ")" * 2000,
])
def test_deep_nesting_is_an_error_not_a_crash(text: str) -> None:
    err = error_of(text)
    assert err.kind == "syntax" and "nests deeper" in err.message


def test_moderate_nesting_is_fine() -> None:
    assert ev("(" * 40 + "1" + ")" * 40) == 1
    assert ev("+".join(["1"] * 90)) == 90
    assert ev("abs(" * 30 + "-2" + ")" * 30) == 2


# --------------------------------------------------------------------- property tests
# The tests' own expression tree: ("num", Fraction, text) | ("name", n) |
# ("neg", e) | ("not", e) | (op, a, b) | ("call", func, args).
NAMES = ("a", "b", "c")
ARITH = ("+", "-", "*", "/")
COMPARE = ("<", "<=", ">", ">=", "==", "!=")

literals = st.one_of(
    st.integers(0, 20).map(str),
    st.tuples(st.integers(0, 9), st.integers(0, 9)).map(lambda t: f"{t[0]}.{t[1]}"),
    st.tuples(st.integers(0, 9), st.sampled_from(["5", "25", "75"])).map(
        lambda t: f"{t[0]}.{t[1]}"),  # halfway cases for round()
)
spaces = st.sampled_from(["", " ", "  "])


@st.composite
def numbers(draw: Any, depth: int, divide: bool) -> tuple[Any, ...]:
    """A numeric expression tree; ``divide``: may contain '/' (never in a denominator)."""
    choice = draw(st.integers(0, 9 if depth > 0 else 1))
    if choice == 0:
        text = draw(literals)
        return ("num", Fraction(text), text)
    if choice == 1:
        return ("name", draw(st.sampled_from(NAMES)))
    if choice <= 4:
        op = draw(st.sampled_from(ARITH if divide else ARITH[:3]))
        right = draw(numbers(depth - 1, divide and op != "/"))
        return (op, draw(numbers(depth - 1, divide)), right)
    if choice == 5:
        return ("neg", draw(numbers(depth - 1, divide)))
    if choice == 6:
        func = draw(st.sampled_from(["min", "max"]))
        args = draw(st.lists(numbers(depth - 1, divide), min_size=2, max_size=3))
        return ("call", func, tuple(args))
    if choice == 7:
        return ("call", "abs", (draw(numbers(depth - 1, divide)),))
    if choice == 8 and not divide:
        digits = str(draw(st.integers(0, 2)))
        arg = draw(numbers(depth - 1, divide))
        return ("call", "round", (arg, ("num", Fraction(digits), digits)))
    if choice == 9 and not divide:
        return ("call", "if", (draw(conditions(depth - 1)), draw(numbers(depth - 1, divide)),
                               draw(numbers(depth - 1, divide))))
    return ("name", draw(st.sampled_from(NAMES)))


@st.composite
def conditions(draw: Any, depth: int) -> tuple[Any, ...]:
    """A condition tree (no division anywhere: conditions compare exact values)."""
    choice = draw(st.integers(0, 3 if depth > 0 else 0))
    if choice == 0:
        op = draw(st.sampled_from(COMPARE))
        return (op, draw(numbers(max(depth - 1, 0), False)), draw(numbers(max(depth - 1, 0),
                                                                          False)))
    if choice == 1:
        return ("not", draw(conditions(depth - 1)))
    op = "and" if choice == 2 else "or"
    return (op, draw(conditions(depth - 1)), draw(conditions(depth - 1)))


def to_text(tree: tuple[Any, ...], draw: Any) -> str:
    """Fully parenthesised text, with random spacing and redundant parentheses."""
    kind = tree[0]
    if kind == "num":
        text = tree[2]
    elif kind == "name":
        text = tree[1]
    elif kind == "neg":
        text = f"-({to_text(tree[1], draw)})"
    elif kind == "not":
        text = f"not ({to_text(tree[1], draw)})"
    elif kind == "call":
        sep = "," + draw(spaces)
        text = f"{tree[1]}({sep.join(to_text(a, draw) for a in tree[2])})"
    else:
        s = draw(spaces) or (" " if kind in ("and", "or") else "")
        text = f"({to_text(tree[1], draw)}){s}{kind}{s}({to_text(tree[2], draw)})"
    return f"( {text} )" if draw(st.booleans()) and draw(st.booleans()) else text


def reference(tree: tuple[Any, ...], env: dict[str, Fraction | None]) -> Any:  # noqa: C901, PLR0911, PLR0912
    """The tests' own evaluator, in Fractions, with the documented rules."""
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "name":
        return env[tree[1]]
    if kind in ("neg", "not"):
        v = reference(tree[1], env)
        return None if v is None else (-v if kind == "neg" else not v)
    if kind in ("and", "or"):
        decisive = kind == "or"
        left, right = reference(tree[1], env), reference(tree[2], env)
        if left is decisive or right is decisive:
            return decisive
        return None if left is None or right is None else not decisive
    if kind == "call":
        func, args = tree[1], tree[2]
        if func == "if":
            cond = reference(args[0], env)
            return None if cond is None else reference(args[1] if cond else args[2], env)
        values = [reference(a, env) for a in args]
        if any(v is None for v in values):
            return None
        if func == "min":
            return min(values)
        if func == "max":
            return max(values)
        if func == "abs":
            return abs(values[0])
        scale = 10 ** int(values[1])
        x = values[0]
        rounded = Fraction(math.floor(abs(x) * scale + Fraction(1, 2)), scale)
        return rounded if x >= 0 else -rounded
    a, b = reference(tree[1], env), reference(tree[2], env)
    if a is None or b is None:
        return None
    ops = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
           "/": lambda: None if b == 0 else a / b, "<": lambda: a < b, "<=": lambda: a <= b,
           ">": lambda: a > b, ">=": lambda: a >= b, "==": lambda: a == b,
           "!=": lambda: a != b}
    return ops[kind]()


env_values = st.one_of(st.none(), literals.map(Decimal), literals.map(lambda t: -Decimal(t)))
envs = st.fixed_dictionaries({n: env_values for n in NAMES})


@st.composite
def formulas(draw: Any, divide: bool = False) -> tuple[tuple[Any, ...], str]:
    tree = draw(st.one_of(numbers(4, divide), conditions(3)) if not divide
                else numbers(4, True))
    return tree, to_text(tree, draw)


@settings(max_examples=300, deadline=None)
@given(formulas())
def test_describe_round_trips(case: tuple[tuple[Any, ...], str]) -> None:
    _, text = case
    parsed = parse_formula(text, NAMES)
    canonical = parsed.describe()
    again = parse_formula(canonical, NAMES)
    assert again.root == parsed.root
    assert again.type == parsed.type
    assert again.describe() == canonical


@settings(max_examples=200, deadline=None)
@given(literals, st.booleans(), st.integers(0, 2))
def test_round_is_half_up(literal: str, negative: bool, digits: int) -> None:
    text = f"round({'-' if negative else ''}{literal}, {digits})"
    tree = ("call", "round", (("neg", ("num", Fraction(literal), literal)) if negative else
                              ("num", Fraction(literal), literal),
                              ("num", Fraction(digits), str(digits))))
    assert Fraction(parse_formula(text).evaluate({})) == reference(tree, {})


def fractions_env(env: dict[str, Decimal | None]) -> dict[str, Fraction | None]:
    return {k: None if v is None else Fraction(v) for k, v in env.items()}


@settings(max_examples=300, deadline=None)
@given(formulas(), envs)
def test_evaluate_matches_exact_reference(case: tuple[tuple[Any, ...], str],
                                          env: dict[str, Decimal | None]) -> None:
    tree, text = case
    expected = reference(tree, fractions_env(env))
    parsed = parse_formula(text, NAMES)
    got = parsed.evaluate(env)
    assert Formula.evaluate(parse_formula(parsed.describe(), NAMES), env) == got
    if isinstance(expected, bool) or expected is None:
        assert got is expected
    else:
        assert isinstance(got, Decimal) and Fraction(got) == expected


def magnitude(tree: tuple[Any, ...], env: dict[str, Fraction | None]) -> Fraction:
    """The largest absolute value of any subexpression (bounds the rounding error)."""
    value = reference(tree, env)
    own = abs(value) if isinstance(value, Fraction) else Fraction(0)
    kids: list[Any] = list(tree[2]) if tree[0] == "call" else [
        t for t in tree[1:] if isinstance(t, tuple)]
    return max([own, *(magnitude(k, env) for k in kids)])


def depth_of(tree: tuple[Any, ...]) -> int:
    kids: list[Any] = list(tree[2]) if tree[0] == "call" else [
        t for t in tree[1:] if isinstance(t, tuple)]
    return 1 + max((depth_of(k) for k in kids), default=0)


@settings(max_examples=300, deadline=None)
@given(formulas(divide=True), envs)
def test_division_matches_reference_within_precision(case: tuple[tuple[Any, ...], str],
                                                     env: dict[str, Decimal | None]) -> None:
    tree, text = case
    fenv = fractions_env(env)
    expected = reference(tree, fenv)
    got = parse_formula(text, NAMES).evaluate(env)
    if expected is None:
        assert got is None  # denominators are division-free, so zero is exactly zero
        return
    assert isinstance(got, Decimal)
    bound = max(Fraction(1), magnitude(tree, fenv)) ** depth_of(tree)
    assert abs(Fraction(got) - expected) <= Fraction(1, 10 ** 45) * bound
