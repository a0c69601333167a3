"""Loading schemes: the spec's after-sale preset, every error code with its line."""

from __future__ import annotations

import re
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cskpi.errors import Issue
from cskpi.scheme import (
    FormulaItem,
    GradeItem,
    LinearItem,
    MetricSpec,
    PerItem,
    RankAward,
    TargetAward,
    TargetItem,
    TiersItem,
    load_scheme,
    load_scheme_file,
)
from tests.helpers.schemes import AFTERSALE

METRICS = {
    "refund_rate": MetricSpec("rate", "lower"),
    "satisfaction": MetricSpec("rate", "higher"),
    "conversion_rate": MetricSpec("rate", "higher"),
    "rated_sessions": MetricSpec("count", "neutral"),
    "inquiring_customers": MetricSpec("count", "neutral"),
    "response_s": MetricSpec("s", "lower"),
    "sales": MetricSpec("money", "higher"),
    "complaints": MetricSpec("count", "lower"),
    "target_completion": MetricSpec("rate", "higher"),
}
ROSTER = [
    {"agent_id": "001", "name": "张伟", "role": "presale", "team": "A", "level": "senior"},
    {"agent_id": "002", "name": "李娜", "role": "aftersale", "team": "B", "level": "junior"},
]



def load(text: str, **kw: Any) -> tuple[Any, list[Issue]]:
    kw.setdefault("metrics", METRICS)
    return load_scheme(textwrap.dedent(text), "s.yaml", **kw)


def codes(text: str, **kw: Any) -> list[tuple[str, int | None]]:
    """(code, line) of every issue."""
    return [(i.code, i.row) for i in load(text, **kw)[1]]


def only(text: str, **kw: Any) -> Issue:
    scheme, issues = load(text, **kw)
    assert len(issues) == 1, [str(i) for i in issues]
    assert scheme is None
    return issues[0]


# --------------------------------------------------------------- the after-sale preset
def test_spec_block_is_the_one_tested() -> None:
    spec = Path(__file__).parents[3] / "shared" / "spec" / "schemes.md"
    if not spec.exists():
        pytest.skip("shared/spec not beside the repository")
    block = re.search(r"```yaml\n(.*?)```", spec.read_text(encoding="utf-8"), re.S)
    assert block is not None and block.group(1) == AFTERSALE


@pytest.mark.parametrize("kw", [{}, {"metrics": None}, {"roster": ROSTER}])
def test_aftersale_loads_without_issues(kw: dict[str, Any]) -> None:
    scheme, issues = load(AFTERSALE, **kw)
    assert issues == []
    assert scheme is not None
    assert (scheme.name, scheme.title) == ("aftersale-4crown", "售后客服考核 (四皇冠店铺)")
    assert scheme.applies_to.role == ("aftersale",)
    assert scheme.pass_ratio == Decimal("0.70")
    assert scheme.max_score == 130


def test_aftersale_items() -> None:
    scheme, _ = load(AFTERSALE)
    assert [(i.key, i.kind, i.max, i.line) for i in scheme.items] == [
        ("quality", "grade", 20, 6), ("refund_rate", "tiers", 30, 10),
        ("disputes", "grade", 20, 19), ("cooperation", "grade", 20, 20),
        ("execution", "grade", 20, 21), ("attendance", "per", 20, 22)]
    quality = scheme.item("quality")
    assert isinstance(quality, GradeItem) and quality.label == "售后客服素质"
    assert dict(quality.grades) == {"A": 20, "B": 15, "C": 10, "D": 0}
    refund = scheme.item("refund_rate")
    assert isinstance(refund, TiersItem) and refund.metric == "refund_rate"
    assert [(t.max, t.points, t.line) for t in refund.tiers] == [
        (Decimal("0.05"), 30, 15), (Decimal("0.08"), 20, 16), (Decimal("0.11"), 10, 17),
        (None, 0, 18)]
    assert refund.tiers[-1].is_catch_all
    attendance = scheme.item("attendance")
    assert isinstance(attendance, PerItem)
    assert (attendance.start, attendance.min) == (20, 0)
    assert dict(attendance.per) == {"late": -5, "leave": -5, "absent": -10}


