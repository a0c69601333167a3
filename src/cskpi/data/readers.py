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

import codecs
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
from .problems import FileProblem, clip, describe
from .schema import TABLES, Table
from .sql import file_path, ident, lit, one, rows, run
from .xlsx_parts import check_parts

SNIFF_BYTES = 1 << 20
CHUNK_BYTES = 8 << 20
XLSX_BATCH = 50_000
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")
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
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16",
                  "utf-16-le": "UTF-16", "utf-16-be": "UTF-16", "gb18030": "GBK/GB18030"}


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

    @property
    def ok(self) -> bool:
        return not any(i.is_error for i in self.issues)


def find_table_files(folder: Path) -> tuple[dict[str, Path], list[Issue]]:
    """Map table names to the files of a data folder (``TABLE.csv|xlsx|parquet``)."""
    found: dict[str, list[Path]] = {}
    issues: list[Issue] = []
    for path in sorted(folder.iterdir()):
        if path.is_dir() or path.name.startswith((".", "~$")):
            continue
        stem, suffix = path.stem.lower(), path.suffix.lower()
        if stem in TABLES and suffix in SUFFIXES:
            found.setdefault(stem, []).append(path)
        else:
            issues.append(
                Issue(
                    "warning",
                    "unknown_file",
                    "file is not part of the data contract and was ignored",
                    file=path.name,
                    hint="name files after their table, e.g. agents.csv, messages.xlsx "
                    f"(tables: {', '.join(TABLES)})",
                )
            )
    files: dict[str, Path] = {}
    for table, paths in found.items():
        if len(paths) > 1:
            issues.append(
                Issue(
                    "error",
                    "ambiguous_table",
                    f"table '{table}' is given by several files: "
                    + ", ".join(p.name for p in paths),
                    file=paths[0].name,
                    hint="keep one file per table",
                )
            )
        else:
            files[table] = paths[0]
    return files, issues


# --- encodings -----------------------------------------------------------------------


class NotText(FileProblem):
    """The file is not text in any supported encoding."""


def _line_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _line_at(data: bytes, offset: int, encoding: str) -> int:
    """The line (1-based) of byte ``offset`` of ``data``."""
    return _line_breaks(data[:offset].decode(encoding, errors="replace")) + 1


def detect_encoding(sample: bytes) -> str:
    """Guess the encoding of a file from its first bytes.

    Returns a Python codec name: ``utf-8-sig``, ``utf-8``, ``utf-16`` or ``gb18030``
    (a superset of GBK and GB2312).  Raises :class:`NotText` for binary content, and
    for bytes that are text in none of them.
    """
    if sample.startswith(codecs.BOM_UTF8):
        try:
            _decode_prefix(sample[3:], "utf-8")
        except UnicodeDecodeError as exc:
            raise NotText("bad_encoding", encoding="UTF-8", offset=3 + exc.start,
                          line=_line_at(sample[3:], exc.start, "utf-8")) from exc
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample and b"\x00" in sample:
        # UTF-16 without BOM: text in the BMP has a NUL in every other byte for ASCII.
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.3 * len(odd) and even.count(0) == 0:
            return "utf-16-le"
        if even.count(0) > 0.3 * len(even) and odd.count(0) == 0:
            return "utf-16-be"
        raise NotText("not_text", format="CSV",
                      detail=f"binary content, a NUL byte at byte {sample.index(0)}")
    try:
        _decode_prefix(sample, "utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        _decode_prefix(sample, "gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise NotText("unknown_encoding", offset=exc.start,
                      line=_line_at(sample, exc.start, "gb18030")) from exc


def _decode_prefix(sample: bytes, encoding: str, errors: str = "strict") -> str:
    """Decode a sample that may end in the middle of a multi-byte character."""
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    return decoder.decode(sample, final=False)


def transcode_to_utf8(src: Path, dst: Path, encoding: str) -> None:
    """Stream ``src`` into ``dst`` as UTF-8, chunk by chunk (bounded memory)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    name = ENCODING_NAMES.get(encoding, encoding)
    offset = 0
    line = 1
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(CHUNK_BYTES):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = max(0, min(exc.start, len(chunk)))
                raise NotText("bad_encoding", encoding=name, offset=offset + at,
                              line=line + _line_breaks(chunk[:at].decode(encoding, "replace"))
                              ) from exc
            fout.write(text.encode("utf-8"))
            line += _line_breaks(text)
            offset += len(chunk)
        try:
            tail = decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:  # an odd number of UTF-16 bytes, a cut character
            raise NotText("truncated_text", encoding=name, line=line) from exc
        fout.write(tail.encode("utf-8"))


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
    *, lazy: bool = False,
) -> RawFile:
    """Read one table file into the staging table ``stage``.

    With ``lazy``, a CSV or Parquet file is not copied: ``raw.source`` is the query the
    typing step selects from (and for a CSV, ``raw.rows`` is counted there).
    """
    raw = RawFile(table=table, path=path, stage=stage)
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
            _read_csv(con, raw, tmp_dir, lazy)
    except FileProblem as problem:
        raw.issues.append(problem.issue(path.name))
    except OSError as exc:
        raw.issues.append(Issue("error", "cannot_open", file=path.name,
                                params={"detail": describe(exc, path)}))
    except duckdb.Error as exc:
        raw.issues.extend(read_failure(raw, exc))
    if raw.ok and not raw.headers:
        raw.issues.append(
            Issue("error", "no_header", "the file has no header row", file=path.name,
                  hint="the first row must name the columns")
        )
    elif raw.ok and raw.row_expr is not None and raw.rows == 0:
        raw.issues.append(no_rows(raw))
    return raw


def _read_csv(con: duckdb.DuckDBPyConnection, raw: RawFile, tmp_dir: Path, lazy: bool) -> None:
    path = raw.path
    with path.open("rb") as f:
        sample = f.read(SNIFF_BYTES)
    encoding = detect_encoding(sample)
    raw.encoding = {"utf-8-sig": "utf-8 (BOM)"}.get(encoding, encoding)
    source = path
    if encoding not in ("utf-8", "utf-8-sig"):
        source = tmp_dir / f"{raw.stage}.utf8.csv"
        transcode_to_utf8(path, source, encoding)
        with source.open("rb") as f:
            sample = f.read(SNIFF_BYTES)
    raw.text_path = source
    # (valid UTF-8 up to the sample's end, where a character may be cut)
    text = _decode_prefix(sample, "utf-8-sig", errors="replace")
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
    return Issue("warning", "no_rows", "the file has a header but no data rows",
                 file=raw.path.name)


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
        wanted = {raw.table.name.lower(), raw.table.zh}
        sheets = list(wb.worksheets)
        if not sheets:
            raise FileProblem("xlsx_no_sheet")
        sheet = next((ws for ws in sheets if str(ws.title).strip().lower() in wanted), sheets[0])
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
                raw.issues.append(
                    Issue("error", "bad_row", "the row has values beyond the last header",
                          file=raw.path.name, row=row_number,
                          hint="give every column a header, or delete the stray cells")
                )
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
