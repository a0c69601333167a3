"""The heatmap (sessions and the 3-minute reply rate by weekday and hour), the bad and
neutral reviews list, and the scorecard's team median, in the app."""

from __future__ import annotations

import io
import json
import statistics
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cskpi.shop import Shop
from tests.helpers.common import write_folder
from tests.helpers.exports import csv_rows, html_table, workbook
from tests.helpers.feedback import FEEDBACK_AGENTS, FEEDBACK_FILES
from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, PERIOD, login

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from cskpi.web.services.gateway import DataGateway


def _totals(html: str) -> tuple[int, int, int]:
    tag = html.split('<p id="heatmap-totals"')[1].split(">")[0]
    values = dict(part.split("=") for part in tag.split())
    return tuple(int(values[k].strip('"')) for k in (  # type: ignore[return-value]
        "data-sessions", "data-in-time", "data-rounds"))


def _row(gateway: DataGateway, by: str, key: str, group: str) -> dict[str, Any]:
    return next(r for r in gateway.metrics(PERIOD, by) if r[key] == group)


def test_the_heatmap_adds_up_to_the_months_figures(client_for: Callable[..., TestClient],
                                                   gateway: DataGateway) -> None:
    """The cells are the catalog's sessions and rounds, cut by hour: their totals are the
    overview's figures, for the shop, a team and an agent."""
    client = client_for("mgr")
    for path, (by, key, group) in (("/heatmap", ("shop", "shop", "shop")),
                                   ("/heatmap?team=presale-1", ("team", "team", "presale-1")),
                                   ("/heatmap?agent=A004", ("agent", "agent_id", "A004"))):
        row = _row(gateway, by, key, group)
        html = client.get(path).text
        assert _totals(html) == (row["sessions"], row["reply_3min_rate_num"],
                                 row["reply_3min_rate_den"]), path
        _, cells = html_table(html, "heatmap-sessions")
        assert sum(int(v.replace(",", "")) for r in cells for v in r[1:]) == row["sessions"]


def test_the_heatmap_chart_and_its_language(client_for: Callable[..., TestClient]) -> None:
    html = client_for("a004").get("/heatmap").text  # a004 reads Chinese, sees their own
    spec = json.loads(html.split('<script type="application/json" id="heatmap-reply-chart">')[1]
                      .split("</script>")[0])
    assert spec["type"] == "heatmap" and spec["unit"] == "rate" and spec["max"] == 1
    assert spec["rows"][0] == "星期一" and spec["categories"][0] == "00:00"
    assert len(spec["data"]) == 7 * 24
    headers, rows = html_table(html, "heatmap-reply")
    assert [r[0] for r in rows] == spec["rows"] and headers[1:] == spec["categories"]
    assert 'name="team"' not in html  # an agent has no filter to choose


def test_low_ratings_are_held_against_the_sessions_agent(
        client_for: Callable[..., TestClient], gateway: DataGateway) -> None:
    """The demo shop's 1-3 ratings: per agent, as many 1s and 2s as their dissatisfaction
    counts, and as many 3s as their ratings counted neither satisfied nor dissatisfied."""
    rows = csv_rows(client_for("mgr").get(f"/reviews?period={PERIOD}&format=csv"
                                          "&table=ratings").content)
    agent, score = rows[0].index("Agent"), rows[0].index("Score (1-5)")
    for row in gateway.metrics(PERIOD, "agent"):
        mine = [int(r[score]) for r in rows[1:] if r[agent] == row["agent_id"]]
        assert sum(s <= 2 for s in mine) == row["dissatisfaction_num"], row["agent_id"]
        assert sum(s == 3 for s in mine) == (row["rated_sessions"] - row["satisfaction_num"]
                                             - row["dissatisfaction_num"])
    assert 'id="no-reviews"' in client_for("mgr").get("/reviews").text  # none in the demo