def test_aftersale_adjustments_and_pay() -> None:
    scheme, _ = load(AFTERSALE)
    assert [(a.event, a.points, a.min_points, a.max_points, a.line)
            for a in scheme.adjustments] == [
        ("low_quality_review", -5, None, None, 29), ("complaint", None, -20, -5, 30),
        ("praise", 2, None, None, 31), ("outstanding", None, 2, 5, 32)]
    base = scheme.pay.base
    assert base.for_level("senior") == 2500 and base.for_level("intern") is None
    bonus = scheme.pay.kpi_bonus
    assert (bonus.pool, bonus.requires_pass) == (1000, True)
    # the spec's example: 107 of 130 points -> 1000 x 107 / 130 = 823.08
    value = bonus.formula.evaluate({"pool": bonus.pool, "score": Decimal(107),
                                    "max_score": scheme.max_score, "pass_ratio": None})
    assert round(value, 2) == Decimal("823.08")
    assert scheme.pay.commission is None and scheme.awards == () and scheme.targets == {}


def test_aftersale_with_the_metric_catalog() -> None:
    catalog = pytest.importorskip("cskpi.metrics.catalog")
    metrics = {m.key: m for m in catalog.METRICS}
    scheme, issues = load(AFTERSALE, metrics=metrics)
    assert issues == [] and scheme is not None


PRESALE = """\
scheme: presale
applies_to: {role: [presale], team: A}
pass_ratio: 0.6
profile: taobao
items:
  - {key: conversion, label: 询单转化率, max: 40, metric: conversion_rate,
     target: targets, min_sample: {n: 30, fallback: team, metric: inquiring_customers}}
  - {key: response, max: 20, metric: response_s, linear: {from: 60, to: 15}}
  - key: satisfaction
    max: 20
    tiers: [{min: 0.95, points: 20}, {min: 0.9, points: 10}, {points: 0}]
    min_sample: {n: 30, fallback: neutral}
  - {key: sales, max: 20, metric: target_completion, target: 1.0}
  - {key: extra, max: 10, formula: "min(10, satisfaction * 10)"}
veto:
  - {when: "complaints >= 3", effect: bonus, reason: 三次投诉}
  - complaints >= 5
pay:
  base: 3000
  kpi_bonus: {pool: 800}
  commission: {rate: 0.02, on: sales, net_of_refunds: true}
  awards:
    - {kind: target, metric: conversion_rate, reach: target, amount: 1000}
    - {kind: rank, metric: response_s, top: 1, amount: 800, ties: repeat,
       min_sample: {metric: inquiring_customers, n: 100}}
    - {kind: target, metric: satisfaction, reach: 0.98, amount: 200}
targets:
  conversion_rate: {history: {periods: 3, uplift: 0.1}}
  satisfaction: {percentile: 75, periods: 6}
  response_s: {fixed: 30}
"""


def test_presale_scheme_kinds() -> None:
    scheme, issues = load(PRESALE, roster=ROSTER)
    assert issues == []
    assert scheme.profile == "taobao" and scheme.applies_to.team == ("A",)
    conversion, response, satisfaction, sales, extra = scheme.items
    assert isinstance(conversion, TargetItem) and conversion.target is None
    assert conversion.min_sample is not None and satisfaction.min_sample is not None
    assert conversion.min_sample.fallback == "team"
    assert conversion.min_sample.metric == "inquiring_customers"
    assert isinstance(response, LinearItem) and (response.worst, response.best) == (60, 15)
    assert isinstance(satisfaction, TiersItem) and satisfaction.metric == "satisfaction"
    assert [t.min for t in satisfaction.tiers] == [Decimal("0.95"), Decimal("0.9"), None]
    assert satisfaction.min_sample.neutral == 10  # max / 2 by default
    assert isinstance(sales, TargetItem) and sales.target == 1
    assert isinstance(extra, FormulaItem) and extra.formula.names == {"satisfaction"}
    assert [(v.effect, v.reason, v.line) for v in scheme.veto] == [
        ("bonus", "三次投诉", 16), ("score", "complaints >= 5", 17)]


