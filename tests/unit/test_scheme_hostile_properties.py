"""Properties of hostile schemes (issue #15), with hypothesis.

* A scheme that passes the check scores on any small metric table without an exception:
  the only problems are the documented per-agent ``formula_range`` and ``pay_range``,
  every item's points stay within 0..max, and every figure formats for JSON and reports.
* The loader turns any text into issues, never an exception.

The default budget is small (a few seconds); the ``slow`` tests run the same properties
on many more examples.
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cskpi.metrics.catalog import CATALOG
from cskpi.reports.formats import money_text, points_text
from cskpi.scheme import load_scheme
from cskpi.scheme.limits import NUMBER_LIMIT
from cskpi.scoring.score import ScoringInput, score_period

UNITS = {k: m.unit for k, m in CATALOG.items()}
DIRECTIONS = {k: m.direction for k, m in CATALOG.items()}
METRIC_NAMES = ("sales", "refund_rate", "response_s", "complaints")
BONUS_NAMES = ("pool", "score", "max_score", "pass_ratio")
RUN_PROBLEMS = {"formula_range", "pay_range"}

# --- numbers of any size, as a scheme writes them ---------------------------------------------
within = st.one_of(
    st.integers(0, 1000).map(str),
    st.tuples(st.integers(0, 10 ** 6), st.integers(0, 10 ** 4)).map(lambda t: f"{t[0]}.{t[1]}"),
    st.sampled_from(["999999999999999", "999999999999999.9", "0.00000000000000000001",
                     "100000000000000", "0"]),
)
beyond = st.one_of(  # some of them past the bounds: the check must refuse those
    st.integers(0, 10 ** 40).map(str),
    st.tuples(st.integers(0, 10 ** 20), st.integers(0, 25), st.integers(1, 9)).map(
        lambda t: f"{t[0]}.{'0' * t[1]}{t[2]}"),
    st.sampled_from(["1000000000000000", "0.000000000000000000001"]),
    st.integers(4301, 5000).map(lambda n: "1" + "0" * n),  # past int()'s digit limit
)
numbers = st.integers(0, 19).flatmap(lambda i: beyond if i == 0 else within)  # 1 in 20
COMPARE = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])


def conditions(value: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    compare = st.tuples(value, COMPARE, value).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})")
    return st.one_of(
        compare,
        compare.map(lambda c: f"not ({c})"),
        st.tuples(compare, st.sampled_from(["and", "or"]), compare).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
    )


def expressions(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Formula text over ``names``: every operator and function the language has."""
    leaves = st.one_of(numbers, st.sampled_from(names))

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
                lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
            inner.map(lambda a: f"-({a})"),
            st.tuples(st.sampled_from(["min", "max"]), st.lists(inner, min_size=2,
                                                                 max_size=3)).map(
                lambda t: f"{t[0]}({', '.join(t[1])})"),
            inner.map(lambda a: f"abs({a})"),
            inner.map(lambda a: f"round({a})"),
            st.tuples(inner, st.integers(0, 21)).map(lambda t: f"round({t[0]}, {t[1]})"),
            st.tuples(conditions(inner), inner, inner).map(
                lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
        )

    return st.recursive(leaves, extend, max_leaves=8)


@st.composite
def schemes(draw: Any) -> str:
    item = draw(expressions(METRIC_NAMES))
    other = draw(expressions(METRIC_NAMES))
    veto = draw(conditions(expressions(METRIC_NAMES)))
    bonus = draw(expressions(BONUS_NAMES))
    maximum, base, pool = draw(numbers), draw(numbers), draw(numbers)
    return (f"scheme: p\npass_ratio: 0.5\nitems:\n"
            f"  - {{key: f, max: {maximum}, formula: '{item}'}}\n"
            f"  - {{key: g, max: 10, formula: '{other}'}}\n"
            f"veto:\n  - {{when: '{veto}', effect: bonus}}\n"
            f"pay:\n  base: {base}\n"
            f"  kpi_bonus: {{pool: {pool}, formula: '{bonus}', requires_pass: false}}\n"
            f"  commission: {{rate: 0.05, on: sales}}\n")


