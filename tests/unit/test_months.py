"""Calendar months, the one place their ends are worked out."""

from __future__ import annotations

import datetime as dt

import pytest

from cskpi.months import (
    days_in_month,
    is_whole_month,
    month_end,
    month_range,
    previous_month,
    shift_month,
    trailing_months,
)


@pytest.mark.parametrize(("day", "end"), [
    (dt.date(2024, 2, 10), dt.date(2024, 2, 29)),  # 2024 is a leap year (divisible by 4)
    (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
    (dt.date(1900, 2, 28), dt.date(1900, 2, 28)),  # 1900: divisible by 100, not by 400
    (dt.date(2000, 2, 1), dt.date(2000, 2, 29)),  # 2000: divisible by 400
    (dt.date(2026, 4, 30), dt.date(2026, 4, 30)),
    (dt.date(2026, 12, 31), dt.date(2026, 12, 31)),  # the year's last day: no month 13
    (dt.date(2026, 1, 31), dt.date(2026, 1, 31)),
])
def test_month_end(day: dt.date, end: dt.date) -> None:
    assert month_end(day) == end


def test_month_range() -> None:
    assert month_range("2026-11") == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert month_range("2026-12") == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "26-10", "2026/10", ""])
def test_month_range_refuses_what_is_not_a_month(period: str) -> None:
    with pytest.raises(ValueError):
        month_range(period)


@pytest.mark.parametrize(("start", "end", "whole"), [
    (dt.date(2026, 10, 1), dt.date(2026, 10, 31), True),
    (dt.date(2024, 2, 1), dt.date(2024, 2, 29), True),
    (dt.date(2026, 10, 1), dt.date(2026, 10, 30), False),  # a day short
    (dt.date(2026, 10, 2), dt.date(2026, 10, 31), False),  # starts a day late
    (dt.date(2026, 10, 1), dt.date(2026, 11, 30), False),  # two months
])
def test_is_whole_month(start: dt.date, end: dt.date, whole: bool) -> None:
    assert is_whole_month(start, end) is whole


@pytest.mark.parametrize(("period", "by", "expected"), [
    ("2026-10", 0, "2026-10"), ("2026-01", -1, "2025-12"), ("2026-12", 1, "2027-01"),
    ("2026-10", -22, "2024-12"),  # 9 back to 2026-01, 12 more to 2025-01, 1 more: 2024-12
    ("2000-03", 120, "2010-03")])
def test_shift_month_crosses_years(period, by, expected):
    assert shift_month(period, by) == expected


def test_previous_and_trailing_months():
    assert previous_month("2027-01") == "2026-12"
    assert trailing_months("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    assert trailing_months("2026-02", 1) == ["2026-02"]


@pytest.mark.parametrize(("year", "month", "days"), [
    (2024, 2, 29), (2026, 2, 28), (1900, 2, 28), (2000, 2, 29), (2026, 4, 30), (2026, 12, 31)])
def test_days_in_month(year, month, days):
    assert days_in_month(year, month) == days
