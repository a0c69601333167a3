"""Session facts, daily rollups and order credit kept in the workspace, import by import.

Turning the chat log into rounds is the expensive step of the catalog.  Its result, one
row per session (see :func:`cskpi.metrics.engine.session_facts`), depends only on that
session's messages and on a few profile settings.  From the facts come the daily rollups
(:class:`cskpi.metrics.engine.Rollups`): ``_days`` (additive figures per agent and local
day), ``_day_customers`` (one row per agent, day and customer, for distinct counts) and
``_month_customers`` (the same per calendar month, with whether the customer ordered or
paid from that agent that month: a whole month counts customers and conversion without
deduplicating day rows).  Order attribution, which looks back across days, is kept in
``_credit`` (the orders with their credited agent).  All are stored in the workspace
under the key of the settings they depend on, and a month is aggregated from the small
rollup tables, never from the chat log again.

After an import, only what it touched is recomputed:

- facts of the sessions whose row or messages came with a newer import;
- rollups of the local days those sessions fell on, before and after (a late message
  can move a session's start to another day), and of the days of newly rated sessions;
- the credit of new orders and of every order a touched session was a candidate for
  (its customer's orders created within the attribution window after it);
- the month rows (agent, month, customer) of those sessions, as they were and as they
  are, and of those orders' credited agents (before and after), customers and months of
  creation and payment.

The tables are stored in time order (facts by human start, rollups by day, month rows by
month, credit by creation; later updates append a day's rows), and every step of an
update reads only the span it touches, so the row groups outside it are skipped by their
min/max: an update costs what the import brought, not what the workspace has gathered.
Its queries read the import id and the spans from session variables, so they are the
same queries from one update to the next, and their compiled SQL is kept.

Imports only ever add rows.  When a table lost rows (``--replace``) or the roster
changed (an agent's role decides which sessions are inquiries), what depends on it is
rebuilt whole.  Everything happens in one transaction: a failure leaves the previous
cache as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import duckdb
import ibis
import ibis.expr.datatypes as idt

from ..data.convert import SQL_TYPES
from ..data.schema import TABLES as SCHEMA
from ..data.sql import lit, one, rows, run
from ..months import month_end
from . import engine as E
from .compiled import SqlStore, compile_sql
from .inputs import Inputs, view
from .profiles import Profile

FACT_COLUMNS = (*E.FACT_SESSION_COLUMNS, *E.ROUND_COUNTS, "response_s_in_window",
                "first_response_s")
DAY_COLUMNS = ("agent_id", "day", *E.DAY_SUMS)
CUSTOMER_COLUMNS = ("agent_id", "day", "customer_id", "replied", "presale", "aftersale")
MONTH_COLUMNS = ("agent_id", "month", "customer_id", "replied", "presale", "aftersale",
                 "ordered", "paid")
KEEP_PROFILES = 4  # settings whose cache is kept (the least recently used dropped)
# the tables whose rows the cached figures rest on (a lost row means a rebuild)
WATCHED = ("sessions", "messages", "ratings", "orders", "agents")


def _order_columns() -> list[tuple[str, str]]:
    """The engine's orders: (column, SQL type); a timestamp twice, ``_utc`` and ``_local``."""
    out = []
    for c in SCHEMA["orders"].columns:
        if c.type == "timestamp":
            out += [(f"{c.name}_utc", "TIMESTAMP"), (f"{c.name}_local", "TIMESTAMP")]
        else:
            out.append((c.name, SQL_TYPES[c.type]))
    return out


ORDER_COLUMNS = _order_columns()
CREDIT_COLUMNS = ("credited", *(name for name, _ in ORDER_COLUMNS))

