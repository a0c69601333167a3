"""Password hashing (argon2id), random tokens and their hashes, the login rate limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .db.models import LoginFailure, utcnow
from .settings import WebSettings


class Passwords:
    """argon2id hashing with the cost set in the settings."""

    def __init__(self, settings: WebSettings) -> None:
        self._hasher = PasswordHasher(time_cost=settings.argon2_time_cost,
                                      memory_cost=settings.argon2_memory_kib)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        """True when ``password`` matches (never raises on a bad or foreign hash)."""
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)

    def burn(self) -> None:
        """Spend the time of one verification (unknown users take as long as known ones)."""
        self.verify(self._dummy, "x")

    @property
    def _dummy(self) -> str:
        if not hasattr(self, "_dummy_hash"):
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(8))
        return self._dummy_hash


def new_token(nbytes: int = 32) -> str:
    """A random URL-safe secret."""
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """SHA-256 of a high-entropy token (what the database keeps)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two secrets (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def generate_password() -> str:
    """A password for the first admin (printed once)."""
    return secrets.token_urlsafe(12)


class LoginLimiter:
    """Two limits on failed logins within a window, kept in the app database (so they hold
    across processes and restarts):

    - per username and IP (``login_max_failures``): guessing one account's password;
    - per IP, whatever the username (``login_ip_max_failures``): one password tried
      across many usernames.

    The IP is the client address uvicorn reports, which is the proxy's unless the proxy
    is named by ``--forwarded-allow-ips``: a forged ``X-Forwarded-For`` moves nothing.
    """

    def __init__(self, settings: WebSettings) -> None:
        self.max_failures = settings.login_max_failures
        self.max_ip_failures = settings.login_ip_max_failures
        self.window = dt.timedelta(seconds=settings.login_window_s)

    def _key(self, username: str) -> str:
        return username.strip().lower()[:64]

    def blocked(self, db: Session, username: str, ip: str) -> str | None:
        """Which limit stops a login now: ``"username"`` (this username from this IP),
        ``"ip"`` (any username from this IP), or None."""
        recent = select(func.count()).select_from(LoginFailure).where(
            LoginFailure.ip == ip[:64], LoginFailure.at >= utcnow() - self.window)
        if (db.scalar(recent.where(LoginFailure.username == self._key(username))) or 0) \
                >= self.max_failures:
            return "username"
        if (db.scalar(recent) or 0) >= self.max_ip_failures:
            return "ip"
        return None

    def fail(self, db: Session, username: str, ip: str) -> None:
        db.add(LoginFailure(username=self._key(username), ip=ip[:64]))
        db.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - self.window))

    def succeed(self, db: Session, username: str, ip: str) -> None:
        """A success forgets this username's failures from this IP (not the IP's others:
        one known password must not reset the count of a spray)."""
        db.execute(delete(LoginFailure).where(LoginFailure.username == self._key(username),
                                              LoginFailure.ip == ip[:64]))
