"""Reading shop exports into DuckDB staging tables, as text.

Every file becomes a temporary table of VARCHAR columns ``c0 … cN`` plus ``_row``, the
row number as a spreadsheet shows it (header = row 1), or, read lazily, the query that
the typing step selects such columns from.  Typing and checks happen afterwards in SQL
(see :mod:`cskpi.data.validate`), so a bad cell is reported with its row instead of
failing the whole read.

Encodings are detected, never asked for: UTF-8 (with or without BOM), UTF-16 (BOM or
NUL pattern) and GBK/GB18030.  Files that are not UTF-8 are transcoded to a temporary
UTF-8 file in fixed-size chunks, so a 1 GB export streams in bounded memory.

A file is data, never code: nothing it holds reaches SQL as text (columns are named
``c0 … cN``, a Parquet file's are selected by position, paths are bound or quoted), and
a damaged or hostile file is reported as an error naming the file, and the row where it
is known, instead of crashing.  Every way a reader can fail on content becomes a
:class:`~cskpi.data.problems.FileProblem`, and the work per row and per column is capped.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import Issue
from .csv_scan import allow_long_fields, scan_rows
from .encodings import (
    NotText,
    codec_of,
    decode_prefix,
    detect_encoding,
    transcode_to_utf8,
)
from .problems import FileProblem, clip, describe
from .schema import Table
from .sql import file_path, ident, lit, one, rows, run
from .tables import SUFFIXES, find_table_files, tables_named
from .xlsx_parts import check_parts

__all__ = ["SUFFIXES", "NotText", "RawFile", "detect_encoding", "find_table_files",
           "peek_headers", "read_file", "sniff_delimiter"]

SNIFF_BYTES = 1 << 20
XLSX_BATCH = 50_000
# a workbook's header row is looked for in its first rows (a title row may come first)
HEADER_SEARCH_ROWS = 20
# A row (quoted line breaks included) longer than this is refused, by DuckDB's reader and
# by the row scan alike, so that no row costs more; a chat message is a few KB at most.
MAX_ROW_BYTES = 2 << 20
# Exports have tens of columns.  Every column costs the readers buffers (a Parquet file
# of 10,000 columns needed more than the 1.2 GB memory limit), so more are refused.
MAX_COLUMNS = 1000
# A header names a column: a first-row cell longer than this means there is no header.
MAX_HEADER_CHARS = 1000
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CSV_ERROR_LINE = re.compile(r"CSV Error on Line: (\d+)")


@dataclass
class RawFile:
    """A file read into a staging table, before typing."""

    table: Table
    path: Path
    stage: str  # name of the temp table with c0..cN and _row
    headers: list[str] = field(default_factory=list)
    rows: int = 0
    # SQL for the spreadsheet row number: a CSV stage keeps file order in its rowid
    # (insertion order is preserved), so the header is row 1 and rowid 0 is row 2.
    row_expr: str | None = "_row"
    # read lazily: the query (read_csv(...), or a selection from read_parquet(...)) the
    # typing step selects c0..cN from directly, instead of a staging table
    source: str | None = None
    text_path: Path | None = None  # a CSV's text as UTF-8 (the file, or its transcoding)
    encoding: str | None = None
    delimiter: str | None = None
    issues: list[Issue] = field(default_factory=list)
    sheet: str | None = None  # a workbook's sheet read
    sheets: tuple[str, ...] = ()  # every sheet of the workbook

    @property
    def ok(self) -> bool:
        return not any(i.is_error for i in self.issues)

    @property
    def where(self) -> str:
        """The file as issues name it: with its sheet when the workbook has several."""
        if self.sheet is not None and len(self.sheets) > 1:
            return f"{self.path.name} › {self.sheet}"
        return self.path.name


def peek_headers(path: Path, encoding: str | None = None
                 ) -> list[tuple[str | None, list[str]]]:
    """The header row of a file, cheaply, to recognise its table: ``[(None, headers)]``
    for a CSV or Parquet file, ``[(sheet, headers), …]`` for a workbook (headers as its
    first non-empty row).  Empty when the file cannot be read (the reader says why)."""
    try:
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            return _xlsx_headers(path)
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return [(None, [str(n) for n in pq.read_schema(path).names[:MAX_COLUMNS]])]
        with path.open("rb") as f:
            sample = f.read(64 << 10)
        codec = codec_of(encoding) if encoding else detect_encoding(sample)
        text = decode_prefix(sample, codec, errors="replace").lstrip("\ufeff")
        line = _LINE_BREAK.split(text, maxsplit=1)[0]
        return [(None, [h.strip() for h in _first_record(line, sniff_delimiter(line))])]
    except Exception:  # a damaged file: it is read (and its problem reported) later
        return []


def _xlsx_headers(path: Path) -> list[tuple[str | None, list[str]]]:
    import openpyxl

    check_parts(path)
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        found: list[tuple[str | None, list[str]]] = []
        for ws in wb.worksheets:
            headers: list[str] = []
            for _, values in _sheet_rows(ws, path):
                cells = [_cell_text(v) or "" for v in values[:MAX_COLUMNS]]
                if any(cells):
                    headers = cells
                    break
                if _ >= HEADER_SEARCH_ROWS:
                    break
            found.append((str(ws.title), [h.strip() for h in headers]))
        return found
    finally:
        with contextlib.suppress(Exception):
            wb.close()


def sniff_delimiter(header_line: str) -> str:
    """Pick the delimiter among ``,`` ``;`` and tab that splits the header most."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_record(text: str, delimiter: str) -> list[str]:
    allow_long_fields(MAX_ROW_BYTES)  # longer than the sample: a long header is checked
    # newline="": a line ends at \r\n, \n or a lone \r (old Mac exports), as in DuckDB
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for record in reader:
            return record
    except csv.Error as exc:
        raise FileProblem("bad_quotes", row=1) from exc
    return []


