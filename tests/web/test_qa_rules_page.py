"""The QA rules editor (质检方案) in the app: a shop's rules file written in the browser,
checked as it is typed (every problem with its line, in the reader's language), saved as
versions (audited) and chosen for a month's review queue; a locked month keeps its rules.

The shop (October 2026, one after-sale agent A001, no scheme naming ``qa:``, so the
default rules are the preset taobao-basic):

- R1 (Mon 5 Oct): the customer asks "在吗", A001 answers "亲，您好，请稍等一下";
- R2 (Tue 6 Oct): "有货吗" answered "您好，有货的".

taobao-basic finds nothing in either (greetings present, no banned words): both are
100, and both are drawn as random samples (its plan draws 3 clean sessions per agent and
ISO week; A001 has only these 2 in week 41).
``SHOP_RULES`` deducts 5 for "稍等一下", a phrase no preset has, and samples no clean
session: the queue is then R1 alone, a hit, 100 - 5 = 95.
"""

from __future__ import annotations

import json
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
from cskpi.web.db.models import AuditEntry, PeriodLock, QaRulesChoice, QaRulesVersion
from cskpi.web.services.gateway import DataGateway
from tests.helpers.common import write_folder
from tests.helpers.web import add_qa_reviewer, form_token
from tests.helpers.web import post_form as _post

PERIOD = "2026-10"
SHOP_RULES = """\
qa: shop-basic
title: 本店质检
start: 100
sampling: {fatal: true, hits: true, per_agent_week: 0}
rules:
  - {key: wait, label: 让顾客等待, kind: phrases, phrases: [稍等一下], points: -5}
"""
# version 2 also deducts 10 for "有货的" (R2: 100 - 10 = 90)
SHOP_RULES_V2 = SHOP_RULES + \
    "  - {key: vague, label: 回答笼统, kind: phrases, phrases: [有货的], points: -10}\n"
