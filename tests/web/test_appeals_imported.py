"""Appeals of the events and complaints that came with the imported data (#20): an agent
appeals one of theirs (named by its table and key), a manager sets it aside or changes its
points, which scoring honours at once, or rejects the appeal, which changes nothing; every
step audited, another agent refused.

The demo shop of tests/helpers/web_entries.py with one more complaint imported for A004:
P0100, verified, 扣分 -8 (aftersale-4crown takes a complaint's points within -20..-5).
A004 scored 97 of 130 without it (its praise, imported: +2), so now 97 - 8 = 89, below
the pass line of 91: the base pay of 2,500 only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from cskpi.data.demo import generate
from cskpi.shop import Shop
from tests.helpers.web import PERIOD
from tests.helpers.web_entries import A004_PAY, A004_SCORE, audit_of, card, post, refusal, text_of

if TYPE_CHECKING:
    from fastapi import FastAPI

    from cskpi.web.services.gateway import DataGateway

MINE = f"/appeals/mine?period={PERIOD}"
COMPLAINT = "P0100,2026-10-02 11:00:00,A004,,true,-8,态度差\n"
WITH_COMPLAINT = A004_SCORE - 8  # 89
BASE_PAY = 2500.0


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The web tests' demo shop, A004 with the complaint P0100 (-8) as well."""
    root = tmp_path_factory.mktemp("imported-appeals")
    generate(root / "data", agents=6, days=5)
    with (root / "data" / "complaints.csv").open("a", encoding="utf-8") as out:
        out.write(COMPLAINT)
    Shop(root / "shop.duckdb").import_folder(root / "data")
    return root / "shop.duckdb"


@pytest.fixture(scope="module")
def gateway(workspace: Path) -> DataGateway:
    from cskpi.web.services.gateway import DataGateway
    from cskpi.web.settings import DEFAULT_SCHEMES

    return DataGateway(workspace, schemes_by_role=DEFAULT_SCHEMES)


def _appeal(client: TestClient, table: str, key: str, text: str = "not my customer") -> Any:
    return post(client, "/appeals/imported", {"period": PERIOD, "table": table, "key": key,
                                              "text": text})


def _decide(client: TestClient, appeal_id: int, status: str, answer: str = "checked",
            **fields: str) -> Any:
    return post(client, f"/appeals/{appeal_id}/decide",
                {"status": status, "answer": answer, **fields})


def _row(html: str, row_id: str) -> str:
    return html.split(f'id="{row_id}"', 1)[1].split("</tr>", 1)[0]


def _complaints(client: TestClient) -> list[dict[str, Any]]:
    return [a for a in card(client)["adjustments"] if a["event"] == "complaint"]


