"""Leaderboard: each role's agents ranked among themselves by their scheme's measures
(pre-sale by conversion and sales, after-sale by refunds and satisfaction …), sortable,
filtered by team, searchable by agent, with sample sizes and small-sample flags, each
figure and place beside the previous period's (month, ISO week or days); each figure
links to its drill-down."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ....metrics.catalog import CATALOG
from ....metrics.ranking import default_order, sort_rows
from ...deps import DataDep, ManagerUser, PeriodDep, StateDep
from ...errors import BadRequest
from ...i18n import Formatter
from ...services.comparison import Comparer, matches, previous_rows, ranks
from ...services.views import LEADERBOARD_KEYS, has_data, scheme_in_force
from ...templating import render, request_lang

router = APIRouter()
ROLE_ORDER = ("presale", "aftersale", "lead")
SEARCH_MAX = 64  # an agent search longer than any id or name is refused (422)


@dataclass(frozen=True)
class RoleBoard:
    """One role's ranking: its scheme (None: the general figures), the measures shown
    (the scheme's catalog metrics, in scheme order), the order, and its agents' rows
    (those a search matches; ``places`` keeps each agent's place among all of them).
    ``before`` holds the previous month's rows by agent and ``places_before`` the places
    in the same ranking then (empty when that month has no data)."""

    role: str | None
    scheme: str | None
    keys: tuple[str, ...]
    sort: str
    order: str
    rows: list[dict[str, Any]]
    places: dict[str, int] = field(default_factory=dict)
    before: dict[str, dict[str, Any]] = field(default_factory=dict)
    places_before: dict[str, int] = field(default_factory=dict)

    def ranked_place(self, row: dict[str, Any]) -> int | None:
        """The agent's place when the board ranks by a catalog figure the agent has; None
        when it is sorted by id or name, or the agent lacks the figure (unranked)."""
        if self.sort not in CATALOG or row.get(self.sort) is None:
            return None
        return self.places.get(str(row.get("agent_id")))


def _keys(data: Any, scheme: str | None) -> tuple[str, ...]:
    """The scheme's catalog metrics first (the first one ranks), then the general ones."""
    if scheme is None:
        return LEADERBOARD_KEYS
    names = [n for n in scheme_in_force(data, scheme).metric_names() if n in CATALOG]
    return tuple(dict.fromkeys((*names, *LEADERBOARD_KEYS)))


def boards(data: Any, rows: list[dict[str, Any]], sort: str | None,
           order: str | None, before: list[dict[str, Any]] | None = None,
           search: str = "") -> list[RoleBoard]:
    """The agents' rows by role, each role ranked by ``sort`` when its board shows it,
    else by its scheme's first measure; beside each, the previous month's rows (``before``,
    those with data) ranked the same way; only the agents ``search`` matches are listed,
    each at their place among all."""
    by_role: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        by_role.setdefault(row.get("role"), []).append(row)
    before_by_role: dict[str | None, list[dict[str, Any]]] = {}
    for row in before or ():
        if has_data(row):
            before_by_role.setdefault(row.get("role"), []).append(row)
    out = []
    for role in sorted(by_role, key=lambda r: (ROLE_ORDER.index(r) if r in ROLE_ORDER
                                               else len(ROLE_ORDER), str(r))):
        scheme = data.schemes_by_role.get(str(role)) if role else None
        keys = _keys(data, scheme)
        key = sort if sort in (*keys, "agent_id", "name") else keys[0]
        direction = order or (default_order(key) if key in CATALOG else "asc")
        ranked = sort_rows(by_role[role], key, direction)
        earlier = sort_rows(before_by_role.get(role, []), key, direction)
        out.append(RoleBoard(
            role, scheme, keys, key, direction, [r for r in ranked if matches(r, search)],
            {str(r.get("agent_id")): place for place, r in enumerate(ranked, start=1)},
            {str(r.get("agent_id")): r for r in earlier}, ranks(earlier, key)))
    return out


@router.get("/leaderboard", response_class=HTMLResponse)
def leaderboard(request: Request, principal: ManagerUser, state: StateDep, data: DataDep,
                period: PeriodDep,
                sort: str | None = None,
                order: Literal["asc", "desc"] | None = None,
                team: Annotated[str | None, Query(max_length=64)] = None,
                q: Annotated[str, Query(max_length=SEARCH_MAX,
                                        description="agent id or name, any part of it, "
                                                    "case-insensitive")] = ""
                ) -> HTMLResponse:
    """Every agent's key figures for a period, ranked within their role, beside the
    previous period's."""
    if sort is not None and sort not in CATALOG and sort not in ("agent_id", "name"):
        raise BadRequest("web.error.sort_invalid", details={"allowed": list(LEADERBOARD_KEYS)},
                         sort=sort)
    min_sample = state.settings.min_sample
    rows = list(data.metrics(period, "agent"))
    teams = sorted({str(r["team"]) for r in rows if r.get("team")})
    if team:
        if team not in teams:
            raise BadRequest("web.error.team_invalid", details={"allowed": teams}, team=team)
        rows = [r for r in rows if r.get("team") == team]
    search = q.strip()
    fmt = Formatter(request_lang(request))

    def context() -> dict[str, Any]:
        before = previous_rows(data, period, "agent")
        earlier = [r for r in (before or {}).values() if not team or r.get("team") == team]
        return {"period": period, "boards": boards(data, rows, sort, order, earlier, search),
                "teams": teams, "team": team or "", "q": search, "min_sample": min_sample,
                "cmp": Comparer(fmt, period), "has_previous": before is not None}

    # a search's page is small and its words many: it is rendered anew, not kept
    return render(request, "leaderboard.html", context,
                  cache_key=None if search else (period, sort, order, team, min_sample))
