"""Hostile and broken files (issue #15): nothing is read, run or crashed by what a file holds.

Every case goes through the command line as a user would run it (``cskpi validate`` and
``cskpi import``): the exit code is 1 or 2, the message names the file (and the row where
it is known), no traceback is printed, and a refused import writes no workspace.
"""

from __future__ import annotations

import codecs
import io
import json
import time
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cskpi.cli.main import app
from cskpi.data.readers import read_file
from cskpi.data.schema import TABLES
from cskpi.shop import Shop
from tests.helpers.common import write_folder

SECRET = "TOP-SECRET-7c1f"


def cli(*args: object) -> Any:
    """Run the CLI in-process; a crash (any exception but an exit) fails the test."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    crash = None if isinstance(result.exception, SystemExit | None) else result.exception
    assert crash is None, "".join(traceback.format_exception(crash))
    assert "Traceback" not in result.output
    return result


def refused(folder: Path, file: str, tmp_path: Path) -> list[dict[str, Any]]:
    """validate and import both refuse ``folder`` with errors naming ``file``; the errors."""
    shown = cli("validate", folder)
    assert shown.exit_code == 1, shown.output
    assert file in shown.output
    checked = cli("validate", folder, "--format", "json")
    assert checked.exit_code == 1
    errors = [i for i in json.loads(checked.stdout)["issues"] if i["level"] == "error"]
    assert any(i["file"] == file for i in errors), errors
    ws = tmp_path / "refused.duckdb"
    imported = cli("import", folder, "--workspace", ws)
    assert imported.exit_code == 1, imported.output
    assert file in imported.output
    assert not ws.exists()
    return [i for i in errors if i["file"] == file]


def stored(ws: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(ws), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def parquet_bytes(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


# --- SQL built from names in a file ----------------------------------------------------------


def crafted_names(secret_file: Path) -> list[str]:
    """Column names that closed the quotes of ``CAST("{name}" AS VARCHAR)`` in the old
    reader: the second makes the agents' name column the content of ``secret_file``."""
    read = f"(SELECT content FROM read_text('{secret_file}'))"
    return [
        f'x" AS c0, {read} AS "y',
        f'agent_id" AS VARCHAR) AS c1, {read} AS c2, file_row_number + 2 AS _row --',
    ]


@pytest.fixture
def exploit(tmp_path: Path) -> Path:
    """A Parquet agents file whose column names are SQL reading a local file."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    first, second = crafted_names(secret)
    table = pa.Table.from_arrays([pa.array(["A1"]), pa.array(["x"]), pa.array(["Bob"]),
                                  pa.array(["y"])], names=["agent_id", second, "name", first])
    return write_folder(tmp_path / "data", {"agents.parquet": parquet_bytes(table)})


def test_a_parquet_column_name_is_never_sql_import(exploit: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws.duckdb"
    result = cli("import", exploit, "--workspace", ws, "--format", "json")
    assert result.exit_code == 0, result.output
    # the columns are read by position: the real ones as they are, the crafted ones ignored
    assert stored(ws, "SELECT agent_id, name FROM agents") == [("A1", "Bob")]
    assert SECRET not in repr(stored(ws, "SELECT * FROM agents"))
    unknown = [i for i in json.loads(result.stdout)["issues"] if i["code"] == "unknown_column"]
    assert len(unknown) == 1 and unknown[0]["file"] == "agents.parquet"


def test_a_parquet_column_name_is_never_sql_validate_and_check(tmp_path: Path) -> None:
    """Read into the role column, the file's content came back in the error message
    ("'…' is not a valid role"): on the command line and on the web app's check page."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    _, crafted = crafted_names(secret)
    table = pa.Table.from_arrays([pa.array(["A1"]), pa.array(["x"]), pa.array(["presale"])],
                                 names=["agent_id", crafted, "role"])
    d = write_folder(tmp_path / "data", {"agents.parquet": parquet_bytes(table)})
    result = cli("validate", d, "--format", "json")
    assert result.exit_code == 0 and SECRET not in result.stdout
    # the web app's Data page checks an upload with Shop.check_import
    check = Shop(tmp_path / "none.duckdb").check_import(d)
    assert check.ok and SECRET not in repr(check.issues)


