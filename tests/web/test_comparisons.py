"""The previous month beside every figure: the overview's KPI cards, the leaderboard (each
figure and each place) and the scorecard (the score and each item's points), ▲/▼ with the
change, better or worse by the metric's direction, "no previous data" when there is
nothing to compare with; and the leaderboard's agent search.

The shop is written by hand (tests/helpers/comparisons.py): two months, each chat one
round answered after the seconds given.

  September: A1 three chats of 55 s; A2 one of 235 s;              B1 one of 10 s.
  October:   A1 two chats of 20 s;  A2 three of 60, 60 and 300 s; B1 one of 20 s.
  (A1 and A2 are pre-sale in team T1, B1 after-sale in team T2; August has no data.)
  B1's events: one praise (+2) in September; two praises and a complaint (-8) in October.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cskpi.locale import catalog
from tests.helpers.comparisons import two_month_shop
from tests.helpers.exports import html_table
from tests.helpers.web import small_shop_clients

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return two_month_shop(tmp_path_factory.mktemp("compare-ws"))


@pytest.fixture
def client(shop: Path, tmp_path: Path) -> Iterator[Callable[[str], TestClient]]:
    """Clients of an app on the shop, logged in as a manager (mgr), agent A1 (a001) or a
    Chinese manager (a004)."""
    with small_shop_clients(shop, tmp_path / "app.sqlite") as client_of:
        yield client_of


def _card(html: str, key: str) -> str:
    """The overview's KPI card of a metric."""
    return html.split(f'data-metric="{key}">', 1)[1].split('<div class="kpi', 1)[0]


def _change(fragment: str) -> tuple[str, str]:
    """The (tone, text) of the first change shown in an HTML fragment."""
    match = re.search(r'<span class="change (\w+)"[^>]*>([^<]*)</span>', fragment)
    assert match, fragment
    return match.group(1), match.group(2)


def test_kpi_cards_compare_with_the_previous_month(client: Callable[[str], TestClient]) -> None:
    html = client("mgr").get("/overview?period=2026-10").text
    # sessions: 5 in September (3 + 1 + 1), 6 in October (2 + 3 + 1): ▲ 1, relatively
    # 1 / 5 = +20%; the catalog calls more sessions neither better nor worse (neutral)
    assert _change(_card(html, "sessions")) == ("neutral", "▲ 1 (+20%)")
    # replies within 3 min: September 4 of 5 (A2's 235 s is late) = 80 %; October 5 of 6
    # (A2's 300 s is late) = 83.33 %: 5/6 - 4/5 = 1/30 = ▲ 3.33 percentage points
    assert _change(_card(html, "reply_3min_rate")) == ("better", "▲ 3.33 pt")
    # response time: September (3 × 55 + 235 + 10) / 5 = 410 / 5 = 82 s, October
    # (2 × 20 + 60 + 60 + 300 + 20) / 6 = 480 / 6 = 80 s: ▼ 2 s, 2 / 82 = -2.4%; a fall
    # is better
    assert _change(_card(html, "response_s")) == ("better", "▼ 0:02 (-2.4%)")
    # satisfaction: no ratings in either month, so no figure and no change at all
    assert 'class="change' not in _card(html, "satisfaction")
    assert 'id="compare-note"' in html


def test_a_worse_lower_is_better_figure_is_marked_worse(
        client: Callable[[str], TestClient]) -> None:
    html = client("mgr").get("/leaderboard?period=2026-10&sort=response_s").text
    _, rows = html_table(html, "leaderboard-presale")
    a2 = next(r for r in rows if r[1] == "A2")
    # A2's response time: 235 s in September, (60 + 60 + 300) / 3 = 140 s in October:
    # ▼ 95 s = 1:35, better; A1's 55 s -> 20 s is ▼ 0:35, better too
    assert "▼ 1:35" in " ".join(a2)
    cells = html.split('id="leaderboard-presale"', 1)[1]
    a2_row = cells.split(">A2</a>", 1)[1].split("</tr>", 1)[0]
    assert ("better", "▼ 1:35") in re.findall(
        r'<span class="change (\w+)"[^>]*>([^<]*)</span>', a2_row)
    # A2's replies within 3 min: 0 of 1 -> 2 of 3 = 66.67 %: ▲ 66.67 pt
    assert ("better", "▲ 66.67 pt") in re.findall(
        r'<span class="change (\w+)"[^>]*>([^<]*)</span>', a2_row)
    # A1's sessions fell (3 -> 2): ▼ 1, neither better nor worse
    a1_row = cells.split(">A1</a>", 1)[1].split("</tr>", 1)[0]
    assert ("neutral", "▼ 1") in re.findall(r'<span class="change (\w+)"[^>]*>([^<]*)</span>',
                                          a1_row)
    # B1's response time rose from 10 s to 20 s: ▲ 0:10, and a rise is worse
    board = client("mgr").get("/leaderboard?period=2026-10").text
    b1_row = board.split(">B1</a>", 1)[1].split("</tr>", 1)[0]
    assert ("worse", "▲ 0:10") in re.findall(
        r'<span class="change (\w+)"[^>]*>([^<]*)</span>', b1_row)


