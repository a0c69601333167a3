"""Chat QA in the app (质检): the review queue, a session's hits confirmed or dismissed,
rubric points, agents' appeals and managers' answers — on a small shop whose chats are
written here, so every hit and score is known by hand.

The shop (October 2026, after-sale agents A001 and A004, rules ``RULES``: start 100, the
banned phrases 不知道 / 爱买不买 -10 each, a rubric item 专业度 0–10, one random session
per agent and week):

- Q1 (A001, Mon 5 Oct): greeting, then "不知道" at 10:02:00 -> one hit, 90;
- Q2, Q5 (A001, 6 and 7 Oct, the same ISO week): clean -> 100 each; one of them is drawn;
- Q3 (A004, 7 Oct): clean -> 100, drawn (A004's only other session that week);
- Q4 (A004, 8 Oct): "爱买不买" at 10:01:00 -> 90.

The scheme in force for after-sale scores ``qa_score`` (the mean session score) in tiers:
>= 100 -> 20 points, >= 95 -> 15, else 0.  A001: (90 + 100 + 100) / 3 = 96.67 -> 15;
with Q1's hit dismissed every session is 100 -> 20.
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

from cskpi.qa.engine import hit_id
from cskpi.shop import Shop
from cskpi.web.db.engine import transaction
from cskpi.web.db.models import AuditEntry, PeriodLock, QaAppeal, QaDecision
from cskpi.web.services.gateway import DataGateway
from tests.helpers.common import write_folder
from tests.helpers.web import post_form as _post

PERIOD = "2026-10"
RULES = """\
qa: webtest
title: 测试质检
start: 100
sampling: {fatal: true, hits: true, per_agent_week: 1, seed: 0}
rules:
  - {key: banned, label: 禁用语, kind: phrases, phrases: [不知道, 爱买不买], points: -10}
rubric:
  - {key: pro, label: 专业度, max: 10}
"""
SCHEME = """\
scheme: qaweb
applies_to: {{role: aftersale}}
qa: {rules}
items:
  - key: quality
    label: 素质
    max: 20
    metric: qa_score
    tiers: [{{min: 100, points: 20}}, {{min: 95, points: 15}}, {{points: 0}}]
