"""QA results kept in the workspace (cskpi.qa.cache): a check after an import reads the
chat log of the sessions it added or changed alone, and finds what a full check finds.

The golden transcripts (tests/qa/transcripts.py) imported in two parts: S1-S4 (October
3-6) first; then S5-S10 moved ten days on (S5-S8 on October 17-20, S9 never answered,
S10 in November) with one late message of S1, a 不知道 (banned, -10) at 10:05.  The hits
and scores are the labelled ones, S5-S8's ten days on, with S1's new hit.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cskpi.metrics.ibis_adapter import duckdb_backend
from cskpi.metrics.inputs import duckdb_inputs
from cskpi.qa import load_rules
from cskpi.qa.engine import HIT_COLUMNS, SESSION_COLUMNS, Decisions, check, rows
from cskpi.shop import Shop
from cskpi.store.workspace import Workspace
from tests.helpers import transcripts as T
from tests.helpers.common import write_folder

OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
FIRST = ("S1", "S2", "S3", "S4")
MOVED = ("S5", "S6", "S7", "S8", "S9")  # ten days on, in the second import
LATE = ("S1", "2026-10-03 10:05:00", "agent", "A1", "", "不知道")


def _day(session: str) -> str:
    start = next(s[3] for s in T.SESSIONS if s[0] == session)[:10]
    if session in MOVED:
        start = (dt.date.fromisoformat(start) + dt.timedelta(days=10)).isoformat()
    return start


def _part(sessions: tuple[str, ...], extra: tuple[tuple[str, ...], ...] = ()
          ) -> dict[str, str]:
    agent = {s[0]: s[2] for s in T.SESSIONS}
    customer = {s[0]: s[1] for s in T.SESSIONS}
    rows_ = [(s, c, a, f"{_day(s)}{start[10:]}", f"{_day(s)}{transfer[10:]}" if transfer else "")
             for s, c, a, start, transfer in T.SESSIONS if s in sessions]
    msgs = [(s, f"{_day(s)} {t}", sender, agent[s] if sender == "agent" else "",
             customer[s] if sender == "customer" else "", text)
            for s, t, sender, text in T.MESSAGES if s in sessions]
    return {"sessions.csv": T.csv_text(["session_id", "customer_id", "agent_id", "start_ts",
                                    "transfer_ts"], rows_),
            "messages.csv": T.csv_text(["session_id", "ts", "sender", "agent_id", "customer_id",
                                    "text"], [*msgs, *extra])}


def _moved(hit: tuple[Any, ...]) -> tuple[Any, ...]:
    session, rule, ts, points, fatal = hit
    if session in MOVED:
        ts = (dt.datetime.fromisoformat(ts) + dt.timedelta(days=10)).isoformat()
    return session, rule, ts, points, fatal


EXPECTED_HITS = sorted([*map(_moved, T.EXPECTED_HITS),
                        ("S1", "banned", "2026-10-03T10:05:00", -10, False)])
EXPECTED_SCORES = {**T.EXPECTED_SCORES, "S1": 90}


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(first import, second import, the whole month as one import)."""
    root = tmp_path_factory.mktemp("qacache")
    agents = {"agents.csv": T.files()["agents.csv"]}
    rest = tuple(s[0] for s in T.SESSIONS if s[0] not in FIRST)
    first = write_folder(root / "first", {**agents, **_part(FIRST)})
    second = write_folder(root / "second", _part(rest, (LATE,)))
    whole = _part(tuple(s[0] for s in T.SESSIONS), (LATE,))
    return first, second, write_folder(root / "whole", {**agents, **whole})


@pytest.fixture(scope="module")
def rules() -> Any:
    loaded, issues = load_rules(T.RULES, "golden.yaml")
    assert loaded is not None and not issues, issues
    return loaded