TABLES = {
    "_facts": """profile_key VARCHAR, session_id VARCHAR, customer_id VARCHAR,
        agent_id VARCHAR, kind VARCHAR, human_utc TIMESTAMP, human_local TIMESTAMP,
        agent_messages BIGINT, messages_from_utc TIMESTAMP, messages_to_utc TIMESTAMP,
        first_agent_utc TIMESTAMP, first_agent_text VARCHAR, rounds BIGINT, rounds_in_window BIGINT, answered_rounds BIGINT,
        answered_in_window BIGINT, in_time_in_window BIGINT, first_round_in_window BIGINT,
        first_in_time_in_window BIGINT, response_s_in_window DOUBLE, first_response_s DOUBLE""",
    "_days": """profile_key VARCHAR, agent_id VARCHAR, day DATE, sessions BIGINT,
        unanswered_sessions BIGINT, first_response_s_sum DOUBLE, first_responses BIGINT,
        window_response_s_sum DOUBLE, window_answered_rounds BIGINT,
        window_first_rounds_in_time BIGINT, window_first_rounds BIGINT,
        window_rounds_in_time BIGINT, window_rounds BIGINT, rated_sessions BIGINT,
        rated_good BIGINT, rated_bad BIGINT""",
    "_day_customers": """profile_key VARCHAR, agent_id VARCHAR, day DATE, customer_id VARCHAR,
        replied BOOLEAN, presale BOOLEAN, aftersale BOOLEAN""",
    "_month_customers": """profile_key VARCHAR, agent_id VARCHAR, month DATE,
        customer_id VARCHAR, replied BOOLEAN, presale BOOLEAN, aftersale BOOLEAN,
        ordered BOOLEAN, paid BOOLEAN""",
    # the orders as the engine sees them (local times computed) with their credit
    "_credit": "profile_key VARCHAR, credited VARCHAR, "
               + ", ".join(f"{name} {sql}" for name, sql in ORDER_COLUMNS),
    "_facts_state": """profile_key VARCHAR PRIMARY KEY, import_id INTEGER,
        used_at TIMESTAMPTZ, counts VARCHAR""",
}
KEYED = ("_facts", "_days", "_day_customers", "_month_customers", "_credit")


@dataclass
class CacheReport:
    profile_key: str
    recomputed_sessions: int
    full: bool  # the facts were computed for every session
    recomputed_days: int = 0  # local days whose rollups were rebuilt
    recomputed_orders: int = 0  # orders whose credit was recomputed
    refresh_s: float = 0.0  # time spent bringing the cache up to date


@dataclass
class Cached:
    """What a computation reads from the cache (Ibis tables over the workspace)."""

    facts: Any
    rollups: E.Rollups
    report: CacheReport


# --- an update's bounds, as session variables ---------------------------------------------
# An update's queries read the import id it starts from and the spans it touches.  Written
# as literals, they would make every update's queries new to the compiled-SQL store;
# read from DuckDB variables (``getvariable``, folded into a constant before the scan,
# so row groups are still skipped by their min/max), they are the same queries every time.


def cskpi_var_int(name):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN201
    ...


def cskpi_var_date(name):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN201
    ...


def cskpi_var_timestamp(name):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN201
    ...


_VARS = {
    kind: ibis.udf.scalar.builtin(fn, name="getvariable", signature=((idt.string,), dtype))
    for kind, fn, dtype in (("int", cskpi_var_int, idt.int64),
                            ("date", cskpi_var_date, idt.date),
                            ("timestamp", cskpi_var_timestamp, idt.timestamp))
}


def _var(con: duckdb.DuckDBPyConnection, name: str, value: int | dt.date) -> Any:
    """``value`` set as the connection's variable ``name``; an Ibis expression reading it."""
    if isinstance(value, bool | int):
        kind, text = "int", str(int(value))
    elif isinstance(value, dt.datetime):
        kind, text = "timestamp", f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    else:
        kind, text = "date", f"DATE '{value.isoformat()}'"
    run(con, f"SET VARIABLE {name} = {text}")
    return _VARS[kind](name).name(name)  # (Ibis cannot name a call of a literal)


# bumped when the engine computes the cached tables differently: a workspace's cache made
# by another engine version is then rebuilt, never reused
# (3: the facts carry the span of a session's messages and its first agent message)
ENGINE_VERSION = 3


