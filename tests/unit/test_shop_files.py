"""The files shops really have (#18): names, sheets, timestamps, encodings, Chinese values.

Each test is one complaint of a new user, with the file as the platform or Chinese Excel
wrote it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from cskpi.data.readers import detect_encoding
from cskpi.errors import Issue, ValidationFailed
from cskpi.shop import Shop
from cskpi.store.workspace import Workspace
from tests.helpers.common import AGENTS_CSV, issues_of, query, write_folder

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
ORDERS_ZH = "订单号,买家,下单时间,付款时间,实付金额\nO1,C1,2026-10-05 10:00:00,2026-10-05 10:01:00,99.50\n"


def codes(issues: list[Issue]) -> set[str]:
    return {i.code for i in issues}


def errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.is_error]


def imported(tmp_path: Path, files: dict[str, str | bytes], **kw: object) -> Path:
    data = write_folder(tmp_path / "data", {"agents.csv": AGENTS_CSV, **files})
    ws = tmp_path / "ws.duckdb"
    Workspace(ws).import_folder(data, **kw)  # type: ignore[arg-type]
    return ws


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    import io

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- 1. file names in English or Chinese, any suffix or date stamp; else by headers ---


@pytest.mark.parametrize("name", ["订单.csv", "订单_2026-11.csv", "orders_2026-11.csv",
                                  "店铺A-订单明细(1).csv", "Orders 2026.11.csv"])
def test_a_table_is_known_by_its_english_or_chinese_name(tmp_path, name):
    ws = imported(tmp_path, {name: ORDERS_ZH})
    assert query(ws, "SELECT order_id, amount FROM orders") == [("O1", 99.5)]


def test_chinese_names_for_every_table_of_the_contract(folder):
    d = folder({"客服名单.xlsx": xlsx({"Sheet1": [["客服ID", "姓名"], ["001", "王芳"]]}),
                "聊天记录.xlsx": xlsx({"Sheet1": [
                    ["会话ID", "时间", "发送方", "客服ID", "顾客ID"],
                    ["S1", "2026-10-05 10:00:00", "顾客", None, "C1"],
                    ["S1", "2026-10-05 10:00:30", "客服", "001", None]]}),
                "商品评价.csv": "订单号,评价\nO1,好评\n", "退款.csv": "退款编号,申请时间\nR1,2026-10-05\n",
                "考勤.csv": "客服ID,日期,状态\n001,2026-10-05,迟到\n",
                "主管评分.csv": "客服ID,考核月份,考核项,评级\n001,2026-10,attitude,优\n",
                "奖惩.csv": "客服ID,时间,类型\n001,2026-10-05,praise\n",
                "目标.csv": "月份,范围,指标,目标值\n2026-10,shop,sales,1000\n",
                "在线时长.csv": "客服ID,上线时间,下线时间\n001,2026-10-05 08:00,2026-10-05 12:00\n",
                "投诉.csv": "投诉编号,投诉时间,客服ID\nK1,2026-10-05 10:00:00,001\n",
                "评价.csv": "会话ID,满意度\nS1,非常满意\n",
                "客服绩效_2026-10.csv": "客服ID,日期,接待人数\n001,2026-10-05,12\n"},
               with_agents=False)
    issues = Shop(data=d).validate()
    assert errors(issues) == [], errors(issues)
    assert "unknown_file" not in codes(issues)


def test_a_file_whose_name_says_nothing_is_known_by_its_headers(folder):
    d = folder({"export(3).csv": ORDERS_ZH})
    issues = Shop(data=d).validate()
    assert errors(issues) == []
    (found,) = [i for i in issues if i.code == "table_from_headers"]
    assert found.file == "export(3).csv" and "orders" in found.message


def test_unknown_and_ambiguous_files_are_listed_with_the_reason(folder, cli):
    d = folder({"notes.csv": "x,y\n1,2\n", "readme.pdf": "%PDF", "订单.csv": ORDERS_ZH,
                "orders_2026-11.csv": ORDERS_ZH})
    result = cli("validate", d, "--format", "json")
    by_file = {i["file"]: i for i in issues_of(result)}
    assert by_file["notes.csv"]["code"] == "unknown_file" and "x, y" in \
        by_file["notes.csv"]["message"]
    assert by_file["readme.pdf"]["code"] == "unknown_file"
    ambiguous = [i for i in issues_of(result) if i["code"] == "ambiguous_table"]
    assert len(ambiguous) == 1 and "订单.csv" in ambiguous[0]["message"] \
        and "orders_2026-11.csv" in ambiguous[0]["message"]


# --- 2. a workbook's sheet: by table name, then by headers; errors name the sheet ---


def test_the_sheet_named_after_the_table_is_read_not_the_notes(tmp_path):
    book = xlsx({"说明": [["本表为订单导出"], ["导出时间", "2026-11-01", "操作人", "张三"]],
                 "订单明细": [["订单号", "买家", "下单时间"], ["O1", "C1", "2026-10-05 10:00:00"]]})
    ws = imported(tmp_path, {"orders.xlsx": book})
    assert query(ws, "SELECT order_id FROM orders") == [("O1",)]


def test_a_sheet_is_chosen_by_its_headers_when_no_title_says(tmp_path):
    book = xlsx({"Sheet1": [["说明：请勿修改"]],
                 "Sheet2": [["订单号", "买家", "下单时间"], ["O1", "C1", "2026-10-05 10:00:00"]]})
    ws = imported(tmp_path, {"orders.xlsx": book})
    assert query(ws, "SELECT order_id FROM orders") == [("O1",)]


def test_a_problem_on_a_sheet_names_the_sheet_and_lists_the_others(folder):
    book = xlsx({"说明": [["备注"]],
                 "订单": [["订单号", "下单时间"], ["O1", "2026-10-05 10:00:00"]]})
    (e,) = errors(Shop(data=folder({"orders.xlsx": book})).validate())
    assert e.code == "missing_column" and e.file == "orders.xlsx › 订单"
    assert "说明" in (e.hint or "")


# --- 3. timestamps: every form Excel and the platforms write, nothing else ---


@pytest.mark.parametrize("written", [
    "2026-10-05 09:03:07", "2026/10/5 9:03:07", "2026/10/05 09:03:07", "2026/10/5 9:03",
    "2026-10-05T09:03:07", "2026-10-05T09:03:07+08:00", "2026-10-05 09:03:07 +0800",
    "2026-10-05 09:03:07+0800", "2026-10-05 01:03:07Z", "2026年10月5日 9:03:07",
    "2026-10-05 09:03:07.000",
])
def test_timestamps_in_the_forms_excel_and_platforms_write(tmp_path, written):
    expected = dt.datetime(2026, 10, 5, 9, 3, 7 if written.count(":") >= 2 or "Z" in written
                           else 0, tzinfo=SHANGHAI)
    ws = imported(tmp_path, {"orders.csv": f"order_id,customer_id,created_ts\nO1,C1,{written}\n"})
    (stored,) = query(ws, "SELECT created_ts FROM orders")[0]
    assert stored == expected


@pytest.mark.parametrize(("written", "why"), [
    ("2026/10/05 9:3", "one-digit"), ("2026-10-05 24:00:00", "hours go from 0 to 23"),
    ("2026-10-05 9:3:7", "one-digit"), ("2026-11-31 10:00:00", "the day must exist"),
    ("05/10/2026 09:03", "cannot read"),
])
def test_a_time_that_is_not_complete_and_valid_is_an_error_as_written(folder, written, why):
    d = folder({"orders.csv": f"订单号,买家,下单时间\nO1,C1,{written}\n"})
    (e,) = errors(Shop(data=d).validate())
    assert (e.code, e.file, e.row, e.column) == ("bad_type", "orders.csv", 2, "下单时间")
    assert f"'{written}'" in e.message and why in e.message and e.hint


def test_times_in_messages_are_shown_as_the_file_wrote_them_not_in_utc(folder):
    d = folder({"orders.csv": "order_id,customer_id,created_ts,paid_ts\n"
                              "O1,C1,2026-10-05 10:00:00,2026-10-05 09:00:00\n"})
    (e,) = errors(Shop(data=d).validate())
    assert "2026-10-05 10:00:00" in e.message and "2026-10-05 09:00:00" in e.message


# --- 4. encodings ---


def test_utf16_without_bom_in_chinese_is_read(tmp_path):
    text = "客服ID,姓名,岗位\n001,王芳,售前\n002,赵磊,售后\n"
    for codec in ("utf-16-le", "utf-16-be"):
        assert detect_encoding(text.encode(codec)) == codec
    data = write_folder(tmp_path / "data", {"客服.csv": text.encode("utf-16-le")})
    Workspace(tmp_path / "ws.duckdb").import_folder(data)
    assert query(tmp_path / "ws.duckdb", "SELECT name FROM agents ORDER BY 1") == \
        [("王芳",), ("赵磊",)]


def test_a_big5_file_is_read_and_its_traditional_headers_understood(tmp_path):
    text = "客服ID,姓名,崗位,級別\n001,王芳,售前,高級\n002,趙磊,售後,普通\n"
    data = write_folder(tmp_path / "data", {"客服.csv": text.encode("big5")})
    Workspace(tmp_path / "ws.duckdb").import_folder(data)
    assert query(tmp_path / "ws.duckdb", "SELECT agent_id, name, role, level FROM agents "
                                         "ORDER BY 1") == [("001", "王芳", "presale", "senior"),
                                                           ("002", "趙磊", "aftersale", "junior")]


def test_an_undecodable_file_says_what_was_tried_and_suggests_encoding(folder):
    d = folder({"orders.csv": b"order_id,customer_id,created_ts\nO1,\x81\xff\xfe,x\n"})
    (e,) = errors(Shop(data=d).validate())
    assert e.row == 2 and "UTF-8" in e.message and "Big5" in e.message
    assert "--encoding" in (e.hint or "")


def test_a_bad_byte_in_a_utf8_file_names_its_line(folder):
    rows = "".join(f"O{i},顾客{i},2026-10-05 10:00:00\n" for i in range(30))
    content = ("order_id,customer_id,created_ts\n" + rows).encode()
    content = content.replace("顾客7".encode(), b"\xff\xfe7")
    (e,) = errors(Shop(data=folder({"orders.csv": content})).validate())
    assert e.row == 9 and "UTF-8" in e.message


def test_encoding_can_be_given(cli, folder):
    text = "客服ID,姓名\n001,王芳\n"
    d = folder({"客服.csv": text.encode("gbk")}, with_agents=False)
    result = cli("validate", d, "--encoding", "gbk", "--format", "json")
    assert result.exit_code == 0, result.output
    wrong = cli("validate", d, "--encoding", "klingon")
    assert wrong.exit_code == 2 and "unknown encoding" in wrong.output


# --- 5. problems name the user's header; a misspelt header gets "did you mean" ---


def test_problems_name_the_users_header(folder):
    d = folder({"订单.csv": "订单号,买家,下单时间,实付金额\nO1,C1,2026-10-05 10:00,abc\n"})
    (e,) = errors(Shop(data=d).validate())
    assert e.column == "实付金额"


def test_a_misspelt_header_gets_did_you_mean(folder):
    d = folder({"客服.csv": "客服1D,姓名\n001,王芳\n"}, with_agents=False)
    (e,) = errors(Shop(data=d).validate())
    assert e.code == "missing_column" and "客服1D" in e.message and "客服ID" in e.message


# --- Chinese values of every enum, money, duplicates ---


def test_levels_are_stored_as_junior_senior_lead(tmp_path):
    data = write_folder(tmp_path / "data", {"客服.csv": "客服ID,级别\n001,高级\n002,普通\n"
                                                      "003,组长\n004,专家\n"})
    Workspace(tmp_path / "ws.duckdb").import_folder(data)
    assert query(tmp_path / "ws.duckdb", "SELECT level FROM agents ORDER BY agent_id") == [
        ("senior",), ("junior",), ("lead",), ("专家",)]


def test_every_chinese_value_the_contract_lists_is_accepted(folder):
    d = folder({
        "客服.csv": "客服ID,岗位,级别,在职\n001,售前,普通,是\n002,售后,高级,否\n003,组长,组长,是\n",
        "考勤.csv": "客服ID,日期,状态\n001,2026-10-05,迟到\n001,2026-10-06,请假\n"
                   "001,2026-10-07,旷工\n001,2026-10-08,出勤\n",
        "商品评价.csv": "订单号,评价\nO1,好评\nO2,中评\nO3,差评\n",
        "主管评分.csv": "客服ID,考核月份,考核项,评级\n001,2026-10,a,优\n001,2026-10,b,良\n"
                     "001,2026-10,c,中\n001,2026-10,d,差\n",
        "评价.csv": "会话ID,满意度\nS1,非常满意\nS2,满意\nS3,一般\nS4,不满意\nS5,非常不满意\n",
        "聊天记录.csv": "会话ID,时间,发送方,客服ID,顾客ID\n" + "".join(
            f"S{i},2026-10-05 10:00:0{i},顾客,,C{i}\nS{i},2026-10-05 10:00:3{i},客服,001,\n"
            for i in range(1, 6)),
    }, with_agents=False)
    assert errors(Shop(data=d).validate()) == []


def test_money_is_read_alike_in_every_table(tmp_path):
    ws = imported(tmp_path, {
        "orders.csv": 'order_id,customer_id,created_ts,amount\nO1,C1,2026-10-05 10:00,"￥10,000.00"\n'
                      "O2,C2,2026-10-05 10:00,１２３.００\n",
        "agent_metrics.csv": '客服ID,日期,客服销售额\n001,2026-10-05,"￥10,000.00"\n'
                             "002,2026-10-05,１２３.００\n"})
    assert query(ws, "SELECT amount FROM orders ORDER BY 1") == [(123,), (10000,)]
    assert query(ws, "SELECT sales FROM agent_metrics ORDER BY 1") == [(123.0,), (10000.0,)]


def test_rows_of_a_table_without_key_are_never_lost_silently(tmp_path, folder):
    reviews = "订单号,评价,评价内容\n" + "O1,好评,很好\n" * 4
    issues = Shop(data=folder({"商品评价.csv": reviews})).validate()
    (kept,) = [i for i in issues if i.code == "identical_rows"]
    assert "3, 4, 5" in kept.message
    ws = imported(tmp_path, {"商品评价.csv": reviews})
    assert query(ws, "SELECT count(*) FROM reviews") == [(4,)]
    msgs = ("session_id,ts,sender,customer_id\n" + "S1,2026-10-05 10:00:00,customer,C1\n" * 3)
    (dropped,) = [i for i in Shop(data=folder({"messages.csv": msgs})).validate()
                  if i.code == "duplicate_row"]
    assert "rows 3, 4" in dropped.message and dropped.row == 3


# --- demo-data and demo never overwrite a folder ---


def test_demo_data_refuses_a_folder_that_is_not_empty(cli, tmp_path):
    out = tmp_path / "taobao"
    out.mkdir()
    (out / "orders.csv").write_text("real export")
    result = cli("demo-data", "--out", out, "--agents", "2", "--days", "1")
    assert result.exit_code == 2 and "not empty" in result.output
    assert (out / "orders.csv").read_text() == "real export"
    forced = cli("demo-data", "--out", out, "--agents", "2", "--days", "1", "--force")
    assert forced.exit_code == 0
    ws = tmp_path / "ws.duckdb"
    ws.write_bytes(b"mine")
    demo = cli("demo", "--out", tmp_path / "new", "--workspace", ws, "--agents", "2",
               "--days", "1")
    assert demo.exit_code == 2 and ws.read_bytes() == b"mine"


# --- 6. sessions from exports without session ids ---

STREAM = """\
时间,发送方,客服ID,顾客ID
2026-10-05 09:00:00,顾客,,C1
2026-10-05 09:03:50,客服,001,C1
2026-10-05 09:10:00,顾客,,C1
2026-10-05 09:10:20,客服,001,C1
2026-10-05 14:00:00,顾客,,C1
2026-10-05 14:01:00,客服,001,C1
2026-10-05 14:02:00,顾客,,C2
2026-10-05 14:02:30,客服,002,C2
"""


def test_messages_without_session_ids_are_cut_by_the_gap(tmp_path, cli):
    data = write_folder(tmp_path / "data", {"agents.csv": AGENTS_CSV, "聊天记录.csv": STREAM})
    checked = cli("validate", data, "--format", "json")
    (cut,) = [i for i in issues_of(checked) if i["code"] == "sessions_cut"]
    assert "3 sessions" in cut["message"] and "30 minutes" in cut["message"]
    ws = tmp_path / "ws.duckdb"
    assert cli("import", data, "-w", ws).exit_code == 0
    found = query(ws, "SELECT agent_id, customer_id, count(*) FROM sessions "
                      "GROUP BY ALL ORDER BY ALL")
    assert found == [("001", "C1", 2), ("002", "C2", 1)]
    first = query(ws, "SELECT min(start_ts) FROM sessions WHERE agent_id = '001'")[0][0]
    assert first == dt.datetime(2026, 10, 5, 9, 0, tzinfo=SHANGHAI)
    # a shorter gap cuts more
    ws2 = tmp_path / "ws2.duckdb"
    assert cli("import", data, "-w", ws2, "--set", "session_gap_min=5").exit_code == 0
    assert query(ws2, "SELECT count(*) FROM sessions") == [(4,)]


def test_a_folder_computation_cuts_sessions_by_the_profile_s_gap(tmp_path, cli):
    """metrics --data cuts the sessions by the same settings as an import (it used the
    default 30 minutes whatever --set said)."""
    data = write_folder(tmp_path / "data", {"agents.csv": AGENTS_CSV, "聊天记录.csv": STREAM})

    def sessions(*sets: str) -> dict[str, int]:
        result = cli("metrics", "--data", data, "--from", "2026-10-05", "--to", "2026-10-05",
                     "--format", "json", *sets)
        assert result.exit_code == 0, result.output
        return {r["agent_id"]: r["sessions"] for r in json.loads(result.stdout)}

    # 30 min: 001's C1 at 9:00-9:10 then 14:00 (a 4 h 50 min pause) -> 2; 002's C2 -> 1
    assert sessions() == {"001": 2, "002": 1}
    # 5 min: 9:03:50 -> 9:10:00 is 6 min 10 s apart, a third session for 001
    assert sessions("--set", "session_gap_min=5") == {"001": 3, "002": 1}
    # 6 h: 001's messages are one session
    assert sessions("--set", "session_gap_min=360") == {"001": 1, "002": 1}


def test_a_session_resumed_days_later_can_be_split(tmp_path, cli):
    thread = ("session_id,ts,sender,agent_id,customer_id\n"
              "T1,2026-10-01 10:00:00,customer,,C1\nT1,2026-10-01 10:02:00,agent,001,\n"
              "T1,2026-10-12 10:07:32,customer,,C1\nT1,2026-10-12 10:08:00,agent,001,\n")
    data = write_folder(tmp_path / "data", {"agents.csv": AGENTS_CSV, "messages.csv": thread})
    ws = tmp_path / "ws.duckdb"
    result = cli("import", data, "-w", ws, "--set", "split_resumed_after_h=24", "--format", "json")
    assert result.exit_code == 0, result.output
    assert any(i["code"] == "sessions_split" for i in json.loads(result.stdout)["issues"])
    assert query(ws, "SELECT session_id FROM sessions ORDER BY 1") == [("T1",), ("T1~2",)]
    spans = query(ws, "SELECT max(epoch(end_ts) - epoch(start_ts)) FROM sessions")[0][0]
    assert spans < 3600  # no session spans the 11 days any more


# --- 7. validate against a workspace ---


def test_validate_checks_a_later_month_against_the_workspace(tmp_path, cli):
    ws = imported(tmp_path, {})
    later = write_folder(tmp_path / "november", {
        "orders.csv": "order_id,customer_id,created_ts,agent_id\nO1,C1,2026-11-05 10:00,001\n"})
    alone = cli("validate", later, "--format", "json")
    assert any(i["code"] == "missing_table" for i in issues_of(alone))
    against = cli("validate", later, "-w", ws, "--format", "json")
    assert against.exit_code == 0, against.output
    bad = write_folder(tmp_path / "bad", {
        "orders.csv": "order_id,customer_id,created_ts,agent_id\nO1,C1,2026-11-05 10:00,099\n"})
    refused = cli("validate", bad, "-w", ws, "--format", "json")
    assert refused.exit_code == 1
    assert [i["code"] for i in issues_of(refused) if i["level"] == "error"] == ["unknown_agent"]


def test_import_with_a_wrong_folder_keeps_the_workspace(tmp_path):
    ws = imported(tmp_path, {})
    with pytest.raises(ValidationFailed):
        Workspace(ws).import_folder(write_folder(tmp_path / "x", {"订单.csv": "订单号\nO1\n"}))


def test_a_new_workspace_typed_in_place_has_the_tables_an_import_into_it_makes(tmp_path):
    """A new workspace's tables are typed straight into it (no copy); they must be exactly
    what table_ddl makes for a later import: names, types, order, defaults."""
    import duckdb

    from cskpi.data.schema import TABLES
    from cskpi.store.workspace import table_ddl

    files = {"sessions.csv": "session_id,customer_id,agent_id,start_ts\nS1,C1,001,"
                             "2026-10-05 10:00:00\n",
             "orders.xlsx": xlsx({"订单": [["订单号", "买家", "下单时间", "实付金额"],
                                           ["O1", "C1", "2026-10-05 10:00:00", "￥12.00"]]})}
    ws = imported(tmp_path, files)
    expected = duckdb.connect()
    for table in TABLES.values():
        expected.execute(table_ddl(table))

    def columns(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[object, ...]]:
        return con.execute("SELECT column_name, data_type, is_nullable, column_default "
                           "FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                           [name]).fetchall()

    made = duckdb.connect(str(ws), read_only=True)
    for name in ("agents", "sessions", "orders"):
        assert columns(made, name) == columns(expected, name), name
    made.close()
    # the next import (not in place) appends to them, sessions' derived by default
    later = write_folder(tmp_path / "later", {
        "sessions.csv": "session_id,customer_id,agent_id,start_ts\nS2,C2,002,2026-10-06 10:00\n"})
    Workspace(ws).import_folder(later)
    assert query(ws, "SELECT session_id, derived, _import_id FROM sessions ORDER BY 1") == [
        ("S1", False, 1), ("S2", False, 2)]