def check_headers(headers: list[str]) -> list[str]:
    """The header row, or a :class:`FileProblem` when it cannot be one: too many columns,
    or a cell too long to be a column name."""
    if len(headers) > MAX_COLUMNS:
        raise FileProblem("too_many_columns", row=1, count=len(headers), limit=MAX_COLUMNS)
    for number, header in enumerate(headers, start=1):
        if len(header) > MAX_HEADER_CHARS:
            raise FileProblem("header_too_long", row=1, column_number=number,
                              length=len(header), start=clip(header, 40),
                              limit=MAX_HEADER_CHARS)
    return headers


# --- readers -------------------------------------------------------------------------


def read_file(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, stage: str, tmp_dir: Path,
    *, lazy: bool = False, sheet: str | None = None, encoding: str | None = None,
) -> RawFile:
    """Read one table file into the staging table ``stage``.

    With ``lazy``, a CSV or Parquet file is not copied: ``raw.source`` is the query the
    typing step selects from (and for a CSV, ``raw.rows`` is counted there).  ``sheet``
    names the workbook's sheet to read (else the one named after the table, else the
    first); ``encoding`` forces a text file's encoding (else it is detected).
    """
    raw = RawFile(table=table, path=path, stage=stage, sheet=sheet)
    suffix = path.suffix.lower()
    try:
        if path.stat().st_size == 0:
            raw.issues.append(
                Issue("error", "empty_file", "the file is empty (0 bytes)", file=path.name,
                      hint="export the table again; a file needs at least a header row")
            )
            return raw
        if suffix == ".xlsx":
            _read_xlsx(con, raw)
        elif suffix == ".parquet":
            _read_parquet(con, raw, lazy)
        else:
            _read_csv(con, raw, tmp_dir, lazy, encoding)
    except FileProblem as problem:
        raw.issues.append(problem.issue(path.name))
    except OSError as exc:
        raw.issues.append(Issue("error", "cannot_open", file=path.name,
                                params={"detail": describe(exc, path)}))
    except duckdb.Error as exc:
        raw.issues.extend(read_failure(raw, exc))
    if raw.ok and not raw.headers:
        raw.issues.append(Issue("error", "no_header", file=raw.where))
    elif raw.ok and raw.row_expr is not None and raw.rows == 0:
        raw.issues.append(no_rows(raw))
    return raw


