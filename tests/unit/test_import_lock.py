"""An import into an existing workspace holds the workspace's write lock only to store
(issue #20, item 10): while it reads and checks its files, other processes read the
workspace; what it stores is what an import holding the workspace throughout stored."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from cskpi.data import demo
from cskpi.data.schema import TABLES
from cskpi.shop import Shop
from cskpi.store import workspace as workspace_module
from cskpi.store.files import WAIT_ENV
from cskpi.store.workspace import TARGET_CATALOG, StoredState, Workspace
from tests.helpers.common import MESSAGES_DAY1, MESSAGES_DAY2, query
from tests.helpers.holder import PausedImport

DAY1, DAY2 = MESSAGES_DAY1, MESSAGES_DAY2  # S2's first two rows in both


@pytest.mark.slow  # child processes
def test_the_workspace_is_read_while_an_import_checks_its_files(folder, tmp_path,
                                                                  monkeypatch):
    path = tmp_path / "ws.duckdb"
    ws = Workspace(path)
    ws.import_folder(folder({"messages.csv": DAY1}))
    monkeypatch.setenv(WAIT_ENV, "0")  # a reader that had to wait would fail at once
    with PausedImport(folder({"messages.csv": DAY2}), path, "staged",
                      tmp_path / "pause") as paused:
        # the other process has read, typed and checked DAY2, and not stored it yet
        assert ws.counts()["messages"] == 4
        assert query(path, "SELECT count(*) FROM agents") == [(2,)]
        done = paused.go()
    assert done.returncode == 0, done.stderr
    assert ws.counts()["messages"] == 4 + 5  # DAY2's 7 rows less the 2 stored already


@pytest.mark.slow  # child processes
def test_an_import_overtaken_by_another_checks_its_files_again(folder, tmp_path):
    path = tmp_path / "ws.duckdb"
    ws = Workspace(path)
    ws.import_folder(folder({"messages.csv": DAY1}))
    day2 = folder({"messages.csv": DAY2})
    day2_and_s4 = folder({"messages.csv": DAY2 + "S4,2026-10-04 10:00:00,customer,,C4,\n"})
    with PausedImport(day2, path, "checked", tmp_path / "pause") as paused:
        # checked against DAY1 alone, 5 of DAY2's rows were new; another import stores
        # them (and S4) before it does
        assert ws.import_folder(day2_and_s4).added == 5 + 1
        done = paused.go()
    assert done.returncode == 0, done.stderr
    # checked again against what is stored now, each of DAY2's 7 rows is a duplicate:
    # not 4 + 6 + 5
    assert ws.counts()["messages"] == 4 + 6
    last = [r for r in ws.import_log() if r["table_name"] == "messages"][-1]
    assert (last["rows_in_file"], last["rows_added"], last["duplicates"]) == (7, 0, 7)


def test_an_import_reports_how_long_it_held_the_workspace(folder, tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    # a new workspace is built in a file of its own: no one else's is held
    assert ws.import_folder(folder({"messages.csv": DAY1})).locked_s == 0
    report = ws.import_folder(folder({"messages.csv": DAY2}))
    assert report.added == 5
    assert report.locked_s > 0


def _split_demo(tmp_path: Path) -> tuple[Path, Path]:
    """A small demo shop as two folders: everything but the chats, then the agents and
    the chats without their sessions (so that the second import derives them)."""
    full = tmp_path / "demo"
    demo.generate(full, agents=4, days=3, seed=3)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for csv_file in full.glob("*.csv"):
        if csv_file.name not in ("messages.csv", "sessions.csv"):
            shutil.copy(csv_file, first)
    for name in ("agents.csv", "messages.csv"):
        shutil.copy(full / name, second)
    return first, second


def _contents(path: Path) -> dict[str, tuple[int, int]]:
    """Each stored table's rows and the sum of their hashes (the rows in any order)."""
    return {t: query(path, f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {t} AS t")[0]
            for t in TABLES}


def test_a_staged_import_stores_what_one_holding_the_workspace_stored(tmp_path,
                                                                      monkeypatch):
    first, second = _split_demo(tmp_path)
    staged, held = tmp_path / "staged.duckdb", tmp_path / "held.duckdb"
    Workspace(staged).import_folder(first)
    Workspace(held).import_folder(first)
    staged_report = Workspace(staged).import_folder(second)

    # the same import, made as before: found changed when about to store, the workspace
    # is imported into while held from start to end
    real = workspace_module.stored_state
    overtaken: list[str] = []

    def changed(con, catalog):  # type: ignore[no-untyped-def]
        state = real(con, catalog)
        if catalog != TARGET_CATALOG:
            return state
        overtaken.append(catalog)
        return StoredState(state.last_import + 1, state.counts, state.version, state.timezone)

    monkeypatch.setattr(workspace_module, "stored_state", changed)
    held_report = Workspace(held).import_folder(second)
    monkeypatch.undo()
    assert overtaken == [TARGET_CATALOG]

    with (second / "messages.csv").open(encoding="utf-8") as f:
        lines = sum(1 for _ in csv.reader(f)) - 1  # less the header
    assert staged_report.added == held_report.added == lines  # every message is new
    assert staged_report.derived_sessions == held_report.derived_sessions > 0
    assert staged_report.import_id == held_report.import_id == 2
    assert _contents(staged) == _contents(held)
    assert _contents(staged)["messages"][0] == lines
    log = "SELECT import_id, table_name, file, sha256, rows_in_file, rows_added, " \
          "duplicates FROM _imports ORDER BY ALL"
    assert query(staged, log) == query(held, log)
    issues = "SELECT * FROM _import_issues ORDER BY ALL"
    assert query(staged, issues) == query(held, issues)
    assert Shop(staged).monthly_summary("2026-10") == Shop(held).monthly_summary("2026-10")


@pytest.mark.slow  # child processes
def test_the_workspace_is_written_while_an_import_reads_its_files(folder, tmp_path,
                                                                   monkeypatch):
    """Reading and typing the files needs nothing of the workspace: another process may
    even write it meanwhile (the web app keeps its figures there)."""
    path = tmp_path / "ws.duckdb"
    ws = Workspace(path)
    ws.import_folder(folder({"messages.csv": DAY1}))
    monkeypatch.setenv(WAIT_ENV, "0")
    with PausedImport(folder({"messages.csv": DAY2}), path, "reading",
                      tmp_path / "pause") as paused:
        with ws.connect(read_only=False) as con:
            con.execute("CREATE TABLE _another_process (n INTEGER)").fetchall()
        done = paused.go()
    assert done.returncode == 0, done.stderr
    assert ws.counts()["messages"] == 4 + 5  # DAY2's 7 rows less the 2 stored already
    assert query(path, "SELECT count(*) FROM _another_process") == [(0,)]
