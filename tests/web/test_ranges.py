"""Weeks and ranges of days beside months on the pages of figures (issue #20): the figures
of a week and of a range, worked out by hand; the previous period of the same kind;
downloads of the period asked; links that keep it; a Chinese selector; an agent's own
figures only.

The shop is written by hand (tests/helpers/ranges.py): each chat one round, answered after
the seconds given (3 minutes or more is late).

  2026-W40 (09-28 – 10-04): A1 09-29 30 s, A1 10-02 200 s, A2 10-03 40 s
  2026-W41 (10-05 – 10-11): A1 10-05 20 s, A1 10-06 20 s, A1 10-11 100 s,
                            A2 10-07 300 s, B1 10-10 60 s
  2026-W42 (10-12 – 10-18): A2 10-12 50 s, B1 10-15 250 s
  (A1 and A2 pre-sale agents of T1, B1 after-sale of T2)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers.exports import csv_rows, file_names, html_table, workbook
from tests.helpers.ranges import PREVIOUS_WEEK, WEEK, three_week_shop
from tests.helpers.web import small_shop_clients

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

RANGE = "from=2026-10-03&to=2026-10-07"  # 5 days; the 5 before: 09-28 – 10-02


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return three_week_shop(tmp_path_factory.mktemp("ranges-ws"))


@pytest.fixture
def client(shop: Path, tmp_path: Path) -> Iterator[Callable[[str], TestClient]]:
    """Clients of an app on the shop, logged in as a manager (mgr), agent A1 (a001) or a
    Chinese manager (a004)."""
    with small_shop_clients(shop, tmp_path / "app.sqlite") as client_of:
        yield client_of


def _card(html: str, key: str) -> tuple[str, str]:
    """The overview's KPI card of a metric: (its figure, its change as shown)."""
    card = html.split(f'data-metric="{key}">', 1)[1].split('<div class="kpi', 1)[0]
    value = re.search(r'<div class="value">([^<]*)</div>', card)
    change = re.search(r'<span class="change (\w+)"[^>]*>([^<]*)</span>', card)
    assert value is not None
    return value.group(1), (f"{change.group(1)} {change.group(2)}" if change else "")


def _column(headers: list[str], rows: list[list[str]], header: str) -> dict[str, str]:
    """agent id -> the cell of ``header`` (the first column holds the agent's id)."""
    at = headers.index(header)
    return {row[0]: row[at] for row in rows}


def test_a_week_s_overview_counts_its_days_and_compares_with_the_week_before(
        client: Callable[[str], TestClient]) -> None:
    html = client("mgr").get(f"/overview?week={WEEK}").text
    assert "<title>Overview · 2026-W41 (10-05 – 10-11) · cskpi</title>" in html
    # sessions: A1 3 + A2 1 + B1 1 = 5; the week before A1 2 + A2 1 = 3: ▲ 2, 2/3 = +66.7%
    assert _card(html, "sessions") == ("5", "neutral ▲ 2 (+66.7%)")
    # in time: A1's 20, 20, 100 s and B1's 60 s, not A2's 300 s: 4/5 = 80%; the week
    # before 30 and 40 s of 30, 200, 40: 2/3 = 66.67%; 80 - 66.67 = ▲ 13.33 points
    assert _card(html, "reply_3min_rate") == ("80%", "better ▲ 13.33 pt")
    # response time (20 + 20 + 100 + 300 + 60) / 5 = 100 s = 1:40; before (30 + 200 + 40)
    # / 3 = 90 s: ▲ 10 s, 10/90 = +11.1%, and slower is worse
    assert _card(html, "response_s") == ("1:40", "worse ▲ 0:10 (+11.1%)")
    assert 'id="compare-note"' in html and "2026-W40 (09-28 – 10-04)" in html
    headers, rows = html_table(html, "agents")
    # each agent beside the week before: A1 2 -> 3, A2 1 -> 1, B1 none in W40
    assert _column(headers, rows, "Sessions") == {"A1": "3 ▲ 1", "A2": "1 = 0",
                                                  "B1": "1 no previous data"}
    # links keep the week: a figure's drill-down; a scorecard (months only) its month
    assert f'href="/agents/A1/metrics/sessions?week={WEEK}"' in html
    assert 'href="/agents/A1/scorecard?period=2026-10"' in html
    assert 'id="monthly-note"' in html and 'id="trend-months"' in html
    assert 'id="period-open"' not in html  # 10-11 is long past


