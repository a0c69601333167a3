"""The kinds of published scheme #19 tried, each written without a workaround and scored
by hand: a weighted KPI sheet with 金/银/铜牌, a JD after-sale assessment, 阶梯提成 by target
attainment, a team pool split by contribution, silent sales shared out, 奖惩制度 with money
per event, and what needed workarounds before: tier points by weight (not multiplied by
hand), money from a formula (not a formula item), per-agent targets (not a scheme per
agent).  The seed's scheme is tested in test_scoring.py."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from cskpi.metrics.catalog import CATALOG
from cskpi.scheme import load_scheme
from cskpi.scoring import presets
from cskpi.scoring.score import ScoringInput, cents, score_period

UNITS = {k: m.unit for k, m in CATALOG.items()}
DIRECTIONS = {k: m.direction for k, m in CATALOG.items()}


def scheme_of(text: str) -> Any:
    scheme, issues = load_scheme(text, "s.yaml", metrics=CATALOG)
    assert scheme is not None and issues == [], [str(i) for i in issues]
    return scheme


def score(scheme: Any, metrics: dict[str, Any], role: str = "presale",
          teams: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    roster = [{"agent_id": a, "name": a, "role": role, "level": "senior",
               "team": (teams or {}).get(a, "A")} for a in metrics]
    result = score_period(scheme, ScoringInput("2026-10", roster, metrics, metric_units=UNITS,
                                               metric_directions=DIRECTIONS, **kw))
    assert result.problems == [], [p.message for p in result.problems]
    return {c.agent_id: c for c in result.cards}


def rate(value: str, den: int = 1000) -> dict[str, Any]:
    return {"value": D(value), "num": D(value) * den, "den": den}


def row(**rates: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, v in rates.items():
        if isinstance(v, dict):
            out.update({key: v["value"], f"{key}_num": v["num"], f"{key}_den": v["den"]})
        else:
            out[key] = v
    return out


def test_weighted_kpi_sheet_with_medals():
    """presale-weighted-medals: completion 95 % -> 85 x 0.30 = 25.5; conversion 42 % ->
    80 x 0.20 = 16; AOV 240 -> 80 x 0.20 = 16; reply rate 99 % -> 100 x 0.20 = 20;
    response 40 s (<= 45) -> 80 x 0.05 = 4; 2 late days -> 80 x 0.05 = 4.  85.5 of 100 ->
    银牌客服 (80-90), bonus 1000 x 0.8 = 800; senior base 3500 -> 4300."""
    scheme = scheme_of(presets.preset_text("presale-weighted-medals"))
    card = score(scheme, {"P": row(target_completion=rate("0.95"),
                                   conversion_rate=rate("0.42"), aov=D(240),
                                   reply_rate=rate("0.99"), response_s=D(40), late=2)})["P"]
    assert [i.points for i in card.items] == [D("25.5"), 16, 16, 20, 4, 4]
    assert (card.score, card.level, card.pay.kpi_bonus, card.pay.total) == (
        D("85.5"), "银牌客服", 800, D(4300))


def test_jd_after_sale_assessment():
    """jd-aftersale: response 36 s against 30 s -> 25 x 30 / 36 = 20.833…; 3-minute reply
    92 % -> 20; satisfaction 96 % of 40 rated -> 25; refunds done in 30 h (<= 48) -> 15:
    80.833… of 100, passes 60 %: bonus 1200 x 80.833… / 100 = 970.00; a bad review costs
    ¥50; senior base 3500 -> 4420.00.  J2 the same with a verified complaint: the veto
    cancels the bonus (not the score) -> 3450.00."""
    scheme = scheme_of(presets.preset_text("jd-aftersale"))
    base = row(response_s=D(36), reply_3min_rate=rate("0.92"), satisfaction=rate("0.96", 40),
               refund_completion_h=D(30), complaints=0)
    cards = score(scheme, {"J1": base, "J2": {**base, "complaints": 1}}, role="aftersale",
                  events=[{"agent_id": a, "kind": "bad_review", "points": None}
                          for a in ("J1", "J2")])
    j1, j2 = cards["J1"], cards["J2"]
    assert j1.score == D(25) * 30 / 36 + 20 + 25 + 15
    assert cents(j1.pay.kpi_bonus) == D("970.00") and j1.pay.total == D("4420.00")
    assert j2.score == j1.score and j2.pay.kpi_bonus == 0 and j2.pay.total == D("3450.00")


def test_ladder_commission_on_target_attainment():
    """ladder-commission: sales 130,000 of a 100,000 target = 130 % -> the 120 % bracket,
    5 % of 130,000 = 6,500; senior base 3,500 -> 10,000."""
    scheme = scheme_of(presets.preset_text("ladder-commission"))
    card = score(scheme, {"L": {"sales": D(130000)}},
                 targets={("L", "sales"): D(100000)})["L"]
    assert (card.pay.commission, card.pay.total) == (D(6500), D(10000))


def test_team_pool_split_by_contribution():
    """2 % of the team's sales of 100,000 = 2,000, split by each agent's sales
    60,000 : 30,000 : 10,000 -> 1,200, 600, 200."""
    scheme = scheme_of("""
