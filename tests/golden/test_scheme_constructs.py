"""Golden tests of the scheme constructs of #19, each worked by hand (arithmetic in the
docstrings and comments), and of the defects it lists (each failed on the old code:
the scheme did not load, or the figures were the ones named in the comments)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from cskpi.locale import Translator
from cskpi.metrics.catalog import CATALOG
from cskpi.scheme import load_scheme
from cskpi.scoring.score import ScoringInput, cents, score_period, split_cents
from cskpi.scoring.texts import rule_text, veto_text

UNITS = {k: m.unit for k, m in CATALOG.items()}
DIRECTIONS = {k: m.direction for k, m in CATALOG.items()}
EN, ZH = Translator("en"), Translator("zh")


def scheme_of(text: str) -> Any:
    scheme, issues = load_scheme(text, "test.yaml", metrics=CATALOG)
    assert scheme is not None, [str(i) for i in issues]
    assert [i for i in issues if i.is_error] == []
    return scheme


def roster(*agents: str, team: str = "A", level: str = "senior") -> list[dict[str, Any]]:
    return [{"agent_id": a, "name": a, "role": "presale", "team": team, "level": level}
            for a in agents]


def run(scheme: Any, metrics: dict[str, dict[str, Any]], agents: Any = None,
        **kw: Any) -> Any:
    return score_period(scheme, ScoringInput(
        "2026-10", agents or roster(*metrics), metrics, metric_units=UNITS,
        metric_directions=DIRECTIONS, **kw))


def rate(num: int, den: int, key: str) -> dict[str, Any]:
    return {key: num / den, f"{key}_num": num, f"{key}_den": den}


# --- weights, tier bounds from targets, lower-is-better targets, levels ------------------

WEIGHTED = """
scheme: weighted
items:
  - {key: conv, label: 询单转化率, metric: conversion_rate, weight: 0.35,
     tiers: [{min: "target('conversion_rate') * 1.1", points: 100}, {min: "target('conversion_rate')", points: 80}, {points: 0}]}
  - {key: resp, label: 平均响应, metric: response_s, max: 20, target: 30}
levels:
  - {name: 金牌, min_ratio: 0.90, factor: 1.0}
  - {name: 银牌, min_ratio: 0.80, factor: 0.8}
  - {name: 铜牌, min_ratio: 0.60, factor: 0.6}
  - {name: 待改进, factor: 0}
pay:
  kpi_bonus: {pool: 1000, formula: "pool * level_factor", requires_pass: false}
"""


def test_weights_target_bounds_lower_targets_and_levels():
    """Max: conversion 100 points x 0.35 = 35, response 20: 55.

    G: conversion 45 % >= 40 % x 1.1 = 44 % -> 100 x 0.35 = 35; response 25 s <= 30 s ->
       20; 55 / 55 = 100 % -> 金牌, bonus 1000 x 1.0 = 1000.
    S: 41 % >= 40 % -> 80 x 0.35 = 28; 36 s: 20 x 30 / 36 = 16.666… ; 44.666… / 55 =
       81.2 % -> 银牌, bonus 800.
    B: 30 % -> 0; 30 s -> 20; 20 / 55 = 36.4 % -> 待改进, bonus 0.
    """
    scheme = scheme_of(WEIGHTED)
    assert scheme.max_score == 55 and scheme.items[0].max == 35
    metrics = {"G": {**rate(45, 100, "conversion_rate"), "response_s": 25},
               "S": {**rate(41, 100, "conversion_rate"), "response_s": 36},
               "B": {**rate(30, 100, "conversion_rate"), "response_s": 30}}
    targets = {(a, "conversion_rate"): D("0.40") for a in metrics}
    cards = {c.agent_id: c for c in run(scheme, metrics, targets=targets).cards}
    assert [(c.score, c.level, c.pay.kpi_bonus) for c in cards.values()] == [
        (D(20), "待改进", 0), (D(55), "金牌", 1000),
        (D(28) + D(20) * 30 / 36, "银牌", 800)]
    conv = cards["G"].items[0]
    assert rule_text(conv, EN) == "45% ≥ 44% → 100 × 0.35 = 35"
    assert rule_text(conv, ZH) == "45% ≥ 44% → 100 × 0.35 = 35"
    resp = cards["S"].items[1]
    assert rule_text(resp, EN) == "target 0:30 / 0:36 = 83.33% → 16.67"
    assert rule_text(resp, ZH) == "目标 30秒 / 36秒 = 83.33% → 16.67"
    assert cards["S"].to_dict()["level"] == "银牌"


def test_a_lower_is_better_target_no_longer_pays_for_doing_worse():
    """Response 73.7 s against a 71 s target, 10 points: 10 x 71 / 73.7 = 9.633…
    (the old code gave 10/10, and check warned only)."""
    text = "scheme: t\nitems: [{key: resp, max: 10, metric: response_s, target: 71}]\n"
    scheme, issues = load_scheme(text, "t.yaml", metrics=CATALOG)
    assert issues == []
    card = run(scheme, {"A": {"response_s": D("73.7")}}).cards[0]
    assert card.items[0].points == D(10) * 71 / D("73.7") < 10
    faster = run(scheme, {"A": {"response_s": D(50)}}).cards[0]
    assert faster.items[0].points == 10


# --- the KPI bonus cap -------------------------------------------------------------------

CAPPED = """
scheme: capped
items: [{key: q, max: 130, grade: {A: 130, B: 100, C: 50, D: 0}}]
adjustments: [{event: praise, points: 10}]
pay:
  kpi_bonus: {pool: 1000, formula: "pool * score / max_score"%s}