def _read_csv(con: duckdb.DuckDBPyConnection, raw: RawFile, tmp_dir: Path, lazy: bool,
              forced: str | None = None) -> None:
    path = raw.path
    with path.open("rb") as f:
        sample = f.read(SNIFF_BYTES)
    encoding = codec_of(forced) if forced else detect_encoding(sample)
    raw.encoding = {"utf-8-sig": "utf-8 (BOM)"}.get(encoding, encoding)
    source = path
    if encoding not in ("utf-8", "utf-8-sig"):
        source = tmp_dir / f"{raw.stage}.utf8.csv"
        transcode_to_utf8(path, source, encoding)
        with source.open("rb") as f:
            sample = f.read(SNIFF_BYTES)
    raw.text_path = source
    # (valid UTF-8 up to the sample's end, where a character may be cut)
    text = decode_prefix(sample, "utf-8-sig", errors="replace")
    first_line = _LINE_BREAK.split(text, maxsplit=1)[0]
    delimiter = sniff_delimiter(first_line)
    raw.delimiter = delimiter
    headers = _first_record(text, delimiter)
    if not headers or all(not h.strip() for h in headers):
        return
    raw.headers = check_headers([h.replace("\ufeff", "") for h in headers])
    columns = "{" + ", ".join(f"{lit(f'c{i}')}: 'VARCHAR'" for i in range(len(headers))) + "}"
    # strict: the first malformed row fails the read (read_failure then finds them all)
    query = (
        f"read_csv({lit(file_path(source))}, header = true, delim = {lit(delimiter)}, "
        f"quote = '\"', escape = '\"', columns = {columns}, auto_detect = false, "
        f"max_line_size = {MAX_ROW_BYTES})"
    )
    raw.source = query
    if lazy:
        # the typing step reads the CSV itself; CSV rows keep file order, so the typed
        # table's rowid + 2 is the spreadsheet row
        raw.row_expr = None
        return
    raw.row_expr = "(rowid + 2)"
    try:
        run(con, f"CREATE OR REPLACE TEMP TABLE {ident(raw.stage)} AS SELECT * FROM {query}")
    except duckdb.Error as exc:
        raw.issues.extend(read_failure(raw, exc))
        return
    raw.rows = int(one(con, f"SELECT count(*) FROM {ident(raw.stage)}"))


def no_rows(raw: RawFile) -> Issue:
    return Issue("warning", "no_rows", file=raw.where)


def read_failure(raw: RawFile, exc: duckdb.Error) -> list[Issue]:
    """What to report when DuckDB fails to read a file: for a CSV, its malformed rows."""
    file = raw.path.name
    if raw.path.suffix.lower() == ".parquet":
        return [Issue("error", "unreadable_parquet", file=file,
                      params={"detail": describe(exc, raw.path)})]
    if raw.text_path is None:
        return [Issue("error", "unreadable_file", file=file,
                      params={"detail": describe(exc, raw.path)})]
    text = str(exc)
    found = _CSV_ERROR_LINE.search(text)
    if raw.headers and (found or "CSV" in text):
        issues = scan_rows(raw.text_path, file=file, delimiter=raw.delimiter or ",",
                           width=len(raw.headers), max_row_chars=MAX_ROW_BYTES)
        if issues:
            return issues
    # DuckDB's own words: "CSV Error on Line: N", the line as written, then the reason
    block = [line.strip() for line in text.split("\n\n", 1)[0].splitlines() if line.strip()]
    detail = clip(block[-1] if found and len(block) > 1 else
                  describe(exc, raw.path, raw.text_path), 200)
    return [Issue("error", "unreadable_csv", file=file,
                  row=int(found.group(1)) if found else None, params={"detail": detail})]


def _cell_text(value: object) -> str | None:
    """Turn an Excel cell value into the text a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.isoformat(sep=" ")
        return value.isoformat(sep=" ", timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    text = str(value)
    return text if text.strip() else None


def _damaged(exc: Exception, path: Path) -> str:
    return clip(f"{type(exc).__name__}: {describe(exc, path)}", 200)


def _sheet_rows(sheet: Any, path: Path) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The rows of a sheet, numbered; a damaged part ends them with a FileProblem at the
    row it was reading.

    Rows are read at most MAX_COLUMNS + 1 cells wide when the sheet declares itself wider
    (a declared A1:XFD1048576 would otherwise pad every row to 16,384 cells).
    """
    cap = MAX_COLUMNS + 1
    number = 0
    try:
        declared = sheet.max_column
        values = sheet.iter_rows(values_only=True,
                                 max_col=cap if declared and declared > cap else None)
        while True:
            try:
                row = next(values)
            except StopIteration:
                return
            number += 1
            yield number, tuple(row)
    except FileProblem:
        raise
    except Exception as exc:  # openpyxl raises whatever its parsers meet in a damaged part
        raise FileProblem("xlsx_damaged", row=number + 1, detail=_damaged(exc, path)) from exc


