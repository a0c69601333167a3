"""Small helpers over a DuckDB connection (DuckDB 2 wants every result consumed).

Nothing from a file or a user is pasted into SQL as it is: values are bound as
parameters (``con.execute(sql, [params])``), names quoted with :func:`ident`, strings
with :func:`lit`, and file paths go through :func:`file_path`.  ``tests/unit/
test_sql_guard.py`` checks every SQL string the project builds for that.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

_GLOB = re.compile(r"([*?\[])")


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
    """Quote an identifier: inside double quotes only ``"`` is special, written twice."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote a string literal: inside single quotes only ``'`` is special, written twice
    (DuckDB has no backslash escapes in standard strings).  A NUL, which ends DuckDB's
    parsing of a quoted string, is spelt ``chr(0)`` between the parts."""
    parts = ["'" + part.replace("'", "''") + "'" for part in value.split("\0")]
    return parts[0] if len(parts) == 1 else "(" + " || chr(0) || ".join(parts) + ")"


def file_path(path: Path | str) -> str:
    """A local file as DuckDB's readers (``read_csv``, ``read_parquet``) must be given it.

    They expand globs and prefixes in the name: ``*``, ``?`` and ``[`` in a folder name
    would read other files too (``data*`` also matches ``data-old``), and a relative
    ``~/…`` means the home folder.  The path is made absolute and its globbing
    characters are escaped as one-character classes (``[*]``), which match themselves.
    Bind the result as a parameter, or quote it with :func:`lit`.
    """
    return _GLOB.sub(r"[\1]", os.path.abspath(path))
