"""The app factory and the server entry point (``cskpi serve``).

:func:`create_app` migrates the app database to the newest revision, creates the first
admin when there is no user yet, and wires routers, error handlers and static files.
Nothing happens at import time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TextIO

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from .db.engine import make_engine, migrate, session_factory, transaction
from .deps import AppState
from .errors import install_error_handlers
from .params import SHOP_TZ, today
from .routers import api_routers, page_routers
from .security import LoginLimiter, Passwords
from .services.accounts import ensure_admin
from .services.gateway import REQUEST_MEMO, DataGateway
from .services.qa import decisions_for
from .services.qarules import choice_for
from .services.records import entries_for
from .services.schemes import versions_for
from .services.stale import STALE_PAGE, StalePage
from .settings import WebSettings, make_settings
from .templating import make_environment

API_PREFIX = "/api/v1"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'",
}


def create_app(settings: WebSettings, *, data: DataGateway | None = None,
               out: TextIO | None = None) -> FastAPI:
    """A ready app: database migrated, first admin created, routes mounted.

    ``data`` lets several apps share one cached workspace gateway (tests); ``out``
    receives the one-time admin password notice (stderr by default).
    """
    from .. import __version__

    engine = make_engine(settings.app_database_url)
    migrate(engine)
    sessions = session_factory(engine)
    passwords = Passwords(settings)
    with transaction(sessions) as db:
        ensure_admin(db, settings, passwords, out)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(title="cskpi", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=f"{API_PREFIX}/openapi.json", lifespan=lifespan,
                  description="Customer-service KPIs, scorecards and pay (客服绩效考核).")
    app.state.cskpi = AppState(
        settings=settings, engine=engine, sessions=sessions, passwords=passwords,
        limiter=LoginLimiter(settings),
        data=data or DataGateway(settings.workspace, profile=settings.profile,
                                 schemes_by_role=settings.schemes_by_role),
        templates=make_environment())
    # a page waits this long for the workspace another process writes, then answers 503
    app.state.cskpi.data.wait_s = settings.page_wait_s
    # after new data arrives, pages show the old figures while new ones are computed
    app.state.cskpi.data.stale_after_s = settings.stale_after_s
    # grades and events entered in this app count in its scores
    app.state.cskpi.data.entries = entries_for(sessions)
    # the scheme versions saved in this app's database are the ones scored
    app.state.cskpi.data.scheme_versions = versions_for(sessions)
    # and so do the QA reviewers' decisions (dismissed hits, rubric points)
    app.state.cskpi.data.qa_entries = decisions_for(sessions)
    # and the QA rules managers chose for a month are the ones it is reviewed with
    app.state.cskpi.data.qa_choice = choice_for(sessions)
    install_error_handlers(app)
    gateway = app.state.cskpi.data

    @app.middleware("http")
    async def security_headers(request: Request,
                               call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        SHOP_TZ.set(gateway.timezone)  # months after the shop's current one are refused
        # a reading request reads each app-database record it needs once (REQUEST_MEMO)
        REQUEST_MEMO.set({} if request.method in ("GET", "HEAD") else None)
        # a page (not the API, not a download) may show figures of the data before an
        # import while new ones are computed, and says so (services.stale)
        STALE_PAGE.set(StalePage() if request.method in ("GET", "HEAD")
                       and not request.url.path.startswith((API_PREFIX + "/", "/reports/"))
                       and "format" not in request.query_params else None)
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    make_schema = app.openapi
    schema_day: list[dt.date] = []

    def openapi() -> dict[str, Any]:
        """The schema, made again when the day changes (it documents the months, weeks
        and first days up to the current one)."""
        day = today()
        if schema_day != [day]:
            app.openapi_schema, schema_day[:] = None, [day]
        return make_schema()

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount("/static", StaticFiles(packages=[("cskpi.web", "static")]), name="static")
    for router in page_routers():
        app.include_router(router, include_in_schema=False)
    for router in api_routers():
        app.include_router(router, prefix=API_PREFIX)
    return app


def trusted_proxies(value: str | None) -> list[str]:
    """The proxy addresses of ``--forwarded-allow-ips`` (``*``, IPs or networks); empty
    when unset.  A typo is an error here: uvicorn would take it as a literal host name
    and silently trust nobody."""
    import ipaddress

    from ..errors import UsageError

    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise UsageError(code="forwarded_allow_ips_invalid",
                             params={"value": item}) from None
    return items


def serve(host: str, port: int, workspace: Path | str, database_url: str | None = None,
          admin_password: str | None = None, profile: str = "generic",
          forwarded_allow_ips: str | None = None) -> None:
    """Run the app with uvicorn until interrupted (what ``cskpi serve`` calls).

    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are trusted only from the proxies named
    by ``forwarded_allow_ips``; with none named they are ignored, so a client cannot pick
    the address the login limits count (nor make plain http look like https).
    """
    import uvicorn

    from ..metrics.profiles import resolve
    from .services.warmup import start_warm_up, tune_gc

    resolve(profile)  # an unknown profile stops here, with the list of known ones
    settings = make_settings(workspace, database_url=database_url,
                             admin_password=admin_password, profile=profile,
                             forwarded_allow_ips=forwarded_allow_ips)
    proxies = trusted_proxies(settings.forwarded_allow_ips)
    app = create_app(settings)
    start_warm_up(app.state.cskpi.data)  # the latest month is ready before the first visit
    tune_gc()
    uvicorn.run(app, host=host, port=port, log_level="info", **uvicorn_proxy_options(proxies))


def uvicorn_proxy_options(proxies: list[str]) -> dict[str, Any]:
    """uvicorn's proxy options: forwarded headers on only when a proxy is named (uvicorn
    would otherwise trust 127.0.0.1, or $FORWARDED_ALLOW_IPS, by default)."""
    if not proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": proxies}
