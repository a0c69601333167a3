"""Checks of typed tables: per table (keys, order of times, signs) and across tables
(agents, sessions and orders referred to), and rows already stored.

Each check reports through a :class:`~cskpi.data.report.Reporter` with a message code and
its parameters; a column is named as the user's file names it (``实付金额``), a time as
local time in the dataset's time zone (as the file wrote it, not in UTC).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb

from ..errors import Issue
from .report import MAX_EXAMPLES, Checks, Reporter, count, row_list
from .schema import FREE_TEXT, Table
from .sql import ident, lit, one, rows, run

if TYPE_CHECKING:
    from .validate import Staged

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
KEY_GROUPS = "cskpi_key_groups"


def local_text(column: str, tz: str) -> str:
    """SQL of a TIMESTAMPTZ column as local wall-clock text in ``tz``."""
    return f"strftime(timezone({lit(tz)}, {column}), {lit(TIME_FORMAT)})"


def table_checks(staged: Staged, tz: str) -> Checks:
    """The checks of a typed table's rows (signs, order of times, the table's own rules),
    in the order they report, to count in one scan (:meth:`Reporter.count`)."""
    src, file, t = ident(staged.typed), staged.file, staged.table
    label = staged.label
    checks = Checks()
    for col in t.columns:
        if col.name not in staged.present:
            continue
        header = label(col.name)
        if col.type in ("money", "int") or (col.type == "number" and col.unit in (
                "count", "s", "h", "money")):
            checks.rows(src, f"{ident(col.name)} < 0", level="error",
                        code="negative_money" if col.type == "money" else "negative_value",
                        file=file, column=header,
                        params=lambda v, n=header: {"column": n, "value": str(v[0])},
                        values=ident(col.name))
    for start, end in (("start_ts", "end_ts"), ("requested_ts", "completed_ts"),
                       ("created_ts", "paid_ts"), ("start_ts", "transfer_ts")):
        if start in staged.present and end in staged.present:
            names = {"start": label(start), "end": label(end)}
            checks.rows(src, f"{ident(end)} < {ident(start)}", level="error",
                        code="end_before_start", file=file, column=label(end),
                        params=lambda v, n=names: n | {"start_value": v[0], "end_value": v[1]},
                        values=f"{local_text(ident(start), tz)}, {local_text(ident(end), tz)}")
    if t.name == "sessions" and {"transfer_ts", "end_ts"} <= staged.present:
        checks.rows(src, "transfer_ts > end_ts", level="error", code="end_before_start",
                    file=file, key="transfer_after_end", column=label("transfer_ts"),
                    params=lambda v: {"transfer": label("transfer_ts"), "end": label("end_ts"),
                                      "transfer_value": v[0], "end_value": v[1]},
                    values=f"{local_text('transfer_ts', tz)}, {local_text('end_ts', tz)}")
    if t.name == "messages":
        checks.rows(src, "sender = 'agent' AND agent_id IS NULL", level="error",
                    code="missing_value", file=file, key="agent_message_without_agent",
                    column=label("agent_id"), params=lambda v: {"column": label("agent_id")})
    if t.name == "orders":
        # counted before check_table fills the blank statuses: the count is the same after
        # (a status left blank becomes "paid" only with a paid_ts)
        checks.rows(src, "status = 'paid' AND paid_ts IS NULL", level="error",
                    code="paid_without_ts", file=file, column=label("paid_ts"),
                    params=lambda v: {"column": label("paid_ts")})
    if t.name == "targets":
        checks.rows(src, "NOT (scope = 'shop' OR regexp_full_match(scope, '(team|agent):.+'))",
                    level="error", code="bad_value", file=file, key="bad_scope",
                    column=label("scope"), params=lambda v: {"value": v[0]}, values="scope")
    return checks


def check_table(con: duckdb.DuckDBPyConnection, staged: Staged, rep: Reporter, tz: str,
                checks: Checks | None = None) -> None:
    """Report :func:`table_checks` (``checks``: those counted already) and the table's
    repeated keys; fill the orders' blank statuses."""
    if checks is None:
        checks = table_checks(staged, tz)
        rep.count(checks)
    if staged.table.name == "orders":
        run(con, f"""UPDATE {staged.physical} SET status = CASE WHEN paid_ts IS NULL
                     THEN 'unpaid' ELSE 'paid' END WHERE status IS NULL""")
    rep.report(checks)
    _check_keys(con, staged, rep)


