"""Scoring from data: targets from history, commission net of refunds, scheme what-if."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cskpi.errors import SchemeInvalid
from cskpi.shop import Shop

AGENTS = "agent_id,name,role,team,level\nP1,甲,presale,S,junior\nP2,乙,presale,S,junior\n"
SESSIONS = """\
session_id,customer_id,agent_id,start_ts
S1,C1,P1,2026-08-03 10:00
S2,C2,P1,2026-09-03 10:00
S3,C3,P1,2026-10-03 10:00
S4,C4,P2,2026-10-03 10:00
"""
ORDERS = """\
order_id,customer_id,created_ts,paid_ts,amount
O1,C1,2026-08-03 11:00,2026-08-03 11:01,1000.00
O2,C2,2026-09-03 11:00,2026-09-03 11:01,2000.00
O3,C3,2026-10-03 11:00,2026-10-03 11:01,2400.00
O4,C4,2026-10-03 11:00,2026-10-03 11:01,500.00
"""
REFUNDS = "refund_id,order_id,agent_id,requested_ts,amount\nR1,O3,,2026-10-05 10:00,400.00\n"
SCHEME = """
scheme: history
items:
  - {key: sales, max: 10, metric: sales, target: targets}
pay:
  commission: {rate: 0.1, on: sales, net_of_refunds: true}
targets:
  sales: {history: {periods: 2, uplift: 0.2}}
"""


def test_history_targets_and_net_commission(folder, tmp_path):
    d = folder({"agents.csv": AGENTS, "sessions.csv": SESSIONS, "orders.csv": ORDERS,
                "refunds.csv": REFUNDS}, with_agents=False)
    scheme = tmp_path / "s.yaml"
    scheme.write_text(SCHEME, encoding="utf-8")
    scored = Shop(data=d).score(str(scheme), "2026-10")
    cards = {c.agent_id: c for c in scored.result.cards}
    p1 = cards["P1"]
    # P1's sales in August 1000 and September 2000: mean 1500 x 1.2 = 1800 target;
    # October 2400 >= 1800 -> full 10 points
    item = p1.items[0]
    assert item.points == 10 and "target ¥1,800.00" in item.rule
    # commission: (2400 - 400 refunded) x 10 % = 200.00
    assert p1.pay.commission == Decimal("200.0")
    # P2 has no history: no target -> reported, not guessed
    assert [p.code for p in scored.result.problems] == ["missing_target"]
    assert "P2" in scored.result.problems[0].message


def test_scheme_whatif_lists_who_gains(cli, folder, tmp_path):
    d = folder({"agents.csv": AGENTS, "sessions.csv": SESSIONS, "orders.csv": ORDERS},
               with_agents=False)
    old = tmp_path / "old.yaml"
    new = tmp_path / "new.yaml"
    old.write_text("scheme: old\nitems:\n  - {key: s, max: 10, metric: sales, target: 5000}\n"
                   "pay:\n  base: 1000\n", encoding="utf-8")
    new.write_text("scheme: new\nitems:\n  - {key: s, max: 10, metric: sales, target: 2400}\n"
                   "pay:\n  base: 1000\n  commission: {rate: 0.01, on: sales}\n",
                   encoding="utf-8")
    result = cli("whatif", "--data", d, "--period", "2026-10", "--scheme", old, "--edited",
                 new, "--format", "json")
    assert result.exit_code == 0, result.output
    changes = {c["agent_id"]: c for c in json.loads(result.stdout)["changes"]}
    # P1 sold 2400: old 10 x 2400/5000 = 4.8 points, new 10 x min(1, 2400/2400) = 10;
    # pay 1000 -> 1000 + 1 % x 2400 = 1024
    assert (changes["P1"]["old_score"], changes["P1"]["new_score"]) == (4.8, 10.0)
    assert changes["P1"]["pay_delta"] == 24.0
    # P2 sold 500: 1.0 -> 500/2400 x 10 = 2.0833…; pay +5
    assert changes["P2"]["old_score"] == 1.0 and changes["P2"]["pay_delta"] == 5.0
    assert list(changes) == ["P1", "P2"]  # biggest pay change first


PLATFORM_SCHEME = """
scheme: platform
items:
  - {key: sat, max: 20, metric: satisfaction,
     tiers: [{min: 0.9, points: 20}, {points: 5}],
     min_sample: {n: 30, fallback: neutral}}
awards:
  - {kind: rank, metric: conversion_rate, top: 1, amount: 100,
     min_sample: {metric: inquiring_customers, n: 50}}
"""


def test_platform_counts_are_the_sample_where_nothing_is_computed(folder, tmp_path):
    """A platform-only shop (issue #16): min_sample and rank awards use the imported
    counts beside the imported rates."""
    platform = ("客服ID,日期,满意率,评价数,询单人数,询单转化率\n"
                # P1: satisfaction (0.95*20 + 0.85*20) / 40 = 0.9 over 40 rated sessions;
                # conversion 0.5 of 60 inquiring customers
                "P1,2026-10-01,95%,20,30,50%\nP1,2026-10-02,85%,20,30,50%\n"
                # P2: satisfaction 1.0 over 10 rated sessions (< 30: neutral 10 points);
                # conversion 0.9 of 10 inquiring customers (< 50: out of the ranking)
                "P2,2026-10-01,100%,10,10,90%\n")
    d = folder({"agents.csv": AGENTS, "agent_metrics.csv": platform}, with_agents=False)
    scheme = tmp_path / "p.yaml"
    scheme.write_text(PLATFORM_SCHEME, encoding="utf-8")
    cards = {c.agent_id: c for c in Shop(data=d).score(str(scheme), "2026-10").result.cards}
    # P1: 40 rated >= 30, satisfaction 0.9 >= 0.9 -> 20 points
    assert cards["P1"].items[0].points == 20
    # P2: 10 rated < 30 -> the neutral fallback, max / 2 = 10
    assert cards["P2"].items[0].points == 10 and cards["P2"].items[0].note_code == "min_sample"
    # the rank award: only P1 has >= 50 inquiring customers -> P1 gets it despite 0.5 < 0.9
    assert [a.amount for a in cards["P1"].pay.awards] == [Decimal("100")]
    assert cards["P2"].pay.awards == []


def test_a_scheme_given_as_text_or_object_scores_as_its_file(folder, tmp_path):
    """The web's saved versions and previews score from their text, no file written (#17)."""
    from cskpi.scheme import load_scheme
    from cskpi.scoring.run import SchemeText

    d = folder({"agents.csv": AGENTS, "sessions.csv": SESSIONS, "orders.csv": ORDERS,
                "refunds.csv": REFUNDS}, with_agents=False)
    scheme, _ = load_scheme(SCHEME, "history.yaml")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    by_text = Shop(data=d).score(SchemeText(SCHEME, "history.yaml"), "2026-10")
    by_object = Shop(data=d).score(scheme, "2026-10")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written
    for scored in (by_text, by_object):
        p1 = {c.agent_id: c for c in scored.result.cards}["P1"]
        # as in the file's test above: target 1800 met -> 10 points; (2400 - 400) x 10 %
        assert (p1.items[0].points, p1.pay.commission) == (10, Decimal("200.0"))
    with pytest.raises(SchemeInvalid) as exc:  # a broken text: every problem, named by source
        Shop(data=d).score(SchemeText("scheme: x\nitems: 3\n", "preview"), "2026-10")
    assert exc.value.issues and all(i.file == "preview" for i in exc.value.issues)