def profile_key(p: Profile) -> str:
    """The settings the cached tables depend on (the facts' and the attribution's), and
    the engine version that computed them."""
    text = f"engine {ENGINE_VERSION}|{p.cache_key()}|{p.attribution}|{p.attribution_window_h}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached(backend: Any, con: duckdb.DuckDBPyConnection, inp: Inputs, p: Profile) -> Cached:
    """Facts, rollups (and credited orders, put in ``inp.memo``) brought up to date."""
    _ensure_tables(con)
    key = profile_key(p)
    current = int(one(con, "SELECT coalesce(max(import_id), 0) FROM _imports"))
    found = rows(con, "SELECT import_id, counts FROM _facts_state WHERE profile_key = ?", [key])
    state = (int(found[0][0]), json.loads(found[0][1])) if found else None
    report = CacheReport(key, 0, full=state is None)
    if state is None or state[0] != current:
        started = time.perf_counter()
        run(con, "BEGIN TRANSACTION")
        try:
            current = int(one(con, "SELECT coalesce(max(import_id), 0) FROM _imports"))
            _refresh(backend, con, inp, p, key, state, report)
            counts = _counts(con, current)
            run(con, "INSERT OR REPLACE INTO _facts_state VALUES (?, ?, now(), ?)",
                [key, current, json.dumps(counts)])
            _evict(con)
            run(con, "COMMIT")
        except BaseException:
            run(con, "ROLLBACK")
            raise
        report.refresh_s = time.perf_counter() - started
    else:
        run(con, "UPDATE _facts_state SET used_at = now() WHERE profile_key = ?", [key])
    facts = _keyed(backend, con, inp, "_facts", FACT_COLUMNS, key)
    rollups = E.Rollups(_keyed(backend, con, inp, "_days", DAY_COLUMNS, key),
                        _keyed(backend, con, inp, "_day_customers", CUSTOMER_COLUMNS, key),
                        E.firsts(facts),
                        _keyed(backend, con, inp, "_month_customers", MONTH_COLUMNS, key))
    if inp.has("orders"):
        # stored with their local times: read as they are, no join, nothing to convert
        inp.memo[inp.scope + E.credit_memo_key(p)] = _keyed(backend, con, inp, "_credit",
                                                            CREDIT_COLUMNS, key)
    return Cached(facts, rollups, report)


# --- what changed ------------------------------------------------------------------------


def _counts(con: duckdb.DuckDBPyConnection, upto: int) -> dict[str, list[int]]:
    """Each watched table's rows: {table: [rows of imports up to ``upto``, newer rows]}.

    Imports are stored in import order, so the newer rows are counted from the last row
    groups alone (their min/max skip the others) and the total comes from the metadata:
    neither reads the table, however long its history.
    """
    present = {r[0] for r in rows(con, "SELECT table_name FROM duckdb_tables() "
                                       "WHERE schema_name = 'main'")}
    out = {}
    for t in WATCHED:
        if t in present:
            total, newer = rows(con, f"SELECT (SELECT count(*) FROM {t}), "
                                     f"(SELECT count(*) FROM {t} WHERE _import_id > {upto})")[0]
            out[t] = [int(total) - int(newer), int(newer)]
    return out


def _changes(con: duckdb.DuckDBPyConnection, state: tuple[int, dict[str, Any]] | None
             ) -> tuple[set[str], set[str]]:
    """(tables with rows newer than the state, tables that lost rows since it).

    Imports only add rows, so a table lost rows (``--replace``) when it holds fewer rows
    of the imports up to the state's than the state counted.  Sessions derived from
    messages are replaced by a later import that continues them (they come back under
    its import id), so sessions are checked by key instead.
    """
    if state is None:
        return set(WATCHED), set(WATCHED)
    since, before = state
    grown, lost = set(), set()
    for t, (kept, newer) in _counts(con, since).items():
        if newer:
            grown.add(t)
        # (a state stored by an earlier cskpi, which counted otherwise, never matches)
        if t != "sessions" and [kept] != before.get(t, [0])[:1]:
            lost.add(t)
    return grown, lost


