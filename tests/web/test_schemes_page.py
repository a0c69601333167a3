"""The Schemes pages: view, live validation with line numbers, versions, preview.

Figures are worked out by hand from the preset ``presale-standard`` and the demo
figures the scorecard shows; the arithmetic is in the comments.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cskpi.web.app import create_app
from cskpi.web.db.models import AuditEntry
from cskpi.web.services.gateway import DataGateway
from cskpi.web.settings import make_settings
from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, PERIOD
from tests.helpers.web_schemes import (
    PRESALE,
    RESPONSE_MAX_20,
    SHIPPED,
    page_token,
    post_scheme,
    stored_versions,
    validate_scheme,
)


def _card(client: TestClient) -> dict[str, Any]:
    body = client.get(f"/api/v1/agents/A001/scorecard?period={PERIOD}").json()
    return body["card"]  # type: ignore[no-any-return]


# --- reading ----------------------------------------------------------------------------

def test_list_shows_schemes_in_use_and_presets(client_for: Callable[..., TestClient]) -> None:
    html = client_for("mgr").get("/schemes").text
    body = html.split('id="schemes"')[1].split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.DOTALL)
    assert [re.findall(r'href="/schemes/([^"/]+)"', r)[0] for r in rows] == [
        "aftersale-4crown", "presale-standard", "aftersale-4crown-qa", "douyin-compliance",
        "jd-aftersale", "ladder-commission", "presale-weighted-medals",
        "team-pool-by-score"]  # in use first
    assert "aftersale" in rows[0] and "presale" in rows[1]
    assert all("shipped version" in r for r in rows)


def test_manager_sees_yaml_with_line_numbers_and_a_summary(
        client_for: Callable[..., TestClient]) -> None:
    html = client_for("mgr").get(f"/schemes/{PRESALE}").text
    assert '<tr id="L7"><td class="ln">7</td><td class="src">pass_ratio: 0.60</td></tr>' in html
    summary = html.split('id="summary"')[1].split("</section>")[0]
    # four items of 40 + 20 + 20 + 20 = 100 points; pass line 0.60 × 100 = 60 points
    for label in ("询单转化率", "平均响应时长", "满意率", "业绩目标完成度"):
        assert label in summary
    # figures as every face shows them (cskpi.units): 0.60 -> 60%, 90 s -> 1:30
    assert "60% of the full score = 60 points" in summary
    assert "40%" in summary and "20%" in summary  # shares: 40/100, 20/100
    assert "≥ 45% → 40" in summary  # the first conversion tier
    assert "1:30 or worse → 0, 0:20 or better → 20" in summary  # linear response 90..20 s
    assert "2% of" in summary  # commission rate 0.02
    assert "No edits yet" in html  # history of a preset never edited


def test_agent_reads_their_own_scheme_in_their_language(
        client_for: Callable[..., TestClient]) -> None:
    client = client_for("a004")  # after-sale agent, locale zh_CN
    mine = client.get("/schemes/mine", follow_redirects=False)
    assert mine.headers["location"] == "/schemes/aftersale-4crown"
    html = client.get("/schemes/aftersale-4crown").text
    assert "方案概要" in html and "/schemes/mine" in html and "我的考核方案" in html
    # 20 + 30 + 20 + 20 + 20 + 20 = 130 points; pass line 0.70 × 130 = 91
    assert "满分的 70% = 91 分" in html
    assert "售后客服素质" in html and "A · excellent" not in html
    assert "版本历史" not in html and "/edit" not in html  # no history, no editor
    assert client.get(f"/schemes/{PRESALE}").status_code == 403
    assert client.get("/schemes/aftersale-4crown?version=1").status_code == 403
    assert client.get("/schemes").status_code == 403


def test_agent_is_refused_the_other_roles_scheme(client_for: Callable[..., TestClient]) -> None:
    client = client_for("a001")  # pre-sale
    assert client.get("/schemes/mine", follow_redirects=False).headers["location"] == \
        f"/schemes/{PRESALE}"
    refused = client.get("/schemes/aftersale-4crown")
    assert refused.status_code == 403 and "售后客服素质" not in refused.text
    assert client.get("/schemes/aftersale-4crown/edit").status_code == 403


# --- checking ---------------------------------------------------------------------------

def test_live_validation_reports_errors_with_their_line(
        client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    token = page_token(client)
    bad = SHIPPED.replace("pass_ratio: 0.60", "pass_ratio: 1.5")
    body = validate_scheme(client, bad, token=token).json()
    assert body["ok"] is False and body["errors"] == 1
    assert [(i["level"], i["line"], i["code"]) for i in body["issues"]] == [
        ("error", 7, "pass_ratio")]
    assert body["issues"][0]["hint"]
    renamed = validate_scheme(client, SHIPPED.replace(f"scheme: {PRESALE}", "scheme: other"),
                              token=token).json()
    assert [(i["line"], i["code"]) for i in renamed["issues"]] == [(4, "name_changed")]
    good = validate_scheme(client, SHIPPED, token=token).json()
    assert good == {"ok": True, "errors": 0, "warnings": 0, "issues": []}


def test_validation_needs_the_csrf_token_and_a_manager(
        client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    missing = validate_scheme(client, SHIPPED)
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "csrf_failed"
    assert validate_scheme(client, SHIPPED, token="not-the-token").status_code == 403
    agent = client_for("a001")
    assert validate_scheme(agent, SHIPPED, token=page_token(agent)).status_code == 403
    assert client_for(None).post("/schemes/validate", json={"name": PRESALE, "text": ""},
                                 headers={"accept": "application/json"}).status_code == 401
    admin = client_for("admin")
    assert validate_scheme(admin, SHIPPED, token=page_token(admin)).json()["ok"] is True


def test_check_button_without_script_lists_the_same_issues(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    bad = SHIPPED.replace("pass_ratio: 0.60", "pass_ratio: 1.5")
    checked = post_scheme(client, bad.replace("\n", "\r\n"), action="check")  # as browsers post
    assert checked.status_code == 200
    issues = checked.text.split('id="issue-list"')[1].split("</table>")[0]
    assert 'data-line="7">line 7</a>' in issues and "pass_ratio must be between 0 and 1" in issues
    assert "pass_ratio: 1.5" in checked.text.split("</textarea>")[0]  # the text is kept
    refused = post_scheme(client, bad, action="save")
    assert refused.status_code == 400 and 'data-line="7"' in refused.text
    assert stored_versions(app) == []
    assert client_for("a001").post(f"/schemes/{PRESALE}", data={
        "text": SHIPPED, "action": "check",
        "csrf_token": page_token(client_for("a001"))}).status_code == 403


# --- saving -----------------------------------------------------------------------------

def test_a_valid_edit_is_version_2_and_changes_the_scorecard(
        app: FastAPI, client_for: Callable[..., TestClient], gateway: DataGateway,
        workspace: Path) -> None:
    client = client_for("mgr")
    before = _card(client)
    response = next(i for i in before["items"] if i["key"] == "response")
    # The demo's A001 answers in 42,779 s over 569 replies = 75.1828 s on average.
    # Linear from 90 s (0 points) to 20 s (max): 20 × (90 − 75.1828) / 70 = 4.2335 points.
    seconds = Decimal(str(response["value"]["num"])) / Decimal(response["value"]["den"])
    assert round(seconds, 4) == Decimal("75.1828")
    old_points = 20 * (90 - seconds) / 70
    assert round(old_points, 4) == round(Decimal(str(response["points"])), 4) == \
        Decimal("4.2335")
    # Doubling the item's max to 40 doubles its points: 40 × 14.8172 / 70 = 8.4670, so the
    # score rises by 4.2335 (17.4101 → 21.6435) and the full score from 100 to 120.
    edited = SHIPPED.replace(RESPONSE_MAX_20, "    max: 40\n    metric: response_s")
    saved = post_scheme(client, edited, note="response counts double", base_version="1")
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/schemes/{PRESALE}?saved=2"
    assert stored_versions(app) == [(PRESALE, 1), (PRESALE, 2)]  # v1 = the shipped text

    after = _card(client)
    assert Decimal(str(after["max_score"])) == 120
    assert round(Decimal(str(after["score"])), 4) == \
        round(Decimal(str(before["score"])) + old_points, 4)
    page = client_for("a001").get(f"/agents/A001/scorecard?period={PERIOD}").text
    assert f"{Decimal(str(after['score'])).quantize(Decimal('0.01'))} / 120" in page
    assert gateway.snapshot(PRESALE, PERIOD)["scheme_version"] == 2
    assert gateway.snapshot("aftersale-4crown", PERIOD)["scheme_version"] is None
    # the saved version is scored from its text: no scheme file beside the workspace
    assert sorted(p.name for p in workspace.parent.iterdir()
                  if p.name not in ("shop.duckdb", "shop.duckdb.wal")) == ["data"]

    view = client.get(saved.headers["location"]).text
    assert "Version 2 was saved and is in force." in view
    history = view.split('id="history"')[1].split("</table>")[0]
    assert "version 2" in history and "version 1" in history
    assert "mgr" in history and "response counts double" in history
    diff = view.split('id="diff"')[1].split("</table>")[0]
    changed = re.findall(r'<tr class="(add|del)"><td class="src">(.*?)</td>', diff)
    assert changed == [("del", "-    max: 20"), ("add", "+    max: 40")]
    old = client.get(f"/schemes/{PRESALE}?version=1").text
    assert "This is version 1; version 2 is in force." in old
    agent_view = client_for("a001").get(f"/schemes/{PRESALE}").text  # line 21: response max
    assert '<tr id="L21"><td class="ln">21</td><td class="src">    max: 40</td>' in agent_view

    with app.state.cskpi.sessions() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "scheme.update"))
        assert entry is not None and entry.username == "mgr"
        assert entry.target == f"scheme:{PRESALE}"
        assert entry.before == {"version": 1}
        assert entry.after == {"version": 2, "note": "response counts double",
                               "lines": {"added": 1, "removed": 1}}


def test_saving_is_refused_without_csrf_unchanged_or_stale(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    edited = SHIPPED.replace(RESPONSE_MAX_20, "    max: 30\n    metric: response_s")
    no_token = client.post(f"/schemes/{PRESALE}", data={"text": edited},
                           follow_redirects=False)
    assert no_token.status_code == 403 and 'data-code="csrf_failed"' in no_token.text
    assert post_scheme(client, SHIPPED).status_code == 400  # same as the version in force
    assert stored_versions(app) == []
    assert post_scheme(client, edited, base_version="1").status_code == 303  # → version 2
    again = SHIPPED.replace(RESPONSE_MAX_20, "    max: 25\n    metric: response_s")
    stale = post_scheme(client, again, base_version="1")  # edited from v1, but v2 is in force
    assert stale.status_code == 409 and "version 2" in stale.text
    assert post_scheme(client_for("a001"), again).status_code == 403
    assert stored_versions(app) == [(PRESALE, 1), (PRESALE, 2)]


def test_a_saved_version_stays_in_its_own_app_database(
        app: FastAPI, client_for: Callable[..., TestClient], gateway: DataGateway,
        workspace: Path, tmp_path: Path) -> None:
    shipped_score = gateway.scored(PRESALE, PERIOD).result.cards[0].score
    edited = SHIPPED.replace(RESPONSE_MAX_20, "    max: 40\n    metric: response_s")
    assert post_scheme(client_for("mgr"), edited).status_code == 303
    assert gateway.scored(PRESALE, PERIOD).result.cards[0].score > shipped_score
    other = create_app(make_settings(workspace, database_url=f"sqlite:///{tmp_path / 'b.db'}",
                                     admin_password=ADMIN_PASSWORD, environ={}, **FAST_ARGON2),
                       data=gateway)
    try:
        assert gateway.in_force(PRESALE).version is None
        assert gateway.scored(PRESALE, PERIOD).result.cards[0].score == shipped_score
    finally:
        other.state.cskpi.engine.dispose()


# --- previewing -------------------------------------------------------------------------

def test_preview_lists_who_loses_and_saves_nothing(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    response_points = {c.agent_id: next(i.points for i in c.items if i.key == "response")
                       for c in app.state.cskpi.data.scored(PRESALE, PERIOD).result.cards}
    assert all(p > 0 for p in response_points.values())
    # Halving the response item's max (20 → 10) halves its points, so each pre-sale agent
    # loses half of them; A001: 4.2335 / 2 = 2.1167 → "−2.12".  Nobody passes either
    # way (the best score, 41.35, is below 60 % of 100 and of 90), so pay stays equal.
    halved = SHIPPED.replace(RESPONSE_MAX_20, "    max: 10\n    metric: response_s")
    page = post_scheme(client, halved, path=f"/schemes/{PRESALE}/preview")
    assert page.status_code == 200
    table = page.text.split('id="preview-table"')[1].split("</table>")[0]
    classes = {agent: cls for cls, agent in re.findall(
        r'<tr class="(\w+)" data-agent="(\w+)">', table)}
    assert classes == {agent: "lose" for agent in response_points}
    a001 = table.split('data-agent="A001"')[1].split("</tr>")[0]
    assert "−2.12" in a001
    assert "3 lose" in page.text.split('id="preview"')[1]
    assert "max: 10" in page.text.split("</textarea>")[0]  # the edit stays in the editor
    assert stored_versions(app) == []
    with app.state.cskpi.sessions() as db:
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "scheme.update")) is None
    assert client_for("a001").post(f"/schemes/{PRESALE}/preview", data={
        "text": halved, "csrf_token": page_token(client_for("a001"))}).status_code == 403


def test_preview_of_a_text_with_errors_shows_the_errors(
        client_for: Callable[..., TestClient]) -> None:
    bad = SHIPPED.replace("pass_ratio: 0.60", "pass_ratio: 1.5")
    page = post_scheme(client_for("admin"), bad, path=f"/schemes/{PRESALE}/preview")
    assert page.status_code == 400 and 'data-line="7"' in page.text
    assert 'id="preview-table"' not in page.text


def test_the_editor_links_its_script_and_passes_words_as_json(
        client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    html = client.get(f"/schemes/{PRESALE}/edit").text
    assert '<script src="/static/schemes.js" defer></script>' in html
    assert '<script type="application/json" id="scheme-i18n">' in html
    assert 'data-validate-url="/schemes/validate"' in html and " style=" not in html
    assert 'name="base_version" value="1"' in html
    assert client.get("/static/schemes.js").status_code == 200
    assert client.get("/static/schemes.css").status_code == 200
