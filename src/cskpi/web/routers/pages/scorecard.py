"""An agent's scorecard: points by item with the rule and data behind each (each figure
links to its drill-down), the score, each item's and each event kind's points beside the
previous month's, pay, and the trend of the last months."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ...deps import AgentAccess, DataDep, DbDep, scheme_choice
from ...i18n import Formatter
from ...params import MonthQuery
from ...services.activity import scorecard_peers
from ...services.comparison import Comparer, previous_card
from ...services.records import card_asked, records_version
from ...services.records import scorecard as build_scorecard
from ...services.views import scheme_in_force, scheme_profile, scorecard_trend
from ...templating import render, request_lang

router = APIRouter()


@router.get("/agents/{agent_id}/scorecard", response_class=HTMLResponse)
def scorecard_page(request: Request, agent_id: str, principal: AgentAccess, db: DbDep,
                   data: DataDep,
                   period: MonthQuery = None,
                   scheme: str | None = None) -> HTMLResponse:
    """One agent's month (live, or the locked snapshot)."""
    from ....scoring.presets import preset_names

    chosen = scheme_choice(principal, scheme)
    _, month = card_asked(data, agent_id, period or data.latest_period(), chosen)

    def context() -> dict[str, Any]:
        view = build_scorecard(db, data, agent_id, month, chosen)
        before = previous_card(db, data, view, chosen)
        fmt = Formatter(request_lang(request))
        # drill-downs count under the profile the scheme scores with
        profile = scheme_profile(data, view.scheme) if view.scheme else data.profile
        # the scheme's items by key: their names in the reader's language (label_en)
        items = ({i.key: i for i in scheme_in_force(data, view.scheme).items}
                 if view.scheme else {})
        return {
            "v": view, "presets": preset_names(), "scheme_items": items,
            "drill_profile": profile if profile != data.profile else None,
            "trend": scorecard_trend(db, data, view, fmt),
            "peers": scorecard_peers(data, view),
            "cmp": Comparer(fmt, view.period), "card_before": before,
            "items_before": {i.get("key"): i for i in (before or {}).get("items") or ()},
            # an event kind without an adjustment last month had none: 0 points, 0 events
            "adjustments_before": {a.get("event"): a
                                   for a in (before or {}).get("adjustments") or ()}}

    # the content is kept until the data or any record of the app (a grade, an event, a
    # lock, a scheme version, an appeal…) changes; it shows the viewer's role's links.
    # Only months with data are kept (the keys stay as few as the months of the data)
    role = principal.view.role
    kept = ("agent-card", agent_id, month, chosen, role)  # render adds today's month
    return render(request, "scorecard.html", context,
                  cache_key=kept if data.has_data(month) else None,
                  cache_version=records_version(db),
                  page={"agent_id": agent_id})
