"""Compiled SQL remembered by the expression's structure, in memory and in the workspace."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import ibis
import pytest
from ibis.backends.duckdb import Backend

from cskpi import core
from cskpi.data.demo import generate
from cskpi.metrics import compiled
from cskpi.metrics.compiled import SqlStore, compile_sql, digest
from cskpi.metrics.compute import MetricQuery
from cskpi.store.workspace import Workspace


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


def test_compiled_once_per_process() -> None:
    backend = ibis.duckdb.connect()
    backend.con.execute("CREATE TABLE t (agent_id VARCHAR, n BIGINT, ts TIMESTAMP)")
    compiled.forget()
    calls = []
    original = Backend.compile

    def counting(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(1)
        return original(self, *args, **kwargs)

    Backend.compile = counting
    try:
        first = compile_sql(backend, build(3))
        again = compile_sql(backend, build(3))
        other = compile_sql(backend, build(4))
    finally:
        Backend.compile = original
    assert first == again == original(backend, build(3))
    assert other != first and "4" in other
    assert len(calls) == 2  # build(3) once, build(4) once


def test_the_store_keeps_the_latest(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "ws.duckdb"))
    store = SqlStore(con)
    store.KEEP = 3
    for i in range(5):
        store.put(f"k{i}", f"SELECT {i}")
    kept = {k for (k,) in con.execute("SELECT key FROM _compiled").fetchall()}
    assert kept == {"k2", "k3", "k4"}
    assert store.get("k4") == "SELECT 4" and store.get("k0") is None


def test_a_workspace_keeps_the_catalog_queries_for_the_next_command(tmp_path: Path) -> None:
    generate(tmp_path / "demo", agents=4, days=3, seed=3, messages=600,
             start=dt.date(2026, 10, 1))
    path = tmp_path / "ws.duckdb"
    Workspace(path).import_folder(tmp_path / "demo")
    q = MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    counts = []
    original = Backend.compile

    def counting(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        counts[-1] += 1
        return original(self, *args, **kwargs)

    Backend.compile = counting
    results = []
    try:
        for _ in range(2):
            compiled.forget()  # as a new process: nothing in memory
            counts.append(0)
            results.append(core.compute_metrics(q, workspace=path).rows)
    finally:
        Backend.compile = original
    assert results[0] == results[1]
    con = duckdb.connect(str(path), read_only=True)
    keys = [k for (k,) in con.execute("SELECT key FROM _compiled").fetchall()]
    assert keys and all(f"ibis {ibis.__version__}" in k for k in keys)
    # the second run compiled only the queries over in-memory tables (the trailing 30
    # days' windows, the online hours' periods), which are never kept
    assert counts[0] >= len(keys) + counts[1]
    assert counts[1] <= 3, counts
