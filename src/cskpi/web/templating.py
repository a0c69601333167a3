"""Jinja2 templates shipped in the package, rendered in the request's language.

Every template sees ``t`` (the translator), ``f`` (the :class:`Formatter`), ``user``
(the logged-in user or None), ``csrf_token`` and ``nav`` (the links the role may use).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from .i18n import Formatter, resolve_lang

NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/overview", "web.nav.overview", ("admin", "manager")),
    ("/leaderboard", "web.nav.leaderboard", ("admin", "manager")),
    ("/grades", "web.nav.grades", ("admin", "manager")),
    ("/data", "web.nav.data", ("admin", "manager")),
    ("/schemes", "web.nav.schemes", ("admin", "manager")),
    ("/periods", "web.nav.periods", ("admin", "manager")),
    ("/whatif", "web.nav.whatif", ("admin", "manager")),
    ("/admin/users", "web.nav.users", ("admin",)),
    ("/admin/audit", "web.nav.audit", ("admin",)),
    ("/schemes/mine", "web.nav.my_scheme", ("agent",)),
    ("/account", "web.nav.account", ("admin", "manager", "agent")),
)


def make_environment() -> Environment:
    """The template environment (autoescaped HTML)."""
    env = Environment(loader=PackageLoader("cskpi.web", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return env


def request_lang(request: Request) -> str:
    """The language of this request: the user's, else the browser's."""
    principal = getattr(request.state, "principal", None)
    locale = principal.view.locale if principal is not None else None
    return resolve_lang(locale, request.headers.get("accept-language"))


def render(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """A page of the app in the request's language."""
    env: Environment = request.app.state.cskpi.templates
    fmt = Formatter(request_lang(request))
    principal = getattr(request.state, "principal", None)
    user = principal.view if principal is not None else None
    nav = [(href, key) for href, key, roles in NAV if user is not None and user.role in roles]
    if user is not None and user.role == "agent" and user.agent_id:
        nav.insert(0, (f"/agents/{user.agent_id}/scorecard", "web.nav.my_scorecard"))
    base = {"request": request, "t": fmt.t, "f": fmt, "lang": fmt.lang, "user": user,
            "nav": nav, "csrf_token": (principal.csrf_token or "") if principal else "",
            "path": request.url.path}
    html = env.get_template(name).render({**base, **context})
    return HTMLResponse(html, status_code=status_code, headers=headers)
