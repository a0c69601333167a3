"""Golden scoring: the spec's worked example, every item kind, boundaries, awards, veto."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from cskpi.metrics.catalog import CATALOG
from cskpi.scheme import load_scheme
from cskpi.scoring import presets
from cskpi.scoring.score import ScoringInput, commission, score_period
from tests.helpers.schemes import AFTERSALE

UNITS = {k: m.unit for k, m in CATALOG.items()}
DIRECTIONS = {k: m.direction for k, m in CATALOG.items()}


def scheme_of(text: str):
    scheme, issues = load_scheme(text, "test.yaml", metrics=CATALOG)
    assert scheme is not None, [str(i) for i in issues]
    return scheme


def inp(metrics, roster=None, **kw) -> ScoringInput:
    roster = roster or [{"agent_id": a, "name": a, "role": "aftersale", "team": "T",
                         "level": "senior"} for a in metrics]
    return ScoringInput(period="2026-10", roster=roster, metrics=metrics,
                        metric_units=UNITS, metric_directions=DIRECTIONS, **kw)


def grades(agent, **by_item):
    return [{"agent_id": agent, "period": "2026-10", "item": k, "grade": g, "reviewer": "L"}
            for k, g in by_item.items()]


def test_chinese_grades_count_like_letters():
    scheme = scheme_of(presets.preset_text("aftersale-4crown"))
    result = score_period(scheme, inp({"A1": {}}, grades=grades(
        "A1", quality="优", disputes="良", cooperation="中", execution="差")))
    points = {i.key: i.points for i in result.cards[0].items if i.kind == "grade"}
    assert points == {"quality": 20, "disputes": 15, "cooperation": 10, "execution": 0}


def test_the_spec_worked_example():
    """Refund rate 6 %, grades A/B/B/A, one late day, one praise: 107 of 130.

    quality A 20 + refund 6 % (5 % < x <= 8 %) 20 + disputes B 15 + cooperation B 15
    + execution A 20 + attendance 20 - 5 (one late day) = 15, + praise 2 = 107.
    107 / 130 = 82.3 % >= 70 %: passes.  Bonus 1000 x 107 / 130 = 823.0769… -> 823.08;
    senior base 2500 + 823.0769… = 3323.0769… -> 3323.08.
    """
    scheme = scheme_of(presets.preset_text("aftersale-4crown"))
    metrics = {"A1": {"refund_rate": 0.06, "refund_rate_num": 6, "refund_rate_den": 100,
                      "late": 1, "leave": 0, "absent": 0}}
    result = score_period(scheme, inp(
        metrics, grades=grades("A1", quality="A", disputes="B", cooperation="B",
                               execution="A"),
        events=[{"agent_id": "A1", "kind": "praise", "points": None, "note": ""}]))
    card = result.cards[0]
    assert card.score == D(107) and card.max_score == D(130)
    assert card.passed and f"{card.ratio:.3f}" == "0.823"
    pay = card.pay.to_dict()
    assert pay["kpi_bonus"] == D("823.08")
    assert pay["base"] == D("2500.00") and pay["total"] == D("3323.08")
    refund = next(i for i in card.items if i.key == "refund_rate")
    assert refund.rule == "6% ≤ 8% → 20" and (refund.num, refund.den) == (6, 100)


@pytest.mark.parametrize(("num", "den", "points"), [
    (500, 10000, 30),   # 5.00 % -> first tier (<= 5 %)
    (501, 10000, 20),   # 5.01 %
    (800, 10000, 20),   # 8 %, upper bound inclusive
    (1100, 10000, 10),  # 11 %
    (1101, 10000, 0),   # 11.01 %
])
def test_refund_tier_boundaries(num, den, points):
    scheme = scheme_of(presets.preset_text("aftersale-4crown"))
    metrics = {"A1": {"refund_rate": num / den, "refund_rate_num": num, "refund_rate_den": den}}
    result = score_period(scheme, inp(metrics, grades=grades(
        "A1", quality="A", disputes="A", cooperation="A", execution="A")))
    assert next(i for i in result.cards[0].items if i.key == "refund_rate").points == points


def test_missing_grade_is_an_error_naming_agent_and_item():
    scheme = scheme_of(presets.preset_text("aftersale-4crown"))
    result = score_period(scheme, inp({"A7": {}}, grades=grades("A7", quality="A")))
    missing = {p.message for p in result.problems if p.code == "missing_grade"}
    assert missing == {f"no grade for agent A7, item '{k}' ({label}), period 2026-10"
                       for k, label in (("disputes", "投诉维权纠纷处理"),
                                        ("cooperation", "配合度"), ("execution", "执行力"))}


def test_requires_pass_and_ranged_adjustments():
    scheme = scheme_of(presets.preset_text("aftersale-4crown"))
    metrics = {"A1": {"refund_rate": 0.2, "refund_rate_num": 20, "refund_rate_den": 100,
                      "late": 0, "leave": 0, "absent": 3}}
    result = score_period(scheme, inp(
        metrics, grades=grades("A1", quality="C", disputes="C", cooperation="C", execution="C"),
        events=[{"agent_id": "A1", "kind": "complaint", "points": -12, "note": ""},
                {"agent_id": "A1", "kind": "complaint", "points": -30, "note": "too low"}]))
    # a complaint of -30 is outside -20..-5: the manager must correct it
    assert [p.code for p in result.problems] == ["adjustment_points"]
    card = result.cards[0]
    # 10 x 4 grades + refund 0 + attendance max(0, 20 - 30) = 0 -> 40, complaint -12 -> 28
    assert card.score == 28 and not card.passed
    assert card.pay.kpi_bonus == 0 and card.pay.note_texts == ["no KPI bonus: below the pass line"]


ITEMS = """
scheme: kinds
pass_ratio: 0.5
items:
  - {key: conv, max: 40, metric: conversion_rate, tiers: [{min: 0.4, points: 40}, {min: 0.3, points: 20}, {points: 0}]}
  - {key: resp, max: 20, metric: response_s, linear: {from: 90, to: 20}}
  - {key: sales, max: 20, metric: sales, target: targets}
  - {key: fixed, max: 10, metric: units, target: 50}
  - {key: formula, max: 10, formula: "min(10, sales / 1000)"}
  - key: sat
    max: 20
    metric: satisfaction
    tiers: [{min: 0.9, points: 20}, {points: 0}]
    min_sample: {n: 30, fallback: neutral}
