"""What the pages show: figures from the core, sorting, sample sizes, alerts, languages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cskpi.shop import Shop
from cskpi.web.app import create_app
from cskpi.web.services.gateway import DataGateway
from cskpi.web.settings import make_settings
from tests.helpers.common import write_folder
from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, PERIOD, form_token, login


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """What these tests check does not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


def _column(html: str, table_id: str, index: int) -> list[str]:
    body = html.split(f'id="{table_id}"')[1].split("</tbody>")[0].split("<tbody>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.DOTALL)
    return [re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.DOTALL)[index])
            .strip() for r in rows]


def test_overview_shows_shop_kpis_alerts_and_a_chart(
        client_for: Callable[..., TestClient], gateway: DataGateway) -> None:
    page = client_for("mgr").get(f"/overview?period={PERIOD}")
    assert page.status_code == 200
    html = page.text
    shop = gateway.metrics(PERIOD, "shop")[0]
    assert f"{shop['sessions']:,}" in html
    assert "Replies within 3 min" in html
    assert '<div class="chart bars" data-chart="chart-agents"' in html  # drawn by charts.js
    assert "<h2>Alerts</h2>" in html  # which alerts: the hand-made shop below


# --- alerts, on a shop small enough to work by hand ---------------------------------------
# Three pre-sale agents on 2026-10-03 (one session each), rounds and replies:
#   A1: 10:00:00 -> 10:04:00 (240 s), 10:05:00 -> 10:05:30 (30 s): 1 of 2 rounds within
#       3 min = 50.0 %; first response 240 s
#   A2: 11:00:00 -> 11:00:20 (20 s): 1 of 1 = 100.0 %; first response 20 s
#   A3: five rounds answered in 10, 30, 60, 170 and 200 s: 4 of 5 = 80.0 % (200 s > 180 s);
#       first response 10 s
# No ratings: satisfaction has no basis (None), so it never alerts.
ALERT_AGENTS = "agent_id,name,role,team\nA1,甲,presale,T1\nA2,乙,presale,T1\nA3,丙,presale,T2\n"
ALERT_ROUNDS = {"A1": ((0, 240), (300, 30)), "A2": ((3600, 20),),
                "A3": ((7200, 10), (7300, 30), (7400, 60), (7600, 170), (7900, 200))}


def _alert_messages() -> str:
    start = dt.datetime(2026, 10, 3, 10, 0, 0)
    lines = ["session_id,ts,sender,agent_id,customer_id"]
    for agent, rounds in ALERT_ROUNDS.items():
        for asked, waited in rounds:
            at = start + dt.timedelta(seconds=asked)
            lines.append(f"S{agent},{at:%Y-%m-%d %H:%M:%S},customer,,C{agent}")
            lines.append(f"S{agent},{at + dt.timedelta(seconds=waited):%Y-%m-%d %H:%M:%S},"
                         f"agent,{agent},")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def alert_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("alerts")
    data = write_folder(root / "data", {"agents.csv": ALERT_AGENTS,
                                        "messages.csv": _alert_messages()})
    Shop(root / "shop.duckdb").import_folder(data)
    return root / "shop.duckdb"


def _alerts_page(workspace: Path, tmp_path: Path, **settings: Any) -> str:
    app = create_app(make_settings(workspace, environ={}, admin_password=ADMIN_PASSWORD,
                                   database_url=f"sqlite:///{tmp_path / 'app.sqlite'}",
                                   **FAST_ARGON2, **settings))
    try:
        client = TestClient(app)
        assert login(client, "admin", ADMIN_PASSWORD).status_code == 303
        page = client.get(f"/overview?period={PERIOD}")
        assert page.status_code == 200
        return page.text
    finally:
        app.state.cskpi.engine.dispose()