class Checker:
    """Checks of a workspace through a writable connection, as the CLI makes them."""

    def __init__(self, path: Path, rules: Any) -> None:
        self.path, self.rules = path, rules

    def __call__(self, *, cache: bool | None = None, rules: Any = None,
                 decisions: Decisions | None = None,
                 agent_id: str | None = None) -> dict[str, Any]:
        with Workspace(self.path).connect(read_only=False) as con:
            backend = duckdb_backend(con)
            inp = duckdb_inputs(backend, con, "Asia/Shanghai", writable=True)
            try:
                result = check(backend, inp, rules or self.rules, *OCT, cache=cache,
                               decisions=decisions, agent_id=agent_id)
                hits = rows(backend, result.hits, (*HIT_COLUMNS, "kind", "kept", "counted"))
                sessions = rows(backend, result.sessions, SESSION_COLUMNS)
            finally:
                inp.release()
        return {"hits": sorted(hits, key=repr), "sessions": sorted(sessions, key=repr),
                "scanned": result.scanned}

    def checked(self) -> dict[int, int]:
        """Import id -> how many days were last checked as of it (every rules key)."""
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return dict(con.execute("SELECT import_id, count(*) FROM _qa_days GROUP BY 1"
                                    ).fetchall())
        finally:
            con.close()


def labelled(result: dict[str, Any]) -> tuple[list[tuple[Any, ...]], dict[str, float]]:
    return (sorted((h["session_id"], h["rule"], h["ts"], h["points"], h["fatal"])
                   for h in result["hits"]),
            {s["session_id"]: s["score"] for s in result["sessions"]})


@pytest.fixture
def imported(tmp_path: Path, parts: tuple[Path, Path, Path], rules: Any) -> Iterator[Checker]:
    """A workspace that imported the first part, was checked, and imported the second."""
    first, second, _ = parts
    ws = tmp_path / "ws.duckdb"
    Shop(ws).import_folder(first)
    go = Checker(ws, rules)
    before = go()
    assert before["scanned"] == 4  # S1-S4
    assert labelled(before)[1] == {s: T.EXPECTED_SCORES[s] for s in FIRST}
    assert go.checked() == {1: 31}  # October's days, as of import 1
    Shop(ws).import_folder(second)
    yield go


def test_a_check_after_an_import_reads_only_new_and_changed_sessions(imported: Checker,
                                                                     parts: Any) -> None:
    """S5-S8 are new, S1 has a new message: five sessions checked; S2-S4 as they were
    (S9 never answered and S10 in November are not checked).  The results are the
    labelled ones, and what a full check of the same workspace and of a workspace that
    imported the month at once find, row for row."""
    kept = imported()
    assert kept["scanned"] == 5
    assert imported.checked() == {2: 31}
    assert labelled(kept) == (EXPECTED_HITS, EXPECTED_SCORES)
    full = imported(cache=False)
    assert full["scanned"] == 8
    assert {k: v for k, v in kept.items() if k != "scanned"} == \
        {k: v for k, v in full.items() if k != "scanned"}
    once = imported.path.with_name("once.duckdb")
    Shop(once).import_folder(parts[2])
    assert {k: v for k, v in Checker(once, imported.rules)().items() if k != "scanned"} == \
        {k: v for k, v in kept.items() if k != "scanned"}
    again = imported()
    assert again["scanned"] == 0 and again["hits"] == kept["hits"]


def test_points_and_decisions_apply_after_the_kept_results(imported: Checker) -> None:
    """Another points value, a dismissed hit and rubric points change no kept result:
    nothing is checked again, and the scores are those of a full check."""
    imported()
    cheaper = load_rules(T.RULES.replace("points: -10}", "points: -4}"), "cheaper.yaml")[0]
    assert cheaper.digest == imported.rules.digest
    decisions = Decisions(dismissed=frozenset({("S8", "rude", "2026-10-20T10:02:00")}),
                          rubric={"S1": 8})
    kept = imported(rules=cheaper, decisions=decisions)
    assert kept["scanned"] == 0
    full = imported(rules=cheaper, decisions=decisions, cache=False)
    assert kept["sessions"] == full["sessions"] and kept["hits"] == full["hits"]
    scores = labelled(kept)[1]
    # S1: 100 - 4 (banned) + 8; S2: 100 - 5 - 4; S8: 100 - 5 - 3 (one rude hit left)
    assert (scores["S1"], scores["S2"], scores["S8"]) == (104, 91, 92)


