"""Plain helpers shared by tests of every folder: data folders written from text, SQL on a
workspace file, the issues a CLI command printed as JSON.  (Fixtures stay in the
conftest.py files; test modules import helpers from tests/helpers only, never from
another test module or a conftest: tests/unit/test_test_imports.py checks that.)"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import duckdb

AGENTS_CSV = """\
agent_id,name,role,team,level
001,张伟,presale,A,senior
002,李娜,aftersale,B,junior
"""


def write_folder(root: Path, files: dict[str, str | bytes]) -> Path:
    """``root`` with one file per entry: text dedented and written as UTF-8, bytes as they
    are."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def issues_of(result: Any) -> list[dict[str, Any]]:
    """The issues of a CLI result printed with ``--format json``."""
    return json.loads(result.stdout)["issues"]


def query(workspace: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on a workspace file opened read-only, in the shop's time zone."""
    con = duckdb.connect(str(workspace), read_only=True)
    try:
        con.execute("SET TimeZone = 'Asia/Shanghai'").fetchall()
        return con.execute(sql).fetchall()
    finally:
        con.close()


# two days of a chat export, imported one after the other: S2 crosses midnight, and DAY2
# (7 rows) repeats DAY1's last two
MESSAGES_DAY1 = """\
session_id,ts,sender,agent_id,customer_id,event
S1,2026-10-03 10:00:00,customer,,C1,
S1,2026-10-03 10:00:30,agent,001,,
S2,2026-10-03 23:59:00,customer,,C2,
S2,2026-10-04 00:00:20,agent,002,,
"""
MESSAGES_DAY2 = """\
session_id,ts,sender,agent_id,customer_id,event
S2,2026-10-03 23:59:00,customer,,C2,
S2,2026-10-04 00:00:20,agent,002,,
S2,2026-10-04 00:05:00,customer,,C2,
S3,2026-10-04 09:00:00,customer,,C3,
S3,2026-10-04 09:00:05,bot,,,
S3,2026-10-04 09:01:00,system,,,transfer
S3,2026-10-04 09:02:00,agent,001,,
"""
