"""When the work comes and how customers judge it: sessions and the 3-minute reply rate
by weekday and hour (a heatmap), and the bad and neutral reviews and low ratings with the
agent held responsible.  Managers filter by team or agent; an agent sees their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from ....period import Period
from ...deps import CurrentUser, DataDep, PeriodAny
from ...errors import NoData
from ...i18n import Formatter
from ...params import PageQuery
from ...services.activity import (
    Whose,
    feedback,
    heatmap,
    heatmap_chart,
    hour_labels,
    paged,
    weekday_names,
    whose,
)
from ...templating import render, request_lang

router = APIRouter()


@dataclass(frozen=True)
class Scope:
    """The period (a month, week or days with data) and whose figures a page shows."""

    period: Period
    who: Whose


def page_scope(principal: CurrentUser, data: DataDep, period: PeriodAny,
               team: Annotated[str | None, Query(max_length=64)] = None,
               agent: Annotated[str | None, Query(max_length=64)] = None) -> Scope:
    """Whose first (an agent asking for another's figures is refused before anything is
    computed), then whether the period has data."""
    who = whose(principal, data, team, agent)
    if not data.has_data(period):
        raise NoData(period)
    return Scope(period, who)


ScopeDep = Annotated[Scope, Depends(page_scope)]


def _key(scope: Scope) -> tuple[Period, str | None, str | None, bool]:
    """What a page's content depends on besides its own parameters (its cache key)."""
    return scope.period, scope.who.team, scope.who.agent, scope.who.fixed


@router.get("/heatmap", response_class=HTMLResponse)
def heatmap_page(request: Request, data: DataDep, scope: ScopeDep) -> Response:
    """Sessions and the 3-minute reply rate of a period by weekday and hour."""
    fmt = Formatter(request_lang(request))

    def context() -> dict[str, Any]:
        h = heatmap(data, scope.period, scope.who)
        return {"period": scope.period, "who": scope.who, "h": h,
                "weekdays": weekday_names(fmt.lang), "hours": hour_labels(),
                "charts": [("heatmap-sessions-chart", heatmap_chart(fmt, h, "sessions")),
                           ("heatmap-reply-chart", heatmap_chart(fmt, h, "reply_3min_rate"))]}

    return render(request, "heatmap.html", context, cache_key=(*_key(scope), data.profile))



@router.get("/reviews", response_class=HTMLResponse)
def reviews_page(request: Request, data: DataDep, scope: ScopeDep, reviews_page: PageQuery = 1,
                 ratings_page: PageQuery = 1) -> Response:
    """The period's bad and neutral reviews and its low service ratings, a page of each
    (their downloads hold every row)."""

    def context() -> dict[str, Any]:
        names = {a["agent_id"]: a.get("name") for a in data.roster()}
        fb = feedback(data, scope.period, scope.who)
        shown = {"reviews": paged(fb.reviews, reviews_page),
                 "ratings": paged(fb.ratings, ratings_page)}
        who = scope.who
        query: dict[str, Any] = dict(scope.period.query)  # what the pages' links keep
        if not who.fixed:
            query.update({k: v for k, v in (("team", who.team), ("agent", who.agent)) if v})
        query.update({f"{name}_page": p.page for name, p in shown.items() if p.page > 1})
        return {"period": scope.period, "who": who, "fb": fb, "shown": shown, "query": query,
                "names": names}

    return render(request, "reviews.html", context, cache_key=(
        *_key(scope), data.profile, reviews_page, ratings_page))
