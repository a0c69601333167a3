"""Properties of the #19 constructs that must hold for any data (hypothesis):

* a pool's shares add up to the pool, to the cent;
* a better metric never lowers an agent's points or pay (weights, levels, lower-is-better
  targets, bonus by level, commission by target attainment);
* a veto with ``cancels`` pays none of what it names.
"""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cskpi.metrics.catalog import CATALOG
from cskpi.scheme import CANCELLABLE, load_scheme
from cskpi.scoring.score import ScoringInput, cents, score_period, split_cents

UNITS = {k: m.unit for k, m in CATALOG.items()}
DIRS = {k: m.direction for k, m in CATALOG.items()}


def scheme_of(text: str) -> Any:
    scheme, issues = load_scheme(text, "props.yaml", metrics=CATALOG)
    assert scheme is not None, [str(i) for i in issues]
    return scheme


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, max_value=10 ** 9, places=4),
       st.lists(st.decimals(min_value=0, max_value=10 ** 6, places=3), min_size=1,
                max_size=30))
def test_pool_shares_add_up_to_the_pool_to_the_cent(amount, weights):
    shares = split_cents(amount, weights)
    assert len(shares) == len(weights)
    if sum(weights) > 0:
        assert sum(shares) == cents(amount)
        assert all(s == cents(s) for s in shares)
        assert all(s == 0 for s, w in zip(shares, weights, strict=True) if w == 0)
    else:
        assert all(s == 0 for s in shares)


POOLED = scheme_of("""
scheme: pooled
items: [{key: conv, max: 100, metric: conversion_rate, linear: {from: 0, to: 1}}]
pay:
  pools: [{label: 池, per: team, amount: "team('sales') * 0.01", split: score}]
""")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1000), st.sampled_from("AB")), min_size=1,
                max_size=12),
       st.integers(0, 10 ** 8), st.integers(0, 10 ** 8))
def test_pools_pay_out_exactly_the_pool_of_each_team(agents, sales_a, sales_b):
    roster = [{"agent_id": f"{i:02d}", "role": "presale", "team": team}
              for i, (_, team) in enumerate(agents)]
    metrics = {f"{i:02d}": {"conversion_rate": conv / 1000, "conversion_rate_num": conv,
                            "conversion_rate_den": 1000} for i, (conv, _) in enumerate(agents)}
    teams = {"A": {"sales": D(sales_a)}, "B": {"sales": D(sales_b)}}
    result = score_period(POOLED, ScoringInput("2026-10", roster, metrics, team_metrics=teams,
                                               metric_units=UNITS, metric_directions=DIRS))
    for team, row in teams.items():
        members = [c for c in result.cards if c.team == team]
        paid = sum((line.amount for c in members for line in c.pay.lines), D(0))
        if members and sum(c.score for c in members) > 0:
            assert paid == cents(row["sales"] * D("0.01"))
        else:
            assert paid == 0


MONOTONE = scheme_of("""
scheme: monotone
pass_ratio: 0.5
items:
  - {key: conv, metric: conversion_rate, weight: 0.5,
     tiers: [{min: "target('conversion_rate') * 1.1", points: 100}, {min: "target('conversion_rate')", points: 80}, {min: 0.2, points: 40}, {points: 0}]}
  - {key: resp, max: 30, metric: response_s, target: 30}
  - {key: sales, max: 20, metric: sales, target: 50000}
levels:
  - {name: 金牌, min_ratio: 0.9, factor: 1}
  - {name: 银牌, min_ratio: 0.75, factor: 0.8}
  - {name: 铜牌, min_ratio: 0.6, factor: 0.5}
  - {name: 其他, factor: 0}
pay:
  kpi_bonus: {pool: 2000, formula: "pool * level_factor"}
  commission: {on: sales, of_target: [{from: 1.0, rate: 0.03}, {from: 1.2, rate: 0.05}, {from: 1.5, rate: 0.08}]}
""")
rows = st.fixed_dictionaries({"conv": st.integers(0, 1000), "resp": st.integers(0, 400),
                              "sales": st.integers(0, 200_000)})


def card_of(values: dict[str, int]) -> Any:
    row = {"conversion_rate": values["conv"] / 1000, "conversion_rate_num": values["conv"],
           "conversion_rate_den": 1000, "response_s": D(values["resp"]),
           "sales": D(values["sales"])}
    targets = {("A", "conversion_rate"): D("0.4"), ("A", "sales"): D(80000)}
    inp = ScoringInput("2026-10", [{"agent_id": "A", "role": "presale"}], {"A": row},
                       targets=targets, metric_units=UNITS, metric_directions=DIRS)
    return score_period(MONOTONE, inp).cards[0]


@settings(max_examples=200, deadline=None)
@given(rows, st.sampled_from(["conv", "resp", "sales"]), st.integers(1, 500))
def test_a_better_metric_never_lowers_points_or_pay(values, which, step):
    better = dict(values)
    if which == "resp":  # lower is better
        better["resp"] = max(0, values["resp"] - step)
    else:
        better[which] = values[which] + step * (100 if which == "sales" else 1)
    before, after = card_of(values), card_of(better)
    for old, new in zip(before.items, after.items, strict=True):
        assert new.points >= old.points, (which, old.rule, new.rule)
    assert after.score >= before.score
    assert after.pay.total >= before.pay.total, (which, values, better)


VETOED = """
scheme: vetoed
pass_ratio: 0.1
items: [{key: conv, max: 100, metric: conversion_rate, linear: {from: 0, to: 1}}]
levels: [{name: 好, min_ratio: 0.5, factor: 1}, {name: 差, factor: 0.5}]
veto: [{when: "complaints >= 1", cancels: [%s]}]
pay:
  base: 100
  kpi_bonus: {pool: 1000, formula: "pool * level_factor"}
  commission: {rate: 0.01, on: sales}
  awards:
    - {kind: rank, metric: sales, top: 3, amount: 300}
    - {kind: target, metric: sales, reach: 100, amount: 200}
    - {kind: formula, amount: "score * 2"}
  pools: [{label: 池, per: shop, amount: "shop('silent_sales') * 0.1", split: equal}]
"""


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(CANCELLABLE), min_size=1, max_size=5, unique=True),
       st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 10 ** 6), st.integers(0, 2)),
                min_size=1, max_size=6))
def test_a_veto_pays_none_of_what_it_cancels(cancels, agents):
    scheme = scheme_of(VETOED % ", ".join(cancels))
    roster = [{"agent_id": f"{i}", "role": "presale", "team": "T"} for i in range(len(agents))]
    metrics = {f"{i}": {"conversion_rate": c / 1000, "conversion_rate_num": c,
                        "conversion_rate_den": 1000, "sales": D(s), "complaints": n}
               for i, (c, s, n) in enumerate(agents)}
    result = score_period(scheme, ScoringInput(
        "2026-10", roster, metrics, shop_metrics={"silent_sales": D(5000)},
        metric_units=UNITS, metric_directions=DIRS))
    for card in result.cards:
        if not card.vetoed:
            continue
        assert card.cancelled == frozenset(cancels)
        if "score" in cancels:
            assert card.score == 0 and not card.passed
        if "kpi_bonus" in cancels:
            assert card.pay.kpi_bonus == 0
        if "commission" in cancels:
            assert card.pay.commission == 0
        if "awards" in cancels:
            assert card.pay.awards == []
        if "pools" in cancels:
            assert all(line.amount == 0 for line in card.pay.lines if line.kind == "pool")
        assert card.pay.base == 100  # a veto never takes the base pay
