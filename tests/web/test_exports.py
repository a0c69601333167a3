"""Every table of the pages downloads as CSV and Excel: exactly the page's rows, its
columns (a figure's ``n`` as a column of its own), numbers as numbers, headers and file
names in the reader's language, and only what the reader may see."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from cskpi.locale import Translator
from tests.helpers.exports import csv_rows, file_names, html_table, workbook
from tests.helpers.web import PERIOD

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from cskpi.web.services.gateway import DataGateway

# (page, table id, the column that names a row on the page and in the file)
TABLES = [
    ("/overview", "trend-table", 0, 0), ("/overview", "teams", 0, 0),
    ("/overview", "agents", 0, 0),
    ("/leaderboard", "leaderboard-presale", 1, 1), ("/leaderboard", "leaderboard-aftersale", 1, 1),
    ("/leaderboard", "leaderboard-lead", 1, 1),
    ("/leaderboard?team=presale-1&sort=sales&order=asc", "leaderboard-presale", 1, 1),
    ("/agents/A001/scorecard", "card-items", 0, 0), ("/agents/A001/scorecard", "peers", 0, 0),
    ("/agents/A001/scorecard", "card-pay", 0, 0), ("/agents/A001/scorecard", "trend-table", 0, 0),
    ("/agents/A004/scorecard", "card-items", 0, 0),
    ("/agents/A001/metrics/satisfaction", "rows", 0, 0),
    ("/funnel", "funnel-shop", 0, 0), ("/funnel", "funnel-team", 0, 0),
    ("/funnel", "funnel-agent", 0, 0), ("/funnel", "reasons", 0, 0),
    ("/funnel", "curve-duration", 0, 0), ("/funnel", "curve-rounds", 0, 0),
    ("/funnel", "reminders", 0, 0),
    ("/agents/A001/lost", "lost", 0, 0),
    ("/heatmap", "heatmap-sessions", 0, 0), ("/heatmap?team=aftersale-1", "heatmap-reply", 0, 0),
    ("/reviews", "ratings", 2, 2),
]


def _with(path: str, **params: str) -> str:
    return path + ("&" if "?" in path else "?") + "&".join(f"{k}={v}" for k, v in params.items())


def _header_shown(header: str, exported: list[str]) -> bool:
    """A page's column header is in the file: as it is, or with the unit its plain numbers
    are in (``Replies within 3 min (fraction, 0-1)``), or split (``95 % interval, from``)."""
    header = header.replace("▼", "").replace("▲", "").strip()
    return not header or any(e == header or e.startswith(header) for e in exported)


@pytest.mark.parametrize(("path", "table_id", "page_col", "file_col"), TABLES,
                         ids=[f"{p}#{t}" for p, t, _, _ in TABLES])
def test_a_table_downloads_as_the_page_shows_it(client_for: Callable[..., TestClient],
                                                path: str, table_id: str, page_col: int,
                                                file_col: int) -> None:
    client = client_for("mgr")
    page = client.get(path)
    assert page.status_code == 200
    headers, rows = html_table(page.text, table_id)
    assert f'data-table="{table_id}"' in page.text  # the page offers the download
    got = client.get(_with(path, format="csv", table=table_id))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    exported = csv_rows(got.content)
    assert len(exported) == len(rows) + 1  # the header, then exactly the page's rows
    assert [h for h in headers if not _header_shown(h, exported[0])] == []
    # row by row, the same rows in the same order (the page may show more in the cell:
    # "A001 罗伟", a relabelled reason)
    assert [(r[file_col], cells[page_col]) for r, cells in zip(exported[1:], rows, strict=True)
            if r[file_col] not in cells[page_col]] == []
    book = workbook(client.get(_with(path, format="xlsx", table=table_id)).content)
    assert len(book.worksheets) == 1 and book.worksheets[0].max_row == len(rows) + 1


def test_the_kpi_cards_download_one_row_each(client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    page = client.get("/overview").text
    cards = page.split('<section class="kpis" id="kpis">')[1].split("</section>")[0]
    rows = csv_rows(client.get("/overview?format=csv&table=kpis").content)
    assert len(rows) - 1 == cards.count('<div class="kpi') > 5
    labels = [r[0] for r in rows[1:]]
    assert labels[:3] == ["Sessions", "Customers served", "First response time"]


def test_figures_are_the_cores_as_numbers(client_for: Callable[..., TestClient],
                                          gateway: DataGateway) -> None:
    """The file holds the figures the page shows, exactly: the core's rows."""
    client = client_for("mgr")
    core_rows = {r["agent_id"]: r for r in gateway.metrics(PERIOD, "agent")}
    rows = csv_rows(client.get("/overview?format=csv&table=agents").content)
    head = rows[0]
    a001 = dict(zip(head, next(r for r in rows if r[0] == "A001"), strict=True))
    want = core_rows["A001"]
    assert int(a001["Sessions"]) == want["sessions"]
    assert float(a001["Replies within 3 min (fraction, 0-1)"]) == want["reply_3min_rate"]
    assert int(a001["Replies within 3 min: n"]) == want["reply_3min_rate_den"]
    assert float(a001["First response time (seconds)"]) == want["first_response_s"]
    ws = workbook(client.get("/overview?format=xlsx&table=agents").content).worksheets[0]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "A001")
    cell = dict(zip(header, row, strict=True))
    assert (cell["Sessions"].value, cell["Sessions"].data_type) == (want["sessions"], "n")
    rate = cell["Replies within 3 min"]
    assert (rate.value, rate.number_format) == (pytest.approx(want["reply_3min_rate"]), "0.00%")
    assert cell["Sales"].value == pytest.approx(float(want["sales"]))
    assert cell["Sales"].number_format == "#,##0.00"
    assert cell["First response time"].number_format == "[m]:ss"
    assert cell["First response time"].value.total_seconds() == pytest.approx(
        want["first_response_s"], abs=1e-3)