def test_the_leaderboard_shows_each_place_beside_last_months(
        client: Callable[[str], TestClient]) -> None:
    html = client("mgr").get("/leaderboard?period=2026-10&sort=sessions").text
    _, rows = html_table(html, "leaderboard-presale")
    # by sessions: September A1 3 (1st), A2 1 (2nd); October A2 3 (1st), A1 2 (2nd)
    assert [(r[0], r[1]) for r in rows] == [("1 ▲ 1", "A2"), ("2 ▼ 1", "A1")]


def test_the_first_month_says_no_previous_data(client: Callable[[str], TestClient]) -> None:
    """August has no data: September's figures are compared with nothing, not with 0."""
    mgr = client("mgr")
    overview = mgr.get("/overview?period=2026-09").text
    assert _change(_card(overview, "sessions")) == ("none", "no previous data")
    assert "▲" not in overview.split('id="kpis"')[1].split("</section>")[0]
    board = mgr.get("/leaderboard?period=2026-09&sort=sessions").text
    assert 'id="no-previous"' in board and 'class="change' not in board
    _, rows = html_table(board, "leaderboard-presale")
    assert [r[0] for r in rows] == ["1", "2"]


def test_the_scorecard_compares_the_score_and_each_item(
        client: Callable[[str], TestClient]) -> None:
    html = client("a001").get("/agents/A1/scorecard?period=2026-10").text
    # presale-standard's response item: linear from 90 s (0 points) to 20 s (20 points);
    # September 55 s -> 20 × (90 - 55) / 70 = 10, October 20 s -> 20: ▲ 10.  The other
    # items score alike in both months (no orders: conversion 0, sales target 0; no
    # ratings: satisfaction's neutral 10), so the score also rises by 10 (20 -> 30)
    score = html.split('id="score-change">', 1)[1]
    assert _change(score) == ("better", "▲ 10")
    _, items = html_table(html, "card-items")
    points = {r[0]: r[3] for r in items}
    # an English page names the shop's Chinese items with their metrics' English labels
    assert points["平均响应时长 (Average response time)"] == "20 ▲ 10"
    assert points["询单转化率 (Inquiry conversion rate)"] == "0 = 0"
    first = client("a001").get("/agents/A1/scorecard?period=2026-09").text
    assert _change(first.split('id="score-change">', 1)[1]) == ("none", "no previous data")