def _alert_items(html: str) -> list[str]:
    items = re.findall(r'<li class="alert">(.*?)</li>', html, flags=re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", "", i).split()) for i in items]


def test_overview_alerts_name_each_agent_past_a_threshold(alert_workspace: Path,
                                                          tmp_path: Path) -> None:
    html = _alerts_page(alert_workspace, tmp_path)
    # the default rules: reply_3min_rate < 80 %, satisfaction < 85 %, first response > 60 s
    # A1: 50.0 % < 80.0 % and 240 s > 60 s; A2: 100 %, 20 s; A3: 80.0 % is not below
    # 80.0 % (the rule is strict), 10 s
    assert _alert_items(html) == [
        "A1 甲: Replies within 3 min 50% is below 80%",
        "A1 甲: First response time 4:00 is above 1:00",  # 240 s and 60 s as minutes
    ]
    assert "No alerts" not in html


def test_overview_says_no_alerts_when_every_agent_is_within(alert_workspace: Path,
                                                            tmp_path: Path) -> None:
    # one rule, reply_3min_rate < 50 %: A1's 1 of 2 = 50.0 % is not below it, and A2 and
    # A3 are higher
    html = _alerts_page(alert_workspace, tmp_path, alerts=(("reply_3min_rate", "<", 0.5),))
    assert _alert_items(html) == []
    assert "No alerts: every agent is within the thresholds." in html


def test_overview_defaults_to_the_latest_month(client_for: Callable[..., TestClient]) -> None:
    assert 'value="2026-10"' in client_for("mgr").get("/overview").text


def _by_role(rows: list[dict[str, Any]], role: str) -> list[dict[str, Any]]:
    return [r for r in rows if r.get("role") == role]


def _ranked(rows: list[dict[str, Any]], key: str, desc: bool) -> list[str]:
    present = sorted((r for r in rows if r[key] is not None),
                     key=lambda r: (r[key], r["agent_id"]), reverse=desc)
    return [r["agent_id"] for r in present] + [r["agent_id"] for r in rows if r[key] is None]


def test_leaderboard_ranks_each_role_by_its_scheme(
        client_for: Callable[..., TestClient], gateway: DataGateway) -> None:
    """Pre-sale agents by conversion (presale-standard's first measure), after-sale ones by
    refund rate (aftersale-4crown's), lower first; never ranked together (#20)."""
    html = client_for("mgr").get(f"/leaderboard?period={PERIOD}").text
    rows = gateway.metrics(PERIOD, "agent")
    pre, after = _by_role(rows, "presale"), _by_role(rows, "aftersale")
    assert pre and after
    assert _column(html, "leaderboard-presale", 1) == _ranked(pre, "conversion_rate", True)
    assert _column(html, "leaderboard-aftersale", 1) == _ranked(after, "refund_rate", False)
    # the ranks restart in each role
    assert _column(html, "leaderboard-aftersale", 0)[0] == "1"


def test_leaderboard_sorts_by_the_query_parameter(
        client_for: Callable[..., TestClient], gateway: DataGateway) -> None:
    client = client_for("mgr")
    pre = _by_role(gateway.metrics(PERIOD, "agent"), "presale")
    for sort, order in (("sales", "desc"), ("sales", "asc"), ("first_response_s", None)):
        query = f"/leaderboard?period={PERIOD}&sort={sort}" + (f"&order={order}" if order else "")
        shown = _column(client.get(query).text, "leaderboard-presale", 1)
        # first_response_s: lower is better, so ascending by default
        assert shown == _ranked(pre, sort, order != "asc" and sort != "first_response_s")


def test_leaderboard_filters_by_team(client_for: Callable[..., TestClient],
                                     gateway: DataGateway) -> None:
    rows = gateway.metrics(PERIOD, "agent")
    team = sorted({r["team"] for r in rows if r.get("team")})[0]
    html = client_for("mgr").get(f"/leaderboard?period={PERIOD}&team={team}").text
    shown = [a for role in ("presale", "aftersale") if f'id="leaderboard-{role}"' in html
             for a in _column(html, f"leaderboard-{role}", 1)]
    assert sorted(shown) == sorted(r["agent_id"] for r in rows if r.get("team") == team)
    assert len(shown) < len(rows)  # the other team's agents are gone
    assert client_for("mgr").get(f"/leaderboard?period={PERIOD}&team=nobody").status_code == 400


def test_leaderboard_shows_sample_sizes_and_flags_small_ones(
        client_for: Callable[..., TestClient], gateway: DataGateway) -> None:
    html = client_for("mgr").get(f"/leaderboard?period={PERIOD}").text
    a001 = next(r for r in gateway.metrics(PERIOD, "agent") if r["agent_id"] == "A001")
    assert f"n={a001['reply_3min_rate_den']:,}" in html
    assert "⚠" in html  # demo agents have fewer than 30 rated sessions somewhere
    assert 'class="num small"' in html


def test_leaderboard_rejects_an_unknown_sort(client_for: Callable[..., TestClient]) -> None:
    response = client_for("mgr").get("/leaderboard?sort=password_hash")
    assert response.status_code == 400
    api_like = client_for("mgr").get("/leaderboard?sort=x", headers={"accept": "application/json"})
    assert api_like.json()["error"]["code"] == "bad_request"


def test_scorecard_shows_items_rules_points_and_pay(
        client_for: Callable[..., TestClient], gateway: DataGateway) -> None:
    html = client_for("a001").get(f"/agents/A001/scorecard?period={PERIOD}").text
    card = gateway.agent_card(gateway.agent("A001") or {}, PERIOD)
    assert card is not None and card.card is not None
    assert card.scheme == "presale-standard"
    for item in card.card["items"]:
        assert item["label"] in html
        assert item["rule"].split(" ")[0] in html
    assert "Pay slip" in html
    assert f"¥{card.card['pay']['total']:,.2f}" in html


def test_aftersale_agents_are_scored_with_the_aftersale_scheme(
        client_for: Callable[..., TestClient]) -> None:
    html = client_for("mgr").get(f"/agents/A004/scorecard?period={PERIOD}").text
    assert "aftersale-4crown" in html and "售后客服素质" in html


def test_a_role_without_a_scheme_says_so(client_for: Callable[..., TestClient]) -> None:
    html = client_for("mgr").get(f"/agents/A006/scorecard?period={PERIOD}").text
    assert "No scheme is configured for the role" in html


def test_unknown_agent_is_404(client_for: Callable[..., TestClient]) -> None:
    assert client_for("mgr").get("/agents/NOPE/scorecard").status_code == 404


def test_chinese_from_the_browser(client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    html = client.get(f"/overview?period={PERIOD}",
                      headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"}).text
    assert '<html lang="zh-CN">' in html and "总览" in html and "3分钟回复率" in html
    assert "2026年10月" in html


def test_chinese_from_the_user_setting(client_for: Callable[..., TestClient]) -> None:
    html = client_for("a004").get(f"/agents/A004/scorecard?period={PERIOD}",
                                  headers={"accept-language": "en"}).text
    assert '<html lang="zh-CN">' in html and "工资条" in html and "底薪" in html


def test_the_user_can_change_language(client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    token = form_token(client.get("/account").text)
    client.post("/account/locale", data={"locale": "zh_CN", "csrf_token": token})
    assert "排行榜" in client.get("/leaderboard").text
    token = form_token(client.get("/account").text)
    client.post("/account/locale", data={"locale": "", "csrf_token": token})
    assert "Leaderboard" in client.get("/leaderboard").text


def test_security_headers(client_for: Callable[..., TestClient]) -> None:
    response = client_for("mgr").get("/overview")
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_static_files_are_served_locally(client_for: Callable[..., TestClient]) -> None:
    client = client_for(None)
    assert client.get("/static/app.css").status_code == 200
    html = client.get("/login").text
    assert "http://" not in html and "https://" not in html  # no CDN


def test_grades_page_lists_graded_items_of_the_schemes(
        client_for: Callable[..., TestClient]) -> None:
    html = client_for("mgr").get(f"/grades?period={PERIOD}").text
    assert 'value="quality"' in html and 'value="cooperation"' in html
    assert "A004" in html and ">优<" not in html  # English UI shows A · excellent
    assert "A · excellent" in html
