"""Users, logins, API tokens and the audit log: the app database's own operations.

Route handlers call these; none of them touches HTTP.  Every change a person makes
is written to the audit log in the same transaction as the change itself.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TextIO

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ...jsonable import jsonable
from ..db.models import ROLES, ApiToken, AuditEntry, LoginSession, User, utcnow
from ..errors import BadRequest, Conflict, Forbidden, NotAuthenticated, NotFound, RateLimited
from ..security import LoginLimiter, Passwords, generate_password, new_token, token_hash
from ..settings import WebSettings


def audit(db: Session, actor: User | None, action: str, target: str, *,
          before: Any = None, after: Any = None, ip: str | None = None) -> AuditEntry:
    """Record one change (flushed with the caller's transaction)."""
    entry = AuditEntry(user_id=actor.id if actor else None,
                       username=actor.username if actor else "system", action=action,
                       target=target, before=jsonable(before), after=jsonable(after), ip=ip)
    db.add(entry)
    return entry


def user_public(user: User) -> dict[str, Any]:
    """A user without secrets (for the API and the audit log)."""
    return {"id": user.id, "username": user.username, "role": user.role,
            "agent_id": user.agent_id, "locale": user.locale, "active": user.active}


def create_user(db: Session, passwords: Passwords, *, username: str, password: str,
                role: str, agent_id: str | None = None, locale: str | None = None,
                actor: User | None = None, ip: str | None = None) -> User:
    """A new user (audited); agents must be linked to a workspace agent_id."""
    username = username.strip()
    if not username or len(username) > 64:
        raise BadRequest("web.error.username_invalid", field="username")
    if role not in ROLES:
        raise BadRequest("web.error.role_invalid", role=role)
    if role == "agent" and not agent_id:
        raise BadRequest("web.error.agent_needs_id", field="agent_id")
    if len(password) < 8:
        raise BadRequest("web.error.password_short", field="password")
    if db.scalar(select(User).where(func.lower(User.username) == username.lower())):
        raise Conflict("web.error.username_taken", username=username, field="username")
    user = User(username=username, password_hash=passwords.hash(password), role=role,
                agent_id=agent_id or None, locale=locale or None)
    db.add(user)
    db.flush()
    audit(db, actor, "user.create", f"user:{username}", after=user_public(user), ip=ip)
    return user


def ensure_admin(db: Session, settings: WebSettings, passwords: Passwords,
                 out: TextIO | None = None) -> str | None:
    """Create the first admin when the database has no user; returns the password used.

    A generated password is printed once to ``out`` (stderr by default).
    """
    if db.scalar(select(func.count()).select_from(User)):
        return None
    password = settings.admin_password or generate_password()
    create_user(db, passwords, username=settings.admin_username, password=password,
                role="admin")
    if not settings.admin_password:
        from ...locale import Translator  # the server's console: the language of `cskpi serve`

        print(Translator()("cli.serve.admin_created", user=settings.admin_username,
                           password=password), file=out or sys.stderr)
    return password


@dataclass
class Login:
    """A successful login: the raw cookie token (never stored) and its session row."""

    token: str
    session: LoginSession


def login(db: Session, settings: WebSettings, passwords: Passwords, limiter: LoginLimiter,
          username: str, password: str, ip: str) -> Login | None:
    """Check credentials under the rate limit; None when they are wrong.

    Raises :class:`RateLimited` after too many failures for this username from this IP,
    or from this IP whatever the username (even when the password is right).
    """
    limit = limiter.blocked(db, username, ip)
    if limit is not None:
        raise RateLimited(f"web.security.login_limit_{limit}",
                          details={"limit": limit, "retry_after_s": settings.login_window_s},
                          headers={"Retry-After": str(settings.login_window_s)},
                          minutes=-(-settings.login_window_s // 60))
    user = db.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or not user.active:
        passwords.burn()
        limiter.fail(db, username, ip)
        return None
    if not passwords.verify(user.password_hash, password):
        limiter.fail(db, username, ip)
        return None
    limiter.succeed(db, username, ip)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    db.execute(delete(LoginSession).where(LoginSession.expires_at <= utcnow()))
    token = new_token()
    row = LoginSession(token_hash=token_hash(token), user_id=user.id, csrf_token=new_token(),
                       expires_at=utcnow() + dt.timedelta(hours=settings.session_hours),
                       ip=ip[:64])
    db.add(row)
    db.flush()
    row.user = user
    return Login(token, row)


def session_for(db: Session, token: str | None) -> LoginSession | None:
    """The live login of a cookie token (None when unknown, expired or the user is off)."""
    if not token:
        return None
    row = db.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    if row is None or row.expires_at <= utcnow() or not row.user.active:
        return None
    return row


def logout(db: Session, token: str | None) -> None:
    """End a login (the cookie token stops working)."""
    row = session_for(db, token)
    if row is not None:
        db.delete(row)


DEFAULT_TOKEN_DAYS = 90
TOKEN_DAYS_CHOICES = (7, 30, 90, 365)  # the creation form's choices, besides "never"
NO_EXPIRY = "never"
# how stale a token's last-used time may get: a busy script would otherwise write it on
# every request; once a minute is fine for "is this token still in use?"
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_days(choice: str) -> int | None:
    """The lifetime the creation form chose: a number of days, or None (``never``)."""
    if choice == NO_EXPIRY:
        return None
    if choice.isdigit() and int(choice) in TOKEN_DAYS_CHOICES:
        return int(choice)
    raise BadRequest("web.security.token_days_invalid", choice=choice[:20],
                     choices=", ".join([*map(str, TOKEN_DAYS_CHOICES), NO_EXPIRY]))


def create_api_token(db: Session, user: User, name: str, *, parent: LoginSession | ApiToken,
                     days: int | None = DEFAULT_TOKEN_DAYS, ip: str | None = None
                     ) -> tuple[str, ApiToken]:
    """A new bearer token for ``user``, made from ``parent`` (the login it was made on,
    or a live token of the same user): (the secret, shown once; its row).

    ``days`` None: the token never expires (it still ends with its parent, a revocation
    or the user's deactivation).
    """
    if parent.user_id != user.id:
        raise Forbidden()
    if isinstance(parent, ApiToken) and not parent.live(utcnow()):
        raise NotAuthenticated("web.error.bad_token")
    name = name.strip()[:100] or "token"
    secret = "cskpi_" + new_token()
    now = utcnow()
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(secret),
                   prefix=secret[:12], created_at=now,
                   expires_at=None if days is None else now + dt.timedelta(days=days))
    if isinstance(parent, LoginSession):
        row.parent_session_id = parent.id
    else:
        row.parent_token_id = parent.id
    db.add(row)
    db.flush()
    audit(db, user, "token.create", f"token:{row.id}", after={
        "name": name, "prefix": row.prefix, "expires_at": row.expires_at,
        "parent": f"session:{parent.id}" if isinstance(parent, LoginSession)
        else f"token:{parent.id}"}, ip=ip)
    return secret, row


def revoke_api_token(db: Session, user: User, token_id: int, ip: str | None = None) -> None:
    """Revoke one of the user's own tokens (admins may revoke any), and every token made
    from it."""
    row = db.get(ApiToken, token_id)
    if row is None or (row.user_id != user.id and user.role != "admin"):
        raise NotFound()
    ended = _revoke_tokens(db, [row])
    if ended:
        audit(db, user, "token.revoke", f"token:{row.id}", before={"name": row.name},
              after={"ended": sorted(t.id for t in ended)}, ip=ip)


def _revoke_tokens(db: Session, roots: Collection[ApiToken]) -> list[ApiToken]:
    """Revoke ``roots`` and, transitively, the tokens made from them; the newly revoked."""
    now = utcnow()
    ended: list[ApiToken] = []
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        seen.update(t.id for t in todo)
        for token in todo:
            if token.revoked_at is None:
                token.revoked_at = now
                ended.append(token)
        todo = [t for t in db.scalars(select(ApiToken).where(
            ApiToken.parent_token_id.in_([t.id for t in todo]))) if t.id not in seen]
    db.flush()
    return ended


def token_for(db: Session, secret: str) -> ApiToken | None:
    """The live token of a bearer secret whose user is active (None when unknown,
    revoked, expired or the user is off); its last-used time is kept to the minute."""
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    now = utcnow()
    if row is None or not row.live(now) or not row.user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
    return row


def change_password(db: Session, passwords: Passwords, user: User, current: str, new: str,
                    keep: LoginSession | None = None, ip: str | None = None) -> None:
    """Change a password after checking the current one; other logins of the user end."""
    if not passwords.verify(user.password_hash, current):
        raise BadRequest("web.error.password_wrong")
    _set_password(db, passwords, user, new, keep)
    audit(db, user, "user.password", f"user:{user.username}", ip=ip)


def _set_password(db: Session, passwords: Passwords, user: User, new: str,
                  keep: LoginSession | None) -> None:
    """Store a new password's hash; every login of the user but ``keep`` ends."""
    if len(new) < 8:
        raise BadRequest("web.error.password_short", field="password")
    user.password_hash = passwords.hash(new)
    _end_logins(db, user, keep)


def _end_logins(db: Session, user: User, keep: LoginSession | None = None) -> None:
    """End every login of ``user`` but ``keep``, and the tokens made on them: a login
    ended by force (a password changed or reset) may have been someone else's, and what
    it made must not outlive it.  (A logout or an expiry ends only the login.)"""
    logins = select(LoginSession.id).where(LoginSession.user_id == user.id)
    if keep is not None:
        logins = logins.where(LoginSession.id != keep.id)
    _revoke_tokens(db, list(db.scalars(select(ApiToken).where(
        ApiToken.parent_session_id.in_(logins)))))
    db.execute(delete(LoginSession).where(LoginSession.id.in_(logins)))


def _end_everything(db: Session, user: User) -> None:
    """End every login and every token of ``user`` (a deactivation: reactivating the
    user brings none of them back)."""
    _revoke_tokens(db, list(db.scalars(select(ApiToken).where(ApiToken.user_id == user.id))))
    db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def set_locale(db: Session, user: User, locale: str | None, ip: str | None = None) -> None:
    """Change a user's language (None: follow the browser)."""
    from ..i18n import SUPPORTED

    if locale and locale not in SUPPORTED:
        raise BadRequest("web.error.locale_invalid")
    before = user.locale
    user.locale = locale or None
    audit(db, user, "user.locale", f"user:{user.username}", before={"locale": before},
          after={"locale": user.locale}, ip=ip)


def get_user(db: Session, user_id: int) -> User:
    """The user with ``user_id``, else :class:`NotFound`."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("web.users.unknown", user=user_id)
    return user


def _other_active_admins(db: Session, user: User) -> int:
    return db.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.active.is_(True), User.id != user.id)) or 0


def update_user(db: Session, actor: User, user: User, *, role: str, agent_id: str | None,
                active: bool, locale: str | None, agents: Collection[str],
                ip: str | None = None) -> User:
    """Change a user's role, linked agent, active flag and language (audited as
    ``user.update``).

    An agent account must name an agent of the roster (``agents``); other roles are not
    linked.  The last active admin can be neither demoted nor deactivated, so the app is
    never left without one.  A deactivated user's logins and API tokens end at once, for
    good: reactivating the user brings none of them back.
    """
    from ..i18n import SUPPORTED

    if role not in ROLES:
        raise BadRequest("web.error.role_invalid", role=role)
    if locale and locale not in SUPPORTED:
        raise BadRequest("web.error.locale_invalid")
    agent_id = (agent_id or "").strip() or None
    if role == "agent":
        if agent_id is None:
            raise BadRequest("web.error.agent_needs_id", field="agent_id")
        if agent_id not in agents:
            raise BadRequest("web.error.agent_unknown", agent=agent_id, field="agent_id")
    else:
        agent_id = None
    stays_admin = role == "admin" and active
    if user.role == "admin" and user.active and not stays_admin \
            and not _other_active_admins(db, user):
        raise Conflict("web.users.last_admin", username=user.username)
    before = user_public(user)
    user.role, user.agent_id, user.active, user.locale = role, agent_id, active, locale or None
    if not active:
        _end_everything(db, user)
    db.flush()
    audit(db, actor, "user.update", f"user:{user.username}", before=before,
          after=user_public(user), ip=ip)
    return user


def reset_password(db: Session, passwords: Passwords, actor: User, user: User,
                   password: str | None, keep: LoginSession | None = None,
                   ip: str | None = None) -> str | None:
    """Set a user's password (an admin's reset, audited as ``user.password_reset``).

    With no ``password`` one is generated and returned, to be shown once; the user's
    logins end (except ``keep``, the admin's own when they reset their own password).
    """
    generated = not password
    new = generate_password() if generated else str(password)
    _set_password(db, passwords, user, new, keep)
    audit(db, actor, "user.password_reset", f"user:{user.username}",
          after={"generated": generated}, ip=ip)
    return new if generated else None
