"""When the work comes and how customers judge it: sessions and the 3-minute reply rate
by weekday and hour (a heatmap), and the bad and neutral reviews and low ratings with the
agent held responsible.  Managers filter by team or agent; an agent sees their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from ...activity import feedback, heatmap, heatmap_chart, hour_labels, weekday_names, whose
from ...deps import CurrentUser, DataDep, month_with_data
from ...i18n import Formatter
from ...params import MonthQuery
from ...templating import render, request_lang

router = APIRouter()
TeamQuery = Annotated[str | None, Query(max_length=64)]
AgentQuery = Annotated[str | None, Query(max_length=64)]


@router.get("/heatmap", response_class=HTMLResponse)
def heatmap_page(request: Request, principal: CurrentUser, data: DataDep,
                 period: MonthQuery = None, team: TeamQuery = None,
                 agent: AgentQuery = None) -> Response:
    """Sessions and the 3-minute reply rate of a month by weekday and hour."""
    who = whose(principal, data, team, agent)
    period = month_with_data(data, period)
    fmt = Formatter(request_lang(request))
    h = heatmap(data, period, who)
    return render(request, "heatmap.html", {
        "period": period, "who": who, "h": h, "weekdays": weekday_names(fmt.lang),
        "hours": hour_labels(),
        "charts": [("heatmap-sessions-chart", heatmap_chart(fmt, h, "sessions", "sessions")),
                   ("heatmap-reply-chart", heatmap_chart(fmt, h, "reply_3min_rate",
                                                         "reply_3min_rate"))]})


@router.get("/reviews", response_class=HTMLResponse)
def reviews_page(request: Request, principal: CurrentUser, data: DataDep,
                 period: MonthQuery = None, team: TeamQuery = None,
                 agent: AgentQuery = None) -> Response:
    """The month's bad and neutral reviews and its low service ratings."""
    who = whose(principal, data, team, agent)
    period = month_with_data(data, period)
    names = {a["agent_id"]: a.get("name") for a in data.roster()}
    return render(request, "reviews.html", {"period": period, "who": who,
                                            "fb": feedback(data, period, who),
                                            "names": names})
