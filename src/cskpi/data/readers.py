"""Reading shop exports into DuckDB staging tables, as text.

Every file becomes a temporary table of VARCHAR columns ``c0 … cN`` plus ``_row``, the
row number as a spreadsheet shows it (header = row 1).  Typing and checks happen
afterwards in SQL (see :mod:`cskpi.data.validate`), so a bad cell is reported with its
row instead of failing the whole read.

Encodings are detected, never asked for: UTF-8 (with or without BOM), UTF-16 (BOM or
NUL pattern) and GBK/GB18030.  Files that are not UTF-8 are transcoded to a temporary
UTF-8 file in fixed-size chunks, so a 1 GB export streams in bounded memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from ..errors import Issue
from .schema import TABLES, Table
from .sql import lit, one, rows, run

SNIFF_BYTES = 1 << 20
CHUNK_BYTES = 8 << 20
XLSX_BATCH = 50_000
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")


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
    source: str | None = None  # lazy CSV: the read_csv(...) to type from directly
    rejects_table: str | None = None
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


class NotText(Exception):
    """The file is not text in any supported encoding."""


def detect_encoding(sample: bytes) -> str:
    """Guess the encoding of a file from its first bytes.

    Returns a Python codec name: ``utf-8-sig``, ``utf-8``, ``utf-16`` or ``gb18030``
    (a superset of GBK and GB2312).  Raises :class:`NotText` for binary content.
    """
    if sample.startswith(codecs.BOM_UTF8):
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
        raise NotText("binary content (NUL bytes)")
    try:
        _decode_prefix(sample, "utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        _decode_prefix(sample, "gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise NotText(f"not UTF-8, UTF-16 or GBK/GB18030 (bad byte at {exc.start})") from exc


def _decode_prefix(sample: bytes, encoding: str) -> str:
    """Decode a sample that may end in the middle of a multi-byte character."""
    decoder = codecs.getincrementaldecoder(encoding)()
    return decoder.decode(sample, final=False)


def transcode_to_utf8(src: Path, dst: Path, encoding: str) -> None:
    """Stream ``src`` into ``dst`` as UTF-8, chunk by chunk (bounded memory)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(CHUNK_BYTES):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise NotText(
                    f"invalid {encoding} byte sequence at byte {offset + exc.start}"
                ) from exc
            fout.write(text.encode("utf-8"))
            offset += len(chunk)
        fout.write(decoder.decode(b"", final=True).encode("utf-8"))


def sniff_delimiter(header_line: str) -> str:
    """Pick the delimiter among ``,`` ``;`` and tab that splits the header most."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_record(text: str, delimiter: str) -> list[str]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for record in reader:
        return record
    return []


# --- readers -------------------------------------------------------------------------


def read_file(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, stage: str, tmp_dir: Path,
    *, lazy: bool = False,
) -> RawFile:
    """Read one table file into the staging table ``stage``.

    With ``lazy``, a CSV file is not copied: ``raw.source`` names the ``read_csv(...)``
    the typing step selects from (and ``raw.rows`` is counted there).
    """
    raw = RawFile(table=table, path=path, stage=stage)
    if path.stat().st_size == 0:
        raw.issues.append(
            Issue("error", "empty_file", "the file is empty (0 bytes)", file=path.name,
                  hint="export the table again; a file needs at least a header row")
        )
        return raw
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            _read_xlsx(con, raw)
        elif suffix == ".parquet":
            _read_parquet(con, raw)
        else:
            _read_csv(con, raw, tmp_dir, lazy)
    except NotText as exc:
        raw.issues.append(
            Issue("error", "not_text", f"cannot read the file as a table: {exc}", file=path.name,
                  hint="save it as CSV (UTF-8 or GBK), XLSX or Parquet")
        )
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
    text = _decode_prefix(sample, "utf-8-sig")
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    raw.delimiter = delimiter
    headers = _first_record(text, delimiter)
    if not headers or all(not h.strip() for h in headers):
        return
    raw.headers = [h.replace("\ufeff", "") for h in headers]
    names = [f"c{i}" for i in range(len(headers))]
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    raw.rejects_table = f"{raw.stage}_rejects"
    raw.source = (
        f"read_csv({lit(str(source))}, header = true, delim = {lit(delimiter)}, quote = '\"', "
        f"escape = '\"', columns = {columns}, auto_detect = false, store_rejects = true, "
        f"rejects_table = {lit(raw.rejects_table)}, rejects_scan = {lit(raw.stage + '_scans')}, "
        f"max_line_size = 10000000)"
    )
    if lazy:
        # the typing step reads the CSV itself; CSV rows keep file order, so the typed
        # table's rowid + 2 is the spreadsheet row
        raw.row_expr = None
        return
    raw.row_expr = "(rowid + 2)"
    try:
        run(con, f'CREATE OR REPLACE TEMP TABLE "{raw.stage}" AS SELECT * FROM {raw.source}')
    except duckdb.Error as exc:
        raw.issues.append(unreadable(raw, exc))
        return
    collect_rejects(con, raw)
    raw.rows = int(one(con, f'SELECT count(*) FROM "{raw.stage}"'))


def no_rows(raw: RawFile) -> Issue:
    return Issue("warning", "no_rows", "the file has a header but no data rows",
                 file=raw.path.name)


def unreadable(raw: RawFile, exc: Exception) -> Issue:
    return Issue("error", "unreadable_csv", f"cannot parse the CSV: {_short(exc)}",
                 file=raw.path.name, hint="check the file is a plain CSV export")


def collect_rejects(con: duckdb.DuckDBPyConnection, raw: RawFile) -> int:
    """Report the rows DuckDB's CSV reader rejected (wrong field count, bad quoting …)."""
    if not raw.rejects_table:
        return 0
    found = rows(
        con,
        f"""SELECT line, column_name, error_type, error_message FROM "{raw.rejects_table}"
            ORDER BY line LIMIT 21""",
    )
    n_rejects = int(one(con, f'SELECT count(*) FROM "{raw.rejects_table}"'))
    for line, column, etype, message in found[:20]:
        raw.issues.append(
            Issue(
                "error",
                "bad_csv_row",
                f"{_reject_words(str(etype))}: {message}",
                file=raw.path.name,
                row=int(line) if line is not None else None,
                column=_header_of(raw.headers, column),
                hint=f"every row needs {len(raw.headers)} fields separated by "
                f"{_delim_name(raw.delimiter or ',')}; quote fields that contain the delimiter",
            )
        )
    if n_rejects > 20:
        raw.issues.append(
            Issue("error", "bad_csv_row", f"... and {n_rejects - 20} more malformed rows",
                  file=raw.path.name)
        )
    return n_rejects


