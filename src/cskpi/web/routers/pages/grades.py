"""Grades & events: managers grade scheme items 优/良/中/差 and record events, chosen from
the schemes in force; each entered one may be changed or deleted (audited) until a lock
has seen it.  Imported grades and events are listed beside the entered ones.

A refused entry shows the form again with the reason beside it and what was typed kept
(422; 409 when a lock keeps it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ....months import month_range
from ...deps import DataDep, DbDep, ManagerForm, ManagerUser, client_ip
from ...forms import FormError, form_error, kept
from ...params import MonthForm, MonthQuery, current_month
from ...services.gateway import DataGateway
from ...services.periods import latest_locks
from ...services.records import (
    covering_names,
    delete_event,
    delete_grade,
    get_event,
    get_grade,
    month_entries,
    record_event,
    record_grade,
    records_version,
    update_event,
    update_grade,
)
from ...templating import render

router = APIRouter()
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Note = Annotated[str, Form(max_length=2000)]
Saved = Literal["grade", "event", "grade_update", "grade_delete", "event_update",
                "event_delete"]


def _gradable(data: DataGateway) -> list[dict[str, Any]]:
    """Agents whose schemes have graded items, with those items."""
    from ....scoring.entries import grade_items

    out: list[dict[str, Any]] = []
    for agent in data.roster():
        items = grade_items(data.schemes_covering(agent))
        if items:
            out.append({"agent": agent, "schemes": covering_names(data, agent),
                        "items": [(i.key, i.label) for _, i in items]})
    return out


def _page(request: Request, db: Session, data: DataGateway, period: str, *,
          saved: str | None = None, form: str | None = None,
          values: dict[str, str] | None = None, error: FormError | None = None) -> Response:
    """The forms and every grade and event of the month (with a refused form's reason)."""
    latest = current_month(data.timezone())

    def context() -> dict[str, Any]:
        gradable = _gradable(data)
        items: dict[str, list[tuple[str, str]]] = {}
        for name in dict.fromkeys(data.schemes_by_role.values()):
            found = data.grade_items(name)
            if found:
                items[name] = found
        first = dt.date.fromisoformat(period + "-01")
        rules = [(name, found) for name, found in data.event_rules() if found]
        return {
            "period": period, "gradable": gradable, "item_groups": items,
            "roster": [(a, covering_names(data, a)) for a in data.roster()],
            "rules": rules, "known_kinds": {r.kind for _, found in rules for r in found},
            "date_max": month_range(latest)[1].isoformat(),
            "entries": month_entries(db, data, period), "has_data": data.has_data(period),
            "locks": [lk for (p, _), lk in latest_locks(db).items() if p == period],
            "saved": saved, "today": first.isoformat(), "form": form,
            "values": values or {}, "error": error}

    # the plain page (no form sent back) of a month with data is kept until the data or
    # a record changes
    plain = form is None and error is None and not values and data.has_data(period)
    return render(request, "grades.html", context, status_code=error.status if error else 200,
                  cache_key=("grades", period, saved, latest) if plain else None,
                  cache_version=records_version(db))


@router.get("/grades", response_class=HTMLResponse)
def grades_page(request: Request, principal: ManagerUser, db: DbDep, data: DataDep,
                period: MonthQuery = None, saved: Saved | None = None) -> Response:
    """The forms and what was entered and imported for the month."""
    return _page(request, db, data, period or data.latest_period(), saved=saved)


@router.post("/grades", response_model=None)
def grade_submit(request: Request, principal: ManagerForm, db: DbDep, data: DataDep,
                 agent_id: Annotated[str, Form(max_length=64)],
                 period: MonthForm,
                 item: Annotated[str, Form(max_length=64)],
                 grade: Annotated[str, Form(max_length=4)],
                 note: Note = "") -> Response:
    """Store a grade (audited), then show the list again; a refused one, the form again."""
    try:
        record_grade(db, data, principal.user, agent_id=agent_id, period=period, item=item,
                     grade=grade, note=note, ip=client_ip(request))
    except Exception as exc:
        db.rollback()
        values = kept({"agent_id": agent_id, "item": item, "grade": grade, "note": note})
        return _page(request, db, data, period, form="grade", values=values,
                     error=form_error(request, exc))
    db.commit()
    return RedirectResponse(f"/grades?period={period}&saved=grade", status_code=303)


@router.post("/events", response_model=None)
def event_submit(request: Request, principal: ManagerForm, db: DbDep, data: DataDep,
                 agent_id: Annotated[str, Form(max_length=64)],
                 date: Annotated[dt.date, Form()],
                 kind: Annotated[str, Form(max_length=64)],
                 points: Annotated[str, Form(max_length=20)] = "",
                 note: Note = "") -> Response:
    """Store an event (audited), then show the list again; a refused one, the form again."""
    try:
        record_event(db, data, principal.user, agent_id=agent_id, date=date, kind=kind,
                     points=points, note=note, ip=client_ip(request))
    except Exception as exc:
        db.rollback()
        values = kept({"agent_id": agent_id, "date": date.isoformat(), "kind": kind,
                       "points": points, "note": note})
        period = min(f"{date:%Y-%m}", current_month(data.timezone()))
        return _page(request, db, data, period, form="event", values=values,
                     error=form_error(request, exc))
    db.commit()
    return RedirectResponse(f"/grades?period={date:%Y-%m}&saved=event", status_code=303)


# --- one entered grade or event: change, delete ------------------------------------------


def _edit(request: Request, db: Session, data: DataGateway, what: str, row: Any, *,
          values: dict[str, str] | None = None, error: FormError | None = None) -> Response:
    agent = data.agent(row.agent_id) or {"agent_id": row.agent_id}
    schemes = data.schemes_covering(agent)
    from ....scoring.entries import event_rules, grade_items

    return render(request, "entry_edit.html", {
        "what": what, "row": row, "agent": agent, "values": values or {}, "error": error,
        "items": [(i.key, i.label) for _, i in grade_items(schemes)],
        "rules": [(s.name, event_rules(s)) for s in schemes],
        "period": row.period if what == "grade" else f"{row.date:%Y-%m}"},
        status_code=error.status if error else 200)


def _apply(request: Request, db: Session, data: DataGateway, what: str, entry_id: int,
           work: Callable[[], Any], done: str,
           values: dict[str, str] | None = None) -> Response:
    """Change or delete one entered grade or event, then back to the month's list; a
    refused change shows its form again with the reason and what was typed."""
    get = get_grade if what == "grade" else get_event
    try:
        row = work()
    except Exception as exc:
        db.rollback()
        error = form_error(request, exc)
        return _edit(request, db, data, what, get(db, entry_id), values=values, error=error)
    db.commit()
    period = row.period if what == "grade" else f"{row.date:%Y-%m}"
    return RedirectResponse(f"/grades?period={period}&saved={what}_{done}", status_code=303)


@router.get("/grades/{grade_id}/edit", response_class=HTMLResponse)
def grade_edit(request: Request, grade_id: Id, principal: ManagerUser, db: DbDep,
               data: DataDep) -> Response:
    """The form to change an entered grade."""
    return _edit(request, db, data, "grade", get_grade(db, grade_id))


@router.post("/grades/{grade_id}", response_model=None)
def grade_update(request: Request, grade_id: Id, principal: ManagerForm, db: DbDep,
                 data: DataDep, grade: Annotated[str, Form(max_length=4)],
                 note: Note = "") -> Response:
    """Save the changed grade (audited with before and after)."""
    return _apply(request, db, data, "grade", grade_id, lambda: update_grade(
        db, data, principal.user, grade_id, grade=grade, note=note, ip=client_ip(request)),
        "update", kept({"grade": grade, "note": note}))


@router.post("/grades/{grade_id}/delete", response_model=None)
def grade_delete(request: Request, grade_id: Id, principal: ManagerForm, db: DbDep,
                 data: DataDep) -> Response:
    """Delete an entered grade (audited); the imported one, if any, counts again."""
    return _apply(request, db, data, "grade", grade_id, lambda: delete_grade(
        db, data, principal.user, grade_id, ip=client_ip(request)), "delete")


@router.get("/events/{event_id}/edit", response_class=HTMLResponse)
def event_edit(request: Request, event_id: Id, principal: ManagerUser, db: DbDep,
               data: DataDep) -> Response:
    """The form to change an entered event."""
    return _edit(request, db, data, "event", get_event(db, event_id))


@router.post("/events/{event_id}", response_model=None)
def event_update(request: Request, event_id: Id, principal: ManagerForm, db: DbDep,
                 data: DataDep, date: Annotated[dt.date, Form()],
                 kind: Annotated[str, Form(max_length=64)],
                 points: Annotated[str, Form(max_length=20)] = "",
                 note: Note = "") -> Response:
    """Save the changed event (audited with before and after)."""
    values = kept({"date": date.isoformat(), "kind": kind, "points": points, "note": note})
    return _apply(request, db, data, "event", event_id, lambda: update_event(
        db, data, principal.user, event_id, date=date, kind=kind, points=points, note=note,
        ip=client_ip(request)), "update", values)


@router.post("/events/{event_id}/delete", response_model=None)
def event_delete(request: Request, event_id: Id, principal: ManagerForm, db: DbDep,
                 data: DataDep) -> Response:
    """Delete an entered event (audited with what it was)."""
    return _apply(request, db, data, "event", event_id, lambda: delete_event(
        db, data, principal.user, event_id, ip=client_ip(request)), "delete")
