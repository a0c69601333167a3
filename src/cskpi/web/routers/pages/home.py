"""The start page: sends each role where it works."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from ....errors import CskpiError
from ...db.models import MANAGERS, QA_REVIEWERS
from ...deps import DataDep, OptionalUser

router = APIRouter()


@router.get("/")
def home(principal: OptionalUser, data: DataDep) -> RedirectResponse:
    """Agents to their own scorecard; QA reviewers to the review queue; managers and
    admins to the overview, or to the Data page while the workspace holds no data yet (a
    fresh install starts with an upload)."""
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    user = principal.user
    if user.role == "agent":
        target = f"/agents/{user.agent_id}/scorecard" if user.agent_id else "/account"
        return RedirectResponse(target, status_code=303)
    if user.role not in MANAGERS:
        return RedirectResponse("/qa" if user.role in QA_REVIEWERS else "/account",
                                status_code=303)
    try:
        data.latest_period()
    except CskpiError:
        return RedirectResponse("/data", status_code=303)
    return RedirectResponse("/overview", status_code=303)
