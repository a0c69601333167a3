"""The Funnel page: the funnel's figures are the catalog's, the lost reasons add up to the
shop's lost customers, a manager's relabel (audited) moves a customer to another reason,
and an agent sees only their own lost list."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cskpi.lost import LostQuery
from cskpi.months import month_range
from cskpi.shop import Shop
from cskpi.web.db.engine import transaction
from cskpi.web.db.models import AuditEntry, LostLabel
from tests.helpers.web import PERIOD, form_token


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """What these tests check does not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


def _cells(html: str, table: str) -> list[tuple[str, list[str]]]:
    """(data attribute of each row, its cells' text) of a table by id."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-[a-z]+="([^"]*)">(.*?)</tr>', body, re.S)
    return [(key, [re.sub(r"<[^>]+>", "", c).strip()
                   for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)])
            for key, cells in rows]


def test_the_funnel_shows_the_catalogs_figures(client_for: Callable[..., TestClient],
                                               workspace: Path) -> None:
    html = client_for("mgr").get(f"/funnel?period={PERIOD}").text
    [(_, cells)] = _cells(html, "funnel-shop")
    first, last = month_range(PERIOD)
    from cskpi.metrics.compute import MetricQuery

    row = Shop(workspace).metrics(MetricQuery(first, last, by="shop")).rows[0]
    assert cells[1:4] == [f"{row[k]:,}" for k in ("inquiring_customers", "ordering_customers",
                                                  "paying_customers")]
    assert cells[6] == f"{row['lost_customers']:,}"
    # the reasons' counts add up to the shop's lost customers
    reasons = _cells(html, "reasons")
    assert sum(int(c[1].replace(",", "")) for _, c in reasons) == row["lost_customers"] > 0
    assert {k for k, _ in reasons} <= {"shipping", "price", "stock_size", "delivery", "trust",
                                       "service", "other"}
    assert 'id="curve-duration"' in html and 'id="curve-rounds"' in html
    assert "/funnel/sessions/S" in html  # example sessions link to their transcript
    zh = client_for("mgr").get(f"/funnel?period={PERIOD}",
                               headers={"Accept-Language": "zh-CN"}).text
    assert "询单 → 下单 → 付款" in zh


def test_a_relabel_moves_a_customer_and_is_audited(app: FastAPI, workspace: Path,
                                                   client_for: Callable[..., TestClient]) -> None:
    first, last = month_range(PERIOD)
    # the chart counts the shop's lost customers, each by their latest inquiry's session
    items, _ = Shop(workspace).lost_inquiries(LostQuery(first, last), by="shop")
    target = next(i for i in items if i.reason != "trust" and i.agent_id is not None)
    mgr = client_for("mgr")
    page = mgr.get(f"/funnel/sessions/{target.session_id}?period={PERIOD}").text
    assert f'data-reason="{target.reason}"' in page and 'id="transcript"' in page
    before = dict(_cells(mgr.get(f"/funnel?period={PERIOD}").text, "reasons"))
    done = mgr.post("/funnel/relabel", data={
        "csrf_token": form_token(page), "session_id": target.session_id, "period": PERIOD,
        "reason": "trust", "note": "asked about fakes on the phone"}, follow_redirects=False)
    assert done.status_code == 303
    page = mgr.get(done.headers["location"]).text
    assert 'data-reason="trust"' in page and 'id="saved"' in page
    after = dict(_cells(mgr.get(f"/funnel?period={PERIOD}").text, "reasons"))
    count = {k: int(c[1].replace(",", "")) for k, c in before.items()}
    moved = {k: int(c[1].replace(",", "")) for k, c in after.items()}
    assert moved.get("trust", 0) == count.get("trust", 0) + 1
    assert moved.get(target.reason, 0) == count[target.reason] - 1
    with transaction(app.state.cskpi.sessions) as db:
        label = db.scalar(select(LostLabel).where(LostLabel.session_id == target.session_id))
        assert label is not None and label.reason == "trust"
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "lost.relabel")).one()
        assert entry.target == f"lost:{target.session_id}" and entry.after["reason"] == "trust"
    bad = mgr.post("/funnel/relabel", data={
        "csrf_token": form_token(page), "session_id": target.session_id, "period": PERIOD,
        "reason": "weather"}, follow_redirects=False)
    assert bad.status_code == 400
    # back to the rule's reason: the label goes, audited
    mgr.post("/funnel/relabel", data={"csrf_token": form_token(page),
                                      "session_id": target.session_id, "period": PERIOD,
                                      "reason": ""}, follow_redirects=False)
    page = mgr.get(f"/funnel/sessions/{target.session_id}?period={PERIOD}").text
    assert f'data-reason="{target.reason}"' in page
    with transaction(app.state.cskpi.sessions) as db:
        assert db.scalars(select(LostLabel)).all() == []
        assert db.scalars(select(AuditEntry).where(AuditEntry.action == "lost.unlabel")).one()


def test_an_agent_sees_their_own_lost_list(client_for: Callable[..., TestClient],
                                           workspace: Path) -> None:
    first, last = month_range(PERIOD)
    from cskpi.metrics.compute import MetricQuery

    rows = {r["agent_id"]: r for r in Shop(workspace).metrics(MetricQuery(first, last)).rows}
    agent = client_for("a001")
    html = agent.get("/agents/A001/lost").text
    assert re.search(r'id="lost-count" data-total="(\d+)"', html).group(1) == str(
        rows["A001"]["lost_customers"])
    assert "/agents/A001/lost" in agent.get("/agents/A001/scorecard").text  # in the menu
    assert agent.get("/agents/A004/lost").status_code == 403


def test_a_long_lost_list_is_shown_a_page_at_a_time_and_downloaded_whole(
        client_for: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch) -> None:
    """An agent's month at 10M messages lost thousands of inquiries (the page was 1.5 MB):
    it shows PAGE_ROWS of them (here 2) with links between pages; the download holds
    every one."""
    from cskpi.web.services import activity

    monkeypatch.setattr(activity, "PAGE_ROWS", 2)
    agent = client_for("a001")
    first = agent.get(f"/agents/A001/lost?period={PERIOD}").text
    total = int(re.search(r'id="lost-count" data-total="(\d+)"', first).group(1))
    assert total > 2  # else the test shows nothing
    pages = [re.findall(r'<tr data-session="([^"]+)"', agent.get(
        f"/agents/A001/lost?period={PERIOD}&page={n}").text) for n in (1, 2)]
    assert [len(p) for p in pages] == [2, min(2, total - 2)]
    assert not set(pages[0]) & set(pages[1])
    assert 'rel="next"' in first and "Rows 1–2 of" in first
    csv = agent.get(f"/agents/A001/lost?period={PERIOD}&format=csv")
    assert csv.status_code == 200
    assert len(csv.text.strip().splitlines()) == total + 1  # a header and every inquiry
