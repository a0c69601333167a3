"""Periods: the review of a month, locks as versions, diffs, and the rules of re-locking.

The after-sale scheme (aftersale-4crown) grades 'quality' A/B/C/D = 20/15/10/0 points
(presets/aftersale-4crown.yaml), of 130 points in all; its KPI bonus is
pool × score / max_score = 1000 × score / 130 when the agent passes (70 % of 130 = 91).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cskpi.data.demo import generate
from cskpi.scoring.compare import diff_snapshots
from cskpi.scoring.snapshots import rows
from cskpi.shop import Shop
from cskpi.web.app import create_app
from cskpi.web.db.engine import transaction
from cskpi.web.db.models import AuditEntry, PeriodLock
from cskpi.web.services.accounts import create_user
from cskpi.web.settings import make_settings
from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, PASSWORDS, PERIOD, form_token, login

SCHEME = "aftersale-4crown"
REVIEW = f"/periods/{PERIOD}?scheme={SCHEME}"


def _post(client: TestClient, path: str, data: dict[str, str]) -> Any:
    token = form_token(client.get("/account").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _lock(client: TestClient, reason: str = "", **extra: str) -> Any:
    return _post(client, "/periods/lock", {"period": PERIOD, "scheme": SCHEME,
                                           "reason": reason, **extra})


def _grade(client: TestClient, grade: str) -> None:
    response = _post(client, "/grades", {"agent_id": "A004", "period": PERIOD,
                                         "item": "quality", "grade": grade})
    assert response.status_code == 303


def _reopen(client: TestClient, reason: str = "re-review") -> None:
    """A grade a lock has seen changes only in a month reopened for corrections."""
    response = _post(client, "/periods/reopen", {"period": PERIOD, "scheme": SCHEME,
                                                 "reason": reason})
    assert response.status_code == 303


def _table(html: str, table_id: str) -> list[tuple[dict[str, str], list[str]]]:
    """(attributes of each body row, the text of its cells)."""
    body = html.split(f'id="{table_id}"')[1].split("</tbody>")[0].split("<tbody>")[1]
    out = []
    for attrs, inner in re.findall(r"<tr([^>]*)>(.*?)</tr>", body, flags=re.DOTALL):
        cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", inner, flags=re.DOTALL)]
        out.append((dict(re.findall(r'([\w-]+)="([^"]*)"', attrs)), cells))
    return out


def _score_shown(html: str, agent_id: str) -> float:
    row = html.split('id="review"')[1].split(f'data-agent="{agent_id}"')[1]
    match = re.search(r'data-score="([^"]+)"', row)
    assert match
    return float(match.group(1))


def _month_state(client: TestClient) -> str:
    rows = _table(client.get("/periods").text, "months")
    return next(a["data-state"] for a, _ in rows
                if a["data-period"] == PERIOD and a["data-scheme"] == SCHEME)


def _lock_rows(app: FastAPI) -> list[tuple[int, float]]:
    with transaction(app.state.cskpi.sessions) as db:
        return [(lk.version, next(c["score"] for c in lk.snapshot["cards"]
                                  if c["agent_id"] == "A004"))
                for lk in db.scalars(select(PeriodLock).order_by(PeriodLock.version))]


@pytest.mark.parametrize("scheme", ["aftersale-4crown", "presale-standard"])
def test_the_review_shows_the_scored_result(client_for: Callable[..., TestClient],
                                            workspace: Path, scheme: str) -> None:
    html = client_for("mgr").get(f"/periods/{PERIOD}?scheme={scheme}").text
    scored = Shop(workspace).score(scheme, PERIOD)  # no grade entered here
    cards = {c.agent_id: c for c in scored.result.cards}
    shown = _table(html, "review")
    assert sorted(a["data-agent"] for a, _ in shown) == sorted(cards)
    for attrs, cells in shown:
        card = cards[attrs["data-agent"]]
        higher = sum(other.score > card.score for other in cards.values())
        assert cells[0] == str(1 + higher)  # rank: one plus the number scoring higher
        assert _score_shown(html, card.agent_id) == pytest.approx(float(card.score))
        awards = sum(a.amount for a in card.pay.awards)
        assert cells[5:] == [f"¥{card.pay.base:,.2f}", f"¥{card.pay.kpi_bonus:,.2f}",
                             f"¥{card.pay.commission:,.2f}", f"¥{awards:,.2f}",
                             f"¥{card.pay.total:,.2f}"]
        assert ("passed" if card.passed else "below the pass line") in cells[4]
    assert [int(c[0]) for _, c in shown] == sorted(int(c[0]) for _, c in shown)  # best first
    assert scored.result.problems == [] and 'id="no-problems"' in html
    for agent_id in scored.result.unmatched:
        assert agent_id in html.split("Not covered by this scheme:")[1].split("</p>")[0]
    assert 'class="badge live">open<' in html and "Lock as version 1" in html


def test_a_correction_after_a_lock_shows_as_a_diff_and_needs_a_reason_to_relock(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    _grade(mgr, "B")  # quality B = 15 points
    assert _month_state(mgr) == "open"
    assert _lock(mgr).status_code == 303
    [(_, v1_score)] = _lock_rows(app)
    assert v1_score >= 91  # A004 passes, so the bonus follows the score (see the docstring)
    assert _month_state(mgr) == "locked"
    review = mgr.get(REVIEW).text
    assert 'id="unchanged"' in review and "Lock as version" not in review
    unchanged = _lock(mgr, reason="again")
    assert unchanged.status_code == 409  # no empty versions
    assert "Nothing has changed" in unchanged.text

    _reopen(mgr)
    _grade(mgr, "A")  # quality A = 20 points: +5 on the score
    assert _month_state(mgr) == "changed"
    # the published scorecard has not moved: it is still version 1
    card = client_for("a004").get(f"/api/v1/agents/A004/scorecard?period={PERIOD}").json()
    assert (card["locked"]["version"], card["card"]["score"]) == (1, v1_score)

    review = mgr.get(REVIEW).text
    [(attrs, cells)] = _table(review, "diff")  # only A004 changes
    assert attrs["data-agent"] == "A004" and attrs["data-status"] == "changed"
    assert float(attrs["data-score-delta"]) == 5  # 20 − 15
    # bonus 1000 × 5 / 130 = 38.4615…; the two totals are each rounded to cents
    assert abs(float(attrs["data-pay-delta"]) - 38.46) <= 0.01
    assert cells[1] == "="  # the rank stays (A004 only gains)
    assert re.search(r'data-item="quality" data-delta="5(\.0)?"', review)
    assert "售后客服素质: 15 → 20 +5" in cells[4]
    assert re.search(r'name="reason"[^>]*required', review) and "Lock as version 2" in review

    refused = _lock(mgr)  # refused in place, beside the form
    assert refused.status_code == 422 and "needs a reason" in refused.text
    assert 'id="form-error"' in refused.text
    assert len(_lock_rows(app)) == 1
    done = _post(mgr, "/periods/lock", {"period": PERIOD, "scheme": SCHEME, "back": "review",
                                        "reason": "quality re-reviewed"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/periods/{PERIOD}?scheme={SCHEME}&locked=2"
    assert _lock_rows(app) == [(1, v1_score), (2, v1_score + 5)]
    with transaction(app.state.cskpi.sessions) as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "period.lock")
                           .order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.username == "mgr"
        assert (entry.before, entry.after["version"], entry.after["reason"],
                entry.after["changed"]) == ({"version": 1}, 2, "quality re-reviewed", ["A004"])
    assert _month_state(mgr) == "locked"
    card = client_for("a004").get(f"/api/v1/agents/A004/scorecard?period={PERIOD}").json()
    assert (card["locked"]["version"], card["card"]["score"]) == (2, v1_score + 5)


def test_a_version_page_shows_the_version_and_its_diff(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    _grade(mgr, "C")  # 10 points
    _lock(mgr)
    _reopen(mgr)
    _grade(mgr, "D")  # 0 points: −10
    assert _lock(mgr, reason="complaint upheld").status_code == 303
    [(_, v1_score), (_, v2_score)] = _lock_rows(app)
    assert v2_score == v1_score - 10

    first = mgr.get(f"/periods/{PERIOD}/versions/1?scheme={SCHEME}").text
    assert "First version" in first and 'id="diff"' not in first
    assert _score_shown(first, "A004") == v1_score  # the version as it was, not live

    second = mgr.get(f"/periods/{PERIOD}/versions/2?scheme={SCHEME}").text
    assert '<span id="reason">complaint upheld</span>' in second
    [(attrs, _)] = _table(second, "diff")
    assert (attrs["data-agent"], float(attrs["data-score-delta"])) == ("A004", -10)  # 0 − 10
    assert _score_shown(second, "A004") == v2_score
    assert mgr.get(f"/periods/{PERIOD}/versions/3?scheme={SCHEME}").status_code == 404
    review = mgr.get(REVIEW).text
    assert "complaint upheld" in review.split('id="versions"')[1]


def test_an_unknown_scheme_or_month_is_refused(client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    assert mgr.get(f"/periods/{PERIOD}?scheme=/etc/passwd").status_code == 400
    assert mgr.get("/periods/2026-13").status_code == 422  # not a month: at the door
    assert mgr.get("/periods/Oct").status_code == 422
    refused = _post(mgr, "/periods/lock", {"period": PERIOD, "scheme": "/etc/passwd"})
    assert refused.status_code == 422 and "Unknown scheme &#39;/etc/passwd&#39;" in refused.text


@pytest.fixture
def ungraded_app(tmp_path: Path, database_url: str) -> Iterator[FastAPI]:
    """An app on a demo shop whose export has no grades: every graded item is missing."""
    generate(tmp_path / "data", agents=6, days=5)
    (tmp_path / "data" / "grades.csv").unlink()
    Shop(tmp_path / "shop.duckdb").import_folder(tmp_path / "data")
    settings = make_settings(tmp_path / "shop.duckdb", database_url=database_url, environ={},
                             admin_password=ADMIN_PASSWORD, **FAST_ARGON2)
    app = create_app(settings)
    with transaction(app.state.cskpi.sessions) as db:
        create_user(db, app.state.cskpi.passwords, username="mgr",
                    password=PASSWORDS["mgr"], role="manager")
    yield app
    app.state.cskpi.engine.dispose()


def test_problems_block_a_lock_unless_the_manager_locks_despite_them(
        ungraded_app: FastAPI) -> None:
    mgr = TestClient(ungraded_app)
    assert login(mgr, "mgr").status_code == 303
    review = mgr.get(REVIEW).text
    # 4 graded items (quality, disputes, cooperation, execution) × 2 after-sale agents
    problems = re.findall(r'<li class="alert" data-code="missing_grade">', review)
    assert len(problems) == 8 and "8 problem(s) to solve before locking" in review
    assert 'name="allow_incomplete"' in review
    refused = _lock(mgr)  # the reason beside the form, and the box it speaks of there
    assert refused.status_code == 422 and "8 problem(s) remain" in refused.text
    assert 'name="allow_incomplete"' in refused.text.split('id="form-error"')[1]
    assert _lock(mgr, allow_incomplete="true").status_code == 303
    with transaction(ungraded_app.state.cskpi.sessions) as db:
        lock = db.scalars(select(PeriodLock)).one()
        assert len(lock.snapshot["problems"]) == 8


def test_the_periods_page_lists_months_and_locks_in_both_languages(
        client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    _lock(mgr)
    rows = _table(mgr.get("/periods").text, "months")
    assert [(a["data-period"], a["data-scheme"], a["data-state"]) for a, _ in rows] == [
        (PERIOD, "presale-standard", "open"), (PERIOD, SCHEME, "locked")]
    assert "locked · version 1 by mgr" in rows[1][1][2]
    zh = client_for("a004")  # a004's locale is zh_CN, but agents may not see the page
    assert zh.get("/periods").status_code == 403
    chinese = mgr.get(REVIEW, headers={"accept-language": "zh-CN"}).text
    assert "已锁定 · 第 1 版" in chinese and "2026年10月 审核" in chinese


def _card(agent_id: str, score: float, total: float, quality: float) -> dict[str, Any]:
    return {"agent_id": agent_id, "name": None, "score": score, "max_score": 130,
            "ratio": score / 130, "passed": score >= 91, "vetoed": False, "veto": [],
            "items": [{"key": "quality", "label": "素质", "points": quality}],
            "adjustments": [], "warnings": [],
            "pay": {"base": 2000, "kpi_bonus": total - 2000, "commission": 0, "awards": [],
                    "total": total}}


def test_the_diff_of_two_snapshots_names_every_change() -> None:
    problem = {"agent_id": "A3", "code": "missing_grade", "message": "no grade", "hint": None}
    before = {"cards": [_card("A1", 100, 2769.23, 20), _card("A2", 100, 2769.23, 20),
                        _card("A3", 90, 2000, 10)],
              "problems": [problem], "unmatched": [], "scheme_version": None}
    after = {"cards": [_card("A1", 100, 2769.23, 20), _card("A2", 95, 2730.77, 15),
                       _card("A4", 80, 2000, 10)],
             "problems": [], "unmatched": [], "scheme_version": 2}
    assert [(r.agent_id, r.rank) for r in rows(before)] == [("A1", 1), ("A2", 1), ("A3", 3)]
    diff = diff_snapshots(before, after)
    # A2 loses 5 points (20 → 15) and 38.46 of bonus, and its shared first place;
    # A3 is gone and A4 is new (each their whole pay); A1 is the same
    assert [(d.agent_id, d.status) for d in diff.agents] == [
        ("A3", "removed"), ("A4", "added"), ("A2", "changed")]
    a2 = diff.agents[2]
    score, pay, rank = (a2.figure(k) for k in ("score", "pay.total", "rank"))
    assert score is not None and pay is not None and rank is not None
    assert (score.delta, pay.delta, rank.before, rank.after) == (-5, -38.46, 1, 2)
    assert [(c.key, c.before, c.after) for c in a2.items] == [("quality", 20, 15)]
    assert diff.problems_resolved == (problem,) and diff.problems_added == ()
    assert diff.scheme_version == (None, 2)
    assert not diff_snapshots(after, after)  # nothing differs: a re-lock would be empty
    only_version = {**after, "scheme_version": 3}
    assert diff_snapshots(after, only_version) and not diff_snapshots(after, only_version).agents