veto:
  - {when: "complaints >= 3", effect: score, reason: 三次投诉}
pay:
  base: 3000
  kpi_bonus: {pool: 1000, formula: "pool * score / max_score"}
  commission: {tiers: [{upto: 10000, rate: 0.01}, {rate: 0.02}], marginal: true, on: sales}
  awards:
    - {kind: rank, metric: conversion_rate, top: 1, amount: 800, ties: split}
    - {kind: rank, metric: response_s, top: 1, amount: 500, ties: repeat}
    - {kind: target, metric: sales, reach: target, amount: 1000}
"""


def test_every_item_kind_pay_and_awards():
    scheme = scheme_of(ITEMS)
    base = {"response_s": 55.0, "response_s_num": 55.0, "response_s_den": 1,
            "units": 25, "complaints": 0, "satisfaction": 0.95, "satisfaction_num": 19,
            "satisfaction_den": 20}
    metrics = {
        "A1": {**base, "conversion_rate": 0.45, "conversion_rate_num": 9,
               "conversion_rate_den": 20, "sales": D("15000.00")},
        "A2": {**base, "conversion_rate": 0.45, "conversion_rate_num": 9,
               "conversion_rate_den": 20, "sales": D("5000.00"), "complaints": 3},
        "A3": {**base, "conversion_rate": 0.35, "conversion_rate_num": 7,
               "conversion_rate_den": 20, "sales": D("8000.00"), "response_s": 20.0,
               "response_s_num": 20.0},
    }
    roster = [{"agent_id": a, "name": a, "role": "presale", "team": "T", "level": "x"}
              for a in metrics]
    targets = {(a, "sales"): D("10000") for a in metrics}
    result = score_period(scheme, inp(metrics, roster, targets=targets))
    cards = {c.agent_id: c for c in result.cards}
    a1 = {i.key: i.points for i in cards["A1"].items}
    # conv 45 % >= 40 % -> 40; resp 55 s: (55 - 90) / (20 - 90) = 0.5 -> 10;
    # sales 15000 / 10000 capped at 1 -> 20; units 25 / 50 -> 5; formula min(10, 15) = 10;
    # satisfaction: 20 rated < 30 -> neutral 10
    assert a1 == {"conv": 40, "resp": 10, "sales": 20, "fixed": 5, "formula": 10, "sat": 10}
    assert cards["A1"].score == 95 and cards["A1"].max_score == 120
    assert "sample 20 < 30" in next(i.rule for i in cards["A1"].items if i.key == "sat")
    # A2: 3 complaints -> vetoed, score 0, no bonus
    assert cards["A2"].vetoed and cards["A2"].score == 0 and cards["A2"].pay.kpi_bonus == 0
    # commission, marginal tiers: A1 10000 x 1 % + 5000 x 2 % = 200; A3 8000 x 1 % = 80
    assert cards["A1"].pay.commission == D("200") and cards["A3"].pay.commission == D("80")
    # rank by conversion: A1 and A2 both at 45 %, but A2's veto (effect: score) cancels
    # everything, awards too: A2 is not ranked, A1 alone is first -> 800; A3 nothing
    conv = {c.agent_id: [a.amount for a in c.pay.awards if a.metric == "conversion_rate"]
            for c in result.cards}
    assert conv == {"A1": [D(800)], "A2": [], "A3": []}
    assert cards["A2"].pay.commission == 0  # 5000 x 1 %, cancelled by the veto
    # rank by response (lower is better): A3 20 s alone first -> 500
    resp = {c.agent_id: [a.amount for a in c.pay.awards if a.metric == "response_s"]
            for c in result.cards}
    assert resp == {"A1": [], "A2": [], "A3": [D(500)]}
    # target award: sales >= 10000 target: A1 only
    assert [a.amount for a in cards["A1"].pay.awards if a.kind == "target"] == [D(1000)]
    # A1 pay: 3000 + 1000 x 95/120 (791.666…) + 200 + 800 + 1000 = 5791.666… -> 5791.67
    assert cards["A1"].pay.total == D("5791.67")


def test_tied_rank_awards_repeat_and_rank_skips():
    scheme = scheme_of("""