def test_presale_pay_awards_targets() -> None:
    scheme, _ = load(PRESALE)
    assert scheme.pay.base.amount == 3000 and scheme.pay.base.for_level("x") == 3000
    assert scheme.pay.kpi_bonus.formula.text == "pool * score / max_score"
    commission = scheme.pay.commission
    assert (commission.rate, commission.on, commission.net_of_refunds) == (
        Decimal("0.02"), "sales", True)
    target_award, rank, reach = scheme.awards
    assert isinstance(target_award, TargetAward) and target_award.reach is None
    assert isinstance(rank, RankAward)
    assert (rank.top, rank.amount, rank.ties, rank.direction) == (1, 800, "repeat", "lower")
    assert rank.min_sample is not None
    assert (rank.min_sample.metric, rank.min_sample.n) == ("inquiring_customers", 100)
    assert reach.reach == Decimal("0.98")
    history = scheme.targets["conversion_rate"]
    assert (history.method, history.periods, history.uplift) == ("history", 3, Decimal("0.1"))
    pct = scheme.targets["satisfaction"]
    assert (pct.method, pct.percentile, pct.periods) == ("percentile", 75, 6)
    assert scheme.targets["response_s"].value == 30


def test_grade_aliases_and_commission_tiers() -> None:
    scheme, issues = load("""\
        scheme: s
        items:
          - {key: q, max: 10, grade: {优: 10, 良: 6, 中: 3, 差: 0}}
        pay:
          commission:
            marginal: true
            tiers: [{upto: 10000, rate: 0.01}, {upto: 50000, rate: 0.02}, {rate: 0.03}]
        """)
    assert issues == []
    assert dict(scheme.items[0].grades) == {"A": 10, "B": 6, "C": 3, "D": 0}
    tiers = scheme.pay.commission.tiers
    assert [(t.upto, t.rate) for t in tiers] == [
        (10000, Decimal("0.01")), (50000, Decimal("0.02")), (None, Decimal("0.03"))]
    assert scheme.pay.commission.marginal is True


def test_applies_to_matching() -> None:
    scheme, _ = load("scheme: s\napplies_to: {role: presale, level: [senior, lead]}\n"
                     "items: [{key: q, max: 1, grade: {A: 1, B: 1, C: 0, D: 0}}]\n")
    assert [a["agent_id"] for a in ROSTER if scheme.applies_to.matches(a)] == ["001"]
    everyone, _ = load("scheme: s\nitems: [{key: q, max: 1, grade: {A: 1, B: 1, C: 0, D: 0}}]")
    assert all(everyone.applies_to.matches(a) for a in ROSTER)


# --------------------------------------------------------------------- error reporting
GRADE = "grade: {A: 10, B: 5, C: 0, D: 0}"


def test_yaml_syntax_error_has_its_line() -> None:
    issue = only("scheme: t\nitems: [1, 2\npass_ratio: 0.5\n")
    assert (issue.code, issue.row) == ("yaml_syntax", 3)


def test_tabs_get_a_hint() -> None:
    issue = only("scheme: t\nitems:\n\t- key: a\n")
    assert issue.code == "yaml_syntax" and "tabs" in (issue.hint or "")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- 1\n- 2\n", "just text"])
def test_not_a_mapping(text: str) -> None:
    assert only(text).code == "not_mapping"


def test_unknown_top_level_key_suggests_the_closest() -> None:
    issue = only(f"scheme: t\nitme: 1\nitems: [{{key: q, max: 10, {GRADE}}}]\n")
    assert (issue.code, issue.row) == ("unknown_key", 2)
    assert (issue.hint or "").startswith("did you mean 'items'?")
    assert "pass_ratio" in (issue.hint or "")
    assert issue.where() == "s.yaml:2"
    assert str(issue).startswith("s.yaml:2: error: unknown key 'itme'")


