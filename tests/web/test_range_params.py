"""The period of a page of figures, asked as ``period=YYYY-MM``, ``week=YYYY-Www`` or
``from=YYYY-MM-DD&to=YYYY-MM-DD`` (issue #20): what each form means, the period before
it, how it reads, and every refusal (422) with its code and message, written by hand.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cskpi.locale import catalog
from cskpi.period import Period
from cskpi.web.i18n import Formatter
from cskpi.web.params import day_pattern, today, week_pattern


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The answers do not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


D = dt.date


# --- the period type ------------------------------------------------------------------------

@pytest.mark.parametrize(("period", "key", "query", "previous"), [
    (Period.month("2026-10"), "2026-10", {"period": "2026-10"},
     Period("month", D(2026, 9, 1), D(2026, 9, 30))),
    (Period.month("2026-03"), "2026-03", {"period": "2026-03"},  # February: 28 days
     Period("month", D(2026, 2, 1), D(2026, 2, 28))),
    # ISO week 45 of 2026: Monday 11-02 to Sunday 11-08; the week before 10-26 – 11-01
    (Period.week("2026-W45"), "2026-W45", {"week": "2026-W45"},
     Period("week", D(2026, 10, 26), D(2026, 11, 1))),
    # week 1 of 2026 begins on Monday 2025-12-29; the week before is 2025's 52nd
    (Period.week("2026-W01"), "2026-W01", {"week": "2026-W01"},
     Period("week", D(2025, 12, 22), D(2025, 12, 28))),
    # 15 days; the 15 days before: 10-17 – 10-31
    (Period.days(D(2026, 11, 1), D(2026, 11, 15)), "2026-11-01..2026-11-15",
     {"from": "2026-11-01", "to": "2026-11-15"},
     Period("days", D(2026, 10, 17), D(2026, 10, 31))),
    # one day; the day before
    (Period.days(D(2024, 3, 1), D(2024, 3, 1)), "2024-03-01..2024-03-01",
     {"from": "2024-03-01", "to": "2024-03-01"}, Period("days", D(2024, 2, 29), D(2024, 2, 29))),
])
def test_a_period_s_key_query_and_previous(period: Period, key: str, query: dict[str, str],
                                           previous: Period) -> None:
    assert (period.key, period.query, period.previous()) == (key, query, previous)


def test_the_previous_week_of_week_1_is_named_by_its_own_iso_year() -> None:
    assert Period.week("2026-W01").previous().key == "2025-W52"
    assert Period.week("2021-W01").previous().key == "2020-W53"  # 2020 had 53 weeks


def test_links_to_pages_of_months_open_the_month_a_period_ends_in() -> None:
    today = D(2026, 12, 5)
    assert Period.week("2026-W40").month_until(today) == "2026-10"  # 09-28 – 10-04
    assert Period.month("2026-10").month_until(today) == "2026-10"
    # not over yet: today's month, not the one to come (which would be refused)
    assert Period.days(D(2026, 11, 20), D(2027, 1, 10)).month_until(today) == "2026-12"


def test_keys_tell_a_month_a_week_and_days_of_the_same_days_apart() -> None:
    month, days = Period.month("2026-02"), Period.days(D(2026, 2, 1), D(2026, 2, 28))
    week, week_days = Period.week("2026-W45"), Period.days(D(2026, 11, 2), D(2026, 11, 8))
    assert (month.first, month.last) == (days.first, days.last)
    assert len({month.key, days.key, week.key, week_days.key}) == 4


@pytest.mark.parametrize(("period", "en", "zh"), [
    (Period.month("2026-10"), "October 2026", "2026年10月"),
    (Period.week("2026-W45"), "2026-W45 (11-02 – 11-08)", "2026年第45周（11-02 – 11-08）"),
    (Period.week("2026-W05"), "2026-W05 (01-26 – 02-01)", "2026年第5周（01-26 – 02-01）"),
    (Period.days(D(2026, 11, 1), D(2026, 11, 15)), "2026-11-01 – 2026-11-15",
     "2026-11-01 – 2026-11-15"),
    (Period.days(D(2026, 11, 1), D(2026, 11, 1)), "2026-11-01", "2026-11-01"),
])
def test_a_period_reads_in_the_reader_s_language(period: Period, en: str, zh: str) -> None:
    assert Formatter("en").period(period) == en
    assert Formatter("zh_CN").period(period) == zh


# --- the documented patterns ------------------------------------------------------------------

@pytest.mark.parametrize("upto", [D(2026, 12, 5), D(2026, 1, 1), D(2000, 2, 29), D(1900, 1, 1),
                                  D(1999, 12, 31)])
def test_the_first_day_pattern_admits_the_calendar_up_to_today(upto: D) -> None:
    pattern = day_pattern(upto)
    days = [D(1899, 12, 31), D(1900, 1, 1), upto, upto - dt.timedelta(days=1),
            upto + dt.timedelta(days=1), D(upto.year + 1, 1, 1), D(1950, 6, 30)]
    admitted = {d for d in days if re.fullmatch(pattern, d.isoformat())}
    assert admitted == {d for d in days if D(1900, 1, 1) <= d <= upto}
    # every day of upto's year up to it, and none after
    year = [D(upto.year, 1, 1) + dt.timedelta(days=n) for n in range(366)]
    assert [d for d in year if d.year == upto.year and re.fullmatch(pattern, d.isoformat())] \
        == [d for d in year if d.year == upto.year and d <= upto]


@pytest.mark.parametrize("upto", [D(2026, 12, 5), D(2026, 1, 1), D(2021, 1, 3)])
def test_the_week_pattern_admits_the_weeks_up_to_this_one(upto: D) -> None:
    pattern = week_pattern(upto)
    year, week, _ = upto.isocalendar()
    assert re.fullmatch(pattern, f"{year}-W{week:02d}")
    assert re.fullmatch(pattern, "1900-W01") and re.fullmatch(pattern, "1999-W53")
    assert not re.fullmatch(pattern, f"{year}-W{week + 1:02d}")
    assert not re.fullmatch(pattern, f"{year + 1}-W01")
    assert not re.fullmatch(pattern, "1899-W52") and not re.fullmatch(pattern, "2020-W54")


# --- refusals ---------------------------------------------------------------------------------

def _later(days: int) -> str:
    return (today() + dt.timedelta(days=days)).isoformat()


def _next_week() -> str:
    year, week, _ = (today() + dt.timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


# query -> (code, the message's parameters); each written out by hand
REFUSED: list[tuple[str, str, dict[str, Any]]] = [
    ("period=2026-10&week=2026-W41", "period_mixed", {"given": "period, week"}),
    ("week=2026-W41&from=2026-10-01&to=2026-10-02", "period_mixed",
     {"given": "week, from, to"}),
    ("period=2026-10&to=2026-10-02", "period_mixed", {"given": "period, to"}),
    ("from=2026-10-01", "range_incomplete", {"missing": "to"}),
    ("to=2026-10-01", "range_incomplete", {"missing": "from"}),
    ("from=2026-10-10&to=2026-10-09", "range_reversed",
     {"first": "2026-10-10", "last": "2026-10-09"}),
    # 2025-01-01 to 2026-01-02: 365 days of 2025 and 2 of 2026 = 367
    ("from=2025-01-01&to=2026-01-02", "range_too_long", {"days": "367", "most": "366"}),
    ("from=1899-12-31&to=1900-01-01", "period_out_of_range", {"value": "1899-12-31"}),
    ("from=2026-10-01&to=3000-01-01", "period_out_of_range", {"value": "3000-01-01"}),
    ("week=1899-W52", "period_out_of_range", {"value": "1899-W52"}),
    ("week=3000-W01", "period_out_of_range", {"value": "3000-W01"}),
    ("week=2026-W54", "week_malformed", {"value": "2026-W54"}),
    ("week=2026-45", "week_malformed", {"value": "2026-45"}),
    ("week=2026-W00", "week_malformed", {"value": "2026-W00"}),
    ("week=2025-W53", "week_missing", {"year": "2025", "week": "53"}),  # 2025 has 52
    ("from=2026-02-30&to=2026-03-01", "date_invalid", {"value": "2026-02-30"}),
    ("from=2026/10/01&to=2026-10-02", "date_malformed", {"value": "2026/10/01"}),
    ("from=2026-10-01&to=20261002", "date_malformed", {"value": "20261002"}),
]


def _future() -> list[tuple[str, str, dict[str, Any]]]:
    return [(f"from={_later(1)}&to={_later(2)}", "period_future", {"value": _later(1)}),
            (f"week={_next_week()}", "period_future", {"value": _next_week()})]


PAGES = ("/overview", "/leaderboard", "/funnel", "/heatmap", "/reviews",
         "/agents/A001/metrics/sessions", "/agents/A001/lost", "/api/v1/metrics")


@pytest.mark.parametrize(("query", "code", "params"), REFUSED)
def test_every_refusal_has_its_code_and_message(client_for: Callable[..., TestClient],
                                                query: str, code: str,
                                                params: dict[str, Any]) -> None:
    admin = client_for("admin")
    got = admin.get(f"/api/v1/metrics?{query}")
    assert got.status_code == 422
    error = got.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["details"][0]["type"] == code
    assert error["message"] == catalog("en")[f"web.ranges.error.{code}"].format(**params)
    # every page of figures refuses it alike
    assert {p: admin.get(f"{p}?{query}").status_code for p in PAGES} == dict.fromkeys(PAGES, 422)


def test_a_period_that_begins_after_today_is_refused(client_for: Callable[..., TestClient]
                                                     ) -> None:
    admin = client_for("admin")
    for query, code, params in _future():
        error = admin.get(f"/api/v1/metrics?{query}").json()["error"]
        assert error["details"][0]["type"] == code
        assert error["message"].startswith(f"{params['value']} begins after today (")


def test_a_refusal_reads_in_chinese_on_a_chinese_page(client_for: Callable[..., TestClient]
                                                      ) -> None:
    page = client_for("admin").get("/overview?from=2026-10-10&to=2026-10-09",
                                   headers={"accept-language": "zh-CN"})
    assert page.status_code == 422
    assert "日期范围的结束日期（2026-10-09）早于开始日期（2026-10-10）。" in page.text


def test_what_the_forms_admit_is_answered(client_for: Callable[..., TestClient]) -> None:
    """The edges: 366 days, a 53rd week of a year that has one, a week begun today or
    before that runs past today, a range that ends in the future."""
    admin = client_for("admin")
    this_week = "{}-W{:02d}".format(*today().isocalendar()[:2])
    for query in ("from=2025-01-01&to=2026-01-01", "week=2020-W53", f"week={this_week}",
                  f"from={_later(0)}&to={_later(30)}", "from=1900-01-01&to=1900-01-01",
                  "week=2026-W40", "period=2026-10"):
        got = admin.get(f"/api/v1/metrics?{query}")
        assert got.status_code in (200, 404), (query, got.text)  # 404: no data, not refused
    answer = admin.get("/api/v1/metrics?week=2026-W40&by=shop").json()
    assert (answer["period"], answer["first"], answer["last"]) == ("2026-W40", "2026-09-28",
                                                                   "2026-10-04")
