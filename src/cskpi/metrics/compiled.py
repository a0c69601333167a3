"""Compiled SQL of Ibis expressions, remembered by the expressions' structure.

Compiling an expression to SQL is Ibis's slowest step: a month's catalog is about fifteen
queries, and turning them into SQL costs more than DuckDB spends running them on a
warm cache.  The same query is asked again and again in one process (a web server
computing a page's figures; a report computing the month by agent, by shop and by day;
every cached-versus-fresh pair of the tests), so its SQL is kept, in memory, under a
digest of the expression.

The digest covers every argument of every node of the expression graph: operation
classes, column names, data types, literals with their types, and the names and schemas
of the tables read.  Two expressions with one digest compile to one SQL text.  An
expression holding anything the digest cannot spell out exactly (an in-memory table,
whose name is random and whose rows are data) is compiled every time, never kept; an
in-memory table named after a digest of its rows (``cskpi_rows_*``) is known by its name.

A workspace also keeps the SQL of the catalog's queries (:class:`SqlStore`, table
``_compiled``), so that the next command, another process, skips compiling them too.
Its keys carry the versions of Ibis and SQLGlot besides the digest: another compiler
never reads SQL it did not write.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import duckdb
import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import sqlglot
from ibis.backends import BaseBackend

from ..data.sql import one, run

KEEP = 512  # compiled queries kept (the least recently used dropped)
# in-memory tables named after their rows (engine.periods_table): known by name and schema
NAMED_ROWS = "cskpi_rows_"
_SCALARS = (type(None), bool, int, float, str, bytes, Decimal, dt.date, dt.time, dt.timedelta,
            enum.Enum)
_kept: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


class _Unspellable(Exception):
    """The expression holds something the digest cannot spell out exactly."""


def digest(expr: ir.Expr) -> str | None:
    """A digest of the whole expression graph, or None when it cannot be spelt out."""
    try:
        return _node(expr.op(), {})
    except _Unspellable:
        return None


def _node(node: Any, seen: dict[int, str]) -> str:
    """The digest of an Ibis node (an operation, a data type, a schema), memoised by id:
    the graph shares nodes, and every node stays alive while the graph is walked."""
    found = seen.get(id(node))
    if found is not None:
        return found
    args = zip(node.__argnames__, node.__args__, strict=True)
    if isinstance(node, ops.InMemoryTable):
        if not node.name.startswith(NAMED_ROWS):
            raise _Unspellable  # its rows are data the digest does not read
        args = (("name", node.name), ("schema", node.schema))  # its name spells its rows
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{type(node).__module__}.{type(node).__qualname__}".encode())
    for name, arg in args:
        h.update(f"|{name}=".encode())
        h.update(_value(arg, seen).encode())
    out = h.hexdigest()
    seen[id(node)] = out
    return out


def _value(v: Any, seen: dict[int, str]) -> str:
    if isinstance(v, _SCALARS):
        # the type too: 1, 1.0 and True are different literals
        return f"{type(v).__qualname__}:{v!r}"
    if isinstance(v, BaseBackend):
        return f"backend:{v.name}"  # tables are told apart by their names and schemas
    if hasattr(v, "__argnames__"):
        return "node:" + _node(v, seen)
    if isinstance(v, tuple | list):
        return "(" + ",".join(_value(x, seen) for x in v) + ")"
    if isinstance(v, Mapping):
        return "{" + ",".join(f"{_value(k, seen)}:{_value(x, seen)}" for k, x in v.items()) + "}"
    if isinstance(v, frozenset):
        return "set(" + ",".join(sorted(_value(x, seen) for x in v)) + ")"
    raise _Unspellable


class SqlStore:
    """The compiled queries a workspace keeps for the next command (a writable connection)."""

    KEEP = 256  # queries kept (the oldest dropped)

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        run(con, "CREATE TABLE IF NOT EXISTS _compiled (key VARCHAR PRIMARY KEY, "
                 "sql VARCHAR, stored_at TIMESTAMP)")

    def get(self, key: str) -> str | None:
        return one(self.con, "SELECT sql FROM _compiled WHERE key = ?", [key])

    def put(self, key: str, sql: str) -> None:
        run(self.con, "INSERT OR REPLACE INTO _compiled VALUES (?, ?, now())", [key, sql])
        run(self.con, f"""DELETE FROM _compiled WHERE key NOT IN (SELECT key FROM _compiled
            ORDER BY stored_at DESC, key LIMIT {self.KEEP})""")


_VERSIONS = f"ibis {ibis.__version__}, sqlglot {sqlglot.__version__}"


def compile_sql(backend: Any, expr: ir.Expr, store: SqlStore | None = None) -> str:
    """``backend.compile(expr)``, from memory (or from ``store``) when the same expression
    was compiled before."""
    found = digest(expr)
    if found is None:
        return backend.compile(expr)
    key = f"{backend.name} ({_VERSIONS}): {found}"
    with _lock:
        sql = _kept.get(key)
        if sql is not None:
            _kept.move_to_end(key)
            return sql
    sql = store.get(key) if store is not None else None
    if sql is None:
        sql = backend.compile(expr)
        if store is not None:
            store.put(key, sql)
    with _lock:
        _kept[key] = sql
        while len(_kept) > KEEP:
            _kept.popitem(last=False)
    return sql


def forget() -> None:
    """Drop every kept query (tests)."""
    with _lock:
        _kept.clear()
