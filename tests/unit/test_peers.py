"""An agent's figures beside their team's median (cskpi.metrics.peers), worked by hand."""

from __future__ import annotations

from decimal import Decimal

from cskpi.metrics.peers import team_medians

ROWS = [
    {"agent_id": "A1", "team": "T1", "sessions": 10, "reply_3min_rate": 0.9, "sales": None},
    {"agent_id": "A2", "team": "T1", "sessions": 30, "reply_3min_rate": 0.5, "sales": 100},
    {"agent_id": "A3", "team": "T1", "sessions": 20, "reply_3min_rate": 0.7, "sales": 300},
    {"agent_id": "A4", "team": "T1", "sessions": 40, "reply_3min_rate": None, "sales": None},
    {"agent_id": "B1", "team": "T2", "sessions": 999, "reply_3min_rate": 0.1, "sales": 5},
    {"agent_id": "C1", "team": None, "sessions": 5, "reply_3min_rate": 0.8, "sales": 1},
]


def test_the_median_of_the_agents_team() -> None:
    peers = team_medians(ROWS, "A1", ("sessions", "reply_3min_rate", "sales"))
    assert peers.team == "T1"
    by = {p.metric: p for p in peers.figures}
    # sessions of T1: 10, 20, 30, 40 -> (20 + 30) / 2 = 25 (B1's 999 is another team's)
    assert (by["sessions"].mine, by["sessions"].median, by["sessions"].agents) == (
        10, Decimal(25), 4)
    # rates of T1 with a figure: 0.5, 0.7, 0.9 (A4 has none) -> the middle one, 0.7
    assert (by["reply_3min_rate"].median, by["reply_3min_rate"].agents) == (Decimal("0.7"), 3)
    # sales: only A2 and A3 have one: 2 < 3 agents, no median (from a median of 200 and
    # their own 100, A2 would read A3's 2 x 200 - 100 = 300)
    assert (by["sales"].mine, by["sales"].median, by["sales"].agents) == (None, None, 2)


def test_no_team_no_comparison() -> None:
    peers = team_medians(ROWS, "C1", ("sessions",))
    assert (peers.team, peers.figures) == (None, ())
    assert team_medians(ROWS, "nobody", ("sessions",)).team is None


def test_the_least_number_of_agents_can_be_set() -> None:
    # with 2 allowed, T1's sales median is (100 + 300) / 2 = 200
    peers = team_medians(ROWS, "A1", ("sales",), min_agents=2)
    assert peers.figures[0].median == Decimal(200)