def test_a_range_of_days_compares_with_as_many_days_before(
        client: Callable[[str], TestClient]) -> None:
    html = client("mgr").get(f"/overview?{RANGE}").text
    assert "<title>Overview · 2026-10-03 – 2026-10-07 · cskpi</title>" in html
    # 10-03 – 10-07: A2 40 s, A1 20 s, A1 20 s, A2 300 s; the 5 days before (09-28 –
    # 10-02): A1 30 s and 200 s
    assert _card(html, "sessions") == ("4", "neutral ▲ 2 (+100%)")  # 2 -> 4: +2/2
    assert _card(html, "reply_3min_rate") == ("75%", "better ▲ 25 pt")  # 3/4 vs 1/2
    # (40 + 20 + 20 + 300) / 4 = 95 s; before (30 + 200) / 2 = 115 s: ▼ 20 s, 20/115 =
    # -17.4%, and faster is better
    assert _card(html, "response_s") == ("1:35", "better ▼ 0:20 (-17.4%)")
    assert "2026-09-28 – 2026-10-02" in html  # the previous period, named
    headers, rows = html_table(html, "agents")
    # A1 2 against 2 (09-29, 10-02); A2 and B1 had no chat in the 5 days before
    assert _column(headers, rows, "Sessions") == {"A1": "2 = 0", "A2": "2 no previous data",
                                                  "B1": "0 no previous data"}


def test_the_leaderboard_of_a_week_ranks_and_compares_with_the_week_before(
        client: Callable[[str], TestClient]) -> None:
    html = client("mgr").get(f"/leaderboard?week={WEEK}&sort=response_s").text
    assert "<title>Leaderboard · 2026-W41 (10-05 – 10-11) · cskpi</title>" in html
    headers, rows = html_table(html, "leaderboard-presale")
    at = headers.index("Average response time ▲")
    # A1 (20 + 20 + 100) / 3 = 46.67 s = 0:47, first; A2 300 s = 5:00.  The week before:
    # A2 40 s first, A1 (30 + 200) / 2 = 115 s second: A1 up one place, A2 down one
    assert [(r[1], r[0], r[at]) for r in rows] == [
        ("A1", "1 ▲ 1", "0:47 n=3 ⚠ ▼ 1:08"),  # 115 - 46.67 = 68.33 s = ▼ 1:08
        ("A2", "2 ▼ 1", "5:00 n=1 ⚠ ▲ 4:20")]  # 300 - 40 = 260 s = ▲ 4:20 (⚠: n < 30)
    a1 = html.split('id="leaderboard-presale"', 1)[1].split(">A1</a>", 1)[1].split("</tr>")[0]
    assert ("better", "▼ 1:08") in re.findall(r'<span class="change (\w+)"[^>]*>([^<]*)</span>',
                                             a1)
    # sorting keeps the week
    assert f'href="?week={WEEK}&amp;sort=agent_id&amp;order=asc"' in html


def test_a_range_s_leaderboard_has_no_previous_figure_for_an_agent_without_one(
        client: Callable[[str], TestClient]) -> None:
    html = client("mgr").get(f"/leaderboard?{RANGE}&sort=response_s").text
    headers, rows = html_table(html, "leaderboard-presale")
    at = headers.index("Average response time ▲")
    # A1: 20 s (two chats) against (30 + 200) / 2 = 115 s: ▼ 1:35; A2's 170 s = (40 + 300)
    # / 2 has nothing before (A2 had no chat 09-28 – 10-02): no change beside it
    assert [(r[1], r[at]) for r in rows] == [("A1", "0:20 n=2 ⚠ ▼ 1:35"),
                                             ("A2", "2:50 n=2 ⚠")]