scheme: team-commission
pay:
  pools: [{label: 团队提成, per: team, amount: "team('sales') * 0.02", split: sales}]
""")
    cards = score(scheme, {a: {"sales": D(s)} for a, s in (("X", 60000), ("Y", 30000),
                                                            ("Z", 10000))},
                  team_metrics={"A": {"sales": D(100000)}})
    assert [c.pay.lines[0].amount for c in cards.values()] == [D(1200), D(600), D(200)]


def test_silent_sales_shared_out():
    """0.5 % of the shop's silent sales of 40,000 = 200 shared equally by 3: 66.67 each is
    200.01, so the remainder of -0.01 goes to the largest share (the first of equals)."""
    scheme = scheme_of(presets.preset_text("team-pool-by-score"))
    cards = score(scheme, {a: {} for a in "XYZ"}, shop_metrics={"silent_sales": D(40000)})
    silent = [next(x.amount for x in c.pay.lines if x.label == "静默销售分成")
              for c in cards.values()]
    assert silent == [D("66.66"), D("66.67"), D("66.67")] and sum(silent) == 200


def test_rewards_and_penalties_in_money():
    """奖惩制度: a good review +¥10, an unanswered customer -¥20 (a deduction): 3 and 2 ->
    30 - 40 = -10; a scheme that only pays."""
    scheme = scheme_of("""
scheme: rewards-penalties
events:
  - {kind: good_review, label: 好评奖励, money: 10}
  - {kind: late_reply, label: 超时未回复罚款, money: -20}
""")
    events = [{"agent_id": "R", "kind": k, "points": None}
              for k in ["good_review"] * 3 + ["late_reply"] * 2]
    card = score(scheme, {"R": {}}, events=events)["R"]
    assert [(x.kind, x.amount) for x in card.pay.lines] == [("event", 30), ("deduction", -40)]
    assert card.pay.total == -10


def test_money_from_a_formula_is_an_award_not_an_item():
    """0.1 % of sales 300,000, at most 500 -> 300 paid (an item would have been points)."""
    scheme = scheme_of("""
scheme: formula-money
pay:
  awards: [{kind: formula, label: 销售奖励, amount: "min(500, sales * 0.001)"}]
""")
    card = score(scheme, {"F": {"sales": D(300000)}})["F"]
    assert [(a.label, a.amount) for a in card.pay.awards] == [("销售奖励", D(300))]


def test_per_agent_targets_in_one_scheme():
    """Both sold 50,000; A's target is 40,000 (reached: 20), B's 60,000 (not: 0) — one
    scheme for both, with target() in the tier bound."""
    scheme = scheme_of("""
scheme: per-agent
items:
  - {key: sales, max: 20, metric: sales,
     tiers: [{min: "target('sales')", points: 20}, {points: 0}]}
""")
    cards = score(scheme, {"A": {"sales": D(50000)}, "B": {"sales": D(50000)}},
                  targets={("A", "sales"): D(40000), ("B", "sales"): D(60000)})
    assert (cards["A"].score, cards["B"].score) == (20, 0)
