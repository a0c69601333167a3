"""Drill-down: from a scorecard figure to the rows behind it, for managers and the agent
themself; the scorecard's trend of the last months."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from cskpi.metrics.catalog import CATALOG
from cskpi.web.services.gateway import DataGateway
from tests.helpers.web import PERIOD, drilldown_table

# A001 is pre-sale: presale-standard scores conversion_rate, response_s, satisfaction, sales
PRESALE_METRICS = ("conversion_rate", "response_s", "satisfaction", "sales")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """What these tests check does not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


def _rated_sessions(workspace: Path, agent_id: str) -> tuple[int, int]:
    """(ratings 4-5, rated sessions) of an agent whose human start — the handover when a
    bot handed the session over, else its start — is in October 2026, Shanghai time."""
    con = duckdb.connect(str(workspace), read_only=True)
    try:
        row = con.execute(
            "SELECT count(*) FILTER (WHERE CAST(r.score AS INTEGER) >= 4), count(*) "
            "FROM sessions s JOIN ratings r USING (session_id) "
            "WHERE s.agent_id = ? AND timezone('Asia/Shanghai', "
            "coalesce(s.transfer_ts, s.start_ts)) >= TIMESTAMP '2026-10-01' "
            "AND timezone('Asia/Shanghai', coalesce(s.transfer_ts, s.start_ts)) "
            "< TIMESTAMP '2026-11-01'", [agent_id]).fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0]), int(row[1])


def _inquiring_customers(workspace: Path, agent_id: str) -> int:
    """Customers of an agent's pre-sale sessions (blank kind: the agent's role, pre-sale for
    A001) whose human start is in October 2026, Shanghai time."""
    con = duckdb.connect(str(workspace), read_only=True)
    try:
        row = con.execute(
            "SELECT count(DISTINCT customer_id) FROM sessions WHERE agent_id = ? "
            "AND coalesce(kind, 'presale') = 'presale' AND timezone('Asia/Shanghai', "
            "coalesce(transfer_ts, start_ts)) >= TIMESTAMP '2026-10-01' "
            "AND timezone('Asia/Shanghai', coalesce(transfer_ts, start_ts)) "
            "< TIMESTAMP '2026-11-01'", [agent_id]).fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


def test_the_scorecard_links_each_figure_to_its_drilldown(
        client_for: Callable[..., TestClient]) -> None:
    html = client_for("a001").get(f"/agents/A001/scorecard?period={PERIOD}").text
    links = re.findall(r'<a class="drill" href="([^"]+)"', html)
    assert links == [f"/agents/A001/metrics/{m}?period={PERIOD}" for m in PRESALE_METRICS]


def test_drilldown_rows_are_the_denominator_on_the_scorecard(
        client_for: Callable[..., TestClient], workspace: Path) -> None:
    client = client_for("a001")
    scorecard = client.get(f"/agents/A001/scorecard?period={PERIOD}").text
    shown = re.search(r'/metrics/satisfaction\?period=2026-10"[^>]*>[^<]*</a> '
                      r'<span class="n">\((\d+) / (\d+)\)</span>', scorecard)
    assert shown is not None
    happy, rated = _rated_sessions(workspace, "A001")
    assert (int(shown.group(1)), int(shown.group(2))) == (happy, rated)

    html = client.get(f"/agents/A001/metrics/satisfaction?period={PERIOD}").text
    assert f'<p id="row-count" data-total="{rated}">{rated} sessions in October 2026.</p>' in html
    assert f'data-num="{happy}"' in html and f'data-den="{rated}"' in html
    # the definition, for readers: in words, no keys
    assert "<dd>Ratings of 4 or 5 ÷ rated sessions.</dd>" in html
    body = html.split('id="rows"')[1].split("</table>")[0]
    assert body.count("<tr>") == 1 + rated  # header and one row per rated session (< 200)
    assert 'rel="next"' not in html  # a single page
    # the sessions rated 4-5 are flagged: the numerator
    header, rows = drilldown_table(html)
    flags = [r[header.index("Numerator")] for r in rows]
    assert (flags.count("✓"), len(flags)) == (happy, rated)
    assert f"Satisfaction = {happy} / {rated} = " in html  # the note: labels, not keys