def content(table: Table, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + ident(c) for c in table.column_names)


def _key_text(table: Table, values: tuple[Any, ...]) -> str:
    return ", ".join(f"{k}={v}" for k, v in zip(table.key or (), values, strict=False))


def _check_keys(con: duckdb.DuckDBPyConnection, staged: Staged, rep: Reporter) -> None:
    """Duplicate keys inside one file: identical rows are dropped, different ones rejected.

    Keys are counted first (cheap), and only repeated ones compared as whole rows."""
    t, src = staged.table, ident(staged.typed)
    if not t.key:
        return
    key = ", ".join(ident(k) for k in t.key)
    not_null = " AND ".join(f"{ident(k)} IS NOT NULL" for k in t.key)
    repeated = int(one(con, f"SELECT count(*) - count(DISTINCT ({key})) FROM {src} "
                            f"WHERE {not_null}"))
    if not repeated:
        return
    run(con, f"""CREATE OR REPLACE TEMP TABLE {KEY_GROUPS} AS
                 SELECT {key}, count(*) AS n,
                        count(DISTINCT struct_pack({content(t)})) AS versions,
                        list(_row ORDER BY _row) AS rows_at
                 FROM {src} WHERE {not_null} GROUP BY {key} HAVING count(*) > 1""")
    conflicts = rows(con, f"SELECT {key}, rows_at FROM {KEY_GROUPS} WHERE versions > 1 "
                          f"ORDER BY rows_at[1] LIMIT {MAX_EXAMPLES}")
    for found in conflicts:
        at = found[-1]
        rep.add(Issue("error", "duplicate_key", file=staged.file, row=int(at[1]),
                      column=staged.label(t.key[0]),
                      params={"ident": _key_text(t, found[:-1]), "rows": row_list(at)}))
    repeats = rows(con, f"SELECT rows_at FROM {KEY_GROUPS} WHERE versions = 1 "
                        "ORDER BY rows_at[2]")
    extra = sum(len(r[0]) - 1 for r in repeats)
    if extra:
        run(con, f"""DELETE FROM {staged.physical} WHERE {staged.where_rows(
            f"(SELECT unnest(rows_at[2:]) FROM {KEY_GROUPS} WHERE versions = 1)")}""")
        staged.duplicates += extra
        dropped = sorted(n for r in repeats for n in r[0][1:])
        rep.add(Issue("warning", "duplicate_row", file=staged.file, row=dropped[0],
                      params={"count": count(extra), "rows": row_list(dropped)}))
    run(con, f"DROP TABLE {KEY_GROUPS}")


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

    def has_imports(self, table: str) -> bool:
        """Whether any file of ``table`` may be skipped as imported before."""
        return any(t == table for t, _ in self.imports)

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
    """Agents, sessions and orders that rows refer to (counted as :meth:`Reporter.count`
    counts them)."""
    checks = Checks()
    agents = _union(staged, stored, "agents", "agent_id")
    for name, s in staged.items():
        for col in s.table.agent_refs:
            if col not in s.present or agents is None:
                continue
            checks.rows(ident(s.typed),
                        f"{ident(col)} IS NOT NULL AND {ident(col)} NOT IN ({agents})",
                        level="error", code="unknown_agent", file=s.file, column=s.label(col),
                        params=lambda v: {"value": v[0]}, values=ident(col))
        if name == "targets" and agents is not None:
            checks.rows(ident(s.typed),
                        f"scope LIKE 'agent:%' AND substr(scope, 7) NOT IN ({agents})",
                        level="error", code="unknown_agent", file=s.file,
                        key="unknown_scope_agent", column=s.label("scope"),
                        params=lambda v: {"value": v[0]}, values="scope")
    checks += _session_checks(staged, stored)
    for name, ref_col in (("refunds", "order_id"), ("reviews", "order_id"),
                          ("complaints", "order_id")):
        orders = _union(staged, stored, "orders", "order_id")
        if name in staged and ref_col in staged[name].present and orders is not None:
            s = staged[name]
            checks.rows(ident(s.typed), f"order_id IS NOT NULL AND order_id NOT IN ({orders})",
                        level="warning", code="unknown_order", file=s.file,
                        column=s.label("order_id"), params=lambda v: {"value": v[0]},
                        values="order_id")
    rep.check(checks)


