"""Typing and validation of staged files: every problem, at once, with where and a hint.

Parse, then validate everything, then (elsewhere) store.  :func:`stage_folder` finds the
table files of a folder (by name in English or Chinese, else by headers), reads each
into a typed temporary table and returns all the issues found: per cell (types, enums,
missing values, money), per table (duplicate keys, end before start, negative money)
and across tables (unknown agents or sessions, a session served by two human agents;
see :mod:`cskpi.data.checks`).  Checks against an existing workspace (the same key with
different content) take the workspace's tables into account, so an import that would
contradict what is stored is refused before anything is written.

Every issue names the column as the user's file names it (``实付金额``), and carries a
message code with its parameters (the text is in ``locale/data.*.json``).
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..errors import Issue
from . import convert
from .checks import (
    StoredTables,
    check_references,
    check_table,
    drop_duplicates,
    sessions_given,
    table_checks,
)
from .problems import clip, describe
from .readers import RawFile, no_rows, read_failure, read_file
from .report import MAX_EXAMPLES, Checks, Reporter, RowCheck
from .schema import FREE_TEXT, TABLES, Column, Table, normalise_header
from .sessions import SessionRules, cut_sessions
from .sql import ident, lit, one, run
from .tables import TableFile, find_table_files

__all__ = ["StageResult", "Staged", "StoredTables", "sessions_given", "stage_folder"]

# Files larger than this are staged in a database file beside the import (compressed,
# written as it goes) instead of a temporary in-memory table, so memory stays bounded.
ON_DISK_BYTES = 256 << 20
STAGE_DB = "cskpi_stage"
# Columns no metric reads, kept only as a digest in a computation on a folder (--data)
# "did you mean": how alike a header must be to a known one (difflib's ratio)
TYPO_CUTOFF = 0.7


@dataclass
class Staged:
    """A table file read, typed and checked, waiting in a temp table to be stored."""

    table: Table
    path: Path
    typed: str  # temp view: canonical columns + _row (+ flag columns), for reading
    present: set[str]
    rows: int
    sha256: str
    duplicates: int = 0  # rows dropped as identical duplicates (in file or stored)
    already_imported: bool = False
    raw: RawFile | None = None
    physical: str = ""  # the temp table behind ``typed``, for DELETE/UPDATE
    row_col: str = "_row"  # how the physical table spells the row number
    headers: dict[str, str] = field(default_factory=dict)  # column -> the file's header
    where: str = ""  # the file as issues name it (with its sheet, for a workbook)
    direct: bool = False  # typed straight into the workspace's table (a new workspace)
    # the cells that could not be read, one bit each of the ``_flags`` column:
    # (bit, kind, column); their text as written is read again only when a bit is set
    flags: list[tuple[int, str, Column]] = field(default_factory=list)
    cells_sql: str = ""  # the flagged columns' cells as written, in file order
    cells_rowid: bool = False  # their rows are numbered by the table made from it (CSV)

    def where_rows(self, rows_sql: str) -> str:
        """A WHERE clause on the physical table picking the spreadsheet rows ``rows_sql``."""
        return f"{self.row_col} IN {rows_sql}"

    def label(self, column: str) -> str:
        """A column as the user's file names it (``实付金额``), else its contract name."""
        return self.headers.get(column, column)

    @property
    def file(self) -> str:
        return self.where or self.path.name

    @property
    def name(self) -> str:
        return self.table.name