@pytest.fixture(scope="module")
def review_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An app on the small shop of tests/helpers/feedback.py (bad and neutral reviews,
    an agent named like a formula), with a manager and agent A1."""
    from cskpi.web.app import create_app
    from cskpi.web.db.engine import transaction
    from cskpi.web.services.accounts import create_user
    from cskpi.web.settings import make_settings

    root = tmp_path_factory.mktemp("reviews")
    folder = write_folder(root / "data", {"agents.csv": FEEDBACK_AGENTS, **FEEDBACK_FILES})
    Shop(root / "shop.duckdb").import_folder(folder)
    app = create_app(make_settings(root / "shop.duckdb", database_url=f"sqlite:///{root}/a.db",
                                   environ={}, admin_password=ADMIN_PASSWORD, **FAST_ARGON2),
                     out=io.StringIO())
    state = app.state.cskpi
    with transaction(state.sessions) as db:
        create_user(db, state.passwords, username="boss", password="boss-pass-1",
                    role="manager")
        create_user(db, state.passwords, username="a1", password="agent-pass-1",
                    role="agent", agent_id="A1")
    yield app
    state.engine.dispose()


def _client(app: Any, user: str, password: str) -> TestClient:
    from fastapi.testclient import TestClient

    client = TestClient(app)
    assert login(client, user, password).status_code == 303
    return client


def test_bad_and_neutral_reviews_with_the_agent_held_responsible(review_app: Any,
                                                                 tmp_path: Path) -> None:
    boss = _client(review_app, "boss", "boss-pass-1")
    html = boss.get("/reviews?period=2026-10").text
    _, rows = html_table(html, "reviews")
    # oldest first (tests/helpers/feedback.py): O3 on its payment (nobody), O1 (A1, by
    # the order's credit), O2 (B1, named by the review); the good one and November's not
    assert [(r[1], r[2], r[4], r[6]) for r in rows] == [
        ("O3", "Bad", "—", "nobody (a silent order)"), ("O1", "Bad", "A1", "the order's credit"),
        ("O2", "Neutral", "B1", "the review")]
    assert [r[0] for r in rows] == ["Oct 4, 2026 08:10", "Oct 4, 2026 09:00",
                                    "Oct 4, 2026 12:00"]  # the shop's time, as given
    assert rows[1][3] == "太慢了"
    # the low ratings: S1 (A1, 1) and S2 (A2, 3)
    _, ratings = html_table(html, "ratings")
    assert [(r[2], r[4], r[5]) for r in ratings] == [("S1", "1 · very dissatisfied", "A1"),
                                                     ("S2", "3 · neutral", "A2")]
    # a team: T1 is A1 and A2 -> O1 only
    _, team = html_table(boss.get("/reviews?period=2026-10&team=T1").text, "reviews")
    assert [r[1] for r in team] == ["O1"]
    # the agent: their own, whatever they ask
    a1 = _client(review_app, "a1", "agent-pass-1")
    _, mine = html_table(a1.get("/reviews?period=2026-10").text, "reviews")
    assert [r[1] for r in mine] == ["O1"]
    assert a1.get("/reviews?period=2026-10&agent=B1").status_code == 403


def test_review_text_and_names_download_as_text(review_app: Any) -> None:
    """O2's text and A2's name look like formulas: they stay text in both files."""
    boss = _client(review_app, "boss", "boss-pass-1")
    rows = csv_rows(boss.get("/reviews?period=2026-10&format=csv&table=reviews").content)
    assert rows[3][3] == "'" + '=HYPERLINK("http://x")'
    ratings = csv_rows(boss.get("/reviews?period=2026-10&format=csv&table=ratings").content)
    assert ratings[2][6] == "'" + '=HYPERLINK("http://evil","x")'
    book = workbook(boss.get("/reviews?period=2026-10&format=xlsx").content)
    assert book.sheetnames == ["Product reviews", "Low service ratings"]
    text = book.worksheets[0].cell(row=4, column=4)
    assert (text.value, text.data_type) == ('=HYPERLINK("http://x")', "s")
    when = book.worksheets[0].cell(row=2, column=1)
    assert when.is_date and when.value.isoformat() == "2026-10-04T08:10:00"
    name = book.worksheets[1].cell(row=3, column=7)
    assert (name.value, name.data_type) == ('=HYPERLINK("http://evil","x")', "s")
    agents = workbook(boss.get("/overview?period=2026-10&format=xlsx&table=agents").content)
    names = [c.value for c in agents.worksheets[0]["B"]][1:]
    assert names == ["甲", '=HYPERLINK("http://evil","x")', "丙"]
    assert {c.data_type for c in agents.worksheets[0]["B"]} == {"s"}


def test_an_agent_sees_the_teams_median_and_no_colleague(
        client_for: Callable[..., TestClient], gateway: DataGateway) -> None:
    html = client_for("a001").get(f"/agents/A001/scorecard?period={PERIOD}").text
    _, rows = html_table(html, "peers")
    section = html.split('<table class="grid" id="peers">')[1].split("</table>")[0]
    others = {r["agent_id"] for r in gateway.metrics(PERIOD, "agent")} - {"A001"}
    assert [a for a in others if a in section] == []  # no other agent named
    names = {r["name"] for r in gateway.metrics(PERIOD, "agent") if r["agent_id"] != "A001"}
    assert [n for n in names if n and n in section] == []
    # presale-standard scores conversion, response time, satisfaction, sales: each beside
    # the median of presale-1's agents (A001, A002, A003, A006) that have it
    team = [r for r in gateway.metrics(PERIOD, "agent") if r.get("team") == "presale-1"]
    figures = csv_rows(client_for("a001").get(
        f"/agents/A001/scorecard?period={PERIOD}&format=csv&table=peers").content)
    assert [r[0] for r in figures[1:]] == [r[0] for r in rows] == [
        "Inquiry conversion rate", "Average response time", "Satisfaction", "Sales"]
    conversion = [Decimal(str(r["conversion_rate"])) for r in team]
    assert Decimal(figures[1][2]) == statistics.median(conversion)
    assert figures[1][3] == str(len(conversion)) == "4"


def test_long_lists_show_a_page_and_download_whole(review_app: Any,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   request: pytest.FixtureRequest) -> None:
    """A page of each list (2 rows here, 200 in the app): the pages' links keep the
    month and the other list's page; the download holds every row."""
    from cskpi.web.services import activity

    monkeypatch.setattr(activity, "PAGE_ROWS", 2)
    cached = review_app.state.cskpi.data  # pages rendered with 200 rows a page are kept
    cached.clear()
    request.addfinalizer(cached.clear)  # and so would these 2-row ones be
    boss = _client(review_app, "boss", "boss-pass-1")
    html = boss.get("/reviews?period=2026-10&team=T1&ratings_page=1").text
    _, rows = html_table(boss.get("/reviews?period=2026-10").text, "reviews")
    assert [r[1] for r in rows] == ["O3", "O1"]  # rows 1-2 of 3
    second = boss.get("/reviews?period=2026-10&reviews_page=2").text
    _, rows = html_table(second, "reviews")
    assert [r[1] for r in rows] == ["O2"]
    assert "Rows 3–3 of 3" in second and 'href="?period=2026-10&amp;reviews_page=1" rel="prev"' in second
    assert 'data-list="reviews_page"' not in html  # T1 has one review: no pages
    every = csv_rows(boss.get("/reviews?period=2026-10&reviews_page=2&format=csv"
                              "&table=reviews").content)
    assert [r[1] for r in every[1:]] == ["O3", "O1", "O2"]
