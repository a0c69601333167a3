"""Issue #20, the trust items: nothing accepted that won't count, empty and future months
say so, a fresh install can make its users, refused forms keep what was typed, and the
approved version of a month stays downloadable.

The figures are worked by hand from the demo shop of ``fixtures.workspace`` (6 agents,
1-5 October 2026) under aftersale-4crown (presets/aftersale-4crown.yaml): A004 scores
97 of 130 with its imported grades, metrics and one imported praise (+2).  The scheme's
pass line is 70 % of 130 = 91; the KPI bonus is 1000 × score / 130 when the agent
passes; A004 is senior, base 2500.  So:

- 97 → passes, bonus 746.153… → pay 3,246.15;
- a complaint of −12 → 85 → below 91: no bonus → pay 2,500.00;
- the complaint changed to −5 → 92 → passes, bonus 707.692… → pay 3,207.69.
"""

from __future__ import annotations

import html as htmllib
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cskpi.web.app import create_app
from cskpi.web.db.engine import transaction
from cskpi.web.db.models import AuditEntry, Event
from cskpi.web.settings import make_settings
from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, PERIOD, form_token, login

SCHEME = "aftersale-4crown"
CARD = f"/api/v1/agents/A004/scorecard?period={PERIOD}"
EMPTY = "2026-09"  # before the demo shop's first day: no data at all


def _post(client: TestClient, path: str, data: dict[str, str], **kw: Any) -> Any:
    token = form_token(client.get("/account").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False, **kw)


def _event(client: TestClient, headers: dict[str, str] | None = None, **fields: str) -> Any:
    return _post(client, "/events", {"agent_id": "A004", "date": "2026-10-03",
                                     "kind": "complaint", "points": "", "note": "", **fields},
                 headers=headers)


def _refusal(page: str) -> str:
    """The text of the reason shown beside the refused form."""
    block = page.split('id="form-error"')[1].split(">", 1)[1].split("</div>")[0]
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block))).strip()


def _card(client: TestClient) -> dict[str, Any]:
    card: dict[str, Any] = client.get(CARD).json()["card"]
    return card


def _audit(app: FastAPI, action: str) -> list[AuditEntry]:
    with transaction(app.state.cskpi.sessions) as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)
                               .order_by(AuditEntry.id)))


def _event_id(app: FastAPI) -> int:
    with transaction(app.state.cskpi.sessions) as db:
        return db.scalars(select(Event.id)).one()


# --- events that would not count are refused, in place --------------------------------


