"""GET /api/v1/metrics: the metric catalog of a month, by agent, team or shop."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from ....jsonable import jsonable
from ...api_models import DATA_ERRORS, MetricsOut
from ...db.models import MANAGERS
from ...deps import CurrentUser, DataDep, can_see_agent
from ...errors import Forbidden
from ...params import MonthQuery

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_model=MetricsOut, responses=DATA_ERRORS)
def metrics(principal: CurrentUser, data: DataDep,
            period: MonthQuery = None,
            by: Literal["agent", "team", "shop"] = "agent") -> MetricsOut:
    """Every metric for each group.  Agents get their own row only (``by=agent``); other
    roles than managers and admins none."""
    user = principal.user
    if user.role not in MANAGERS and (user.role != "agent" or by != "agent"):
        raise Forbidden("web.error.role_required", roles=", ".join(MANAGERS))
    period = period or data.latest_period()
    # the rows as JSON values once per month and grouping (100 agents × 120 fields)
    rows = data.cached(("api", "metrics", period, by),
                       lambda: jsonable(data.metrics(period, by)))
    return MetricsOut(period=period, by=by, rows=[
        r for r in rows if by != "agent" or can_see_agent(user, str(r["agent_id"]))])
