"""The overview: shop KPIs against scheme targets and platform thresholds, the trend of
the last six months (gaps, not zeros, where there is no data) and the vendored charts."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import cskpi.web
from cskpi.data.demo import generate
from cskpi.shop import Shop
from cskpi.web.app import create_app
from cskpi.web.services.gateway import DataGateway
from cskpi.web.settings import DEFAULT_SCHEMES, make_settings
from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, PERIOD, login

# the six months ending with PERIOD, oldest first (October 2026 and the five before)
MONTHS = ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """What these tests check does not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


def _json_block(html: str, block_id: str) -> Any:
    match = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>',
                      html, flags=re.DOTALL)
    assert match, f"no JSON block {block_id}"
    return json.loads(match.group(1))


def _goals(html: str, metric: str) -> list[dict[str, str]]:
    """The goal lines of one KPI card: kind, value, met/missed class and text."""
    card = html.split(f'<div class="kpi goals" data-metric="{metric}">')[1]
    card = card.split('<div class="kpi')[0].split("</section>")[0]
    return [{"kind": k, "value": v, "state": s.strip(), "text": t}
            for s, k, v, t in re.findall(r'<div class="goal \w+( met| missed)?" data-metric="\w+" '
                                         r'data-kind="(\w+)" data-value="([^"]+)">([^<]*)</div>', card)]


def _shop_sales_target(workspace: Path) -> Decimal:
    """The shop's sales target of PERIOD as written in the demo's targets.csv."""
    with (workspace.parent / "data" / "targets.csv").open(encoding="utf-8") as fh:
        [value] = [r["value"] for r in csv.DictReader(fh)
                   if (r["period"], r["scope"], r["metric"]) == (PERIOD, "shop", "sales")]
    return Decimal(value)


def test_kpis_show_the_schemes_targets_marked_met_or_missed(
        client_for: Callable[..., TestClient], gateway: DataGateway, workspace: Path) -> None:
    html = client_for("mgr").get(f"/overview?period={PERIOD}").text
    shop = gateway.metrics(PERIOD, "shop")[0]
    # presale-standard.yaml: `targets: conversion_rate: {fixed: 0.40}`
    [conversion] = _goals(html, "conversion_rate")
    assert (conversion["kind"], Decimal(conversion["value"])) == ("target", Decimal("0.40"))
    assert conversion["text"].startswith("Target 40% (presale-standard) · ")
    reached = Decimal(shop["conversion_rate_num"]) / Decimal(shop["conversion_rate_den"]) >= \
        Decimal("0.40")
    assert conversion["state"] == ("met" if reached else "missed")
    # the shop's sales target of the month, from the targets table
    target = _shop_sales_target(workspace)
    [sales] = _goals(html, "sales")
    assert Decimal(sales["value"]) == target
    assert sales["text"].startswith(f"Target ¥{target:,.2f} (targets table)")
    assert sales["state"] == ("met" if Decimal(str(shop["sales"])) >= target else "missed")
    # the generic profile sets no platform threshold
    assert 'data-kind="threshold"' not in html


def test_team_cells_are_marked_against_the_goals(
        client_for: Callable[..., TestClient], gateway: DataGateway) -> None:
    html = client_for("mgr").get(f"/overview?period={PERIOD}").text
    teams = html.split('id="teams"')[1].split("</table>")[0]
    presale = next(r for r in gateway.metrics(PERIOD, "team") if r["team"] == "presale-1")
    rate = Decimal(presale["conversion_rate_num"]) / Decimal(presale["conversion_rate_den"])
    state = "met" if rate >= Decimal("0.40") else "missed"
    assert f'<td class="num {state}" title="Target 40% (presale-standard)">' in teams


def test_the_trend_has_six_months_with_gaps_where_there_is_no_data(
        client_for: Callable[..., TestClient], gateway: DataGateway, workspace: Path) -> None:
    html = client_for("mgr").get(f"/overview?period={PERIOD}").text
    shop = gateway.metrics(PERIOD, "shop")[0]
    # the demo shop has data in October 2026 only: five gaps, then the month's figure
    sessions = _json_block(html, "trend-sessions")
    assert sessions["categories"] == MONTHS and sessions["type"] == "line"
    assert sessions["series"][0]["data"] == [None] * 5 + [shop["sessions"]]  # not 0s
    rate = _json_block(html, "trend-reply_3min_rate")
    assert rate["series"][0]["data"][:5] == [None] * 5
    assert rate["series"][0]["data"][5] == pytest.approx(
        shop["reply_3min_rate_num"] / shop["reply_3min_rate_den"])
    assert rate["titles"][0] == "May 2026" and rate["unit"] == "rate"
    conversion = _json_block(html, "trend-conversion_rate")
    assert conversion["marks"] == [{"kind": "target", "label": "Target 40% (presale-standard)",
                                    "value": 0.4}]
    sales = _json_block(html, "trend-sales")
    assert [s["name"] for s in sales["series"]] == ["Sales", "Sales target"]
    assert sales["series"][1]["data"] == [None] * 5 + [float(_shop_sales_target(workspace))]
    # readable without JavaScript: the same figures as a table
    table = html.split('id="trend-table"')[1].split("</table>")[0]
    sessions_row = re.search(r"<th>Sessions</th>(.*?)</tr>", table).group(1)  # type: ignore[union-attr]
    assert re.findall(r'<td class="num">([^<]*)</td>', sessions_row) == \
        ["—"] * 5 + [f"{shop['sessions']:,}"]