def test_downloads_hold_the_period_asked_for(client: Callable[[str], TestClient]) -> None:
    mgr = client("mgr")
    got = mgr.get(f"/overview?week={WEEK}&format=csv&table=agents")
    assert got.status_code == 200
    header, *rows = csv_rows(got.content)
    sessions = header.index("Sessions")
    assert {r[0]: r[sessions] for r in rows} == {"A1": "3", "A2": "1", "B1": "1"}
    ascii_name, name = file_names(got.headers["content-disposition"])
    assert "2026-W41" in ascii_name and "2026-W41 (10-05 – 10-11)" in name
    # the page's download links ask for the same week
    page = mgr.get(f"/overview?week={WEEK}").text
    assert f'href="?week={WEEK}&amp;format=csv&amp;table=agents"' in page
    # a range's leaderboard as Excel: A1 and A2 with 2 sessions each (10-03 – 10-07)
    book = workbook(mgr.get(f"/leaderboard?{RANGE}&format=xlsx").content)
    sheet = next(ws for ws in book.worksheets if "presale" in ws.title.lower()
                 or "pre-sale" in ws.title.lower())
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    head = next(r for r in values if "Sessions" in r)
    counts = {r[head.index("Agent")]: r[head.index("Sessions")] for r in values
              if r is not head and r[head.index("Agent")] in ("A1", "A2")}
    assert counts == {"A1": 2, "A2": 2}


def test_an_agent_with_a_week_sees_their_own_figures_only(
        client: Callable[[str], TestClient]) -> None:
    agent = client("a001")
    api = agent.get(f"/api/v1/metrics?week={WEEK}").json()
    assert (api["period"], api["kind"], api["first"], api["last"]) == (
        WEEK, "week", "2026-10-05", "2026-10-11")
    assert [(r["agent_id"], r["sessions"]) for r in api["rows"]] == [("A1", 3)]
    heat = agent.get(f"/heatmap?week={WEEK}")
    assert heat.status_code == 200
    # A1's 3 sessions of the week, not the shop's 5
    assert 'id="heatmap-totals" data-sessions="3"' in heat.text
    assert agent.get(f"/heatmap?week={WEEK}&agent=A2").status_code == 403
    assert agent.get(f"/agents/A2/metrics/sessions?{RANGE}").status_code == 403
    drill = agent.get(f"/agents/A1/metrics/sessions?{RANGE}").text
    assert 'data-total="2"' in drill  # 10-05 and 10-06
    assert agent.get(f"/overview?week={WEEK}").status_code == 403
    assert agent.get(f"/api/v1/metrics?week={WEEK}&by=shop").status_code == 403


def test_the_chinese_selector_and_title(client: Callable[[str], TestClient]) -> None:
    html = client("a004").get(f"/overview?week={WEEK}").text
    assert "<title>总览 · 2026年第41周（10-05 – 10-11） · cskpi</title>" in html
    choice = html.split('id="period-choice"', 1)[1].split("</div>", 1)[0]
    # every word read is Chinese: labels, buttons, hints, the period shown; the inputs'
    # values and bounds are ISO dates and weeks, data, not words
    read = re.sub(r"<[^>]*>", " ", choice)
    hints = re.findall(r'placeholder="([^"]*)"', choice)
    assert re.findall(r"[A-Za-z]+", read + " ".join(h.replace("W45", "") for h in hints)) == []
    assert "周" in read and "从" in read and "至" in read and "查看" in read
    assert f'name="week" value="{WEEK}"' in choice
    assert "与2026年第40周（09-28 – 10-04）相比" in html


def test_this_week_without_data_says_there_is_none(
        client: Callable[[str], TestClient]) -> None:
    from cskpi.web.params import today

    now = today("Asia/Shanghai")
    year, week, _ = now.isocalendar()
    html = client("mgr").get(f"/overview?week={year}-W{week:02d}")
    # this week has no chat of the shop: "no data", with the selector and the note
    assert html.status_code == 200 and 'id="no-data"' in html.text
    assert f'data-period="{year}-W{week:02d}"' in html.text
    assert "There is no data for" in html.text


