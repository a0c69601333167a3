"""Grades & events: managers grade scheme items 优/良/中/差 and record events, with notes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from ....months import month_range
from ...data import DataGateway
from ...db.models import Event, Grade
from ...deps import DataDep, DbDep, ManagerForm, ManagerUser, client_ip
from ...params import MonthForm, MonthQuery
from ...periods import latest_locks
from ...records import record_event, record_grade
from ...templating import render

router = APIRouter()


def _gradable(data: DataGateway) -> list[dict[str, Any]]:
    """Agents whose scheme has graded items, with those items."""
    out: list[dict[str, Any]] = []
    for agent in data.roster():
        scheme = data.scheme_for(agent)
        items = data.grade_items(scheme) if scheme else []
        if items:
            out.append({"agent": agent, "scheme": scheme, "items": items})
    return out


@router.get("/grades", response_class=HTMLResponse)
def grades_page(request: Request, principal: ManagerUser, db: DbDep, data: DataDep,
                period: MonthQuery = None,
                saved: str | None = None) -> HTMLResponse:
    """The forms and what was entered for the month."""
    period = period or data.latest_period()
    first, last = month_range(period)
    grades = list(db.scalars(select(Grade).where(Grade.period == period)
                             .order_by(Grade.agent_id, Grade.item)))
    events = list(db.scalars(select(Event).where(Event.date >= first, Event.date <= last)
                             .order_by(Event.date, Event.id)))
    gradable = _gradable(data)
    choices = {key: label for g in gradable for key, label in g["items"]}
    return render(request, "grades.html", {
        "period": period, "gradable": gradable, "item_choices": list(choices.items()),
        "roster": data.roster(),
        "grades": grades, "events": events, "event_kinds": data.event_kinds(),
        "locks": [lk for (p, _), lk in latest_locks(db).items() if p == period], "saved": saved, "today": first.isoformat(),
    })


@router.post("/grades")
def grade_submit(request: Request, principal: ManagerForm, db: DbDep, data: DataDep,
                 agent_id: Annotated[str, Form(max_length=64)],
                 period: MonthForm,
                 item: Annotated[str, Form(max_length=64)],
                 grade: Annotated[str, Form(max_length=4)],
                 note: Annotated[str, Form(max_length=2000)] = "") -> RedirectResponse:
    """Store a grade (audited), then show the list again."""
    record_grade(db, data, principal.user, agent_id=agent_id, period=period, item=item,
                 grade=grade, note=note, ip=client_ip(request))
    db.commit()
    return RedirectResponse(f"/grades?period={period}&saved=grade", status_code=303)


@router.post("/events")
def event_submit(request: Request, principal: ManagerForm, db: DbDep, data: DataDep,
                 agent_id: Annotated[str, Form(max_length=64)],
                 date: Annotated[dt.date, Form()],
                 kind: Annotated[str, Form(max_length=64)],
                 points: Annotated[str, Form(max_length=20)] = "",
                 note: Annotated[str, Form(max_length=2000)] = "") -> RedirectResponse:
    """Store an event (audited), then show the list again."""
    record_event(db, data, principal.user, agent_id=agent_id, date=date, kind=kind,
                 points=points, note=note, ip=client_ip(request))
    db.commit()
    return RedirectResponse(f"/grades?period={date:%Y-%m}&saved=event", status_code=303)