def test_the_agents_chart_marks_the_alert_threshold(
        client_for: Callable[..., TestClient], gateway: DataGateway) -> None:
    html = client_for("mgr").get(f"/overview?period={PERIOD}").text
    bar = _json_block(html, "chart-agents")
    agents = gateway.metrics(PERIOD, "agent")
    assert bar["type"] == "bar" and bar["horizontal"] is True
    assert bar["categories"] == [f"{a['agent_id']} {a['name']}" for a in agents]
    assert bar["series"][0]["data"] == pytest.approx([a["reply_3min_rate"] for a in agents])
    # the default alert: reply_3min_rate below 0.80
    assert bar["alert_below"] == 0.8
    assert bar["marks"] == [{"kind": "alert", "label": "Alert below 80%", "value": 0.8}]
    assert '<div class="chart bars" data-chart="chart-agents"' in html


def test_chart_labels_are_in_the_users_language(
        client_for: Callable[..., TestClient]) -> None:
    html = client_for("mgr").get(f"/overview?period={PERIOD}",
                                 headers={"accept-language": "zh-CN"}).text
    rate = _json_block(html, "trend-reply_3min_rate")
    assert rate["title"] == "3分钟回复率" and rate["titles"][5] == "2026年10月"
    assert _json_block(html, "trend-conversion_rate")["marks"][0]["label"] == \
        "目标 40%（presale-standard）"
    assert "目标 40%（presale-standard）" in html


def test_echarts_is_vendored_and_served_locally(client_for: Callable[..., TestClient]) -> None:
    anonymous = client_for(None)
    echarts = anonymous.get("/static/vendor/echarts/echarts.min.js")
    assert echarts.status_code == 200
    assert echarts.headers["content-type"].split(";")[0] in ("text/javascript",
                                                             "application/javascript")
    # exactly the file of the npm package SOURCE.txt names (5.6.0 now): its version, and
    # the sha256 it records for dist/echarts.min.js
    source = (Path(cskpi.web.__file__).parent / "static" / "vendor" / "echarts" / "SOURCE.txt"
              ).read_text(encoding="utf-8")
    version = re.match(r"Apache ECharts (\d+\.\d+\.\d+),", source)
    sha = re.search(r"dist/echarts\.min\.js sha256 ([0-9a-f]{64})", source)
    assert version and sha
    assert f'version="{version.group(1)}"' in echarts.text
    assert hashlib.sha256(echarts.content).hexdigest() == sha.group(1)
    assert "Apache License" in anonymous.get("/static/vendor/echarts/LICENSE").text
    charts = anonymous.get("/static/charts.js")
    assert charts.status_code == 200 and "javascript" in charts.headers["content-type"]
    assert 'renderer: "svg"' in charts.text
    html = client_for("mgr").get(f"/overview?period={PERIOD}").text
    assert '<script src="/static/vendor/echarts/echarts.min.js" defer></script>' in html
    assert '<script src="/static/charts.js" defer></script>' in html
    assert "http://" not in html and "https://" not in html  # no CDN
    assert "<script>" not in html and " style=" not in html  # the CSP allows neither


@pytest.fixture(scope="module")
def douyin_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """An app whose figures follow the Douyin profile, on its own demo workspace."""
    root = tmp_path_factory.mktemp("web-douyin")
    generate(root / "data", agents=6, days=5)
    Shop(root / "shop.duckdb").import_folder(root / "data")
    gateway = DataGateway(root / "shop.duckdb", profile="douyin",
                          schemes_by_role=DEFAULT_SCHEMES)
    settings = make_settings(root / "shop.duckdb", environ={}, admin_password=ADMIN_PASSWORD,
                             database_url=f"sqlite:///{root / 'app.sqlite'}", profile="douyin",
                             **FAST_ARGON2)
    app = create_app(settings, data=gateway)
    yield app
    app.state.cskpi.engine.dispose()


def test_the_platform_profile_sets_thresholds(douyin_app: FastAPI) -> None:
    client = TestClient(douyin_app)
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 303
    html = client.get(f"/overview?period={PERIOD}").text
    shop = douyin_app.state.cskpi.data.metrics(PERIOD, "shop")[0]
    # the Douyin profile: first_reply_2min_rate ≥ 0.85, reply_3min_rate ≥ 0.80,
    # satisfaction ≥ 0.80 (first_reply_2min_rate is shown although not a default KPI)
    for metric, floor, text in (("first_reply_2min_rate", "0.85", "85%"),
                                ("reply_3min_rate", "0.8", "80%"),
                                ("satisfaction", "0.8", "80%")):
        [goal] = _goals(html, metric)
        assert (goal["kind"], Decimal(goal["value"])) == ("threshold", Decimal(floor))
        assert goal["text"].startswith(f"Platform ≥ {text} (douyin) · ")
        value = Decimal(shop[f"{metric}_num"]) / Decimal(shop[f"{metric}_den"])
        assert goal["state"] == ("met" if value >= Decimal(floor) else "missed"), metric
    trend = _json_block(html, "trend-reply_3min_rate")
    assert {"kind": "threshold", "label": "Platform ≥ 80% (douyin)", "value": 0.8} in \
        trend["marks"]
