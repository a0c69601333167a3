"""Local time by a constant offset gives exactly what DuckDB's ICU conversion gives."""

from __future__ import annotations

import duckdb
import pytest

from cskpi.data.sql import lit
from cskpi.metrics.localtime import fixed_span, local_sql

# a fixed zone, daylight saving time north and south, a zone that dropped DST in 2019, a
# 30-minute DST shift, a quarter-hour offset, and UTC
ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "America/Sao_Paulo",
         "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]


@pytest.mark.parametrize("tz", ZONES)
def test_the_fast_path_agrees_with_icu_every_quarter_hour_for_ten_years(tz):
    con = duckdb.connect()
    fast = local_sql(tz, "epoch_us(t)", f"timezone({lit(tz)}, t)")
    # 2018..2028 holds every zone's DST changes around today and both ends of the span
    # (for Sao Paulo the span starts the day after DST ended in February 2019)
    wrong = con.execute(f"""
        SELECT count(*), min(t) FROM generate_series(TIMESTAMPTZ '2018-01-01 00:00:00+00',
            TIMESTAMPTZ '2028-01-01 00:00:00+00', INTERVAL 15 MINUTE) g(t)
        WHERE {fast} IS DISTINCT FROM timezone({lit(tz)}, t)""").fetchone()
    assert wrong == (0, None)
    assert con.execute(f"SELECT {fast} FROM (SELECT NULL::TIMESTAMPTZ AS t)").fetchone() == (None,)


def test_the_span_of_a_fixed_zone_and_of_a_dst_zone():
    import datetime as dt

    day_us = 86_400_000_000
    start, end, offset = fixed_span("Asia/Shanghai", dt.date(2026, 11, 23))
    # China has kept +08:00 since its last DST ended 1991-09-15 02:00 +09:00, i.e.
    # 1991-09-14 17:00 UTC; the first noon UTC at +08:00 is 1991-09-15's, and the span
    # starts the day after: 1991-09-16 00:00 UTC, day 21 * 365 + 5 leap days = 7670 to
    # 1991-01-01, + 243 (Jan..Aug) + 15 = 7928
    assert (start // day_us, offset) == (7928, 8 * 3600 * 1_000_000)
    assert end - start > 70 * 365 * day_us
    start, end, offset = fixed_span("Europe/Berlin", dt.date(2026, 11, 23))
    # winter time (+01:00) from 2026-10-25 01:00 UTC to 2027-03-28 01:00 UTC; sampled at
    # noon UTC, the changes lie within the day before the first noon at +01:00 (10-25's)
    # and the day after the last (03-27's): the span keeps off both, from 2026-10-26
    # 00:00 UTC to 2027-03-27 00:00 UTC
    epoch = dt.date(1970, 1, 1)
    assert (start // day_us, end // day_us, offset) == (
        (dt.date(2026, 10, 26) - epoch).days, (dt.date(2027, 3, 27) - epoch).days,
        3600 * 1_000_000)


def test_a_zone_python_does_not_know_is_left_to_icu():
    assert fixed_span("Mars/Olympus_Mons") is None
    assert local_sql("Mars/Olympus_Mons", "epoch_us(t)", "ICU") == "ICU"
