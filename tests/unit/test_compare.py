"""The core's comparisons and rankings, on hand-made inputs: a snapshot's ranks and rows,
the diff between two snapshots, the scheme what-if's gain/loss count, metric rows ranked
best first, and a what-if baseline's day count.  The web pages and the CLI call these
(tests/web/test_periods_page.py checks the pages that show them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from cskpi.metrics.ranking import default_order, sort_rows
from cskpi.scoring.compare import (
    Change,
    biggest_change_first,
    diff_snapshots,
    gains_and_losses,
    paired,
)
from cskpi.scoring.snapshots import ADJUSTMENT, ranks, rows
from cskpi.scoring.whatif import period_baseline


def card(agent_id: str, score: float, total: float, *, passed: bool = True,
         points: float = 10.0, awards: tuple[float, ...] = (),
         adjustments: tuple[tuple[str, float], ...] = ()) -> dict[str, Any]:
    return {"agent_id": agent_id, "name": agent_id.lower(), "score": score,
            "max_score": 100.0, "ratio": score / 100, "passed": passed, "vetoed": False,
            "pay": {"base": total, "kpi_bonus": 0.0, "commission": 0.0, "total": total,
                    "awards": [{"amount": a} for a in awards]},
            "items": [{"key": "csat", "label": "Satisfaction", "points": points}],
            "adjustments": [{"event": e, "points": p} for e, p in adjustments]}


def snap(*cards: dict[str, Any], problems: tuple[dict[str, Any], ...] = (),
         version: int | None = None) -> dict[str, Any]:
    return {"cards": list(cards), "problems": list(problems), "scheme_version": version}


def test_ties_share_a_rank_and_the_next_rank_skips() -> None:
    # 90, 80, 90, 70: two score 90 (rank 1), B has two above it (rank 3), D three (rank 4)
    cards = [card("A", 90, 0), card("B", 80, 0), card("C", 90, 0), card("D", 70, 0)]
    assert ranks(cards) == {"A": 1, "B": 3, "C": 1, "D": 4}


def test_rows_best_first_then_by_agent_id_with_awards_summed() -> None:
    snapshot = snap(card("C", 90, 100, awards=(50.0, 25.5), adjustments=(("praise", 2),)),
                    card("B", 80, 100), card("A", 90, 100))
    out = rows(snapshot)
    assert [(r.agent_id, r.rank) for r in out] == [("A", 1), ("C", 1), ("B", 3)]
    c = out[1]
    assert c.pay["awards"] == 75.5  # 50 + 25.5
    assert c.points == {"csat": 10.0, ADJUSTMENT + "praise": 2}
    assert c.labels[ADJUSTMENT + "praise"] == "praise"


def test_diff_lists_the_biggest_pay_change_first_and_only_what_changed() -> None:
    before = snap(card("A", 90, 100), card("B", 80, 200), card("C", 70, 300, points=10),
                  card("E", 60, 50),
                  problems=({"agent_id": "B", "code": "missing", "message": "m"},),
                  version=1)
    after = snap(card("A", 90, 150), card("B", 80, 180), card("C", 70, 300, points=12),
                 card("D", 10, 30), card("E", 60, 50),
                 problems=({"agent_id": "C", "code": "late", "message": "n"},), version=2)
    diff = diff_snapshots(before, after)
    # pay changes: A +50, D new with 30, B -20, C 0 (an item's points +2); E unchanged
    assert diff.agent_ids == ["A", "D", "B", "C"]
    a, d, b, c = diff.agents
    assert a.status == "changed" and a.figure("pay.total").delta == 50  # 150 - 100
    assert d.status == "added" and d.figure("pay.total").before is None
    assert b.figure("pay.total").delta == -20  # 180 - 200
    assert a.figure("rank") is None  # A is first before and after
    # D scores 10, below everyone: the others keep their ranks, so only D has a rank
    assert c.figures == () and [(i.key, i.delta) for i in c.items] == [("csat", 2)]
    assert [p["agent_id"] for p in diff.problems_added] == ["C"]
    assert [p["agent_id"] for p in diff.problems_resolved] == ["B"]
    assert diff.scheme_version == (1, 2)
    assert not diff_snapshots(after, after)


def test_a_gone_agent_counts_their_whole_pay_as_the_change() -> None:
    diff = diff_snapshots(snap(card("A", 90, 100), card("B", 80, 500)),
                          snap(card("A", 90, 130)))
    # B gone: 500 lost; A +30
    assert diff.agent_ids == ["B", "A"]
    assert diff.agents[0].status == "removed" and diff.agents[0].pay_change == -500


def test_pairing_and_order_shared_by_both_comparisons() -> None:
    assert list(paired({"b": 1, "a": 2}, {"c": 3, "a": 4})) == [
        ("a", 2, 4), ("b", 1, None), ("c", None, 3)]
    keys = sorted(["x", "y", "z"], key=lambda a: biggest_change_first(
        a, {"x": -5, "y": 5, "z": 1}[a], {"x": 1, "y": 3, "z": 9}[a]))
    # x and y both move pay by 5: y's score moves more (3 > 1); z moves pay by 1
    assert keys == ["y", "x", "z"]


def test_gain_or_loss_is_decided_by_pay_then_by_score() -> None:
    d = Decimal

    def change(score: tuple[str, str], pay: tuple[str, str]) -> Change:
        return Change("a", None, d(score[0]), d(score[1]), d(pay[0]), d(pay[1]), True, True)

    changes = [change(("80", "70"), ("100", "120")),  # pay +20: a gain, though score -10
               change(("80", "85"), ("100", "100")),  # pay equal, score +5: a gain
               change(("80", "80"), ("100", "90")),  # pay -10: a loss
               change(("80", "80"), ("100", "100"))]  # nothing moves
    assert [c.direction for c in changes] == [1, 1, -1, 0]
    assert gains_and_losses(changes) == (2, 1)


def test_metric_rows_best_first_by_the_catalog_direction_missing_last() -> None:
    assert default_order("response_s") == "asc"  # a shorter response is better
    assert default_order("satisfaction") == "desc"
    assert default_order("agent_id") == "desc"  # not a metric
    table = [{"agent_id": "a", "response_s": 30}, {"agent_id": "b", "response_s": None},
             {"agent_id": "c", "response_s": 20}, {"agent_id": "d", "response_s": 30}]
    asc = [r["agent_id"] for r in sort_rows(table, "response_s", "asc")]
    desc = [r["agent_id"] for r in sort_rows(table, "response_s", "desc")]
    assert asc == ["c", "a", "d", "b"]
    assert desc == ["d", "a", "c", "b"]  # ties reversed with the order; None still last


def test_a_periods_baseline_counts_both_ends() -> None:
    shop = [{"conversion_rate_den": 200, "conversion_rate_num": 50, "sales": 10000,
             "aov_den": 80}]
    agents = [{"inquiring_customers": 120}, {"inquiring_customers": 0}]
    base = period_baseline(shop, agents, dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert base.days == 29  # February of a leap year, first and last day included
    assert base.agents == 1  # only the agent with inquiring customers
    assert base.conversion == Decimal("0.25")  # 50 / 200
    assert base.aov == 125  # 10000 / 80 buyers
    assert base.other_buyers == 30  # 80 buyers - 50 converted inquirers
