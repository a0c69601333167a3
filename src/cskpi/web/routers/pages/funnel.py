"""The Funnel page: 询单 → 下单 → 付款 per shop, team and agent, why inquiries were lost
(with example sessions and their transcripts, relabelled by managers), the duration and
rounds curves, and the payment reminders (催付).  An agent sees their own lost list."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ...deps import (
    AgentAccess,
    CurrentUser,
    DataDep,
    DbDep,
    ManagerForm,
    ManagerUser,
    PeriodAny,
    PeriodAsked,
    PeriodDep,
    can_see_agent,
    client_ip,
)
from ...errors import Forbidden, NotFound
from ...params import MonthForm, PageQuery
from ...services.activity import paged
from ...services.lost import FUNNEL_KEYS, REMIND_KEYS, funnel, lost_list, record_relabel, relabels
from ...templating import render

router = APIRouter()


@router.get("/funnel", response_class=HTMLResponse)
def funnel_page(request: Request, principal: ManagerUser, db: DbDep, data: DataDep,
                period: PeriodDep) -> HTMLResponse:
    """The period's funnel, lost reasons, curves and reminders (the page's content is kept
    per period and managers' relabels until the data changes)."""
    labels = relabels(db)
    return render(request, "funnel.html",
                  lambda: {"v": funnel(data, period, labels), "funnel_keys": FUNNEL_KEYS,
                           "remind_keys": REMIND_KEYS},
                  cache_key=(period.key, tuple(sorted(labels.items()))))


@router.get("/agents/{agent_id}/lost", response_class=HTMLResponse)
def agent_lost_page(request: Request, agent_id: str, principal: AgentAccess, db: DbDep,
                    data: DataDep, period: PeriodDep, page: PageQuery = 1) -> HTMLResponse:
    """One agent's lost inquiries of the period, each with its reason and evidence, a
    page of them at a time (the download holds every one)."""
    agent = data.agent(agent_id)
    if agent is None:
        raise NotFound("web.error.agent_unknown", agent=agent_id)
    items = lost_list(data, period, relabels(db), agent_id)
    from ...services.lost import taxonomy

    shown = paged(items, page)
    query = {**dict(period.query), **({"page": shown.page} if shown.page > 1 else {})}
    return render(request, "lost_agent.html", {"agent": agent, "period": period,
                                               "items": items, "shown": shown,
                                               "query": query, "tax": taxonomy()})


@router.get("/funnel/sessions/{session_id}", response_class=HTMLResponse)
def transcript_page(request: Request, session_id: str, principal: CurrentUser, db: DbDep,
                    data: DataDep, period: PeriodAny,
                    saved: str | None = None) -> HTMLResponse:
    """A session's messages; a lost inquiry's reason, which a manager may change."""
    from ...services.lost import taxonomy

    session = data.transcript(session_id)
    if session is None:
        raise NotFound("web.lost.error.no_session", session=session_id)
    user = principal.user
    if not can_see_agent(user, session["agent_id"]):
        raise Forbidden("web.error.other_agent")
    labels = relabels(db)
    lost = next((i for i in lost_list(data, period, labels, session["agent_id"])
                 if i.session_id == session_id), None)
    return render(request, "lost_session.html", {
        "s": session, "lost": lost, "period": period, "tax": taxonomy(), "saved": saved,
        "label": labels.get(session_id), "can_relabel": user.role in ("admin", "manager")})


@router.post("/funnel/relabel")
def relabel_submit(request: Request, principal: ManagerForm, db: DbDep,
                   session_id: Annotated[str, Form(max_length=128)],
                   period: MonthForm,
                   asked: PeriodAsked,
                   reason: Annotated[str, Form(max_length=64)] = "",
                   note: Annotated[str, Form(max_length=2000)] = "") -> RedirectResponse:
    """Store a manager's reason for a lost inquiry (audited), then show it again, of the
    period it was shown of: the form's month, or the week or days its address asks for
    (the transcript of a week posts to ``?week=…``)."""
    record_relabel(db, principal.user, session_id=session_id, reason=reason, note=note,
                   ip=client_ip(request))
    db.commit()
    shown = asked.qs if asked is not None else urlencode({"period": period})
    return RedirectResponse(f"/funnel/sessions/{quote(session_id, safe='')}?{shown}&saved=1",
                            status_code=303)
