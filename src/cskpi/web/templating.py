"""Jinja2 templates shipped in the package, rendered in the request's language.

Every template sees ``t`` (the translator), ``f`` (the :class:`Formatter`), ``user``
(the logged-in user or None), ``csrf_token`` and ``nav`` (the links the role may use).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .i18n import Formatter, resolve_lang
from .params import current_month, today
from .services import exports
from .services.stale import STALE_PAGE

NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/overview", "web.nav.overview", ("admin", "manager")),
    ("/leaderboard", "web.nav.leaderboard", ("admin", "manager")),
    ("/funnel", "web.nav.funnel", ("admin", "manager")),
    ("/heatmap", "web.nav.heatmap", ("admin", "manager", "agent")),
    ("/reviews", "web.nav.reviews", ("admin", "manager", "agent")),
    ("/grades", "web.nav.grades", ("admin", "manager")),
    ("/qa", "web.nav.qa", ("admin", "manager", "qa_reviewer")),
    ("/appeals", "web.nav.appeals", ("admin", "manager")),
    ("/data", "web.nav.data", ("admin", "manager")),
    ("/schemes", "web.nav.schemes", ("admin", "manager")),
    ("/periods", "web.nav.periods", ("admin", "manager")),
    ("/whatif", "web.nav.whatif", ("admin", "manager")),
    ("/admin/users", "web.nav.users", ("admin",)),
    ("/admin/audit", "web.nav.audit", ("admin",)),
    ("/schemes/mine", "web.nav.my_scheme", ("agent",)),
    ("/qa/mine", "web.nav.my_qa", ("agent",)),
    ("/appeals/mine", "web.nav.my_appeals", ("agent",)),
    ("/account", "web.nav.account", ("admin", "manager", "agent", "qa_reviewer")),
)


CONTENT_MARK = "<!--cskpi:content-->"  # around a page's content block while it is cached
# what a kept content block holds in place of the viewer's CSRF token (its forms'), put
# back for each viewer: random per process, so no value of the data can be taken for it
CSRF_SLOT = "cskpi-csrf-" + secrets.token_hex(16)


def make_environment() -> Environment:
    """The template environment (autoescaped HTML)."""
    env = Environment(loader=PackageLoader("cskpi.web", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    from ..metrics.aggregation import how_formed
    from ..metrics.catalog import CATALOG
    from ..metrics.rows import reason_text
    from ..scoring import texts  # scoring's coded texts, rendered in the page's language

    env.globals.update(rule_text=texts.rule_text, note_text=texts.note_text,
                       veto_text=texts.veto_text, problem_text=texts.problem_text,
                       problem_hint=texts.problem_hint, pay_notes=texts.pay_notes,
                       card_warnings=texts.card_warnings, say=texts.say,
                       event_label=texts.event_label,
                       formed=lambda key: how_formed(CATALOG[key]),
                       reason_text=reason_text)  # why a figure is missing, coded
    from .services.views import goal_label

    env.globals["goal_label"] = goal_label  # a goal's text beside a figure (_metric.html)
    env.globals["export_href"] = exports.href  # a table's download links (_export.html)
    return env


def request_lang(request: Request) -> str:
    """The language of this request: the user's, else the browser's."""
    principal = getattr(request.state, "principal", None)
    locale = principal.view.locale if principal is not None else None
    return resolve_lang(locale, request.headers.get("accept-language"))


def render(request: Request, name: str,
           context: dict[str, Any] | Callable[[], dict[str, Any]], *, status_code: int = 200,
           headers: dict[str, str] | None = None,
           cache_key: tuple[Any, ...] | None = None, cache_version: Any = None,
           page: dict[str, Any] | None = None) -> Response:
    """A page of the app in the request's language.

    With a ``cache_key``, the page's ``content`` block is kept per key and language in
    the workspace gateway's cache (dropped when the data changes): the big tables of a
    100-agent team cost ~25 ms of template work, which 20 managers refreshing at once
    turned into seconds.  Such a block must depend only on the key and the context (no
    user; its forms' CSRF token is each viewer's, see :data:`CSRF_SLOT`); ``context`` may
    then be a function, called only on a miss.  On a hit the page's other blocks (title,
    head) see only the base context and ``page``.
    ``cache_version``: the block is kept with it, and made again when a later request
    gives another (the version of the app's records it shows, :mod:`.db.changes`).
    """
    env: Environment = request.app.state.cskpi.templates
    fmt = Formatter(request_lang(request), request.app.state.cskpi.data.timezone())
    principal = getattr(request.state, "principal", None)
    user = principal.view if principal is not None else None
    nav = [(href, key) for href, key, roles in NAV if user is not None and user.role in roles]
    if user is not None and user.role == "agent" and user.agent_id:
        nav.insert(0, (f"/agents/{user.agent_id}/scorecard", "web.nav.my_scorecard"))
        nav.insert(1, (f"/agents/{user.agent_id}/lost", "web.nav.my_lost"))
    base = {"request": request, "t": fmt.t, "f": fmt, "lang": fmt.lang, "user": user,
            "nav": nav, "csrf_token": (principal.csrf_token or "") if principal else "",
            "path": request.url.path, "month_max": current_month(), **(page or {})}
    # a page of figures of a month, week or days (cskpi.web.deps.PeriodDep): its title and
    # period selector show it, and say when it is not over yet
    shown = getattr(request.state, "period", None)
    if shown is not None:
        now = today()
        base.update(period=shown, period_open=shown.is_open(now), day_max=now.isoformat(),
                    period_month=shown.month_until(now),  # where links to scorecards go
                    week_max="{:04d}-W{:02d}".format(*now.isocalendar()[:2]))
        if cache_key is not None:  # the note "not over yet" goes when the period is over
            cache_key = (*cache_key, base["period_open"])
    download = exports.wanted(request, name, status_code)
    if download is not None:
        values = context() if callable(context) else context
        return exports.export(request, name, {**base, **values}, fmt, download)
    template = env.get_template(name)
    if cache_key is None:
        values = context() if callable(context) else context
        html = template.render({**base, **values, **stale_note(fmt)})
        return HTMLResponse(html, status_code=status_code, headers=headers)
    data = request.app.state.cskpi.data
    # the period selector's newest month is today's: a page kept over a month's end moves
    key = ("page", name, fmt.lang, base["month_max"], *cache_key)
    rendered: list[str] = []

    def content() -> tuple[Any, Markup]:  # the whole page once, keeping the marked part
        values = context() if callable(context) else context
        rendered.append(template.render({**base, **values, "mark_content": True,
                                         "csrf_token": CSRF_SLOT, **stale_note(fmt)}))
        inner = rendered[0].split(CONTENT_MARK, 2)[1]
        return cache_version, Markup(inner)

    _, cached = data.cached(key, content, again=False,  # it needs the request
                            valid=lambda kept: kept[0] == cache_version)
    if rendered:  # this request rendered it: the same page, without the marks
        html = rendered[0].replace(CONTENT_MARK, "")
    else:
        html = template.render({**base, "cached_content": cached, "csrf_token": CSRF_SLOT,
                                **stale_note(fmt)})
    html = html.replace(CSRF_SLOT, str(escape(base["csrf_token"])))
    return HTMLResponse(html, status_code=status_code, headers=headers)


def stale_note(fmt: Formatter) -> dict[str, str]:
    """``stale_since`` (when the data changed, in words) for a page that shows figures of
    the data before a change while new ones are computed (:mod:`.services.stale`)."""
    page = STALE_PAGE.get()
    if page is None or page.since is None:
        return {}
    return {"stale_since": fmt.datetime(dt.datetime.fromtimestamp(page.since, dt.UTC))}
