"""Typing and validation of staged files: every problem, at once, with where and a hint.

Parse, then validate everything, then (elsewhere) store.  :func:`stage_folder` reads
every table file of a folder into typed temporary tables and returns all the issues
found: per cell (types, enums, missing values, money), per table (duplicate keys,
end before start, negative money) and across tables (unknown agents or sessions, a
session served by two human agents).  Checks against an existing workspace (the same
key with different content) take the workspace's tables into account, so an import
that would contradict what is stored is refused before anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..errors import Issue
from . import convert
from .problems import clip, describe
from .readers import RawFile, find_table_files, no_rows, read_failure, read_file
from .schema import AGENT_METRIC_COLUMNS, TABLES, Column, Table, normalise_header
from .sql import ident, lit, one, rows, run

MAX_EXAMPLES = 20
# Files larger than this are staged in a database file beside the import (compressed,
# written as it goes) instead of a temporary in-memory table, so memory stays bounded.
ON_DISK_BYTES = 256 << 20
STAGE_DB = "cskpi_stage"


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

    def where_rows(self, rows_sql: str) -> str:
        """A WHERE clause on the physical table picking the spreadsheet rows ``rows_sql``."""
        return f"{self.row_col} IN {rows_sql}"

    @property
    def file(self) -> str:
        return self.path.name

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


class Reporter:
    """Turns row-level SQL findings into capped lists of issues."""

    def __init__(self, con: duckdb.DuckDBPyConnection, issues: list[Issue]) -> None:
        self.con = con
        self.issues = issues

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    def rows(
        self,
        source: str,
        where: str,
        *,
        level: str,
        code: str,
        message: str | Callable[[tuple[object, ...]], str],
        file: str,
        column: str | None = None,
        hint: str | None = None,
        values: str = "NULL",
    ) -> int:
        """Report every row of ``source`` matching ``where`` (up to MAX_EXAMPLES listed)."""
        total = int(one(self.con, f"SELECT count(*) FROM {source} WHERE {where}"))
        if not total:
            return 0
        found = rows(
            self.con,
            f"SELECT _row, {values} FROM {source} WHERE {where} ORDER BY _row "
            f"LIMIT {MAX_EXAMPLES}",
        )
        for row in found:
            text = message(row[1:]) if callable(message) else message
            self.issues.append(
                Issue(level, code, text, file=file, row=int(row[0]), column=column,  # type: ignore[arg-type]
                      hint=hint)
            )
        if total > MAX_EXAMPLES:
            first = message(found[0][1:]) if callable(message) else message
            self.issues.append(
                Issue(level, code,  # type: ignore[arg-type]
                      f"... and {total - MAX_EXAMPLES} more rows like row {found[0][0]} "
                      f"({first})", file=file, column=column, hint=hint)
            )
        return total


def stage_folder(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    tz: str,
    tmp_dir: Path,
    stored: StoredTables | None = None,
    progress: Callable[[str], None] | None = None,
) -> StageResult:
    """Read, type and check every table file of ``folder``."""
    result = StageResult()
    if not folder.is_dir():
        result.issues.append(
            Issue("error", "no_folder", f"{folder} is not a folder", hint="give the folder that "
                  "holds agents.csv, messages.csv, …")
        )
        return result
    files, issues = find_table_files(folder)
    result.issues.extend(issues)
    stored = stored or StoredTables(con, set())
    if "agents" not in files and not stored.has("agents"):
        result.issues.append(
            Issue("error", "missing_table", "the agents table is missing", file=str(folder),
                  hint="add agents.csv (agent_id, name, role, team, level): it is always "
                  "required, every other table refers to it")
        )
    if not files:
        result.issues.append(
            Issue("error", "no_tables", "no table files found", file=str(folder),
                  hint="name files after their table: agents.csv, messages.csv, orders.xlsx …")
        )
        return result
    rep = Reporter(con, result.issues)
    for name in TABLES:
        if name not in files:
            continue
        path = files[name]
        if progress:
            progress(path.name)
        try:
            sha = file_sha256(path)
        except OSError as exc:
            rep.add(Issue("error", "cannot_open", file=path.name,
                          params={"detail": describe(exc, path)}))
            continue
        if stored.imported(name, sha):
            result.staged[name] = Staged(TABLES[name], path, "", set(), 0, sha,
                                         already_imported=True)
            rep.add(Issue("warning", "already_imported",
                          "this exact file was imported before; skipped", file=path.name))
            continue
        stage = f"raw_{name}"
        raw = read_file(con, TABLES[name], path, stage, tmp_dir, lazy=True)
        if not raw.ok or not raw.headers:
            result.issues.extend(raw.issues)
            continue
        staged = type_table(con, raw, tz, rep, tmp_dir)
        result.issues.extend(raw.issues)
        run(con, f"DROP TABLE IF EXISTS {ident(stage)}")
        if staged is not None:
            staged.sha256 = sha
            result.staged[name] = staged
            check_table(con, staged, rep)
    fresh = {k: v for k, v in result.staged.items() if not v.already_imported}
    check_references(con, fresh, stored, rep)
    for staged in fresh.values():
        drop_duplicates(con, staged, stored, rep)
    return result


# --- typing --------------------------------------------------------------------------


def map_headers(raw: RawFile, rep: Reporter) -> dict[str, int] | None:
    """Canonical column -> index in the file; None when a required column is missing."""
    table = raw.table
    lookup: dict[str, Column] = {}
    for col in table.columns:
        for h in col.header_names():
            lookup.setdefault(h, col)
    mapping: dict[str, int] = {}
    unknown: list[str] = []
    for i, header in enumerate(raw.headers):
        norm = normalise_header(header)
        col = lookup.get(norm)
        if col is None:
            unknown.append(clip(header, 60) if norm else f"#{i + 1}")
            continue
        if col.name in mapping:
            rep.add(Issue("error", "duplicate_column", file=raw.path.name, row=1,
                          column=clip(header, 60),
                          params={"first": clip(raw.headers[mapping[col.name]], 60),
                                  "second": clip(header, 60), "column": col.name}))
            continue
        mapping[col.name] = i
    if unknown:
        # headers come from the file: a few, each clipped, are enough to recognise them
        listed = ", ".join(unknown[:MAX_EXAMPLES])
        if len(unknown) > MAX_EXAMPLES:
            listed += f" (+{len(unknown) - MAX_EXAMPLES})"
        rep.add(Issue("warning", "unknown_column", file=raw.path.name, row=1,
                      params={"columns": listed, "known": ", ".join(table.column_names)}))
    missing = [c for c in table.columns if c.required and c.name not in mapping]
    for col in missing:
        rep.add(Issue("error", "missing_column", f"required column '{col.name}' is missing",
                      file=raw.path.name, row=1, column=col.name,
                      hint=f"add a column named {col.name} (or {col.zh})"))
    return None if missing else mapping


def _physical_name(con: duckdb.DuckDBPyConnection, raw: RawFile, name: str,
                   tmp_dir: Path | None) -> tuple[str, str]:
    """(CREATE prefix, qualified name) of the typed table: in memory, or on disk if large."""
    if tmp_dir is not None and raw.path.stat().st_size > ON_DISK_BYTES:
        run(con, f"ATTACH IF NOT EXISTS {lit(str(tmp_dir / 'stage.duckdb'))} AS {STAGE_DB}")
        return "CREATE OR REPLACE TABLE", f"{STAGE_DB}.{ident(name)}"
    return "CREATE OR REPLACE TEMP TABLE", ident(name)


def type_table(con: duckdb.DuckDBPyConnection, raw: RawFile, tz: str, rep: Reporter,
               tmp_dir: Path | None = None) -> Staged | None:
    mapping = map_headers(raw, rep)
    if mapping is None:
        return None
    table = raw.table
    texts: list[str] = [f"{raw.row_expr} AS _row"] if raw.row_expr else []
    values: list[str] = ["_row"]
    outs: list[str] = ["_row"]
    flags: list[tuple[str, str, Column]] = []  # (flag column, kind, column)
    for col in table.columns:
        sql_type = convert.SQL_TYPES[col.type]
        name = ident(col.name)
        if col.name not in mapping:
            default = f"CAST({lit(col.default)} AS {sql_type})" if col.default else "NULL"
            values.append(f"CAST({default} AS {sql_type}) AS {name}")
            outs.append(name)
            continue
        t = ident(f"_t_{col.name}")
        texts.append(f"{convert.text(ident(f'c{mapping[col.name]}'))} AS {t}")
        value = convert.typed(col, t, tz)
        if col.default is not None:
            value = (f"CASE WHEN {t} IS NULL THEN CAST({lit(col.default)} AS {sql_type}) "
                     f"ELSE {value} END")
        values.append(f"CAST({value} AS {sql_type}) AS {name}")
        values.append(t)
        outs.append(name)
        if col.type != "str":
            flag = ident(f"_bad_{col.name}")
            outs.append(f"CASE WHEN {t} IS NOT NULL AND {name} IS NULL THEN {t} END AS {flag}")
            flags.append((f"_bad_{col.name}", "bad", col))
        if col.type == "money":
            flag = ident(f"_dec_{col.name}")
            outs.append(f"CASE WHEN {t} IS NOT NULL AND {name} IS NOT NULL AND "
                        f"{convert.money_decorated(t)} THEN {t} END AS {flag}")
            flags.append((f"_dec_{col.name}", "decorated", col))
        if col.type == "number" and col.unit == "rate":
            flag = ident(f"_pct_{col.name}")
            outs.append(f"CASE WHEN {name} > 1 AND NOT {convert.is_percent(t)} THEN {t} END "
                        f"AS {flag}")
            flags.append((f"_pct_{col.name}", "rate", col))
    typed_name = f"typed_{table.name}"
    if raw.row_expr is None:  # lazy CSV: row numbers are added afterwards
        values.remove("_row")
        outs.remove("_row")
    source = raw.source or ident(raw.stage)
    create, physical = _physical_name(con, raw, typed_name, tmp_dir)
    try:
        run(con, f"""
            {create} {physical} AS
            SELECT {", ".join(outs)} FROM (
              SELECT {", ".join(values)} FROM (
                SELECT {", ".join(texts) or "*"} FROM {source}))""")
    except duckdb.Error as exc:
        # a CSV is read strictly: a malformed row stops the read, and its rows are found
        # and listed (later rows are not typed: their numbers could shift)
        raw.issues.extend(read_failure(raw, exc))
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
    staged = Staged(table, raw.path, view, set(mapping), raw.rows, "", raw=raw,
                    physical=physical, row_col=row_col)
    _report_cells(con, staged, flags, rep)
    return staged


def _report_cells(
    con: duckdb.DuckDBPyConnection, staged: Staged, flags: list[tuple[str, str, Column]],
    rep: Reporter,
) -> None:
    src, file = ident(staged.typed), staged.file
    if flags:
        counts = rows(con, "SELECT " + ", ".join(f"count({ident(f)})" for f, _, _ in flags)
                      + f" FROM {src}")[0]
    else:
        counts = ()
    for (flag, kind, col), n in zip(flags, counts, strict=True):
        if not n:
            continue
        if kind == "bad":
            if col.type == "enum":
                allowed = sorted(set((col.values or {}).values()))
                hint = "allowed: " + ", ".join(allowed)
                zh = sorted(k for k, v in (col.values or {}).items() if not k.isascii())
                if zh:
                    hint += " (or " + "/".join(zh) + ")"
                code = "bad_value"
            elif col.type == "money":
                hint, code = convert.FORMAT_HINTS["money"], "bad_money"
            else:
                hint, code = convert.FORMAT_HINTS.get(col.type), "bad_type"
            ctype = col.type

            def msg(v: tuple[object, ...], ctype: str = ctype, col: Column = col) -> str:
                if ctype == "money":
                    return f"'{v[0]}' is not an amount with at most two decimal places"
                if ctype == "enum":
                    return f"'{v[0]}' is not a valid {col.name}"
                return f"cannot read '{v[0]}' as {ctype}"

            rep.rows(src, f"{ident(flag)} IS NOT NULL", level="error", code=code, message=msg,
                     file=file, column=col.name, hint=hint, values=ident(flag))
        elif kind == "decorated":
            rep.rows(src, f"{ident(flag)} IS NOT NULL", level="warning", code="money_cleaned",
                     message=lambda v, c=col: f"'{v[0]}' read as {v[1]} (currency sign or "
                     "thousands separator removed)",
                     file=file, column=col.name,
                     hint="export amounts as plain numbers to avoid this warning",
                     values=f"{ident(flag)}, {ident(col.name)}")
        elif kind == "rate":
            rep.rows(src, f"{ident(flag)} IS NOT NULL", level="error", code="rate_over_1",
                     message=lambda v: f"rate '{v[0]}' is above 1",
                     file=file, column=col.name,
                     hint="write rates as fractions (0.955) or with a percent sign (95.5%)",
                     values=ident(flag))
    for col in staged.table.columns:
        if col.not_null and col.name in staged.present:
            bad = f" AND {ident('_bad_' + col.name)} IS NULL" if col.type != "str" else ""
            rep.rows(src, f"{ident(col.name)} IS NULL{bad}", level="error", code="missing_value",
                     message=f"{col.name} is empty", file=file, column=col.name,
                     hint=f"every row needs a {col.name}")


# --- per-table checks ------------------------------------------------------------------


def check_table(con: duckdb.DuckDBPyConnection, staged: Staged, rep: Reporter) -> None:
    src, file, t = ident(staged.typed), staged.file, staged.table
    for col in t.columns:
        if col.type == "money" and col.name in staged.present:
            rep.rows(src, f"{ident(col.name)} < 0", level="error", code="negative_money",
                     message=lambda v, n=col.name: f"{n} is negative ({v[0]})", file=file,
                     column=col.name, hint="amounts are never negative; a refund goes in "
                     "the refunds table", values=ident(col.name))
        if col.type in ("int",) and col.name in staged.present:
            rep.rows(src, f"{ident(col.name)} < 0", level="error", code="negative_value",
                     message=f"{col.name} is negative", file=file, column=col.name,
                     hint="counts are never negative")
    for start, end in (("start_ts", "end_ts"), ("requested_ts", "completed_ts"),
                       ("created_ts", "paid_ts"), ("start_ts", "transfer_ts")):
        if start in staged.present and end in staged.present:
            rep.rows(src, f"{ident(end)} < {ident(start)}", level="error",
                     code="end_before_start",
                     message=lambda v, s=start, e=end: f"{e} {v[1]} is before {s} {v[0]}",
                     file=file, column=end, hint=f"{end} must not be earlier than {start}",
                     values=f"{ident(start)}, {ident(end)}")
    if t.name == "sessions" and {"transfer_ts", "end_ts"} <= staged.present:
        rep.rows(src, "transfer_ts > end_ts", level="error", code="end_before_start",
                 message="transfer_ts is after end_ts", file=file, column="transfer_ts",
                 hint="the hand-over to a human happens inside the session")
    if t.name == "messages":
        rep.rows(src, "sender = 'agent' AND agent_id IS NULL", level="error",
                 code="missing_value", message="an agent message needs agent_id", file=file,
                 column="agent_id", hint="fill in the agent (客服ID) who sent the message")
    if t.name == "orders":
        run(con, f"""UPDATE {staged.physical} SET status = CASE WHEN paid_ts IS NULL
                     THEN 'unpaid' ELSE 'paid' END WHERE status IS NULL""")
        rep.rows(src, "status = 'paid' AND paid_ts IS NULL", level="error", code="paid_without_ts",
                 message="status is paid but paid_ts is empty", file=file, column="paid_ts",
                 hint="fill in 付款时间, or set the status to unpaid")
    if t.name == "targets":
        rep.rows(src, "NOT (scope = 'shop' OR regexp_full_match(scope, '(team|agent):.+'))",
                 level="error", code="bad_value",
                 message=lambda v: f"'{v[0]}' is not a valid scope", file=file, column="scope",
                 hint="write shop, team:NAME or agent:ID", values="scope")
    if t.name == "agent_metrics":
        for key, (_, unit) in AGENT_METRIC_COLUMNS.items():
            if key in staged.present and unit in ("count", "s", "h", "money"):
                rep.rows(src, f"{ident(key)} < 0", level="error", code="negative_value",
                         message=f"{key} is negative", file=file, column=key,
                         hint="platform figures are never negative")
    _check_keys(con, staged, rep)


def _content(table: Table, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + ident(c) for c in table.column_names)


def _check_keys(con: duckdb.DuckDBPyConnection, staged: Staged, rep: Reporter) -> None:
    """Duplicate keys inside one file: identical rows are dropped, different ones rejected."""
    t, src = staged.table, ident(staged.typed)
    if not t.key:
        return
    key = ", ".join(ident(k) for k in t.key)
    groups = f"""(SELECT {key}, count(*) AS n,
                         count(DISTINCT struct_pack({_content(t)})) AS versions,
                         list(_row ORDER BY _row) AS rows_at
                  FROM {src} WHERE {" AND ".join(f"{ident(k)} IS NOT NULL" for k in t.key)}
                  GROUP BY {key} HAVING count(*) > 1)"""
    conflicts = rows(con, f"SELECT {key}, rows_at FROM {groups} WHERE versions > 1 "
                          f"ORDER BY rows_at[1] LIMIT {MAX_EXAMPLES}")
    for found in conflicts:
        at = found[-1]
        keytext = ", ".join(f"{k}={v}" for k, v in zip(t.key, found[:-1], strict=True))
        rep.add(Issue("error", "duplicate_key",
                      f"{keytext} appears in rows {', '.join(map(str, at[:10]))} with "
                      "different content", file=staged.file, row=int(at[1]),
                      column=t.key[0], hint="a key must be unique; keep the right row"))
    extra = int(one(con, f"SELECT coalesce(sum(n - 1), 0) FROM {groups} WHERE versions = 1"))
    if extra:
        run(con, f"""DELETE FROM {staged.physical} WHERE {staged.where_rows(
            f"(SELECT unnest(rows_at[2:]) FROM {groups} WHERE versions = 1)")}""")
        staged.duplicates += extra
        rep.add(Issue("warning", "duplicate_row",
                      f"{extra} identical duplicate rows dropped", file=staged.file,
                      hint="exports that overlap repeat rows; only one copy is kept"))


# --- across tables ---------------------------------------------------------------------


class StoredTables:
    """What a workspace already holds, as seen by the checks (read-only)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, tables: set[str],
                 imports: set[tuple[str, str]] | None = None,
                 schema: str = "main") -> None:
        self.con = con
        self.tables = tables  # workspace tables that have rows
        self.imports = imports or set()
        self.schema = schema

    def has(self, table: str) -> bool:
        return table in self.tables

    def imported(self, table: str, sha256: str) -> bool:
        return (table, sha256) in self.imports

    def ref(self, table: str) -> str:
        return f"{ident(self.schema)}.{ident(table)}"


