"""The workspace store: atomic, idempotent imports with a log."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cskpi.errors import UsageError, ValidationFailed
from cskpi.store.workspace import FAULT_ENV, Workspace
from tests.helpers.common import MESSAGES_DAY1, MESSAGES_DAY2, query


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_import_then_same_files_again_changes_nothing(folder, tmp_path):
    d = folder({"messages.csv": MESSAGES_DAY1})
    ws = Workspace(tmp_path / "ws.duckdb")
    first = ws.import_folder(d)
    assert first.added == 2 + 4  # 2 agents + 4 messages
    before = ws.counts()
    second = ws.import_folder(d)
    assert second.added == 0 and all(t.skipped for t in second.tables)
    assert ws.counts() == before
    assert len(ws.import_log()) == 2  # agents + messages of import 1 only


def test_overlapping_export_is_not_double_counted(folder, tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    ws.import_folder(folder({"messages.csv": MESSAGES_DAY1}))
    # the second export repeats S2's first two messages and the agents file (same content)
    report = ws.import_folder(folder({"messages.csv": MESSAGES_DAY2}))
    msgs = next(t for t in report.tables if t.table == "messages")
    assert (msgs.rows_in_file, msgs.added, msgs.duplicates) == (7, 5, 2)
    assert ws.counts()["messages"] == 4 + 5
    assert any(i.code == "already_stored" for i in report.issues)
    # derived session S2 spans both exports: start at its first, end at its last message
    assert query(ws.path, "SELECT session_id, customer_id, agent_id, "
                 "strftime(start_ts, '%H:%M:%S'), strftime(end_ts, '%d %H:%M:%S'), "
                 "strftime(transfer_ts, '%H:%M:%S') FROM sessions ORDER BY 1") == [
        ("S1", "C1", "001", "10:00:00", "03 10:00:30", None),
        ("S2", "C2", "002", "23:59:00", "04 00:05:00", None),
        ("S3", "C3", "001", "09:00:00", "04 09:02:00", "09:01:00"),
    ]


def test_same_key_different_content_is_refused_and_changes_nothing(folder, tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    ws.import_folder(folder({}))
    before = digest(ws.path)
    changed = folder({"agents.csv": "agent_id,name,role,team,level\n001,张伟,presale,A,lead\n"})
    with pytest.raises(ValidationFailed) as exc:
        ws.import_folder(changed)
    (e,) = [i for i in exc.value.issues if i.is_error]
    assert (e.code, e.file, e.row, e.column) == ("conflicts_with_stored", "agents.csv", 2,
                                                 "agent_id")
    assert digest(ws.path) == before


def test_failed_import_writes_nothing_even_into_a_new_workspace(folder, tmp_path):
    d = folder({"orders.csv": "order_id,customer_id,created_ts\nO1,C1,garbage\n"})
    path = tmp_path / "ws.duckdb"
    with pytest.raises(ValidationFailed):
        Workspace(path).import_folder(d)
    assert not path.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".cskpi")] == []


def test_failed_import_keeps_the_good_files_out_too(folder, tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    ws.import_folder(folder({}))
    bad = folder({"messages.csv": MESSAGES_DAY1,
                  "orders.csv": "order_id,customer_id,created_ts\nO1,C1,garbage\n"})
    with pytest.raises(ValidationFailed):
        ws.import_folder(bad)
    assert ws.counts()["messages"] == 0 and ws.counts()["orders"] == 0


@pytest.mark.slow
def test_kill_in_the_middle_of_an_import_leaves_the_previous_state(folder, tmp_path):
    """A real SIGKILL inside the import transaction, after all rows were written."""
    path = tmp_path / "ws.duckdb"
    ws = Workspace(path)
    ws.import_folder(folder({"messages.csv": MESSAGES_DAY1}))
    counts, log = ws.counts(), ws.import_log()
    many = "session_id,ts,sender,customer_id\n" + "".join(
        f"T{i},2026-10-05 10:{i // 60 % 60:02d}:{i % 60:02d},customer,C{i}\n" for i in range(50_000))
    d = folder({"messages.csv": many, "orders.csv": "order_id,customer_id,created_ts\nO1,C1,"
                                                    "2026-10-05 10:00\n"})
    env = dict(os.environ, **{FAULT_ENV: "kill-before-commit"})
    proc = subprocess.run([sys.executable, "-m", "cskpi.cli", "import", str(d), "--workspace",
                           str(path)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr  # killed by SIGKILL, mid-transaction
    assert ws.counts() == counts
    assert ws.import_log() == log
    # and the workspace still takes the same import afterwards
    assert ws.import_folder(d).added == 50_001


def test_timezone_recorded_and_a_different_one_refused(folder, tmp_path):
    path = tmp_path / "ws.duckdb"
    Workspace(path, timezone="Europe/Berlin").import_folder(folder({}))
    assert Workspace(path).timezone == "Europe/Berlin"
    with pytest.raises(UsageError, match="Europe/Berlin"):
        Workspace(path, timezone="Asia/Shanghai").import_folder(folder({"messages.csv":
                                                                        MESSAGES_DAY1}))


def test_unknown_timezone_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="Mars/Olympus"):
        Workspace(tmp_path / "ws.duckdb", timezone="Mars/Olympus")


def test_timestamp_forms_are_read_to_the_same_instant(folder, tmp_path):
    # Every form below is 2026-10-03 14:05:09 in Shanghai (UTC+8) = 06:05:09 UTC.
    forms = ["2026-10-03 14:05:09", "2026-10-03T14:05:09", "2026/10/03 14:05:09",
             "2026-10-03T14:05:09+08:00", "2026-10-03 06:05:09Z", "2026-10-03T15:05:09+0900",
             "2026-10-02 22:05:09-08:00",
             # Excel serial: day 46298 after 1899-12-30 = 2026-10-03;
             # 14:05:09 = 14*3600 + 5*60 + 9 = 50709 s = 50709/86400 d = 0.586909722 d
             "46298.586909722222"]
    rows = "".join(f"S{i},2026-10-03 14:05:09,customer,C{i}\nS{i},{f},agent,001,\n"
                   for i, f in enumerate(forms))
    d = folder({"messages.csv": "session_id,ts,sender,agent_id,customer_id\n" + rows.replace(
        ",customer,C", ",customer,,C")})
    path = tmp_path / "ws.duckdb"
    Workspace(path).import_folder(d)
    got = query(path, "SELECT DISTINCT epoch(ts) FROM messages WHERE sender = 'agent'")
    assert got == [(dt.datetime(2026, 10, 3, 6, 5, 9, tzinfo=dt.UTC).timestamp(),)]


def test_day_cut_follows_the_workspace_timezone(folder, tmp_path):
    # 23:59:00 local in Shanghai is 15:59 UTC: still 2026-10-03 when cut in Shanghai
    path = tmp_path / "ws.duckdb"
    Workspace(path).import_folder(folder({"messages.csv": MESSAGES_DAY1}))
    assert query(path, "SELECT CAST(timezone('Asia/Shanghai', ts) AS DATE) FROM messages "
                       "WHERE session_id = 'S2' ORDER BY ts") == [
        (dt.date(2026, 10, 3),), (dt.date(2026, 10, 4),)]


def test_ids_stay_strings(folder, tmp_path):
    path = tmp_path / "ws.duckdb"
    Workspace(path).import_folder(folder({"orders.csv": "order_id,customer_id,created_ts\n"
                                                        "000123,0042,2026-10-03\n"}))
    assert query(path, "SELECT order_id, customer_id FROM orders") == [("000123", "0042")]


def test_sessions_given_then_messages_only_must_match_them(folder, tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    ws.import_folder(folder({"sessions.csv": "session_id,customer_id,agent_id,start_ts\n"
                                             "S1,C1,001,2026-10-03 10:00:00\n"}))
    with pytest.raises(ValidationFailed) as exc:
        ws.import_folder(folder({"messages.csv": MESSAGES_DAY1}))
    assert {i.code for i in exc.value.issues if i.is_error} == {"unknown_session"}


def test_replace_updates_the_roster(folder, tmp_path, cli):
    ws = Workspace(tmp_path / "ws.duckdb")
    ws.import_folder(folder({"messages.csv": MESSAGES_DAY1}))
    promoted = folder({"agents.csv": "agent_id,name,role,team,level\n001,张伟,presale,A,lead\n"
                                     "002,李娜,aftersale,B,junior\n003,王五,presale,A,junior\n"})
    with pytest.raises(ValidationFailed):  # merging: same key, other content
        ws.import_folder(promoted)
    report = ws.import_folder(promoted, replace={"agents"})
    assert report.added == 3
    assert query(ws.path, "SELECT agent_id, level FROM agents ORDER BY 1") == [
        ("001", "lead"), ("002", "junior"), ("003", "junior")]
    assert ws.counts()["messages"] == 4  # the rest is untouched


def test_replace_refuses_to_drop_an_agent_with_data(folder, tmp_path, cli):
    ws = Workspace(tmp_path / "ws.duckdb")
    ws.import_folder(folder({"messages.csv": MESSAGES_DAY1}))
    before = digest(ws.path)
    shrunk = folder({"agents.csv": "agent_id,name\n001,张伟\n"})  # 002 has messages
    with pytest.raises(ValidationFailed) as exc:
        ws.import_folder(shrunk, replace={"agents"})
    errors = [i for i in exc.value.issues if i.is_error]
    # 002 wrote messages, and owns the session derived from them
    assert {e.code for e in errors} == {"agent_still_referenced"}
    assert sorted(e.message.split(" table")[0] for e in errors) == [
        "the stored messages", "the stored sessions"]
    assert all(e.message.endswith(": 002") for e in errors)
    assert digest(ws.path) == before
    result = cli("import", folder({}), "-w", ws.path, "--replace", "orders")
    assert result.exit_code == 2 and "no such file" in result.output


NO_PANDAS = """
import sys
from pathlib import Path
from cskpi.store.workspace import Workspace
data, ws = Path(sys.argv[1]), Workspace(sys.argv[2])
ws.import_folder(data / "first")
ws.import_folder(data / "second")  # agents.csv again: a warning kept in the log
print(sorted(m for m in ("pandas", "numpy") if m in sys.modules))
"""


def test_an_import_does_not_load_pandas(folder, tmp_path):
    """DuckDB's Python client loads pandas (and NumPy) for its first bound parameter: an
    import binds none, and saves the fifth of a second that costs (a test in a fresh
    interpreter: pytest has loaded pandas long before)."""
    data = tmp_path / "data"
    data.mkdir()
    folder({}).rename(data / "first")
    folder({"orders.csv": "order_id,customer_id,created_ts,paid_ts,amount\n"
                          "O1,C1,2026-10-01 10:00:00,,1.00\n"}).rename(data / "second")
    proc = subprocess.run([sys.executable, "-c", NO_PANDAS, str(data), str(tmp_path / "w.duckdb")],
                          capture_output=True, text=True, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert "pandas" not in proc.stdout.strip().splitlines()[-1]


def test_background_work_opens_the_workspace_on_one_thread(folder, tmp_path):
    """Work done in the background (the web app computing figures again after an import)
    lets DuckDB use one thread, so the pages served meanwhile keep a core; other work
    uses DuckDB's default (every core; the test forces 4 so the two differ anywhere)."""
    import contextvars

    from cskpi.store.workspace import BACKGROUND_THREADS

    ws = Workspace(tmp_path / "ws.duckdb")
    ws.import_folder(folder({"messages.csv": MESSAGES_DAY1}))

    def threads() -> int:
        with ws.connect() as con:
            return int(con.execute("SELECT current_setting('threads')").fetchone()[0])

    def in_background() -> int:
        BACKGROUND_THREADS.set(1)
        return threads()

    assert contextvars.copy_context().run(in_background) == 1
    assert Workspace(ws.path, threads=4).threads == 4
    with Workspace(ws.path, threads=4).connect() as con:
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 4
    assert BACKGROUND_THREADS.get() is None  # the setting stayed in its context


