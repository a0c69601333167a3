"""The bounds a scheme and what its formulas compute stay within (issue #15).

A scheme that passes ``cskpi scheme check`` must never fail when it is scored.  The
loader therefore bounds every number a scheme writes (in YAML values and in formulas,
constant parts of formulas included), and formulas are evaluated in a bounded
``Decimal`` context, so any value a formula reaches is either a number or a clean,
reported problem for that agent — never a ``decimal`` exception.

Why these figures:

* :data:`NUMBER_LIMIT` (10^15, a thousand trillion) is far above any points, rate or
  amount of money a shop pays, and leaves Python's default 28-digit ``Decimal`` context,
  which the reports and the web use to round to cents, 11 digits of headroom for sums
  of many such values.
* :data:`MAX_SIGNIFICANT_DIGITS` (28) is that default context's precision: a number
  with more digits would be rounded silently outside the formulas.
* :data:`WORKING_LIMIT` (10^30) bounds each step of a formula.  Formulas run with
  :data:`PRECISION` (50) significant digits, so ``round(x, 20)`` of any value below
  10^30 is exact (30 + 20 digits) and cannot fail.

This module imports nothing but :mod:`cskpi.errors` (the scheme package sits at the
bottom of cskpi).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..errors import message

NUMBER_LIMIT = Decimal(10) ** 15
"""Numbers written in a scheme, and every amount of money a scorecard pays: |x| < 10^15."""

NUMBER_LIMIT_DIGITS = 15
"""Digits before the decimal point that a number below :data:`NUMBER_LIMIT` can have."""

MAX_SIGNIFICANT_DIGITS = 28
"""Significant digits a number written in a scheme may have."""

MAX_DECIMAL_PLACES = 20
"""Decimal places a number written in a scheme may have (0.00000000000000000001)."""

WORKING_LIMIT = Decimal(10) ** 30
"""Every value a formula computes, at each step, and every metric value it reads."""

PRECISION = 50
"""Significant digits a formula is evaluated with (exact for ordinary scoring arithmetic)."""

MAX_ROUND_DIGITS = 20
"""The most decimals ``round(x, digits)`` may ask for (PRECISION - 30: never inexact)."""

MAX_DEPTH = 100
"""Deepest nesting a formula may have; deeper input is an error, never a RecursionError."""

MAX_YAML_DEPTH = 40
"""Deepest YAML nesting accepted (a scheme needs about six levels)."""

MAX_ALIAS_EXPANSION = 50_000
"""How much more than its own length a scheme may be read through YAML aliases.

Anchors (``&x``) and aliases (``*x``) let a few characters stand for a large part
repeated many times; reading the scheme is counted (list entries, mapping entries,
formula characters) and may exceed the text's length by this much.
"""

MAX_SUGGESTIONS = 100
"""How many hints of one scheme look for the closest valid name ("did you mean …?").