@dataclass
class StageResult:
    staged: dict[str, Staged] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(i.is_error for i in self.issues)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def stage_folder(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    tz: str,
    tmp_dir: Path,
    stored: StoredTables | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    encoding: str | None = None,
    sessions: SessionRules | None = None,
    import_id: int | None = None,
    temp: bool = False,
    chat_text: bool = True,
    checking: Callable[[], None] | None = None,
    digest: bool = True,
) -> StageResult:
    """Read, type and check every table file of ``folder``.

    ``checking`` is called once the files are read and typed, before the checks that read
    the tables of ``stored`` (an import attaches the workspace only then).
    ``digest=False`` (a computation on a folder: nothing is stored, no import is logged)
    leaves each file's SHA-256 out (``Staged.sha256`` empty): a 700 MB export's digest is
    half a second of one of the cores that read it.
    ``encoding`` forces the encoding of every text file (else it is detected);
    ``sessions`` says how sessions are cut from messages without session ids; with
    ``import_id`` (a new workspace) each table is typed straight into the workspace's own
    table of that import (see :func:`type_table`), with ``temp`` as a temporary table.
    """
    result = StageResult()
    if not folder.is_dir():
        result.issues.append(Issue("error", "no_folder", params={"folder": str(folder)}))
        return result
    files, issues = find_table_files(folder, encoding)
    result.issues.extend(issues)
    stored = stored or StoredTables(con, set())
    if "agents" not in files and not stored.has("agents"):
        result.issues.append(Issue("error", "missing_table", file=folder.name,
                                   params={"table": "agents", "table_zh": TABLES["agents"].zh}))
    if not files:
        result.issues.append(Issue("error", "no_tables", file=folder.name))
        return result
    rep = Reporter(con, result.issues)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cskpi-sha256") as hasher:
        for name in TABLES:
            if name not in files:
                continue
            staged = _stage_file(con, files[name], tz, tmp_dir, stored, rep, progress,
                                 encoding, import_id, temp, hasher if digest else None,
                                 chat_text)
            if staged is not None:
                result.staged[name] = staged
    fresh = {k: v for k, v in result.staged.items() if not v.already_imported}
    if checking is not None:
        checking()
    if "messages" in fresh:
        cut_sessions(con, fresh["messages"], sessions or SessionRules(),
                     sessions_given(fresh, stored), rep, tz)
    check_references(con, fresh, stored, rep)
    for staged in fresh.values():
        drop_duplicates(con, staged, stored, rep)
    return result


def _stage_file(con: duckdb.DuckDBPyConnection, found: TableFile, tz: str, tmp_dir: Path,
                stored: StoredTables, rep: Reporter,
                progress: Callable[[str], None] | None, encoding: str | None,
                import_id: int | None, temp: bool,
                hasher: ThreadPoolExecutor | None, chat_text: bool = True
                ) -> Staged | None:
    name, path = found.table.name, found.path
    if progress:
        progress(path.name)
    hashing = Future[str]()
    if stored.has_imports(name):  # the file may be one imported before: known first
        try:
            hashing.set_result(file_sha256(path))
        except OSError as exc:
            rep.add(Issue("error", "cannot_open", file=path.name,
                          params={"detail": describe(exc, path)}))
            return None
        if stored.imported(name, hashing.result()):
            rep.add(Issue("warning", "already_imported", file=path.name))
            return Staged(found.table, path, "", set(), 0, hashing.result(),
                          already_imported=True)
    elif hasher is None:  # no digest wanted
        hashing.set_result("")
    else:
        # hashed while DuckDB reads it (hashlib lets go of the GIL): the digest of a
        # 700 MB export is a second and a half of one core
        hashing = hasher.submit(file_sha256, path)
    stage = f"raw_{name}"
    raw = read_file(con, found.table, path, stage, tmp_dir, lazy=True, sheet=found.sheet,
                    encoding=encoding)
    raw.sheets = found.sheets
    if not raw.ok or not raw.headers:
        rep.issues.extend(raw.issues)
        return None
    staged = type_table(con, raw, tz, rep, tmp_dir, import_id, temp, chat_text)
    if staged is None:
        rep.issues.extend(raw.issues)
        run(con, f"DROP TABLE IF EXISTS {ident(stage)}")
        return None
    # the cells' checks and the table's, counted in one scan of the typed table
    cells, checks = cell_checks(staged), table_checks(staged, tz)
    rep.count(cells + checks)
    written = any(isinstance(c, RowCheck) and c.total and c.examples for c in cells.entries)
    if written:
        written_cells(con, staged)
    rep.report(cells)
    if written:
        written_cells(con, staged, drop=True)
    rep.issues.extend(raw.issues)
    try:
        staged.sha256 = hashing.result()
    except OSError as exc:  # read, then gone: a file is imported whole or not at all
        rep.add(Issue("error", "cannot_open", file=path.name,
                      params={"detail": describe(exc, path)}))
        return None
    check_table(con, staged, rep, tz, checks)
    run(con, f"DROP TABLE IF EXISTS {ident(stage)}")
    return staged


