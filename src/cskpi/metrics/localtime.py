"""Local wall-clock time from UTC instants, fast where the zone keeps one UTC offset.

DuckDB converts a time zone per row with ICU, which costs more than everything else a
query over orders or refunds does.  Most shops' zones have kept one UTC offset for
decades (Asia/Shanghai: +08:00 since 1991), and there local time is the UTC instant
plus a constant.  :func:`fixed_span` finds the interval around today in which the zone
keeps its offset, and checks it day by day against DuckDB's own time-zone data; inside
it a timestamp is shifted by the offset, outside it (and in zones with daylight saving
time) ICU converts it as before.  Both give the same wall-clock time (tested).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Any

import duckdb

from ..data.sql import lit, one

YEARS = 40  # how far from today the constant-offset interval is looked for
DAY = dt.timedelta(days=1)


@functools.lru_cache(maxsize=16)
def fixed_span(tz: str, today: dt.date | None = None) -> tuple[int, int, int] | None:
    """(from_us, to_us, offset_us): UTC instants in [from, to) are ``tz`` time at offset.

    None when the zone's offset changes within a day of ``today`` (daylight saving time)
    or when DuckDB's time-zone data disagrees with Python's anywhere in the interval.
    """
    try:
        zone = zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # unknown here: ICU knows it
        return None
    today = today or dt.date.today()

    def offset(d: dt.date) -> dt.timedelta | None:
        return dt.datetime.combine(d, dt.time(12), tzinfo=dt.UTC).astimezone(zone).utcoffset()

    base = offset(today)
    if base is None:
        return None
    lo = _edge(offset, today, base, -1)
    hi = _edge(offset, today, base, +1)
    # the days at either end may hold the change itself: leave them to ICU
    start, end = lo + DAY, hi
    if end - start < 2 * DAY:
        return None
    off_us = int(base.total_seconds() * 1_000_000)
    con = duckdb.connect()
    try:
        wrong = one(con, f"""SELECT count(*) FROM generate_series(
                TIMESTAMPTZ '{start.isoformat()} 00:00:00+00', TIMESTAMPTZ '{end.isoformat()} 00:00:00+00',
                INTERVAL 1 DAY) g(t)
            WHERE epoch_us(timezone({lit(tz)}, t)) - epoch_us(t) <> {off_us}""")
    finally:
        con.close()
    if wrong:
        return None
    epoch = dt.date(1970, 1, 1)
    return ((start - epoch).days * 86_400_000_000, (end - epoch).days * 86_400_000_000, off_us)


def _edge(offset: Any, today: dt.date, base: dt.timedelta, step: int) -> dt.date:
    """The last day from ``today`` in direction ``step`` whose offset is still ``base``
    (weeks at a time, then days; at most ``YEARS`` away)."""
    d, limit = today, 365 * YEARS
    for stride in (7, 1):
        while abs((d - today).days) + stride <= limit and \
                offset(d + step * stride * DAY) == base:
            d += step * stride * DAY
    return d


def local_sql(tz: str, utc_us: str, icu: str) -> str:
    """SQL of the local time of the UTC instant whose epoch microseconds are ``utc_us``;
    ``icu`` converts it the slow way (outside the constant-offset interval)."""
    span = fixed_span(tz)
    if span is None:
        return icu
    start, end, off = span
    return (f"CASE WHEN {utc_us} >= {start} AND {utc_us} < {end} "
            f"THEN make_timestamp({utc_us} + {off}) ELSE {icu} END")
