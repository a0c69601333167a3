"""Appeals (申诉) of grades and events, entered or imported: an agent appeals one of
their own with a reason (``/appeals/mine``), a manager upholds it with the change it makes
or rejects it, with an answer the agent reads (``/appeals``).  Every step is audited
(:mod:`cskpi.web.services.appeals`); a refused one shows the page again with the reason
beside its form and what was typed (422; 409 when a lock keeps the entry)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ...deps import CurrentUser, DataDep, DbDep, FormUser, ManagerForm, ManagerUser, client_ip
from ...errors import Forbidden, NotFound
from ...forms import FormError, form_error, kept
from ...params import MonthForm, MonthQuery
from ...services.appeals import (
    MAX_TEXT,
    agent_appeals,
    agent_month,
    appeal_event,
    appeal_grade,
    appeal_imported,
    decide,
    decided_appeals,
    open_appeals,
)
from ...services.gateway import DataGateway
from ...templating import render

router = APIRouter()
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, Form(max_length=MAX_TEXT * 2)]  # longer ones are refused in place
Saved = Literal["appeal", "upheld", "rejected"]


def _refusal(request: Request, exc: Exception) -> FormError:
    """Why a form was refused; a forbidden or unknown target is an error page."""
    if isinstance(exc, Forbidden | NotFound):
        raise exc
    return form_error(request, exc)


# --- managers ---------------------------------------------------------------------------


def _queue(request: Request, db: Session, data: DataGateway, *, saved: str | None = None,
           form: int | None = None, values: dict[str, str] | None = None,
           error: FormError | None = None) -> Response:
    return render(request, "appeals.html", {
        "open": open_appeals(db, data), "decided": decided_appeals(db), "saved": saved,
        "form": form, "values": values or {}, "error": error, "max_text": MAX_TEXT},
        status_code=error.status if error else 200)


@router.get("/appeals", response_class=HTMLResponse)
def appeals_page(request: Request, principal: ManagerUser, db: DbDep, data: DataDep,
                 saved: Saved | None = None) -> Response:
    """The open appeals with their decision forms, and the newest decided ones."""
    return _queue(request, db, data, saved=saved)


@router.post("/appeals/{appeal_id}/decide", response_model=None)
def appeal_decide(request: Request, appeal_id: Id, principal: ManagerForm, db: DbDep,
                  data: DataDep, status: Annotated[str, Form(max_length=16)],
                  answer: Text = "", remedy: Annotated[str, Form(max_length=16)] = "",
                  points: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Uphold an appeal with the change it makes, or reject it, with an answer (audited)."""
    try:
        decide(db, data, principal.user, appeal_id, status=status, answer=answer,
               remedy=remedy, points=points, ip=client_ip(request))
    except Exception as exc:
        db.rollback()
        error = _refusal(request, exc)
        values = kept({"answer": answer, "status": status, "remedy": remedy,
                       "points": points})
        return _queue(request, db, data, form=appeal_id, values=values, error=error)
    db.commit()
    return RedirectResponse(f"/appeals?saved={status}", status_code=303)


# --- agents -------------------------------------------------------------------------------


def _agent_id(principal: CurrentUser) -> str:
    if principal.user.role != "agent" or not principal.user.agent_id:
        raise Forbidden("web.appeals.error.agents_only")
    return principal.user.agent_id


def _mine(request: Request, db: Session, data: DataGateway, agent_id: str, period: str, *,
          saved: str | None = None, form: str | None = None,
          values: dict[str, str] | None = None, error: FormError | None = None) -> Response:
    return render(request, "appeals_mine.html", {
        "period": period, "month": agent_month(db, data, agent_id, period),
        "appeals": agent_appeals(db, agent_id), "saved": saved, "form": form,
        "values": values or {}, "error": error, "max_text": MAX_TEXT},
        status_code=error.status if error else 200)


@router.get("/appeals/mine", response_class=HTMLResponse)
def my_appeals_page(request: Request, principal: CurrentUser, db: DbDep, data: DataDep,
                    period: MonthQuery = None, saved: Saved | None = None) -> Response:
    """The agent's grades and events of a month, each with its appeals and a form to
    appeal it, and every appeal of theirs with the answer."""
    agent_id = _agent_id(principal)
    return _mine(request, db, data, agent_id, period or data.latest_period(), saved=saved)


def _file(request: Request, db: Session, data: DataGateway, principal: CurrentUser,
          period: str, form: str, text: str, store: Callable[[], object]) -> Response:
    agent_id = _agent_id(principal)
    try:
        store()
    except Exception as exc:
        db.rollback()
        error = _refusal(request, exc)
        return _mine(request, db, data, agent_id, period, form=form,
                     values=kept({"text": text}), error=error)
    db.commit()
    return RedirectResponse(f"/appeals/mine?period={period}&saved=appeal", status_code=303)


@router.post("/appeals/grade", response_model=None)
def appeal_grade_submit(request: Request, principal: FormUser, db: DbDep, data: DataDep,
                        period: MonthForm, item: Annotated[str, Form(max_length=64)],
                        text: Text = "") -> Response:
    """An agent appeals their grade of an item for a month (audited)."""
    return _file(request, db, data, principal, period, f"grade-{item}", text,
                 lambda: appeal_grade(db, data, principal.user, period=period, item=item,
                                      text=text, ip=client_ip(request)))


@router.post("/appeals/event", response_model=None)
def appeal_event_submit(request: Request, principal: FormUser, db: DbDep, data: DataDep,
                        period: MonthForm,
                        event_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
                        text: Text = "") -> Response:
    """An agent appeals an event entered for them (audited)."""
    return _file(request, db, data, principal, period, f"event-{event_id}", text,
                 lambda: appeal_event(db, data, principal.user, event_id=event_id,
                                      text=text, ip=client_ip(request)))


@router.post("/appeals/imported", response_model=None)
def appeal_imported_submit(request: Request, principal: FormUser, db: DbDep, data: DataDep,
                           period: MonthForm, table: Annotated[str, Form(max_length=16)],
                           key: Annotated[str, Form(max_length=64)],
                           text: Text = "") -> Response:
    """An agent appeals an event or complaint of theirs that came with the imported data,
    named by its table and key (audited)."""
    return _file(request, db, data, principal, period, f"imported-{table}-{key}", text,
                 lambda: appeal_imported(db, data, principal.user, period=period,
                                         table=table, key=key, text=text,
                                         ip=client_ip(request)))