def _reject_words(error_type: str) -> str:
    return {
        "TOO MANY COLUMNS": "too many fields",
        "MISSING COLUMNS": "too few fields",
        "UNQUOTED VALUE": "unquoted value",
        "INVALID UNICODE": "invalid text encoding",
        "LINE SIZE OVER MAXIMUM": "line too long",
    }.get(error_type.upper(), error_type.lower())


def _header_of(headers: list[str], name: object) -> str | None:
    if isinstance(name, str) and name.startswith("c") and name[1:].isdigit():
        i = int(name[1:])
        if i < len(headers):
            return headers[i]
    return None


def _delim_name(d: str) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs"}[d]


def _short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]


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


def _read_xlsx(con: duckdb.DuckDBPyConnection, raw: RawFile) -> None:
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(raw.path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise NotText(f"not an Excel .xlsx workbook ({exc})") from exc
    try:
        wanted = {raw.table.name.lower(), raw.table.zh}
        sheet = next((ws for ws in wb.worksheets if ws.title.strip().lower() in wanted),
                     wb.worksheets[0])
        rows = sheet.iter_rows(values_only=True)
        header_row = 0
        headers: list[str] = []
        for header_row, values in enumerate(rows, start=1):  # noqa: B007 - read after it
            cells = [_cell_text(v) for v in values]
            if any(cells):
                headers = [c or "" for c in cells]
                break
        while headers and not headers[-1]:
            headers.pop()
        if not headers:
            return
        raw.headers = headers
        width = len(headers)
        names = [f"c{i}" for i in range(width)]
        schema = pa.schema([(n, pa.string()) for n in names] + [("_row", pa.int64())])
        run(
            con,
            f'CREATE OR REPLACE TEMP TABLE "{raw.stage}" ('
            + ", ".join(f'"{n}" VARCHAR' for n in names)
            + ", _row BIGINT)"
        )
        batch: list[list[str | None]] = [[] for _ in range(width)]
        row_numbers: list[int] = []
        for row_number, values in enumerate(rows, start=header_row + 1):
            cells = [_cell_text(v) for v in values]
            extra = [c for c in cells[width:] if c is not None]
            if not any(cells[:width]) and not extra:
                continue  # blank spreadsheet row
            if extra:
                raw.issues.append(
                    Issue("error", "bad_row", "the row has values beyond the last header",
                          file=raw.path.name, row=row_number,
                          hint="give every column a header, or delete the stray cells")
                )
            cells = (cells + [None] * width)[:width]
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
        run(con, f'INSERT INTO "{stage}" SELECT * FROM _xlsx_batch')
    finally:
        con.unregister("_xlsx_batch")


def _read_parquet(con: duckdb.DuckDBPyConnection, raw: RawFile) -> None:
    try:
        described = rows(
            con, "SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(?))", [str(raw.path)]
        )
    except duckdb.Error as exc:
        raise NotText(f"not a Parquet file ({_short(exc)})") from exc
    raw.headers = [str(r[0]) for r in described]
    select = ", ".join(
        f'CAST("{h}" AS VARCHAR) AS c{i}' for i, h in enumerate(raw.headers)
    )
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE "{raw.stage}" AS
            SELECT {select}, file_row_number + 2 AS _row
            FROM read_parquet(?, file_row_number = true)""",
        [str(raw.path)],
    )
    raw.rows = int(one(con, f'SELECT count(*) FROM "{raw.stage}"'))
