"""Settings of the web app, declared once (name, type, bounds, default, help) with
pydantic-settings: every setting is also read from the environment as ``CSKPI_<NAME>``
(``CSKPI_SESSION_HOURS=8``; mappings and lists as JSON), checked against its type and
bounds, and documented from this declaration (docs/web.md).

:func:`make_settings` builds a :class:`WebSettings` from arguments, else the environment,
else the defaults; nothing is read at import time, so tests build as many apps as they
like (``environ={}`` reads no environment at all).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict, SettingsError

DEFAULT_SCHEMES: Mapping[str, str] = {"presale": "presale-standard",
                                      "aftersale": "aftersale-4crown"}
DEFAULT_ALERTS: tuple[tuple[str, str, float], ...] = (
    ("reply_3min_rate", "<", 0.80),
    ("satisfaction", "<", 0.85),
    ("first_response_s", ">", 60.0),
)
ENV_PREFIX = "CSKPI_"

Alert = tuple[str, Literal["<", ">"], float]
# pydantic's error types said in the user's language (settings.reason.*)
REASONS = frozenset({"int_parsing", "int_from_float", "float_parsing", "json_invalid",
                     "json_type", "dict_type", "tuple_type", "literal_error", "string_too_short",
                     "string_too_long", "missing", "extra_forbidden", "string_type"})


class WebSettings(BaseSettings):
    """Everything the app needs; ``database_url`` None means SQLite next to the workspace."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid",
                                      env_ignore_empty=True)

    workspace: Path = Field(description="the DuckDB workspace the data is read from")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the app database (users, grades, "
                                  "audit); default sqlite:///<workspace>.app.sqlite")
    admin_password: str | None = Field(
        default=None, description="password of the first admin, created on first start; "
                                  "generated and printed once when unset")
    admin_username: str = Field(default="admin", min_length=1, max_length=64,
                                description="name of the first admin")
    session_hours: int = Field(default=12, ge=1, le=24 * 90,
                               description="how long a login lasts, hours")
    login_max_failures: int = Field(default=5, ge=1, le=1000,
                                    description="failed logins per username+IP before 429")
    login_ip_max_failures: int = Field(
        default=20, ge=1, le=100_000,
        description="failed logins per IP, whatever the username, before 429 (one password "
                    "tried across many usernames)")
    login_window_s: int = Field(default=15 * 60, ge=1, le=7 * 24 * 3600,
                                description="window of the login rate limit, seconds")
    argon2_time_cost: int = Field(default=3, ge=1, le=100, description="argon2id iterations")
    argon2_memory_kib: int = Field(default=65536, ge=8, le=4 * 1024 * 1024,
                                   description="argon2id memory, KiB")
    schemes_by_role: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_SCHEMES),
        description='scheme preset (or file) per agent role for scorecards; in the '
                    'environment as JSON, e.g. {"presale": "presale-standard"}')
    alerts: tuple[Alert, ...] = Field(
        default=DEFAULT_ALERTS,
        description='overview alerts: (metric, < or >, threshold); in the environment as '
                    'JSON, e.g. [["satisfaction", "<", 0.85]]')
    page_wait_s: float = Field(default=5.0, ge=0, le=600, description=(
        "how long a page waits for the workspace while another process writes it (an "
        "import, cskpi report), seconds; then it answers 503 with Retry-After"))
    stale_after_s: float = Field(default=0.5, ge=0, le=600, description=(
        "after new data arrives (an import), how long a page waits for a figure being "
        "computed again before it shows the figure as it was, with a note saying so, "
        "seconds (the API and downloads always wait for the new figures)"))
    min_sample: int = Field(default=30, ge=0, le=1_000_000, description=(
        "a rate whose denominator is below this is flagged as a small sample"))
    profile: str = Field(default="generic", description=(
        "platform profile of the pages' metrics and thresholds (generic, taobao, douyin, "
        "jd, pdd)"))
    forwarded_allow_ips: str | None = Field(default=None, description=(
        "addresses of the reverse proxy in front of `cskpi serve` (comma-separated IPs "
        "or networks, * for any) whose X-Forwarded-For/-Proto are trusted for the client "
        "address (login limits, audit log) and https; unset: no forwarded header is "
        "trusted"))
    upload_max_mb: int = Field(default=200, ge=1, le=100_000, description=(
        "largest file accepted by the Data page's upload, MB (a bigger one is refused "
        "unread; import it with `cskpi import`)"))

    @field_validator("alerts", mode="before")
    @classmethod
    def _alerts_as_tuples(cls, value: Any) -> Any:
        if isinstance(value, list):  # JSON gives lists
            return tuple(tuple(v) if isinstance(v, list) else v for v in value)
        return value

    @property
    def app_database_url(self) -> str:
        """The app database URL in force (SQLite file beside the workspace by default)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.workspace}.app.sqlite"


def env_name(name: str) -> str:
    """The environment variable of the setting ``name``."""
    return ENV_PREFIX + name.upper()


def setting_docs() -> list[dict[str, Any]]:
    """Every setting with its default, environment variable and help (for the docs)."""
    out = []
    for name, info in WebSettings.model_fields.items():
        out.append({"name": name, "env": env_name(name), "help": info.description,
                    "default": _default(info)})
    return out


def _default(info: FieldInfo) -> Any:
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return None if info.is_required() else info.default


class _GivenEnv(EnvSettingsSource):
    """The environment source reading a given mapping instead of ``os.environ``."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._given = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k.lower(): v for k, v in self._given.items() if v != ""}


