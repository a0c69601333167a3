"""Validation: every problem reported at once, with file, row, column and a hint."""

from __future__ import annotations

import pytest

from cskpi.errors import Issue
from cskpi.shop import Shop


def by_code(issues: list[Issue], code: str) -> list[Issue]:
    return [i for i in issues if i.code == code]


def errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.is_error]


def test_clean_folder_has_no_issues(folder):
    d = folder({"messages.csv": """\
        session_id,ts,sender,agent_id,customer_id
        S1,2026-10-03 10:00:00,customer,,C1
        S1,2026-10-03 10:00:30,agent,001,
        """})
    assert Shop(data=d).validate() == []


def test_missing_agents_table(folder):
    d = folder({"messages.csv": "session_id,ts,sender,customer_id\nS1,2026-10-03 10:00:00,"
                                "customer,C1\n"}, with_agents=False)
    found = by_code(Shop(data=d).validate(), "missing_table")
    assert len(found) == 1 and found[0].is_error
    assert "agents" in found[0].message and "agents.csv" in (found[0].hint or "")


def test_every_problem_reported_at_once_with_position(folder):
    d = folder({
        "orders.csv": """\
            order_id,customer_id,created_ts,paid_ts,amount,units,status
            O1,C1,2026-10-03 10:00:00,2026-10-03 10:05:00,99.50,1,paid
            O2,C2,yesterday,,10.00,1,unpaid
            O3,C3,2026-10-03 11:00:00,,-5.00,1,unpaid
            O4,C4,2026-10-03 12:00:00,,1.00,two,unpaid
            O5,C5,2026-10-03 12:00:00,,1.00,1,shipped
            """,
        "attendance.csv": "agent_id,date,status\n001,2026-10-03,迟到\n999,2026-10-03,present\n",
    })
    issues = Shop(data=d).validate()
    found = {(i.code, i.file, i.row, i.column) for i in errors(issues)}
    assert found == {
        ("bad_type", "orders.csv", 3, "created_ts"),
        ("negative_money", "orders.csv", 4, "amount"),
        ("bad_type", "orders.csv", 5, "units"),
        ("bad_value", "orders.csv", 6, "status"),
        ("unknown_agent", "attendance.csv", 3, "agent_id"),
    }
    assert all(i.hint for i in errors(issues))
    status = by_code(issues, "bad_value")[0]
    assert "'shipped'" in status.message and "paid" in (status.hint or "")
    assert "已付款" in (status.hint or "")  # the Chinese spellings are offered too


def test_missing_required_column_names_it(folder):
    d = folder({"orders.csv": "order_id,created_ts\nO1,2026-10-03 10:00:00\n"})
    found = by_code(Shop(data=d).validate(), "missing_column")
    assert [(i.column, i.row) for i in found] == [("customer_id", 1)]


def test_unknown_columns_are_a_warning(folder):
    d = folder({"agents.csv": "agent_id,name,favourite_colour\n001,A,blue\n"})
    issues = Shop(data=d).validate()
    assert errors(issues) == []
    (w,) = by_code(issues, "unknown_column")
    assert w.level == "warning" and "favourite_colour" in w.message


def test_duplicate_key_with_different_content_is_an_error(folder):
    d = folder({"agents.csv": "agent_id,name\n001,A\n002,B\n001,C\n"})
    (e,) = by_code(Shop(data=d).validate(), "duplicate_key")
    assert e.is_error and e.row == 4 and "rows 2, 4" in e.message


def test_identical_duplicate_rows_are_dropped_with_a_warning(folder):
    d = folder({"agents.csv": "agent_id,name\n001,A\n002,B\n001,A\n"})
    issues = Shop(data=d).validate()
    assert errors(issues) == []
    assert "1 identical duplicate" in by_code(issues, "duplicate_row")[0].message


