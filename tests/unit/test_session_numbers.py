"""The session facts' rounds keyed by the sessions' numbers on DuckDB (the stored rowid,
an integer that sorts nine million chat events faster than the id), with the facts the
session id gives."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import ibis

from cskpi.data.demo import generate
from cskpi.metrics import engine as E
from cskpi.metrics.ibis_adapter import duckdb_backend, fetch
from cskpi.metrics.inputs import SESSION_NUMBER, duckdb_inputs
from cskpi.metrics.profiles import resolve
from cskpi.store.workspace import Workspace


def test_the_rounds_are_keyed_by_number_with_the_facts_of_the_ids(tmp_path: Path) -> None:
    generate(tmp_path / "data", agents=3, days=4)
    Workspace(tmp_path / "ws.duckdb").import_folder(tmp_path / "data")
    profile = resolve("generic")
    with Workspace(tmp_path / "ws.duckdb").connect(read_only=True) as con:
        backend = duckdb_backend(con)
        inp = duckdb_inputs(backend, con, "Asia/Shanghai")
        assert inp.number_sessions
        numbered = E.session_facts(inp, profile)
        sql = str(ibis.to_sql(numbered, dialect="duckdb"))
        # the window over the chat events is partitioned by the number, not by the id
        assert re.search(rf'PARTITION BY\s+"t\d+"\."{SESSION_NUMBER}"', sql), sql
        assert SESSION_NUMBER not in numbered.columns
        by_number = fetch(backend, numbered.order_by("session_id"))
        inp.release()
        by_id_inp = dataclasses.replace(duckdb_inputs(backend, con, "Asia/Shanghai"),
                                        number_sessions=False)
        by_id_facts = E.session_facts(by_id_inp, profile)
        sql = str(ibis.to_sql(by_id_facts, dialect="duckdb"))
        assert re.search(r'PARTITION BY\s+"t\d+"\."session_id"', sql), sql
        by_id = fetch(backend, by_id_facts.order_by("session_id"))
        by_id_inp.release()
    assert by_number == by_id
    # sessions with several rounds, answered and not: the numbers carried real work
    assert len(by_id) > 100
    assert sum(r["rounds"] for r in by_id) > 2 * len(by_id)
    assert any(r["answered_rounds"] < r["rounds"] for r in by_id)