def sessions_given(staged: dict[str, Staged], stored: StoredTables) -> bool:
    """Sessions come from a sessions table (given now or before), not derived."""
    if "sessions" in staged:
        return True
    if not stored.has("sessions"):
        return False
    return bool(one(stored.con, f"SELECT count(*) FROM {stored.ref('sessions')} "
                                "WHERE NOT derived"))


def _session_checks(staged: dict[str, Staged], stored: StoredTables) -> Checks:
    given = sessions_given(staged, stored)
    sessions = _union(staged, stored, "sessions", "session_id")
    msgs = staged.get("messages")
    checks = Checks()
    if msgs is not None:
        src = ident(msgs.typed)
        if given and sessions is not None:
            checks.rows(src, f"NOT EXISTS (SELECT 1 FROM ({sessions}) k "
                             f"WHERE k.session_id = {src}.session_id)",
                        level="error", code="unknown_session", file=msgs.file,
                        column=msgs.label("session_id"), params=lambda v: {"value": v[0]},
                        values="session_id")
        elif not given:
            if "customer_id" not in msgs.present:
                column = msgs.table.column("customer_id")
                checks.add(Issue("error", "missing_column", file=msgs.file, row=1,
                                 column="customer_id", key="missing_customer_column",
                                 params={"column": column.name, "column_zh": column.zh}))
            else:
                checks.rows(f"(SELECT session_id, min(_row) AS _row FROM {src} "
                            f"GROUP BY session_id HAVING count(customer_id) = 0)", "true",
                            level="error", code="missing_value", file=msgs.file,
                            key="session_without_customer", column=msgs.label("customer_id"),
                            params=lambda v: {"value": v[0]}, values="session_id")
        # One human agent per session: in the messages, and against the session's agent.
        # (min <> max: two agents, without a set of distinct ids per session)
        checks.rows(f"""(SELECT session_id, min(_row) AS _row,
                                string_agg(DISTINCT agent_id, ', ' ORDER BY agent_id) AS ids
                         FROM {src} WHERE sender = 'agent' GROUP BY session_id
                         HAVING min(agent_id) <> max(agent_id))""", "true",
                    level="error", code="two_agents", file=msgs.file,
                    column=msgs.label("agent_id"),
                    params=lambda v: {"value": v[0], "agents": v[1]}, values="session_id, ids")
        owners = _union(staged, stored, "sessions", "session_id, agent_id")
        if owners is not None:
            checks.rows(f"""(SELECT m._row, m.session_id, m.agent_id, s.agent_id AS owner
                             FROM {src} m JOIN ({owners}) s USING (session_id)
                             WHERE m.sender = 'agent' AND s.agent_id IS NOT NULL
                               AND m.agent_id <> s.agent_id)""", "true",
                        level="error", code="two_agents", file=msgs.file,
                        key="not_session_agent", column=msgs.label("agent_id"),
                        params=lambda v: {"value": v[0], "agent": v[1], "owner": v[2]},
                        values="session_id, agent_id, owner")
    ratings = staged.get("ratings")
    if ratings is not None:
        known = sessions
        if not given and msgs is not None:
            derived = f"SELECT session_id FROM {ident(msgs.typed)}"
            known = f"{known} UNION ALL {derived}" if known else derived
        if known is not None:
            checks.rows(ident(ratings.typed), f"session_id NOT IN ({known})", level="error",
                        code="unknown_session", file=ratings.file, key="unknown_rated_session",
                        column=ratings.label("session_id"), params=lambda v: {"value": v[0]},
                        values="session_id")
    return checks