def test_message_of_unknown_session(folder):
    d = folder({
        "sessions.csv": "session_id,customer_id,agent_id,start_ts\nS1,C1,001,2026-10-03 10:00:00\n",
        "messages.csv": """\
            session_id,ts,sender,agent_id
            S1,2026-10-03 10:00:00,customer,
            S9,2026-10-03 10:00:05,customer,
            """,
    })
    (e,) = by_code(Shop(data=d).validate(), "unknown_session")
    assert (e.file, e.row, e.column) == ("messages.csv", 3, "session_id")
    assert "S9" in e.message


def test_message_of_unknown_agent(folder):
    d = folder({"messages.csv": """\
        session_id,ts,sender,agent_id,customer_id
        S1,2026-10-03 10:00:00,customer,,C1
        S1,2026-10-03 10:00:30,agent,1,
        """})
    (e,) = by_code(Shop(data=d).validate(), "unknown_agent")
    assert (e.row, e.column) == (3, "agent_id")
    assert "001 is not 1" in (e.hint or "")  # ids are text


def test_session_with_two_human_agents(folder):
    d = folder({"messages.csv": """\
        session_id,ts,sender,agent_id,customer_id
        S1,2026-10-03 10:00:00,customer,,C1
        S1,2026-10-03 10:00:30,agent,001,
        S1,2026-10-03 10:01:00,agent,002,
        """})
    (e,) = by_code(Shop(data=d).validate(), "two_agents")
    assert e.is_error and "001, 002" in e.message and "new session" in (e.hint or "")


def test_session_agent_disagrees_with_its_messages(folder):
    d = folder({
        "sessions.csv": "session_id,customer_id,agent_id,start_ts\nS1,C1,001,2026-10-03 10:00:00\n",
        "messages.csv": "session_id,ts,sender,agent_id\nS1,2026-10-03 10:00:30,agent,002\n",
    })
    (e,) = by_code(Shop(data=d).validate(), "two_agents")
    assert e.row == 2 and "'001'" in e.message and "'002'" in e.message


def test_agent_message_without_agent_id(folder):
    d = folder({"messages.csv": "session_id,ts,sender,agent_id,customer_id\n"
                                "S1,2026-10-03 10:00:00,customer,,C1\nS1,2026-10-03 10:00:30,agent,,\n"})
    (e,) = by_code(Shop(data=d).validate(), "missing_value")
    assert (e.row, e.column) == (3, "agent_id")


def test_end_before_start(folder):
    d = folder({
        "sessions.csv": "session_id,customer_id,agent_id,start_ts,end_ts\n"
                        "S1,C1,001,2026-10-03 10:00:00,2026-10-03 09:59:59\n",
        "online.csv": "agent_id,start_ts,end_ts\n001,2026-10-03 10:00,2026-10-03 08:00\n",
    })
    found = {(i.file, i.row, i.column) for i in by_code(Shop(data=d).validate(), "end_before_start")}
    assert found == {("sessions.csv", 2, "end_ts"), ("online.csv", 2, "end_ts")}


def test_money_with_currency_sign_and_thousands_is_cleaned_with_a_warning(folder, tmp_path):
    from cskpi.store.workspace import Workspace

    d = folder({"orders.csv": 'order_id,customer_id,created_ts,paid_ts,amount\n'
                              'O1,C1,2026-10-03 10:00,2026-10-03 10:01,"¥1,234.50"\n'
                              'O2,C2,2026-10-03 10:00,2026-10-03 10:01,"1,000"\n'
                              'O3,C3,2026-10-03 10:00,2026-10-03 10:01,88.8元\n'})
    issues = Shop(data=d).validate()
    assert errors(issues) == []
    cleaned = by_code(issues, "money_cleaned")
    assert [(i.row, i.level) for i in cleaned] == [(2, "warning"), (3, "warning"), (4, "warning")]
    assert "'¥1,234.50' read as 1234.50" in cleaned[0].message
    ws = tmp_path / "ws.duckdb"
    Workspace(ws).import_folder(d)
    from tests.helpers.common import query

    # 1234.50 exactly (not 1.2345, not 1234): sum = 1234.50 + 1000.00 + 88.80 = 2323.30
    assert [str(r[0]) for r in query(ws, "SELECT sum(amount) FROM orders")] == ["2323.30"]