def _union(staged: dict[str, Staged], stored: StoredTables, table: str, cols: str) -> str | None:
    parts = []
    if table in staged:
        parts.append(f"SELECT {cols} FROM {ident(staged[table].typed)}")
    if stored.has(table):
        parts.append(f"SELECT {cols} FROM {stored.ref(table)}")
    return " UNION ALL ".join(parts) if parts else None


def check_references(
    con: duckdb.DuckDBPyConnection, staged: dict[str, Staged], stored: StoredTables,
    rep: Reporter,
) -> None:
    agents = _union(staged, stored, "agents", "agent_id")
    for name, s in staged.items():
        for col in s.table.agent_refs:
            if col not in s.present or agents is None:
                continue
            rep.rows(ident(s.typed),
                     f"{ident(col)} IS NOT NULL AND {ident(col)} NOT IN ({agents})",
                     level="error", code="unknown_agent",
                     message=lambda v: f"agent '{v[0]}' is not in the agents table",
                     file=s.file, column=col,
                     hint="add the agent to agents.csv, or correct the id (ids are compared "
                     "as text: 001 is not 1)", values=ident(col))
        if name == "targets" and agents is not None:
            rep.rows(ident(s.typed),
                     f"scope LIKE 'agent:%' AND substr(scope, 7) NOT IN ({agents})",
                     level="error", code="unknown_agent",
                     message=lambda v: f"target scope '{v[0]}' names an unknown agent",
                     file=s.file, column="scope", hint="use agent:ID with an id from agents",
                     values="scope")
    _check_sessions(con, staged, stored, rep)
    for name, ref_col in (("refunds", "order_id"), ("reviews", "order_id"),
                          ("complaints", "order_id")):
        orders = _union(staged, stored, "orders", "order_id")
        if name in staged and ref_col in staged[name].present and orders is not None:
            rep.rows(ident(staged[name].typed),
                     f"order_id IS NOT NULL AND order_id NOT IN ({orders})",
                     level="warning", code="unknown_order",
                     message=lambda v: f"order '{v[0]}' is not in the orders table",
                     file=staged[name].file, column="order_id",
                     hint="fine if the order is older than the imported orders; otherwise "
                     "import that order too", values="order_id")