def test_an_event_that_would_not_count_is_refused_with_the_reason_and_the_input_kept(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    cases = [
        ({"points": ""}, "points",
         "Complaint takes the points you choose from -20 to -5 under aftersale-4crown: "
         "give them"),
        ({"points": "-50", "note": "rude, twice"}, "points",
         "-50 is outside -20 to -5, the points complaint may take under aftersale-4crown"),
        ({"kind": "praise", "points": "100"}, "points",
         "Praise is worth 2 each under aftersale-4crown, not 100"),
        ({"kind": "complain", "points": "-10"}, "kind",
         "'complain' is not an event kind of aftersale-4crown, the schemes of agent A004: "
         "it would count nowhere"),
        ({"agent_id": "A006", "kind": "praise"}, "agent_id",  # A006 is a lead: no scheme
         "No scheme in force covers agent A006 (role lead): nothing entered for them would "
         "count"),
    ]
    for fields, field, reason in cases:
        page = _event(mgr, **fields)
        assert page.status_code == 422, fields
        assert _refusal(page.text).startswith(reason), (fields, _refusal(page.text))
        assert f'id="form-error" data-field="{field}"' in page.text
        form = page.text.split('id="event-form"')[1].split("</form>")[0]
        typed = {"agent_id": "A004", "kind": "complaint", "points": "", "note": "", **fields}
        assert f'<option value="{typed["agent_id"]}" selected>' in form
        assert f'<option value="{typed["kind"]}" selected>' in form  # an unknown kind too
        assert f'name="points" inputmode="decimal" maxlength="20" value="{typed["points"]}"' \
            in form
        assert f'value="{htmllib.escape(typed["note"])}"' in form
    zh = _event(mgr, points="-50", headers={"Accept-Language": "zh-CN"})
    assert "-50 超出了 aftersale-4crown 中 客户投诉 允许的分数范围 -20 至 -5" in _refusal(zh.text)
    with transaction(app.state.cskpi.sessions) as db:
        assert db.scalars(select(Event)).all() == []  # nothing stored
    assert _audit(app, "event.create") == []


def test_the_event_form_offers_the_kinds_of_the_schemes_with_their_points(
        client_for: Callable[..., TestClient]) -> None:
    page = client_for("mgr").get(f"/grades?period={PERIOD}").text
    form = page.split('id="event-form"')[1].split("</form>")[0]
    kinds = re.findall(r'<option value="([a-z_]+)">([^<]*)</option>',
                       form.split('name="kind"')[1])
    assert kinds == [("low_quality_review", "low-quality review · -5 each"),
                     ("complaint", "complaint · points chosen from -20 to -5"),
                     ("praise", "praise · 2 each"),
                     ("outstanding", "outstanding · points chosen from 2 to 5")]
    assert '<optgroup label="aftersale-4crown">' in form
    assert "A006 杜雪 (no scheme)" in form


def test_a_valid_event_counts_with_its_exact_points_and_is_changed_and_deleted_audited(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    before = _card(mgr)
    assert (before["score"], before["passed"], before["pay"]["total"]) == (97, True, 3246.15)

    assert _event(mgr, points="12", note="rude").status_code == 303  # a deduction: −12
    card = _card(mgr)
    [complaint] = [a for a in card["adjustments"] if a["event"] == "complaint"]
    assert (complaint["count"], complaint["points"]) == (1, -12)
    assert (card["score"], card["passed"], card["pay"]["total"]) == (85, False, 2500.0)
    [created] = _audit(app, "event.create")
    assert created.after["points"] == "-12.00" and created.username == "mgr"

    event_id = _event_id(app)
    edit = mgr.get(f"/events/{event_id}/edit").text
    assert 'value="-12.00"' in edit and 'value="rude"' in edit
    refused = _post(mgr, f"/events/{event_id}", {"date": "2026-10-03", "kind": "complaint",
                                                 "points": "-30", "note": "rude"})
    assert refused.status_code == 422 and "-30 is outside -20 to -5" in _refusal(refused.text)
    assert 'value="-30"' in refused.text  # what was typed, not what is stored
    changed = _post(mgr, f"/events/{event_id}", {"date": "2026-10-03", "kind": "complaint",
                                                 "points": "-5", "note": "rude, once"})
    assert changed.status_code == 303
    assert changed.headers["location"] == f"/grades?period={PERIOD}&saved=event_update"
    card = _card(mgr)
    assert (card["score"], card["passed"], card["pay"]["total"]) == (92, True, 3207.69)
    [update] = _audit(app, "event.update")
    assert (update.before["points"], update.before["note"]) == ("-12.00", "rude")
    assert (update.after["points"], update.after["note"]) == ("-5.00", "rude, once")
    assert update.target == f"event:{event_id}" and update.at is not None

    assert _post(mgr, f"/events/{event_id}/delete", {}).status_code == 303
    card = _card(mgr)
    assert (card["score"], card["pay"]["total"]) == (97, 3246.15)
    assert [a["event"] for a in card["adjustments"]] == ["praise"]
    [deleted] = _audit(app, "event.delete")
    assert deleted.before["points"] == "-5.00" and deleted.after is None


def test_a_grade_is_changed_and_deleted_audited_and_the_imported_one_counts_again(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")

    def quality() -> dict[str, Any]:
        return next(i for i in _card(mgr)["items"] if i["key"] == "quality")

    imported = quality()["points"]
    assert _post(mgr, "/grades", {"agent_id": "A004", "period": PERIOD, "item": "quality",
                                  "grade": "差"}).status_code == 303
    assert quality()["points"] == 0
    page = mgr.get(f"/grades?period={PERIOD}").text
    [grade_id] = re.findall(r'href="/grades/(\d+)/edit"', page)
    assert "replaced by the entered grade" in page  # the imported quality of A004
    assert _post(mgr, f"/grades/{grade_id}", {"grade": "B", "note": "re-read"}
                 ).status_code == 303
    assert quality()["points"] == 15
    [update] = _audit(app, "grade.update")
    assert (update.before["grade"], update.after["grade"], update.after["note"]) == (
        "D", "B", "re-read")
    assert _post(mgr, f"/grades/{grade_id}/delete", {}).status_code == 303
    assert quality()["points"] == imported
    [deleted] = _audit(app, "grade.delete")
    assert deleted.before["grade"] == "B" and deleted.target == f"grade:A004:{PERIOD}:quality"


# --- locks ------------------------------------------------------------------------------


def test_an_entry_a_lock_has_seen_is_kept_until_the_month_is_reopened(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    assert _event(mgr, points="-12").status_code == 303
    event_id = _event_id(app)
    assert _post(mgr, "/periods/lock", {"period": PERIOD, "scheme": SCHEME}).status_code == 303

    edit = {"date": "2026-10-03", "kind": "complaint", "points": "-5", "note": ""}
    for path, data in ((f"/events/{event_id}", edit), (f"/events/{event_id}/delete", {})):
        refused = _post(mgr, path, data)
        assert refused.status_code == 409, path
        assert _refusal(refused.text).startswith(
            f"This event is part of {PERIOD} as locked (version 1 of {SCHEME})")
        assert f'href="/periods/{PERIOD}?scheme={SCHEME}"' in refused.text
    assert _card(mgr)["score"] == 85 and _audit(app, "event.update") == []

    # a correction entered after the lock is open until the month is locked again
    assert _event(mgr, kind="praise").status_code == 303
    with transaction(app.state.cskpi.sessions) as db:
        praise = db.scalars(select(Event.id).where(Event.kind == "praise")).one()
    assert _post(mgr, f"/events/{praise}/delete", {}).status_code == 303

    assert _post(mgr, "/periods/reopen", {"period": PERIOD, "scheme": SCHEME,
                                          "reason": ""}).status_code == 422
    assert _post(mgr, "/periods/reopen", {"period": PERIOD, "scheme": SCHEME,
                                          "reason": "complaint re-assessed"}).status_code == 303
    [reopen] = _audit(app, "period.reopen")
    assert reopen.after == {"version": 1, "reason": "complaint re-assessed"}
    review = mgr.get(f"/periods/{PERIOD}?scheme={SCHEME}").text
    assert "reopened for corrections by mgr" in review
    assert _post(mgr, f"/events/{event_id}", edit).status_code == 303
    # the published card is still version 1 (85) until the month is locked again
    assert client_for("a004").get(CARD).json()["card"]["score"] == 85
    assert _post(mgr, "/periods/lock", {"period": PERIOD, "scheme": SCHEME,
                                        "reason": "complaint re-assessed"}).status_code == 303
    assert client_for("a004").get(CARD).json()["card"]["score"] == 92
    assert _post(mgr, f"/events/{event_id}/delete", {}).status_code == 409  # closed again


def test_the_approved_version_stays_downloadable_after_the_figures_change(
        client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    assert _event(mgr, points="-12").status_code == 303
    assert _post(mgr, "/periods/lock", {"period": PERIOD, "scheme": SCHEME}).status_code == 303
    assert _event(mgr, kind="praise").status_code == 303  # a correction: 85 + 2 = 87 now

    url = f"/reports/{PERIOD}.xlsx?scheme={SCHEME}"
    refused = mgr.get(url)
    assert refused.status_code == 409
    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', refused.text)
    approved = f"/reports/{PERIOD}.xlsx?scheme={SCHEME}&amp;version=1"
    assert links == [(approved, "Download the approved version 1"),
                     (f"/periods/{PERIOD}?scheme={SCHEME}",
                      "Review what changed since, and lock again"),
                     (f"/reports/{PERIOD}.xlsx?scheme={SCHEME}&amp;live=1",
                      "Download the figures as they stand now (not approved)")]

    def a004_score(body: bytes) -> float:
        book = openpyxl.load_workbook(io.BytesIO(body))
        [row] = [r for r in book.worksheets[1].iter_rows(values_only=True) if "A004" in r]
        return next(v for v in row if isinstance(v, int | float) and 50 < v < 130)

    kept = mgr.get(htmllib.unescape(approved))
    assert kept.status_code == 200 and kept.content[:2] == b"PK"
    assert f'filename="cskpi-{SCHEME}-{PERIOD}-v1.xlsx"' in kept.headers["content-disposition"]
    assert a004_score(kept.content) == 85  # as approved
    assert a004_score(mgr.get(url + "&live=1").content) == 87  # as it stands
    pdf = mgr.get(f"/reports/{PERIOD}.pdf?scheme={SCHEME}&version=1")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    versions = mgr.get(f"/periods/{PERIOD}?scheme={SCHEME}").text.split('id="versions"')[1]
    assert approved in versions
    assert mgr.get(f"/reports/{PERIOD}.xlsx?scheme={SCHEME}&version=2").status_code == 404
    assert client_for("a004").get(htmllib.unescape(approved)).status_code == 403


# --- what is listed ---------------------------------------------------------------------


def test_imported_grades_and_events_are_listed_beside_the_entered_ones(
        client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    assert _event(mgr, points="-12", note="rude").status_code == 303
    page = mgr.get(f"/grades?period={PERIOD}").text
    events = page.split('id="events"')[1].split("</table>")[0]
    sources = re.findall(r'<tr data-source="(\w+)"[^>]*><td>(A\d+)</td>', events)
    # A001, A002 ×2, A004, A005 praise and A006's low-quality review imported; A003's three
    # verified complaints from the complaints table; A004's complaint entered here
    assert sorted(sources) == sorted([
        ("imported", "A001"), ("imported", "A002"), ("imported", "A002"),
        ("imported", "A004"), ("imported", "A005"), ("imported", "A006"),
        ("complaint", "A003"), ("complaint", "A003"), ("complaint", "A003"),
        ("entered", "A004")])
    assert "complaints table (P0001)" in events and "entered by mgr" in events
    grades = page.split('id="grades"')[1].split("</table>")[0]
    assert grades.count('data-source="imported"') == 24  # 6 agents × 4 items
    # items by their names, not their keys (aftersale-4crown's quality is 售后客服素质)
    assert '<td data-item="quality">售后客服素质 (' in grades
    card = client_for("a004").get(f"/agents/A004/scorecard?period={PERIOD}").text
    listed = card.split('id="card-events"')[1].split("</table>")[0]
    assert re.findall(r'data-source="(\w+)"', listed) == ["entered", "imported"]
    assert "No grades this month" not in card
    graded = card.split('id="card-grades"')[1].split("</table>")[0]
    assert graded.count('data-source="imported"') == 4  # quality, disputes, cooperation …


# --- empty months, a fresh install -----------------------------------------------------


def test_a_month_without_data_says_so_with_no_scores_pay_or_alerts(
        client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    card = mgr.get(f"/agents/A004/scorecard?period={EMPTY}")
    assert card.status_code == 200 and 'id="no-data"' in card.text
    main = card.text.split("<main>")[1]
    assert "There is no data for September 2026" in main and 'href="/data"' in main
    assert "¥" not in main and "below the pass line" not in main and "Passed" not in main
    for page in ("overview", "leaderboard"):
        shown = mgr.get(f"/{page}?period={EMPTY}")
        assert shown.status_code == 200 and 'id="no-data"' in shown.text, page
        assert "No alerts" not in shown.text and "¥" not in shown.text.split("<main>")[1]
    api = mgr.get(f"/api/v1/agents/A004/scorecard?period={EMPTY}").json()
    assert (api["has_data"], api["card"]) == (False, None)
    refused = _post(mgr, "/periods/lock", {"period": EMPTY, "scheme": SCHEME})
    assert refused.status_code == 422 and f"{EMPTY} has no data" in _refusal(refused.text)
    zh = mgr.get(f"/overview?period={EMPTY}", headers={"Accept-Language": "zh-CN"}).text
    assert "2026年9月 没有数据" in zh


def test_a_fresh_install_creates_its_manager_before_any_data(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "shop.duckdb", admin_password=ADMIN_PASSWORD,
                             database_url=f"sqlite:///{tmp_path / 'app.sqlite'}", environ={},
                             **FAST_ARGON2)
    app = create_app(settings)
    try:
        admin = TestClient(app)
        assert login(admin, "admin", ADMIN_PASSWORD).status_code == 303
        users = admin.get("/admin/users")
        assert users.status_code == 200
        # the least privileged role that can be made without agents: manager
        assert '<option value="manager" selected>' in users.text
        assert 'id="no-agents"' in users.text
        refused = _post(admin, "/admin/users", {"username": "wang", "password": "agent-pass-1",
                                                "role": "agent", "agent_id": ""},
                        headers={"Accept-Language": "zh-CN"})
        assert refused.status_code == 422
        assert _refusal(refused.text) == "客服账户必须关联客服ID。"
        assert 'value="wang"' in refused.text and "agent-pass-1" not in refused.text
        made = _post(admin, "/admin/users", {"username": "boss", "password": "boss-pass-1",
                                             "role": "manager"})
        assert made.status_code == 303
        mgr = TestClient(app)
        assert login(mgr, "boss", "boss-pass-1").status_code == 303
        for page in ("/grades", "/overview", "/leaderboard", "/periods/2026-10"):
            shown = mgr.get(page)
            assert shown.status_code == 200, page
            assert 'href="/data"' in shown.text.split('id="no-data"')[1], page
        assert mgr.get("/data").status_code == 200
    finally:
        app.state.cskpi.engine.dispose()
