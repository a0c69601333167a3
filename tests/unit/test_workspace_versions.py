"""The workspace knows its format version: a workspace written by cskpi 0.1.0 is upgraded
with its data intact, once; a newer one is refused; a failed upgrade changes nothing.

``tests/fixtures/workspace-v1.duckdb.gz`` was written by the 0.1.0 code itself (see
``tests/fixtures/build_workspace_v1.py``), and ``workspace-v1.json`` holds what that code
stored and computed from it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cskpi.errors import WorkspaceError
from cskpi.locale import Translator
from cskpi.metrics.compute import MetricQuery
from cskpi.shop import Shop
from cskpi.store import files, migrations
from cskpi.store.migrations import WORKSPACE_VERSION, Migration
from cskpi.store.workspace import Workspace
from tests.helpers.common import query

FIXTURES = Path(__file__).parents[1] / "fixtures"
RELEASE = json.loads((FIXTURES / "workspace-v1.json").read_text(encoding="utf-8"))
OCTOBER = MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
CACHES = {"_compiled", "_facts", "_facts_state", "_days", "_day_customers",
          "_month_customers", "_credit"}


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    """A copy of the workspace cskpi 0.1.0 wrote (import, metrics, import, metrics)."""
    path = tmp_path / "shop" / "ws.duckdb"
    path.parent.mkdir()
    with gzip.open(FIXTURES / "workspace-v1.duckdb.gz", "rb") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


@pytest.fixture
def applied(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The versions of the migration steps run from now on, in order."""
    calls: list[int] = []

    def spy(step: Migration) -> Migration:
        def apply(con: duckdb.DuckDBPyConnection) -> None:
            calls.append(step.version)
            step.apply(con)

        return Migration(step.version, step.summary, apply)

    monkeypatch.setattr(migrations, "MIGRATIONS", tuple(map(spy, migrations.MIGRATIONS)))
    return calls


def contents(path: Path, skip: set[str] = frozenset()) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted (DuckDB keeps no row order)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() "
                                           "ORDER BY table_name").fetchall()]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr)
                for n in names if n not in skip}
    finally:
        con.close()


def meta(path: Path) -> dict[str, str]:
    return dict(query(path, "SELECT key, value FROM _meta"))


def set_meta(path: Path, key: str, value: str | None) -> None:
    """Rewrite one ``_meta`` entry as another cskpi would have left it (None: absent)."""
    con = duckdb.connect(str(path))
    try:
        con.execute("DELETE FROM _meta WHERE key = ?", [key])
        if value is not None:
            con.execute("INSERT INTO _meta VALUES (?, ?)", [key, value])
    finally:
        con.close()


