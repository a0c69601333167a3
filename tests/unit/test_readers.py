"""Reading files: encodings, delimiters, formats, and files that are not tables."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cskpi.data.readers import NotText, detect_encoding, read_file, sniff_delimiter
from cskpi.data.schema import TABLES

ZH_AGENTS = "客服ID,姓名,岗位,组别,级别\n007,王芳,售前,一组,高级\n008,赵磊,售后,二组,普通\n"


def read(tmp_path: Path, name: str, content: bytes, table: str = "agents"):
    path = tmp_path / name
    path.write_bytes(content)
    con = duckdb.connect()
    raw = read_file(con, TABLES[table], path, "stage", tmp_path)
    data = []
    if raw.ok and raw.headers:
        select = "*" if raw.row_expr == "_row" else f"*, {raw.row_expr} AS _row"
        data = con.execute(f"SELECT {select} FROM stage ORDER BY _row").fetchall()
    return raw, data


@pytest.mark.parametrize(
    ("encoding", "expected_name"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8 (BOM)"), ("gbk", "gb18030"),
     ("gb18030", "gb18030"), ("utf-16", "utf-16")],
)
def test_chinese_headers_in_every_encoding_read_the_same(tmp_path, encoding, expected_name):
    raw, data = read(tmp_path, "agents.csv", ZH_AGENTS.encode(encoding))
    assert raw.ok, raw.issues
    assert raw.encoding == expected_name
    assert raw.headers == ["客服ID", "姓名", "岗位", "组别", "级别"]
    # ids stay strings with their leading zeros; rows numbered as a spreadsheet does
    assert [r[0] for r in data] == ["007", "008"]
    assert data[0][1] == "王芳" and data[1][2] == "售后"
    assert [r[-1] for r in data] == [2, 3]


def test_utf16_without_bom_is_detected():
    sample = "agent_id,name\n001,王芳\n".encode("utf-16-le")
    assert detect_encoding(sample) == "utf-16-le"


def test_utf8_text_cut_inside_a_character_is_still_utf8():
    sample = "客服ID,姓名\n".encode()  # 3-byte characters
    assert detect_encoding(sample[:4]) == "utf-8"


@pytest.mark.parametrize(("line", "delim"), [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"),
                                             ("single", ",")])
def test_delimiter_sniffed_from_header(line, delim):
    assert sniff_delimiter(line) == delim


@pytest.mark.parametrize("delim", [";", "\t"])
def test_semicolon_and_tab_files(tmp_path, delim):
    text = f"agent_id{delim}name{delim}role\n001{delim}A{delim}presale\n"
    raw, data = read(tmp_path, "agents.csv", text.encode())
    assert raw.delimiter == delim
    assert data[0][:3] == ("001", "A", "presale")


def test_quoted_field_with_delimiter_and_newline(tmp_path):
    text = 'agent_id,name\n001,"Wang, Fang\nsecond line"\n002,B\n'
    raw, data = read(tmp_path, "agents.csv", text.encode())
    assert data[0][1] == "Wang, Fang\nsecond line"
    assert [r[-1] for r in data] == [2, 3]  # one spreadsheet row per record


def test_binary_file_renamed_csv_is_rejected(tmp_path):
    blob = bytes(range(256)) * 64
    raw, _ = read(tmp_path, "agents.csv", blob)
    assert not raw.ok
    assert raw.issues[0].code == "not_text"
    assert raw.issues[0].file == "agents.csv"


def test_binary_detection_raises_not_text():
    with pytest.raises(NotText):
        detect_encoding(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")


def test_empty_file_is_an_error(tmp_path):
    raw, _ = read(tmp_path, "agents.csv", b"")
    assert [i.code for i in raw.issues] == ["empty_file"]
    assert raw.issues[0].level == "error"


def test_header_only_is_a_warning_not_an_error(tmp_path):
    raw, data = read(tmp_path, "agents.csv", b"agent_id,name\n")
    assert raw.ok and data == []
    assert [i.code for i in raw.issues] == ["no_rows"]


def test_row_with_too_many_fields_is_named(tmp_path):
    raw, _ = read(tmp_path, "agents.csv", b"agent_id,name\n001,A\n002,B,extra\n003,C\n")
    assert not raw.ok
    bad = [i for i in raw.issues if i.code == "bad_csv_row"]
    assert len(bad) == 1 and bad[0].row == 3 and "too many fields" in bad[0].message


def test_xlsx_dates_serials_and_numbers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "orders"
    ws.append(["order_id", "customer_id", "created_ts", "amount"])
    ws.append(["0001", "C1", dt.datetime(2026, 10, 3, 14, 5, 9), 99.9])
    ws.append(["0002", "C2", 46298.5, 100])  # a serial number, not formatted as a date
    wb.save(tmp_path / "orders.xlsx")
    con = duckdb.connect()
    raw = read_file(con, TABLES["orders"], tmp_path / "orders.xlsx", "stage", tmp_path)
    assert raw.ok, raw.issues
    data = con.execute("SELECT * FROM stage ORDER BY _row").fetchall()
    assert data == [("0001", "C1", "2026-10-03 14:05:09", "99.9", 2),
                    ("0002", "C2", "46298.5", "100", 3)]


def test_xlsx_sheet_named_after_the_table_wins(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["this sheet is notes"])
    ws = wb.create_sheet("agents")
    ws.append(["agent_id"])
    ws.append(["001"])
    wb.save(tmp_path / "agents.xlsx")
    con = duckdb.connect()
    raw = read_file(con, TABLES["agents"], tmp_path / "agents.xlsx", "stage", tmp_path)
    assert raw.headers == ["agent_id"]
    assert con.execute("SELECT c0 FROM stage").fetchall() == [("001",)]


def test_garbage_xlsx_is_rejected(tmp_path):
    raw, _ = read(tmp_path, "agents.xlsx", b"not a zip at all")
    assert raw.issues[0].code == "not_text"


def test_parquet_is_read_with_row_numbers(tmp_path):
    pq.write_table(pa.table({"agent_id": ["001", "002"], "name": ["A", None]}),
                   tmp_path / "agents.parquet")
    con = duckdb.connect()
    raw = read_file(con, TABLES["agents"], tmp_path / "agents.parquet", "stage", tmp_path)
    assert raw.headers == ["agent_id", "name"]
    assert con.execute("SELECT * FROM stage ORDER BY _row").fetchall() == [
        ("001", "A", 2), ("002", None, 3)]


def test_bom_is_not_part_of_the_first_header(tmp_path):
    raw, _ = read(tmp_path, "agents.csv", codecs.BOM_UTF8 + b"agent_id,name\n001,A\n")
    assert raw.headers[0] == "agent_id"