def sessions_given(staged: dict[str, Staged], stored: StoredTables) -> bool:
    """Sessions come from a sessions table (given now or before), not derived."""
    if "sessions" in staged:
        return True
    if not stored.has("sessions"):
        return False
    return bool(one(stored.con, f"SELECT count(*) FROM {stored.ref('sessions')} "
                                "WHERE NOT derived"))


def _check_sessions(
    con: duckdb.DuckDBPyConnection, staged: dict[str, Staged], stored: StoredTables,
    rep: Reporter,
) -> None:
    given = sessions_given(staged, stored)
    sessions = _union(staged, stored, "sessions", "session_id")
    msgs = staged.get("messages")
    if msgs is not None:
        src = ident(msgs.typed)
        if given and sessions is not None:
            rep.rows(src, f"session_id NOT IN ({sessions})", level="error",
                     code="unknown_session",
                     message=lambda v: f"session '{v[0]}' is not in the sessions table",
                     file=msgs.file, column="session_id",
                     hint="add the session to sessions.csv, or leave sessions out entirely "
                     "and cskpi derives them from the messages", values="session_id")
        elif not given:
            if "customer_id" not in msgs.present:
                rep.add(Issue("error", "missing_column",
                              "column 'customer_id' is required when there is no sessions table",
                              file=msgs.file, row=1, column="customer_id",
                              hint="add 顾客ID to the messages, or import sessions.csv"))
            else:
                rep.rows(f"(SELECT session_id, min(_row) AS _row FROM {src} GROUP BY session_id "
                         f"HAVING count(customer_id) = 0)", "true", level="error",
                         code="missing_value",
                         message=lambda v: f"session '{v[0]}' has no customer_id on any message",
                         file=msgs.file, column="customer_id",
                         hint="fill 顾客ID on the customer's messages", values="session_id")
        # One human agent per session: in the messages, and against the session's agent.
        rep.rows(f"""(SELECT session_id, min(_row) AS _row,
                             string_agg(DISTINCT agent_id, ', ' ORDER BY agent_id) AS ids
                      FROM {src} WHERE sender = 'agent' GROUP BY session_id
                      HAVING count(DISTINCT agent_id) > 1)""", "true",
                 level="error", code="two_agents",
                 message=lambda v: f"session '{v[0]}' has messages from two human agents ({v[1]})",
                 file=msgs.file, column="agent_id",
                 hint="a transfer between agents starts a new session: give it its own "
                 "session_id", values="session_id, ids")
        owners = _union(staged, stored, "sessions", "session_id, agent_id")
        if owners is not None:
            rep.rows(f"""(SELECT m._row, m.session_id, m.agent_id, s.agent_id AS owner
                          FROM {src} m JOIN ({owners}) s USING (session_id)
                          WHERE m.sender = 'agent' AND s.agent_id IS NOT NULL
                            AND m.agent_id <> s.agent_id)""", "true",
                     level="error", code="two_agents",
                     message=lambda v: f"session '{v[0]}' belongs to agent '{v[2]}' but this "
                     f"message is from '{v[1]}'",
                     file=msgs.file, column="agent_id",
                     hint="a transfer between agents starts a new session",
                     values="session_id, agent_id, owner")
    ratings = staged.get("ratings")
    if ratings is not None:
        known = sessions
        if not given and msgs is not None:
            derived = f"SELECT session_id FROM {ident(msgs.typed)}"
            known = f"{known} UNION ALL {derived}" if known else derived
        if known is not None:
            rep.rows(ident(ratings.typed), f"session_id NOT IN ({known})", level="error",
                     code="unknown_session",
                     message=lambda v: f"rating for unknown session '{v[0]}'",
                     file=ratings.file, column="session_id",
                     hint="import the session (or its messages) with the rating",
                     values="session_id")


