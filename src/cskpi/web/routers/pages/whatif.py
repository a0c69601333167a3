"""The what-if simulator: what sales become when conversion, AOV, inquiries or headcount
change, from a month's baseline (the same figures as ``cskpi whatif``; its sales are the
overview's sales of the month).

A plain GET form, so a simulation can be bookmarked and shared as a link; an input it
refuses is shown again with the reason beside it (422).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ...deps import DataDep, ManagerUser
from ...i18n import Formatter
from ...services.periods import months_with_data
from ...services.whatif import FIELDS, MAX_AGENTS, UNITS, cli_command, simulate
from ...templating import render, request_lang

router = APIRouter()
Text = Annotated[str, Query()]


@router.get("/whatif", response_class=HTMLResponse)
def whatif_page(request: Request, principal: ManagerUser, data: DataDep,
                period: Annotated[str | None, Query()] = None, conversion: Text = "",
                conversion_unit: Text = "", aov: Text = "", inquiries: Text = "",
                agents: Text = "") -> HTMLResponse:
    """The form, and base → new for every driver and sales; a bad field gets its message."""
    sim = simulate(data, period or None, {"conversion": conversion, "aov": aov,
                                          "inquiries": inquiries, "agents": agents},
                   conversion_unit)
    t = Formatter(request_lang(request)).t
    return render(request, "whatif.html", {
        "sim": sim, "fields": FIELDS, "units": UNITS, "max_agents": MAX_AGENTS, "months": months_with_data(data),
        "explained": sim.explained(t),
        "command": cli_command(sim, data.profile) if sim.result else None,
    }, status_code=422 if sim.refused else 200)