def test_the_conversion_drilldown_lists_the_inquiring_customers(
        client_for: Callable[..., TestClient], workspace: Path, gateway: DataGateway) -> None:
    """Not the agent's orders: one row per inquiring customer, the paying ones flagged."""
    a001 = next(r for r in gateway.metrics(PERIOD, "agent") if r["agent_id"] == "A001")
    inquiring = _inquiring_customers(workspace, "A001")
    paying = a001["conversion_rate_num"]
    assert a001["conversion_rate_den"] == inquiring and 0 < paying < inquiring
    html = client_for("a001").get(f"/agents/A001/metrics/conversion_rate?period={PERIOD}").text
    assert f'data-total="{inquiring}">{inquiring} customers in October 2026.' in html
    header, rows = drilldown_table(html)
    assert header[:5] == ["Customer", "Sessions", "First inquiry", "Ordered", "Paid"]
    assert len(rows) == inquiring  # fewer than 200: one page
    assert [r[header.index("Paid")] for r in rows].count("✓") == paying
    assert [r[header.index("Numerator")] for r in rows].count("✓") == paying
    assert f"Inquiry conversion rate = {paying} / {inquiring} = " in html


def test_mixed_rows_and_the_note_read_in_chinese(client_for: Callable[..., TestClient],
                                                 gateway: DataGateway) -> None:
    """complaint_rate: A003's paid orders (the denominator) and verified complaints (the
    numerator), told apart by their kind."""
    a003 = next(r for r in gateway.metrics(PERIOD, "agent") if r["agent_id"] == "A003")
    complaints, orders = a003["complaint_rate_num"], a003["complaint_rate_den"]
    assert complaints > 0, "the demo has complaints against A003"
    html = client_for("mgr").get(f"/agents/A003/metrics/complaint_rate?period={PERIOD}",
                                 headers={"accept-language": "zh-CN"}).text
    header, rows = drilldown_table(html)
    assert header[:2] == ["类型", "订单"] and header[-2:] == ["计入分子", "计入分母"]
    kinds = [r[0] for r in rows]
    assert (kinds.count("付款订单"), kinds.count("投诉")) == (orders, complaints)
    assert f"分子来自下列 {complaints} 条针对该客服且已查实的投诉" in html  # the note


def test_a_shop_figure_has_no_agent_drilldown(client_for: Callable[..., TestClient]) -> None:
    page = client_for("mgr").get(f"/agents/A001/metrics/silent_order_share?period={PERIOD}",
                                 headers={"accept": "application/json"})
    assert page.status_code == 400
    error = page.json()["error"]
    assert error["message"] == "silent_order_share is a shop-level figure: it has no rows " \
                               "per agent"
    assert "cskpi metrics --by shop" in error["details"]["hint"]


