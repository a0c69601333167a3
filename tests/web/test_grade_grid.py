"""The grading grid (#20): agents × the graded items of their schemes, with the grade in
force and last month's beside each cell, saved in one post that counts whole or is refused
whole, cell by cell, with the choices kept.

Figures from the demo shop (see tests/helpers/web_entries.py): A004 scores 97 of 130 with
its imported grades quality B (15), disputes C (10), cooperation C (10), execution C (10);
the pass line is 91; pay is 2,500 plus 1000 × score / 130 when the score passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cskpi.web.db.engine import transaction
from cskpi.web.db.models import Grade
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

GRID = f"/grades/grid?period={PERIOD}"


def _save(client: TestClient, cells: dict[tuple[str, str], str], period: str = PERIOD,
          **kw: Any) -> Any:
    return post(client, "/grades/grid",
                {"period": period, **{f"g|{a}|{i}": v for (a, i), v in cells.items()}}, **kw)


def _cell(page: str, agent: str, item: str) -> str:
    """The HTML of one cell of the grid."""
    row = page.split(f'<tr data-agent="{agent}">')[1].split("</tr>")[0]
    return row.split(f'<td data-item="{item}"')[1].split("</td>")[0]


def _grades(app: FastAPI) -> dict[tuple[str, str, str], str]:
    with transaction(app.state.cskpi.sessions) as db:
        return {(g.agent_id, g.period, g.item): g.grade for g in db.scalars(select(Grade))}


def test_the_grid_lists_the_graded_agents_by_their_items_with_the_grades_in_force(
        client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    page = mgr.get(GRID)
    assert page.status_code == 200
    # A001-A003 are pre-sale (presale-standard grades nothing), A006 a lead (no scheme)
    assert re.findall(r'<tr data-agent="(\w+)">', page.text) == ["A004", "A005"]
    assert re.findall(r'<th data-item="(\w+)">', page.text) == [
        "quality", "disputes", "cooperation", "execution"]
    assert "<h2>aftersale-4crown</h2>" in page.text
    quality = _cell(page.text, "A004", "quality")
    assert 'data-now="B" data-last=""' in quality  # imported; September has none
    assert "now B · good · imported" in text_of(quality)
    # the scheme's grade choices with their points, after "no change"; nothing to clear
    assert re.findall(r'<option value="([^"]*)"', quality) == ["", "A", "B", "C", "D"]
    assert "A · excellent · 20 points" in quality and "D · poor · 0 points" in quality
    zh = mgr.get(GRID, headers={"Accept-Language": "zh-CN"}).text
    assert "优 · 20 分" in _cell(zh, "A004", "quality") and "当前 良" in _cell(zh, "A004", "quality")
    assert f'href="{GRID}"' in mgr.get(f"/grades?period={PERIOD}").text  # linked
    # one team only
    other = mgr.get(f"{GRID}&team=presale-1").text
    assert "<tr data-agent" not in other and "No agent of team presale-1" in other


def test_a_saved_grid_counts_in_the_scorecard_audited_like_single_grades(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    assert (card(mgr)["score"], card(mgr)["pay"]["total"]) == (A004_SCORE, A004_PAY)
    saved = _save(mgr, {("A004", "quality"): "A", ("A004", "disputes"): "优",
                        ("A004", "cooperation"): "", ("A005", "execution"): ""})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/grades/grid?period={PERIOD}&saved=2"
    # quality 良 → 优: 15 → 20 (+5); disputes 中 → 优: 10 → 20 (+10): 97 + 5 + 10 = 112,
    # above the pass line 91: pay 2,500 + 1000 × 112 / 130 = 2,500 + 861.54 = 3,361.54
    after = card(mgr)
    assert (after["score"], after["passed"], after["pay"]["total"]) == (112, True, 3361.54)
    points = {i["key"]: i["points"] for i in after["items"]}
    assert (points["quality"], points["disputes"], points["cooperation"]) == (20, 20, 10)
    assert _grades(app) == {("A004", PERIOD, "quality"): "A", ("A004", PERIOD, "disputes"): "A"}
    created = audit_of(app, "grade.create")
    assert [(e.target, e.after["grade"], e.username) for e in created] == [
        (f"grade:A004:{PERIOD}:quality", "A", "mgr"),
        (f"grade:A004:{PERIOD}:disputes", "A", "mgr")]
    page = mgr.get(saved.headers["location"]).text
    assert "Saved. Grades changed: 2." in page
    quality = _cell(page, "A004", "quality")
    assert 'data-now="A"' in quality and "entered by mgr" in quality
    assert '<option value="-">Clear the entered grade</option>' in quality

    # the grade entered already is no change: nothing stored, nothing audited
    again = _save(mgr, {("A004", "quality"): "A"})
    assert again.headers["location"].endswith("&saved=0")
    assert "Nothing changed" in mgr.get(again.headers["location"]).text
    assert len(audit_of(app, "grade.create")) == 2 and audit_of(app, "grade.update") == []
    # 优 → 良 on the grid is an update: 112 − 5 = 107
    assert _save(mgr, {("A004", "quality"): "B"}).status_code == 303
    assert card(mgr)["score"] == 107
    [update] = audit_of(app, "grade.update")
    assert (update.before["grade"], update.after["grade"]) == ("A", "B")


def test_last_months_grades_are_shown_beside_each_cell(
        client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    # September 2026 has no data, but its grades may be entered (they count once it has)
    september = _save(mgr, {("A004", "quality"): "A", ("A005", "disputes"): "差"},
                      period="2026-09")
    assert september.status_code == 303
    page = mgr.get(GRID).text
    assert 'data-now="B" data-last="A"' in _cell(page, "A004", "quality")
    assert "last month A · excellent" in text_of(_cell(page, "A004", "quality"))
    assert 'data-last="D"' in _cell(page, "A005", "disputes")
    assert 'data-last=""' in _cell(page, "A005", "quality")
    assert "the one of September 2026" in page


def test_a_grid_with_a_cell_that_would_not_count_saves_nothing_and_says_why_per_cell(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    cells = {("A004", "quality"): "A",  # fine on its own
             ("A005", "quality"): "X",  # not a grade
             ("A004", "disputes"): "-",  # imported: no entered grade to clear
             ("A001", "quality"): "B",  # pre-sale: presale-standard grades nothing
             ("A999", "quality"): "B"}  # no such agent
    refused = _save(mgr, cells)
    assert refused.status_code == 422
    reasons = dict(re.findall(r'<li data-agent="(\w+)" data-item="\w+">\S+ · [^:]+: (.*?)</li>',
                              refused.text))
    assert {a: text_of(r) for a, r in reasons.items()} == {
        "A005": "'X' is not a grade of 售后客服素质 under aftersale-4crown "
                "Choose one of: A, B, C, D",
        "A004": "There is no entered grade to clear: the grade that counts now, if any, came "
                "with the imported data (enter another grade to replace it).",
        "A001": "The schemes of agent A001 (presale-standard) have no graded items "
                "Nothing needs a grade for this agent",
        "A999": "No agent 'A999' in the workspace."}
    assert "Nothing was saved. Cells that would not count as chosen: 4." in refusal(
        refused.text)
    # nothing stored, nothing audited, the card as before
    assert _grades(app) == {} and audit_of(app, "grade.create") == []
    assert card(mgr)["score"] == A004_SCORE
    # every choice kept, the refused cells marked beside their reason
    assert '<option value="A" selected>' in _cell(refused.text, "A004", "quality")
    bad = _cell(refused.text, "A005", "quality")
    assert '<option value="X" selected>X</option>' in bad and 'aria-invalid="true"' in bad
    assert "is not a grade of" in bad
    cleared = _cell(refused.text, "A004", "disputes")
    assert '<option value="-" selected>' in cleared and 'aria-invalid="true"' in cleared
    zh = _save(mgr, {("A005", "quality"): "X"}, headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 422 and "按 aftersale-4crown，“X”不是 售后客服素质 的等级" in zh.text


def test_clearing_an_entered_grade_gives_back_the_imported_one(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    assert _save(mgr, {("A004", "quality"): "D"}).status_code == 303
    # quality 良 → 差: 15 → 0: 97 − 15 = 82, below 91: no bonus, pay the base 2,500
    assert (card(mgr)["score"], card(mgr)["pay"]["total"]) == (82, 2500.0)
    assert _save(mgr, {("A004", "quality"): "-"}).status_code == 303
    assert (card(mgr)["score"], card(mgr)["pay"]["total"]) == (A004_SCORE, A004_PAY)
    [deleted] = audit_of(app, "grade.delete")
    assert deleted.before["grade"] == "D" and deleted.target == f"grade:A004:{PERIOD}:quality"
    assert _grades(app) == {}
    assert 'value="-"' not in _cell(mgr.get(GRID).text, "A004", "quality")


def test_a_lock_keeps_its_grades_and_the_whole_grid_is_refused(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    assert _save(mgr, {("A004", "quality"): "A"}).status_code == 303  # 97 + 5 = 102
    assert post(mgr, "/periods/lock", {"period": PERIOD, "scheme": SCHEME}).status_code == 303
    for change in ("C", "-"):
        refused = _save(mgr, {("A004", "quality"): change,
                              ("A005", "quality"): "A"})  # a correction, fine alone
        assert refused.status_code == 409, change
        listed = refused.text.split('id="refused-cells">')[1].split("</ul>")[0]
        assert text_of(listed).startswith(
            f"A004 · 售后客服素质: This grade is part of {PERIOD} as locked "
            f"(version 1 of {SCHEME})")
        assert f'href="/periods/{PERIOD}?scheme={SCHEME}"' in listed
    assert _grades(app) == {("A004", PERIOD, "quality"): "A"}  # A005's was not stored
    assert card(mgr)["score"] == 102
    assert audit_of(app, "grade.update") == [] and audit_of(app, "grade.delete") == []


def test_the_grid_needs_the_forms_csrf_token(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    forged = mgr.post("/grades/grid", data={"period": PERIOD, "g|A004|quality": "A",
                                            "csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403 and _grades(app) == {}
