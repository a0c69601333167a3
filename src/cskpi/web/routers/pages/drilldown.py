"""Drill-down from a scorecard figure to the sessions, rounds and orders behind it.

Managers see every agent's; an agent only their own (``AgentAccess``).  The figure is
shown with its definition, numerator and denominator, then the rows the core's
``explain_metric`` gives, :data:`~cskpi.web.services.views.PAGE_ROWS` per page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ....metrics.catalog import CATALOG
from ....metrics.profiles import PROFILES
from ...deps import AgentAccess, DataDep, PeriodDep
from ...errors import BadRequest, NotFound
from ...services.views import cell_text, coded_value, drilldown
from ...templating import render

router = APIRouter()


@router.get("/agents/{agent_id}/metrics/{metric}", response_class=HTMLResponse)
def drilldown_page(request: Request, agent_id: str, metric: str, principal: AgentAccess,
                   data: DataDep,
                   period: PeriodDep,
                   profile: Annotated[str | None, Query(max_length=32)] = None,
                   page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> HTMLResponse:
    """One agent's figure of a period and the rows behind it."""
    if metric not in CATALOG:
        raise NotFound("web.drill.metric_unknown", metric=metric,
                       details={"hint": ", ".join(CATALOG), "allowed": list(CATALOG)})
    if profile is not None and profile not in PROFILES:
        raise BadRequest("web.drill.profile_unknown", profile=profile,
                         details={"allowed": list(PROFILES)})
    agent = data.agent(agent_id)
    if agent is None:
        raise NotFound("web.error.agent_unknown", agent=agent_id)
    view = drilldown(data, agent, metric, period, profile or data.profile, page)
    context = {"d": view, "m": CATALOG[metric], "cell_text": cell_text,
               "coded_value": coded_value,
               "profile_param": profile if profile and profile != data.profile else None}
    # the rows of a page of a month's drill-down are the data's (kept until it changes):
    # two hundred rows of figures were written on every view (8 ms); a page asked past
    # the end is the last one, kept once; weeks and ranges of days (as many as pairs of
    # days) are written each time
    kept = ("drill", agent_id, metric, period.key, profile, view.page)
    return render(request, "drilldown.html", context,
                  cache_key=kept if period.kind == "month" else None,
                  page={"drill_metric": metric, "drill_agent": agent_id})