@pytest.mark.parametrize("value", ["12,5", "1.234,50", "12.345", "€", "1,23,456"])
def test_ambiguous_or_over_precise_money_is_rejected_not_misread(folder, value):
    d = folder({"orders.csv": f'order_id,customer_id,created_ts,amount\nO1,C1,2026-10-03,"{value}"\n'})
    (e,) = by_code(Shop(data=d).validate(), "bad_money")
    assert (e.row, e.column) == (2, "amount") and value in e.message


def test_enums_accept_chinese_spellings(folder, tmp_path):
    from cskpi.store.workspace import Workspace
    from tests.helpers.common import query

    d = folder({
        "agents.csv": "客服ID,姓名,岗位,在职\n001,A,售后,是\n002,B,组长,否\n",
        "grades.csv": "客服ID,考核月份,考核项,评级\n001,2026-10,quality,优\n001,2026/10,cooperation,差\n",
    }, with_agents=False)
    assert errors(Shop(data=d).validate()) == []
    ws = tmp_path / "ws.duckdb"
    Workspace(ws).import_folder(d)
    assert query(ws, "SELECT agent_id, role, active FROM agents ORDER BY 1") == [
        ("001", "aftersale", True), ("002", "lead", False)]
    assert query(ws, "SELECT period, item, grade FROM grades ORDER BY item") == [
        ("2026-10", "cooperation", "D"), ("2026-10", "quality", "A")]


def test_rates_above_one_must_carry_a_percent_sign(folder):
    d = folder({"agent_metrics.csv": "客服ID,日期,3分钟回复率,满意率\n001,2026-10-03,95.5,96.5%\n"})
    (e,) = by_code(Shop(data=d).validate(), "rate_over_1")
    assert (e.row, e.column) == (2, "3分钟回复率")  # the user's own header


def test_too_many_errors_are_summarised_not_truncated_silently(folder):
    lines = "".join(f"O{i},C{i},not-a-date\n" for i in range(50))
    d = folder({"orders.csv": "order_id,customer_id,created_ts\n" + lines})
    found = by_code(Shop(data=d).validate(), "bad_type")
    assert len(found) == 21  # 20 rows named, then one line counting the rest
    assert found[-1].row is None and "30 more rows" in found[-1].message


def test_unknown_file_in_folder_is_a_warning(folder):
    d = folder({"notes.txt": "hello"})
    (w,) = by_code(Shop(data=d).validate(), "unknown_file")
    assert w.level == "warning" and w.file == "notes.txt"


def test_not_a_folder(tmp_path):
    from cskpi.errors import UsageError

    with pytest.raises(UsageError, match="is not a folder"):
        Shop(data=tmp_path / "nope").validate()


def test_rating_of_unknown_session(folder):
    d = folder({
        "messages.csv": "session_id,ts,sender,customer_id\nS1,2026-10-03 10:00:00,customer,C1\n",
        "ratings.csv": "session_id,score\nS1,5\nS2,非常满意\n",
    })
    (e,) = by_code(Shop(data=d).validate(), "unknown_session")
    assert (e.file, e.row) == ("ratings.csv", 3)


def test_messages_without_sessions_need_a_customer_id(folder):
    d = folder({"messages.csv": "session_id,ts,sender,agent_id\nS1,2026-10-03 10:00:00,agent,001\n"})
    (e,) = by_code(Shop(data=d).validate(), "missing_column")
    assert e.column == "customer_id"


def test_paid_status_without_paid_ts(folder):
    d = folder({"orders.csv": "order_id,customer_id,created_ts,status\nO1,C1,2026-10-03,已付款\n"})
    (e,) = by_code(Shop(data=d).validate(), "paid_without_ts")
    assert e.row == 2


