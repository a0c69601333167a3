"""Parameter types shared by routes, declared once so the OpenAPI schema and the answers
agree.

:data:`Month` is a calendar month ``YYYY-MM`` of the years 1900-2999.  Its pattern
admits only months the app can compute: a month it lets through is never refused later
as "not a month" (``0000-00`` and ``2026-13`` are refused at the door, 422, like any
malformed parameter), nor does it fail deeper down (``0001-01`` and ``9999-12`` did:
their month bounds, time-zone shifts and trend windows leave the range of Python dates).
A month after the current one in the shop's time zone is refused too
(422 ``month_future``): it has no data, and a typo (2027-01) would look like a real,
empty month.  The location aliases (:data:`MonthQuery`, :data:`MonthPath`,
:data:`MonthForm`) are the same type in a query string, a path or a form.

:data:`PresetQuery` is a shipped scheme preset by name; the schema lists them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextvars import ContextVar
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Form, Path, Query
from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

# years 1900-2999, months 01-12; plain alternatives (no look-ahead), so every regex engine
# (pydantic's, JSON Schema's, a client's) reads it alike
MONTH_PATTERN = r"^(?:19|2[0-9])[0-9]{2}-(?:0[1-9]|1[0-2])$"
MONTH_HELP = ("a calendar month, YYYY-MM, 1900-01 to 2999-12 (e.g. 2026-10), not after the "
              "current month in the shop's time zone")

def _default_tz() -> str:
    from ..core import DEFAULT_TZ

    return DEFAULT_TZ


SHOP_TZ: ContextVar[Callable[[], str]] = ContextVar("cskpi_shop_tz",
                                                    default=_default_tz)
"""The shop's time zone, asked for only when a month is checked (the app sets it per
request from its workspace)."""


def current_month(tz: str | None = None) -> str:
    """This month in the shop's time zone, ``YYYY-MM``."""
    return f"{dt.datetime.now(ZoneInfo(tz or SHOP_TZ.get()())):%Y-%m}"


def not_future(month: str) -> str:
    """A month that has begun in the shop's time zone: a later one has no data, and one
    typed by mistake (2027-01 for 2026-01) would look like a real, empty month."""
    now = current_month()
    if month > now:
        raise PydanticCustomError("month_future",
                                  "{month} has not begun yet: the latest month is {latest}",
                                  {"month": month, "latest": now})
    return month


Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN), AfterValidator(not_future)]
"""A calendar month ``YYYY-MM``, 1900-01 to this month (in the shop's time zone)."""

MonthQuery = Annotated[Month | None, Query(description=f"{MONTH_HELP}; default the latest "
                                                       "month with data",
                                           examples=["2026-10"])]
MonthPath = Annotated[Month, Path(description=MONTH_HELP, examples=["2026-10"])]
MonthForm = Annotated[Month, Form(description=MONTH_HELP)]


def _preset_enum(schema: dict[str, Any]) -> None:
    """List the presets in the schema (when the schema is made, not at import)."""
    from ..scoring.presets import preset_names

    schema["enum"] = preset_names()


PresetQuery = Annotated[str | None, Query(
    max_length=255, description="a shipped scheme preset; default the scheme of the agent's "
                                "role (an agent may not choose)",
    json_schema_extra=_preset_enum)]
