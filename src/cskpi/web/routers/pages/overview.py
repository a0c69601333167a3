"""Overview: the shop's, the teams' and the agents' KPIs for a month, an ISO week or a
range of days against the schemes' targets and the platform's thresholds and beside the
previous period's, their trend over the last months, per-agent alerts and a chart."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ....scoring.goals import alerts, row_goals
from ...deps import DataDep, ManagerUser, PeriodDep, StateDep
from ...i18n import Formatter
from ...params import today
from ...services.comparison import Comparer, previous_rows
from ...services.views import (
    OVERVIEW_KEYS,
    TREND_KEYS,
    bar_chart,
    by_month,
    general_goals,
    kpis,
    monthly_rows,
    trailing_months,
    trend_chart,
)
from ...templating import render, request_lang

router = APIRouter()
CHART_METRIC = "reply_3min_rate"


@router.get("/overview", response_class=HTMLResponse)
def overview(request: Request, principal: ManagerUser, state: StateDep, data: DataDep,
             period: PeriodDep) -> HTMLResponse:
    """Team KPIs of a period (shop, teams, agents) with goals, trends and alerts."""
    fmt = Formatter(request_lang(request))
    settings = state.settings

    def context() -> dict[str, Any]:
        shop_rows, teams, agents = (data.metrics(period, by) for by in ("shop", "team", "agent"))
        shop = shop_rows[0] if shop_rows else {}
        goals = general_goals(data)
        shop_goals = row_goals(shop, goals)
        # the trend is of whole months: those up to the one the period ends in
        month = period.month_until(today())
        months = trailing_months(month)
        shop_months = by_month(monthly_rows(data, month, "shop"))
        rules = settings.alerts
        alert_below = next((t for m, op, t in rules if m == CHART_METRIC and op == "<"), None)
        before = previous_rows(data, period, "shop")
        return {
            "cmp": Comparer(fmt, period), "shop_before": next(iter((before or {}).values()), None),
            # the teams' and agents' rows of the previous period, beside each of theirs
            "teams_before": previous_rows(data, period, "team") or {},
            "agents_before": previous_rows(data, period, "agent") or {},
            "period": period, "keys": OVERVIEW_KEYS, "shop": shop,
            "kpis": kpis(shop, OVERVIEW_KEYS, shop_goals),
            "teams": [(row, row_goals(row, goals)) for row in teams], "agents": agents,
            "alerts": alerts(agents, rules), "min_sample": settings.min_sample,
            "bar": bar_chart(fmt, CHART_METRIC, agents, alert_below,
                             shop_goals.get(CHART_METRIC, [])),
            "months": months, "shop_months": shop_months,
            "trend_keys": TREND_KEYS,
            "trends": {key: trend_chart(fmt, key, months, shop_months, goals)
                       for key in TREND_KEYS},
        }

    # the page changes with the data (the cache is dropped then), the schemes' versions
    # in force (their targets) and the app's alert and sample settings
    schemes = tuple(data.in_force(s).ref for s in dict.fromkeys(data.schemes_by_role.values()))
    return render(request, "overview.html", context, cache_key=(
        period, schemes, data.profile, repr(settings.alerts), settings.min_sample))