def drop_duplicates(
    con: duckdb.DuckDBPyConnection, staged: Staged, stored: StoredTables, rep: Reporter
) -> None:
    """Rows already stored: identical -> dropped with a warning; same key, other content -> error.

    For tables without a key, identical rows inside the file are dropped as well.
    """
    t, src = staged.table, ident(staged.typed)
    content = _content(t)
    if not t.key:
        # identical rows inside the file: find candidates by hash, confirm exactly
        dup = f"""(SELECT unnest(rows_at[2:]) AS _row FROM (
                     SELECT list(_row ORDER BY _row) AS rows_at FROM {src}
                     WHERE hash({content}) IN (SELECT h FROM (
                        SELECT hash({content}) AS h FROM {src} GROUP BY h HAVING count(*) > 1))
                     GROUP BY {content} HAVING count(*) > 1))"""
        n = int(one(con, f"SELECT count(*) FROM {dup}"))
        if n:
            run(con, f"DELETE FROM {staged.physical} WHERE {staged.where_rows(dup)}")
            staged.duplicates += n
            rep.add(Issue("warning", "duplicate_row", f"{n} identical duplicate rows dropped",
                          file=staged.file,
                          hint="exports that overlap repeat rows; only one copy is kept"))
    if not stored.has(t.name):
        return
    ref = stored.ref(t.name)
    same = " AND ".join(f"s.{ident(c)} IS NOT DISTINCT FROM w.{ident(c)}" for c in t.column_names)
    if t.key:
        on = " AND ".join(f"s.{ident(k)} = w.{ident(k)}" for k in t.key)
        rep.rows(f"(SELECT s._row, {', '.join('s.' + ident(k) for k in t.key)} FROM {src} s "
                 f"JOIN {ref} w ON {on} WHERE NOT ({same}))", "true",
                 level="error", code="conflicts_with_stored",
                 message=lambda v: "key " + ", ".join(f"{k}={x}" for k, x in zip(t.key or (), v,
                                                                                  strict=False))
                 + " is already stored with different content",
                 file=staged.file, column=t.key[0],
                 hint="an overlapping export must agree with what was imported; correct "
                 "the row, or import into a new workspace", values=", ".join(ident(k) for k in t.key))
        where = f"EXISTS (SELECT 1 FROM {ref} w WHERE {on} AND {same})"
    else:
        where = f"EXISTS (SELECT 1 FROM {ref} w WHERE {same})"
        if t.ts_column:
            col = ident(t.ts_column)
            bounds = rows(con, f"SELECT min({col}), max({col}) FROM {src}")[0]
            if bounds[0] is not None:
                where = (f"EXISTS (SELECT 1 FROM {ref} w WHERE w.{col} BETWEEN "
                         f"(SELECT min({col}) FROM {src}) AND (SELECT max({col}) FROM {src}) "
                         f"AND {same})")
    n = int(one(con, f"SELECT count(*) FROM {src} s WHERE {where}"))
    if n:
        run(con, f"DELETE FROM {staged.physical} s WHERE {where}")
        staged.duplicates += n
        rep.add(Issue("warning", "already_stored",
                      f"{n} rows are already in the workspace and were skipped",
                      file=staged.file, hint="overlapping exports are fine: rows are counted once"))
