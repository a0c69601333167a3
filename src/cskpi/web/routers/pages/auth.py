"""Login and logout pages.

The login form is protected by a double-submit CSRF token (cookie + hidden field);
after login, forms carry the login's own CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ...deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    DbDep,
    FormUser,
    OptionalUser,
    StateDep,
    client_ip,
)
from ...errors import CsrfFailed, RateLimited, wants_json
from ...security import new_token, same
from ...services import accounts
from ...templating import render

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_page(request: Request, next_path: str, error: str | None = None,
                status_code: int = 200, error_params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_token()
    response = render(request, "login.html", {"next": next_path, "error": error,
                                              "error_params": error_params or {},
                                              "login_csrf": token},
                      status_code=status_code, headers=headers)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/login")
    return response


@router.get("/login")
def login_form(request: Request, principal: OptionalUser, next: str = "/") -> Response:
    """The login form (a logged-in user goes straight on)."""
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, safe_next(next))


@router.post("/login")
def login_submit(request: Request, state: StateDep, db: DbDep,
                 username: Annotated[str, Form(max_length=200)],
                 password: Annotated[str, Form(max_length=1000)],
                 csrf_token: Annotated[str, Form()] = "",
                 next: Annotated[str, Form()] = "/") -> Response:
    """Check the password (rate limited) and start a session.

    Over a limit, a browser gets the form again with the reason (429); a JSON client the
    error (429, code ``rate_limited``, ``details.limit`` ``username`` or ``ip``).
    """
    if not same(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise CsrfFailed()
    try:
        result = accounts.login(db, state.settings, state.passwords, state.limiter, username,
                                password, client_ip(request))
    except RateLimited as exc:
        if wants_json(request):
            raise
        return _login_page(request, safe_next(next), exc.message_key, status_code=exc.status,
                           error_params=exc.params, headers=exc.headers)
    db.commit()
    if result is None:
        return _login_page(request, safe_next(next), "web.login.failed", status_code=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, result.token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/",
                        max_age=state.settings.session_hours * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, db: DbDep, principal: FormUser) -> Response:
    """End the session and forget the cookie."""
    accounts.logout(db, request.cookies.get(SESSION_COOKIE))
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
