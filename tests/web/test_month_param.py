"""One month type for every route (issue #15): ``cskpi.web.params.Month``.

The pattern the schema documents is the check the app makes: a month it admits is
answered (never "not a month", never a 500), anything else is refused at the door (422)
on every route, API and pages alike.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from cskpi.months import month_range
from cskpi.web.params import MONTH_PATTERN, current_month, month_pattern
from tests.helpers.web import form_token


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """What these tests check does not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


# every route with a month, as (method, path with {m}, form fields)
MONTH_ROUTES: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/api/v1/metrics?period={m}", {}),
    ("GET", "/api/v1/agents/A001/scorecard?period={m}", {}),
    ("GET", "/overview?period={m}", {}),
    ("GET", "/leaderboard?period={m}", {}),
    ("GET", "/agents/A001/scorecard?period={m}", {}),
    ("GET", "/agents/A001/metrics/reply_3min_rate?period={m}", {}),
    ("GET", "/grades?period={m}", {}),
    ("GET", "/periods?period={m}", {}),
    ("GET", "/periods/{m}?scheme=presale-standard", {}),
    ("GET", "/periods/{m}/versions/1?scheme=presale-standard", {}),
    ("GET", "/reports/{m}.xlsx?scheme=presale-standard", {}),
    ("POST", "/grades", {"agent_id": "A004", "period": "{m}", "item": "quality",
                         "grade": "B"}),
    ("POST", "/periods/lock", {"period": "{m}", "scheme": "presale-standard",
                               "allow_incomplete": "true"}),
]


def _next_month() -> str:
    """The month after the current one (in the shop's time zone): not begun yet."""
    first = dt.date.fromisoformat(current_month() + "-01")
    return f"{(first + dt.timedelta(days=31)):%Y-%m}"


def _ask(client: TestClient, method: str, path: str, form: dict[str, str], month: str) -> Any:
    if method == "GET":
        return client.get(path.format(m=month), follow_redirects=False)
    token = form_token(client.get("/account").text)
    return client.post(path, data={**{k: v.format(m=month) for k, v in form.items()},
                                   "csrf_token": token}, follow_redirects=False)


@pytest.mark.parametrize("month", ["0000-00", "2026-13", "2026-00", "0001-01", "9999-12",
                                   "26-10", "2026-1", "2999-12", _next_month()])
def test_every_route_refuses_a_month_that_is_not_one_at_the_door(
        client_for: Callable[..., TestClient], month: str) -> None:
    """``0000-00`` matched the documented ``^\\d{4}-\\d{2}$`` and got an undocumented 400;
    ``0001-01`` and ``9999-12`` got a 500."""
    client = client_for("admin")
    got = {path: _ask(client, method, path, form, month).status_code
           for method, path, form in MONTH_ROUTES}
    assert got == {path: 422 for _, path, _ in MONTH_ROUTES}


@pytest.mark.parametrize("month", ["1900-01", "2026-10", current_month()])
def test_every_route_answers_a_month_the_type_admits(
        client_for: Callable[..., TestClient], month: str) -> None:
    """Answered, never refused as a parameter: a form may still refuse what it was asked
    (no data to lock in 1900-01), in place, beside the form."""
    client = client_for("admin")
    got = {path: _ask(client, method, path, form, month) for method, path, form in MONTH_ROUTES}
    assert all(r.status_code < 500 for r in got.values()), got
    assert [path for path, r in got.items() if r.status_code == 422
            and 'id="form-error"' not in r.text] == []


def test_a_month_not_begun_is_refused_with_the_reason_and_the_latest_month(
        client_for: Callable[..., TestClient]) -> None:
    """2027-01 typed for 2026-01 was answered as a real, empty month."""
    client = client_for("mgr")
    month, latest = _next_month(), current_month()
    page = client.get(f"/overview?period={month}")
    assert page.status_code == 422
    assert (f"{month} has not begun yet in the shop&#39;s time zone: the latest month is "
            f"{latest}.") in page.text
    assert f'href="/overview?period={latest}"' in page.text  # the way on
    zh = client.get(f"/overview?period={month}", headers={"Accept-Language": "zh-CN"})
    assert f"按店铺时区，{month} 尚未开始" in zh.text
    api = client.get(f"/api/v1/metrics?period={month}")
    assert api.status_code == 422 and api.json()["error"]["details"][0]["type"] == "month_future"
    review = client.get(f"/periods/{month}?scheme=presale-standard")  # a month in the path
    assert f'href="/periods/{latest}?scheme=presale-standard"' in review.text


def test_the_schema_gives_every_month_the_one_pattern(
        client_for: Callable[..., TestClient]) -> None:
    spec = client_for(None).get("/api/v1/openapi.json").json()
    months = [p for path in spec["paths"].values() for op in path.values()
              for p in op.get("parameters", []) if p["name"] == "period"]
    assert len(months) >= 2
    for param in months:
        [schema] = [s for s in param["schema"].get("anyOf", [param["schema"]])
                    if s.get("type") == "string"]
        assert schema["pattern"] == month_pattern(current_month())


@pytest.mark.parametrize("upto", ["2026-12", "2026-01", "2000-10", "1999-12", "1900-01",
                                  "2010-05"])
def test_the_documented_pattern_admits_exactly_the_months_up_to_now(upto: str) -> None:
    pattern = month_pattern(upto)
    admitted = [f"{y}-{m:02d}" for y in range(1890, 3001) for m in range(1, 13)
                if re.fullmatch(pattern, f"{y}-{m:02d}")]
    assert admitted[0] == "1900-01" and admitted[-1] == upto
    assert len(admitted) == (int(upto[:4]) - 1900) * 12 + int(upto[5:])


@settings(max_examples=300, deadline=None, database=None)
@given(st.from_regex(MONTH_PATTERN, fullmatch=True))
def test_a_month_the_pattern_admits_is_a_month(text: str) -> None:
    first, last = month_range(text)
    assert 1900 <= first.year <= 2999 and first.day == 1 and last.month == first.month


@pytest.mark.parametrize("text", ["0000-00", "2026-13", "2026-00", "1899-12", "3000-01",
                                  "2026-10\n", " 2026-10", "２０２６-10"])
def test_the_pattern_refuses_what_is_not_a_month_of_the_type(text: str) -> None:
    assert re.fullmatch(MONTH_PATTERN, text) is None
