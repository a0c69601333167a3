"""GET /api/v1/metrics: the metric catalog of a month, an ISO week or a range of days, by
agent, team or shop."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from ....jsonable import jsonable
from ...api_models import DATA_ERRORS, MetricsOut
from ...db.models import MANAGERS
from ...deps import CurrentUser, DataDep, PeriodAny, can_see_agent
from ...errors import Forbidden

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_model=MetricsOut, responses=DATA_ERRORS)
def metrics(principal: CurrentUser, data: DataDep,
            period: PeriodAny,
            by: Literal["agent", "team", "shop"] = "agent") -> MetricsOut:
    """Every metric for each group, of a month (``period``), an ISO week (``week``) or the
    days ``from`` to ``to`` (at most one of them; by default the latest month with data).
    Agents get their own row only (``by=agent``); other roles than managers and admins
    none.

    Besides what each parameter's pattern says, a request is refused (422) that mixes
    the forms (``period_mixed``), gives ``from`` without ``to`` or the reverse
    (``range_incomplete``), ends before it begins (``range_reversed``), spans more than
    366 days (``range_too_long``), asks for a week its year does not have
    (``week_missing``: a 53rd) or a day the calendar does not (``date_invalid``)."""
    user = principal.user
    if user.role not in MANAGERS and (user.role != "agent" or by != "agent"):
        raise Forbidden("web.error.role_required", roles=", ".join(MANAGERS))
    # the rows as JSON values once per period and grouping (100 agents × 120 fields)
    rows = data.cached(("api", "metrics", period.key, by),
                       lambda: jsonable(data.metrics(period, by)))
    return MetricsOut(period=period.key, kind=period.kind, first=period.first,
                      last=period.last, by=by, rows=[
                          r for r in rows
                          if by != "agent" or can_see_agent(user, str(r["agent_id"]))])