# --- typing --------------------------------------------------------------------------


def _lookup(table: Table) -> dict[str, Column]:
    lookup: dict[str, Column] = {}
    for col in table.columns:
        for h in col.header_names():
            lookup.setdefault(h, col)
    return lookup


def map_headers(raw: RawFile, rep: Reporter) -> dict[str, int] | None:
    """Canonical column -> index in the file; None when a required column is missing."""
    table, where = raw.table, raw.where
    lookup = _lookup(table)
    mapping: dict[str, int] = {}
    unknown: list[tuple[int, str]] = []
    for i, header in enumerate(raw.headers):
        norm = normalise_header(header)
        col = lookup.get(norm)
        if col is None:
            unknown.append((i, header))
            continue
        if col.name in mapping:
            first, second = mapping[col.name], i
            if table.prefer_first_alias:
                names = col.header_names()
                if names.index(norm) < names.index(normalise_header(raw.headers[first])):
                    first, second = second, first
                mapping[col.name] = first
            rep.add(Issue("warning" if table.prefer_first_alias else "error",
                          "duplicate_column", file=where, row=1,
                          column=clip(raw.headers[second], 60),
                          key="duplicate_column_ignored" if table.prefer_first_alias else None,
                          params={"first": clip(raw.headers[first], 60),
                                  "second": clip(raw.headers[second], 60), "column": col.name}))
            continue
        mapping[col.name] = i
    typos = _typos(table, lookup, mapping, unknown)
    listed_unknown = [clip(h, 60) if normalise_header(h) else f"#{i + 1}"
                      for i, h in unknown if i not in typos]
    for i, (col, spelled) in typos.items():
        header = clip(raw.headers[i], 60)
        if not col.required:
            rep.add(Issue("warning", "unknown_column", key="did_you_mean", file=where, row=1,
                          column=header, params={"header": header, "suggestion": spelled}))
    if listed_unknown:
        # headers come from the file: a few, each clipped, are enough to recognise them
        listed = ", ".join(listed_unknown[:MAX_EXAMPLES])
        if len(listed_unknown) > MAX_EXAMPLES:
            listed += f" (+{len(listed_unknown) - MAX_EXAMPLES})"
        rep.add(Issue("warning", "unknown_column", file=where, row=1,
                      params={"columns": listed, "known": ", ".join(table.column_names)}))
    missing = [c for c in table.columns if c.required and c.name not in mapping]
    by_column = {col.name: (i, spelled) for i, (col, spelled) in typos.items()}
    for col in missing:
        params = {"column": col.name, "column_zh": col.zh}
        key = None
        if col.name in by_column:
            i, spelled = by_column[col.name]
            key = "missing_column_typo"
            params |= {"header": clip(raw.headers[i], 60), "suggestion": spelled}
        elif raw.sheet and len(raw.sheets) > 1:
            key = "missing_column_sheet"
            params |= {"sheet": raw.sheet,
                       "others": ", ".join(s for s in raw.sheets if s != raw.sheet)}
        rep.add(Issue("error", "missing_column", file=where, row=1, column=col.name, key=key,
                      params=params))
    return None if missing else mapping


