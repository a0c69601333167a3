"""Logical input tables for the metric engine, per backend.

The engine (Ibis) never converts time zones itself: each backend adapter exposes every
timestamp twice, as ``X_utc`` (a naive UTC instant, for exact differences) and
``X_local`` (naive wall-clock time in the dataset's zone, for day cuts and service
windows).  Only this module knows how a backend spells that conversion.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..data.schema import TABLES
from ..data.sql import ident, lit, rows
from .compiled import compile_sql, user_store
from .ibis_adapter import sql_type
from .localtime import local_sql

TIMESTAMP_COLUMNS = {
    name: tuple(c.name for c in t.columns if c.type == "timestamp") for name, t in TABLES.items()
}


def _select_list(table: str, utc: Any, local: Any) -> str:
    """SELECT list of a logical table: plain columns as they are, timestamps split in two."""
    parts = []
    for col in TABLES[table].columns:
        if col.name in TIMESTAMP_COLUMNS[table]:
            parts.append(f"{utc(col.name)} AS {ident(col.name + '_utc')}")
            parts.append(f"{local(col.name)} AS {ident(col.name + '_local')}")
        else:
            parts.append(ident(col.name))
    return ", ".join(parts)


@functools.cache
def _builtin(name: str, args: tuple[Any, ...]) -> Any:
    """A function the backend already has, made callable on Ibis expressions (one Ibis
    operation per function: the compiled-SQL store knows queries by their operations)."""
    import ibis
    import ibis.expr.datatypes as dt

    def one(ts):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
        ...

    def two(ts, zone):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
        ...

    return ibis.udf.scalar.builtin(one if len(args) == 1 else two, name=name,
                                   signature=(args, dt.timestamp))


# DuckDB's sessions input numbers its rows (the stored table's rowid): the session facts'
# work per round is keyed by that number, which sorts and groups faster than the id
SESSION_NUMBER = "_session_number"


@dataclass
class Inputs:
    """Ibis tables of the logical inputs; a table absent from the data is None.

    ``memo`` keeps derived tables that several queries share (sessions with their
    human start, credited orders), each materialised once per computation.
    """

    tables: dict[str, Any]
    tz: str
    memo: dict[str, Any] = field(default_factory=dict)
    scope: str = ""  # key prefix of restricted views, which share the parent's memo
    # naive UTC timestamp expression -> naive local one, in the backend's own spelling;
    # used on aggregated rows (session starts, rounds), never per message
    to_local: Any = None

    # (key, expression) -> the expression materialised, read back as a table
    # (:class:`TempTables`); None: Ibis's ``.cache()`` (a Spark cache)
    materialize: Any = None
    sql_store: Any = None  # where a workspace keeps compiled queries (SqlStore), if any
    # a read-write workspace connection: what is derived from the inputs may be kept in it
    # (QA results); False for a read-only workspace and for a data folder
    writable: bool = False
    # the sessions table has a SESSION_NUMBER column, one number per session (its id
    # is the table's key); not on Spark, whose rows have no such number
    number_sessions: bool = False

    def shared(self, key: str, build: Any) -> Any:
        """``build()`` once, materialised."""
        key = self.scope + key
        if key not in self.memo:
            expr = build()
            self.memo[key] = expr.cache() if self.materialize is None \
                else self.materialize(key, expr)
        return self.memo[key]

    def restricted(self, session_ids: Any, messages: Any = None, sessions: Any = None
                   ) -> Inputs:
        """The same inputs with sessions and messages limited to ``session_ids``.

        ``messages``, ``sessions``: parts of those tables known to hold all of theirs
        (cheaper to filter than the whole tables).
        """
        tables = dict(self.tables)
        for name, part in (("messages", messages), ("sessions", sessions)):
            if part is not None:
                tables[name] = part
        for name in ("sessions", "messages"):
            t = tables.get(name)
            if t is not None:
                tables[name] = t.filter(t.session_id.isin(session_ids.session_id))
        return Inputs(tables, self.tz, memo=self.memo,
                      scope=f"{self.scope}restricted{len(self.memo)}:", to_local=self.to_local,
                      materialize=self.materialize, number_sessions=self.number_sessions)

    def release(self) -> None:
        """Drop every materialised table (before the connection closes)."""
        if self.materialize is not None:
            self.materialize.release()
        for value in self.memo.values():
            release = getattr(value, "release", None)
            if release is not None:
                try:
                    release()
                except Exception:  # noqa: BLE001 - a table that was never built
                    pass
        self.memo.clear()

    def get(self, name: str) -> Any:
        return self.tables.get(name)

    def has(self, name: str) -> bool:
        return self.tables.get(name) is not None


def view(backend: Any, con: duckdb.DuckDBPyConnection, name: str, sql: str) -> Any:
    """``sql`` as a temporary view of the connection, as an Ibis table.

    Ibis compiles a table by name several times faster than one given as SQL text,
    which it parses again in every query that uses it.
    """
    con.execute(f"CREATE OR REPLACE TEMP VIEW {ident(name)} AS {sql}").fetchall()
    return backend.table(name)


class TempTables:
    """Materialise shared tables as temp tables named after their memo key.

    Ibis's ``.cache()`` names its table at random, so every query that reads it is new
    to the compiled-SQL store (:mod:`cskpi.metrics.compiled`) and compiled again, in
    every command.  A name that only depends on the key keeps those queries the same
    from one command to the next.  (Keys are unique within one :class:`Inputs`; a
    connection serves one at a time.)
    """

    PREFIX = "_cskpi_shared_"

    def __init__(self, backend: Any, con: duckdb.DuckDBPyConnection,
                 store: Any = None) -> None:
        self.backend, self.con, self.store = backend, con, store
        self.names: list[str] = []
        self.views: list[str] = []  # temp views others made over these tables (QA)

    def __call__(self, key: str, expr: Any) -> Any:
        name = self.PREFIX + hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
        # the columns of Ibis's types (DuckDB's own would differ: a sum of BIGINTs is
        # a HUGEINT, which Ibis reads back as a decimal)
        columns = ", ".join(f"{ident(c)} {sql_type(self.backend, t)}"
                            for c, t in expr.schema().items())
        sql = compile_sql(self.backend, expr, self.store)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({columns})").fetchall()
        self.con.execute(f"INSERT INTO {name} {sql}").fetchall()
        self.names.append(name)
        return self.backend.table(name)

    def release(self) -> None:
        for view_name in self.views:
            self.con.execute(f"DROP VIEW IF EXISTS temp.main.{ident(view_name)}").fetchall()
        self.views.clear()
        for name in self.names:
            self.con.execute(f"DROP TABLE IF EXISTS temp.main.{name}").fetchall()
        self.names.clear()


def duckdb_inputs(backend: Any, con: duckdb.DuckDBPyConnection, tz: str,
                  sql_store: Any = None, writable: bool = False) -> Inputs:
    """Inputs over a workspace connection (tables with at least one row); ``sql_store``:
    where the workspace keeps compiled queries (a writable connection; without one, the
    user's cache folder keeps them, :func:`~.compiled.user_store`); ``writable``: the
    connection may keep derived tables in the workspace.  Each input is a view
    ``cskpi_in_NAME`` of the stored table ``NAME``."""
    if sql_store is None:
        sql_store = user_store()
    present = {r[0] for r in rows(con, "SELECT table_name FROM duckdb_tables() "
                                       "WHERE schema_name = 'main'")}
    tables: dict[str, Any] = {}
    for name in TABLES:
        if name not in present:
            continue
        if not rows(con, f"SELECT 1 FROM {ident(name)} LIMIT 1"):
            continue
        select = _select_list(
            name,
            # epoch microseconds -> naive timestamp: the UTC instant without a (slow)
            # time-zone computation per row
            utc=lambda c: f"make_timestamp(epoch_us({ident(c)}))",
            local=lambda c: local_sql(tz, f"epoch_us({ident(c)})",
                                      f"timezone({lit(tz)}, {ident(c)})"),
        )
        if name == "sessions":
            select += f", rowid AS {SESSION_NUMBER}"
        # _import_id lets the facts cache read only what an import added (the engine
        # never uses it; a filter on it skips whole row groups of older imports)
        tables[name] = view(backend, con, f"cskpi_in_{name}",
                            f"SELECT {select}, _import_id FROM {ident(name)}")
    import ibis.expr.datatypes as dt

    icu = f"timezone({lit(tz)}, timezone('UTC', x))"
    con.execute(f"CREATE OR REPLACE TEMP MACRO cskpi_local(x) AS "
                f"{local_sql(tz, 'epoch_us(x)', icu)}").fetchall()
    local = _builtin("cskpi_local", (dt.timestamp,))
    return Inputs(tables, tz, to_local=lambda e: local(e),
                  materialize=TempTables(backend, con, sql_store), sql_store=sql_store,
                  writable=writable, number_sessions=True)


def export_parquet(con: duckdb.DuckDBPyConnection, out: Path) -> list[str]:
    """Write each non-empty workspace table to ``out/TABLE.parquet`` (for other engines)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    present = {r[0] for r in rows(con, "SELECT table_name FROM duckdb_tables()")}
    for name in TABLES:
        if name in present and rows(con, f"SELECT 1 FROM {ident(name)} LIMIT 1"):
            cols = ", ".join(
                f"timezone('UTC', {ident(c)}) AS {ident(c)}" if c in TIMESTAMP_COLUMNS[name]
                else ident(c) for c in TABLES[name].column_names)
            con.execute(f"COPY (SELECT {cols} FROM {ident(name)}) TO "
                        f"{lit(str(out / (name + '.parquet')))} (FORMAT parquet)").fetchall()
            written.append(name)
    return written


def spark_inputs(backend: Any, spark: Any, parquet_dir: Path, tz: str) -> Inputs:
    """Inputs for PySpark from Parquet files whose timestamps are naive UTC."""
    tables: dict[str, Any] = {}
    for name in TABLES:
        path = parquet_dir / f"{name}.parquet"
        if not path.exists():
            continue
        raw = f"cskpi_raw_{name}"
        spark.read.parquet(str(path)).createOrReplaceTempView(raw)
        select = _select_list(
            name,
            utc=lambda c: f"`{c}`",
            local=lambda c: f"from_utc_timestamp(`{c}`, '{tz}')",
        ).replace('"', "`")
        tables[name] = backend.sql(f"SELECT {select} FROM {raw}", dialect="spark")
    import ibis.expr.datatypes as dt

    local = _builtin("from_utc_timestamp", (dt.timestamp, dt.string))
    return Inputs(tables, tz, to_local=lambda e: local(e, tz))