@pytest.mark.parametrize(("item", "expected"), [
    ("{key: q, max: 10, lable: x, " + GRADE + "}", ("unknown_key", 3)),
    ("{key: q, max: 10}", ("no_kind", 3)),
    ("{key: q, max: 10, " + GRADE + ", formula: '1'}", ("many_kinds", 3)),
    ("{key: q, " + GRADE + "}", ("missing_key", 3)),
    ("{key: q, max: lots, " + GRADE + "}", ("wrong_type", 3)),
    ("{key: q, max: -10, " + GRADE.replace("10", "0").replace("5", "0") + "}",
     ("negative_max", 3)),
    ("{key: q, max: 10, grade: {A: 10, B: 5, C: 0}}", ("grade_missing", 3)),
    ("{key: q, max: 10, grade: {A: 10, B: 5, C: 0, D: 0, E: 0}}", ("grade_key", 3)),
    ("{key: q, max: 10, grade: {A: 10, 优: 10, B: 5, C: 0, D: 0}}", ("grade_duplicate", 3)),
    ("{key: q, max: 10, grade: {A: 12, B: 5, C: 0, D: 0}}", ("points_range", 3)),
    ("{key: q, max: 10, start: 10, " + GRADE + "}", ("unknown_key", 3)),
    ("{key: q, max: 10, min_sample: {n: 30, fallback: full}, " + GRADE + "}",
     ("min_sample", 3)),
    ("{key: q, max: 10, metric: satisfaction, linear: {from: 0.9, to: 0.9}}",
     ("linear_range", 3)),
    ("{key: q, max: 10, metric: satisfaction, target: 0}", ("target_value", 3)),
    ("{key: q, max: 10, metric: satisfaction, target: goal}", ("target_value", 3)),
    ("{key: q, max: 10, metric: satisfation, target: targets}", ("unknown_metric", 3)),
    ("{key: q, max: 10, per: {late: -1, nap: -2}}", ("unknown_event", 3)),
    ("{key: q, max: 10, start: 12, per: {late: -1}}", ("points_range", 3)),
    ("{key: q, max: 10, metric: satisfaction, tiers: [{min: 0.9, points: 10}, {points: 0}],"
     " min_sample: {n: 30, fallback: sometimes}}", ("bad_value", 3)),
])
def test_item_errors(item: str, expected: tuple[str, int]) -> None:
    issue = only(f"scheme: t\nitems:\n  - {item}\n")
    assert (issue.code, issue.row) == expected


def test_unknown_metric_hint_lists_valid_keys() -> None:
    issue = only("scheme: t\nitems:\n  - {key: q, max: 10, metric: refund_rat, "
                 "tiers: [{points: 0}]}\n")
    assert issue.code == "unknown_metric"
    assert (issue.hint or "").startswith("did you mean 'refund_rate'? valid: complaints, ")


def tiers(*rows: str, metric: str = "refund_rate") -> str:
    lines = "".join(f"      - {row}\n" for row in rows)
    return f"scheme: t\nitems:\n  - key: q\n    max: 30\n    metric: {metric}\n" \
           f"    tiers:\n{lines}"


@pytest.mark.parametrize(("text", "expected"), [
    (tiers("{max: 0.08, points: 30}", "{max: 0.05, points: 20}", "{points: 0}"),
     [("tier_order", 8)]),
    (tiers("{max: 0.05, points: 30}", "{max: 0.05, points: 20}", "{points: 0}"),
     [("tier_overlap", 8)]),
    (tiers("{max: 0.05, points: 30}", "{points: 0}", "{max: 0.08, points: 0}"),
     [("tier_overlap", 9)]),
    (tiers("{max: 0.05, points: 30}", "{max: 0.11, points: 10}"), [("tier_gap", 8)]),
    (tiers("{max: 0.05, points: 35}", "{points: 0}"), [("points_range", 7)]),
    (tiers("{max: 0.05, points: 30}", "{min: 0.5, points: 20}", "{points: 0}"),
     [("tier_mixed", 8)]),
    (tiers("{max: 0.05, min: 0.01, points: 30}", "{points: 0}"), [("tier_mixed", 7)]),
    (tiers("{min: 0.95, points: 30}", "{min: 0.9, points: 20}", metric="satisfaction"),
     [("tier_gap", 8)]),
    (tiers("{min: 0.9, points: 20}", "{min: 0.95, points: 30}", "{points: 0}",
           metric="satisfaction"), [("tier_order", 8), ("tier_points_order", 3)]),
])
def test_tier_errors(text: str, expected: list[tuple[str, int]]) -> None:
    assert sorted(codes(text)) == sorted(expected)
    assert load(text)[0] is None


