"""Chat QA (质检): reviewers (managers, admins and QA reviewers) review a month's queue
(the rules' sampling plan), read a session's transcript with its hits highlighted, confirm
or dismiss each hit and give rubric points; managers and admins decide agents' appeals;
agents see their own results and appeal a hit.

Every change is audited (:mod:`cskpi.web.services.qa`); a refused one shows the page again with
the reason and what was typed (422; 409 when a lock keeps the month as reviewed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ...db.models import QA_REVIEWERS
from ...deps import (
    CurrentUser,
    DataDep,
    DbDep,
    FormUser,
    ManagerForm,
    Principal,
    QaReviewerForm,
    QaReviewerUser,
    can_see_agent,
    client_ip,
)
from ...errors import Forbidden, NotFound
from ...forms import FormError, form_error, kept
from ...params import MonthForm, MonthQuery, PageQuery
from ...services.gateway import DataGateway
from ...services.qa import (
    MAX_TEXT,
    agent_results,
    decide_appeal,
    open_appeals,
    record_appeal,
    record_decision,
    record_rubric,
    review_rows,
    session_review,
)
from ...services.qarules import in_use
from ...services.records import records_version
from ...templating import render

router = APIRouter()
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
HitId = Annotated[str, Form(max_length=32)]
Text = Annotated[str, Form(max_length=MAX_TEXT * 2)]  # longer ones are refused in place
Saved = Literal["confirm", "dismiss", "rubric", "appeal", "upheld", "rejected"]


def _queue(request: Request, db: Session, data: DataGateway, period: str, *,
           saved: str | None = None, form: int | None = None,
           values: dict[str, str] | None = None, error: FormError | None = None,
           page: int = 1) -> Response:
    shown = review_rows(db, data, period, page)  # thousands queued: a page at a time

    def context() -> dict[str, Any]:
        rules = data.qa_loaded(period)
        return {
            "period": period, "rules": rules, "use": in_use(db, data, period),
            "rows": shown.total, "shown": shown,
            "query": {"period": period, **({"page": shown.page} if shown.page > 1 else {})},
            "appeals": open_appeals(db, period), "saved": saved, "form": form,
            "values": values or {}, "error": error, "max_text": MAX_TEXT}

    # the queue as it stands (no form sent back) is kept until the data or a record (a
    # decision, an appeal, the rules chosen) changes, under the page shown (a number
    # past the end is the last page); managers see the appeals' forms
    plain = form is None and error is None and not values and data.has_data(period)
    principal = getattr(request.state, "principal", None)
    role = principal.view.role if principal is not None else None
    return render(request, "qa.html", context, status_code=error.status if error else 200,
                  cache_key=("qa", period, saved, shown.page, role) if plain else None,
                  cache_version=records_version(db))


@router.get("/qa", response_class=HTMLResponse)
def qa_page(request: Request, principal: QaReviewerUser, db: DbDep, data: DataDep,
            period: MonthQuery = None, saved: Saved | None = None,
            page: PageQuery = 1) -> Response:
    """The month's review queue, a page at a time (its download holds every row), and the
    open appeals (decided by managers and admins)."""
    return _queue(request, db, data, period or data.latest_period(), saved=saved, page=page)


def _refusal(request: Request, exc: Exception) -> FormError:
    """Why a form was refused; a forbidden or unknown target is an error page."""
    if isinstance(exc, Forbidden | NotFound):
        raise exc
    return form_error(request, exc)


def _session(request: Request, db: Session, data: DataGateway, period: str,
             session_id: str, role: str, *, saved: str | None = None, form: str | None = None,
             values: dict[str, str] | None = None, error: FormError | None = None
             ) -> Response:
    view = session_review(db, data, period, session_id)
    return render(request, "qa_session.html", {
        "v": view, "period": view.period, "rules": data.qa_loaded(view.period), "saved": saved,
        "form": form, "values": values or {}, "error": error,
        "can_review": role in QA_REVIEWERS},
        status_code=error.status if error else 200)


@router.get("/qa/sessions/{session_id}", response_class=HTMLResponse)
def qa_session_page(request: Request, session_id: str, principal: CurrentUser, db: DbDep,
                    data: DataDep, period: MonthQuery = None,
                    saved: Saved | None = None) -> Response:
    """A checked session: its transcript with the hits highlighted, its score; managers
    confirm or dismiss hits and give rubric points, its agent reads it."""
    user = principal.user
    session = data.transcript(session_id)
    if session is None:
        raise NotFound("web.lost.error.no_session", session=session_id)
    if user.role not in QA_REVIEWERS and not can_see_agent(user, session["agent_id"]):
        raise Forbidden("web.error.other_agent")
    return _session(request, db, data, period or data.latest_period(), session_id,
                    user.role, saved=saved)


def _on_session(request: Request, db: Session, data: DataGateway, principal: Principal,
                period: str, session_id: str, form: str, values: dict[str, str],
                saved: str, store: Callable[[], object]) -> Response:
    """``store()`` (a reviewer's change), then the session again; a refusal shows the
    session's page with the reason beside the form and what was typed."""
    try:
        store()
    except Exception as exc:
        db.rollback()
        error = _refusal(request, exc)
        return _session(request, db, data, period, session_id, principal.user.role,
                        form=form, values=kept(values), error=error)
    db.commit()
    return RedirectResponse(f"/qa/sessions/{session_id}?period={period}&saved={saved}",
                            status_code=303)


@router.post("/qa/decide", response_model=None)
def qa_decide(request: Request, principal: QaReviewerForm, db: DbDep, data: DataDep,
              period: MonthForm, session_id: Annotated[str, Form(max_length=128)],
              hit_id: HitId, decision: Annotated[str, Form(max_length=16)],
              note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Confirm or dismiss one hit (audited), then show the session again."""
    return _on_session(request, db, data, principal, period, session_id, hit_id,
                       {"note": note}, decision,
                       lambda: record_decision(db, data, principal.user, period=period,
                                               hit=hit_id, decision=decision, note=note,
                                               ip=client_ip(request)))


@router.post("/qa/rubric", response_model=None)
def qa_rubric(request: Request, principal: QaReviewerForm, db: DbDep, data: DataDep,
              period: MonthForm, session_id: Annotated[str, Form(max_length=128)],
              item: Annotated[str, Form(max_length=64)],
              points: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Give a session rubric points (audited), then show it again; points outside the
    item's range are refused beside the form, as typed."""
    return _on_session(request, db, data, principal, period, session_id, f"rubric-{item}",
                       {"points": points}, "rubric",
                       lambda: record_rubric(db, data, principal.user, period=period,
                                             session_id=session_id, item=item, points=points,
                                             ip=client_ip(request)))


@router.post("/qa/appeals/{appeal_id}/decide", response_model=None)
def qa_appeal_decide(request: Request, appeal_id: Id, principal: ManagerForm, db: DbDep,
                     data: DataDep, period: MonthForm,
                     status: Annotated[str, Form(max_length=16)], answer: Text = "") -> Response:
    """Uphold (the hit is dismissed) or reject an appeal with an answer (audited)."""
    try:
        decide_appeal(db, data, principal.user, appeal_id, status=status, answer=answer,
                      ip=client_ip(request))
    except Exception as exc:
        db.rollback()
        error = _refusal(request, exc)
        return _queue(request, db, data, period, form=appeal_id,
                      values=kept({"answer": answer, "status": status}), error=error)
    db.commit()
    return RedirectResponse(f"/qa?period={period}&saved={status}", status_code=303)


# --- agents -------------------------------------------------------------------------------


def _mine(request: Request, db: Session, data: DataGateway, agent_id: str, period: str, *,
          saved: str | None = None, form: str | None = None,
          values: dict[str, str] | None = None, error: FormError | None = None) -> Response:
    return render(request, "qa_mine.html", {
        "period": period, "results": agent_results(db, data, period, agent_id),
        "rules": data.qa_loaded(period), "saved": saved, "form": form, "values": values or {},
        "error": error, "max_text": MAX_TEXT}, status_code=error.status if error else 200)


def _agent_id(principal: CurrentUser) -> str:
    if principal.user.role != "agent" or not principal.user.agent_id:
        raise Forbidden("web.qa.error.agents_only")
    return principal.user.agent_id


@router.get("/qa/mine", response_class=HTMLResponse)
def qa_mine_page(request: Request, principal: CurrentUser, db: DbDep, data: DataDep,
                 period: MonthQuery = None, saved: Saved | None = None) -> Response:
    """The agent's own sessions with hits, their scores, appeals and answers."""
    agent_id = _agent_id(principal)
    return _mine(request, db, data, agent_id, period or data.latest_period(), saved=saved)


@router.post("/qa/appeal", response_model=None)
def qa_appeal(request: Request, principal: FormUser, db: DbDep, data: DataDep,
              period: MonthForm, hit_id: HitId, text: Text = "") -> Response:
    """An agent appeals a hit on one of their sessions (audited)."""
    agent_id = _agent_id(principal)
    try:
        record_appeal(db, data, principal.user, period=period, hit=hit_id, text=text,
                      ip=client_ip(request))
    except Exception as exc:
        db.rollback()
        error = _refusal(request, exc)
        return _mine(request, db, data, agent_id, period, form=hit_id,
                     values=kept({"text": text}), error=error)
    db.commit()
    return RedirectResponse(f"/qa/mine?period={period}&saved=appeal", status_code=303)