"""


@pytest.mark.parametrize(("cap", "bonus"), [
    ("", D(1000)),                                  # capped at the pool
    (", cap: none", D(1000) * 160 / 130),           # 1230.769… as before
    (", cap: 1100", D(1100)),
])
def test_the_kpi_bonus_is_capped_at_its_pool(cap, bonus):
    """Grade A 130 + three praises x 10 = 160 of 130: 1000 x 160 / 130 = 1230.77 (the old
    code paid that from a pool of 1000)."""
    scheme = scheme_of(CAPPED % cap)
    card = run(scheme, {"A": {}}, grades=[{"agent_id": "A", "period": "2026-10", "item": "q",
                                           "grade": "A"}],
               events=[{"agent_id": "A", "kind": "praise", "points": None}] * 3).cards[0]
    assert card.score == 160 and cents(card.pay.kpi_bonus) == cents(bonus)
    if cap == "":
        assert card.pay.to_dict()["kpi_bonus_rule"]["text"] == \
            "pool * score / max_score = ¥1,230.77, capped at ¥1,000.00"


# --- vetoes cancel what they name --------------------------------------------------------

VETO = """
scheme: veto
items: [{key: conv, max: 10, metric: conversion_rate, tiers: [{min: 0.3, points: 10}, {points: 0}]}]
veto:
  - {when: "complaints >= 3", cancels: [kpi_bonus, commission, awards], reason: 三次投诉}
pay:
  kpi_bonus: {pool: 1000, formula: "pool * score / max_score", requires_pass: false}
  commission: {rate: 0.02, on: sales}
  awards: [{kind: rank, metric: sales, top: 1, amount: 800}]
"""


def test_a_veto_cancels_commission_and_awards_too():
    """V had 3 complaints: no bonus, no commission (was 2 % of 50,000 = 1,000) and no rank
    award (was first by sales, 800): K, second by sales, is ranked first.  V keeps its
    score (the veto does not name it)."""
    scheme = scheme_of(VETO)
    metrics = {"V": {**rate(40, 100, "conversion_rate"), "sales": 50000, "complaints": 3},
               "K": {**rate(40, 100, "conversion_rate"), "sales": 30000, "complaints": 0}}
    cards = {c.agent_id: c for c in run(scheme, metrics).cards}
    v, k = cards["V"], cards["K"]
    assert v.vetoed and v.score == 10 and v.passed
    assert (v.pay.kpi_bonus, v.pay.commission, v.pay.awards) == (0, 0, [])
    assert v.pay.total == 0
    assert [a.amount for a in k.pay.awards] == [800] and k.pay.commission == 600
    assert veto_text(v.vetoes[0], EN) == \
        "complaints >= 3: 三次投诉 (cancels KPI bonus, commission, awards)"
    assert veto_text(v.vetoes[0], ZH) == "complaints >= 3：三次投诉（取消：绩效奖金、提成、奖项）"
    assert v.to_dict()["veto"][0]["cancels"] == ["kpi_bonus", "commission", "awards"]


# --- events: kinds of one's own, money per event, the events' own points -----------------

EVENTS = """
scheme: events
events:
  - {kind: refund_saved, label: 起死回生, money: 5}
  - {kind: bad_review, label: 差评扣款, money: -50}
  - {kind: upsell, label: 关联销售, points: 1}