def test_an_imported_complaint_set_aside_on_appeal_no_longer_counts(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    agent, mgr = client_for("a004"), client_for("mgr")
    before = card(mgr)
    # 97 - 8 = 89, below 91: the base pay only
    assert (before["score"], before["pay"]["total"]) == (WITH_COMPLAINT, BASE_PAY)
    assert [(a["count"], a["points"]) for a in _complaints(mgr)] == [(1, -8)]
    row = _row(agent.get(MINE).text, "imported-complaints-P0100")
    assert 'action="/appeals/imported"' in row and 'name="key" value="P0100"' in row
    # A001 may not appeal A004's complaint; managers file no appeals
    assert _appeal(client_for("a001"), "complaints", "P0100").status_code == 403
    assert _appeal(mgr, "complaints", "P0100").status_code == 403
    assert _appeal(agent, "complaints", "P9999").status_code == 404

    assert _appeal(agent, "complaints", "P0100", "the customer was A005's").status_code == 303
    [created] = audit_of(app, "appeal.create")
    assert (created.username, created.after["kind"], created.after["imported_table"],
            created.after["imported_key"]) == ("a004", "imported", "complaints", "P0100")
    assert (created.after["entry"]["points"], created.after["entry"]["counts"]) == ("-8", True)
    twice = _appeal(agent, "complaints", "P0100", "again")
    assert twice.status_code == 422 and "该条目已有待处理的申诉" in refusal(twice.text)

    # a rejection changes nothing
    section = mgr.get("/appeals").text.split('id="appeal-1"')[1].split("</section>")[0]
    assert "imported complaint P0100" in section
    assert "the customer was A005's" in text_of(section)
    assert re.findall(r'<option value="(\w*)"', section) == ["", "delete", "points"]
    assert _decide(mgr, 1, "rejected", answer="the order was yours").status_code == 303
    assert (card(mgr)["score"], card(mgr)["pay"]["total"]) == (WITH_COMPLAINT, BASE_PAY)
    assert audit_of(app, "correction.create") == []
    [rejected] = audit_of(app, "appeal.rejected")
    assert rejected.after["remedy"] is None and rejected.after["answer"] == "the order was yours"

    # appealed again, upheld: set aside, the score rises by the complaint's 8 points
    assert _appeal(agent, "complaints", "P0100", "see the chat of 2 Oct").status_code == 303
    assert _decide(mgr, 2, "upheld", answer="you are right", remedy="delete").status_code == 303
    after = card(mgr)
    # 89 + 8 = 97, passes again: 2,500 + 1000 × 97 / 130 = 2,500 + 746.15 = 3,246.15
    assert (after["score"], after["passed"], after["pay"]["total"]) == (
        A004_SCORE, True, A004_PAY)
    assert after["score"] - before["score"] == 8 and _complaints(mgr) == []
    [upheld] = audit_of(app, "appeal.upheld")
    assert upheld.target == "appeal:2" and upheld.after["remedy"] == {"cancel": True}
    [fix] = audit_of(app, "correction.create")
    assert fix.username == "mgr" and fix.target == "correction:complaints:P0100"
    assert (fix.after["cancelled"], fix.after["appeal_id"], fix.after["agent_id"]) == (
        True, 2, "A004")

    # the scorecard lists the complaint as set aside, and it is no longer appealable
    page = mgr.get(f"/agents/A004/scorecard?period={PERIOD}").text
    events = page.split('id="card-events"')[1].split("</table>")[0]
    complaint = next(r for r in events.split("<tr")[1:] if "P0100" in r)
    assert 'class="inactive"' in complaint
    assert "set aside on appeal #2: no longer counts" in text_of(complaint)
    mine = agent.get(MINE).text
    row = _row(mine, "imported-complaints-P0100")
    assert "<form" not in row and "经申诉 #2 撤销：不再计分" in text_of(row)
    assert "已撤销：不再计分" in text_of(mine.split('id="my-appeals"')[1])


def test_an_imported_complaint_upheld_with_other_points_counts_them(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    agent, mgr = client_for("a004"), client_for("mgr")
    assert _appeal(agent, "complaints", "P0100").status_code == 303
    out_of_range = _decide(mgr, 1, "upheld", remedy="points", points="-30")
    assert out_of_range.status_code == 422
    assert "-30 is outside -20 to -5" in refusal(out_of_range.text)
    same = _decide(mgr, 1, "upheld", remedy="points", points="-8")
    assert same.status_code == 422 and "Those are the event's points now" in refusal(same.text)
    assert audit_of(app, "correction.create") == []  # the refused changes were not kept
    assert _decide(mgr, 1, "upheld", remedy="points", points="-5").status_code == 303
    # 97 - 5 = 92, passes: 2,500 + 1000 × 92 / 130 = 2,500 + 707.69 = 3,207.69
    assert (card(mgr)["score"], card(mgr)["pay"]["total"]) == (92, 3207.69)
    assert [(a["count"], a["points"]) for a in _complaints(mgr)] == [(1, -5)]
    [fix] = audit_of(app, "correction.create")
    assert (fix.after["points"], fix.after["cancelled"]) == ("-5.00", False)
    row = _row(agent.get(MINE).text, "imported-complaints-P0100")
    assert "经申诉 #1 改分（导入时为 -8）" in text_of(row)


def test_an_imported_event_is_named_by_its_content_and_may_be_set_aside(
        client_for: Callable[..., TestClient]) -> None:
    agent, mgr = client_for("a004"), client_for("mgr")
    page = agent.get(MINE).text
    # A004's imported praise (+2): the events table has no key, so its content names it
    [key] = re.findall(r'id="imported-events-([0-9a-f]{16}-1)"', page)
    assert _appeal(agent, "events", key, "I was off that day").status_code == 303
    section = mgr.get("/appeals").text.split('id="appeal-1"')[1].split("</section>")[0]
    assert "imported with the shop's data" in text_of(section)
    assert re.findall(r'<option value="(\w*)"', section) == ["", "delete", "points"]
    assert _decide(mgr, 1, "upheld", remedy="delete").status_code == 303
    # 89 - 2 = 87: the praise no longer counts
    assert card(mgr)["score"] == WITH_COMPLAINT - 2
    assert [a for a in card(mgr)["adjustments"] if a["event"] == "praise"] == []


def test_the_appeal_pages_of_imported_rows_speak_chinese(
        client_for: Callable[..., TestClient]) -> None:
    agent, mgr = client_for("a004"), client_for("mgr")  # a004 reads Chinese
    assert _appeal(agent, "complaints", "P0100").status_code == 303
    zh = {"Accept-Language": "zh-CN"}
    queue = mgr.get("/appeals", headers=zh).text
    assert _decide(mgr, 1, "upheld", remedy="delete").status_code == 303
    pages = [queue, mgr.get("/appeals", headers=zh).text, agent.get(MINE).text,
             mgr.get(f"/agents/A004/scorecard?period={PERIOD}", headers=zh).text,
             mgr.get(f"/grades?period={PERIOD}", headers=zh).text]
    english = _english_texts()
    for page in pages:
        main = text_of(page.split("<main>")[1])
        assert [text for text in english if text in main] == []
    assert "导入的投诉 P0100" in text_of(queue) and "撤销（不再计分）" in queue


def _english_texts() -> list[str]:
    """The English phrases of this area's catalog, between their placeholders."""
    folder = resources.files("cskpi.locale")
    en = json.loads(folder.joinpath("web-gaps.en.json").read_text("utf-8"))
    zh = json.loads(folder.joinpath("web-gaps.zh_CN.json").read_text("utf-8"))
    assert en.keys() == zh.keys()
    return [part.strip() for text in en.values() for part in re.split(r"{\w+}", text)
            if " " in part.strip()]