scheme: ranks
items: [{key: u, max: 1, metric: units, linear: {from: 0, to: 1}}]
pay:
  awards: [{kind: rank, metric: units, top: 2, amount: 100, ties: repeat,
            min_sample: {metric: sessions, n: 10}}]
""")
    metrics = {"A": {"units": 9, "sessions": 50}, "B": {"units": 9, "sessions": 50},
               "C": {"units": 8, "sessions": 50}, "D": {"units": 99, "sessions": 5}}
    roster = [{"agent_id": a, "role": "presale"} for a in metrics]
    result = score_period(scheme, inp(metrics, roster))
    got = {c.agent_id: [a.amount for a in c.pay.awards] for c in result.cards}
    # D has too few sessions and is not ranked; A and B share rank 1 (repeat: 100 each);
    # C would be rank 3 (ranks 1, 1, 3), outside the top 2
    assert got == {"A": [D(100)], "B": [D(100)], "C": [], "D": []}


@pytest.mark.parametrize(("amount", "expected"), [
    (D(0), D(0)), (D(10000), D(100)), (D(10001), D("100.02")), (D(20000), D(300))])
def test_commission_marginal(amount, expected):
    from cskpi.scheme import Commission, CommissionTier

    c = Commission(tiers=(CommissionTier(D("0.01"), D(10000)), CommissionTier(D("0.02"))),
                   marginal=True)
    assert commission(c, amount) == expected


def test_commission_flat_bracket():
    from cskpi.scheme import Commission, CommissionTier

    c = Commission(tiers=(CommissionTier(D("0.01"), D(10000)), CommissionTier(D("0.02"))))
    # not marginal: the whole amount at the bracket's rate
    assert commission(c, D(20000)) == D(400) and commission(c, D(10000)) == D(100)


def test_scheme_applies_to_reports_the_others():
    scheme = scheme_of(presets.preset_text("presale-standard"))
    roster = [{"agent_id": "P", "role": "presale", "level": "junior", "team": "T"},
              {"agent_id": "Q", "role": "aftersale", "level": "junior", "team": "T"}]
    result = score_period(scheme, inp({"P": {}, "Q": {}}, roster))
    assert [c.agent_id for c in result.cards] == ["P"] and result.unmatched == ["Q"]


def test_the_shipped_preset_is_the_spec_scheme_verbatim():
    text = presets.preset_text("aftersale-4crown")
    body = "".join(line for line in text.splitlines(keepends=True)
                   if not line.startswith("# "))
    assert body == AFTERSALE


def test_min_sample_team_fallback_and_full():
    scheme = scheme_of("""
