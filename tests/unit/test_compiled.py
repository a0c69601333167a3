"""Compiled SQL remembered by the expression's structure, in memory and in the workspace."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import ibis
import pytest
from ibis.backends.duckdb import Backend

from cskpi.data.demo import generate
from cskpi.metrics import compiled
from cskpi.metrics.compiled import (
    FolderSqlStore,
    SqlStore,
    cache_folder,
    compile_sql,
    digest,
    user_store,
)
from cskpi.metrics.compute import MetricQuery
from cskpi.metrics.engine import periods_table
from cskpi.shop import Shop
from cskpi.store.workspace import Workspace
from tests.helpers.day_imports import read_tables, split_by_day, write_tables


def build(threshold: object, column: str = "n") -> ibis.Table:
    """One query shape, built anew on every call."""
    t = ibis.table({"agent_id": "string", "n": "int64", "ts": "timestamp"}, name="t")
    return t.filter(t[column] > threshold).group_by("agent_id").agg(total=t.n.sum())


def test_the_same_structure_has_one_digest() -> None:
    assert digest(build(3)) == digest(build(3))
    assert digest(build(3)) is not None


@pytest.mark.parametrize("other", [
    build(4),  # another value
    build(3.0),  # another type: 3.0 is not 3
    build(ibis.literal(3, "int16")),  # the same value as another type (3 is an int8)
    build(3).order_by("agent_id"),  # one more step
    ibis.table({"agent_id": "string", "n": "int32", "ts": "timestamp"}, name="t")
    .pipe(lambda t: t.filter(t.n > 3).group_by("agent_id").agg(total=t.n.sum())),  # a type
    ibis.table({"agent_id": "string", "n": "int64", "ts": "timestamp"}, name="u")
    .pipe(lambda t: t.filter(t.n > 3).group_by("agent_id").agg(total=t.n.sum())),  # a table
])
def test_any_difference_gives_another_digest(other: ibis.Table) -> None:
    assert digest(other) != digest(build(3))


def test_an_in_memory_table_is_never_kept() -> None:
    rows = ibis.memtable({"x": [1, 2]})
    assert digest(rows.filter(rows.x > 1)) is None


def test_a_table_of_periods_is_known_by_its_rows() -> None:
    """periods_table names the rows after their contents: the same periods, one digest
    (in any process); other periods, another."""
    def periods(*ends: dt.date) -> ibis.Table:
        t = periods_table({"_key": list(ends), "_to": list(ends)})
        return t.filter(t._to > dt.date(2026, 1, 1))

    october = periods(dt.date(2026, 10, 31))
    assert digest(october) is not None
    assert digest(october) == digest(periods(dt.date(2026, 10, 31)))
    assert digest(october) != digest(periods(dt.date(2026, 11, 30)))
    assert digest(october) != digest(periods(dt.date(2026, 10, 31), dt.date(2026, 11, 30)))


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Ibis's compilations from now on, one entry each."""
    calls: list[int] = []
    original = Backend.compile

    def counting(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Backend, "compile", counting)
    return calls


def test_compiled_once_per_process(compiles: list[int]) -> None:
    backend = ibis.duckdb.connect()
    backend.con.execute("CREATE TABLE t (agent_id VARCHAR, n BIGINT, ts TIMESTAMP)")
    compiled.forget()
    first = compile_sql(backend, build(3))
    again = compile_sql(backend, build(3))
    other = compile_sql(backend, build(4))
    assert len(compiles) == 2  # build(3) once, build(4) once
    assert first == again == backend.compile(build(3))
    assert other != first and "4" in other


def test_the_store_keeps_the_latest(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "ws.duckdb"))
    store = SqlStore(con)
    store.KEEP = 3
    for i in range(5):
        store.put(f"k{i}", f"SELECT {i}")
    kept = {k for (k,) in con.execute("SELECT key FROM _compiled").fetchall()}
    assert kept == {"k2", "k3", "k4"}
    assert store.get("k4") == "SELECT 4" and store.get("k0") is None


def test_a_workspace_keeps_the_catalog_queries_for_the_next_command(
        tmp_path: Path, compiles: list[int]) -> None:
    generate(tmp_path / "demo", agents=4, days=3, seed=3, messages=600,
             start=dt.date(2026, 10, 1))
    path = tmp_path / "ws.duckdb"
    Workspace(path).import_folder(tmp_path / "demo")
    q = MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    counts, results = [], []
    for _ in range(2):
        compiled.forget()  # as a new process: nothing in memory
        before = len(compiles)
        results.append(Shop(path).metrics(q).rows)
        counts.append(len(compiles) - before)
    assert results[0] == results[1]
    con = duckdb.connect(str(path), read_only=True)
    keys = [k for (k,) in con.execute("SELECT key FROM _compiled").fetchall()]
    assert keys and all(f"ibis {ibis.__version__}" in k for k in keys)
    # the second run compiled nothing: the shared tables have names of their own, the
    # periods tables names after their rows
    assert counts[0] >= len(keys)
    assert counts[1] == 0, counts


