"""The what-if simulator: what sales become when conversion, AOV, inquiries or headcount
change, from a month's baseline (the same figures as ``cskpi whatif``).

A plain GET form, so a simulation can be bookmarked and shared as a link.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ...deps import DataDep, ManagerUser
from ...periods import months_with_data
from ...templating import render
from ...whatif import FIELDS, cli_command, simulate

router = APIRouter()
Text = Annotated[str, Query()]


@router.get("/whatif", response_class=HTMLResponse)
def whatif_page(request: Request, principal: ManagerUser, data: DataDep,
                period: Annotated[str | None, Query()] = None, conversion: Text = "",
                aov: Text = "", inquiries: Text = "", agents: Text = "") -> HTMLResponse:
    """The form, and base → new for every driver and sales; a bad field gets its message."""
    sim = simulate(data, period or None, {"conversion": conversion, "aov": aov,
                                          "inquiries": inquiries, "agents": agents})
    return render(request, "whatif.html", {"sim": sim, "fields": FIELDS,
                                           "months": months_with_data(data),
                                           "command": cli_command(sim) if sim.result else None})
