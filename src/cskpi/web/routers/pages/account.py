"""The user's own account: language and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from ... import accounts
from ...db.models import ApiToken
from ...deps import CurrentUser, DbDep, FormUser, StateDep, client_ip
from ...templating import render

router = APIRouter()


def _page(request: Request, principal: CurrentUser, db: DbDep,
          new_secret: str | None = None, saved: str | None = None) -> HTMLResponse:
    tokens = list(db.scalars(select(ApiToken).where(ApiToken.user_id == principal.user.id)
                             .order_by(ApiToken.created_at.desc())))
    return render(request, "account.html", {"tokens": tokens, "new_secret": new_secret,
                                            "saved": saved == "password"})


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, principal: CurrentUser, db: DbDep,
                 saved: str | None = None) -> HTMLResponse:
    """Language, password and API tokens."""
    return _page(request, principal, db, saved=saved)


@router.post("/account/locale")
def locale_submit(request: Request, principal: FormUser, db: DbDep,
                  locale: Annotated[str, Form(max_length=16)] = "") -> RedirectResponse:
    """Set the user's language ('' follows the browser)."""
    accounts.set_locale(db, principal.user, locale or None, ip=client_ip(request))
    db.commit()
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password")
def password_submit(request: Request, principal: FormUser, state: StateDep, db: DbDep,
                    current: Annotated[str, Form(max_length=1000)],
                    new: Annotated[str, Form(max_length=1000)]) -> RedirectResponse:
    """Change the user's password (other sessions end)."""
    accounts.change_password(db, state.passwords, principal.user, current, new,
                             keep=principal.login, ip=client_ip(request))
    db.commit()
    return RedirectResponse("/account?saved=password", status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse)
def token_submit(request: Request, principal: FormUser, db: DbDep,
                 name: Annotated[str, Form(max_length=100)] = "") -> HTMLResponse:
    """Create an API token and show it once."""
    secret, _row = accounts.create_api_token(db, principal.user, name, ip=client_ip(request))
    db.commit()
    return _page(request, principal, db, new_secret=secret)


@router.post("/account/tokens/{token_id}/revoke")
def token_revoke(request: Request, token_id: int, principal: FormUser,
                 db: DbDep) -> RedirectResponse:
    """Revoke one of the user's tokens."""
    accounts.revoke_api_token(db, principal.user, token_id, ip=client_ip(request))
    db.commit()
    return RedirectResponse("/account", status_code=303)