def _changes(fragment: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="change (\w+)"[^>]*>([^<]*)</span>', fragment)


def test_the_overview_s_team_and_agent_tables_compare_with_the_previous_month(
        client: Callable[[str], TestClient]) -> None:
    html = client("mgr").get("/overview?period=2026-10").text
    teams = html.split('id="teams"', 1)[1].split("</table>", 1)[0]
    t1 = teams.split("<td>T1</td>", 1)[1].split("</tr>", 1)[0]
    # T1 (A1, A2): sessions 3 + 1 = 4 in September, 2 + 3 = 5 in October: ▲ 1, neutral
    # response time (3 × 55 + 235) / 4 = 400 / 4 = 100 s -> (2 × 20 + 60 + 60 + 300) / 5
    # = 460 / 5 = 92 s: ▼ 0:08, better; replies within 3 min 3 of 4 = 75 % -> 4 of 5 =
    # 80 % (235 s and 300 s are late): ▲ 5 pt, better
    assert {("neutral", "▲ 1"), ("better", "▼ 0:08"), ("better", "▲ 5 pt")} <= set(
        _changes(t1))
    # T2 (B1): response 10 s -> 20 s: ▲ 0:10, worse
    t2 = teams.split("<td>T2</td>", 1)[1].split("</tr>", 1)[0]
    assert ("worse", "▲ 0:10") in _changes(t2)
    agents = html.split('id="agents"', 1)[1].split("</table>", 1)[0]
    a2 = agents.split(">A2</a>", 1)[1].split("</tr>", 1)[0]
    # A2: 235 s -> (60 + 60 + 300) / 3 = 140 s: ▼ 1:35, better; replies 0 of 1 -> 2 of 3
    # = 66.67 %: ▲ 66.67 pt
    assert {("better", "▼ 1:35"), ("better", "▲ 66.67 pt")} <= set(_changes(a2))
    # September has no month before it: no change in either table
    first = client("mgr").get("/overview?period=2026-09").text
    tables = first.split('id="teams"', 1)[1]
    assert 'class="change' not in tables


def test_the_scorecard_compares_each_event_kind_s_points(
        client: Callable[[str], TestClient]) -> None:
    html = client("mgr").get("/agents/B1/scorecard?period=2026-10").text
    rows = dict(re.findall(r'<tr class="adj" data-event="(\w+)">(.*?)</tr>', html, re.S))
    # praise +2 each: 1 in September (2 points), 2 in October (4 points): ▲ 2, better
    assert _changes(rows["praise"]) == [("better", "▲ 2")]
    assert "Adjustment: praise" in rows["praise"] and "2 <span" in rows["praise"]
    assert "(last month: 1)" in rows["praise"]
    # no complaint in September (0 points), one of -8 in October: ▼ 8, worse
    assert _changes(rows["complaint"]) == [("worse", "▼ 8")]
    assert "(last month: 0)" in rows["complaint"]
    zh = client("a004").get("/agents/B1/scorecard?period=2026-10").text
    praise = zh.split('data-event="praise">', 1)[1].split("</tr>", 1)[0]
    assert "（上月 1）" in praise and "客户表扬" in praise and "praise" not in praise
    first = client("mgr").get("/agents/B1/scorecard?period=2026-09").text
    september = first.split('data-event="praise">', 1)[1].split("</tr>", 1)[0]
    assert _changes(september) == [("none", "no previous data")]
    assert "last month" not in september


def test_an_agent_search_narrows_the_leaderboard(client: Callable[[str], TestClient]) -> None:
    mgr = client("mgr")
    html = mgr.get("/leaderboard?period=2026-10&sort=sessions&q=bob").text
    _, rows = html_table(html, "leaderboard-presale")
    # "bob" is in A2's name (Bob Li) only, case-insensitively; A2 keeps its place (1st)
    assert [(r[0].split()[0], r[1]) for r in rows] == [("1", "A2")]
    assert 'id="leaderboard-aftersale"' not in html  # no after-sale agent matches
    by_id = mgr.get("/leaderboard?period=2026-10&sort=sessions&q=a1").text
    _, rows = html_table(by_id, "leaderboard-presale")
    assert [(r[0].split()[0], r[1]) for r in rows] == [("2", "A1")]
    none = mgr.get("/leaderboard?period=2026-10&q=zzz").text
    assert 'id="search-none"' in none and "leaderboard-presale" not in none
    assert mgr.get("/leaderboard?q=" + "x" * 65).status_code == 422  # bounded


def test_a_search_downloads_only_its_rows(client: Callable[[str], TestClient]) -> None:
    got = client("mgr").get("/leaderboard?period=2026-10&sort=sessions&q=bob&format=csv"
                            "&table=leaderboard-presale")
    assert got.status_code == 200
    lines = got.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("1,A2,")


def test_zh_pages_show_no_english_phrase_of_the_comparisons(
        client: Callable[[str], TestClient]) -> None:
    zh = client("a004")
    pages = [zh.get(p).text for p in (
        "/overview?period=2026-10", "/overview?period=2026-09",
        "/leaderboard?period=2026-10&q=zzz", "/leaderboard?period=2026-09",
        "/agents/A1/scorecard?period=2026-10", "/agents/A1/scorecard?period=2026-09",
        "/agents/B1/scorecard?period=2026-10", "/agents/B1/scorecard?period=2026-09")]
    english = {k: v for k, v in catalog("en").items()
               if k.startswith(("web.compare.", "web.change.", "web.gaps."))}
    for html in pages:
        for key, text in english.items():
            phrase = re.split(r"\{\w+\}", text)[0].strip()
            if re.search(r"[A-Za-z]{3}", phrase):
                assert phrase not in html, key
    assert "无上月数据" in pages[1]
    assert 'title="优于2026年9月：原为 80%"' in _card(pages[0], "reply_3min_rate")