def test_an_update_is_compiled_once_for_every_later_update(tmp_path: Path,
                                                          compiles: list[int]) -> None:
    """One day imported at a time: the first update's queries are stored, and the next
    update, with its own import id and days, compiles none (they read those as variables)."""
    demo = tmp_path / "demo"
    generate(demo, agents=4, days=4, seed=3, messages=800, start=dt.date(2026, 10, 1))
    days = split_by_day(read_tables(demo), *(dt.date(2026, 10, d) for d in (2, 3, 4)))
    path = tmp_path / "ws.duckdb"
    q = MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    counts = []
    for n, part in enumerate(days):
        Workspace(path).import_folder(write_tables(tmp_path / f"day{n + 1}", part))
        compiled.forget()  # as a new process: nothing in memory
        before = len(compiles)
        result = Shop(path).metrics(q)
        counts.append(len(compiles) - before)
        assert result.cache.recomputed_sessions > 0
    # day 1 builds the cache, day 2 is the first update, days 3 and 4 compile nothing
    assert counts[0] > 0 and counts[1] > 0
    assert counts[2:] == [0, 0], counts
    fresh = Shop(path).metrics(q, use_cache=False)
    assert result.rows == fresh.rows


def test_a_data_folder_keeps_the_catalog_queries_in_the_user_cache(
        tmp_path: Path, compiles: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """``metrics --data`` has no workspace to keep compiled queries in: the user's cache
    folder keeps them, so the next command (a new process) compiles none."""
    monkeypatch.setenv(compiled.CACHE_ENV, str(tmp_path / "cache"))
    generate(tmp_path / "demo", agents=4, days=3, seed=3, messages=600,
             start=dt.date(2026, 10, 1))
    q = MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    counts, results = [], []
    for _ in range(2):
        compiled.forget()  # as a new process: nothing in memory
        before = len(compiles)
        results.append(Shop(data=tmp_path / "demo").metrics(q).rows)
        counts.append(len(compiles) - before)
    assert results[0] == results[1]
    kept = list((tmp_path / "cache" / "compiled").glob("*.sql"))
    assert counts[0] >= len(kept) > 0
    assert counts[1] == 0, counts


def test_the_folder_store_reads_only_what_it_wrote_under_that_key(tmp_path: Path) -> None:
    store = FolderSqlStore(tmp_path / "compiled")
    assert store.get("k") is None  # no folder yet
    store.put("k", "SELECT 1\nFROM t")
    assert store.get("k") == "SELECT 1\nFROM t"
    assert store.get("other") is None
    # a file of the key's name holding another key (a damaged or foreign file): no entry
    (path,) = (tmp_path / "compiled").glob("*.sql")
    path.write_text("another key\nSELECT 2", encoding="utf-8")
    assert store.get("k") is None
    path.write_bytes(b"\xff\xfe")
    assert store.get("k") is None


def test_the_folder_store_keeps_the_latest(tmp_path: Path) -> None:
    store = FolderSqlStore(tmp_path)
    store.KEEP = 3
    for i in range(5):
        store.put(f"k{i}", f"SELECT {i}")
        path = next(p for p in tmp_path.glob("*.sql") if p.read_text().startswith(f"k{i}\n"))
        os.utime(path, (1000 + i, 1000 + i))  # written one after the other
    assert [store.get(f"k{i}") for i in range(5)] == [None, None, "SELECT 2", "SELECT 3",
                                                      "SELECT 4"]


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_others_may_write_is_not_used(tmp_path: Path) -> None:
    """Its queries would be run as read: a folder writable by the group or by anyone is
    neither read nor written."""
    folder = tmp_path / "shared"
    FolderSqlStore(folder).put("k", "SELECT 1")
    folder.chmod(0o777)
    assert FolderSqlStore(folder).get("k") is None
    FolderSqlStore(folder).put("k2", "SELECT 2")
    assert not any(p.read_text().startswith("k2\n") for p in folder.glob("*.sql"))
    folder.chmod(0o700)
    assert FolderSqlStore(folder).get("k") == "SELECT 1"


def test_the_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv(compiled.CACHE_ENV, str(tmp_path))
    assert cache_folder() == tmp_path / "compiled"
    monkeypatch.setenv(compiled.CACHE_ENV, "")
    assert cache_folder() is None and user_store() is None
    monkeypatch.delenv(compiled.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if os.name == "posix":
        assert cache_folder() == tmp_path / "xdg" / "cskpi" / "compiled"
