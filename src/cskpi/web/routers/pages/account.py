"""The user's own account: language, password and API tokens.

API tokens are listed, made and revoked from a browser login only (with its CSRF
token), never with a bearer token: a token that could mint another would outlive its
own revocation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from ...db.models import ApiToken, utcnow
from ...deps import DbDep, FormUser, SessionForm, SessionUser, StateDep, client_ip
from ...services import accounts
from ...templating import render

router = APIRouter()


def _page(request: Request, principal: SessionUser, db: DbDep,
          new_secret: str | None = None, saved: str | None = None) -> HTMLResponse:
    tokens = list(db.scalars(select(ApiToken).where(ApiToken.user_id == principal.user.id)
                             .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))
    response = render(request, "account.html", {
        "tokens": tokens, "now": utcnow(), "new_secret": new_secret,
        "saved": saved == "password", "token_days": accounts.TOKEN_DAYS_CHOICES,
        "default_days": accounts.DEFAULT_TOKEN_DAYS, "no_expiry": accounts.NO_EXPIRY})
    if new_secret:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, principal: SessionUser, db: DbDep,
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
    """Change the user's password (other sessions, and the tokens made on them, end)."""
    accounts.change_password(db, state.passwords, principal.user, current, new,
                             keep=principal.login, ip=client_ip(request))
    db.commit()
    return RedirectResponse("/account?saved=password", status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse)
def token_submit(request: Request, principal: SessionForm, db: DbDep,
                 name: Annotated[str, Form(max_length=100)] = "",
                 expires_days: Annotated[str, Form(max_length=8)] = str(
                     accounts.DEFAULT_TOKEN_DAYS)) -> HTMLResponse:
    """Create an API token on this login and show it once."""
    assert principal.login is not None  # SessionForm
    secret, _row = accounts.create_api_token(
        db, principal.user, name, parent=principal.login,
        days=accounts.token_days(expires_days), ip=client_ip(request))
    db.commit()
    return _page(request, principal, db, new_secret=secret)


@router.post("/account/tokens/{token_id}/revoke")
def token_revoke(request: Request, token_id: int, principal: SessionForm,
                 db: DbDep) -> RedirectResponse:
    """Revoke one of the user's tokens (and the tokens made from it)."""
    accounts.revoke_api_token(db, principal.user, token_id, ip=client_ip(request))
    db.commit()
    return RedirectResponse("/account", status_code=303)