@pytest.mark.parametrize("way", ["new", "existing"])
def test_ids_and_kinds_are_kept_as_dictionaries(folder, tmp_path, way):
    """Text columns of few values, each on many rows, are stored dictionary-compressed
    whether the workspace is new (typed straight into it) or holds data already
    (table_ddl): the chat log's session and customer ids, agents' ids everywhere, the
    values of a set (sender, event, channel, kind).  DuckDB left to choose also tries
    FSST on them (a tenth of typing a chat log).  A message's text and a session's own
    id (unique) are left to choose."""
    ws = Workspace(tmp_path / "ws.duckdb")
    if way == "existing":
        ws.import_folder(folder({}))
    ws.import_folder(folder({
        "sessions.csv": "session_id,customer_id,agent_id,start_ts,channel,kind\n"
                        "S1,C1,001,2026-10-03 10:00:00,淘宝,presale\n"
                        "S2,C2,002,2026-10-03 23:59:00,jd,aftersale\n",
        "messages.csv": MESSAGES_DAY1}))
    stored = {(t, c): cs for t, c, cs in query(tmp_path / "ws.duckdb", """
        SELECT 'messages', column_name, list(DISTINCT compression ORDER BY compression)
        FROM pragma_storage_info('messages') WHERE segment_type = 'VARCHAR' GROUP BY ALL
        UNION ALL
        SELECT 'sessions', column_name, list(DISTINCT compression ORDER BY compression)
        FROM pragma_storage_info('sessions') WHERE segment_type = 'VARCHAR' GROUP BY ALL""")}
    dictionaries = {("messages", c) for c in ("session_id", "sender", "agent_id",
                                              "customer_id", "event")}
    dictionaries |= {("sessions", c) for c in ("agent_id", "channel", "kind")}
    for column in dictionaries:
        assert stored[column] == ["Dictionary"], column
    assert query(tmp_path / "ws.duckdb", "SELECT count(*) FROM messages") == [(4,)]
