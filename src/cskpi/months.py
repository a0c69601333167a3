"""Calendar months: the last day of a month, the days of a ``YYYY-MM`` period."""

from __future__ import annotations

import datetime as dt


def month_end(d: dt.date) -> dt.date:
    """The last day of ``d``'s calendar month."""
    return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def is_whole_month(start: dt.date, end: dt.date) -> bool:
    """Whether ``start``..``end`` (inclusive) is one whole calendar month."""
    return start.day == 1 and end == month_end(start)


def month_range(period: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a ``YYYY-MM`` month (ValueError when it is not one)."""
    first = dt.date.fromisoformat(period + "-01")
    return first, month_end(first)


def shift_month(period: str, months: int) -> str:
    """The ``YYYY-MM`` month ``months`` after ``period`` (before it when negative)."""
    first, _ = month_range(period)
    index = first.year * 12 + first.month - 1 + months  # months since year 0
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_month(period: str) -> str:
    """The month before ``period``."""
    return shift_month(period, -1)


def trailing_months(period: str, n: int) -> list[str]:
    """The ``n`` months ending with ``period``, oldest first."""
    return [shift_month(period, k) for k in range(1 - n, 1)]


def days_in_month(year: int, month: int) -> int:
    """How many days the month has."""
    return month_end(dt.date(year, month, 1)).day
