"""A workspace that is damaged, read-only, not a workspace at all, or left half-written by
a killed import: a message saying what is wrong and what to do, never a traceback; and the
import log's bookkeeping when files are skipped."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest

from cskpi.data.demo import generate
from cskpi.errors import Issue, ValidationFailed, WorkspaceError
from cskpi.metrics.compute import MetricQuery
from cskpi.shop import Shop
from cskpi.store import files
from cskpi.store.workspace import FAULT_ENV, SYSTEM_DDL, Workspace, log_warnings
from tests.helpers.common import query
from tests.helpers.damaged import HEADER_BYTES, damage, with_damaged_data_block

OCTOBER = MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
ORDERS = "order_id,customer_id,created_ts\nO1,C1,2026-10-05 10:00\n"


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo shop imported into a workspace (copied before each damage)."""
    root = tmp_path_factory.mktemp("hostile")
    generate(root / "data", agents=3, days=4)
    Shop(root / "shop.duckdb").import_folder(root / "data")
    return root / "shop.duckdb"


def no_traceback(result) -> None:
    assert "Traceback" not in result.output, result.output


# --- a damaged file ----------------------------------------------------------------------


def test_a_damaged_data_block_is_reported_by_metrics_and_import(cli, demo_workspace, tmp_path):
    ws = with_damaged_data_block(demo_workspace, tmp_path / "ws.duckdb")
    metrics = cli("metrics", "-w", ws, "--period", "2026-10")
    no_traceback(metrics)
    assert metrics.exit_code == 1
    assert f"the workspace {ws} is damaged" in metrics.output
    assert "restore the file from a backup" in metrics.output
    # an import reads the stored tables to check the new rows against them
    generate(tmp_path / "more", agents=3, days=5)
    imported = cli("import", tmp_path / "more", "-w", ws)
    no_traceback(imported)
    assert imported.exit_code == 1 and "is damaged" in imported.output


def test_a_damaged_block_is_a_workspace_error_for_the_core(demo_workspace, tmp_path):
    ws = with_damaged_data_block(demo_workspace, tmp_path / "ws.duckdb")
    with pytest.raises(WorkspaceError) as exc:
        Shop(ws).metrics(OCTOBER)
    assert exc.value.code == "workspace_damaged"
    assert "Corrupt database file" in exc.value.params["detail"]


def test_a_damaged_header_is_not_taken_for_a_lock(cli, demo_workspace, tmp_path):
    """DuckDB says "... in block at location 4096": "block" holds "lock"."""
    ws = tmp_path / "ws.duckdb"
    shutil.copy(demo_workspace, ws)
    damage(ws, 4096 + 100)
    result = cli("metrics", "-w", ws, "--period", "2026-10")
    no_traceback(result)
    assert result.exit_code == 1
    assert "is damaged" in result.output and "in use" not in result.output


def test_a_cut_off_workspace_is_damaged(demo_workspace, tmp_path):
    ws = tmp_path / "ws.duckdb"
    shutil.copy(demo_workspace, ws)
    os.truncate(ws, HEADER_BYTES + 100)
    with pytest.raises(WorkspaceError) as exc:
        Workspace(ws).counts()
    assert exc.value.code == "workspace_damaged"


def test_a_workspace_held_by_another_process_is_in_use(demo_workspace, tmp_path):
    ws = tmp_path / "ws.duckdb"
    shutil.copy(demo_workspace, ws)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys\n"
         f"con = duckdb.connect({str(ws)!r})\nprint('ready', flush=True)\nsys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with files.waiting(files.LockWait(0)), pytest.raises(WorkspaceError) as exc:
            Workspace(ws).counts()  # no wait (test_workspace_wait.py waits)
        assert exc.value.code == "workspace_in_use"
    finally:
        holder.communicate("", timeout=30)


def test_duckdb_errors_are_told_apart_by_its_own_words(tmp_path):
    lock = duckdb.IOException('IO Error: Could not set lock on file "/x/ws.duckdb": Conflicting '
                              "lock is held in /usr/bin/python3 (PID 12) by user a.")
    block = duckdb.IOException("IO Error: Corrupt database file: computed checksum 1 does not "
                               "match stored checksum 2 in block at location 4096")
    other = duckdb.IOException("IO Error: Cannot open file: No space left on device")
    ws = tmp_path / "ws.duckdb"
    assert files.open_error(ws, lock).code == "workspace_in_use"
    assert files.open_error(ws, block).code == "workspace_damaged"
    assert files.open_error(ws, other).code == "workspace_unreadable"
    binder = duckdb.BinderException('Binder Error: Referenced column "x" not found')
    assert files.damage_error(ws, binder) is None  # a bug in a query is not a damaged file