"""
SESSIONS = [("Q1", "C1", "A001", "2026-10-05 10:00:00"), ("Q2", "C2", "A001", "2026-10-06 10:00:00"),
            ("Q5", "C5", "A001", "2026-10-07 11:00:00"), ("Q3", "C3", "A004", "2026-10-07 10:00:00"),
            ("Q4", "C4", "A004", "2026-10-08 10:00:00")]
MESSAGES = [
    ("Q1", "10:00:00", "customer", "在吗，什么时候发货"),
    ("Q1", "10:00:20", "agent", "亲，您好，在的"),
    ("Q1", "10:01:00", "customer", "具体哪天"),
    ("Q1", "10:02:00", "agent", "不知道"),  # banned -10 -> 90
    ("Q2", "10:00:00", "customer", "有货吗"),
    ("Q2", "10:00:30", "agent", "亲，您好，有货的"),
    ("Q5", "11:00:00", "customer", "能开发票吗"),
    ("Q5", "11:00:30", "agent", "您好，可以的亲"),
    ("Q3", "10:00:00", "customer", "怎么退货"),
    ("Q3", "10:00:30", "agent", "亲，您好，在订单页申请即可"),
    ("Q4", "10:00:00", "customer", "能便宜点吗"),
    ("Q4", "10:00:30", "agent", "您好亲"),
    ("Q4", "10:01:00", "agent", "爱买不买"),  # banned -10 -> 90
]
BANNED_Q1 = hit_id("Q1", "banned", "2026-10-05T10:02:00")
BANNED_Q4 = hit_id("Q4", "banned", "2026-10-08T10:01:00")


def _files() -> dict[str, str]:
    day = {s: start[:10] for s, _, _, start in SESSIONS}
    agent = {s: a for s, _, a, _ in SESSIONS}
    customer = {s: c for s, c, _, _ in SESSIONS}
    messages = "\n".join(
        f"{s},{day[s]} {t},{sender},{agent[s] if sender == 'agent' else ''},"
        f"{customer[s] if sender == 'customer' else ''},{text}"
        for s, t, sender, text in MESSAGES)
    return {
        "agents.csv": "agent_id,name,role,team\nA001,张三,aftersale,T1\nA004,李四,aftersale,T1\n",
        "sessions.csv": "session_id,customer_id,agent_id,start_ts\n" + "\n".join(
            ",".join(row) for row in SESSIONS) + "\n",
        "messages.csv": "session_id,ts,sender,agent_id,customer_id,text\n" + messages + "\n",
    }


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("qa-web")
    Shop(root / "shop.duckdb").import_folder(write_folder(root / "data", dict(_files())))
    rules = root / "webtest.yaml"
    rules.write_text(RULES, encoding="utf-8")
    scheme = root / "qaweb.yaml"
    scheme.write_text(SCHEME.format(rules=rules), encoding="utf-8")
    return root / "shop.duckdb", scheme


@pytest.fixture(scope="module")
def workspace(shop: tuple[Path, Path]) -> Path:
    return shop[0]


@pytest.fixture
def gateway(shop: tuple[Path, Path]) -> DataGateway:
    """A gateway per test: decisions of one test's database never leak into another's
    cached results."""
    return DataGateway(shop[0], schemes_by_role={"aftersale": str(shop[1])})


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


@pytest.fixture
def mgr(client_for: Callable[[str | None], TestClient]) -> TestClient:
    return client_for("mgr")


def _score(html: str, element: str) -> str:
    match = re.search(rf'id="{element}"[^>]*data-score="([^"]+)"', html)
    assert match, f"no score of {element}"
    return match.group(1)


def _session_score(html: str) -> str:
    match = re.search(r'<dd data-score="([^"]+)"', html)
    assert match
    return match.group(1)


def _quality(client: TestClient, agent: str) -> Any:
    card = client.get(f"/api/v1/agents/{agent}/scorecard?period={PERIOD}").json()
    return next(i for i in card["card"]["items"] if i["key"] == "quality")["points"]


def test_the_queue_follows_the_sampling_plan(mgr: TestClient) -> None:
    page = mgr.get(f"/qa?period={PERIOD}")
    assert page.status_code == 200
    rows = dict(re.findall(r'id="row-(Q\d)" data-why="(\w+)"', page.text))
    # both hit sessions, A004's only clean one, and one of A001's two clean ones
    assert {k: v for k, v in rows.items() if k in ("Q1", "Q3", "Q4")} == {
        "Q1": "hit", "Q3": "sample", "Q4": "hit"}
    assert len(rows) == 4 and len({"Q2", "Q5"} & set(rows)) == 1
    assert _score(page.text, "row-Q1") == "90" and _score(page.text, "row-Q3") == "100"
    assert 'href="/qa"' in page.text  # the menu links the page for managers


def test_the_transcript_highlights_the_hit(mgr: TestClient) -> None:
    page = mgr.get(f"/qa/sessions/Q1?period={PERIOD}")
    assert page.status_code == 200
    assert re.search(r'class="agent qa-hit" data-hits="banned">.*<mark>不知道</mark>',
                     page.text)
    assert page.text.count("qa-hit") == 1
    assert f'id="hit-{BANNED_Q1}"' in page.text and _session_score(page.text) == "90"


def test_dismissing_a_hit_stops_it_counting_everywhere(
        mgr: TestClient, app: FastAPI) -> None:
    assert _quality(mgr, "A001") == 15  # (90 + 100 + 100) / 3 = 96.67
    assert _score(mgr.get(f"/qa?period={PERIOD}").text, "row-Q1") == "90"  # kept, then…
    page = f"/qa/sessions/Q1?period={PERIOD}"
    done = _post(mgr, page, "/qa/decide", {"period": PERIOD, "session_id": "Q1",
                                           "hit_id": BANNED_Q1, "decision": "dismiss",
                                           "note": "quoting the courier"})
    assert done.status_code == 303 and done.headers["location"].endswith("saved=dismiss")
    shown = mgr.get(page).text
    assert _session_score(shown) == "100" and 'data-decision="dismiss"' in shown
    # …made again after the decision: still queued, scored as decided
    assert _score(mgr.get(f"/qa?period={PERIOD}").text, "row-Q1") == "100"
    assert _quality(mgr, "A001") == 20  # every session 100
    # confirming it again makes it count again
    _post(mgr, page, "/qa/decide", {"period": PERIOD, "session_id": "Q1",
                                    "hit_id": BANNED_Q1, "decision": "confirm"})
    assert _session_score(mgr.get(page).text) == "90" and _quality(mgr, "A001") == 15
    with transaction(app.state.cskpi.sessions) as db:
        actions = [(a.action, a.target) for a in db.scalars(
            select(AuditEntry).where(AuditEntry.action.like("qa.%")).order_by(AuditEntry.id))]
        assert actions == [("qa.dismiss", f"qa:{PERIOD}:{BANNED_Q1}"),
                           ("qa.confirm", f"qa:{PERIOD}:{BANNED_Q1}")]
        row = db.scalar(select(QaDecision))
        assert (row.session_id, row.rule, row.ts, row.decision) == (
            "Q1", "banned", "2026-10-05T10:02:00", "confirm")


def test_rubric_points_add_and_out_of_range_is_refused_in_place(mgr: TestClient) -> None:
    page = f"/qa/sessions/Q1?period={PERIOD}"
    refused = _post(mgr, page, "/qa/rubric", {"period": PERIOD, "session_id": "Q1",
                                              "item": "pro", "points": "11"})
    assert refused.status_code == 422
    assert "专业度 takes points from 0 to 10" in refused.text
    assert 'value="11" aria-invalid="true"' in refused.text
    done = _post(mgr, page, "/qa/rubric", {"period": PERIOD, "session_id": "Q1",
                                           "item": "pro", "points": "8"})
    assert done.status_code == 303
    assert _session_score(mgr.get(page).text) == "98"  # 90 + 8


def test_a_locked_month_keeps_its_review(mgr: TestClient, app: FastAPI) -> None:
    scheme = str(app.state.cskpi.data.schemes_by_role["aftersale"])
    with transaction(app.state.cskpi.sessions) as db:
        db.add(PeriodLock(period=PERIOD, scheme=scheme, version=1, snapshot={}))
    page = f"/qa/sessions/Q1?period={PERIOD}"
    refused = _post(mgr, page, "/qa/decide", {"period": PERIOD, "session_id": "Q1",
                                              "hit_id": BANNED_Q1, "decision": "dismiss"})
    assert refused.status_code == 409
    assert f'href="/periods/{PERIOD}?scheme={scheme}"' in refused.text
    assert _session_score(refused.text) == "90"


def test_an_agent_appeals_and_the_manager_decides(
        client_for: Callable[[str | None], TestClient], mgr: TestClient, app: FastAPI) -> None:
    a001 = client_for("a001")
    mine = a001.get(f"/qa/mine?period={PERIOD}")
    assert mine.status_code == 200 and 'href="/qa/mine"' in mine.text
    assert f'id="hit-{BANNED_Q1}"' in mine.text and "Q4" not in mine.text
    page = f"/qa/mine?period={PERIOD}"
    empty = _post(a001, page, "/qa/appeal", {"period": PERIOD, "hit_id": BANNED_Q1,
                                             "text": "  "})
    assert empty.status_code == 422 and "Write the text." in empty.text
    long = _post(a001, page, "/qa/appeal", {"period": PERIOD, "hit_id": BANNED_Q1,
                                            "text": "x" * 1001})
    assert long.status_code == 422 and "at most 1000 characters" in long.text
    sent = _post(a001, page, "/qa/appeal", {"period": PERIOD, "hit_id": BANNED_Q1,
                                            "text": "I was quoting the courier"})
    assert sent.status_code == 303
    queue = mgr.get(f"/qa?period={PERIOD}").text
    appeal = re.search(r'id="appeal-(\d+)"', queue)
    assert appeal and "I was quoting the courier" in queue
    no_answer = _post(mgr, f"/qa?period={PERIOD}", f"/qa/appeals/{appeal.group(1)}/decide",
                      {"period": PERIOD, "status": "upheld", "answer": ""})
    assert no_answer.status_code == 422
    decided = _post(mgr, f"/qa?period={PERIOD}", f"/qa/appeals/{appeal.group(1)}/decide",
                    {"period": PERIOD, "status": "upheld", "answer": "Agreed, not yours"})
    assert decided.status_code == 303
    mine = a001.get(f"/qa/mine?period={PERIOD}").text
    assert 'data-status="upheld"' in mine and "Agreed, not yours" in mine
    assert 'data-score="100"' in mine  # the upheld appeal dismissed the hit
    assert _quality(mgr, "A001") == 20
    with transaction(app.state.cskpi.sessions) as db:
        assert db.scalar(select(QaAppeal)).status == "upheld"
        actions = [a.action for a in db.scalars(
            select(AuditEntry).where(AuditEntry.action.like("qa.%")).order_by(AuditEntry.id))]
        assert actions == ["qa.appeal", "qa.dismiss", "qa.appeal_upheld"]


def test_an_agent_sees_and_appeals_only_their_own(
        client_for: Callable[[str | None], TestClient]) -> None:
    a001 = client_for("a001")
    assert a001.get(f"/qa/sessions/Q4?period={PERIOD}").status_code == 403
    assert a001.get(f"/qa/sessions/Q1?period={PERIOD}").status_code == 200
    other = _post(a001, f"/qa/mine?period={PERIOD}", "/qa/appeal",
                  {"period": PERIOD, "hit_id": BANNED_Q4, "text": "not mine"})
    assert other.status_code == 403
    assert a001.get(f"/qa?period={PERIOD}").status_code == 403
    no_decide = _post(a001, f"/qa/mine?period={PERIOD}", "/qa/decide",
                      {"period": PERIOD, "session_id": "Q1", "hit_id": BANNED_Q1,
                       "decision": "dismiss"})
    assert no_decide.status_code == 403


def test_a_rejected_appeal_keeps_the_hit_and_the_agent_reads_why(
        client_for: Callable[[str | None], TestClient], mgr: TestClient, app: FastAPI) -> None:
    """A004 reads the page in Chinese; the rejection's answer is shown, the hit counts."""
    a004 = client_for("a004")
    page = f"/qa/mine?period={PERIOD}"
    mine = a004.get(page).text
    assert "我的质检结果" in mine and f'id="hit-{BANNED_Q4}"' in mine and "Q1" not in mine
    sent = _post(a004, page, "/qa/appeal", {"period": PERIOD, "hit_id": BANNED_Q4,
                                            "text": "顾客先说的"})
    assert sent.status_code == 303
    again = _post(a004, page, "/qa/appeal", {"period": PERIOD, "hit_id": BANNED_Q4,
                                             "text": "再申诉"})
    assert again.status_code == 422 and "该违规已有待处理的申诉" in again.text
    queue = mgr.get(f"/qa?period={PERIOD}").text
    appeal = re.search(r'id="appeal-(\d+)"', queue)
    assert appeal
    decided = _post(mgr, f"/qa?period={PERIOD}", f"/qa/appeals/{appeal.group(1)}/decide",
                    {"period": PERIOD, "status": "rejected", "answer": "话术不当"})
    assert decided.status_code == 303
    twice = _post(mgr, f"/qa?period={PERIOD}", f"/qa/appeals/{appeal.group(1)}/decide",
                  {"period": PERIOD, "status": "upheld", "answer": "改判"})
    assert twice.status_code == 409
    mine = a004.get(page).text
    assert 'data-status="rejected"' in mine and "话术不当" in mine
    assert 'data-score="90"' in mine
    with transaction(app.state.cskpi.sessions) as db:
        assert db.scalar(select(QaDecision)) is None  # a rejection dismisses nothing
        actions = [a.action for a in db.scalars(
            select(AuditEntry).where(AuditEntry.action.like("qa.%")).order_by(AuditEntry.id))]
        assert actions == ["qa.appeal", "qa.appeal_rejected"]


@pytest.fixture(autouse=True)
def _fresh(gateway: DataGateway) -> Iterator[None]:
    yield
    gateway.clear()


def test_a_long_queue_is_shown_a_page_at_a_time_and_downloaded_whole(
        mgr: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big shop's month queues thousands of sessions (the page was 9.5 MB at 10M
    messages): it shows PAGE_ROWS of them (here 3 of the 4) with a link to the next."""
    from cskpi.web.services import activity

    monkeypatch.setattr(activity, "PAGE_ROWS", 3)
    first = mgr.get(f"/qa?period={PERIOD}")
    second = mgr.get(f"/qa?period={PERIOD}&page=2")
    shown = [re.findall(r'id="row-(Q\d)"', p.text) for p in (first, second)]
    assert [len(s) for s in shown] == [3, 1] and not set(shown[0]) & set(shown[1])
    assert 'rel="next"' in first.text and 'rel="prev"' in second.text