def drop_duplicates(
    con: duckdb.DuckDBPyConnection, staged: Staged, stored: StoredTables, rep: Reporter
) -> None:
    """Rows already stored: identical -> skipped with a warning; same key, other content ->
    an error.

    In a table without a key, identical rows of one file are repeats of an overlapping
    export (messages, online intervals: dropped, their rows listed) or may be separate
    records (reviews, events: kept, their rows listed), as the table declares.
    """
    t, src = staged.table, ident(staged.typed)
    cols = content(t)
    if not t.key:
        # identical rows inside the file: find candidates by hash, confirm exactly
        # candidates by a hash of the short columns (a chat's text is most of its bytes),
        # then confirmed on whole rows
        short = ", ".join(ident(c.name) for c in t.columns if c.name not in FREE_TEXT)
        candidates = f"""(SELECT h FROM (SELECT hash({short}) AS h FROM {src})
                          GROUP BY h HAVING count(*) > 1)"""
        repeats: list[int] = []
        groups = f"""(SELECT list(_row ORDER BY _row) AS rows_at FROM {src}
                     WHERE hash({short}) IN {candidates}
                     GROUP BY {cols} HAVING count(*) > 1)"""
        # one scan when there are none (the usual case), a second to confirm them; a
        # repeated hash found by sorting the hashes (a third less work than grouping two
        # million hashes that are all different, in as little time)
        hashes = f"SELECT hash({short}) AS h FROM {src}"
        if one(con, f"SELECT count(*) FROM (SELECT h, lag(h) OVER (ORDER BY h) AS before "
                    f"FROM ({hashes})) WHERE h = before"):
            repeats = sorted(n for r in rows(con, f"SELECT rows_at FROM {groups}")
                             for n in r[0][1:])
        if repeats and t.identical_rows == "drop":
            run(con, f"DELETE FROM {staged.physical} WHERE "
                     f"{staged.where_rows(f'(SELECT unnest(rows_at[2:]) FROM {groups})')}")
            staged.duplicates += len(repeats)
            rep.add(Issue("warning", "duplicate_row", file=staged.file, row=repeats[0],
                          params={"count": count(len(repeats)), "rows": row_list(repeats)}))
        elif repeats:
            rep.add(Issue("warning", "identical_rows", key="identical_rows_kept",
                          file=staged.file, row=repeats[0],
                          params={"count": count(len(repeats)), "rows": row_list(repeats)}))
    if not stored.has(t.name):
        return
    ref = stored.ref(t.name)
    same = " AND ".join(f"s.{ident(c)} IS NOT DISTINCT FROM w.{ident(c)}" for c in t.column_names)
    if t.key:
        on = " AND ".join(f"s.{ident(k)} = w.{ident(k)}" for k in t.key)
        rep.rows(f"(SELECT s._row, {', '.join('s.' + ident(k) for k in t.key)} FROM {src} s "
                 f"JOIN {ref} w ON {on} WHERE NOT ({same}))", "true",
                 level="error", code="conflicts_with_stored", file=staged.file,
                 column=staged.label(t.key[0]), params=lambda v: {"ident": _key_text(t, v)},
                 values=", ".join(ident(k) for k in t.key))
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
        rep.add(Issue("warning", "already_stored", file=staged.file, params={"count": count(n)}))
