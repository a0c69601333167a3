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