def _refresh(backend: Any, con: duckdb.DuckDBPyConnection, inp: Inputs, p: Profile, key: str,
             state: tuple[int, dict[str, Any]] | None, report: CacheReport) -> None:
    grown, lost = _changes(con, state)
    full = state is None or "messages" in lost
    days: set[Any] = set()
    # the touched sessions as they were and as they are: the days to roll up again,
    # (customer, human start) for the orders they may be credited with, and (agent, month,
    # customer) for the month rows to recompute
    run(con, "CREATE OR REPLACE TEMP TABLE _touched (session_id VARCHAR, customer_id VARCHAR, "
             "agent_id VARCHAR, human_utc TIMESTAMP, day DATE)")
    # the month rows (agent, month, customer) an update may change
    run(con, "CREATE OR REPLACE TEMP TABLE _month_keys (agent_id VARCHAR, month DATE, "
             "customer_id VARCHAR)")
    if not full and grown & {"sessions", "messages"}:
        since = state[0]  # type: ignore[index]
        run(con, f"""CREATE OR REPLACE TEMP TABLE _affected AS
            SELECT session_id FROM sessions WHERE _import_id > {since}
            UNION SELECT session_id FROM messages WHERE _import_id > {since}""")
        where = (f"profile_key = {lit(key)} AND session_id IN "
                 f"(SELECT session_id FROM _affected)")
        touched = (f"INSERT INTO _touched SELECT session_id, customer_id, agent_id, "
                   f"human_utc, CAST(human_local AS DATE) FROM _facts WHERE {where}")
        # as they were (a late message can move a session to another day; a continued
        # derived session is derived again)
        run(con, touched)
        # sessions seen before may have older messages; all of a new session's are new
        since_var = _var(con, "cskpi_since", since)
        seen_before = bool(one(con, "SELECT count(*) FROM _touched"))
        m = inp.get("messages")
        if m is not None:
            newer = m._import_id > since_var
            if seen_before:
                # read when the facts are computed below: _touched still holds the old rows
                seen = _query(backend, "SELECT session_id AS _seen FROM _touched", _seen="string")
                newer |= m.session_id.isin(seen._seen)
            m = m.filter(newer)
        # a session without facts came with a newer import (a continued derived session is
        # stored again under the import that continues it): when none had facts, the
        # sessions are looked for among the newer rows alone
        s = inp.get("sessions")
        s = None if seen_before or s is None else s.filter(s._import_id > since_var)
        run(con, f"DELETE FROM _facts WHERE {where}")
        affected = _query(backend, "SELECT session_id FROM _affected", session_id="string")
        _insert(backend, con, "_facts", FACT_COLUMNS, key,
                E.session_facts(inp, p, affected, m, s), "human_local", store=inp.sql_store)
        run(con, touched)  # and as they are now
        days |= {d for (d,) in rows(con, "SELECT DISTINCT day FROM _touched")}
        report.recomputed_sessions = int(one(con, "SELECT count(*) FROM _affected"))
        # sessions gone for good (a replaced table) leave facts behind: start again
        stored = one(con, "SELECT count(*) FROM _facts WHERE profile_key = ?", [key])
        full = stored != one(con, "SELECT count(*) FROM sessions")
    if full:
        report.full = True
        report.recomputed_sessions = _store_all(backend, con, "_facts", FACT_COLUMNS, key,
                                                E.session_facts(inp, p), "human_local",
                                                store=inp.sql_store)
    elif "ratings" in grown:
        days |= {d for (d,) in rows(con, f"""SELECT DISTINCT CAST(f.human_local AS DATE)
            FROM _facts f JOIN ratings r USING (session_id)
            WHERE f.profile_key = {lit(key)} AND r._import_id > {state[0]}""")}  # type: ignore[index]
    # an agent's role decides which sessions are inquiries: a roster change rebuilds all
    roster = bool(lost & {"agents"} or "agents" in grown)
    if full or roster or "ratings" in lost:
        _rebuild_days(backend, con, inp, key, None, report)
    elif days:
        _rebuild_days(backend, con, inp, key, days, report)
    whole = full or roster or "orders" in lost
    credit = inp.has("orders") and bool(whole or grown & {"orders", "sessions", "messages"})
    if credit:
        _refresh_credit(backend, con, inp, p, key, None if whole else state[0], report)  # type: ignore[index]
    # month rows: those whose day rows or orders' credit may have changed
    if whole:
        _rebuild_months(backend, con, inp, key, keyed=False)
    else:
        # a session's day rows are its agent's, customer's and day's, as it was and is
        run(con, "INSERT INTO _month_keys SELECT agent_id, CAST(date_trunc('month', day) "
                 "AS DATE), customer_id FROM _touched")
        _rebuild_months(backend, con, inp, key, keyed=True)