def test_a_check_keeps_every_session_of_its_period(imported: Checker) -> None:
    """Rules for one role check every session an import added or changed, of any role
    (S1, A1's presale session, too: kept for any scope), and show their own; the next
    check of all agents, or of one (qa hits --agent), reads nothing."""
    scoped = load_rules(T.RULES.replace("start: 100\n", "start: 100\napplies_to: "
                                        "{role: aftersale}\n"), "scoped.yaml")[0]
    assert scoped.digest == imported.rules.digest
    kept = imported(rules=scoped)
    assert kept["scanned"] == 5
    assert {s["session_id"] for s in kept["sessions"]} == {"S4", "S5", "S6", "S7", "S8"}
    full = imported(rules=scoped, cache=False)
    assert full["scanned"] == 5  # S4-S8
    assert kept["hits"] == full["hits"] and kept["sessions"] == full["sessions"]
    every = imported()
    assert every["scanned"] == 0
    assert labelled(every) == (EXPECTED_HITS, EXPECTED_SCORES)
    one = imported(agent_id="A2")
    assert one["scanned"] == 0
    assert {s["session_id"] for s in one["sessions"]} == {"S4", "S5", "S6"}
    assert one["hits"] == [h for h in every["hits"] if h["agent_id"] == "A2"]


def test_other_rules_are_kept_apart(imported: Checker) -> None:
    imported()
    other = load_rules(T.RULES.replace("[stupid]", "[stupid, idiot]"), "other.yaml")[0]
    assert other.digest != imported.rules.digest
    assert imported(rules=other)["scanned"] == 8
    assert imported()["scanned"] == 0  # the first rules' results are still there


def test_replacing_the_messages_checks_everything_again(imported: Checker, parts: Any,
                                                        tmp_path: Path) -> None:
    imported()
    whole = parts[2]
    again = write_folder(tmp_path / "again", {"messages.csv": (whole / "messages.csv")
                                              .read_text(encoding="utf-8")})
    Shop(imported.path).import_folder(again, replace=("messages",))
    result = imported()
    assert result["scanned"] == 8
    assert labelled(result) == (EXPECTED_HITS, EXPECTED_SCORES)


def test_a_read_only_workspace_is_checked_whole_and_not_written(
        imported: Checker, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file this process may not write, or one another process holds: cskpi qa hits
    checks every session and writes nothing (the kept results stay as the first check
    left them)."""
    path = imported.path
    before = imported.checked()
    monkeypatch.setattr(Workspace, "writable", property(lambda self: False))
    hits, sessions = Shop(path).qa_check(str(_rules_file(path, imported.rules)), *OCT)
    monkeypatch.undo()
    assert sorted((h["session_id"], h["rule"], h["ts"], h["points"], h["fatal"])
                  for h in hits) == EXPECTED_HITS
    assert {s["session_id"]: s["score"] for s in sessions} == EXPECTED_SCORES
    assert imported.checked() == before
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1], "
         "read_only=True); print('ready', flush=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        hits, _ = Shop(path).qa_check(str(_rules_file(path, imported.rules)), *OCT)
    finally:
        holder.communicate("")
    assert sorted((h["session_id"], h["rule"], h["ts"], h["points"], h["fatal"])
                  for h in hits) == EXPECTED_HITS
    assert imported.checked() == before


def test_a_data_folder_keeps_nothing(parts: Any, rules: Any, tmp_path: Path) -> None:
    hits, _ = Shop(data=parts[2]).qa_check(str(_rules_file(tmp_path / "x", rules)), *OCT)
    assert sorted((h["session_id"], h["rule"], h["ts"], h["points"], h["fatal"])
                  for h in hits) == EXPECTED_HITS
    assert not list(parts[2].glob("*.duckdb"))


def _rules_file(beside: Path, rules: Any) -> Path:
    path = beside.with_name("golden.yaml")
    path.write_text(rules.text, encoding="utf-8")
    return path
