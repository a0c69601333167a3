"""Leaderboard: each role's agents ranked among themselves by their scheme's measures
(pre-sale by conversion and sales, after-sale by refunds and satisfaction …), sortable,
filtered by team, with sample sizes and small-sample flags; each figure links to its
drill-down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ....metrics.catalog import CATALOG
from ....metrics.ranking import default_order, sort_rows
from ...deps import DataDep, ManagerUser, StateDep, month_with_data
from ...errors import BadRequest
from ...params import MonthQuery
from ...templating import render
from ...views import LEADERBOARD_KEYS, scheme_in_force

router = APIRouter()
ROLE_ORDER = ("presale", "aftersale", "lead")


@dataclass(frozen=True)
class RoleBoard:
    """One role's ranking: its scheme (None: the general figures), the measures shown
    (the scheme's catalog metrics, in scheme order), the order, and its agents' rows."""

    role: str | None
    scheme: str | None
    keys: tuple[str, ...]
    sort: str
    order: str
    rows: list[dict[str, Any]]


def _keys(data: Any, scheme: str | None) -> tuple[str, ...]:
    """The scheme's catalog metrics first (the first one ranks), then the general ones."""
    if scheme is None:
        return LEADERBOARD_KEYS
    names = [n for n in scheme_in_force(data, scheme).metric_names() if n in CATALOG]
    return tuple(dict.fromkeys((*names, *LEADERBOARD_KEYS)))


def boards(data: Any, rows: list[dict[str, Any]], sort: str | None,
           order: str | None) -> list[RoleBoard]:
    """The agents' rows by role, each role ranked by ``sort`` when its board shows it,
    else by its scheme's first measure."""
    by_role: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        by_role.setdefault(row.get("role"), []).append(row)
    out = []
    for role in sorted(by_role, key=lambda r: (ROLE_ORDER.index(r) if r in ROLE_ORDER
                                               else len(ROLE_ORDER), str(r))):
        scheme = data.schemes_by_role.get(str(role)) if role else None
        keys = _keys(data, scheme)
        key = sort if sort in (*keys, "agent_id", "name") else keys[0]
        direction = order or (default_order(key) if key in CATALOG else "asc")
        out.append(RoleBoard(role, scheme, keys, key, direction,
                             sort_rows(by_role[role], key, direction)))
    return out


@router.get("/leaderboard", response_class=HTMLResponse)
def leaderboard(request: Request, principal: ManagerUser, state: StateDep, data: DataDep,
                period: MonthQuery = None,
                sort: str | None = None,
                order: Literal["asc", "desc"] | None = None,
                team: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
    """Every agent's key figures for a month, ranked within their role."""
    if sort is not None and sort not in CATALOG and sort not in ("agent_id", "name"):
        raise BadRequest("web.error.sort_invalid", details={"allowed": list(LEADERBOARD_KEYS)},
                         sort=sort)
    period = month_with_data(data, period)
    min_sample = state.settings.min_sample
    rows = list(data.metrics(period, "agent"))
    teams = sorted({str(r["team"]) for r in rows if r.get("team")})
    if team:
        if team not in teams:
            raise BadRequest("web.error.team_invalid", details={"allowed": teams}, team=team)
        rows = [r for r in rows if r.get("team") == team]

    def context() -> dict[str, Any]:
        return {"period": period, "boards": boards(data, rows, sort, order), "teams": teams,
                "team": team or "", "min_sample": min_sample}

    return render(request, "leaderboard.html", context,
                  cache_key=(period, sort, order, team, min_sample))