# --- not a workspace ---------------------------------------------------------------------


def sqlite_file(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE agents (agent_id TEXT)")
    con.commit()
    con.close()
    return path


def test_a_sqlite_file_is_refused_before_duckdb_sees_it(cli, folder, tmp_path, monkeypatch):
    """DuckDB would try to download its SQLite extension to attach the file."""
    ws = sqlite_file(tmp_path / "shop.db")

    def no_duckdb(*args, **kwargs):
        raise AssertionError("DuckDB was asked to open a SQLite file")

    monkeypatch.setattr(files.duckdb, "connect", no_duckdb)
    for args in (("metrics", "-w", ws, "--period", "2026-10"), ("import", folder({}), "-w", ws)):
        result = cli(*args)
        no_traceback(result)
        assert result.exit_code == 1
        assert f"{ws}: it is a SQLite database, not a cskpi workspace" in result.output
    zh = cli("metrics", "-w", ws, "--period", "2026-10", "--lang", "zh")
    assert "是 SQLite 数据库，不是 cskpi 工作区" in zh.output
    monkeypatch.undo()
    with pytest.raises(WorkspaceError) as exc:
        Shop(ws).check_import(folder({}))
    assert exc.value.code == "workspace_is_sqlite"


@pytest.mark.parametrize(("content", "code"), [
    (b"", "workspace_not_duckdb"),
    (b"order_id,customer_id\nO1,C1\n", "workspace_not_duckdb"),
    (None, "workspace_is_folder"),
])
def test_other_files_are_not_workspaces(tmp_path, content, code):
    ws = tmp_path / "ws.duckdb"
    if content is None:
        ws.mkdir()
    else:
        ws.write_bytes(content)
    with pytest.raises(WorkspaceError) as exc:
        Workspace(ws).counts()
    assert exc.value.code == code


def test_workspace_connections_load_no_extension(demo_workspace):
    with Workspace(demo_workspace).connect() as con:
        settings = dict(con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('autoinstall_known_extensions', 'autoload_known_extensions')").fetchall())
    assert settings == {"autoinstall_known_extensions": "false",
                        "autoload_known_extensions": "false"}


# --- a folder that cannot be written -----------------------------------------------------


def test_an_import_into_a_folder_without_write_permission(cli, folder, tmp_path, monkeypatch):
    """Tests run as root, who may write anywhere: the refusal is made where it is raised."""
    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".cskpi-x"))

    monkeypatch.setattr(files.tempfile, "mkdtemp", refused)
    result = cli("import", folder({}), "-w", tmp_path / "ws.duckdb")
    no_traceback(result)
    assert result.exit_code == 1
    assert f"cannot write in the folder {tmp_path} (Permission denied)" in result.output
    assert "choose a folder you may write to" in result.output