def test_a_drill_down_downloads_every_row_behind_the_figure(
        client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    path = f"/agents/A005/metrics/reply_3min_rate?period={PERIOD}"
    page = client.get(path).text
    total = int(page.split('id="row-count" data-total="')[1].split('"')[0])
    _, shown = html_table(page, "rows")
    assert total > len(shown) == 200  # the page shows 200 a page
    rows = csv_rows(client.get(_with(path, format="csv", table="rows")).content)
    assert len(rows) - 1 == total
    second = client.get(_with(path, page="2")).text  # the same file from any page
    assert 'format=csv&amp;table=rows' in second and "page=2&amp;format" not in second


def test_an_agent_downloads_in_chinese(client_for: Callable[..., TestClient]) -> None:
    """A004 reads Chinese: headers, values' words and the file name are Chinese."""
    zh = Translator("zh_CN")
    got = client_for("a004").get(f"/agents/A004/scorecard?period={PERIOD}&format=csv"
                                 "&table=card-pay")
    assert got.status_code == 200
    rows = csv_rows(got.content)
    assert rows[0] == [zh("web.export.col.part"), zh("web.scorecard.rule"),
                       zh("web.export.unit.money", header=zh("web.export.col.amount"))]
    assert rows[1][0] == zh("web.pay.base") and rows[-1][0] == zh("web.pay.total")
    ascii_name, name = file_names(got.headers["content-disposition"])
    assert name == f"{zh('web.scorecard.title')} A004 2026年10月 - {zh('web.pay.title')}.csv"
    assert ascii_name == "scorecard-A004-2026-10-card-pay.csv"
    # the whole page as one workbook, a sheet per table, named in Chinese
    book = workbook(client_for("a004").get(f"/agents/A004/scorecard?period={PERIOD}"
                                           "&format=xlsx").content)
    assert book.sheetnames[0] == zh("web.scorecard.items")


def test_an_agent_exports_only_their_own(client_for: Callable[..., TestClient],
                                         gateway: DataGateway) -> None:
    a001 = client_for("a001")
    rows = csv_rows(a001.get("/reviews?format=csv&table=ratings").content)
    agent = rows[0].index("Agent")
    assert rows[1:] and {r[agent] for r in rows[1:]} == {"A001"}
    sessions = csv_rows(a001.get("/heatmap?format=csv&table=heatmap-sessions").content)
    mine = next(r for r in gateway.metrics(PERIOD, "agent") if r["agent_id"] == "A001")
    assert sum(int(v) for r in sessions[1:] for v in r[1:]) == mine["sessions"]
    assert a001.get("/leaderboard?format=csv&table=leaderboard-presale").status_code == 403


def test_what_cannot_be_downloaded_is_refused(client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    bad = client.get("/overview?format=pdf", headers={"accept": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"]["details"] == {
        "allowed": ["csv", "xlsx"]}
    missing = client.get("/overview?format=csv&table=nope", headers={"accept": "application/json"})
    assert missing.status_code == 404
    assert missing.json()["error"]["details"]["allowed"] == ["kpis", "trend-table", "teams",
                                                             "agents"]
    many = client.get("/funnel?format=csv")  # a CSV file holds one table
    assert many.status_code == 400 and "funnel-shop" in many.text
    assert client.get("/grades?format=csv").status_code == 400  # no table to give
    # one table needs no name; a workbook without one holds every table
    assert client.get("/agents/A001/lost?format=csv").status_code == 200
    book = workbook(client.get("/funnel?format=xlsx").content)
    assert len(book.sheetnames) == 7  # 3 funnels, reasons, 2 curves, reminders


def test_a_month_without_data_says_so_instead(client_for: Callable[..., TestClient]) -> None:
    got = client_for("mgr").get("/overview?period=2026-08&format=csv&table=agents")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/html")
    assert 'id="no-data"' in got.text or "no data" in got.text.lower()


def test_the_lost_list_shows_the_shops_time(client_for: Callable[..., TestClient]) -> None:
    """The core's local times are shown as they are (they were taken for UTC and moved
    8 hours on); the download has the same moment."""
    client = client_for("mgr")
    _, shown = html_table(client.get(f"/agents/A001/lost?period={PERIOD}").text, "lost")
    rows = csv_rows(client.get(f"/agents/A001/lost?period={PERIOD}&format=csv").content)
    asked = rows[1][2]  # 2026-10-05 16:28:30
    assert shown[0][1].endswith(asked[11:16])  # "Oct 5, 2026 16:28"
