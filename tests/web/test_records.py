"""Grades, events and period locks: stored in the app database, each with an audit row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cskpi.web.db.engine import transaction
from cskpi.web.db.models import AuditEntry, Event, Grade, PeriodLock
from tests.helpers.web import PERIOD, form_token


def _post(client: TestClient, path: str, data: dict[str, str]) -> Any:
    token = form_token(client.get("/account").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _audit(app: FastAPI, prefix: str) -> list[AuditEntry]:
    with transaction(app.state.cskpi.sessions) as db:
        return [e for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))
                if e.action.startswith(prefix)]


def test_grade_entry_stores_the_grade_and_an_audit_row(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    response = _post(client, "/grades", {"agent_id": "A004", "period": PERIOD,
                                         "item": "quality", "grade": "良", "note": "耐心"})
    assert response.status_code == 303
    with transaction(app.state.cskpi.sessions) as db:
        grade = db.scalars(select(Grade)).one()
        assert (grade.agent_id, grade.period, grade.item, grade.grade, grade.note) == (
            "A004", PERIOD, "quality", "B", "耐心")
        assert grade.reviewer is not None and grade.reviewer.username == "mgr"
    [entry] = _audit(app, "grade.")
    assert (entry.username, entry.action, entry.target) == ("mgr", "grade.create",
                                                            f"grade:A004:{PERIOD}:quality")
    assert entry.before is None
    assert entry.after == {"agent_id": "A004", "period": PERIOD, "item": "quality",
                           "grade": "B", "note": "耐心"}
    assert entry.at is not None and entry.ip


def test_changing_a_grade_audits_before_and_after(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    base = {"agent_id": "A004", "period": PERIOD, "item": "execution"}
    _post(client, "/grades", {**base, "grade": "A"})
    _post(client, "/grades", {**base, "grade": "D", "note": "late replies"})
    entries = _audit(app, "grade.")
    assert [e.action for e in entries] == ["grade.create", "grade.update"]
    assert entries[1].before["grade"] == "A" and entries[1].after["grade"] == "D"
    page = client.get(f"/grades?period={PERIOD}").text
    assert "late replies" in page and "D · poor" in page


def test_the_agent_sees_grades_entered_for_them(
        client_for: Callable[..., TestClient]) -> None:
    _post(client_for("mgr"), "/grades", {"agent_id": "A004", "period": PERIOD,
                                         "item": "cooperation", "grade": "A"})
    html = client_for("a004").get(f"/agents/A004/scorecard?period={PERIOD}").text
    assert "cooperation" in html and "优" in html
    api = client_for("a004").get(f"/api/v1/agents/A004/scorecard?period={PERIOD}").json()
    assert api["grades"] == [{"agent_id": "A004", "period": PERIOD, "item": "cooperation",
                              "grade": "A", "note": None}]


def test_invalid_grades_and_items_are_refused(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    cases = [  # each refused in place (the form again, with the reason): 422
        ({"agent_id": "A004", "period": PERIOD, "item": "quality", "grade": "E"},
         "&#39;E&#39; is not a grade of 售后客服素质 under aftersale-4crown"),
        ({"agent_id": "A004", "period": PERIOD, "item": "refund_rate", "grade": "A"},
         "&#39;refund_rate&#39; is not a graded item of aftersale-4crown"),
        ({"agent_id": "A001", "period": PERIOD, "item": "quality", "grade": "A"},
         "The schemes of agent A001 (presale-standard) have no graded items"),
        ({"agent_id": "ZZZ", "period": PERIOD, "item": "quality", "grade": "A"},
         "No agent &#39;ZZZ&#39; in the workspace."),
        ({"agent_id": "A004", "period": "2026-13", "item": "quality", "grade": "A"}, None),
        ({"agent_id": "A004", "period": "Oct", "item": "quality", "grade": "A"}, None),
    ]
    for data, reason in cases:
        response = _post(client, "/grades", data)
        assert response.status_code == 422, data
        if reason is not None:
            assert reason in response.text, data
    assert _audit(app, "grade.") == []


def test_event_entry_stores_the_event_and_an_audit_row(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    response = _post(client_for("mgr"), "/events", {
        "agent_id": "A005", "date": "2026-10-04", "kind": "complaint", "points": "-10",
        "note": "verified"})
    assert response.status_code == 303
    with transaction(app.state.cskpi.sessions) as db:
        event = db.scalars(select(Event)).one()
        assert (event.agent_id, str(event.date), event.kind, float(event.points or 0)) == (
            "A005", "2026-10-04", "complaint", -10.0)
    [entry] = _audit(app, "event.")
    assert entry.action == "event.create" and entry.after["kind"] == "complaint"
    assert entry.after["points"] == "-10.00"


def test_event_points_must_be_numbers(client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    for points in ("many", "NaN", "Infinity", "1e12"):
        response = _post(client, "/events", {"agent_id": "A005", "date": "2026-10-04",
                                             "kind": "praise", "points": points})
        assert response.status_code == 422, points
        assert f"&#39;{points}&#39; is not a number of points" in response.text


def test_locking_a_period_snapshots_scores_and_pay_as_versions(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    lock = {"period": PERIOD, "scheme": "aftersale-4crown"}
    assert _post(client, "/periods/lock", lock).status_code == 303
    assert _post(client, "/periods/lock", lock).status_code == 409  # nothing changed
    _post(client, "/grades", {"agent_id": "A004", "period": PERIOD, "item": "quality",
                              "grade": "D"})
    assert _post(client, "/periods/lock", {**lock, "reason": "re-graded"}).status_code == 303
    with transaction(app.state.cskpi.sessions) as db:
        locks = list(db.scalars(select(PeriodLock).order_by(PeriodLock.version)))
    assert [lk.version for lk in locks] == [1, 2]
    snapshot = locks[0].snapshot
    assert [c["agent_id"] for c in snapshot["cards"]] == ["A004", "A005"]
    assert {"score", "items", "pay"} <= set(snapshot["cards"][0])
    entries = _audit(app, "period.")
    assert [(e.action, e.after["version"]) for e in entries] == [("period.lock", 1),
                                                                  ("period.lock", 2)]
    assert entries[1].before == {"version": 1} and entries[1].after["reason"] == "re-graded"


def test_a_locked_period_shows_the_snapshot_until_it_is_locked_again(
        client_for: Callable[..., TestClient]) -> None:
    """A lock freezes what is published; a later correction is saved (and audited) but
    reaches the scorecard only with a new version."""
    client = client_for("mgr")
    _post(client, "/periods/lock", {"period": PERIOD, "scheme": "aftersale-4crown"})
    url = f"/api/v1/agents/A004/scorecard?period={PERIOD}"
    api = client.get(url).json()
    assert api["locked"]["version"] == 1 and api["locked"]["locked_by"] == "mgr"
    assert "locked · version 1 by mgr" in client.get(f"/agents/A004/scorecard?period={PERIOD}").text
    corrected = _post(client, "/grades", {"agent_id": "A004", "period": PERIOD,
                                          "item": "quality", "grade": "D"})
    assert corrected.status_code == 303
    assert _post(client, "/events", {"agent_id": "A004", "date": "2026-10-02",
                                     "kind": "praise"}).status_code == 303
    assert client.get(url).json()["card"] == api["card"]  # not silently changed
    grades_page = client.get(f"/grades?period={PERIOD}").text
    assert "is locked (version 1 of aftersale-4crown)" in grades_page  # says what a save does
    _post(client, "/periods/lock", {"period": PERIOD, "scheme": "aftersale-4crown",
                                    "reason": "quality re-reviewed, praise recorded"})
    relocked = client.get(url).json()
    assert relocked["locked"]["version"] == 2 and relocked["card"] != api["card"]
    quality = next(i for i in relocked["card"]["items"] if i["key"] == "quality")
    assert quality["points"] == 0  # grade D → 0 of 20


def test_locking_an_unconfigured_scheme_is_refused(
        client_for: Callable[..., TestClient]) -> None:
    response = _post(client_for("mgr"), "/periods/lock", {"period": PERIOD,
                                                          "scheme": "/etc/passwd"})
    assert response.status_code == 422


def test_admin_sees_the_audit_log(client_for: Callable[..., TestClient]) -> None:
    _post(client_for("mgr"), "/grades", {"agent_id": "A004", "period": PERIOD,
                                         "item": "quality", "grade": "C"})
    html = client_for("admin").get("/admin/audit").text
    assert "grade.create" in html and "grade:A004:2026-10:quality" in html


def test_admin_creates_an_agent_user_linked_to_the_roster(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    client = client_for("admin")
    ok = _post(client, "/admin/users", {"username": "a002", "password": "agent-pass-002",
                                        "role": "agent", "agent_id": "A002"})
    assert ok.status_code == 303
    # refused in place, with the reason beside the form
    assert _post(client, "/admin/users", {"username": "ghost", "password": "ghost-pass-1",
                                          "role": "agent", "agent_id": "A999"}).status_code == 422
    assert _post(client, "/admin/users", {"username": "A002", "password": "agent-pass-002",
                                          "role": "manager"}).status_code == 409
    assert _post(client, "/admin/users", {"username": "short", "password": "short",
                                          "role": "manager"}).status_code == 422
    [entry] = [e for e in _audit(app, "user.create") if e.target == "user:a002"]
    assert entry.username == "admin" and entry.after["agent_id"] == "A002"
    assert "password" not in str(entry.after)


def test_a_grade_entered_in_the_app_changes_the_score(
        client_for: Callable[..., TestClient]) -> None:
    """A004 is after-sale (aftersale-4crown): its 'quality' item is a manager grade."""
    agent = client_for("a004")
    url = f"/api/v1/agents/A004/scorecard?period={PERIOD}"

    def quality() -> dict[str, Any]:
        card = agent.get(url).json()["card"]
        return next(i for i in card["items"] if i["key"] == "quality")

    _post(client_for("mgr"), "/grades", {"agent_id": "A004", "period": PERIOD,
                                         "item": "quality", "grade": "差"})
    # the app's grade D replaces the imported one: 0 of 20 points, and says so
    assert (quality()["points"], quality()["rule"].split(" (by")[0]) == (
        0, "grade D (poor) → 0")
    _post(client_for("mgr"), "/grades", {"agent_id": "A004", "period": PERIOD,
                                         "item": "quality", "grade": "优"})
    assert quality()["points"] == 20  # a changed grade gives a new score at once


def test_report_download_includes_grades_entered_here(
        client_for: Callable[..., TestClient]) -> None:
    import io

    import openpyxl

    _post(client_for("mgr"), "/grades", {"agent_id": "A004", "period": PERIOD,
                                         "item": "quality", "grade": "D"})
    response = client_for("mgr").get(f"/reports/{PERIOD}.xlsx?scheme=aftersale-4crown")
    assert response.status_code == 200
    assert "cskpi-aftersale-4crown-2026-10.xlsx" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    explained = [[c.value for c in row] for row in book["Explanations"].iter_rows()]
    assert any("A004" in row and "grade D (poor) → 0" in row for row in explained)
    pdf = client_for("mgr").get(f"/reports/{PERIOD}.pdf?scheme=aftersale-4crown")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client_for("a004").get(f"/reports/{PERIOD}.xlsx?scheme=aftersale-4crown"
                                  ).status_code == 403


def test_periods_page_links_the_report_downloads(
        client_for: Callable[..., TestClient]) -> None:
    page = client_for("mgr").get(f"/periods?period={PERIOD}").text
    assert f'href="/reports/{PERIOD}.xlsx?scheme=aftersale-4crown"' in page
    assert f'href="/reports/{PERIOD}.pdf?scheme=presale-standard"' in page


def test_a_report_of_a_locked_month_never_changes_silently(
        client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    lock = {"period": PERIOD, "scheme": "aftersale-4crown"}
    url = f"/reports/{PERIOD}.xlsx?scheme=aftersale-4crown"
    assert _post(client, "/periods/lock", lock).status_code == 303
    assert client.get(url).status_code == 200  # the locked figures are the live ones
    _post(client, "/grades", {"agent_id": "A004", "period": PERIOD, "item": "quality",
                              "grade": "D"})
    refused = client.get(url, headers={"accept": "application/json"})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "conflict" and "version 1" in error["message"]
    assert error["details"]["review"] == f"/periods/{PERIOD}?scheme=aftersale-4crown"
    live = client.get(url + "&live=1")  # asked for explicitly: the figures as they stand
    assert live.status_code == 200 and live.content[:2] == b"PK"
    assert _post(client, "/periods/lock", {**lock, "reason": "quality"}).status_code == 303
    assert client.get(url).status_code == 200  # locked again: report and lock agree