@pytest.mark.parametrize("lazy", [True, False])
def test_a_parquet_column_name_is_never_sql_staged(exploit: Path, tmp_path: Path,
                                                   lazy: bool) -> None:
    con = duckdb.connect()
    raw = read_file(con, TABLES["agents"], exploit / "agents.parquet", "stage", tmp_path,
                    lazy=lazy)
    assert raw.ok, raw.issues
    source = raw.source if lazy else "stage"
    staged = con.execute(f"SELECT * FROM {source}").fetchall()
    assert staged == [("A1", "x", "Bob", "y", 2)]
    assert SECRET not in repr(staged)


def test_quotes_in_parquet_column_names(folder: Callable[..., Path], tmp_path: Path) -> None:
    table = pa.table({"agent_id": ["A1"], 'na"me': ["x"], "name": ['Bo"b']})
    d = folder({"agents.parquet": parquet_bytes(table)}, with_agents=False)
    ws = tmp_path / "ws.duckdb"
    assert cli("import", d, "--workspace", ws).exit_code == 0
    assert stored(ws, "SELECT agent_id, name FROM agents") == [("A1", 'Bo"b')]


def test_a_folder_name_is_not_a_glob(tmp_path: Path) -> None:
    """``read_parquet('shop*/agents.parquet')`` also read every sibling folder's file."""
    write_folder(tmp_path / "shop-old", {
        "agents.parquet": parquet_bytes(pa.table({"agent_id": ["OLD"]}))})
    d = write_folder(tmp_path / "shop*", {
        "agents.parquet": parquet_bytes(pa.table({"agent_id": ["NEW"]}))})
    ws = tmp_path / "ws.duckdb"
    assert cli("import", d, "--workspace", ws).exit_code == 0
    assert stored(ws, "SELECT agent_id FROM agents") == [("NEW",)]


# --- text that is not what it claims -------------------------------------------------------


def test_utf8_bom_then_an_invalid_byte(folder: Callable[..., Path], tmp_path: Path) -> None:
    d = folder({"agents.csv": codecs.BOM_UTF8 + b"agent_id,name\nA1,\xff\xfeBob\n"})
    (error,) = refused(d, "agents.csv", tmp_path)
    assert error["code"] == "bad_encoding" and "line 2" in error["message"]


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, b""], ids=["bom", "no-bom"])
def test_utf16_with_an_odd_number_of_bytes(folder: Callable[..., Path], tmp_path: Path,
                                           bom: bytes) -> None:
    text = "agent_id,name\nA1,王芳\nA2,赵磊\n".encode("utf-16-le")
    d = folder({"agents.csv": bom + text + b"A"})
    (error,) = refused(d, "agents.csv", tmp_path)
    assert error["code"] == "truncated_text"


def test_cr_only_line_endings_with_quotes_are_read(folder: Callable[..., Path],
                                                   tmp_path: Path) -> None:
    """Old Mac exports end lines with a lone CR: DuckDB reads them; the header sniffing
    did not (csv: "new-line character seen in unquoted field")."""
    d = folder({"agents.csv": b'agent_id,name,role\r"A1","Ann, X",presale\r'
                              b'"A2","B""ob",aftersale\r'})
    ws = tmp_path / "ws.duckdb"
    result = cli("import", d, "--workspace", ws)
    assert result.exit_code == 0, result.output
    assert stored(ws, "SELECT agent_id, name, role FROM agents ORDER BY 1") == [
        ("A1", "Ann, X", "presale"), ("A2", 'B"ob', "aftersale")]


def test_cr_only_line_endings_with_a_quote_left_open(folder: Callable[..., Path],
                                                     tmp_path: Path) -> None:
    d = folder({"agents.csv": b'agent_id,name,role\r"A1","Ann\rX",presale\r"A2","Bob\r'})
    errors = refused(d, "agents.csv", tmp_path)
    assert [(e["code"], e["row"]) for e in errors] == [("bad_quotes", 3)]


@pytest.mark.parametrize("quoted", [False, True])
def test_a_header_field_over_131072_characters(folder: Callable[..., Path], tmp_path: Path,
                                               quoted: bool) -> None:
    """Python's csv refuses fields over 131,072 characters with an exception."""
    long = b"x" * 140_000
    long = b'"' + long + b'"' if quoted else long
    d = folder({"agents.csv": b"agent_id,name," + long + b"\nA1,Ann,z\n"})
    (error,) = refused(d, "agents.csv", tmp_path)
    assert (error["code"], error["row"]) == ("header_too_long", 1)
    assert "column 3" in error["message"] and "140000" in error["message"]


