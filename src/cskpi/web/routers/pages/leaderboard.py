"""Leaderboard: agents × key metrics, sortable, with sample sizes and small-sample flags;
each figure links to its drill-down."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ...deps import DataDep, ManagerUser, StateDep, month_with_data
from ...errors import BadRequest
from ...params import MonthQuery
from ...templating import render
from ...views import LEADERBOARD_KEYS, default_order, sort_rows

router = APIRouter()


@router.get("/leaderboard", response_class=HTMLResponse)
def leaderboard(request: Request, principal: ManagerUser, state: StateDep, data: DataDep,
                period: MonthQuery = None,
                sort: str = "sales",
                order: Literal["asc", "desc"] | None = None) -> HTMLResponse:
    """Every agent's key figures for a month, ranked by ``sort``."""
    if sort not in LEADERBOARD_KEYS and sort not in ("agent_id", "name"):
        raise BadRequest("web.error.sort_invalid", details={"allowed": list(LEADERBOARD_KEYS)},
                         sort=sort)
    period = month_with_data(data, period)
    direction = order or (default_order(sort) if sort in LEADERBOARD_KEYS else "asc")
    min_sample = state.settings.min_sample

    def context() -> dict[str, Any]:
        rows = sort_rows(list(data.metrics(period, "agent")), sort, direction)
        return {"period": period, "keys": LEADERBOARD_KEYS, "rows": rows, "sort": sort,
                "order": direction, "min_sample": min_sample}

    return render(request, "leaderboard.html", context,
                  cache_key=(period, sort, direction, min_sample))