def test_a_workspace_this_process_may_not_write_is_read_read_only(demo_workspace, tmp_path,
                                                                 monkeypatch):
    """The facts cache is not kept where it cannot be written (DuckDB would fail at the
    commit, unable to create the .wal)."""
    ws = tmp_path / "ws.duckdb"
    shutil.copy(demo_workspace, ws)
    real_access = os.access
    monkeypatch.setattr(files.os, "access",
                        lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    result = Shop(ws).metrics(OCTOBER)
    assert result.rows and result.cache is None
    with pytest.raises(WorkspaceError) as exc:
        Shop(ws).import_folder(ws.parent)  # (any folder: refused before it is read)
    assert exc.value.code == "workspace_read_only"


def _read_only_mounts() -> bool:
    """Whether this process may mount a read-only view in a mount namespace of its own
    (``unshare -m`` keeps the mounts private: they end with the namespace)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe_dir = tempfile.mkdtemp(prefix="cskpi-ro-probe-")
    try:
        probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {probe_dir} "
                                f"{probe_dir} && mount -o remount,bind,ro {probe_dir}"],
                               capture_output=True)
    finally:
        os.rmdir(probe_dir)
    return probe.returncode == 0


@pytest.mark.slow  # a child process in its own mount namespace
@pytest.mark.skipif(not _read_only_mounts(), reason="needs root and unshare -m to mount a "
                    "read-only folder")
def test_a_read_only_folder_for_real(demo_workspace, tmp_path):
    """The CLI in a private mount namespace where the workspace's folder is read-only (and,
    for metrics, the file itself writable: DuckDB opens it for writing, then cannot create
    the .wal beside it)."""
    shop = tmp_path / "shop"
    shop.mkdir()
    shutil.copy(demo_workspace, shop / "ws.duckdb")
    shutil.copy(demo_workspace, shop / "rw.duckdb")
    generate(tmp_path / "data", agents=3, days=5)
    view = tmp_path / "view"
    view.mkdir()
    cskpi = f"{sys.executable} -m cskpi.cli"
    script = f"""
        mount --bind {shop} {view} && mount -o remount,bind,ro {view} || exit 99
        mount --bind {shop}/rw.duckdb {view}/rw.duckdb || exit 99
        echo '== new'; {cskpi} import {tmp_path}/data -w {view}/new.duckdb 2>&1; echo "rc=$?"
        echo '== existing'; {cskpi} import {tmp_path}/data -w {view}/ws.duckdb 2>&1
        echo "rc=$?"
        echo '== metrics'; {cskpi} metrics -w {view}/rw.duckdb --period 2026-10 --by shop \
            --format json 2>&1 > /dev/null; echo "rc=$?"
    """
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).parents[2])
    out = proc.stdout + proc.stderr
    assert proc.returncode != 99, out
    assert "Traceback" not in out, out
    new, existing, metrics = out.split("== ")[1:]
    assert "rc=1" in new and f"cannot write in the folder {view} (Read-only file system)" in new
    assert "rc=1" in existing and f"the workspace {view}/ws.duckdb is read-only" in existing
    assert "rc=0" in metrics


# --- temporary folders of killed imports -------------------------------------------------


def killed_import_folder(parent: Path, *, pid: int | None = 999_999_999) -> Path:
    """A temporary folder as an import killed midway leaves it: partial files, no holder."""
    tmp = parent / ".cskpi-killed"
    tmp.mkdir()
    (tmp / "new.duckdb").write_bytes(b"\0" * 1000)
    (tmp / "duckdb_temp_block-0.block").write_bytes(b"\0" * 1000)
    if pid is not None:
        (tmp / files.TEMP_OWNER).write_text(str(pid))
    return tmp


def test_the_folder_of_a_killed_import_is_removed_by_the_next_command(cli, demo_workspace,
                                                                      tmp_path):
    ws = tmp_path / "ws.duckdb"
    shutil.copy(demo_workspace, ws)
    tmp = killed_import_folder(tmp_path)
    result = cli("metrics", "-w", ws, "--period", "2026-10", "--by", "shop")
    assert result.exit_code == 0
    assert not tmp.exists()


def test_an_import_removes_them_too_even_before_its_workspace_exists(folder, tmp_path):
    tmp = killed_import_folder(tmp_path)
    Workspace(tmp_path / "ws.duckdb").import_folder(folder({}))
    assert not tmp.exists()
    assert not list(tmp_path.glob(".cskpi-*"))  # nor does the import leave its own


def test_a_folder_without_owner_goes_only_once_it_is_old(tmp_path):
    """One made by an older cskpi, or an instant before its owner file is written."""
    tmp = killed_import_folder(tmp_path, pid=None)
    assert files.remove_stale_temp_dirs(tmp_path) == []
    an_hour_ago = time.time() - files.UNOWNED_STALE_S - 60
    os.utime(tmp, (an_hour_ago, an_hour_ago))
    assert files.remove_stale_temp_dirs(tmp_path) == [tmp]


def test_the_folder_of_a_live_import_is_kept(demo_workspace, tmp_path):
    ws = tmp_path / "ws.duckdb"
    shutil.copy(demo_workspace, ws)
    code = ("import sys\nfrom pathlib import Path\nfrom cskpi.store.files import import_temp_dir\n"
            f"with import_temp_dir(Path({str(tmp_path)!r})) as tmp:\n"
            "    print(tmp, flush=True)\n    sys.stdin.read()\n")
    importer = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
    try:
        assert importer.stdout is not None
        live = Path(importer.stdout.readline().strip())
        assert live.is_dir() and (live / files.TEMP_OWNER).read_text() == str(importer.pid)
        assert Workspace(ws).counts()["agents"] == 3
        assert live.is_dir()
    finally:
        importer.communicate("", timeout=30)
    assert not live.exists()  # removed by its import when it ended


@pytest.mark.slow
def test_a_real_kill_leaves_a_folder_the_next_command_removes(folder, tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    ws.import_folder(folder({}))
    counts = ws.counts()
    env = dict(os.environ, **{FAULT_ENV: "kill-before-commit"})
    proc = subprocess.run([sys.executable, "-m", "cskpi.cli", "import",
                           str(folder({"orders.csv": ORDERS})), "--workspace", str(ws.path)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    (left,) = tmp_path.glob(".cskpi-*")
    assert ws.counts() == counts
    assert not left.exists()


# --- the import log ----------------------------------------------------------------------


def test_an_import_of_files_all_imported_before_is_no_import(folder, tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    d = folder({})
    ws.import_folder(d)
    again = ws.import_folder(d)
    assert again.import_id is None and all(t.skipped for t in again.tables)
    assert [i.code for i in again.issues] == ["already_imported"]
    # the next import keeps none of the skipped one's warnings
    new = ws.import_folder(folder({"orders.csv": ORDERS}))
    assert new.import_id == 2
    assert [(w["import_id"], w["code"]) for w in ws.import_issues()] == [
        (2, "already_imported")]  # its own: agents.csv again
    history = Shop(ws.path).import_history()
    assert [(h["import_id"], h["warnings"]) for h in history] == [(2, 1), (1, 0)]


HOSTILE_TEXTS = ("it's", 'a "quote"', "back\\slash", "NUL\0inside", "客服\n新行", "emoji 😀",
                 "'); DROP TABLE agents; --")


def test_warnings_are_kept_as_written_whatever_they_quote(tmp_path):
    """The import log keeps a warning's texts exactly, however they are quoted (they are
    spelt as literals, not bound)."""
    con = duckdb.connect(str(tmp_path / "log.duckdb"))
    for ddl in SYSTEM_DDL:
        con.execute(ddl)
    issues = [Issue("warning", "unknown_column", message=text, file=text, row=n or None,
                    column=text if n % 2 else None, hint=text, params={"columns": text})
              for n, text in enumerate(HOSTILE_TEXTS)]
    log_warnings(con, 7, issues)
    kept = con.execute('SELECT import_id, message, file, "row", "column", hint, params '
                       'FROM _import_issues ORDER BY "row" NULLS FIRST').fetchall()
    assert kept == [(7, i.message, i.file, i.row, i.column, i.hint, i.params_json())
                    for i in issues]
    assert con.execute("SELECT count(*) FROM _import_issues").fetchone() == (len(issues),)


def test_an_import_keeps_a_warning_quoting_a_hostile_header(folder, tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    header = "it's \"odd\" 客服"
    report = ws.import_folder(folder({"agents.csv": 'agent_id,name,role,"it\'s ""odd"" 客服"\n'
                                                    "001,张伟,presale,x\n"}))
    (warning,) = [i for i in report.issues if i.code == "unknown_column"]
    assert header in warning.params["columns"]
    (kept,) = [w for w in ws.import_issues() if w["code"] == "unknown_column"]
    assert kept["params"] == warning.params_json()
    assert header in json.loads(kept["params"])["columns"]


def test_warnings_left_without_an_import_are_not_inherited(folder, tmp_path):
    """As an older cskpi left them: kept under the id the next import was to get."""
    ws = Workspace(tmp_path / "ws.duckdb")
    ws.import_folder(folder({}))
    con = duckdb.connect(str(ws.path))
    con.execute("INSERT INTO _import_issues VALUES (2, 'warning', 'unknown_file', 'ignored', "
                "'notes.txt', NULL, NULL, NULL, NULL, NULL)")
    con.close()
    assert ws.import_issues() == []
    new = ws.import_folder(folder({"orders.csv": ORDERS}))
    assert new.import_id == 3
    assert [w["code"] for w in ws.import_issues()] == ["already_imported"]


def test_the_same_bytes_under_another_format_are_read_not_skipped(folder, tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    ws.import_folder(folder({"orders.csv": ORDERS}))
    renamed = folder({"orders.xlsx": ORDERS.encode()})
    check = Shop(ws.path).check_import(renamed)  # (the web's check agrees)
    assert [i.file for i in check.issues if i.is_error] == ["orders.xlsx"]
    with pytest.raises(ValidationFailed) as exc:
        ws.import_folder(renamed)
    assert [i.file for i in exc.value.issues if i.is_error] == ["orders.xlsx"]
    # read by the same reader, the same bytes are the same file
    as_text = ws.import_folder(folder({"orders.txt": ORDERS}))
    assert as_text.import_id is None and all(t.skipped for t in as_text.tables)


def test_the_same_bytes_for_another_table_are_read_not_skipped(folder, tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    ws.import_folder(folder({"orders.csv": ORDERS}))
    with pytest.raises(ValidationFailed) as exc:
        ws.import_folder(folder({"sessions.csv": ORDERS}))
    assert any(i.file == "sessions.csv" and i.is_error for i in exc.value.issues)
    assert query(ws.path, "SELECT count(*) FROM sessions") == [(0,)]