def _typos(table: Table, lookup: dict[str, Column], mapping: dict[str, int],
           unknown: list[tuple[int, str]]) -> dict[int, tuple[Column, str]]:
    """Unknown headers that look like a misspelt known one (``客服1D`` -> ``客服ID``), for
    columns the file does not have yet: header index -> (column, its nearest spelling)."""
    spellings: dict[str, tuple[Column, str]] = {}
    for col in table.columns:
        if col.name in mapping:
            continue
        for spelled in (col.name, *col.aliases):
            spellings.setdefault(normalise_header(spelled), (col, spelled))
    found: dict[int, tuple[Column, str]] = {}
    taken: set[str] = set()
    for i, header in unknown:
        norm = normalise_header(header)
        if not norm or len(norm) > 60:
            continue
        # a typo changes a character or two, not the length: 客服1D is 客服ID, but
        # 30秒应答率 is not 首次30秒应答率
        alike = [n for n in spellings if abs(len(n) - len(norm)) <= 1]
        close = difflib.get_close_matches(norm, alike, n=1, cutoff=TYPO_CUTOFF)
        if close and spellings[close[0]][0].name not in taken:
            col, spelled = spellings[close[0]]
            taken.add(col.name)
            found[i] = (col, spelled)
    return found


def _physical_name(con: duckdb.DuckDBPyConnection, raw: RawFile, name: str,
                   tmp_dir: Path | None, direct: bool, temp: bool) -> tuple[str, str]:
    """(CREATE prefix, qualified name) of the typed table: the workspace's own table (a
    new workspace, built in a file thrown away on failure, or, ``temp``, a temporary
    table of that name for a computation on a folder), in memory, or on disk if
    large."""
    if direct:
        return "CREATE TEMP TABLE" if temp else "CREATE TABLE", ident(raw.table.name)
    if tmp_dir is not None and raw.path.stat().st_size > ON_DISK_BYTES:
        run(con, f"ATTACH IF NOT EXISTS {lit(str(tmp_dir / 'stage.duckdb'))} AS {STAGE_DB}")
        return "CREATE OR REPLACE TABLE", f"{STAGE_DB}.{ident(name)}"
    return "CREATE OR REPLACE TEMP TABLE", ident(name)