def rate(num: int, den: int) -> dict[str, Any]:
    return {"refund_rate": num / den, "refund_rate_num": num, "refund_rate_den": den}


# the small hand-made metric table: ordinary, zero, large, missing, tiny and past the bounds
METRICS: dict[str, dict[str, Any]] = {
    "A1": {"sales": 12345.67, "response_s": 42.5, "complaints": 1, **rate(5, 100)},
    "A2": {"sales": 0, "response_s": 0, "complaints": 0, **rate(0, 40)},
    "A3": {"sales": D("99999999999999.99"), "response_s": 1e12, "complaints": 10 ** 9,
           **rate(999, 1000)},
    "A4": {},
    "A5": {"sales": D("1e-20"), "response_s": 1e-9, "complaints": 0, **rate(1, 10 ** 20)},
    "A6": {"sales": D("1e35"), "response_s": 1e300, "complaints": 3, **rate(1, 3)},
}
INPUT = ScoringInput(
    period="2026-10", metrics=METRICS, metric_units=UNITS, metric_directions=DIRECTIONS,
    roster=[{"agent_id": a, "name": a, "role": "presale", "team": "T", "level": "senior"}
            for a in METRICS])


def checked_schemes_score_cleanly(text: str) -> None:
    scheme, issues = load_scheme(text, "p.yaml", metrics=CATALOG)
    if scheme is None:
        event("refused by the check")
        assert any(i.is_error for i in issues)
        return
    event("passed the check")
    result = score_period(scheme, INPUT)  # must not raise
    codes = {p.code for p in result.problems}
    assert codes <= RUN_PROBLEMS
    for code in codes:
        event(f"problem {code}")
    assert len(result.cards) == len(METRICS)
    for card in result.cards:
        for item in card.items:
            assert 0 <= item.points <= item.max
        slip = card.pay
        for amount in (slip.base, slip.kpi_bonus, slip.commission,
                       sum((a.amount for a in slip.awards), D(0))):
            assert abs(amount) < NUMBER_LIMIT
        json.dumps(card.to_dict(), default=str)
        points_text(card.score), money_text(slip.total), points_text(card.ratio)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemes())
def test_a_scheme_that_passes_the_check_never_fails_when_scored(text: str) -> None:
    checked_schemes_score_cleanly(text)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemes())
def test_a_scheme_that_passes_the_check_never_fails_when_scored_long(text: str) -> None:
    checked_schemes_score_cleanly(text)


# --- any text: issues, never an exception ------------------------------------------------------
PIECES = st.sampled_from([
    "scheme: t\n", "items:\n", "  - ", "{key: a, max: 10, ", "formula: '", "'}", "\n", "&a ",
    "*a", "<<: ", "!!python/object:os.system ", "!!int ", "!!float ", "!!binary ", "!x ",
    "9" * 50, "1" + "0" * 5000, "0x1F", "1:30", "2026-13-01", ".inf", ".nan", "[", "]", "{", "}",
    ", ", ": ", "? ", "- ", "|\n", "\t", "%TAG ! tag:x,2000:\n", "---\n", "veto: ", "pay: ",
    "kpi_bonus: ", "pool: ", "tiers: ", "grade: ", "per: ", "late: ", "targets: ", "awards: ",
    "kind: rank", "=", "<<", "~", "'", '"', "\x00", "\ud800", "\x85", "\u2028", "(" * 200,
])
texts = st.one_of(st.text(), st.lists(PIECES, max_size=40).map("".join))


def loads_without_exception(text: str) -> None:
    scheme, issues = load_scheme(text, "f.yaml", metrics=CATALOG)
    assert scheme is not None or any(i.is_error for i in issues)


@settings(max_examples=150, deadline=None)
@given(texts)
def test_any_text_gives_issues_not_exceptions(text: str) -> None:
    loads_without_exception(text)


@pytest.mark.slow
@settings(max_examples=20_000, deadline=None)
@given(texts)
def test_any_text_gives_issues_not_exceptions_long(text: str) -> None:
    loads_without_exception(text)