def make_settings(workspace: Path | str, *, database_url: str | None = None,
                  admin_password: str | None = None,
                  environ: Mapping[str, str] | None = None, **overrides: Any) -> WebSettings:
    """Settings from arguments, else the environment (``CSKPI_<NAME>``), else defaults.

    A value that is not of its setting's type or outside its bounds is a
    :class:`~cskpi.errors.UsageError` naming the variable (or argument) and the value.
    """
    env = os.environ if environ is None else environ
    given = {"database_url": database_url, "admin_password": admin_password, **overrides}
    given = {k: v for k, v in given.items() if v is not None and v != ""}
    given["workspace"] = Path(workspace)  # an argument (`cskpi serve -w` reads CSKPI_WORKSPACE)

    class _Settings(WebSettings):
        @classmethod
        def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: Any,
                                       env_settings: Any, dotenv_settings: Any,
                                       file_secret_settings: Any) -> tuple[Any, ...]:
            return init_settings, _GivenEnv(settings_cls, env)

    try:
        made = _Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first.get("loc") else "?"
        raise _usage_error(name, str(first.get("type", "")), first.get("ctx") or {},
                           given, env) from None
    except SettingsError as exc:  # a variable that is not JSON where JSON is expected
        found = re.search(r'field "(\w+)"', str(exc))
        raise _usage_error(found.group(1) if found else "?", "json_invalid", {}, given,
                           env) from None
    return WebSettings.model_construct(**made.model_dump())


def _usage_error(name: str, kind: str, ctx: Mapping[str, Any], given: Mapping[str, Any],
                 env: Mapping[str, str]) -> Exception:
    """The setting ``name`` refused for pydantic's error type ``kind``, said in the user's
    language."""
    from ..errors import UsageError, message

    if kind in ("greater_than_equal", "less_than_equal"):
        reason = message(f"settings.reason.{kind}", bound=str(ctx.get("ge", ctx.get("le"))))
    elif kind in REASONS:
        reason = message(f"settings.reason.{kind}")
    else:
        reason = message("settings.reason.other")
    var = env_name(name)
    if name in given:
        where, value = name, given[name]
    else:
        where, value = var, env.get(var, env.get(var.lower(), ""))
    return UsageError(code="setting_invalid", params={
        "setting": where, "value": str(value)[:200], "reason": reason,
        "example": f"{var}={_default(WebSettings.model_fields[name])}"
        if name in WebSettings.model_fields else var})