def type_table(con: duckdb.DuckDBPyConnection, raw: RawFile, tz: str, rep: Reporter,
               tmp_dir: Path | None = None, import_id: int | None = None,
               temp: bool = False, chat_text: bool = True) -> Staged | None:
    """Type a read file into a table of canonical columns (+ flag columns of bad cells).

    ``chat_text=False`` (a computation on a folder that reads no message text: the
    metrics without QA) keeps only a digest of each message's text, all that duplicate
    detection needs, in a tenth of the memory.

    With ``import_id``, the table is created as the workspace's own table (a new
    workspace), with its ``_import_id``: storing it is then dropping the flag columns,
    not copying its rows.
    """
    mapping = map_headers(raw, rep)
    if mapping is None:
        return None
    table = raw.table
    # four steps: the cells as text, the fast path of timestamps, typed values, flags
    texts: list[str] = [f"{raw.row_expr} AS _row"] if raw.row_expr else []
    naives: list[str] = ["*"]
    values: list[str] = ["_row"]
    outs: list[str] = ["_row"]
    flags: list[tuple[int, str, Column]] = []  # (bit of _flags, kind, column)
    conditions: list[str] = []  # each flag's condition, in bit order
    written: dict[str, str] = {}  # column -> its cell as written (the texts' expression)
    for col in table.columns:
        sql_type = convert.SQL_TYPES[col.type]
        name = ident(col.name)
        if col.name not in mapping:
            default = f"CAST({lit(col.default)} AS {sql_type})" if col.default else "NULL"
            values.append(f"CAST({default} AS {sql_type}) AS {name}")
            outs.append(name)
            continue
        t = ident(f"_t_{col.name}")
        cell = ident(f"c{mapping[col.name]}")
        # free text as written (a message's spaces are its own); other cells trimmed
        text = f"NULLIF({cell}, '')" if col.name in FREE_TEXT else convert.text(cell)
        written[col.name] = f"{text} AS {t}"
        texts.append(written[col.name])
        naive = None
        if col.type == "timestamp":
            naive = ident(f"_n_{col.name}")
            naives.append(f"{convert.timestamp_fast(t)} AS {naive}")
        value = convert.typed(col, t, tz, naive)
        if col.default is not None:
            value = (f"CASE WHEN {t} IS NULL THEN CAST({lit(col.default)} AS {sql_type}) "
                     f"ELSE {value} END")
        if not chat_text and (table.name, col.name) == ("messages", "text"):
            value, sql_type = f"CASE WHEN {t} IS NOT NULL THEN hash({t}) END", "UBIGINT"
        values.append(f"CAST({value} AS {sql_type}) AS {name}")
        values.append(t)
        outs.append(name)
        # a flag is a bit, not the cell's text: three text columns, all empty, were a
        # tenth of the time of typing a chat log (the text is read again if one is set)
        if col.type != "str":
            conditions.append(f"{t} IS NOT NULL AND {name} IS NULL")
            flags.append((len(flags), "bad", col))
        if convert.is_money(col):
            conditions.append(f"{t} IS NOT NULL AND {name} IS NOT NULL AND "
                              f"{convert.money_decorated(t)}")
            flags.append((len(flags), "decorated", col))
        if col.type == "number" and col.unit == "rate":
            conditions.append(f"{name} > 1 AND NOT {convert.is_percent(t)}")
            flags.append((len(flags), "rate", col))
    # the typed table's columns: the row number (of a staged file), the table's (as the
    # workspace stores them), the flags, the workspace's bookkeeping (last, as table_ddl)
    ddl = ["_row BIGINT", *convert.column_ddl(table)]
    if flags:
        bits = " + ".join(f"(CASE WHEN {condition} THEN {1 << i} ELSE 0 END)"
                          for i, condition in enumerate(conditions))
        mask = _mask_type(len(flags))
        outs.append(f"CAST({bits} AS {mask}) AS _flags")
        ddl.append(f"_flags {mask}")
    if import_id is not None:
        if table.name == "sessions":
            outs.append("false AS derived")
            ddl.append("derived BOOLEAN")
        outs.append(f"CAST({int(import_id)} AS INTEGER) AS _import_id")
        ddl.append("_import_id INTEGER")
    typed_name = f"typed_{table.name}"
    if raw.row_expr is None:  # lazy CSV: row numbers are added afterwards
        values.remove("_row")
        outs.remove("_row")
        ddl.remove("_row BIGINT")
    source = raw.source or ident(raw.stage)
    create, physical = _physical_name(con, raw, typed_name, tmp_dir, import_id is not None,
                                      temp)
    try:
        run(con, f"{create} {physical} ({', '.join(ddl)})")
        run(con, f"""
            INSERT INTO {physical} BY NAME
            SELECT {", ".join(outs)} FROM (
              SELECT {", ".join(values)} FROM (
                SELECT {", ".join(naives)} FROM (
                  SELECT {", ".join(texts) or "*"} FROM {source})))""")
    except duckdb.Error as exc:
        # a CSV is read strictly: a malformed row stops the read, and its rows are found
        # and listed (later rows are not typed: their numbers could shift)
        raw.issues.extend(read_failure(raw, exc))
        run(con, f"DROP TABLE IF EXISTS {physical}")
        return None
    view = f"v_{typed_name}"
    row_col = "_row"
    if raw.row_expr is None:
        # the rows kept file order: rowid + 2 is the spreadsheet row (no copy needed)
        row_col = "(rowid + 2)"
        run(con, f"CREATE OR REPLACE TEMP VIEW {ident(view)} AS "
                 f"SELECT rowid + 2 AS _row, * FROM {physical}")
        raw.rows = int(one(con, f"SELECT count(*) FROM {physical}"))
        if raw.rows == 0:
            raw.issues.append(no_rows(raw))
    else:
        run(con, f"CREATE OR REPLACE TEMP VIEW {ident(view)} AS SELECT * FROM {physical}")
    headers = {c: clip(raw.headers[i], 60) for c, i in mapping.items()}
    flagged = dict.fromkeys(col.name for _, _, col in flags)
    cells = texts[:1] if raw.row_expr else []
    cells_sql = (f"SELECT {', '.join(cells + [written[c] for c in flagged])} FROM {source}"
                 if flags else "")
    return Staged(table, raw.path, view, set(mapping), raw.rows, "", raw=raw,
                  physical=physical, row_col=row_col, headers=headers, where=raw.where,
                  direct=import_id is not None, flags=flags, cells_sql=cells_sql,
                  cells_rowid=raw.row_expr is None)