def test_a_period_with_days_after_today_is_answered_and_says_it_is_not_over(
        client: Callable[[str], TestClient], monkeypatch: pytest.MonkeyPatch) -> None:
    """As if today were Thursday 2026-10-08 in the shop's time zone."""
    import datetime as dt

    import cskpi.web.params
    import cskpi.web.templating

    thursday = dt.date(2026, 10, 8)
    for module in (cskpi.web.params, cskpi.web.templating):
        monkeypatch.setattr(module, "today", lambda tz=None: thursday)
    mgr = client("mgr")
    html = mgr.get(f"/overview?week={WEEK}").text
    # its figures so far are the week's (10-09 – 10-11 hold none yet in a real shop)
    assert 'id="period-open"' in html
    assert "2026-W41 (10-05 – 10-11) is not over yet" in html
    assert 'id="period-open"' not in mgr.get(f"/overview?week={PREVIOUS_WEEK}").text
    # the month too, on the pages of figures
    assert "October 2026 is not over yet" in mgr.get("/leaderboard?period=2026-10").text
    # a range may end after today; one that begins after it is refused
    assert 'id="period-open"' in mgr.get("/overview?from=2026-10-01&to=2026-10-20").text
    refused = mgr.get("/api/v1/metrics?week=2026-W42").json()["error"]
    assert refused["details"][0]["type"] == "period_future"
    assert refused["message"].startswith("2026-W42 begins after today (2026-10-08)")


def test_cached_pages_of_a_month_a_week_and_days_are_each_their_own(
        client: Callable[[str], TestClient]) -> None:
    mgr = client("mgr")
    # the same page asked three ways, twice each: each its own figures (the page cache
    # is keyed by the period's key), the second answer the same as the first
    answers = {}
    for query in ("period=2026-10", f"week={WEEK}", RANGE, "from=2026-10-05&to=2026-10-06"):
        first = _card(mgr.get(f"/overview?{query}").text, "sessions")
        assert _card(mgr.get(f"/overview?{query}").text, "sessions") == first
        answers[query] = first[0]
    # October: A1 10-02, 10-05, 10-06, 10-11; A2 10-03, 10-07, 10-12; B1 10-10, 10-15 = 9;
    # 10-05 – 10-06 (begins with the week): A1's two
    assert answers == {"period=2026-10": "9", f"week={WEEK}": "5", RANGE: "4",
                       "from=2026-10-05&to=2026-10-06": "2"}


def test_the_previous_week_is_the_iso_week_before(client: Callable[[str], TestClient]) -> None:
    html = client("mgr").get(f"/overview?week={PREVIOUS_WEEK}").text
    # W40 against W39 (09-21 – 09-27), which has no chat: nothing to compare with
    assert "2026-W39 (09-21 – 09-27)" in html
    assert _card(html, "sessions") == ("3", "none no previous data")


def test_a_relabel_comes_back_to_the_week_it_was_made_in(
        client_for: Callable[[str], TestClient]) -> None:
    """On the demo shop (the lost inquiries need its orders): 2026-W40 is 09-28 – 10-04."""
    from tests.helpers.web import form_token

    mgr = client_for("mgr")
    lost = mgr.get("/agents/A001/lost?week=2026-W40").text
    session = re.findall(r'<tr data-session="([^"]+)"', lost)[0]  # a lost inquiry of W40
    assert f'href="/funnel/sessions/{session}?week=2026-W40"' in lost  # the link keeps it
    page = mgr.get(f"/funnel/sessions/{session}?week=2026-W40").text
    # the transcript's form posts to the week; its month field is the month the week
    # ends in (it begins in September)
    assert 'action="/funnel/relabel?week=2026-W40"' in page
    assert 'name="period" value="2026-10"' in page
    done = mgr.post("/funnel/relabel?week=2026-W40", follow_redirects=False, data={
        "csrf_token": form_token(page), "session_id": session, "period": "2026-10",
        "reason": "price"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/funnel/sessions/{session}?week=2026-W40&saved=1"