scheme: samples
items:
  - {key: sat, max: 20, metric: satisfaction, tiers: [{min: 0.9, points: 20}, {min: 0.8, points: 10}, {points: 0}],
     min_sample: {n: 30, fallback: team}}
  - {key: sat_full, max: 10, metric: satisfaction, tiers: [{min: 0.9, points: 10}, {points: 0}],
     min_sample: {n: 30, fallback: full, metric: rated_sessions}}
""")
    metrics = {"A1": {"satisfaction": 0.5, "satisfaction_num": 5, "satisfaction_den": 10,
                      "rated_sessions": 10}}
    team = {"T": {"satisfaction": 0.85, "satisfaction_num": 85, "satisfaction_den": 100}}
    card = score_period(scheme, inp(metrics, team_metrics=team)).cards[0]
    sat, full = card.items
    # 10 rated < 30: the team's 85 % scores instead -> second tier, 10 points
    assert sat.points == 10 and sat.rule.startswith("sample 10 < 30: team value 85% ≥ 80%")
    assert full.points == 10 and full.rule == "sample 10 < 30: full points"


def test_percentile_target_from_history():
    from cskpi.scheme import TargetRule
    from cskpi.scoring.run import _from_rule

    rule = TargetRule(metric="sales", method="percentile", periods=4, percentile=D(75))
    # 75th percentile of 100, 200, 300, 400: position 0.75 x 3 = 2.25 -> 300 + 0.25 x 100
    assert _from_rule(rule, [D(400), D(100), D(300), D(200)]) == D(325)
    history = TargetRule(metric="sales", method="history", periods=2, uplift=D("0.1"))
    assert _from_rule(history, [D(100), D(300)]) == D("220.0")  # mean 200 x 1.1
    assert _from_rule(history, []) is None  # no history: no invented target


def test_veto_on_event_counts_removes_only_the_bonus():
    scheme = scheme_of("""
scheme: veto-events
items: [{key: u, max: 10, metric: units, linear: {from: 0, to: 10}}]
veto: [{when: "complaint >= 2", effect: bonus, reason: 两次投诉}]
pay:
  base: 100
  kpi_bonus: {pool: 1000, formula: "pool * score / max_score", requires_pass: false}
""")
    events = [{"agent_id": "A1", "kind": "complaint", "points": -5}] * 2 + [
        {"agent_id": "A2", "kind": "complaint", "points": -5}]
    roster = [{"agent_id": a, "role": "presale"} for a in ("A1", "A2")]
    result = score_period(scheme, inp({"A1": {"units": 10}, "A2": {"units": 10}}, roster,
                                      events=events))
    a1, a2 = result.cards
    # A1: two complaints -> vetoed, keeps its 10 points but loses the 1000 bonus
    assert a1.vetoed and a1.score == 10 and a1.pay.kpi_bonus == 0
    assert a1.veto_reasons == ["complaint >= 2: 两次投诉 (cancels KPI bonus)"]
    # A2: one complaint -> bonus 1000 x 10/10
    assert not a2.vetoed and a2.pay.kpi_bonus == 1000