def test_long_drilldowns_come_in_pages_of_200(client_for: Callable[..., TestClient],
                                              gateway: DataGateway) -> None:
    client = client_for("mgr")
    a001 = next(r for r in gateway.metrics(PERIOD, "agent") if r["agent_id"] == "A001")
    rounds = a001["reply_3min_rate_den"]  # every round counts under the generic profile
    assert rounds > 400, "the demo agent answers more than two pages of rounds"
    last = -(-rounds // 200)  # pages of 200, rounded up
    url = f"/agents/A001/metrics/reply_3min_rate?period={PERIOD}"
    first = client.get(url).text
    assert f'data-total="{rounds}"' in first and 'rel="next"' in first
    assert first.split('id="rows"')[1].split("</table>")[0].count("<tr>") == 1 + 200
    tail = client.get(f"{url}&page={last}").text
    assert f"Rows {(last - 1) * 200 + 1}–{rounds} of {rounds}" in tail
    assert tail.split('id="rows"')[1].split("</table>")[0].count("<tr>") == \
        1 + rounds - (last - 1) * 200
    assert 'rel="next"' not in tail and 'rel="prev"' in tail
    assert client.get(f"{url}&page=0").status_code == 422


def test_a_page_past_the_end_is_the_last_one_computed_and_kept_once(
        client_for: Callable[..., TestClient], gateway: DataGateway,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Any number past the end shows the last page without computing or keeping anything
    more (each number was explained and kept apart: a client walking the numbers made
    the app compute and hold a page each time)."""
    client = client_for("mgr")
    url = f"/agents/A002/metrics/reply_3min_rate?period={PERIOD}"
    last = client.get(f"{url}&page=1000").text  # computed here (page 1's, then the last)
    explained: list[str] = []
    real = gateway.shop.explain
    monkeypatch.setattr(gateway.shop, "explain", lambda *a: (explained.append(a[1]),
                                                             real(*a))[1])
    kept = len(gateway._cache)
    for page in (1001, 5000, 999_999):
        shown = client.get(f"{url}&page={page}").text
        assert shown.split("<main>")[1] == last.split("<main>")[1]
    assert explained == [] and len(gateway._cache) == kept


def test_an_agent_opens_their_own_drilldown_only(client_for: Callable[..., TestClient]) -> None:
    agent = client_for("a001")
    assert agent.get(f"/agents/A001/metrics/sales?period={PERIOD}").status_code == 200
    other = agent.get(f"/agents/A004/metrics/refund_rate?period={PERIOD}")
    assert other.status_code == 403 and 'data-code="forbidden"' in other.text
    assert "A004" not in other.text.split("<main>")[1]
    as_json = agent.get(f"/agents/A004/metrics/refund_rate?period={PERIOD}",
                        headers={"accept": "application/json"})
    assert as_json.json() == {"error": {"code": "forbidden",
                                        "message": "Agents may only see their own figures.",
                                        "details": None}}
    assert client_for("mgr").get(f"/agents/A004/metrics/refund_rate?period={PERIOD}"
                                 ).status_code == 200


def test_an_unknown_metric_is_404_with_the_metrics_as_a_hint(
        client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    page = client.get("/agents/A001/metrics/reply_rate_3min")
    assert page.status_code == 404
    assert "There is no metric &#39;reply_rate_3min&#39;." in page.text
    assert "reply_3min_rate" in page.text  # the hint lists the metrics
    body = client.get("/agents/A001/metrics/reply_rate_3min",
                      headers={"accept": "application/json"}).json()
    assert body["error"]["code"] == "not_found"
    assert body["error"]["details"]["allowed"] == list(CATALOG)
    assert client.get("/agents/NOPE/metrics/sales").status_code == 404
    assert client.get("/agents/A001/metrics/sales?profile=tmall").status_code == 400


def test_the_scorecard_shows_the_trend_of_score_and_scored_metrics(
        client_for: Callable[..., TestClient], gateway: DataGateway) -> None:
    html = client_for("a001").get(f"/agents/A001/scorecard?period={PERIOD}").text
    card = gateway.agent_card(gateway.agent("A001") or {}, PERIOD)
    assert card is not None and card.card is not None

    def block(name: str) -> dict[str, object]:
        match = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', html)
        assert match is not None, name
        return json.loads(match.group(1))  # type: ignore[no-any-return]

    score = block("trend-score")
    assert score["categories"] == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09",
                                   "2026-10"]
    data = score["series"][0]["data"]  # type: ignore[index]
    assert data[:5] == [None] * 5 and data[5] == pytest.approx(float(card.card["score"]))
    # presale-standard: pass_ratio 0.60 of max 100 points (40 + 20 + 20 + 20) = 60
    assert score["marks"] == [{"kind": "target", "label": "Pass line 60", "value": 60.0}]
    for metric in PRESALE_METRICS:
        assert block(f"trend-{metric}")["categories"] == score["categories"]
