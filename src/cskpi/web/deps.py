"""The dependencies every route is built from: app state, database, who is asking, and
the access rules.

Access is decided here and only here:

- :data:`CurrentUser`  — logged in (session cookie or ``Authorization: Bearer``);
- :data:`ManagerUser` / :data:`AdminUser` — the role allows the page;
- :data:`QaReviewerUser` — managers, admins and QA reviewers (质检员): the chat review;
- :data:`AgentAccess`  — the ``{agent_id}`` of the path is the user's own agent, unless
  the user is a manager or admin (an agent opening another agent's data gets 403, and
  so does any other role);
- :data:`FormUser` / :data:`ManagerForm` / :data:`AdminForm` — the same, plus a valid CSRF
  token for a form POST;
- :data:`SessionUser` / :data:`SessionForm` — a browser login only, never a bearer token
  (the account's tokens: a token must not mint the token that outlives it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from jinja2 import Environment
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..period import Period
from .db.models import MANAGERS, QA_REVIEWERS, ApiToken, LoginSession, User
from .errors import CsrfFailed, Forbidden, NoData, NotAuthenticated
from .params import period_asked
from .security import LoginLimiter, Passwords, same
from .services.accounts import session_for, token_for
from .services.gateway import DataGateway
from .settings import WebSettings

SESSION_COOKIE = "cskpi_session"
LOGIN_CSRF_COOKIE = "cskpi_login_csrf"


@dataclass
class AppState:
    """Everything one app instance owns (hung on ``app.state.cskpi``)."""

    settings: WebSettings
    engine: Engine
    sessions: sessionmaker[Session]
    passwords: Passwords
    limiter: LoginLimiter
    data: DataGateway
    templates: Environment


@dataclass(frozen=True)
class UserView:
    """The plain facts about a user that pages show (safe after the session closes)."""

    id: int
    username: str
    role: str
    agent_id: str | None
    locale: str | None


@dataclass
class Principal:
    """Who is asking, and how they proved it: a browser ``login``, else a bearer
    ``token``."""

    user: User
    login: LoginSession | None
    view: UserView
    csrf_token: str | None
    token: ApiToken | None = None

    @classmethod
    def of(cls, user: User, login: LoginSession | None,
           token: ApiToken | None = None) -> Principal:
        view = UserView(user.id, user.username, user.role, user.agent_id, user.locale)
        return cls(user, login, view, login.csrf_token if login is not None else None,
                   token)

    @property
    def via(self) -> str:
        return "session" if self.login is not None else "token"


def get_state(request: Request) -> AppState:
    return request.app.state.cskpi  # type: ignore[no-any-return]


StateDep = Annotated[AppState, Depends(get_state)]


def get_db(state: StateDep) -> Iterator[Session]:
    """A database session for the request; handlers commit what they change."""
    with state.sessions() as db:
        try:
            yield db
        except BaseException:
            db.rollback()
            raise


DbDep = Annotated[Session, Depends(get_db)]


def get_data(state: StateDep) -> DataGateway:
    return state.data


DataDep = Annotated[DataGateway, Depends(get_data)]


def month_with_data(data: DataGateway, period: str | None) -> str:
    """The month asked for (by default the latest with data), which must have data: a
    page of a month without any shows that instead of figures that are all 0
    (:class:`~.errors.NoData`)."""
    period = period or data.latest_period()
    if not data.has_data(period):
        raise NoData(period)
    return period


PeriodAsked = Annotated[Period | None, Depends(period_asked)]
"""The period a page of figures is asked for: a month, an ISO week or days (None: none
asked)."""


def period_or_latest(request: Request, data: DataDep, asked: PeriodAsked) -> Period:
    """The period asked for, by default the latest month with data; the page's title and
    period selector show it (``request.state.period``)."""
    period = asked or Period.month(data.latest_period())
    request.state.period = period
    return period


PeriodAny = Annotated[Period, Depends(period_or_latest)]
"""The period asked for, or the latest month with data, whether it has data or not."""


def period_with_data(data: DataDep, period: PeriodAny) -> Period:
    """:data:`PeriodAny`, which must have data (else the page says there is none, as a
    month without data does: :func:`month_with_data`)."""
    if not data.has_data(period):
        raise NoData(period)
    return period


PeriodDep = Annotated[Period, Depends(period_with_data)]
"""The period of a page of figures (KPIs, not schemes): ``period=YYYY-MM``,
``week=YYYY-Www`` or ``from=…&to=…`` (:func:`cskpi.web.params.period_asked`), by default
the latest month with data; one with no data is answered by "no data"."""


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def optional_principal(request: Request, db: DbDep) -> Principal | None:
    """The logged-in user, if any (a wrong bearer token is an error, not anonymous)."""
    header = request.headers.get("authorization", "")
    principal: Principal | None = None
    if header.lower().startswith("bearer "):
        token = token_for(db, header[7:].strip())
        if token is None:
            raise NotAuthenticated("web.error.bad_token")
        if db.dirty:  # its last-used time moved (at most once a minute)
            db.commit()
        principal = Principal.of(token.user, None, token)
    else:
        login = session_for(db, request.cookies.get(SESSION_COOKIE))
        principal = Principal.of(login.user, login) if login is not None else None
    request.state.principal = principal
    return principal


OptionalUser = Annotated[Principal | None, Depends(optional_principal)]


def current_principal(principal: OptionalUser) -> Principal:
    """The logged-in user, else 401 (HTML requests are sent to the login page)."""
    if principal is None:
        raise NotAuthenticated()
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that lets only ``roles`` through (403 for the others)."""

    def check(principal: CurrentUser) -> Principal:
        if principal.user.role not in roles:
            raise Forbidden("web.error.role_required", roles=", ".join(roles))
        return principal

    return check


