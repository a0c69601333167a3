"""GET /api/v1/me: who the token or session belongs to."""

from __future__ import annotations

from fastapi import APIRouter

from ...api_models import ERRORS, MeOut
from ...deps import CurrentUser
from ...services.accounts import user_public

router = APIRouter(tags=["me"])


@router.get("/me", response_model=MeOut, responses=ERRORS)
def me(principal: CurrentUser) -> MeOut:
    """The logged-in user and how they authenticated."""
    return MeOut(**user_public(principal.user), auth=principal.via)  # type: ignore[arg-type]
