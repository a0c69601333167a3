"""Everything cskpi asks of Ibis beyond its public API, in one place.

Ibis 12 has no public way to run a query from SQL it has already compiled, to name an
in-memory table, or to spell one of its types in the backend's SQL.  These three
functions do it with Ibis's internals; when Ibis changes, this module (and the digest
of expressions in :mod:`cskpi.metrics.compiled`) is what to update.  The tests of the
catalog on both engines and of the compiled-SQL store cover every function here.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from .compiled import SqlStore, compile_sql


def duckdb_backend(con: Any) -> Any:
    """An Ibis backend on an open DuckDB connection (the queries run on ``con``)."""
    return ibis.duckdb.from_connection(con)


def fetch(backend: Any, expr: ir.Table, store: SqlStore | None = None) -> list[dict[str, Any]]:
    """The rows of ``expr`` as dicts (``store``: where the workspace keeps compiled SQL).

    On DuckDB this is what ``backend.to_pyarrow(expr)`` does, with the SQL taken from
    the compiled-SQL store instead of compiled again.
    """
    if backend.name != "duckdb":
        return backend.to_pyarrow(expr).to_pylist()
    from ibis.backends.duckdb.converter import DuckDBPyArrowData

    backend._run_pre_execute_hooks(expr)  # in-memory tables registered
    table = backend.con.sql(compile_sql(backend, expr.as_table(), store)).to_arrow_table()
    return expr.__pyarrow_result__(table, data_mapper=DuckDBPyArrowData).to_pylist()


def named_memtable(columns: dict[str, list[Any]], name: str) -> ir.Table:
    """An in-memory table with the given name (Ibis names them at random)."""
    return ibis.memtable(columns).op().copy(name=name).to_expr()


def sql_type(backend: Any, dtype: Any) -> str:
    """Ibis's type ``dtype`` spelt in the backend's SQL."""
    return str(backend.compiler.type_mapper.to_string(dtype))
