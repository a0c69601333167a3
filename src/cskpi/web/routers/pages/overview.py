"""Overview: the shop's and the teams' KPIs for a month, per-agent alerts and a chart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ...deps import DataDep, ManagerUser, StateDep
from ...templating import render
from ...views import OVERVIEW_KEYS, alerts, bars, threshold_x

router = APIRouter()
PeriodQuery = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")]
CHART_METRIC = "reply_3min_rate"


@router.get("/overview", response_class=HTMLResponse)
def overview(request: Request, principal: ManagerUser, state: StateDep, data: DataDep,
             period: PeriodQuery = None) -> HTMLResponse:
    """Team KPIs of a month (shop, teams, agents) with alerts."""
    period = period or data.latest_period()
    shop = data.metrics(period, "shop")
    teams = data.metrics(period, "team")
    agents = data.metrics(period, "agent")
    rules = state.settings.alerts
    threshold = next((t for m, op, t in rules if m == CHART_METRIC and op == "<"), None)
    return render(request, "overview.html", {
        "period": period, "keys": OVERVIEW_KEYS, "shop": shop[0] if shop else {},
        "teams": teams, "agents": agents,
        "alerts": alerts(agents, rules),
        "chart_metric": CHART_METRIC, "bars": bars(agents, CHART_METRIC, threshold),
        "threshold": threshold,
        "threshold_x": threshold_x(agents, CHART_METRIC, threshold) if threshold else None,
        "min_sample": state.settings.min_sample,
    })
