"""Settings of the web app, declared once as data (name, default, environment variable, help).

:func:`make_settings` builds a :class:`WebSettings` from arguments and the environment;
nothing is read at import time, so tests build as many apps as they like.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_SCHEMES: Mapping[str, str] = {"presale": "presale-standard",
                                      "aftersale": "aftersale-4crown"}
DEFAULT_ALERTS: tuple[tuple[str, str, float], ...] = (
    ("reply_3min_rate", "<", 0.80),
    ("satisfaction", "<", 0.85),
    ("first_response_s", ">", 60.0),
)


def _help(text: str, env: str | None = None) -> Any:
    return {"help": text, "env": env}


@dataclass(frozen=True)
class WebSettings:
    """Everything the app needs; ``database_url`` None means SQLite next to the workspace."""

    workspace: Path = field(metadata=_help("the DuckDB workspace the data is read from",
                                           "CSKPI_WORKSPACE"))
    database_url: str | None = field(
        default=None, metadata=_help("SQLAlchemy URL of the app database (users, grades, "
                                     "audit); default sqlite:///<workspace>.app.sqlite",
                                     "CSKPI_DATABASE_URL"))
    admin_password: str | None = field(
        default=None, metadata=_help("password of the first admin, created on first start; "
                                     "generated and printed once when unset",
                                     "CSKPI_ADMIN_PASSWORD"))
    admin_username: str = field(default="admin", metadata=_help("name of the first admin"))
    session_hours: int = field(default=12, metadata=_help("how long a login lasts"))
    login_max_failures: int = field(
        default=5, metadata=_help("failed logins per username+IP before 429"))
    login_ip_max_failures: int = field(
        default=20, metadata=_help("failed logins per IP, whatever the username, before 429 "
                                   "(one password tried across many usernames)"))
    login_window_s: int = field(default=15 * 60,
                                metadata=_help("window of the login rate limit, seconds"))
    argon2_time_cost: int = field(default=3, metadata=_help("argon2id iterations"))
    argon2_memory_kib: int = field(default=65536, metadata=_help("argon2id memory, KiB"))
    schemes_by_role: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_SCHEMES),
        metadata=_help("scheme preset (or file) per agent role for scorecards"))
    alerts: tuple[tuple[str, str, float], ...] = field(
        default=DEFAULT_ALERTS, metadata=_help("overview alerts: (metric, < or >, threshold)"))
    min_sample: int = field(default=30, metadata=_help(
        "a rate whose denominator is below this is flagged as a small sample"))
    profile: str = field(default="generic", metadata=_help(
        "platform profile of the pages' metrics and thresholds (generic, taobao, douyin, "
        "jd, pdd)", "CSKPI_PROFILE"))
    forwarded_allow_ips: str | None = field(
        default=None, metadata=_help(
            "addresses of the reverse proxy in front of `cskpi serve` (comma-separated IPs "
            "or networks, * for any) whose X-Forwarded-For/-Proto are trusted for the client "
            "address (login limits, audit log) and https; unset: no forwarded header is "
            "trusted", "CSKPI_FORWARDED_ALLOW_IPS"))
    upload_max_mb: int = field(default=200, metadata=_help(
        "largest file accepted by the Data page's upload, MB (a bigger one is refused "
        "unread; import it with `cskpi import`)", "CSKPI_UPLOAD_MAX_MB"))

    @property
    def app_database_url(self) -> str:
        """The app database URL in force (SQLite file beside the workspace by default)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.workspace}.app.sqlite"


def setting_docs() -> list[dict[str, Any]]:
    """Every setting with its default, environment variable and help (for the docs)."""
    out = []
    for f in fields(WebSettings):
        default: Any = None
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:
            default = f.default_factory()
        out.append({"name": f.name, "env": f.metadata.get("env"), "help": f.metadata["help"],
                    "default": default})
    return out


def make_settings(workspace: Path | str, *, database_url: str | None = None,
                  admin_password: str | None = None,
                  environ: Mapping[str, str] | None = None, **overrides: Any) -> WebSettings:
    """Settings from arguments, else the ``CSKPI_*`` environment variable each setting
    declares (``env`` in its metadata), else defaults."""
    env = os.environ if environ is None else environ
    given = {"database_url": database_url, "admin_password": admin_password, **overrides}
    values: dict[str, Any] = {}
    for f in fields(WebSettings):
        if f.name == "workspace":  # an argument (`cskpi serve -w` reads CSKPI_WORKSPACE)
            continue
        value = given.get(f.name)
        var = f.metadata.get("env")
        if (value is None or value == "") and var and env.get(var):
            value = _from_env(var, env[var], f.default)
        if value is not None and value != "":
            values[f.name] = value
    return WebSettings(workspace=Path(workspace), **values)


def _from_env(var: str, text: str, default: Any) -> Any:
    """An environment variable's text as the setting's type (that of its default)."""
    if isinstance(default, int) and not isinstance(default, bool):
        try:
            return int(text)
        except ValueError:
            from ..errors import UsageError

            raise UsageError(f"{var}={text!r} is not a whole number",
                             hint=f"e.g. {var}={default}") from None
    return text
