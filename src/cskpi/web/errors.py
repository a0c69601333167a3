"""Typed HTTP errors and the one exception handler that renders them as HTML or JSON.

Every error a client sees has one JSON shape, pinned by a test::

    {"error": {"code": "forbidden", "message": "…", "details": null}}

HTML pages get the same code and message on an error page in the user's language;
an HTML request without a login is sent to the login page instead.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import CskpiError, WorkspaceError
from ..jsonable import jsonable
from ..locale import Translator
from ..period import Period
from .params import PERIOD_CODES

log = logging.getLogger("cskpi.web")


class AppConfigError(CskpiError):
    """The app cannot start (bad database URL, missing driver …)."""


Link = tuple[str, str, dict[str, Any]]
"""A way on from an error page: (href, message key, its parameters)."""


class AppError(Exception):
    """An error with an HTTP status, a stable code and a translatable message; ``links``
    are the ways on that an error page offers (a review page, a download …)."""

    status = 400
    code = "bad_request"

    def __init__(self, message_key: str | None = None, details: Any = None,
                 headers: dict[str, str] | None = None, links: list[Link] | None = None,
                 **params: Any) -> None:
        self.message_key = message_key or f"web.error.{self.code}"
        self.params = params
        self.details = details
        self.headers = headers or {}
        self.links = links or []
        super().__init__(self.message_key)


class BadRequest(AppError):
    status, code = 400, "bad_request"


class NotAuthenticated(AppError):
    status, code = 401, "not_authenticated"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class CsrfFailed(AppError):
    status, code = 403, "csrf_failed"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class RateLimited(AppError):
    status, code = 429, "rate_limited"


class NoData(Exception):
    """A month, week or range of days (or, with ``period`` None, the whole workspace) has
    no data yet: a page says so with the way to the Data page (200); the API answers 404
    ``no_data``."""

    def __init__(self, period: str | Period | None = None) -> None:
        self.period = period
        super().__init__(period.key if isinstance(period, Period) else period or "no data")


HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden",
              404: "not_found", 405: "method_not_allowed", 409: "conflict",
              422: "invalid_request", 429: "rate_limited", 500: "internal_error",
              503: "unavailable"}


def wants_json(request: Request) -> bool:
    """API paths, and clients that ask for JSON rather than HTML, get JSON."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The pinned JSON error shape."""
    return {"error": {"code": code, "message": message, "details": jsonable(details)}}


def error_response(request: Request, status: int, code: str, message_key: str,
                   params: dict[str, Any] | None = None, details: Any = None,
                   headers: dict[str, str] | None = None,
                   links: list[Link] | None = None) -> Response:
    """The one place an error becomes a response: JSON for the API, a page for browsers."""
    params = params or {}
    if wants_json(request):
        message = Translator("en")(message_key, **params)
        if status == 401:
            headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
        return JSONResponse(error_body(code, message, details), status_code=status,
                            headers=headers)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    from .templating import render

    return render(request, "error.html", {"status": status, "code": code,
                                          "message_key": message_key, "params": params,
                                          "details": details, "links": links or []},
                  status_code=status, headers=headers)


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return error_response(request, exc.status, exc.code, exc.message_key, exc.params,
                          exc.details, exc.headers, exc.links)


def no_data_response(request: Request, period: str | Period | None) -> Response:
    """A page without data says so and links to the Data page (200: nothing failed);
    the API answers 404 ``no_data``."""
    key = "web.nodata.workspace"
    if period is not None:
        month = not isinstance(period, Period) or period.kind == "month"
        key = "web.nodata.month" if month else "web.ranges.nodata"
    if wants_json(request):
        from .i18n import Formatter

        shown = Formatter("en").period(period) if period is not None else ""
        message = Translator("en")(key, period=shown)
        return JSONResponse(error_body("no_data", message, {"period": _key(period)}),
                            status_code=404)
    from .templating import render

    return render(request, "no_data.html", {"period": period, "message_key": key})


def _key(period: str | Period | None) -> str | None:
    return period.key if isinstance(period, Period) else period


async def _no_data(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NoData)
    return no_data_response(request, exc.period)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(request, exc.status_code, code, f"web.error.{code}",
                          headers=dict(exc.headers or {}))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
               for e in exc.errors()]
    future = next((e for e in exc.errors() if e.get("type") == "month_future"), None)
    if future is not None:  # say which month, and offer the latest one instead
        ctx = future.get("ctx") or {}
        month, latest = str(ctx.get("month")), str(ctx.get("latest"))
        return error_response(request, 422, "invalid_request", "web.error.month_future",
                              {"month": month, "latest": latest}, details=details,
                              links=[(_with_month(request, month, latest),
                                      "web.error.month_latest", {"latest": latest})])
    refused = next((e for e in exc.errors() if e.get("type") in PERIOD_CODES), None)
    if refused is not None:  # a week or range of days refused: say why, in words
        return error_response(request, 422, "invalid_request",
                              f"web.ranges.error.{refused['type']}",
                              dict(refused.get("ctx") or {}), details=details)
    return error_response(request, 422, "invalid_request", "web.error.invalid_request",
                          details=details)


def _with_month(request: Request, month: str, latest: str) -> str:
    """The address asked for, with ``latest`` for ``month`` (a form's month: the page)."""
    if request.method != "GET":
        return request.headers.get("referer", "/") if _same_site(request) else "/"
    url = request.url
    if request.query_params.get("period") == month:
        url = url.include_query_params(period=latest)
    else:
        url = url.replace(path=url.path.replace(month, latest, 1))
    return url.path + (f"?{url.query}" if url.query else "")


def _same_site(request: Request) -> bool:
    referer = request.headers.get("referer", "")
    return referer.startswith(f"{request.url.scheme}://{request.url.netloc}/")


RETRY_AFTER_S = 10  # a page's answer while another process holds the workspace


def _no_data_yet(exc: CskpiError) -> bool:
    """No workspace, or one without dated data: a fresh install, not a failure."""
    return exc.code in ("workspace_missing", "workspace_no_data")


async def _core_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CskpiError)
    if _no_data_yet(exc) and not wants_json(request):
        return no_data_response(request, None)
    status = 503 if isinstance(exc, WorkspaceError) else 400
    code = "workspace_unavailable" if status == 503 else "data_error"
    from .templating import request_lang

    # a coded error reads in the page's language (the API's messages are English)
    t = Translator("en" if wants_json(request) else request_lang(request))
    # another process writes the workspace (an import, cskpi report): try again soon
    busy = {"Retry-After": str(RETRY_AFTER_S)} if exc.code == "workspace_in_use" else None
    return error_response(request, status, code, "web.error.core",
                          {"message": exc.text(t)}, details={"hint": exc.hint_text(t)},
                          headers=busy)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(request, 500, "internal_error", "web.error.internal_error")


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of error through :func:`error_response`."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(CskpiError, _core_error)
    app.add_exception_handler(NoData, _no_data)
    app.add_exception_handler(Exception, _unexpected)
