"""Properties of scoring that must hold for any data (hypothesis)."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from cskpi.metrics.catalog import CATALOG
from cskpi.scheme import load_scheme
from cskpi.scoring.score import ScoringInput, score_period

SCHEME = """
scheme: props
pass_ratio: 0.6
items:
  - {key: refund, max: 30, metric: refund_rate, tiers: [{max: 0.05, points: 30}, {max: 0.08, points: 20}, {max: 0.11, points: 10}, {points: 0}]}
  - {key: conv, max: 40, metric: conversion_rate, tiers: [{min: 0.4, points: 40}, {min: 0.3, points: 20}, {points: 0}]}
  - {key: resp, max: 20, metric: response_s, linear: {from: 90, to: 20}}
  - {key: sales, max: 20, metric: sales, target: 10000}
  - {key: f, max: 10, formula: "sales / 1000 - complaints"}
  - {key: att, max: 20, start: 20, per: {late: -5, absent: -10}, min: 0}
adjustments:
  - {event: praise, points: 2}
pay:
  base: 1000
  kpi_bonus: {pool: 1000, formula: "pool * score / max_score"}
"""
scheme, _ = load_scheme(SCHEME, "props.yaml", metrics=CATALOG)
assert scheme is not None
UNITS = {k: m.unit for k, m in CATALOG.items()}
DIRS = {k: m.direction for k, m in CATALOG.items()}

rates = st.integers(min_value=0, max_value=1000)
row_strategy = st.fixed_dictionaries({
    "refund": rates, "conv": rates, "resp": st.integers(0, 400),
    "sales": st.integers(0, 50_000), "complaints": st.integers(0, 5),
    "late": st.integers(0, 10), "absent": st.integers(0, 5), "praise": st.integers(0, 4),
})


def run(values: dict) -> object:
    row = {
        "refund_rate": values["refund"] / 1000, "refund_rate_num": values["refund"],
        "refund_rate_den": 1000,
        "conversion_rate": values["conv"] / 1000, "conversion_rate_num": values["conv"],
        "conversion_rate_den": 1000,
        "response_s": float(values["resp"]), "sales": D(values["sales"]),
        "complaints": values["complaints"], "late": values["late"], "absent": values["absent"],
    }
    events = [{"agent_id": "A", "kind": "praise", "points": None}] * values["praise"]
    inp = ScoringInput("2026-10", [{"agent_id": "A", "role": "presale"}], {"A": row},
                       events=events, metric_units=UNITS, metric_directions=DIRS)
    return score_period(scheme, inp).cards[0]


@settings(max_examples=200, deadline=None)
@given(row_strategy)
def test_points_stay_within_item_bounds_and_total_is_the_sum(values):
    card = run(values)
    for item in card.items:
        assert 0 <= item.points <= item.max, (item.key, item.rule)
    adjustments = sum((a.points for a in card.adjustments), D(0))
    assert card.score == sum((i.points for i in card.items), D(0)) + adjustments
    assert adjustments == 2 * values["praise"]
    # the bonus is the pool's share of the score, at most the pool itself (praise can
    # push the score past max_score; docs/schemes.md: "the bonus is at most the pool")
    expected_bonus = min(D(1000), D(1000) * card.score / card.max_score) if card.passed else D(0)
    cent = D("0.01")
    assert card.pay.kpi_bonus.quantize(cent) == expected_bonus.quantize(cent)
    assert card.pay.total == (D(1000) + card.pay.kpi_bonus).quantize(D("0.01"))


@settings(max_examples=200, deadline=None)
@given(row_strategy, st.sampled_from(["refund", "conv", "resp", "sales"]),
       st.integers(1, 300))
def test_a_better_metric_never_gives_fewer_points(values, metric, step):
    better = dict(values)
    # refund rate and response time: lower is better; conversion and sales: higher
    if metric in ("refund", "resp"):
        better[metric] = max(0, values[metric] - step)
    else:
        better[metric] = values[metric] + step
    key = {"refund": "refund", "conv": "conv", "resp": "resp", "sales": "sales"}[metric]
    before = next(i.points for i in run(values).items if i.key == key)
    after = next(i.points for i in run(better).items if i.key == key)
    assert after >= before