def _rebuild_months(backend: Any, con: duckdb.DuckDBPyConnection, inp: Inputs, key: str, *,
                    keyed: bool) -> None:
    """Recompute every month row, or (``keyed``) those of the (agent, month, customer)
    keys in ``_month_keys``."""
    days = _keyed(backend, con, inp, "_day_customers", CUSTOMER_COLUMNS, key)
    credited = _keyed(backend, con, inp, "_credit", CREDIT_COLUMNS, key) \
        if inp.has("orders") else None
    if not keyed:
        _store_all(backend, con, "_month_customers", MONTH_COLUMNS, key,
                   E.month_customers(days, credited), "month", store=inp.sql_store)
        return
    run(con, "CREATE OR REPLACE TEMP TABLE _affected_keys AS SELECT DISTINCT agent_id, month, "
             "customer_id FROM _month_keys WHERE month IS NOT NULL")
    first, last = rows(con, "SELECT min(month), max(month) FROM _affected_keys")[0]
    if first is None:
        return
    last = month_end(last)
    k = _query(backend, "SELECT agent_id AS _a, month AS _m, customer_id AS _c FROM "
               "_affected_keys", _a="string", _m="date", _c="string")
    # the months' span first: the day rows are stored in day order, its min/max skip rows
    days = days.filter(days.day >= _var(con, "cskpi_months_from", first),
                       days.day <= _var(con, "cskpi_months_to", last))
    picked = _query(backend, "SELECT DISTINCT customer_id AS _pick FROM _affected_keys",
                    _pick="string")
    # (a session without an agent has day and month rows without one: matched as null)
    days = days.semi_join(k, [days.agent_id.identical_to(k._a),
                              days.day.truncate("M") == k._m, days.customer_id == k._c])
    if credited is not None:
        credited = credited.filter(credited.customer_id.isin(picked._pick))
    # month_customers keeps the months of the day rows: the credit's other months drop out
    _store_changed(backend, con, "_month_customers", MONTH_COLUMNS, key,
                   E.month_customers(days, credited),
                   f"t.month BETWEEN DATE '{first}' AND DATE '{last}'",
                   join="SEMI JOIN _affected_keys k ON k.agent_id IS NOT DISTINCT FROM "
                        "t.agent_id AND k.month = t.month AND k.customer_id = t.customer_id",
                   store=inp.sql_store)


def _rebuild_days(backend: Any, con: duckdb.DuckDBPyConnection, inp: Inputs, key: str,
                  days: set[Any] | None, report: CacheReport) -> None:
    """Recompute the rollups of ``days`` (None: every day) from the stored facts."""
    where = f"profile_key = {lit(key)}"
    if days is not None:
        run(con, "CREATE OR REPLACE TEMP TABLE _affected_days (day DATE)")
        con.executemany("INSERT INTO _affected_days VALUES (?)", [[d] for d in days])
        where += " AND day IN (SELECT day FROM _affected_days)"
    for table in ("_days", "_day_customers"):
        run(con, f"DELETE FROM {table} WHERE {where}")
    facts = _keyed(backend, con, inp, "_facts", FACT_COLUMNS, key)
    if days is not None:
        picked = _query(backend, "SELECT day AS _pick FROM _affected_days", _pick="date")
        # the range first: the facts are stored in time order, so its min/max skip rows
        start, end = (dt.datetime.combine(d, dt.time()) for d in (min(days), max(days)))
        local = facts.human_local
        facts = facts.filter(local >= _var(con, "cskpi_days_from", start),
                             local < _var(con, "cskpi_days_to", end + dt.timedelta(days=1)),
                             local.date().isin(picked._pick))
    ss = E.service_sessions(inp, facts)
    run(con, f"CREATE OR REPLACE TEMP TABLE _ss AS {compile_sql(backend, ss, inp.sql_store)}")
    r = E.rollups(backend.sql("SELECT * FROM _ss"))  # (the types DuckDB gave it)
    _insert(backend, con, "_days", DAY_COLUMNS, key, r.days, "day", store=inp.sql_store)
    _insert(backend, con, "_day_customers", CUSTOMER_COLUMNS, key, r.customers, "day",
            store=inp.sql_store)
    run(con, "DROP TABLE _ss")
    report.recomputed_days = int(one(con, f"SELECT count(DISTINCT day) FROM _days WHERE "
                                          f"{where}"))


