"""Workspace files damaged on purpose: the hostile-workspace tests of the core
(tests/unit/test_workspace_hostile.py) and of the web app
(tests/web/test_workspace_hostile_web.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

HEADER_BYTES = 3 * 4096  # DuckDB's main header and its two database headers
BLOCK_BYTES = 256 * 1024  # DuckDB's default block size


def damage(path: Path, offset: int, size: int = 64) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(b"\xab" * size)


def opens_and_scans(path: Path) -> tuple[bool, bool]:
    """(DuckDB opens it, every table of it reads back)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False, False
    try:
        for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            con.execute(f'SELECT * FROM "{name}"').fetchall()
        return True, True
    except duckdb.Error:
        return True, False
    finally:
        con.close()


def with_damaged_data_block(source: Path, dst: Path) -> Path:
    """A copy of ``source`` with one data block damaged: it opens, and a query fails.

    The bytes overwritten follow the block's checksum: a small shop fills only the start
    of its blocks, and DuckDB checks only what is used.
    """
    for block in range((source.stat().st_size - HEADER_BYTES) // BLOCK_BYTES):
        shutil.copy(source, dst)
        damage(dst, HEADER_BYTES + block * BLOCK_BYTES + 16)
        if opens_and_scans(dst) == (True, False):
            return dst
    raise AssertionError("no data block found whose damage shows only when it is read")