def test_bad_target_scope(folder):
    d = folder({"targets.csv": "period,scope,metric,value\n2026-10,shop,sales,1000\n"
                               "2026-10,everyone,sales,5\n2026-10,agent:404,sales,5\n"})
    issues = Shop(data=d).validate()
    assert [(i.code, i.row) for i in errors(issues)] == [("bad_value", 3), ("unknown_agent", 4)]


def test_malformed_csv_rows_are_named_and_block_the_file(folder):
    d = folder({"orders.csv": "order_id,customer_id,created_ts\nO1,C1,2026-10-03\n"
                              "O2,C2,2026-10-03,surplus\nO3,C3,not-a-date\n"})
    issues = Shop(data=d).validate()
    (bad,) = by_code(issues, "bad_csv_row")
    assert (bad.file, bad.row, bad.level) == ("orders.csv", 3, "error")
    # later rows are not typed (their numbers would shift): fix the structure first
    assert by_code(issues, "bad_type") == []


def test_header_only_csv_is_a_warning(folder):
    d = folder({"orders.csv": "order_id,customer_id,created_ts\n"})
    issues = Shop(data=d).validate()
    assert [(i.code, i.level) for i in issues] == [("no_rows", "warning")]


class _Recording:
    """A DuckDB connection that keeps the SQL it is given."""

    def __init__(self) -> None:
        import duckdb

        self.con = duckdb.connect()
        self.sql: list[str] = []

    def execute(self, sql: str, params: object = None):  # noqa: ANN201
        self.sql.append(sql)
        return self.con.execute(sql, params or [])


def test_the_checks_of_a_table_are_counted_in_one_scan():
    """Checks of one source cost one query together; a check that finds no row reads the
    source no more, one that does reads it again for its examples; they report in the
    order they were recorded, with their counts."""
    from cskpi.data.report import Checks, Reporter

    recording = _Recording()
    recording.con.execute("CREATE TABLE t AS SELECT range AS x, range + 2 AS _row "
                          "FROM range(30)")
    issues: list[Issue] = []
    rep = Reporter(recording, issues)  # type: ignore[arg-type]
    checks = Checks()
    checks.rows("t", "x > 100", level="error", code="none", file="t.csv")
    checks.rows("t", "x >= 25", level="error", code="high", file="t.csv", values="x",
                params=lambda v: {"value": v[0]})
    checks.add(Issue("warning", "between", file="t.csv"))
    checks.rows("t", "x < 22", level="warning", code="low", file="t.csv")
    rep.check(checks)
    counts = [s for s in recording.sql if "count(" in s]
    assert len(counts) == 1 and counts[0].count("FILTER") == 3
    examples = [s for s in recording.sql if "count(" not in s]
    assert len(examples) == 2  # "high" and "low": "none" found no row
    assert [i.code for i in issues] == ["high"] * 5 + ["between"] + ["low"] * 21
    assert [i.params["value"] for i in issues[:5]] == [25, 26, 27, 28, 29]
    # 22 rows are low: 20 listed, the rest counted (from the one scan's count)
    assert issues[-1].key == "more_rows" and issues[-1].params["count"] == "2"


def test_a_check_with_a_subquery_counts_itself():
    """As a FILTER beside others, ``NOT IN (SELECT …)`` is a mark join over every row; by
    itself, as a WHERE, an anti-join: such a check is counted by itself."""
    from cskpi.data.report import Checks, Reporter

    recording = _Recording()
    recording.con.execute("CREATE TABLE t AS SELECT range AS x, range + 2 AS _row "
                          "FROM range(30)")
    rep = Reporter(recording, [])  # type: ignore[arg-type]
    checks = Checks()
    checks.rows("t", "x > 27", level="error", code="high", file="t.csv")
    checks.rows("t", "x NOT IN (SELECT range FROM range(29))", level="error", code="known",
                file="t.csv")
    rep.check(checks)
    assert [i.code for i in rep.issues] == ["high", "high", "known"]
    counts = [s for s in recording.sql if "count(" in s]
    assert len(counts) == 2 and "FILTER (WHERE x > 27)" in counts[0]
    assert "WHERE x NOT IN" in counts[1] and "FILTER" not in counts[1]