def _refresh_credit(backend: Any, con: duckdb.DuckDBPyConnection, inp: Inputs, p: Profile,
                    key: str, since: int | None, report: CacheReport) -> None:
    """Credit orders again: all (``since`` None), or those an import since then touched.

    Touched: orders imported since, and every order a touched session (``_touched``, as
    it was and as it is) was a candidate for: its customer's, created after the session's
    human start and within the attribution window.  No other order's candidates changed.
    """
    orders = inp.get("orders")
    if since is not None:
        window_us = int(round(p.attribution_window_h * 3600 * 1_000_000))
        # the orders created within the window after a touched session: their span first
        # (as a constant, so that the orders' min/max skip row groups of other times)
        first, last = rows(con, "SELECT min(epoch_us(human_utc)), max(epoch_us(human_utc)) "
                                "FROM _touched")[0]
        span = "" if first is None else (
            f"AND o.created_ts >= {_tz_at(first)} AND o.created_ts <= {_tz_at(last + window_us)}")
        run(con, f"""CREATE OR REPLACE TEMP TABLE _affected_orders AS
            SELECT order_id FROM orders WHERE _import_id > {since}
            UNION SELECT o.order_id FROM orders o JOIN _touched t USING (customer_id)
            WHERE epoch_us(o.created_ts) > epoch_us(t.human_utc)
              AND epoch_us(o.created_ts) - epoch_us(t.human_utc) <= {window_us} {span}""")
        picked = _query(backend, "SELECT order_id AS _pick FROM _affected_orders", _pick="string")
        orders = orders.filter(orders.order_id.isin(picked._pick))
    facts = _keyed(backend, con, inp, "_facts", FACT_COLUMNS, key)
    base = facts.filter(facts.customer_id.isin(orders.customer_id))
    if since is not None:
        # candidates start before their order and within the window: read only that span
        first, last = rows(con, """SELECT min(epoch_us(created_ts)), max(epoch_us(created_ts))
            FROM orders WHERE order_id IN (SELECT order_id FROM _affected_orders)""")[0]
        if first is not None:
            start = base.human_utc
            base = base.filter((start >= _var(con, "cskpi_credit_from", _utc(first - window_us)))
                               & (start < _var(con, "cskpi_credit_to", _utc(last))))
    credit = E.credit_orders(orders, E.base_of_facts(base), E.agents_table(inp), p)
    if since is None:
        report.recomputed_orders = _store_all(backend, con, "_credit", CREDIT_COLUMNS, key,
                                              credit, "created_ts_utc", store=inp.sql_store)
    else:
        _credit_keys(con, key)  # the month rows the orders' credit counted in, and counts in
        report.recomputed_orders = _store_changed(
            backend, con, "_credit", CREDIT_COLUMNS, key, credit,
            "order_id IN (SELECT order_id FROM _affected_orders)", store=inp.sql_store)
        _credit_keys(con, key)


def _credit_keys(con: duckdb.DuckDBPyConnection, key: str) -> None:
    """Add to ``_month_keys`` the month rows of the re-credited orders' credited agents,
    customers and months of creation and payment."""
    for col in ("created_ts_local", "paid_ts_local"):
        run(con, f"""INSERT INTO _month_keys SELECT credited,
            CAST(date_trunc('month', {col}) AS DATE), customer_id FROM _credit
            WHERE profile_key = {lit(key)} AND credited IS NOT NULL AND {col} IS NOT NULL
              AND order_id IN (SELECT order_id FROM _affected_orders)""")


# --- storage -------------------------------------------------------------------------


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    ensure_tables(con, TABLES)


def ensure_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, str]) -> None:
    """Create derived ``tables`` (name -> columns); drop them all first when an older
    cskpi made other ones (only derived: rebuilt by the next computation)."""
    have: dict[str, list[str]] = {}
    for name, column in rows(con, "SELECT table_name, column_name FROM duckdb_columns() "
                                  "WHERE schema_name = 'main' AND table_name IN "
                                  f"({', '.join(lit(t) for t in tables)}) "
                                  "ORDER BY table_name, column_index"):
        have.setdefault(name, []).append(column)
    # a comma inside parentheses (DECIMAL(18, 2)) does not end a column
    want = {t: [c.split()[0] for c in re.split(r",(?![^()]*\))", ddl.replace("\n", " "))]
            for t, ddl in tables.items()}
    if have and (set(have) != set(tables) or any(have[t] != want[t] for t in have)):
        for table in tables:
            run(con, f"DROP TABLE IF EXISTS {table}")
    for table, ddl in tables.items():
        run(con, f"CREATE TABLE IF NOT EXISTS {table} ({ddl})")


def _query(backend: Any, sql: str, **schema: Any) -> Any:
    """A query of the update's temp tables, as an Ibis table of the given schema (told,
    so that Ibis does not ask DuckDB for it)."""
    return backend.sql(sql, schema=schema)


