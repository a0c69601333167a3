"""Shared fixtures: build data folders from text, run the CLI, open workspaces."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from cskpi.cli.main import app

AGENTS_CSV = """\
agent_id,name,role,team,level
001,张伟,presale,A,senior
002,李娜,aftersale,B,junior
"""


def write_folder(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def folder(tmp_path: Path) -> Callable[..., Path]:
    """folder({'agents.csv': '...'}) -> a data folder; agents.csv is added unless given."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes], with_agents: bool = True) -> Path:
        all_files: dict[str, str | bytes] = {}
        if with_agents and not any(n.startswith("agents.") for n in files):
            all_files["agents.csv"] = AGENTS_CSV
        all_files.update(files)
        return write_folder(tmp_path / f"data{next(counter)}", all_files)

    return make


@pytest.fixture
def cli() -> Callable[..., Any]:
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return invoke


def issues_of(result: Any) -> list[dict[str, Any]]:
    return json.loads(result.stdout)["issues"]


def query(workspace: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(workspace), read_only=True)
    try:
        con.execute("SET TimeZone = 'Asia/Shanghai'").fetchall()
        return con.execute(sql).fetchall()
    finally:
        con.close()