def test_tiers_covering_the_range_need_no_catch_all() -> None:
    assert codes(tiers("{max: 0.05, points: 30}", "{max: 1, points: 0}")) == []
    assert codes(tiers("{min: 0.9, points: 30}", "{min: 0, points: 0}",
                       metric="satisfaction")) == []


def test_direction_mismatch_is_a_warning() -> None:
    scheme, issues = load(tiers("{max: 0.9, points: 0}", "{points: 30}", metric="satisfaction"))
    assert [(i.level, i.code, i.row) for i in issues] == [
        ("warning", "direction_mismatch", 3), ("warning", "tier_points_order", 3)]
    assert scheme is not None


def test_formula_errors_give_line_and_column() -> None:
    issue = only("scheme: t\nitems:\n  - key: q\n    max: 10\n"
                 "    formula: \"min(10, satisfaction * 10 +)\"\n")
    assert (issue.code, issue.row, issue.column) == ("formula_syntax", 5, 28)
    issue = only("scheme: t\nitems:\n  - {key: q, max: 10, formula: \"satisfation * 10\"}\n")
    assert (issue.code, issue.row, issue.column) == ("formula_name", 3, 1)
    assert (issue.hint or "").startswith("did you mean 'satisfaction'? valid names: complaints,")
    issue = only("scheme: t\nitems:\n  - {key: q, max: 10, formula: \"satisfaction > 1\"}\n")
    assert issue.code == "formula_type"


def veto(entry: str) -> str:
    return f"scheme: t\nitems: [{{key: q, max: 10, {GRADE}}}]\nveto:\n  - {entry}\n"


@pytest.mark.parametrize(("entry", "expected"), [
    ("complains >= 3", ("formula_name", 4)),
    ("{when: 'complaints >=', effect: bonus}", ("formula_syntax", 4)),
    ("complaints + 1", ("formula_type", 4)),
    ("{when: 'complaints > 2', effect: pay}", ("bad_value", 4)),
    ("{effect: bonus}", ("missing_key", 4)),
])
def test_veto_errors(entry: str, expected: tuple[str, int]) -> None:
    issue = only(veto(entry))
    assert (issue.code, issue.row) == expected


def test_veto_may_use_metrics_events_and_statuses() -> None:
    assert codes(veto("complaints >= 3 or complaint >= 2 or absent > 3")) == []


@pytest.mark.parametrize(("line", "expected"), [
    ("pass_ratio: 1.5", "pass_ratio"), ("pass_ratio: -0.1", "pass_ratio"),
    ("pass_ratio: high", "wrong_type"),
])
def test_pass_ratio(line: str, expected: str) -> None:
    issue = only(f"scheme: t\n{line}\nitems: [{{key: q, max: 10, {GRADE}}}]\n")
    assert (issue.code, issue.row) == (expected, 2)


def test_duplicated_item_and_yaml_key() -> None:
    issue = only(f"scheme: t\nitems:\n  - {{key: q, max: 10, {GRADE}}}\n"
                 f"  - {{key: q, max: 10, {GRADE}}}\n")
    assert (issue.code, issue.row, issue.hint) == ("duplicate_item", 4,
                                                    "the first one is at line 3")
    issue = only(f"scheme: t\nitems:\n  - key: q\n    max: 10\n    max: 20\n    {GRADE}\n")
    assert (issue.code, issue.row) == ("duplicate_key", 5)


def adjustments(entry: str) -> str:
    return f"scheme: t\nitems: [{{key: q, max: 10, {GRADE}}}]\nadjustments:\n  - {entry}\n"


@pytest.mark.parametrize(("entry", "expected"), [
    ("{event: praise, points: {min: 5, max: 2}}", ("adjustment_range", 4)),
    ("{event: prase, points: 2}", ("unknown_event", 4)),
    ("{event: praise, points: {min: 1}}", ("missing_key", 4)),
    ("{event: praise, points: 2, why: x}", ("unknown_key", 4)),
])
def test_adjustment_errors(entry: str, expected: tuple[str, int]) -> None:
    issue = only(adjustments(entry))
    assert (issue.code, issue.row) == expected


def test_event_kinds_come_from_the_caller() -> None:
    assert codes(adjustments("{event: bonus_day, points: 2}"),
                 event_kinds=["bonus_day"]) == []