def test_an_unbalanced_quote_names_its_row(folder: Callable[..., Path], tmp_path: Path) -> None:
    d = folder({"agents.csv": b'agent_id,name\nA1,Ann\nA2,"Bob\nA3,Cy\n'})
    errors = refused(d, "agents.csv", tmp_path)
    assert [(e["code"], e["row"]) for e in errors] == [("bad_quotes", 3)]


def test_invalid_utf8_after_the_sniffed_megabyte(folder: Callable[..., Path],
                                                 tmp_path: Path) -> None:
    rows = "A1,王芳\n" * 120_000  # 1.2 MB: the encoding is sniffed from the first 1 MiB
    d = folder({"agents.csv": ("agent_id,name\n" + rows).encode() + b"A2,\xff\n"})
    errors = refused(d, "agents.csv", tmp_path)
    assert [(e["code"], e["row"]) for e in errors] == [("bad_utf8_row", 120_002)]


# --- damaged workbooks ---------------------------------------------------------------------


def workbook() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "agents"
    ws.append(["agent_id", "name"])
    ws.append(["A1", "Ann"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rezip(change: Callable[[str, bytes], bytes | None]) -> bytes:
    """The workbook with each part changed (None: left out)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook())) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = change(name, src.read(name))
            if data is not None:
                dst.writestr(name, data)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def with_dtd(dtd: bytes, entity: bytes) -> Callable[[str, bytes], bytes | None]:
    def change(name: str, data: bytes) -> bytes:
        if name != SHEET:
            return data
        body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
        return b'<?xml version="1.0"?>' + dtd + body.replace(b"<v>", b"<v>" + entity, 1)

    return change


LAUGHS = (b'<!DOCTYPE x [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')


@pytest.mark.parametrize("content", [
    pytest.param(b"not a zip at all", id="not-a-zip"),
    pytest.param(b"PK\x03\x04" + bytes(range(256)) * 4, id="bad-zip"),
    pytest.param(rezip(lambda n, d: d[: len(d) // 2] if n == SHEET else d), id="bad-sheet-xml"),
    pytest.param(rezip(lambda n, d: d[: len(d) // 2] if n == "xl/workbook.xml" else d),
                 id="bad-workbook-xml"),
    pytest.param(rezip(lambda n, d: None if n == SHEET else d), id="missing-sheet"),
    pytest.param(rezip(lambda n, d: None if n == "xl/workbook.xml" else d),
                 id="missing-workbook"),
    pytest.param(rezip(lambda n, d: None if n == "[Content_Types].xml" else d),
                 id="missing-content-types"),
    pytest.param(rezip(with_dtd(LAUGHS, b"&c;")), id="entity-expansion"),
    pytest.param(rezip(lambda n, d: LAUGHS + d if n == "xl/workbook.xml" else d),
                 id="dtd-in-workbook"),
])
def test_damaged_workbooks(folder: Callable[..., Path], tmp_path: Path, content: bytes) -> None:
    d = folder({"agents.xlsx": content}, with_agents=False)
    errors = refused(d, "agents.xlsx", tmp_path)
    assert errors


def test_an_external_entity_is_never_read(folder: Callable[..., Path], tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    dtd = f'<!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]>'.encode()
    d = folder({"agents.xlsx": rezip(with_dtd(dtd, b"&s;"))}, with_agents=False)
    (error,) = refused(d, "agents.xlsx", tmp_path)
    assert error["code"] == "xlsx_dtd" and SECRET not in json.dumps(error)


def test_entities_are_refused_even_without_defusedxml(folder: Callable[..., Path],
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The package check holds where openpyxl was told not to use defusedxml."""
    from xml.etree import ElementTree

    monkeypatch.setattr("openpyxl.worksheet._reader.iterparse", ElementTree.iterparse)
    d = folder({"agents.xlsx": rezip(with_dtd(LAUGHS, b"&c;"))}, with_agents=False)
    (error,) = refused(d, "agents.xlsx", tmp_path)
    assert error["code"] == "xlsx_dtd"


# --- damaged Parquet -----------------------------------------------------------------------


def agents_parquet(n: int = 1000) -> bytes:
    return parquet_bytes(pa.table({"agent_id": [f"A{i}" for i in range(n)],
                                   "name": [f"name {i}" for i in range(n)]}))


def damaged_pages() -> bytes:
    data = agents_parquet()
    middle = len(data) // 2  # the data pages; the footer at the end stays readable
    return data[:100] + bytes(b ^ 0x5A for b in data[100:middle]) + data[middle:]


@pytest.mark.parametrize(("content", "code"), [
    pytest.param(damaged_pages(), "unreadable_parquet", id="damaged-pages"),
    pytest.param(agents_parquet()[:-20], "not_text", id="truncated"),
    pytest.param(parquet_bytes(pa.table({"agent_id": ["A1"], "file_row_number": [3]})),
                 "reserved_column", id="reserved-column"),
])
def test_damaged_parquet(folder: Callable[..., Path], tmp_path: Path, content: bytes,
                         code: str) -> None:
    d = folder({"agents.parquet": content}, with_agents=False)
    errors = refused(d, "agents.parquet", tmp_path)
    assert [e["code"] for e in errors] == [code]
    assert str(d) not in json.dumps(errors)  # the file by its name, not the server's path


@pytest.mark.slow  # a large file: ten thousand columns written and read
def test_ten_thousand_parquet_columns(folder: Callable[..., Path], tmp_path: Path) -> None:
    """Staging 10,000 columns ran out of the connection's 1.2 GB memory (a traceback)."""
    wide = pa.table({"agent_id": ["A1"], **{f"x{i}": ["v"] for i in range(10_000)}})
    d = folder({"agents.parquet": parquet_bytes(wide)}, with_agents=False)
    started = time.perf_counter()
    (error,) = refused(d, "agents.parquet", tmp_path)
    assert (error["code"], error["row"]) == ("too_many_columns", 1)
    assert "10001" in error["message"]
    assert time.perf_counter() - started < 30


# --- rows far wider than their header --------------------------------------------------------


def test_rows_far_wider_than_the_header(folder: Callable[..., Path], tmp_path: Path) -> None:
    """300 KB: a header of 3 columns, then rows of 3,000 fields.  DuckDB's rejects table
    stored one entry per surplus field, each with the whole line: 85 s and 4.45 GB."""
    wide = ",".join(["x"] * 3000)
    d = folder({"agents.csv": "agent_id,name,role\n" + (wide + "\n") * 50})
    started = time.perf_counter()
    errors = refused(d, "agents.csv", tmp_path)
    assert time.perf_counter() - started < 30  # generous: it takes about a second
    assert (errors[0]["code"], errors[0]["row"]) == ("bad_csv_row", 2)
    assert "3000" in errors[0]["message"]
    assert errors[-1]["code"] == "more_bad_rows" and "30 more" in errors[-1]["message"]


def test_a_quote_left_open_does_not_make_one_endless_row(folder: Callable[..., Path],
                                                         tmp_path: Path) -> None:
    rows = "".join(f"A{i},name {i}\n" for i in range(200_000))  # 3 MB after the quote
    d = folder({"agents.csv": 'agent_id,name\nA0,"open\n' + rows})
    errors = refused(d, "agents.csv", tmp_path)
    assert [(e["code"], e["row"]) for e in errors] == [("row_too_long", 2)]


def test_a_stray_carriage_return_names_its_row(folder: Callable[..., Path],
                                               tmp_path: Path) -> None:
    """DuckDB reports this one without a line ("the CSV Parser state machine reached an
    invalid state"): the row scan still finds it."""
    d = folder({"agents.csv": b"agent_id,name,role\nA1,Ann,presale\nA2,Bo\r"})
    errors = refused(d, "agents.csv", tmp_path)
    assert [(e["code"], e["row"]) for e in errors] == [("bad_csv_row", 3)]


def test_the_messages_are_in_the_users_language(folder: Callable[..., Path]) -> None:
    d = folder({"agents.csv": codecs.BOM_UTF16_LE + "agent_id\nA1\n".encode("utf-16-le")
                + b"A"})
    result = cli("validate", d, "--lang", "zh")
    assert result.exit_code == 1
    assert "agents.csv" in result.output and "UTF-16 文本在第 3 行的一个字符中间结束" in result.output


@pytest.mark.parametrize(("head", "refused"), [
    (b'<?xml version="1.0"?><worksheet/>', False),
    (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- a comment --><worksheet/>', False),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><worksheet/>', True),
    (b"<!-- <worksheet> --><!ENTITY a 'b'><worksheet/>", True),
    ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><w/>'.encode("utf-16"), True),
    (b"<?xml version='1.0'?>" + b" " * (64 << 10), True),  # a prolog padded past the check
])
def test_a_dtd_is_found_before_the_root_element(head: bytes, refused: bool) -> None:
    from cskpi.data.xlsx_parts import PROLOG_BYTES, declares_dtd

    assert declares_dtd(head[:PROLOG_BYTES]) is refused
