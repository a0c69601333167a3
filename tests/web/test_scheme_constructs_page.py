"""The web's scheme editor, preview, summary and scorecard with the constructs of #19:
weights, levels, pools, money per event, vetoes that cancel, commission by target."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.helpers.web import PERIOD
from tests.helpers.web_schemes import (
    PRESALE,
    SHIPPED,
    page_token,
    post_scheme,
    stored_versions,
    validate_scheme,
)

# the pre-sale preset with levels, a team pool split by score, money per event and a veto
# that cancels awards and pools
RICH = SHIPPED.replace("pass_ratio: 0.60\n", """pass_ratio: 0.60
events:
  - {kind: refund_saved, label: 起死回生, money: 5}
levels:
  - {name: 金牌, min_ratio: 0.90, factor: 1.0}
  - {name: 银牌, min_ratio: 0.30, factor: 0.8}
  - {name: 待改进, factor: 0}
veto:
  - {when: "complaints >= 3", cancels: [awards, pools]}
""").replace("  commission: {rate: 0.02, on: sales}\n", """  commission: {rate: 0.02, on: sales}
  pools:
    - {label: 团队奖金池, per: team, amount: "team('sales') * 0.01", split: score}
""")
assert RICH != SHIPPED and "pools:" in RICH and "levels:" in RICH


def test_the_editor_accepts_the_new_constructs(client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    body = validate_scheme(client, RICH, token=page_token(client)).json()
    assert body == {"ok": True, "errors": 0, "warnings": 0, "issues": []}
    # a tier bound reading the team's mean score, which needs every item's points first
    bad = RICH.replace("{min: 0.45, points: 40}", "{min: \"team_avg('score') / 100\", "
                       "points: 40}")
    issues = validate_scheme(client, bad, token=page_token(client)).json()["issues"]
    assert [i["code"] for i in issues] == ["formula_cycle"]


def test_the_preview_shows_levels_and_pool_shares(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    page = post_scheme(client, RICH, path=f"/schemes/{PRESALE}/preview")
    assert page.status_code == 200, page.text[-2000:]
    table = page.text.split('id="preview-table"')[1].split("</table>")[0]
    assert "Level" in table and "Pools, events" in table
    rows = [r for r in table.split("<tr ")[1:] if "data-agent" in r]
    assert rows and all('class="level">— → ' in r for r in rows)  # before: no levels
    assert all('class="num lines">—' in r for r in rows)  # before: no pool
    assert stored_versions(app) == []


def test_the_summary_shows_weights_levels_pools_and_what_a_veto_cancels(
        client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    medals = client.get("/schemes/presale-weighted-medals").text
    summary = medals.split('id="summary"')[1].split("</section>")[0]
    assert 'id="levels"' in summary and "金牌客服" in summary
    assert "100 points × weight 0.3" in summary
    pools = client.get("/schemes/team-pool-by-score").text.split('id="summary"')[1]
    assert "团队奖金池" in pools and "<code>team(&#39;sales&#39;) * 0.01</code>" in pools
    jd = client.get("/schemes/jd-aftersale").text.split('id="summary"')[1]
    assert "cancels KPI bonus, awards" in jd.split('id="veto"')[1].split("</ul>")[0]
    assert "50.00 each (pay)" in jd  # the web's own money format


def test_the_scorecard_shows_level_pool_share_and_commission_rule(
        client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    medals = client.get(f"/agents/A001/scorecard?period={PERIOD}"
                        "&scheme=presale-weighted-medals").text
    assert 'id="level"' in medals and "× 0.3 =" in medals
    pools = client.get(f"/agents/A001/scorecard?period={PERIOD}"
                       "&scheme=team-pool-by-score").text
    assert 'class="pay-line pool"' in pools and "团队奖金池 (team " in pools
