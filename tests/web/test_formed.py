"""Team and shop rows say how they are formed (issue #20 item 4): the demo's pre-sale
team converts better than every one of its agents, which is right (each customer once
across the team) and, on the overview and the funnel, now said."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cskpi.web.services.gateway import DataGateway
from cskpi.web.services.lost import FUNNEL_KEYS
from cskpi.web.services.views import OVERVIEW_KEYS
from tests.helpers.web import PERIOD


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """What these tests check does not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


def _notes(html: str, block: str = "formed") -> dict[str, tuple[str, str]]:
    """The notes of a page's how-formed block: metric -> (code, text)."""
    part = html.split(f'id="{block}"')[1].split("</div>")[0]
    return {m: (code, html_lib.unescape(text)) for m, code, text in re.findall(
        r'<li data-metric="([^"]+)" data-code="([^"]+)">(.*?)</li>', part)}


def test_the_teams_conversion_is_pooled_over_distinct_customers(gateway: DataGateway) -> None:
    """What the note explains, on the demo: the team's figure is its own paying ÷ inquiring
    customers, and a customer who asked two of its agents is one inquiring customer of the
    team, so its basis is less than its agents' added up."""
    agents = gateway.metrics(PERIOD, "agent")
    team = next(r for r in gateway.metrics(PERIOD, "team") if r["team"] == "presale-1")
    members = [r for r in agents if r.get("team") == "presale-1"]
    assert team["conversion_rate"] == pytest.approx(
        team["conversion_rate_num"] / team["conversion_rate_den"])
    assert team["conversion_rate_den"] < sum(r["conversion_rate_den"] for r in members)
    # above every member's: no mean of theirs could be
    assert all(team["conversion_rate"] > r["conversion_rate"] for r in members)


@pytest.mark.parametrize(("lang", "conversion"), [
    ("en", "each counted once however many agents they talked to: not the mean of the "
           "agents' figures"),
    ("zh-CN", "每位顾客只计一次：不是各客服数值的平均"),
])
def test_the_overview_says_how_each_team_figure_is_formed(
        client_for: Callable[..., TestClient], lang: str, conversion: str) -> None:
    html = client_for("mgr").get(f"/overview?period={PERIOD}",
                                 headers={"accept-language": lang}).text
    notes = _notes(html)
    assert list(notes) == list(OVERVIEW_KEYS)  # one per column of the teams' table
    assert notes["conversion_rate"][0] == "formed.ratio_customers"
    assert conversion in notes["conversion_rate"][1]
    assert notes["aov"][0] == "formed.ratio_customers"  # sales ÷ paying customers
    assert notes["response_s"][0] == "formed.mean"
    # the teams' column headers carry the same words
    header = html.split('id="teams"')[1].split("</thead>")[0]
    assert f'title="{notes["conversion_rate"][1]}"' in html_lib.unescape(header)


def test_the_funnel_says_how_its_shop_and_team_rows_are_formed(
        client_for: Callable[..., TestClient]) -> None:
    html = client_for("mgr").get(f"/funnel?period={PERIOD}",
                                 headers={"accept-language": "zh-CN"}).text
    notes = _notes(html)
    assert list(notes) == [*FUNNEL_KEYS, "silent_order_share"]
    assert notes["inquiring_customers"][0] == "formed.distinct"
    assert "每位顾客只计一次" in notes["inquiring_customers"][1]
    assert notes["silent_order_share"] == ("formed.shop_only",
                                           "静默下单占比：仅店铺整体有此数值，客服与团队没有。")
