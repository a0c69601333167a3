"""The engine on hand-labelled transcripts (tests/helpers/transcripts.py): every hit, every
session score, Chinese and English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cskpi.metrics.ibis_adapter import duckdb_backend
from cskpi.metrics.inputs import duckdb_inputs
from cskpi.qa import load_rules
from cskpi.qa.engine import HIT_COLUMNS, SESSION_COLUMNS, Decisions, check, rows
from cskpi.shop import Shop
from cskpi.store.workspace import Workspace
from tests.helpers import transcripts as T

OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("qa")
    ws = root / "ws.duckdb"
    Shop(ws).import_folder(T.folder(root / "data"))
    return ws


@pytest.fixture(scope="module")
def rules() -> Any:
    loaded, issues = load_rules(T.RULES, "golden.yaml")
    assert loaded is not None and not issues, issues
    return loaded


@pytest.fixture
def run(workspace: Path, rules: Any) -> Iterator[Any]:
    with Workspace(workspace).connect(read_only=True) as con:
        backend = duckdb_backend(con)
        inp = duckdb_inputs(backend, con, "Asia/Shanghai")

        def go(**kw: Any) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
            result = check(backend, inp, kw.pop("with_rules", rules), *OCT, **kw)
            hits = rows(backend, result.hits, (*HIT_COLUMNS, "counted"))
            sessions = {s["session_id"]: s for s in rows(backend, result.sessions,
                                                         SESSION_COLUMNS)}
            return hits, sessions

        try:
            yield go
        finally:
            inp.release()


def test_every_labelled_hit_and_no_other(run: Any) -> None:
    hits, _ = run()
    found = sorted((h["session_id"], h["rule"], h["ts"], h["points"], h["fatal"]) for h in hits)
    assert found == sorted(T.EXPECTED_HITS)


def test_session_scores(run: Any) -> None:
    """start 100 + points (a rule once per session unless per: hit), 0 when fatal; S9
    (never answered) and S10 (November) are not checked."""
    _, sessions = run()
    assert {k: s["score"] for k, s in sessions.items()} == T.EXPECTED_SCORES
    assert {k for k, s in sessions.items() if s["fatal"]} == {"S3"}
    assert sessions["S2"]["hits"] == 3  # greeting + 不知道 twice (the second not counted)


def test_a_rule_counts_once_per_session_unless_per_hit(run: Any) -> None:
    hits, _ = run()
    banned = [h["counted"] for h in hits if h["session_id"] == "S2" and h["rule"] == "banned"]
    rude = [h["counted"] for h in hits if h["rule"] == "rude"]
    assert banned == [True, False] and rude == [True, True]


def test_one_agent(run: Any) -> None:
    hits, sessions = run(agent_id="A3")
    assert set(sessions) == {"S7", "S8"} and {h["session_id"] for h in hits} == {"S7", "S8"}


def test_a_dismissed_hit_stops_counting_and_rubric_points_add(run: Any) -> None:
    """Dismissing S2's first 不知道 lets the second one count (once per session still);
    dismissing S3's fatal hit leaves its banned -10; rubric points add to the score."""
    decisions = Decisions(
        dismissed=frozenset({("S2", "banned", "2026-10-04T10:02:00"),
                             ("S3", "offsite", "2026-10-05T10:01:00"),
                             ("S8", "rude", "2026-10-10T10:02:00")}),
        rubric={"S1": 8, "S8": 5})
    hits, sessions = run(decisions=decisions)
    assert sessions["S2"]["score"] == 85  # the second 不知道 now counts
    assert sessions["S3"]["score"] == 90 and not sessions["S3"]["fatal"]
    assert sessions["S8"]["score"] == 89 + 3 + 5
    assert sessions["S1"]["score"] == 108
    assert sessions["S2"]["hits"] == 2  # a dismissed hit is listed, not counted


def test_applies_to_limits_the_sessions(run: Any, rules: Any) -> None:
    text = T.RULES.replace("start: 100\n", "start: 100\napplies_to: {role: aftersale}\n")
    scoped, _ = load_rules(text, "scoped.yaml")
    _, sessions = run(with_rules=scoped)
    assert set(sessions) == {"S4", "S5", "S6", "S7", "S8"}


def test_presets_run_on_the_transcripts(run: Any) -> None:
    """The shipped presets find the labelled violations too (off-site id, uncivil words)."""
    from cskpi.qa import load

    hits, sessions = run(with_rules=load("taobao-basic"))
    rules_hit = {(h["session_id"], h["rule"]) for h in hits}
    assert {("S3", "offsite_wechat"), ("S3", "offsite_words"), ("S2", "uncivil"),
            ("S2", "greeting"), ("S4", "soothe")} <= rules_hit
    assert sessions["S3"]["score"] == 0 and sessions["S1"]["score"] == 100


def test_the_review_queue_takes_every_hit_session_and_a_sample(run: Any) -> None:
    """S3 fatal; S2, S4, S6, S7, S8 hit; of the clean S1 (A1) and S5 (A2), one session per
    agent and week is sampled (each is alone in its week)."""
    from cskpi.qa.models import Sampling
    from cskpi.qa.review import review_queue

    _, sessions = run()
    queue = review_queue(sessions.values(), Sampling(per_agent_week=1))
    assert queue == [("S2", "hit"), ("S3", "fatal"), ("S4", "hit"), ("S6", "hit"),
                     ("S7", "hit"), ("S8", "hit"), ("S1", "sample"), ("S5", "sample")]
    assert review_queue(sessions.values(), Sampling(per_agent_week=0, hits=False)) == [
        ("S3", "fatal")]
    again = review_queue(list(sessions.values())[::-1], Sampling(per_agent_week=1))
    assert again == queue
