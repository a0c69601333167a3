"""The start page: sends each role where it works."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from ...deps import OptionalUser

router = APIRouter()


@router.get("/")
def home(principal: OptionalUser) -> RedirectResponse:
    """Agents to their own scorecard, managers and admins to the overview."""
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    user = principal.user
    if user.role == "agent":
        target = f"/agents/{user.agent_id}/scorecard" if user.agent_id else "/account"
        return RedirectResponse(target, status_code=303)
    return RedirectResponse("/overview", status_code=303)