# two errors: positive points on line 6, a pattern RE2 cannot run on line 7
TWO_ERRORS = """\
qa: shop-bad
title: 有错的方案
start: 100
rules:
  - {key: ok, kind: phrases, phrases: [不知道], points: -5}
  - {key: plus, kind: phrases, phrases: [稍等], points: 5}
  - {key: broken, kind: pattern, pattern: "(微信", fatal: true}
"""
FILES = {
    "agents.csv": "agent_id,name,role,team\nA001,张三,aftersale,T1\n",
    "sessions.csv": "session_id,customer_id,agent_id,start_ts\n"
                    "R1,C1,A001,2026-10-05 10:00:00\nR2,C2,A001,2026-10-06 10:00:00\n",
    "messages.csv": "session_id,ts,sender,agent_id,customer_id,text\n"
                    "R1,2026-10-05 10:00:00,customer,,C1,在吗\n"
                    "R1,2026-10-05 10:00:20,agent,A001,,亲，您好，请稍等一下\n"
                    "R2,2026-10-06 10:00:00,customer,,C2,有货吗\n"
                    "R2,2026-10-06 10:00:30,agent,A001,,您好，有货的\n",
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("qa-rules-web")
    Shop(root / "shop.duckdb").import_folder(write_folder(root / "data", dict(FILES)))
    return root / "shop.duckdb"


@pytest.fixture
def gateway(workspace: Path) -> Iterator[DataGateway]:
    """A gateway per test (no scheme names ``qa:``: the default is taobao-basic)."""
    gateway = DataGateway(workspace, schemes_by_role={})
    yield gateway
    gateway.clear()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


@pytest.fixture
def mgr(client_for: Callable[[str | None], TestClient]) -> TestClient:
    return client_for("mgr")


def _queue(client: TestClient, period: str = PERIOD) -> dict[str, tuple[str, str]]:
    """session -> (why, score) of the month's review queue."""
    page = client.get(f"/qa?period={period}").text
    return {sid: (why, score) for sid, why, score in re.findall(
        r'id="row-(R\d)" data-why="(\w+)" data-score="([^"]+)"', page)}


def _in_use(client: TestClient, period: str = PERIOD) -> tuple[str, str]:
    page = client.get(f"/qa?period={period}").text
    match = re.search(r'id="rules-in-use" data-rules="([^"]+)" data-chosen="(\w+)"', page)
    assert match, "the QA page does not say which rules are in use"
    return match.group(1), match.group(2)


def _save(client: TestClient, text: str, name: str = "", **extra: Any) -> Any:
    page = f"/qa/rules/{name}/edit" if name else "/qa/rules/new"
    return _post(client, page, "/qa/rules", {"name": name, "text": text, **extra})


def _choose(client: TestClient, name: str, period: str = PERIOD) -> Any:
    return _post(client, f"/qa/rules?period={period}", "/qa/rules/choose",
                 {"period": period, "name": name})


def _actions(app: FastAPI) -> list[tuple[str, str, Any]]:
    with transaction(app.state.cskpi.sessions) as db:
        return [(a.action, a.target, a.after) for a in db.scalars(
            select(AuditEntry).where(AuditEntry.action.like("qa_rules.%"))
            .order_by(AuditEntry.id))]


def test_a_saved_and_chosen_file_drives_the_queue(mgr: TestClient, app: FastAPI) -> None:
    # the default: taobao-basic finds nothing; both clean sessions are sampled
    assert _in_use(mgr) == ("taobao-basic", "no")
    assert _queue(mgr) == {"R1": ("sample", "100"), "R2": ("sample", "100")}
    saved = _save(mgr, SHOP_RULES, note="our own")
    assert saved.status_code == 303
    assert saved.headers["location"] == "/qa/rules/shop-basic?saved=1"
    # saved is not chosen: the month still uses the default
    assert _in_use(mgr) == ("taobao-basic", "no")
    chosen = _choose(mgr, "shop-basic")
    assert chosen.status_code == 303
    assert chosen.headers["location"] == f"/qa/rules?period={PERIOD}&saved=choose"
    assert _in_use(mgr) == ("shop-basic v1", "yes")
    # R1's "稍等一下" is a hit of the new rule only: 100 - 5; R2 is no longer sampled
    assert _queue(mgr) == {"R1": ("hit", "95")}
    session = mgr.get(f"/qa/sessions/R1?period={PERIOD}").text
    assert re.search(r'data-hits="wait">.*<mark>亲，您好，请稍等一下</mark>', session)
    # times as the file wrote them, the shop's own (they were shifted 8 h as if UTC)
    assert re.search(r'data-hits="wait"><td>[^<]*2026 10:00</td>', session)
    # the saved version is checked from its text: no rules file beside the workspace
    ws = app.state.cskpi.data.workspace
    assert not [p.name for p in ws.parent.iterdir() if p.suffix in (".qa", ".schemes")]
    # the default again
    assert _choose(mgr, "").status_code == 303
    assert _in_use(mgr) == ("taobao-basic", "no") and "R2" in _queue(mgr)
    assert [(a, t) for a, t, _ in _actions(app)] == [
        ("qa_rules.create", "qa-rules:shop-basic"), ("qa_rules.choose", f"qa-rules:{PERIOD}"),
        ("qa_rules.choose", f"qa-rules:{PERIOD}")]
    assert _actions(app)[1][2] == {"period": PERIOD, "name": "shop-basic", "version": 1}
    assert _actions(app)[2][2] is None


def test_a_new_version_moves_the_open_months_and_a_locked_one_keeps_its_rules(
        mgr: TestClient, app: FastAPI) -> None:
    assert _save(mgr, SHOP_RULES).status_code == 303
    assert _choose(mgr, "shop-basic").status_code == 303
    assert _choose(mgr, "shop-basic", "2026-09").status_code == 303
    with transaction(app.state.cskpi.sessions) as db:
        db.add(PeriodLock(period="2026-09", scheme="aftersale-4crown", version=1,
                          snapshot={}))
    edited = _save(mgr, SHOP_RULES_V2, name="shop-basic", base_version="1",
                   note="vague answers")
    assert edited.status_code == 303
    assert edited.headers["location"] == "/qa/rules/shop-basic?saved=2"
    # October follows the new version: R2's "有货的" is a hit, 100 - 10
    assert _in_use(mgr) == ("shop-basic v2", "yes")
    assert _queue(mgr) == {"R1": ("hit", "95"), "R2": ("hit", "90")}
    # September is locked: it keeps version 1, and choosing again is refused in place
    assert _in_use(mgr, "2026-09") == ("shop-basic v1", "yes")
    refused = _choose(mgr, "taobao-basic", "2026-09")
    assert refused.status_code == 409
    assert 'href="/periods/2026-09?scheme=aftersale-4crown"' in refused.text
    assert "its QA rules are kept as they were reviewed" in refused.text
    with transaction(app.state.cskpi.sessions) as db:
        choices = {c.period: (c.name, c.version) for c in db.scalars(select(QaRulesChoice))}
    assert choices == {PERIOD: ("shop-basic", 2), "2026-09": ("shop-basic", 1)}
    update = _actions(app)[-1]
    assert update[:2] == ("qa_rules.update", "qa-rules:shop-basic")
    assert update[2]["moved"] == [PERIOD] and update[2]["lines"] == {"added": 1, "removed": 0}
    # the file's page shows version 2, its history and the change from version 1
    page = mgr.get("/qa/rules/shop-basic").text
    assert "version 2" in page and "vague answers" in page
    assert re.search(r'<tr class="add"><td class="src">\+  - \{key: vague', page)


def test_two_errors_are_listed_with_their_lines_in_both_languages(mgr: TestClient,
                                                                  app: FastAPI) -> None:
    token = form_token(mgr.get("/qa/rules/new").text)
    checked = {}
    for lang in ("en", "zh-CN"):
        response = mgr.post("/qa/rules/validate", json={"name": "", "text": TWO_ERRORS},
                            headers={"X-CSRF-Token": token, "Accept-Language": lang})
        assert response.status_code == 200
        checked[lang] = response.json()
    assert checked["en"]["ok"] is False and checked["en"]["errors"] == 2
    errors = {lang: [(i["line"], i["text"]) for i in c["issues"] if i["level"] == "error"]
              for lang, c in checked.items()}
    assert [line for line, _ in errors["en"]] == [6, 7]
    assert "points must be 0 or below" in errors["en"][0][1]
    assert "the pattern '(微信' cannot run" in errors["en"][1][1]
    assert "points 必须小于等于 0" in errors["zh-CN"][0][1]
    assert "正则表达式 '(微信' 无法运行" in errors["zh-CN"][1][1]
    # the form without script: saving is refused, the page lists both, nothing is stored
    refused = _post(mgr, "/qa/rules/new", "/qa/rules", {"name": "", "text": TWO_ERRORS},
                    headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 400
    assert re.findall(r'<tr class="error"><td>[^<]+</td><td class="num"><a href="#scheme-text" '
                      r'data-line="(\d+)"', refused.text) == ["6", "7"]
    assert "2 个错误" in refused.text and "(微信" in refused.text  # the text is kept
    with transaction(app.state.cskpi.sessions) as db:
        assert db.scalar(select(QaRulesVersion)) is None
    assert _actions(app) == []


def test_names_a_shops_file_may_take(mgr: TestClient) -> None:
    copy = mgr.get("/qa/rules/new?copy=douyin-basic").text
    assert "qa: douyin-basic-shop" in copy  # a preset is copied under a name of its own
    preset = _save(mgr, SHOP_RULES.replace("qa: shop-basic", "qa: taobao-basic"))
    assert preset.status_code == 400 and "is a shipped preset" in preset.text
    assert _save(mgr, SHOP_RULES).status_code == 303
    taken = _save(mgr, SHOP_RULES)
    assert taken.status_code == 400 and "are saved already" in taken.text
    renamed = _save(mgr, SHOP_RULES.replace("qa: shop-basic", "qa: other"),
                    name="shop-basic")
    assert renamed.status_code == 400 and "saved as &#39;shop-basic&#39;, not" in renamed.text
    unchanged = _save(mgr, SHOP_RULES, name="shop-basic", base_version="1")
    assert unchanged.status_code == 422 and "nothing to save" in unchanged.text
    stale = _save(mgr, SHOP_RULES_V2, name="shop-basic", base_version="7")
    assert stale.status_code == 409 and "saved version 1 of shop-basic meanwhile" in stale.text
    assert "{key: vague" in stale.text  # what was typed is kept
    # presets are read, not edited
    assert mgr.get("/qa/rules/taobao-basic/edit", follow_redirects=False).headers[
        "location"] == "/qa/rules/new?copy=taobao-basic"
    assert _choose(mgr, "no-such-rules").status_code == 422


def test_agents_cannot_reach_the_editor(client_for: Callable[[str | None], TestClient],
                                        mgr: TestClient) -> None:
    a001 = client_for("a001")
    for path in ("/qa/rules", "/qa/rules/new", "/qa/rules/taobao-basic",
                 "/qa/rules/taobao-basic/edit"):
        assert a001.get(path, follow_redirects=False).status_code == 403, path
    token = form_token(a001.get("/account").text)
    validate = a001.post("/qa/rules/validate", json={"name": "", "text": SHOP_RULES},
                         headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert validate.status_code == 403
    saved = _post(a001, "/account", "/qa/rules", {"name": "", "text": SHOP_RULES})
    chosen = _post(a001, "/account", "/qa/rules/choose", {"period": PERIOD,
                                                           "name": "douyin-basic"})
    assert (saved.status_code, chosen.status_code) == (403, 403)
    assert _in_use(mgr) == ("taobao-basic", "no")  # nothing was chosen
    assert json.loads(validate.text)["error"]["code"] == "forbidden"


def test_a_qa_reviewer_writes_the_rules_and_reviews_but_decides_no_appeal(
        client_for: Callable[[str | None], TestClient], app: FastAPI) -> None:
    """质检员 qa1: saves and chooses the shop's rules, dismisses R1's hit under them (its
    score back to 100); an appeal is a manager's to decide (403), as are the team's pages."""
    add_qa_reviewer(app)
    qa1 = client_for("qa1")
    assert _save(qa1, SHOP_RULES).status_code == 303
    assert _choose(qa1, "shop-basic").status_code == 303
    assert _queue(qa1) == {"R1": ("hit", "95")}
    hit = hit_id("R1", "wait", "2026-10-05T10:00:20")
    dismissed = _post(qa1, f"/qa/sessions/R1?period={PERIOD}", "/qa/decide",
                      {"period": PERIOD, "session_id": "R1", "hit_id": hit,
                       "decision": "dismiss"})
    assert dismissed.status_code == 303 and _queue(qa1) == {"R1": ("hit", "100")}
    appeal = _post(qa1, f"/qa?period={PERIOD}", "/qa/appeals/1/decide",
                   {"period": PERIOD, "status": "upheld", "answer": "ok"})
    assert appeal.status_code == 403
    for page in ("/overview", "/grades", "/schemes", "/agents/A001/scorecard"):
        assert qa1.get(page).status_code == 403, page
    assert [a for a, _, _ in _actions(app)] == ["qa_rules.create", "qa_rules.choose"]
    with transaction(app.state.cskpi.sessions) as db:
        assert db.scalar(select(AuditEntry.username).where(
            AuditEntry.action == "qa.dismiss")) == "qa1"