def same_summary(rows: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert [r["agent"] for r in rows] == [e["agent"] for e in expected]
    for row, want in zip(rows, expected, strict=True):
        for key, value in want.items():
            got = row[key]
            if isinstance(got, Decimal):
                assert str(got) == value, key
            elif isinstance(got, float):
                assert got == pytest.approx(value, rel=1e-12), key
            else:
                assert got == value, key


# --- the release's workspace ------------------------------------------------------------


def test_the_fixture_is_the_release_s_workspace(v1):
    """Written by 0.1.0: the contract version only, and the caches that release kept."""
    assert RELEASE["written_by"] == "0.1.0"
    assert meta(v1) == RELEASE["meta"]
    assert "workspace_version" not in meta(v1)
    tables = {n: len(r) for n, r in contents(v1).items()}
    assert tables == RELEASE["counts"]
    assert CACHES <= set(tables)


def test_a_release_workspace_is_upgraded_with_its_data_intact(v1, applied):
    before = contents(v1, skip=CACHES)
    assert Workspace(v1).counts() == {t: n for t, n in RELEASE["counts"].items()
                                      if not t.startswith("_")}
    assert applied == [2, 3]
    after = contents(v1)
    assert meta(v1) == RELEASE["meta"] | {"workspace_version": "3"}
    # every imported row, the import log and its warnings as they were (the warnings with
    # no code parameters: version 3's columns, empty for what an older release kept)
    assert [r[:-2] for r in after["_import_issues"]] == before["_import_issues"]
    assert {r[-2:] for r in after["_import_issues"]} == {(None, None)}
    assert {t: r for t, r in after.items() if t not in ("_meta", "_import_issues")} == {
        t: r for t, r in before.items() if t not in ("_meta", "_import_issues")}
    assert not CACHES & set(after)  # made by the older engine: rebuilt when next needed
    # the release's figures, computed again from the rebuilt cache
    same_summary(Shop(v1).monthly_summary(RELEASE["period"]), RELEASE["summary"])
    # the same cache rows (the SQL kept is another matter: the release also updated it)
    facts = CACHES - {"_compiled"}
    assert {t: len(r) for t, r in contents(v1).items()
            if t in facts} == {t: RELEASE["counts"][t] for t in facts}
    assert applied == [2, 3]


def test_opening_it_again_runs_no_migration_and_writes_nothing(v1, applied):
    Shop(v1).monthly_summary(RELEASE["period"])
    assert applied == [2, 3]
    upgraded = v1.read_bytes()
    assert Workspace(v1).counts()["messages"] == RELEASE["counts"]["messages"]
    assert Workspace(v1).upgrade() == []
    Shop(v1).check_import(v1.parent)
    assert applied == [2, 3]
    assert v1.read_bytes() == upgraded


@pytest.mark.parametrize("opener", [
    "read-only connection", "metrics", "latest month", "import history", "import check",
    "import"])
def test_every_opening_upgrades_it(v1, applied, opener, folder):
    """Commands that only read upgrade it too: the file may be written (see migrations)."""
    if opener == "read-only connection":
        with Workspace(v1).connect(read_only=True) as con:
            assert con.execute("SELECT count(*) FROM sessions").fetchone() == (350,)
    elif opener == "metrics":
        assert Shop(v1).metrics(OCTOBER).rows
    elif opener == "latest month":
        assert Shop(v1).latest_month() == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    elif opener == "import history":
        assert [h["import_id"] for h in Shop(v1).import_history()] == [2, 1]
    elif opener == "import check":
        assert Shop(v1).check_import(folder({})).ok
    else:
        report = Shop(v1).import_folder(folder({}))
        assert report.import_id == 3 and report.added == 2
    assert applied == [2, 3]
    assert meta(v1)["workspace_version"] == "3"


def test_a_workspace_without_any_version_is_version_1_when_its_tables_are(v1, applied):
    """As a release before the warnings were kept wrote it: no _meta, no _import_issues."""
    con = duckdb.connect(str(v1))
    con.execute("DROP TABLE _meta")
    con.execute("DROP TABLE _import_issues")
    con.close()
    before = contents(v1, skip=CACHES)
    same_summary(Shop(v1).monthly_summary(RELEASE["period"]), RELEASE["summary"])
    assert applied == [2, 3]
    after = contents(v1, skip=CACHES)
    assert after.pop("_meta") == [("workspace_version", "3")]
    assert after.pop("_import_issues") == []
    assert after == before


def test_warnings_of_an_import_that_stored_nothing_are_dropped(v1):
    """Kept by releases before a08d28f under an id the import log never got."""
    con = duckdb.connect(str(v1))
    con.execute("INSERT INTO _import_issues VALUES (3, 'warning', 'already_imported', "
                "'this exact file was imported before; skipped', 'agents.csv', NULL, NULL, "
                "NULL)")
    con.close()
    Workspace(v1).upgrade()
    assert query(v1, "SELECT import_id, count(*) FROM _import_issues GROUP BY 1 ORDER BY 1"
                 ) == [(1, 1), (2, 12)]


def test_the_step_to_version_2_may_run_twice(v1):
    once = v1.with_name("once.duckdb")
    shutil.copy(v1, once)
    for path, times in ((once, 1), (v1, 2)):
        con = duckdb.connect(str(path))
        for _ in range(times):
            migrations._v1_to_v2(con)
        con.close()
    assert contents(v1) == contents(once)


def test_a_new_workspace_records_the_current_version(folder, tmp_path, applied):
    ws = tmp_path / "new.duckdb"
    Shop(ws).import_folder(folder({}))
    assert meta(ws)["workspace_version"] == str(WORKSPACE_VERSION)
    assert meta(ws)["contract_version"] == "1"
    Workspace(ws).counts()
    assert applied == []


def test_the_steps_lead_from_version_1_to_the_current_one():
    assert [m.version for m in migrations.MIGRATIONS] == list(range(2, WORKSPACE_VERSION + 1))


# --- refused ------------------------------------------------------------------------------


def test_a_newer_workspace_is_refused_and_left_unchanged(v1, folder, applied):
    set_meta(v1, "workspace_version", str(WORKSPACE_VERSION + 1))
    before = v1.read_bytes()
    for open_it in (lambda: Workspace(v1).counts(),
                    lambda: Shop(v1).metrics(OCTOBER),
                    lambda: Shop(v1).import_folder(folder({})),
                    lambda: Shop(v1).check_import(folder({}))):
        with pytest.raises(WorkspaceError) as exc:
            open_it()
        assert exc.value.code == "workspace_too_new"
        assert exc.value.params | {"cskpi_version": "-"} == {
            "path": str(v1), "found": WORKSPACE_VERSION + 1, "supported": WORKSPACE_VERSION,
            "cskpi_version": "-"}
    assert applied == []
    assert v1.read_bytes() == before


def test_the_cli_names_both_versions_and_says_to_upgrade_cskpi(v1, cli):
    newer = WORKSPACE_VERSION + 1
    set_meta(v1, "workspace_version", str(newer))
    before = v1.read_bytes()
    result = cli("metrics", "-w", v1, "--period", "2026-10")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert (f"the workspace {v1} was written by a newer cskpi: its format is version "
            f"{newer}, and this cskpi") in result.output
    assert f"reads format version {WORKSPACE_VERSION} and older" in result.output
    assert "upgrade cskpi (pip install --upgrade cskpi)" in result.output
    zh = cli("metrics", "-w", v1, "--period", "2026-10", "--lang", "zh")
    assert zh.exit_code == 1
    assert f"由更新版本的 cskpi 写入：其格式版本为 {newer}" in zh.output
    assert f"只能读取格式版本 {WORKSPACE_VERSION} 及更早的版本" in zh.output and "请升级 cskpi" in zh.output
    assert v1.read_bytes() == before


@pytest.mark.parametrize("version", ["two", "0", "-1", ""])
def test_a_version_that_is_no_version_is_refused(v1, version):
    set_meta(v1, "workspace_version", version)
    with pytest.raises(WorkspaceError) as exc:
        Workspace(v1).counts()
    assert exc.value.code == "workspace_unknown_version"
    assert exc.value.params["version"] == version


def test_a_later_contract_without_a_format_version_is_refused(v1):
    set_meta(v1, "contract_version", "2")
    with pytest.raises(WorkspaceError) as exc:
        Workspace(v1).counts()
    assert exc.value.code == "workspace_unknown_version"
    assert "contract 2" in exc.value.message


@pytest.mark.parametrize("ddl", ["CREATE TABLE customers (id VARCHAR)",
                                 "CREATE TABLE orders (order_id VARCHAR)"])
def test_a_duckdb_database_of_other_tables_is_no_workspace(tmp_path, ddl):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute(ddl)
    con.close()
    before = path.read_bytes()
    with pytest.raises(WorkspaceError) as exc:
        Workspace(path).counts()
    assert exc.value.code == "workspace_not_cskpi"
    assert exc.value.params["tables"] in ddl
    assert "is not a cskpi workspace" in exc.value.message
    assert path.read_bytes() == before


def test_an_older_workspace_this_process_may_not_write_is_refused_with_a_hint(
        v1, monkeypatch, applied):
    real_access = os.access
    monkeypatch.setattr(files.os, "access",
                        lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    before = v1.read_bytes()
    for open_it in (lambda: Workspace(v1).counts(),
                    lambda: Shop(v1).metrics(OCTOBER)):
        with pytest.raises(WorkspaceError) as exc:
            open_it()
        assert exc.value.code == "workspace_needs_upgrade"
        assert exc.value.params == {"path": str(v1), "found": 1, "supported": WORKSPACE_VERSION}
        assert "ask for write permission" in (exc.value.hint or "")
    assert applied == []
    assert v1.read_bytes() == before
    monkeypatch.undo()
    Workspace(v1).upgrade()
    monkeypatch.setattr(files.os, "access",
                        lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    assert Workspace(v1).upgrade() == []  # current: read as it is
    assert Workspace(v1).counts()["agents"] == 3


# --- a failed upgrade ---------------------------------------------------------------------


def _breaking(con: duckdb.DuckDBPyConnection) -> None:
    migrations._v1_to_v2(con)  # all of the step's work done ...
    con.execute("SELECT * FROM no_such_table")  # ... then it fails


def test_a_failed_step_leaves_the_file_as_it_was(v1, monkeypatch):
    before = v1.read_bytes()
    monkeypatch.setattr(migrations, "MIGRATIONS", (Migration(2, "breaks", _breaking),))
    with pytest.raises(WorkspaceError) as exc:
        Workspace(v1).counts()
    assert exc.value.code == "workspace_upgrade_failed"
    assert exc.value.params["found"] == 1 and exc.value.params["step"] == 2
    assert "no_such_table" in exc.value.params["detail"]
    assert "the workspace was left as it was" in exc.value.message
    assert v1.read_bytes() == before
    assert not v1.with_name("ws.duckdb.wal").exists()
    monkeypatch.undo()
    assert Workspace(v1).upgrade()  # the real step, next time
    assert meta(v1)["workspace_version"] == "3"


def test_an_interrupted_step_leaves_the_file_as_it_was(v1, monkeypatch):
    def interrupted(con: duckdb.DuckDBPyConnection) -> None:
        migrations._v1_to_v2(con)
        raise KeyboardInterrupt

    before = v1.read_bytes()
    monkeypatch.setattr(migrations, "MIGRATIONS", (Migration(2, "stops", interrupted),))
    with pytest.raises(KeyboardInterrupt):
        Shop(v1).metrics(OCTOBER)
    assert v1.read_bytes() == before


def test_a_process_killed_in_the_middle_of_an_upgrade_leaves_the_release_s_file(v1):
    before = contents(v1)
    script = f"""
import os, signal
from cskpi.store import migrations
from cskpi.store.workspace import Workspace

def killed(con):
    migrations._v1_to_v2(con)
    os.kill(os.getpid(), signal.SIGKILL)

migrations.MIGRATIONS = (migrations.Migration(2, "killed", killed),)
Workspace({str(v1)!r}).counts()
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120,
                          cwd=Path(__file__).parents[2])
    assert proc.returncode == -9, proc.stderr
    assert contents(v1) == before  # DuckDB drops the uncommitted transaction on opening
    assert "workspace_version" not in meta(v1)
    same_summary(Shop(v1).monthly_summary(RELEASE["period"]), RELEASE["summary"])
    assert meta(v1)["workspace_version"] == "3"


def test_every_message_has_both_languages():
    for code in ("workspace_too_new", "workspace_needs_upgrade", "workspace_upgrade_failed",
                 "workspace_not_cskpi", "workspace_unknown_version"):
        for key in (f"error.{code}", f"error.{code}.hint"):
            en, zh = Translator("en")(key), Translator("zh_CN")(key)
            assert en != key and zh != en, key


# --- version 3: warnings kept with their codes ---------------------------------------------


def test_a_kept_warning_reads_in_the_reader_s_language(folder, tmp_path):
    """An import's warning keeps its code and parameters: the report renders it in Chinese
    (was the English text it had when imported)."""
    from cskpi.errors import Issue
    from cskpi.locale import Translator

    ws = tmp_path / "w.duckdb"
    # agent 002's row twice: the repeat is dropped with a warning naming its row (4)
    agents = "agent_id,name,role,team,level\n001,张伟,presale,A,senior\n" \
             "002,李娜,aftersale,B,junior\n002,李娜,aftersale,B,junior\n"
    Shop(ws).import_folder(folder({"agents.csv": agents}))
    kept = Workspace(ws).import_issues()
    assert [(k["code"], k["row"], k["message_key"]) for k in kept] == [
        ("duplicate_row", 4, "issue.duplicate_row")]
    zh, en = Translator("zh_CN"), Translator("en")
    issue = Issue.stored(kept[0])
    assert issue.text(en) == kept[0]["message"]
    assert issue.text(zh) == zh("issue.duplicate_row", **json.loads(kept[0]["params"]))
    assert issue.text(zh) != issue.text(en) and not any("a" <= c <= "z" for c in issue.text(zh)
                                                         if c.isascii() and c.isalpha())


def test_a_warning_kept_before_version_3_reads_as_written(v1):
    from cskpi.errors import Issue
    from cskpi.locale import Translator

    kept = Workspace(v1).import_issues()  # upgraded on opening
    # the release kept 1 + 12 (its imports 1 and 2: see the test of orphaned warnings)
    assert len(kept) == 1 + 12 and all(k["params"] is None for k in kept)
    for k in kept:
        assert Issue.stored(k).text(Translator("zh_CN")) == k["message"]


def test_the_step_to_version_3_may_run_twice(v1):
    Workspace(v1).upgrade()
    con = duckdb.connect(str(v1))
    before = con.execute("SELECT * FROM _import_issues ORDER BY ALL").fetchall()
    migrations._v2_to_v3(con)
    assert con.execute("SELECT * FROM _import_issues ORDER BY ALL").fetchall() == before
    con.close()