ManagerUser = Annotated[Principal, Depends(require_role(*MANAGERS))]
QaReviewerUser = Annotated[Principal, Depends(require_role(*QA_REVIEWERS))]
AdminUser = Annotated[Principal, Depends(require_role("admin"))]


def require_agent_access(agent_id: str, principal: CurrentUser) -> Principal:
    """Managers and admins see every agent; an agent only their own ``agent_id``; no other
    role any."""
    if not can_see_agent(principal.user, agent_id):
        raise Forbidden("web.error.other_agent")
    return principal


AgentAccess = Annotated[Principal, Depends(require_agent_access)]


def can_see_agent(user: User, agent_id: str) -> bool:
    """The rule of :func:`require_agent_access` for filtering lists of agent rows."""
    return user.role in MANAGERS or (user.role == "agent" and user.agent_id == agent_id)


def scheme_choice(principal: Principal, scheme: str | None) -> str | None:
    """Agents see the scheme that applies to them; managers may pick any preset."""
    if scheme and principal.user.role == "agent":
        raise Forbidden("web.error.scheme_choice")
    return scheme or None


async def verify_csrf(request: Request, principal: CurrentUser) -> Principal:
    """A form POST must carry the login's CSRF token (field ``csrf_token`` or header
    ``X-CSRF-Token``); bearer-token requests carry no cookie and need none."""
    if principal.login is None:
        return principal
    form = await request.form()
    sent = form.get("csrf_token") or request.headers.get("x-csrf-token")
    if not same(sent if isinstance(sent, str) else None, principal.csrf_token):
        raise CsrfFailed()
    return principal


FormUser = Annotated[Principal, Depends(verify_csrf)]


def _form_role(*roles: str) -> Callable[[Principal], Principal]:
    def check(principal: FormUser) -> Principal:
        return require_role(*roles)(principal)

    return check


ManagerForm = Annotated[Principal, Depends(_form_role(*MANAGERS))]
QaReviewerForm = Annotated[Principal, Depends(_form_role(*QA_REVIEWERS))]
AdminForm = Annotated[Principal, Depends(_form_role("admin"))]


def require_session(principal: CurrentUser) -> Principal:
    """A browser login, not a bearer token (403 for a token)."""
    if principal.login is None:
        raise Forbidden("web.security.session_required")
    return principal


SessionUser = Annotated[Principal, Depends(require_session)]


def _session_form(principal: FormUser) -> Principal:
    return require_session(principal)


SessionForm = Annotated[Principal, Depends(_session_form)]


def _admin_session_form(principal: SessionForm) -> Principal:
    return require_role("admin")(principal)


# making or changing accounts makes lasting credentials: a browser login only (a token
# could otherwise make a user, a password or an admin that outlives the token)
AdminSessionForm = Annotated[Principal, Depends(_admin_session_form)]
