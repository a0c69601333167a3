"""Properties: folding, phrase alternations, and scores (adding a banned phrase never
raises a score; a fatal hit means 0) on the engine itself."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cskpi.metrics.ibis_adapter import duckdb_backend
from cskpi.metrics.inputs import duckdb_inputs
from cskpi.qa import load_rules
from cskpi.qa.engine import SESSION_COLUMNS, check, rows
from cskpi.qa.text import compile_regex, fold, phrase_regex
from cskpi.shop import Shop
from cskpi.store.workspace import Workspace
from tests.helpers.common import write_folder
from tests.helpers.transcripts import csv_text

ALPHABET = "abcxyzABCXYZａｂｃＡＢＣ好差评亲您 　!！:："
FRAGMENTS = ["不知道", "亲", "您好", "好评", "差", "vx", "ＶＸ", "微信", "abc", "Hi", "OK", "行"]


@settings(max_examples=300, deadline=None)
@given(phrase=st.text(ALPHABET, min_size=1, max_size=4), text=st.text(ALPHABET, max_size=20))
def test_a_phrase_matches_exactly_where_its_fold_is_in_the_texts_fold(phrase: str,
                                                                       text: str) -> None:
    found = compile_regex(phrase_regex(phrase)).search(text) is not None
    assert found == (fold(phrase) in fold(text))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 sessions of random messages made of the fragments, two agents."""
    rng = random.Random(5)
    sessions, messages = [], []
    for k in range(40):
        sid, agent = f"S{k:02d}", "A1" if k % 2 else "A2"
        sessions.append((sid, f"C{k}", agent, f"2026-10-{1 + k % 28:02d} 10:00:00"))
        for j in range(rng.randint(1, 6)):
            sender = "customer" if j % 2 == 0 else "agent"
            text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 3)))
            messages.append((sid, f"2026-10-{1 + k % 28:02d} 10:{j:02d}:00", sender,
                             agent if sender == "agent" else "",
                             f"C{k}" if sender == "customer" else "", text))
    root = tmp_path_factory.mktemp("prop")
    data = write_folder(root / "data", {
        "agents.csv": "agent_id,name,role\nA1,甲,presale\nA2,乙,aftersale\n",
        "sessions.csv": csv_text(["session_id", "customer_id", "agent_id", "start_ts"], sessions),
        "messages.csv": csv_text(["session_id", "ts", "sender", "agent_id", "customer_id", "text"],
                             messages)})
    Shop(root / "ws.duckdb").import_folder(data)
    return root / "ws.duckdb"


@pytest.fixture(scope="module")
def scores_of(shop: Path) -> Iterator[Any]:
    with Workspace(shop).connect(read_only=True) as con:
        backend = duckdb_backend(con)
        inp = duckdb_inputs(backend, con, "Asia/Shanghai")

        def go(text: str) -> dict[str, dict[str, Any]]:
            rules, issues = load_rules(text, "p.yaml")
            assert rules is not None, issues
            result = check(backend, inp, rules, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
            return {r["session_id"]: r for r in rows(backend, result.sessions, SESSION_COLUMNS)}

        try:
            yield go
        finally:
            inp.release()


def _rules(banned: list[str], fatal: list[str], per: str) -> str:
    quoted = ", ".join(f'"{p}"' for p in banned)
    lines = ["qa: p", "start: 20", "rules:",
             f"  - {{key: banned, kind: phrases, phrases: [{quoted}], points: -7, per: {per}}}",
             "  - {key: greet, kind: required, phrases: [亲, 您好], points: -5}",
             "  - {key: soothe, kind: emotion_followup, points: -3}"]
    if fatal:
        lines.append(f"  - {{key: deadly, kind: phrases, phrases: [{', '.join(fatal)}], "
                     "fatal: true}")
    return "\n".join(lines) + "\n"


phrases = st.lists(st.sampled_from(FRAGMENTS + ["好", "评", "知道", "ab", "微"]), min_size=1,
                   max_size=4, unique=True)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(banned=phrases, extra=st.sampled_from(FRAGMENTS + ["好", "知"]),
       per=st.sampled_from(["session", "hit"]))
def test_adding_a_banned_phrase_never_raises_a_score(scores_of: Any, banned: list[str],
                                                     extra: str, per: str) -> None:
    before = scores_of(_rules(banned, [], per))
    after = scores_of(_rules([*banned, extra] if extra not in banned else banned, [], per))
    assert before.keys() == after.keys()
    for sid in before:
        assert after[sid]["score"] <= before[sid]["score"], sid
        assert 0 <= after[sid]["score"] <= 20


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(banned=phrases, fatal=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=2,
                                      unique=True))
def test_a_fatal_hit_means_zero(scores_of: Any, banned: list[str], fatal: list[str]) -> None:
    with_fatal = scores_of(_rules(banned, fatal, "session"))
    without = scores_of(_rules(banned, [], "session"))
    assert any(s["fatal"] for s in with_fatal.values())
    for sid, s in with_fatal.items():
        if s["fatal"]:
            assert s["score"] == 0
        else:
            assert s["score"] == without[sid]["score"]
