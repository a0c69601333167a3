"""The command line: exit codes, JSON shapes, messages without tracebacks, both languages."""

from __future__ import annotations

import json

from tests.helpers.common import issues_of


def test_validate_ok_exits_0(cli, folder):
    result = cli("validate", folder({}))
    assert result.exit_code == 0
    assert "No problems found" in result.stdout


def test_validate_errors_exit_1_and_name_row_and_column(cli, folder):
    d = folder({"orders.csv": "order_id,customer_id,created_ts\nO1,C1,not-a-date\n"})
    result = cli("validate", d)
    assert result.exit_code == 1
    assert "orders.csv, row 2, column created_ts" in result.stdout
    assert "not-a-date" in result.stdout


def test_validate_json_shape_is_pinned(cli, folder):
    d = folder({"orders.csv": "order_id,customer_id,created_ts,extra\nO1,C1,not-a-date,x\n"})
    result = cli("validate", d, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert set(data) == {"ok", "errors", "warnings", "issues"}
    assert (data["ok"], data["errors"], data["warnings"]) == (False, 1, 1)
    assert set(data["issues"][0]) == {"level", "code", "message", "file", "row", "column", "hint"}
    error = next(i for i in data["issues"] if i["level"] == "error")
    assert (error["code"], error["file"], error["row"], error["column"]) == (
        "bad_type", "orders.csv", 2, "created_ts")


def test_import_reports_tables_and_is_idempotent(cli, folder, tmp_path):
    d = folder({})
    ws = tmp_path / "ws.duckdb"
    first = cli("import", d, "--workspace", ws, "--format", "json")
    assert first.exit_code == 0
    data = json.loads(first.stdout)
    assert data["tables"] == [{"table": "agents", "file": "agents.csv", "rows_in_file": 2,
                               "added": 2, "duplicates": 0, "skipped": False}]
    again = cli("import", d, "--workspace", ws)
    assert again.exit_code == 0 and "Nothing new to import" in again.stdout


def test_import_failure_exit_1_and_lists_issues(cli, folder, tmp_path):
    d = folder({"orders.csv": "order_id,customer_id,created_ts\nO1,C1,not-a-date\n"})
    result = cli("import", d, "--workspace", tmp_path / "ws.duckdb", "--format", "json")
    assert result.exit_code == 1
    assert issues_of(result)[0]["code"] == "bad_type"
    assert not (tmp_path / "ws.duckdb").exists()


def test_user_mistakes_give_a_message_not_a_traceback(cli, tmp_path):
    result = cli("import", tmp_path / "missing", "--workspace", tmp_path / "ws.duckdb")
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "is not a folder" in result.output
    bad_tz = cli("validate", tmp_path, "--timezone", "Nowhere/Land")
    assert bad_tz.exit_code == 2 and "unknown time zone" in bad_tz.output


def test_workspace_that_is_not_a_database(cli, folder, tmp_path):
    ws = tmp_path / "ws.duckdb"
    ws.write_text("I am not a database")
    result = cli("import", folder({}), "--workspace", ws)
    assert result.exit_code == 1 and "cannot open workspace" in result.output
    assert ws.read_text() == "I am not a database"


def test_chinese_output(cli, folder):
    d = folder({"orders.csv": "order_id,customer_id,created_ts\nO1,C1,not-a-date\n"})
    result = cli("validate", d, "--lang", "zh")
    assert result.exit_code == 1
    assert "错误" in result.stdout and "请修正上面的错误" in result.stdout


def test_help_lists_the_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("validate", "import", "demo-data", "demo"):
        assert command in result.stdout
