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
    """At most N failed logins per username+IP within a window (kept in the app database,
    so it holds across processes and restarts)."""

    def __init__(self, settings: WebSettings) -> None:
        self.max_failures = settings.login_max_failures
        self.window = dt.timedelta(seconds=settings.login_window_s)

    def _key(self, username: str) -> str:
        return username.strip().lower()[:64]

    def blocked(self, db: Session, username: str, ip: str) -> bool:
        since = utcnow() - self.window
        n = db.scalar(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.username == self._key(username), LoginFailure.ip == ip,
            LoginFailure.at >= since))
        return (n or 0) >= self.max_failures

    def fail(self, db: Session, username: str, ip: str) -> None:
        db.add(LoginFailure(username=self._key(username), ip=ip[:64]))
        db.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - self.window))

    def succeed(self, db: Session, username: str, ip: str) -> None:
        db.execute(delete(LoginFailure).where(LoginFailure.username == self._key(username),
                                              LoginFailure.ip == ip))