def _read_xlsx(con: duckdb.DuckDBPyConnection, raw: RawFile) -> None:
    import openpyxl

    check_parts(raw.path)  # a zip, without DTDs or bombs, before any XML is parsed
    try:
        wb = openpyxl.load_workbook(raw.path, read_only=True, data_only=True)
    except Exception as exc:  # a damaged part: KeyError, ParseError, IndexError …
        raise FileProblem("xlsx_damaged", detail=_damaged(exc, raw.path)) from exc
    try:
        sheets = list(wb.worksheets)
        if not sheets:
            raise FileProblem("xlsx_no_sheet")
        raw.sheets = tuple(str(ws.title) for ws in sheets)
        sheet = next((ws for ws in sheets if str(ws.title) == raw.sheet), None) or next(
            (ws for ws in sheets if raw.table in tables_named(str(ws.title))), sheets[0])
        raw.sheet = str(sheet.title)
        rows = _sheet_rows(sheet, raw.path)
        header_row = 0
        headers: list[str] = []
        for header_row, values in rows:  # noqa: B007 - read after it
            cells = [_cell_text(v) for v in values]
            if any(cells):
                headers = [c or "" for c in cells]
                break
        while headers and not headers[-1]:
            headers.pop()
        if not headers:
            return
        raw.headers = check_headers(headers)
        width = len(headers)
        names = [f"c{i}" for i in range(width)]
        schema = pa.schema([(n, pa.string()) for n in names] + [("_row", pa.int64())])
        run(
            con,
            f"CREATE OR REPLACE TEMP TABLE {ident(raw.stage)} ("
            + ", ".join(f"{ident(n)} VARCHAR" for n in names)
            + ", _row BIGINT)"
        )
        batch: list[list[str | None]] = [[] for _ in range(width)]
        row_numbers: list[int] = []
        for row_number, values in rows:
            if values.count(None) == len(values):
                continue  # blank spreadsheet row (cheap: a sheet may declare huge gaps)
            cells = [_cell_text(v) for v in values[:width]]
            extra = any(v is not None and _cell_text(v) is not None for v in values[width:])
            if not any(cells) and not extra:
                continue  # blank spreadsheet row
            if extra:
                others = ", ".join(s for s in raw.sheets if s != raw.sheet) or "—"
                raw.issues.append(Issue("error", "bad_row", file=raw.where, row=row_number,
                                        params={"headers": width, "others": others}))
            cells += [None] * (width - len(cells))
            for i, c in enumerate(cells):
                batch[i].append(c)
            row_numbers.append(row_number)
            if len(row_numbers) >= XLSX_BATCH:
                _flush(con, raw.stage, schema, batch, row_numbers)
                raw.rows += len(row_numbers)
                batch, row_numbers = [[] for _ in range(width)], []
        if row_numbers:
            _flush(con, raw.stage, schema, batch, row_numbers)
            raw.rows += len(row_numbers)
    finally:
        with contextlib.suppress(Exception):  # closing a damaged archive must not hide why
            wb.close()


def _flush(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    schema: pa.Schema,
    batch: list[list[str | None]],
    row_numbers: list[int],
) -> None:
    arrow = pa.Table.from_arrays(
        [pa.array(col, pa.string()) for col in batch] + [pa.array(row_numbers, pa.int64())],
        schema=schema,
    )
    con.register("_xlsx_batch", arrow)
    try:
        run(con, f"INSERT INTO {ident(stage)} SELECT * FROM _xlsx_batch")
    finally:
        con.unregister("_xlsx_batch")


def _read_parquet(con: duckdb.DuckDBPyConnection, raw: RawFile, lazy: bool) -> None:
    """A Parquet file's columns, selected by position: their names never reach SQL."""
    path = file_path(raw.path)
    try:
        described = rows(
            con, "SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(?))", [path]
        )
        count = one(con, "SELECT count(*) FROM read_parquet(?)", [path])
    except duckdb.Error as exc:
        raise FileProblem("not_text", format="Parquet", detail=describe(exc, raw.path)) from exc
    headers = check_headers([str(r[0]) for r in described])
    for name in headers:
        if name.lower() == "file_row_number":  # the reader's own column for the row number
            raise FileProblem("reserved_column", row=1, column=name, name=name)
    raw.headers = headers
    raw.rows = int(count)
    select = ", ".join(f"CAST(#{i + 1} AS VARCHAR) AS c{i}" for i in range(len(headers)))
    query = (f"(SELECT {select}, file_row_number + 2 AS _row "
             f"FROM read_parquet({lit(path)}, file_row_number = true))")
    raw.source = query
    if lazy:
        return
    try:
        run(con, f"CREATE OR REPLACE TEMP TABLE {ident(raw.stage)} AS SELECT * FROM {query}")
    except duckdb.Error as exc:
        raw.issues.extend(read_failure(raw, exc))
