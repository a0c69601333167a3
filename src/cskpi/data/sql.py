"""Small helpers over a DuckDB connection (DuckDB 2 wants every result consumed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


def run(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> None:
    """Execute a statement and consume its result."""
    con.execute(sql, params or []).fetchall()


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> list[tuple[Any, ...]]:
    return con.execute(sql, params or []).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    """The first column of the first row (None when there is no row)."""
    result = con.execute(sql, params or []).fetchall()
    return result[0][0] if result else None


def ident(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote a string literal."""
    return "'" + value.replace("'", "''") + "'"
