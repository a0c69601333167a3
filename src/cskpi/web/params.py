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

:data:`PeriodAsked` is the period a page of figures is asked for, in one of three forms
(issue #20): ``period=YYYY-MM`` (a :data:`Month`), ``week=YYYY-Www`` (an ISO week,
Monday to Sunday) or ``from=YYYY-MM-DD&to=YYYY-MM-DD`` (days, both included).  Exactly
one form; each refusal is a 422 with its own code, as ``month_future`` is
(:data:`PERIOD_CODES`): ``period_mixed``, ``range_incomplete`` (``from`` without ``to``
or the reverse), ``range_reversed``, ``range_too_long`` (more than
:data:`MAX_RANGE_DAYS` days), ``period_out_of_range`` (a day outside 1900-2999),
``period_future`` (a week or range that begins after today in the shop's time zone),
``week_malformed``, ``week_missing`` (a 53rd week of a year of 52), ``date_malformed``
and ``date_invalid`` (2026-02-30).  A week or range that reaches past today is
admitted: its pages say it is not over yet, as a month's do.

:data:`PresetQuery` is a shipped scheme preset by name; the schema lists them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Form, Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

from ..period import WEEK_TEXT, Period, week_start

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
    return f"{today(tz):%Y-%m}"


def today(tz: str | None = None) -> dt.date:
    """Today in the shop's time zone."""
    return dt.datetime.now(ZoneInfo(tz or SHOP_TZ.get()())).date()


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
PageQuery = Annotated[int, Query(ge=1, le=1_000_000)]  # the page of a long list (1-based)


# --- weeks and ranges of days (issue #20) ------------------------------------------------

FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
MAX_RANGE_DAYS = 366  # a year, a leap one included
PERIOD_CODES = ("month_future", "period_mixed", "range_incomplete", "range_reversed",
                "range_too_long", "period_out_of_range", "period_future", "week_malformed",
                "week_missing", "date_malformed", "date_invalid")
"""The codes of a period refused (422), each with its message ``web.ranges.error.CODE``
(``month_future``: ``web.error.month_future``)."""
UNSAID_BY_SCHEMA = ("period_mixed", "range_incomplete", "range_reversed", "range_too_long",
                    "week_missing", "date_invalid")
"""The refusals a JSON Schema cannot state (how parameters go together; which years have a
53rd week, which months a 31st day): the API's schema says them in words."""
DAY_TEXT = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
WEEK_HELP = ("an ISO week, YYYY-Www, Monday to Sunday (e.g. 2026-W45), of the years "
             "1900-2999, begun by today in the shop's time zone; instead of period")
FROM_HELP = ("the first day of a range of days, YYYY-MM-DD, not after today in the shop's "
             "time zone; with to, instead of period")
TO_HELP = (f"the last day of a range of days (included), YYYY-MM-DD, not before from; at "
           f"most {MAX_RANGE_DAYS} days in all, and 2999-12-31 at the latest")


def _refused(code: str, message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(code, message, {k: str(v) for k, v in context.items()})


def _in_years(value: str, *days: dt.date) -> None:
    if any(not FIRST_DAY <= d <= LAST_DAY for d in days):
        raise _refused("period_out_of_range", "{value} is outside the years 1900-2999",
                       value=value)


def _not_after_today(value: str, first: dt.date) -> None:
    now = today()
    if first > now:
        raise _refused("period_future", "{value} begins after today ({today}) in the shop's "
                       "time zone", value=value, today=now.isoformat())


def checked_week(value: str) -> str:
    """An ISO week of the years 1900-2999 that has begun in the shop's time zone."""
    match = WEEK_TEXT.match(value)
    if match is None or not 1 <= int(match.group(2)) <= 53:
        raise _refused("week_malformed", "'{value}' is not a week: write YYYY-Www, e.g. "
                       "2026-W45", value=value)
    year, week = int(match.group(1)), int(match.group(2))
    if not 1900 <= year <= 2999:
        raise _refused("period_out_of_range", "{value} is outside the years 1900-2999",
                       value=value)
    try:
        first = week_start(year, week)
    except ValueError:
        raise _refused("week_missing", "{year} has no week {week}: its last week is W52",
                       value=value, year=year, week=week) from None
    _in_years(value, first, first + dt.timedelta(days=6))
    _not_after_today(value, first)
    return value


def checked_day(value: str) -> str:
    """A day ``YYYY-MM-DD`` of the years 1900-2999."""
    match = DAY_TEXT.match(value)
    if match is None:
        raise _refused("date_malformed", "'{value}' is not a day: write YYYY-MM-DD, e.g. "
                       "2026-11-01", value=value)
    if not 1900 <= int(match.group(1)) <= 2999:
        raise _refused("period_out_of_range", "{value} is outside the years 1900-2999",
                       value=value)
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise _refused("date_invalid", "{value} is not a day of the calendar",
                       value=value) from None
    return value


def checked_first_day(value: str) -> str:
    """A range's first day: a day of the years 1900-2999, not after today."""
    _not_after_today(value, dt.date.fromisoformat(checked_day(value)))
    return value


ANY_MONTH = "(?:0[1-9]|1[0-2])"
ANY_DAY = "(?:0[1-9]|[12][0-9]|3[01])"
ANY_WEEK = "(?:0[1-9]|[1-4][0-9]|5[0-3])"


def _up_to(year: int, this_year: str, any_year: str) -> str:
    """One regular expression: any ``any_year`` text of the years 1900 to ``year - 1``,
    then ``this_year`` (the text of ``year``, written out)."""
    alternatives = [this_year]
    if year > 1900:
        years = "|".join(_digits("1900", str(year - 1)))
        alternatives.insert(0, f"(?:{years})-{any_year}")
    return "^(?:" + "|".join(alternatives) + ")$"


def week_pattern(upto: dt.date) -> str:
    """The weeks 1900-W01 to the one of ``upto``, as the schema documents them."""
    year, week, _ = upto.isocalendar()
    weeks = "|".join(_digits("01", f"{week:02d}"))
    return _up_to(year, f"{year}-W(?:{weeks})", f"W{ANY_WEEK}")


def day_pattern(upto: dt.date) -> str:
    """The days 1900-01-01 to ``upto`` (as a calendar is written: the schema cannot know
    that September has no 31st)."""
    days = "|".join(_digits("01", f"{upto.day:02d}"))
    this_year = [f"{upto:%Y-%m}-(?:{days})"]
    if upto.month > 1:
        months = "|".join(_digits("01", f"{upto.month - 1:02d}"))
        this_year.insert(0, f"{upto.year}-(?:{months})-{ANY_DAY}")
    return _up_to(upto.year, "|".join(this_year), f"{ANY_MONTH}-{ANY_DAY}")


LAST_DAY_PATTERN = rf"^(?:19|2[0-9])[0-9]{{2}}-{ANY_MONTH}-{ANY_DAY}$"


class _Documented:
    """The pattern a parameter's schema documents, made when the schema is (see
    :func:`cskpi.web.app.create_app`: it is made again when the day changes)."""

    def __init__(self, pattern: Callable[[], str]) -> None:
        self.pattern = pattern

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern()
        return schema


Week = Annotated[str, StringConstraints(max_length=16), AfterValidator(checked_week),
                 _Documented(lambda: week_pattern(today()))]
FirstDay = Annotated[str, StringConstraints(max_length=16), AfterValidator(checked_first_day),
                     _Documented(lambda: day_pattern(today()))]
LastDay = Annotated[str, StringConstraints(max_length=16), AfterValidator(checked_day),
                    _Documented(lambda: LAST_DAY_PATTERN)]


def _mixed(given: list[str]) -> RequestValidationError:
    return _request_error("period_mixed", given[-1], "give one period: period=YYYY-MM, "
                          "week=YYYY-Www, or from=YYYY-MM-DD&to=YYYY-MM-DD (got {given})",
                          given=", ".join(given))


def _request_error(code: str, where: str, message: str, **context: Any
                   ) -> RequestValidationError:
    """A refusal of how parameters go together, shaped as pydantic's own (422)."""
    ctx = {k: str(v) for k, v in context.items()}
    return RequestValidationError([{"type": code, "loc": ("query", where),
                                    "msg": message.format(**ctx), "input": None,
                                    "ctx": ctx}])


def period_asked(
        period: Annotated[Month | None, Query(description=f"{MONTH_HELP}; or week, or from "
                                                          "and to; default the latest month "
                                                          "with data",
                                              examples=["2026-10"])] = None,
        week: Annotated[Week | None, Query(description=WEEK_HELP,
                                           examples=["2026-W45"])] = None,
        first: Annotated[FirstDay | None, Query(alias="from", description=FROM_HELP,
                                                examples=["2026-11-01"])] = None,
        last: Annotated[LastDay | None, Query(alias="to", description=TO_HELP,
                                              examples=["2026-11-15"])] = None,
) -> Period | None:
    """The period a page of figures is asked for (None: the page's default), in exactly
    one of its three forms."""
    given = [name for name, value in (("period", period), ("week", week), ("from", first),
                                      ("to", last)) if value is not None]
    forms = {"period": "month", "week": "week", "from": "days", "to": "days"}
    if len({forms[name] for name in given}) > 1:
        raise _mixed(given)
    if period is not None:
        return Period.month(period)
    if week is not None:
        return Period.week(week)
    if first is None and last is None:
        return None
    if first is None or last is None:
        missing = "from" if first is None else "to"
        raise _request_error("range_incomplete", missing, "a range of days needs both from "
                             "and to (missing: {missing})", missing=missing)
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    if end < start:
        raise _request_error("range_reversed", "to", "to ({last}) is before from ({first})",
                             first=first, last=last)
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS:
        raise _request_error("range_too_long", "to", "{days} days: a range is at most "
                             "{most} days", days=days, most=MAX_RANGE_DAYS)
    return Period.days(start, end)


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
