"""Appeals (申诉) of grades and events (#20): an agent appeals their own with a reason, a
manager upholds it with the change it makes (which counts at once) or rejects it, with an
answer the agent reads; every step audited, refusals in place, a lock respected.

Figures from the demo shop (see tests/helpers/web_entries.py): A004 scores 97 of 130
(quality graded B: 15 points); the pass line is 91; pay is 2,500 plus 1000 × score / 130
when the score passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cskpi.web.db.engine import transaction
from cskpi.web.db.models import EntryAppeal, Event
from tests.helpers.web import PERIOD
from tests.helpers.web_entries import (
    A004_PAY,
    A004_SCORE,
    SCHEME,
    audit_of,
    card,
    post,
    refusal,
    text_of,
)

MINE = f"/appeals/mine?period={PERIOD}"


def _appeal_grade(client: TestClient, item: str = "quality", text: str = "I solved them all",
                  **kw: Any) -> Any:
    return post(client, "/appeals/grade", {"period": PERIOD, "item": item, "text": text},
                **kw)


def _appeal_event(client: TestClient, event_id: int, text: str = "not my customer") -> Any:
    return post(client, "/appeals/event", {"period": PERIOD, "event_id": str(event_id),
                                           "text": text})


def _decide(client: TestClient, appeal_id: int, status: str, answer: str = "checked",
            **fields: str) -> Any:
    return post(client, f"/appeals/{appeal_id}/decide",
                {"status": status, "answer": answer, **fields})


def _complaint(client: TestClient, points: str = "-12") -> int:
    """A complaint entered for A004 (its id)."""
    made = post(client, "/events", {"agent_id": "A004", "date": "2026-10-03",
                                    "kind": "complaint", "points": points, "note": "rude"})
    assert made.status_code == 303
    [event_id] = re.findall(r'href="/events/(\d+)/edit"',
                            client.get(f"/grades?period={PERIOD}").text)
    return int(event_id)


def _appeals(app: FastAPI) -> list[EntryAppeal]:
    with transaction(app.state.cskpi.sessions) as db:
        return list(db.scalars(select(EntryAppeal).order_by(EntryAppeal.id)))


def test_an_upheld_grade_appeal_changes_the_grade_and_counts(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    agent, mgr = client_for("a004"), client_for("mgr")
    page = agent.get(MINE).text  # a004 reads Chinese
    assert "良" in text_of(page.split('id="grade-quality"')[1].split("</tr>")[0])
    assert 'href="/appeals/mine?period=2026-10"' in agent.get(
        f"/agents/A004/scorecard?period={PERIOD}").text
    filed = _appeal_grade(agent)
    assert filed.status_code == 303
    assert filed.headers["location"] == f"{MINE}&saved=appeal"
    [created] = audit_of(app, "appeal.create")
    assert created.username == "a004" and created.after["entry"]["grade"] == "B"
    assert created.after["entry"]["source"] == "imported" and created.after["item"] == "quality"
    # one open appeal per entry
    row = agent.get(MINE).text.split('id="grade-quality"')[1].split("</tr>")[0]
    assert 'data-status="open"' in row and 'action="/appeals/grade"' not in row
    twice = _appeal_grade(agent, text="again")
    assert twice.status_code == 422 and "该条目已有待处理的申诉" in refusal(twice.text)
    assert ">again</textarea>" in twice.text.split('id="grade-quality"')[1].split("</tr>")[0]

    queue = mgr.get("/appeals").text
    section = queue.split('id="appeal-1"')[1].split("</section>")[0]
    assert "I solved them all" in section and "B · good" in section
    assert re.findall(r'<option value="(\w*)"', section) == ["", "A", "B", "C", "D"]
    # a decision that would not count as sent is refused in place, the answer kept
    for fields, reason in (
            ({"status": "upheld"}, "Choose the change upholding makes"),
            ({"status": "upheld", "remedy": "B"}, "That is the grade that counts now"),
            ({"status": "upheld", "remedy": "already"}, "The entry is as it was appealed"),
            ({"status": "rejected", "remedy": "A"}, "A rejected appeal changes nothing"),
            ({"status": "upheld", "answer": " "}, "Write it in a few words")):
        refused = _decide(mgr, 1, **{"answer": "you did well", **fields})
        assert refused.status_code == 422, fields
        assert refusal(refused.text).startswith(reason), (fields, refusal(refused.text))
        form = refused.text.split('id="appeal-1"')[1].split("</section>")[0]
        assert f">{fields.get('answer', 'you did well')}</textarea>" in form
    assert card(mgr)["score"] == A004_SCORE and audit_of(app, "appeal.upheld") == []

    upheld = _decide(mgr, 1, "upheld", answer="you did well", remedy="A")
    assert upheld.status_code == 303 and upheld.headers["location"] == "/appeals?saved=upheld"
    # quality 良 → 优: 15 → 20: 97 + 5 = 102, passes: pay 2,500 + 1000 × 102 / 130
    # = 2,500 + 784.62 = 3,284.62
    after = card(mgr)
    assert (after["score"], after["passed"], after["pay"]["total"]) == (102, True, 3284.62)
    [decided] = audit_of(app, "appeal.upheld")
    assert decided.username == "mgr" and decided.target == "appeal:1"
    assert (decided.before["status"], decided.after["status"]) == ("open", "upheld")
    assert decided.after["remedy"] == {"grade": "A"} and decided.after["answer"] == "you did well"
    [grade] = audit_of(app, "grade.create")  # the grade itself, audited as on the entries page
    assert grade.after["grade"] == "A" and grade.target == f"grade:A004:{PERIOD}:quality"
    # decided once
    again = _decide(mgr, 1, "rejected")
    assert again.status_code == 409 and refusal(again.text) == "Appeal #1 was decided already."
    # the agent reads the answer and what it changed
    mine = agent.get(MINE).text.split('id="my-appeals"')[1]
    assert "已维持" in mine and "you did well" in mine and "评分改为 优" in mine
    assert "No open appeals" in mgr.get("/appeals").text
    assert "grade changed to A · excellent" in mgr.get("/appeals").text.split('id="decided"')[1]


def test_an_event_appeal_upheld_with_new_points_counts_and_a_rejection_changes_nothing(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    agent, mgr = client_for("a004"), client_for("mgr")
    event_id = _complaint(mgr)
    # 97 − 12 = 85, below 91: no bonus, pay the base 2,500
    assert (card(mgr)["score"], card(mgr)["pay"]["total"]) == (85, 2500.0)
    assert _appeal_event(client_for("a001"), event_id).status_code == 403  # not A001's
    page = agent.get(MINE).text
    assert f'name="event_id" value="{event_id}"' in page
    imported = page.split('data-source="imported"')[1].split("</tr>")[0]
    assert 'action="/appeals/imported"' in imported  # tests/web/test_appeals_imported.py
    assert _appeal_event(agent, event_id).status_code == 303

    section = mgr.get("/appeals").text.split('id="appeal-1"')[1].split("</section>")[0]
    assert re.findall(r'<option value="(\w*)"', section) == ["", "delete", "points"]
    out_of_range = _decide(mgr, 1, "upheld", remedy="points", points="-30")
    assert out_of_range.status_code == 422
    assert "-30 is outside -20 to -5" in refusal(out_of_range.text)
    assert 'name="points" inputmode="decimal" maxlength="20" value="-30"' in out_of_range.text
    unused = _decide(mgr, 1, "upheld", remedy="delete", points="-5")
    assert unused.status_code == 422 and "Points are given only" in refusal(unused.text)
    with transaction(app.state.cskpi.sessions) as db:
        assert db.get(Event, event_id) is not None  # the refused delete did not happen
    assert _decide(mgr, 1, "upheld", remedy="points", points="-12").status_code == 422

    assert _decide(mgr, 1, "upheld", remedy="points", points="-5").status_code == 303
    # 97 − 5 = 92, passes: pay 2,500 + 1000 × 92 / 130 = 2,500 + 707.69 = 3,207.69
    assert (card(mgr)["score"], card(mgr)["pay"]["total"]) == (92, 3207.69)
    [update] = audit_of(app, "event.update")
    assert (update.before["points"], update.after["points"]) == ("-12.00", "-5.00")

    # a new appeal of the same event, rejected: nothing changes
    assert _appeal_event(agent, event_id, "still not mine").status_code == 303
    assert _decide(mgr, 2, "rejected", answer="the customer named you").status_code == 303
    assert card(mgr)["score"] == 92 and len(audit_of(app, "event.update")) == 1
    [rejected] = audit_of(app, "appeal.rejected")
    assert rejected.after["remedy"] is None and rejected.after["answer"] == "the customer named you"
    mine = agent.get(MINE).text
    assert "已驳回" in mine and "the customer named you" in mine
    assert [a.status for a in _appeals(app)] == ["upheld", "rejected"]


def test_an_event_deleted_since_the_appeal_is_upheld_as_corrected_already(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    agent, mgr = client_for("a004"), client_for("mgr")
    event_id = _complaint(mgr)
    assert _appeal_event(agent, event_id).status_code == 303
    assert post(mgr, f"/events/{event_id}/delete", {}).status_code == 303
    section = mgr.get("/appeals").text.split('id="appeal-1"')[1].split("</section>")[0]
    assert "changed since the appeal" in section and "the event was deleted" in section
    assert re.findall(r'<option value="(\w*)"', section) == ["", "already"]
    gone = _decide(mgr, 1, "upheld", remedy="delete")
    assert gone.status_code == 422 and "The event was deleted since the appeal" in refusal(
        gone.text)
    assert _decide(mgr, 1, "upheld", remedy="already").status_code == 303
    [appeal] = _appeals(app)
    assert (appeal.status, appeal.remedy) == ("upheld", {"already": None})
    assert card(mgr)["score"] == A004_SCORE  # the complaint is gone: 97 again


def test_a_locked_month_takes_appeals_but_keeps_its_entries_until_reopened(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    agent, mgr = client_for("a004"), client_for("mgr")
    event_id = _complaint(mgr)
    assert post(mgr, "/periods/lock", {"period": PERIOD, "scheme": SCHEME}).status_code == 303
    assert _appeal_event(agent, event_id).status_code == 303  # published figures: appealable
    kept = _decide(mgr, 1, "upheld", remedy="delete")
    assert kept.status_code == 409
    assert refusal(kept.text).startswith(
        f"This event is part of {PERIOD} as locked (version 1 of {SCHEME})")
    assert f'href="/periods/{PERIOD}?scheme={SCHEME}"' in kept.text
    assert [a.status for a in _appeals(app)] == ["open"] and audit_of(app, "appeal.upheld") == []
    assert post(mgr, "/periods/reopen", {"period": PERIOD, "scheme": SCHEME,
                                         "reason": "appeal #1"}).status_code == 303
    assert _decide(mgr, 1, "upheld", remedy="delete").status_code == 303
    assert card(mgr)["score"] == 85  # the published version 1 until the month is locked again
    assert post(mgr, "/periods/lock", {"period": PERIOD, "scheme": SCHEME,
                                       "reason": "appeal #1 upheld"}).status_code == 303
    assert (card(mgr)["score"], card(mgr)["pay"]["total"]) == (A004_SCORE, A004_PAY)


def test_agents_appeal_only_their_own_and_see_only_theirs(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    agent, mgr = client_for("a004"), client_for("mgr")
    assert _appeal_grade(agent, text="A004's own reason").status_code == 303
    other = client_for("a001").get("/appeals/mine").text
    assert "A004's own reason" not in other and "You have not appealed anything yet" in other
    assert _appeal_grade(mgr).status_code == 403  # managers answer appeals, they file none
    refused = _appeal_grade(agent, item="refund_rate")  # scored on a metric, not graded
    assert refused.status_code == 422 and "refund_rate" in refusal(refused.text)
    long_text = _appeal_grade(agent, item="disputes", text="x" * 1001)
    assert long_text.status_code == 422 and "最多 1000 个字符" in refusal(long_text.text)
    assert ">" + "x" * 1001 + "</textarea>" in long_text.text  # kept as typed
    forged = agent.post("/appeals/grade", data={"period": PERIOD, "item": "disputes",
                                                "text": "x", "csrf_token": "forged"})
    assert forged.status_code == 403
    forged_decision = mgr.post("/appeals/1/decide", data={"status": "rejected", "answer": "no",
                                                          "csrf_token": "forged"})
    assert forged_decision.status_code == 403
    assert [(a.item, a.status) for a in _appeals(app)] == [("quality", "open")]


def _english_texts() -> list[str]:
    """The English phrases of the grid's and the appeals' catalogs, between their
    placeholders (what a Chinese page must not show)."""
    import json
    from importlib import resources

    folder = resources.files("cskpi.locale")
    out = []
    for name in ("web-grid", "web-appeals"):
        en = json.loads(folder.joinpath(f"{name}.en.json").read_text("utf-8"))
        zh = json.loads(folder.joinpath(f"{name}.zh_CN.json").read_text("utf-8"))
        assert en.keys() == zh.keys()
        for key, text in en.items():
            assert zh[key] != text, key  # every text is translated
            out += [part.strip() for part in re.split(r"{\w+}", text) if " " in part.strip()]
    return out


def test_the_grid_and_the_appeal_pages_speak_chinese(
        client_for: Callable[..., TestClient]) -> None:
    agent, mgr = client_for("a004"), client_for("mgr")  # a004 reads Chinese
    event_id = _complaint(mgr)
    assert _appeal_event(agent, event_id).status_code == 303
    assert _appeal_grade(agent).status_code == 303
    assert _decide(mgr, 2, "upheld", remedy="A").status_code == 303
    zh = {"Accept-Language": "zh-CN"}
    pages = [mgr.get("/appeals", headers=zh).text, mgr.get(f"/grades/grid?period={PERIOD}",
                                                           headers=zh).text,
             agent.get(MINE).text,  # and a refusal:
             post(mgr, "/appeals/1/decide", {"status": "upheld", "answer": "x"}, headers=zh).text]
    english = _english_texts()
    assert len(english) > 50
    for page in pages:
        main = text_of(page.split("<main>")[1])  # what is read, not the markup
        assert "申诉" in main or "评分" in main
        assert [text for text in english if text in main] == []