def pay(body: str) -> str:
    return f"scheme: t\nitems: [{{key: q, max: 10, {GRADE}}}]\npay:\n{body}"


@pytest.mark.parametrize(("body", "expected"), [
    ("  awards:\n    - {kind: rank, metric: salez, top: 1, amount: 800}\n",
     ("unknown_metric", 5)),
    ("  awards:\n    - {kind: rank, metric: rated_sessions, top: 1, amount: 800}\n",
     ("award_direction", 5)),
    ("  awards:\n    - {kind: rank, metric: sales, top: 0, amount: 800}\n", ("bad_value", 5)),
    ("  awards:\n    - {kind: lottery, metric: sales, amount: 800}\n", ("bad_value", 5)),
    ("  awards:\n    - {kind: target, metric: sales, amount: 800}\n", ("missing_key", 5)),
    ("  commission: {rate: 2, on: sales}\n", ("bad_value", 4)),
    ("  commission: {rate: 0.02, on: sale}\n", ("unknown_metric", 4)),
    ("  commission: {on: sales}\n", ("no_kind", 4)),
    ("  commission:\n    tiers: [{upto: 100, rate: 0.01}, {upto: 200, rate: 0.02}]\n",
     ("tier_gap", 5)),
    ("  commission:\n    tiers:\n      - {upto: 200, rate: 0.01}\n      - {upto: 100, rate: 0.02}"
     "\n      - {rate: 0.03}\n", ("tier_order", 7)),
    ("  kpi_bonus: {pool: 1000, formula: 'pool * score / maxscore'}\n", ("formula_name", 4)),
    ("  kpi_bonus: {formula: 'pool'}\n", ("missing_key", 4)),
    ("  base: {by_level: {junior: lots}}\n", ("wrong_type", 4)),
])
def test_pay_and_award_errors(body: str, expected: tuple[str, int]) -> None:
    issue = only(pay(body))
    assert (issue.code, issue.row) == expected


def test_commission_on_a_non_money_metric_warns() -> None:
    scheme, issues = load(pay("  commission: {rate: 0.01, on: rated_sessions}\n"))
    assert [(i.level, i.code) for i in issues] == [("warning", "unit_mismatch")]
    assert scheme is not None


def test_awards_in_two_places() -> None:
    award = "[{kind: target, metric: sales, reach: 1000, amount: 1}]"
    issue = only(pay(f"  awards: {award}\n") + f"awards: {award}\n")
    assert (issue.code, issue.row) == ("duplicate_key", 5)


@pytest.mark.parametrize(("body", "expected"), [
    ("  salez: {fixed: 3}\n", ("unknown_metric", 4)),
    ("  sales: {fixed: 3, history: {periods: 3}}\n", ("many_kinds", 4)),
    ("  sales: {}\n", ("no_kind", 4)),
    ("  sales: {percentile: 120, periods: 3}\n", ("bad_value", 4)),
    ("  sales: {history: {periods: 0}}\n", ("bad_value", 4)),
    ("  sales: {history: {uplift: 0.1}}\n", ("missing_key", 4)),
])
def test_target_errors(body: str, expected: tuple[str, int]) -> None:
    issue = only(f"scheme: t\nitems: [{{key: q, max: 10, {GRADE}}}]\ntargets:\n{body}")
    assert (issue.code, issue.row) == expected


def test_applies_to_nobody_with_a_roster() -> None:
    text = f"scheme: t\napplies_to: {{role: aftersale, team: A}}\n" \
           f"items: [{{key: q, max: 10, {GRADE}}}]\n"
    issue = only(text, roster=ROSTER)
    assert (issue.code, issue.row) == ("applies_to_nobody", 2)
    assert issue.hint == "the roster has roles: aftersale, presale; teams: A, B; " \
                         "levels: junior, senior"
    assert codes(text) == []  # without a roster nothing can be checked