def _keyed(backend: Any, con: duckdb.DuckDBPyConnection, inp: Inputs, table: str,
           columns: tuple[str, ...], key: str) -> Any:
    """The rows of a cache table stored under ``key`` (a view, made once per computation)."""
    name = f"cskpi{table}_{key}"
    found = inp.memo.get(name)
    if found is None:
        found = inp.memo[name] = view(
            backend, con, name,
            f"SELECT {', '.join(columns)} FROM {table} WHERE profile_key = {lit(key)}")
    return found


def _insert(backend: Any, con: duckdb.DuckDBPyConnection, table: str,
            columns: tuple[str, ...], key: str, expr: Any, order: str, *,
            store: SqlStore | None) -> int:
    """Store ``expr``'s ``columns`` under ``key``, in ``order``; returns the number of rows.

    Stored in time order, a table's row groups each span a short time, and a later
    update that reads a few days of it skips the others by their min/max.
    """
    cols = ", ".join(columns)
    sql = compile_sql(backend, expr.select(*columns), store)
    return int(one(con, f"INSERT INTO {table} (profile_key, {cols}) "
                        f"SELECT {lit(key)}, {cols} FROM ({sql}) ORDER BY {order}"))


def _store_all(backend: Any, con: duckdb.DuckDBPyConnection, table: str,
               columns: tuple[str, ...], key: str, expr: Any, order: str, *,
               store: SqlStore | None) -> int:
    """Replace every row under ``key`` by ``expr``'s; returns the number of rows stored."""
    run(con, f"DELETE FROM {table} WHERE profile_key = ?", [key])
    return _insert(backend, con, table, columns, key, expr, order, store=store)


def _store_changed(backend: Any, con: duckdb.DuckDBPyConnection, table: str,
                   columns: tuple[str, ...], key: str, expr: Any, scope: str, *,
                   join: str = "", store: SqlStore | None) -> int:
    """Make the rows under ``key`` that ``scope`` selects equal ``expr``'s rows, deleting
    and inserting only the rows that differ; returns the number of rows ``expr`` has.
    ``scope`` is a condition on the table as ``t``, after ``join`` (a semi join, say).

    Most recomputed rows come out as they were stored.  Deleting them all would scatter
    deletions over the table, which the next checkpoint pays for by rewriting it (0.3 s
    for 10 % of 800k rows, against a few milliseconds for the rows that changed).
    """
    cols = ", ".join(columns)
    fresh_sql = compile_sql(backend, expr.select(*columns), store)
    run(con, f"CREATE OR REPLACE TEMP TABLE _fresh AS {fresh_sql}")
    # the stored rows in scope, read once: both comparisons below are between small tables
    run(con, f"""CREATE OR REPLACE TEMP TABLE _stored AS SELECT t.rowid AS _row,
        {", ".join(f"t.{c}" for c in columns)} FROM {table} t {join}
        WHERE t.profile_key = {lit(key)} AND {scope}""")
    same = " AND ".join(f"n.{c} IS NOT DISTINCT FROM m.{c}" for c in columns)
    run(con, f"""DELETE FROM {table} WHERE rowid IN (SELECT m._row FROM _stored m
        WHERE NOT EXISTS (SELECT 1 FROM _fresh n WHERE {same}))""")
    run(con, f"""INSERT INTO {table} (profile_key, {cols})
        SELECT {lit(key)}, {cols} FROM _fresh n
        WHERE NOT EXISTS (SELECT 1 FROM _stored m WHERE {same})""")
    fresh = int(one(con, "SELECT count(*) FROM _fresh"))
    run(con, "DROP TABLE _fresh")
    run(con, "DROP TABLE _stored")
    return fresh


def _tz_at(epoch_us: int) -> str:
    """A TIMESTAMPTZ constant of microseconds since the epoch, in SQL."""
    return f"TIMESTAMPTZ '{_utc(epoch_us).isoformat(sep=' ')}+00'"


def _utc(epoch_us: int) -> dt.datetime:
    """A naive UTC timestamp from microseconds since the epoch."""
    return dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=epoch_us)


def _evict(con: duckdb.DuckDBPyConnection) -> None:
    old = rows(con, f"SELECT profile_key FROM _facts_state ORDER BY used_at DESC "
                    f"OFFSET {KEEP_PROFILES}")
    for (key,) in old:
        for table in (*KEYED, "_facts_state"):
            run(con, f"DELETE FROM {table} WHERE profile_key = ?", [key])