def _mask_type(bits: int) -> str:
    """The smallest unsigned integer type with ``bits`` bits."""
    for size, sql_type in ((8, "UTINYINT"), (16, "USMALLINT"), (32, "UINTEGER"),
                           (64, "UBIGINT")):
        if bits <= size:
            return sql_type
    raise ValueError(f"{bits} flags do not fit a flag column")  # a table of the contract


def _cells(staged: Staged) -> tuple[str, str]:
    """The table of a file's flagged cells as written, and the view of the typed table
    beside them (what :func:`cell_checks` lists examples from)."""
    return ident(f"cells_{staged.name}"), ident(f"v_cells_{staged.name}")


def written_cells(con: duckdb.DuckDBPyConnection, staged: Staged, drop: bool = False
                  ) -> None:
    """Make the view of the typed table beside its flagged columns' cells as the file
    wrote them (``_t_<column>``), read again from the file, to list the cells that could
    not be read; made only when a flag is set.  ``drop``: drop it, once listed."""
    table, view = _cells(staged)
    if drop:
        run(con, f"DROP VIEW IF EXISTS {view}")
        run(con, f"DROP TABLE IF EXISTS {table}")
        return
    run(con, f"CREATE OR REPLACE TEMP TABLE {table} AS {staged.cells_sql}")
    cells = f"(SELECT rowid + 2 AS _row, * FROM {table})" if staged.cells_rowid else table
    run(con, f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT t.*, c.* EXCLUDE (_row) "
             f"FROM {ident(staged.typed)} t JOIN {cells} c ON c._row = t._row")


def cell_checks(staged: Staged) -> Checks:
    """The checks of a typed table's cells (to count with the table's other checks, see
    :meth:`~cskpi.data.report.Reporter.count`): the bad cells of each flag column, then
    the empty required cells of each column."""
    src, file = ident(staged.typed), staged.file
    checks = Checks()
    cells = _cells(staged)[1]  # made by written_cells when a flag is set
    bad_bit: dict[str, int] = {}
    for bit, kind, col in staged.flags:
        label, where = staged.label(col.name), f"(_flags & {1 << int(bit)}) <> 0"
        written = ident(f"_t_{col.name}")
        if kind == "bad":
            bad_bit[col.name] = bit
            code, params = _bad_cell(col, label)
            checks.rows(src, where, level="error", code=code, file=file, column=label,
                        params=params, values=written, examples=cells)
        elif kind == "decorated":
            checks.rows(src, where, level="warning", code="money_cleaned", file=file,
                        column=label, params=lambda v: {"value": v[0], "amount": f"{v[1]:.2f}"},
                        values=f"{written}, {ident(col.name)}", examples=cells)
        elif kind == "rate":
            checks.rows(src, where, level="error", code="rate_over_1", file=file, column=label,
                        params=lambda v: {"value": v[0]}, values=written, examples=cells)
    for col in staged.table.columns:
        if not (col.not_null and col.name in staged.present):
            continue
        label = staged.label(col.name)
        bad = (f" AND (_flags & {1 << int(bad_bit[col.name])}) = 0" if col.name in bad_bit
               else "")
        checks.rows(src, f"{ident(col.name)} IS NULL{bad}", level="error", code="missing_value",
                    file=file, column=label, params=lambda v, n=label: {"column": n})
    return checks


def _bad_cell(col: Column, label: str) -> tuple[str, Callable[[tuple[object, ...]], dict]]:
    """The code of a cell that cannot be read as ``col``'s type, and its parameters."""
    if col.type == "enum":
        allowed = ", ".join(sorted(set((col.values or {}).values())))
        chinese = "/".join(sorted(k for k in (col.values or {}) if not k.isascii()))
        return "bad_value", lambda v: {"value": str(v[0]), "column": label,
                                       "allowed": allowed, "chinese": chinese or allowed}
    code = "bad_money" if col.type == "money" else "bad_type"
    return code, lambda v: {"value": str(v[0]), "_key": convert.problem_key(col, str(v[0]))}
