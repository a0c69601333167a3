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
    from ..shop import DEFAULT_TZ

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


def _digits(low: str, high: str) -> list[str]:
    """Regex alternatives for the numbers ``low``..``high`` written with as many digits."""
    if low == high:
        return [low]
    if len(low) == 1:
        return [f"[{low}-{high}]"]
    rest = len(low) - 1
    if low[0] == high[0]:
        return [low[0] + r for r in _digits(low[1:], high[1:])]
    out: list[str] = []
    first, last = int(low[0]), int(high[0])
    if low[1:] != "0" * rest:
        out += [low[0] + r for r in _digits(low[1:], "9" * rest)]
        first += 1
    tail: list[str] = []
    if high[1:] != "9" * rest:
        tail = [high[0] + r for r in _digits("0" * rest, high[1:])]
        last -= 1
    if first <= last:
        lead = str(first) if first == last else f"[{first}-{last}]"
        out.append(lead + "[0-9]" * rest)
    return out + tail


def month_pattern(upto: str) -> str:
    """The months 1900-01 to ``upto`` (``YYYY-MM``) as one regular expression: what the
    schema documents, so a client knows which months are answered."""
    year, month = int(upto[:4]), int(upto[5:])
    months = "|".join(_digits("01", f"{month:02d}"))
    alternatives = [f"{year}-(?:{months})"]
    if year > 1900:
        years = "|".join(_digits("1900", str(year - 1)))
        alternatives.insert(0, f"(?:{years})-(?:0[1-9]|1[0-2])")
    return "^(?:" + "|".join(alternatives) + ")$"


class _UpToThisMonth:
    """Documents the months a route answers: 1900-01 to the current month (the schema is
    made again when the month changes, see :func:`cskpi.web.app.create_app`)."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        schema["pattern"] = month_pattern(current_month())
        return schema


Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN), AfterValidator(not_future),
                  _UpToThisMonth()]
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

# a saved text's form (a scheme's, QA rules'): the note of a new version, and the version
# the editor started from (a newer one saved meanwhile is a conflict)
NoteForm = Annotated[str, Form(max_length=2000)]
BaseVersionForm = Annotated[int | None, Form(ge=1, le=2**31 - 1)]
