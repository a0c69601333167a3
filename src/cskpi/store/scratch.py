"""A scratch DuckDB connection: in memory, spilling to a temporary folder removed after.

What a check of a folder, a computation on a folder (``--data``) and a check of an
import against a workspace each work in: nothing of it outlives the ``with`` block.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ..data.sql import lit, run
from .files import NO_EXTENSIONS
from .workspace import DEFAULT_MEMORY_LIMIT


@contextmanager
def scratch(prefix: str, timezone: str | None = None
            ) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
    """An in-memory connection (no extensions loaded, the workspace's memory limit) and
    its temporary folder; ``timezone`` sets the session's time zone."""
    tmp = Path(tempfile.mkdtemp(prefix=f"cskpi-{prefix}-"))
    con = duckdb.connect(config=dict(NO_EXTENSIONS))
    try:
        run(con, f"SET memory_limit = {lit(DEFAULT_MEMORY_LIMIT)}")
        run(con, f"SET temp_directory = {lit(str(tmp))}")
        if timezone is not None:
            set_timezone(con, timezone)
        yield con, tmp
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)


def set_timezone(con: duckdb.DuckDBPyConnection, timezone: str) -> None:
    """Read and show local times in ``timezone`` on ``con``."""
    run(con, f"SET TimeZone = {lit(timezone)}")
