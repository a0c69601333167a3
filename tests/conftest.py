"""Shared fixtures: build data folders from text, run the CLI, open workspaces; and the
test tiers.

Tiers: ``pytest`` alone runs the default tier (``addopts = -m 'not slow'`` and one
worker per core in pyproject.toml): unit, golden, docs, QA and reports, under two minutes
on two cores.  ``pytest -m slow`` runs the rest, which ``./test.sh`` runs second so that
CI runs everything.  A test is slow when it is marked ``slow`` itself (module-level
``pytestmark`` or a decorator, each with its reason: Spark, LibreOffice, fuzzing, large
files, long replays of imports, child processes killed), when it needs a browser or
PostgreSQL (every test marked ``browser`` or ``postgres`` is marked ``slow`` here as
well), or when it lives in a folder of :data:`SLOW_FOLDERS`: the web app's tests, which
start the app and its database for each test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cskpi.cli.main import app
from tests.helpers.common import AGENTS_CSV, write_folder

# markers that make a test slow too (the slow tier is everything the default tier leaves)
SLOW_TOO = ("browser", "postgres")
# folders (under tests/) whose every test is slow: the web app through its TestClient
SLOW_FOLDERS = ("web", "e2e", "integration")
TESTS = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before -m selects: the markers added here count
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("slow"):
            continue
        folder = item.path.relative_to(TESTS).parts[0] if item.path.is_relative_to(
            TESTS) else ""
        if folder in SLOW_FOLDERS or any(item.get_closest_marker(m) for m in SLOW_TOO):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def compiled_sql_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user's cache of compiled queries (cskpi.metrics.compiled.user_store) in a
    folder of the test session's, not in the home folder of whoever runs the tests."""
    folder = tmp_path_factory.mktemp("user-cache")
    before = os.environ.get("CSKPI_CACHE_DIR")
    os.environ["CSKPI_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("CSKPI_CACHE_DIR", None)
    else:
        os.environ["CSKPI_CACHE_DIR"] = before


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