def test_roster_agents_and_levels() -> None:
    scheme, issues = load(f"scheme: t\napplies_to: {{agents: ['001', '009']}}\n"
                          f"items: [{{key: q, max: 10, {GRADE}}}]\n", roster=ROSTER)
    assert [(i.level, i.code, i.row) for i in issues] == [("warning", "unknown_agent", 2)]
    assert scheme.applies_to.agents == ("001", "009")
    issue = only(pay("  base: {by_level: {senior: 2500}}\n"), roster=ROSTER)
    assert (issue.code, issue.row) == ("missing_level", 4)


def test_every_problem_is_reported_at_once() -> None:
    text = """\
        scheme: t
        pass_ratio: 7
        items:
          - {key: a, max: 10, grade: {A: 10, B: 5}}
          - {key: b, max: 10, formula: "refund_rat * 10"}
          - {key: c, max: 10}
          - {key: d, max: 30, metric: refund_rate, tiers: [{max: 0.1, points: 30}]}
        adjustments:
          - {event: praise, points: {min: 3, max: 1}}
        pay:
          awards: [{kind: rank, metric: nothing, top: 1, amount: 5}]
        """
    scheme, issues = load(text)
    assert scheme is None
    assert [(i.code, i.row) for i in issues] == [
        ("pass_ratio", 2), ("grade_missing", 4), ("formula_name", 5), ("no_kind", 6),
        ("tier_gap", 7), ("adjustment_range", 9), ("unknown_metric", 11)]


def test_load_scheme_file(tmp_path: Path) -> None:
    path = tmp_path / "aftersale.yaml"
    path.write_text(AFTERSALE, encoding="utf-8")
    scheme, issues = load_scheme_file(path, metrics=METRICS)
    assert issues == [] and scheme is not None and scheme.source == str(path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("scheme: t\nitems: 3\n", encoding="utf-8")
    scheme, issues = load_scheme_file(bad)
    assert scheme is None
    assert [i.where() for i in issues] == [f"{bad}:2"]
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("scheme: 售后\n".encode("gbk"))
    assert [i.code for i in load_scheme_file(gbk)[1]] == ["encoding"]
    assert [i.code for i in load_scheme_file(tmp_path / "none.yaml")[1]] == ["unreadable"]


def test_yaml_anchors_and_merge_keys() -> None:
    scheme, issues = load("""\
        scheme: t
        items:
          - &quality {key: quality, max: 20, grade: &abcd {A: 20, B: 15, C: 10, D: 0}}
          - {<<: *quality, key: attitude}
          - {key: speed, max: 20, grade: *abcd}
        """)
    assert issues == []
    assert [i.key for i in scheme.items] == ["quality", "attitude", "speed"]
    assert scheme.items[1].line == 4 and dict(scheme.items[2].grades)["B"] == 15


@pytest.mark.parametrize(("text", "line"), [
    ("a: &x [*x]\n", 1),                                  # an alias inside itself
    ("scheme: t\nitems: " + "[" * 60 + "]" * 60 + "\n", 2),  # absurd nesting
    ("[" * 5000 + "]" * 5000, None),                      # deeper than the YAML parser goes
])
def test_hostile_yaml_is_an_issue_not_a_crash(text: str, line: int | None) -> None:
    scheme, issues = load(text)
    assert scheme is None
    assert ("yaml_syntax", line) in [(i.code, i.row) for i in issues]


def test_alias_bomb_stays_small() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=False):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")  # 9**9 leaves
    _, issues = load("\n".join(lines) + "\n")
    assert {i.code for i in issues} == {"unknown_key", "missing_key"}


def test_scheme_package_imports_nothing_else_from_cskpi() -> None:
    """The scheme package sits at the bottom: it may use cskpi.errors (the one Issue type
    and coded messages), a leaf that imports nothing from cskpi when it is imported."""
    import cskpi.errors
    import cskpi.scheme

    package = Path(cskpi.scheme.__file__).parent
    for source in package.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        imports = re.findall(r"^\s*(?:from|import)\s+((?:cskpi\b|\.\.)[\w.]*)", text, re.M)
        assert set(imports) <= {"..errors", "cskpi.errors"}, (source.name, imports)
    errors = Path(cskpi.errors.__file__).read_text(encoding="utf-8")
    top_level = re.findall(r"^(?:from|import)\s+(\S+)", errors, re.M)
    assert not [m for m in top_level if m.startswith((".", "cskpi"))], top_level