items: [{key: q, max: 10, start: 10, per: {bad_review: -2}, min: 0}]
adjustments: [{event: praise, points: 2}]
"""


def test_event_kinds_of_ones_own_money_per_event_and_own_points():
    """E: 3 refund_saved -> 3 x ¥5 = ¥15 (a pay line); 1 bad_review -> -¥50 (a deduction)
    and -2 points on the item (10 - 2 = 8); 2 upsell -> +2; praise: 2 x the scheme's 2 = 4,
    one praise carried 5 points of its own: the scheme fixes the points, so they are set
    aside, but said in the rule and warned about (the old code said nothing).
    Score 8 + 2 + 4 = 14; pay 15 - 50 = -35."""
    scheme = scheme_of(EVENTS)
    events = [{"agent_id": "E", "kind": k, "points": p} for k, p in (
        ("refund_saved", None), ("refund_saved", None), ("refund_saved", None),
        ("bad_review", None), ("upsell", None), ("upsell", None), ("praise", None),
        ("praise", 5))]
    card = run(scheme, {"E": {}}, events=events).cards[0]
    assert card.score == 14
    lines = [(line.kind, line.label, line.amount) for line in card.pay.lines]
    assert lines == [("event", "起死回生", 15), ("deduction", "差评扣款", -50)]
    assert card.pay.total == -35
    praise = next(a for a in card.adjustments if a.event == "praise")
    assert rule_text(praise, EN) == \
        "2 × 2 (points carried by the events, 5, set aside: the scheme fixes 2)"
    assert rule_text(praise, ZH) == "2 × 2（事件自带的分数 5 不采用：方案规定 2）"
    assert card.warnings == [
        "praise: 2 × 2 (points carried by the events, 5, set aside: the scheme fixes 2)"]
    assert rule_text(card.pay.lines[1], ZH) == "差评扣款 1 × -¥50.00 = -¥50.00"
    upsell = next(a for a in card.adjustments if a.event == "upsell")
    assert (upsell.points, upsell.label) == (2, "关联销售")


def test_undeclared_event_kinds_are_refused_with_the_way_to_declare_them():
    text = "scheme: t\nitems: [{key: q, max: 1, start: 1, per: {refund_saved: -1}}]\n"
    _, issues = load_scheme(text, "t.yaml", metrics=CATALOG)
    assert [i.code for i in issues] == ["unknown_event"]
    assert "events:" in (issues[0].hint or "")
    declared = "events: [{kind: refund_saved}]\n" + text
    assert load_scheme(declared, "t.yaml", metrics=CATALOG)[1] == []


# --- complaints: the complaints table, verified, its points, each once -------------------

COMPLAINTS = """
scheme: complaints
items: [{key: q, max: 10, grade: {A: 10, B: 5, C: 0, D: 0}}]
adjustments: [{event: complaint, points: {min: -20, max: -5}}]
veto: [{when: "complaint >= 4", effect: bonus}]
"""


def test_complaint_adjustments_read_the_complaints_table():
    """C1 verified, 扣分 13 -> -13; C2 not verified -> nothing (nor its event naming it);
    C3 verified without points, its event (note C3) gives -8; an event with no complaint
    id (entered in the app) -> -6.  Three complaints, -27; the veto (>= 4) does not
    apply.  (The old code counted the 3 events only: -8 - 6 - 9 = -23.)"""
    scheme = scheme_of(COMPLAINTS)
    complaints = [
        {"complaint_id": "C1", "agent_id": "A", "verified": True, "points": 13},
        {"complaint_id": "C2", "agent_id": "A", "verified": False, "points": 20},
        {"complaint_id": "C3", "agent_id": "A", "verified": True, "points": None}]
    events = [{"agent_id": "A", "kind": "complaint", "points": -8, "note": "C3"},
              {"agent_id": "A", "kind": "complaint", "points": -9, "note": "C2"},
              {"agent_id": "A", "kind": "complaint", "points": -6, "note": ""}]
    grades = [{"agent_id": "A", "period": "2026-10", "item": "q", "grade": "A"}]
    card = run(scheme, {"A": {}}, events=events, complaints=complaints, grades=grades).cards[0]
    (adj,) = card.adjustments
    assert (adj.count, adj.points) == (3, D(-27)) and not card.vetoed
    assert rule_text(adj, EN) == "3 × chosen: -13, -8, -6 (range -20..-5)"
    assert card.score == 10 - 27


# --- per_occurrence ----------------------------------------------------------------------


def test_leave_per_occurrence_counts_runs_of_days():
    """Leave on Oct 5, 6, 7 (one leave) and Oct 20 (another): 2 occurrences x -5 = -10
    -> 10 points; per day it would be 4 x -5 -> 0."""
    text = ("scheme: t\nitems: [{key: att, max: 20, start: 20, per: {leave: -5}, min: 0%s}]\n")
    rows = [{"agent_id": "A", "date": f"2026-10-{d:02d}", "status": "leave"}
            for d in (5, 6, 7, 20)]
    per_day = run(scheme_of(text % ""), {"A": {"leave": 4}}, attendance=rows).cards[0]
    runs = run(scheme_of(text % ", per_occurrence: [leave]"), {"A": {"leave": 4}},
               attendance=rows).cards[0]
    assert (per_day.score, runs.score) == (0, 10)
    assert rule_text(runs.items[0], EN) == "start 20, leave 2 time(s) × -5 → 10"
    assert rule_text(runs.items[0], ZH) == "起始 20，请假 2 次 × -5 → 10"


# --- commission by target attainment (阶梯提成) -------------------------------------------

LADDER = """
scheme: ladder
pay:
  commission: {on: sales%s,
               of_target: [{from: 1.0, rate: 0.03}, {from: 1.2, rate: 0.05}, {from: 1.5, rate: 0.08}]}
