"""Golden heatmap: three hand-made sessions, every cell worked by hand, and the cells'
totals checked against the catalog's own figures for the same data."""

from __future__ import annotations

import pytest

from cskpi.metrics.heatmap import HOURS, WEEKDAYS, HeatmapQuery
from cskpi.metrics.profiles import resolve
from cskpi.shop import Shop
from tests.helpers.common import write_folder
from tests.helpers.golden import AGENTS, HEAD, OCT, metrics

# 2026-10-03 is a Saturday (weekday 5), 2026-10-05 a Monday (weekday 0); times are the
# shop's local time (Asia/Shanghai), as the files give them
CHAT = {"messages.csv": HEAD + "".join(line + "\n" for line in (
    # S1, A1 (team T1): round 1 10:10:00 -> 10:11:00 = 60 s <= 180 s (in time);
    # round 2 10:20:00 -> 10:25:00 = 300 s > 180 s (late)
    "S1,2026-10-03 10:10:00,customer,,C1,", "S1,2026-10-03 10:11:00,agent,A1,,",
    "S1,2026-10-03 10:20:00,customer,,C1,", "S1,2026-10-03 10:25:00,agent,A1,,",
    # S2, A2 (team T1): one round 10:40:00 -> 10:41:00 = 60 s (in time)
    "S2,2026-10-03 10:40:00,customer,,C2,", "S2,2026-10-03 10:41:00,agent,A2,,",
    # S3, B1 (team T2): Monday 23:58:00 -> Tuesday 00:02:00 = 240 s (late); the session
    # and its round count at its human start, Monday 23:00
    "S3,2026-10-05 23:58:00,customer,,C3,", "S3,2026-10-06 00:02:00,agent,B1,,",
))}


def heatmap(tmp_path, **who):
    folder = write_folder(tmp_path / "d", {"agents.csv": AGENTS, **CHAT})
    return Shop(data=folder).heatmap(HeatmapQuery(*OCT, resolve("generic"), **who))


def nonzero(h, field):
    return {(c.weekday, c.hour): getattr(c, field) for c in h.cells if c.sessions}


def test_the_shop_by_day_and_hour(tmp_path):
    h = heatmap(tmp_path)
    assert len(h.cells) == WEEKDAYS * HOURS == 168
    # Saturday 10:00: S1 and S2 -> 2 sessions; rounds 2 (S1) + 1 (S2) = 3, in time 1 + 1 = 2
    # Monday 23:00: S3 -> 1 session, 1 round, 0 in time
    assert nonzero(h, "sessions") == {(5, 10): 2, (0, 23): 1}
    assert nonzero(h, "rounds") == {(5, 10): 3, (0, 23): 1}
    assert nonzero(h, "rounds_in_time") == {(5, 10): 2, (0, 23): 0}
    assert h.cell(5, 10).reply_3min_rate == pytest.approx(2 / 3)
    assert h.cell(0, 23).reply_3min_rate == 0.0
    # an hour without rounds has no rate (not 0 %): Tuesday 00:00 holds S3's reply only
    assert h.cell(1, 0).reply_3min_rate is None and h.cell(1, 0).sessions == 0
    # the period: 3 sessions; (2 + 0) / (3 + 1) = 0.5 (numerators over denominators)
    assert (h.sessions, h.rounds_in_time, h.rounds, h.reply_3min_rate) == (3, 2, 4, 0.5)
    # the grid: 7 rows (Monday first) of 24 hours
    grid = h.grid("sessions")
    assert len(grid) == 7 and {len(row) for row in grid} == {24}
    assert grid[5][10] == 2 and grid[0][23] == 1 and sum(map(sum, grid)) == 3


def test_a_team_and_an_agent(tmp_path):
    team = heatmap(tmp_path / "t", team="T1")
    # T1 is A1 and A2: S1 and S2 only, Saturday 10:00, 2 of 3 rounds in time
    assert nonzero(team, "sessions") == {(5, 10): 2}
    assert (team.rounds_in_time, team.rounds) == (2, 3)
    agent = heatmap(tmp_path / "a", agent="B1")
    assert nonzero(agent, "sessions") == {(0, 23): 1}
    assert (agent.rounds_in_time, agent.rounds, agent.reply_3min_rate) == (0, 1, 0.0)
    assert heatmap(tmp_path / "n", team="no such team").sessions == 0


def test_the_cells_add_up_to_the_catalogs_figures(tmp_path):
    """The same definition as the catalog's metric: its numerator and denominator."""
    shop = metrics(tmp_path / "m", CHAT, by="shop")["shop"]
    h = heatmap(tmp_path / "h")
    assert (shop["sessions"], shop["reply_3min_rate_num"], shop["reply_3min_rate_den"]) == (
        h.sessions, h.rounds_in_time, h.rounds) == (3, 2, 4)
    team = metrics(tmp_path / "mt", CHAT, by="team")["T1"]
    t = heatmap(tmp_path / "ht", team="T1")
    assert (team["reply_3min_rate_num"], team["reply_3min_rate_den"]) == (
        t.rounds_in_time, t.rounds)


def test_the_service_window_of_the_profile_is_the_catalogs(tmp_path):
    # a profile whose service window is 09:00-23:00 leaves S3's 23:58 round out of both
    # the numerator and the denominator: (2 + 0) / 3 rounds, the session still counts
    folder = write_folder(tmp_path / "d", {"agents.csv": AGENTS, **CHAT})
    profile = resolve("generic", {"service_window": "09:00-23:00"})
    h = Shop(data=folder).heatmap(HeatmapQuery(*OCT, profile))
    assert (h.sessions, h.rounds_in_time, h.rounds) == (3, 2, 3)
    assert h.cell(0, 23).sessions == 1 and h.cell(0, 23).reply_3min_rate is None
    shop = metrics(tmp_path / "m", CHAT, by="shop",
                   sets={"service_window": "09:00-23:00"})["shop"]
    assert (shop["reply_3min_rate_num"], shop["reply_3min_rate_den"]) == (2, 3)
