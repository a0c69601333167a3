"""The days a page's figures are of: a calendar month, an ISO week (Monday to Sunday) or
any range of days, each with the period of the same kind just before it.

The core computes any ``[first, last]`` (:class:`cskpi.metrics.compute.MetricQuery`);
a :class:`Period` is how the app names one:

- by its ``key`` — ``2026-10``, ``2026-W45``, ``2026-11-01..2026-11-15`` — distinct for
  distinct periods of days or kinds, so that caches keyed by it never mix two (a month's
  key is the month itself, so a month asked as ``YYYY-MM`` and as a :class:`Period`
  share their cached figures);
- by the query that asks for it (``period=YYYY-MM``, ``week=YYYY-Www`` or
  ``from=YYYY-MM-DD&to=YYYY-MM-DD``: :attr:`Period.query`);
- by the period before it (:meth:`Period.previous`): the previous month, the previous
  ISO week, or as many days just before a range of days.

Nothing here checks what the app admits (years 1900-2999, at most 366 days, not begun
after today): that is :mod:`cskpi.web.params`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from .months import month_range, previous_month

Kind = Literal["month", "week", "days"]
WEEK_TEXT = re.compile(r"^([0-9]{4})-W([0-9]{2})$")
DAYS_SEPARATOR = ".."  # between the first and the last day of a range's key


def week_start(year: int, week: int) -> dt.date:
    """The Monday of ISO week ``week`` of ``year`` (ValueError when the year has no such
    week: only some years have a 53rd)."""
    return dt.date.fromisocalendar(year, week, 1)


@dataclass(frozen=True)
class Period:
    """``first``..``last`` (both included) and what kind of period they make."""

    kind: Kind
    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"a period ends on or after its first day: {self.first} > "
                             f"{self.last}")

    # --- making one ----------------------------------------------------------------------

    @classmethod
    def month(cls, month: str) -> Period:
        """The calendar month ``YYYY-MM``."""
        first, last = month_range(month)
        return cls("month", first, last)

    @classmethod
    def week(cls, week: str) -> Period:
        """The ISO week ``YYYY-Www`` (``2026-W45``: Monday 2 to Sunday 8 November 2026)."""
        match = WEEK_TEXT.match(week)
        if match is None:
            raise ValueError(f"'{week}' is not an ISO week (YYYY-Www)")
        first = week_start(int(match.group(1)), int(match.group(2)))
        return cls("week", first, first + dt.timedelta(days=6))

    @classmethod
    def days(cls, first: dt.date, last: dt.date) -> Period:
        """The days ``first`` to ``last``, both included."""
        return cls("days", first, last)

    @classmethod
    def of(cls, value: str | Period) -> Period:
        """A period as it is, or a month ``YYYY-MM`` as one."""
        return value if isinstance(value, Period) else cls.month(value)

    # --- naming it -----------------------------------------------------------------------

    @property
    def key(self) -> str:
        """``2026-10``, ``2026-W45`` or ``2026-11-01..2026-11-15``."""
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "week":
            return self.week_of
        return f"{self.first.isoformat()}{DAYS_SEPARATOR}{self.last.isoformat()}"

    @property
    def query(self) -> dict[str, str]:
        """The query parameters that ask a page for this period."""
        if self.kind == "month":
            return {"period": self.key}
        if self.kind == "week":
            return {"week": self.key}
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}

    @property
    def qs(self) -> str:
        """:attr:`query` as a query string (``week=2026-W45``), for links."""
        return urlencode(self.query)

    def month_until(self, today: dt.date) -> str:
        """The month ``YYYY-MM`` of the period's last day, or of ``today`` while the period
        is not over: where a link to a page of whole months (a scorecard) goes, and the
        last month of a trend (2026-W40, 09-28 – 10-04, mostly October: 2026-10)."""
        return f"{min(self.last, max(today, self.first)):%Y-%m}"

    @property
    def week_of(self) -> str:
        """The ISO week ``YYYY-Www`` the period begins in."""
        year, week, _ = self.first.isocalendar()
        return f"{year:04d}-W{week:02d}"

    @property
    def length_days(self) -> int:
        return (self.last - self.first).days + 1

    # --- the period before ---------------------------------------------------------------

    def previous(self) -> Period:
        """The period of the same kind just before: the previous month, the previous ISO
        week, or the same number of days ending the day before ``first``."""
        if self.kind == "month":
            return Period.month(previous_month(self.key))
        days = dt.timedelta(days=self.length_days)
        return Period(self.kind, self.first - days, self.last - days)

    def is_open(self, today: dt.date) -> bool:
        """Whether the period has days after ``today`` (it is not over yet)."""
        return self.last > today