"""


@pytest.mark.parametrize(("marginal", "sales", "expected"), [
    ("", 90000, D(0)),                   # 90 % of 100,000: below the first bracket
    ("", 100000, D(3000)),               # 100 %: 3 % of all of it
    ("", 125000, D(6250)),               # 125 %: 5 % of 125,000
    ("", 150000, D(12000)),              # 150 %: 8 % of 150,000
    (", marginal: true", 125000, D(850)),  # 20,000 x 3 % + 5,000 x 5 %
    (", marginal: true", 160000, D(2900)),  # 20k x 3 % + 30k x 5 % + 10k x 8 %
])
def test_commission_by_target_attainment(marginal, sales, expected):
    scheme = scheme_of(LADDER % marginal)
    card = run(scheme, {"A": {"sales": D(sales)}},
               targets={("A", "sales"): D(100000)}).cards[0]
    assert card.pay.commission == expected
    assert not scheme.items and card.max_score == 0  # a scheme that only pays


def test_commission_rule_says_the_bracket():
    card = run(scheme_of(LADDER % ""), {"A": {"sales": D(125000)}},
               targets={("A", "sales"): D(100000)}).cards[0]
    text = card.pay.to_dict()["commission_rule"]["text"]
    assert text == ("¥125,000.00 of target ¥100,000.00 = 125% → ¥125,000.00 × 5% = "
                    "¥6,250.00")


def test_commission_without_a_target_is_a_problem():
    result = run(scheme_of(LADDER % ""), {"A": {"sales": D(125000)}})
    assert [p.code for p in result.problems] == ["missing_target"]
    assert result.cards[0].pay.commission == 0


# --- pools -------------------------------------------------------------------------------

POOLS = """
scheme: pools
items: [{key: q, max: 100, grade: {A: 90, B: 60, C: 30, D: 0}}]
pay:
  pools:
    - {label: 团队奖金池, per: team, amount: "team('sales') * 0.01", split: score}
    - {label: 静默销售分成, per: shop, amount: "shop('silent_sales') * 0.005", split: equal}