Each look costs about a millisecond; later hints only list the valid names, so a
scheme of thousands of misspelt names is still checked in well under a second.
"""

STANDARD_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in (
    "str", "int", "float", "bool", "null", "seq", "map", "merge", "timestamp"))
"""The YAML tags a scheme may use (written ``!!str`` … or implied by plain values)."""


Problem = tuple[str, dict[str, Any]]
"""``(code, reason)``: the issue code and the coded reason (``scheme.limit.*``)."""


def number_problem(value: Decimal) -> Problem | None:
    """Why a number written in a scheme is outside the bounds: ``(code, reason)``.

    The code is ``number_range`` (not finite, or too large) or ``number_precision``
    (too many significant digits or decimal places); None: the number is within.
    """
    if not value.is_finite():
        return "number_range", message("scheme.limit.not_finite")
    if value.copy_abs() >= NUMBER_LIMIT:  # copy_abs: exact, whatever the context
        return "number_range", message("scheme.limit.too_large", size=size_text(value))
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    zeros = len(digits) - len(bytes(digits).rstrip(b"\0"))  # trailing zeros
    if value and len(digits) - zeros > MAX_SIGNIFICANT_DIGITS:
        return "number_precision", message("scheme.limit.digits", n=len(digits) - zeros,
                                           max=MAX_SIGNIFICANT_DIGITS)
    places = -(exponent + zeros) if value else 0
    if places > MAX_DECIMAL_PLACES:
        return "number_precision", message("scheme.limit.places", n=places,
                                           max=MAX_DECIMAL_PLACES)
    return None


def number_text_problem(text: str) -> Problem | None:
    """:func:`number_problem` of a number written as plain digits (``123.45``), decided
    from the text when it is too long to be worth converting (a 600,000-digit number)."""
    whole, _, fraction = text.lstrip("+-").partition(".")
    whole = whole.lstrip("0")
    if len(whole) > NUMBER_LIMIT_DIGITS:
        return "number_range", message("scheme.limit.whole_digits", n=len(whole))
    if len(fraction.rstrip("0")) > MAX_DECIMAL_PLACES:
        return "number_precision", message("scheme.limit.places", n=len(fraction.rstrip("0")),
                                           max=MAX_DECIMAL_PLACES)
    return number_problem(Decimal(text))


def shorten(text: str, width: int = 40) -> str:
    """``text``, or its start and end around an ellipsis when it is longer than ``width``."""
    if len(text) <= width:
        return text
    return f"{text[:width - 12]}…{text[-10:]}"


def size_text(value: Decimal) -> str:
    """The number, or ``about 10^40`` when it is too long to print whole."""
    if not value.is_finite():
        return str(value)
    return f"about 10^{value.adjusted()}" if value.adjusted() >= 20 else f"{value:f}"


LIMITS_HINT = "see 'Limits' in docs/schemes.md"


def limits_hint() -> dict[str, Any]:
    """The coded hint of an out-of-bounds number (points to the Limits section)."""
    return message("scheme.hint.limits")


@dataclass(frozen=True)
class Limit:
    """One bound, as the scheme reference lists it."""

    what: str
    bound: str
    beyond: str  # what happens past it


LIMITS: tuple[Limit, ...] = (
    Limit("a number written in a scheme (a YAML value or a number in a formula)",
          f"below 10^15 in size, at most {MAX_SIGNIFICANT_DIGITS} significant digits and "
          f"{MAX_DECIMAL_PLACES} decimal places",
          "`scheme check` error `number_range` / `number_precision` (in a formula: "
          "`formula_range`), with the line"),
    Limit("the maximum score (the items' `max` added up)", "below 10^15",
          "`scheme check` error `number_range`"),
    Limit("a constant part of a formula (`1000000 * 1000000`)",
          "below 10^30 at every step",
          "`scheme check` error `formula_range`, with the column"),
    Limit("a value a formula computes from an agent's data, at every step (and each "
          "metric value it reads)",
          f"below 10^30, in {PRECISION} significant digits",
          "a `formula_range` problem for that agent when scoring: the item gets 0 points "
          "(a veto does not apply, the KPI bonus is 0) and the period cannot be reported "
          "until it is fixed"),
    Limit("each amount of an agent's pay (base, KPI bonus, commission, awards)",
          "below 10^15", "a `pay_range` problem for that agent when scoring; the amount "
          "counts as 0"),
    Limit("`round(x, digits)`", f"digits a whole number from 0 to {MAX_ROUND_DIGITS}",
          "`scheme check` error `formula_syntax`"),
    Limit("formula nesting (parentheses, functions, operators)", f"{MAX_DEPTH} levels",
          "`scheme check` error `formula_syntax`"),
    Limit("YAML nesting", f"{MAX_YAML_DEPTH} levels", "`scheme check` error `yaml_syntax`"),
    Limit("YAML anchors and aliases (`&x`, `*x`, `<<: *x`)",
          f"reading through them may add at most {MAX_ALIAS_EXPANSION:,} steps (entries "
          "and formula characters) to the scheme's own length",
          "`scheme check` error `yaml_alias`"),
    Limit("YAML tags", "only standard ones (`!!str`, `!!int`, `!!float`, `!!bool`, "
          "`!!null`, `!!seq`, `!!map`, `!!timestamp`); never `!!python/…` or `!custom`",
          "`scheme check` error `yaml_tag`, with the line"),
    Limit("a value with an explicit tag (`!!int 12x`, `!!float abc`)", "valid for its tag",
          "`scheme check` error `yaml_value`, with the line; an untagged value that only "
          "looks like a date or number (`2026-13-45`) is text"),
    Limit("the file's encoding", "UTF-8 (a byte-order mark is fine)",
          "`scheme check` error `encoding`, with the line of the first bad byte"),
)


def limits_markdown() -> str:
    """The 'Limits' section of the scheme reference (docs/schemes.md)."""
    lines = ["## Limits",
             "A scheme that passes `cskpi scheme check` never fails when scored: numbers are",
             "bounded when the scheme loads, and formulas run in a bounded decimal context, so",
             "any value is a number or a problem reported for one agent.", "",
             "| what | bound | beyond it |", "|---|---|---|"]
    lines += [f"| {limit.what} | {limit.bound} | {limit.beyond} |" for limit in LIMITS]
    lines += ["", "10^15 is far above any points or money a shop pays and keeps cents exact in",
              "the 28-digit decimal arithmetic of reports; 10^30 with 50 digits lets",
              "`round(x, 20)` of any value be exact.", ""]
    return "\n".join(lines)