"""


def test_team_and_shop_pools():
    """Team A: sales 200,000 x 1 % = 2,000 split by score 90 : 60 -> 1,200.00 and 800.00.
    Team B: sales 10,000.01 x 1 % = 100.0001 -> ¥100.00 split by 30 : 30 : 30 -> 33.33
    each, the remaining cent to the largest share (the first of equals: B1 33.34).
    Shop: silent sales 10,000 x 0.5 % = 50 among 5 agents -> 10.00 each."""
    scheme = scheme_of(POOLS)
    agents = roster("A1", "A2", team="A") + roster("B1", "B2", "B3", team="B")
    grades = [{"agent_id": a, "period": "2026-10", "item": "q", "grade": g}
              for a, g in (("A1", "A"), ("A2", "B"), ("B1", "C"), ("B2", "C"), ("B3", "C"))]
    result = run(scheme, {a["agent_id"]: {} for a in agents}, agents, grades=grades,
                 team_metrics={"A": {"sales": D(200000)}, "B": {"sales": D("10000.01")}},
                 shop_metrics={"silent_sales": D(10000)})
    shares = {c.agent_id: [line.amount for line in c.pay.lines] for c in result.cards}
    assert shares == {"A1": [D("1200.00"), D("10.00")], "A2": [D("800.00"), D("10.00")],
                      "B1": [D("33.34"), D("10.00")], "B2": [D("33.33"), D("10.00")],
                      "B3": [D("33.33"), D("10.00")]}
    a1 = result.cards[0].pay.lines[0]
    assert rule_text(a1, EN) == \
        "团队奖金池 (team A): ¥2,000.00 × 90 / 150 by score = ¥1,200.00"
    assert rule_text(a1, ZH) == "团队奖金池（团队 A）：¥2,000.00 × 90 / 150（按得分）= ¥1,200.00"


def test_split_cents_adds_up_and_gives_the_remainder_to_the_largest():
    assert split_cents(D(100), [D(1)] * 3) == [D("33.34"), D("33.33"), D("33.33")]
    assert split_cents(D(10), [D(2), D(1)]) == [D("6.67"), D("3.33")]
    assert split_cents(D(10), [D(0), D(0)]) == [D(0), D(0)]


# --- lookups: prev() and streak() --------------------------------------------------------

STREAK = """
scheme: streak
items:
  - {key: q, max: 10, grade: {A: 10, B: 8, C: 5, D: 0}}
  - {key: growth, max: 10, formula: "min(10, max(0, (score_now - prev('sales')) / 1000))"}
levels: [{name: 金牌, min_ratio: 0.9, factor: 1}, {name: 其他, factor: 0.5}]
pay:
  awards: [{kind: formula, label: 连续金牌奖, amount: "if(streak('金牌') >= 2, 300, 0)"}]
"""


def test_prev_and_streak():
    """growth: (sales 18,000 - last month's 10,000) / 1,000 = 8, capped 0..10.
    G: grade A 10 + 8 = 18 of 20 = 90 % -> 金牌; 金牌 last month too (a run of 1):
    streak 2 -> 300.  H: grade B 8 + 8 = 16 -> 80 % -> 其他: streak 0 -> nothing."""
    scheme = scheme_of(STREAK.replace("score_now", "sales"))
    grades = [{"agent_id": a, "period": "2026-10", "item": "q", "grade": g}
              for a, g in (("G", "A"), ("H", "B"))]
    previous = {a: {"sales": 10000, "score": 18, "level": "金牌"} for a in ("G", "H")}
    result = run(scheme, {"G": {"sales": D(18000)}, "H": {"sales": D(18000)}},
                 grades=grades, previous=previous,
                 streaks={"G": ("金牌", 1), "H": ("金牌", 3)})
    g, h = result.cards
    assert (g.score, g.level, h.score, h.level) == (18, "金牌", 16, "其他")
    assert [(a.label, a.amount) for a in g.pay.awards] == [("连续金牌奖", 300)]
    assert h.pay.awards == []


def test_a_formula_reading_what_depends_on_it_is_a_load_error():
    for bad in ("team('score')", "team_avg('score')", "streak('金牌')"):
        text = STREAK.replace("score_now", f"sales + {bad}")
        _, issues = load_scheme(text, "t.yaml", metrics=CATALOG)
        assert [i.code for i in issues] == ["formula_cycle"], bad
        assert issues[0].row == 5
    fine = STREAK.replace("if(streak('金牌') >= 2, 300, 0)", "team_avg('score') * 10") \
        .replace("score_now", "sales")
    assert load_scheme(fine, "t.yaml", metrics=CATALOG)[1] == []
