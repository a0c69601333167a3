"""The facts cache: a new import recomputes only the sessions it touched, same figures."""

from __future__ import annotations

import datetime as dt

import pytest

from cskpi.metrics.compute import MetricQuery
from cskpi.metrics.profiles import resolve
from cskpi.shop import Shop
from cskpi.store.workspace import Workspace

DAY1 = """\
session_id,ts,sender,agent_id,customer_id
S1,2026-10-03 10:00:00,customer,,C1
S1,2026-10-03 10:01:00,agent,001,
S2,2026-10-03 11:00:00,customer,,C2
S2,2026-10-03 11:05:00,agent,002,
"""
DAY2 = """\
session_id,ts,sender,agent_id,customer_id
S2,2026-10-03 11:10:00,customer,,C2
S3,2026-10-04 09:00:00,customer,,C3
S3,2026-10-04 09:00:30,agent,001,
"""
OCT = MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def figures(result):
    return {r["agent_id"]: (r["sessions"], r["reply_3min_rate_num"], r["reply_3min_rate_den"],
                            r["first_response_s"]) for r in result.rows}


def test_incremental_recompute_touches_only_new_sessions(folder, tmp_path):
    path = tmp_path / "ws.duckdb"
    ws = Workspace(path)
    ws.import_folder(folder({"messages.csv": DAY1}))
    first = Shop(path).metrics(OCT)
    assert first.cache.full and first.cache.recomputed_sessions == 2
    again = Shop(path).metrics(OCT)
    assert again.cache.recomputed_sessions == 0  # nothing new: facts reused
    ws.import_folder(folder({"messages.csv": DAY2}))
    after = Shop(path).metrics(OCT)
    # S2 got a new message and S3 is new; S1 is untouched
    assert not after.cache.full and after.cache.recomputed_sessions == 2
    fresh = Shop(path).metrics(OCT, use_cache=False)
    assert figures(after) == figures(fresh)
    # 001: S1 (60 s) and S3 (30 s): 2 of 2 rounds within 3 min, first response mean 45 s;
    # 002: S2 rounds 11:00 (300 s) and 11:10 (unanswered): 0 of 2
    assert figures(after) == {"001": (2, 2, 2, 45.0), "002": (1, 0, 2, 300.0)}


def test_other_settings_get_their_own_facts(folder, tmp_path):
    path = tmp_path / "ws.duckdb"
    Workspace(path).import_folder(folder({"messages.csv": DAY1}))
    generic = Shop(path).metrics(OCT)
    strict = Shop(path).metrics(MetricQuery(OCT.start, OCT.end, profile=resolve("generic", {"reply_within_s": "30"})))
    assert strict.cache.full and strict.cache.profile_key != generic.cache.profile_key
    # within 30 s: 001's 60 s reply no longer counts
    assert figures(strict)["001"][1] == 0 and figures(generic)["001"][1] == 1


def cache_tables(path):
    """Every row of the workspace's cache tables (to compare states)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: sorted(map(str, con.execute(f"SELECT * EXCLUDE (used_at) FROM {t}"
                                               if t == "_facts_state" else
                                               f"SELECT * FROM {t}").fetchall()))
                for t in ("_facts", "_days", "_day_customers", "_month_customers", "_credit",
                          "_facts_state")}
    finally:
        con.close()


def test_a_failed_update_leaves_the_cache_as_it_was(folder, tmp_path, monkeypatch):
    from cskpi.metrics import cache

    path = tmp_path / "ws.duckdb"
    ws = Workspace(path)
    ws.import_folder(folder({"messages.csv": DAY1}))
    Shop(path).metrics(OCT)
    before = cache_tables(path)
    ws.import_folder(folder({"messages.csv": DAY2}))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    # the last step before the commit: facts, rollups and month rows are rewritten
    monkeypatch.setattr(cache, "_evict", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        Shop(path).metrics(OCT)
    assert cache_tables(path) == before
    monkeypatch.undo()
    after = Shop(path).metrics(OCT)
    assert not after.cache.full and after.cache.recomputed_sessions == 2
    updated = cache_tables(path)
    # what the failed update had rewritten (so the comparison above could fail)
    for table in ("_facts", "_days", "_day_customers", "_month_customers"):
        assert updated[table] != before[table], table
    assert figures(after) == figures(Shop(path).metrics(OCT, use_cache=False))


def test_only_the_last_settings_used_are_kept(folder, tmp_path):
    from cskpi.metrics.cache import KEEP_PROFILES

    path = tmp_path / "ws.duckdb"
    Workspace(path).import_folder(folder({"messages.csv": DAY1}))
    keys = []
    for seconds in range(30, 30 + 10 * (KEEP_PROFILES + 1), 10):  # 5 different settings
        q = MetricQuery(OCT.start, OCT.end,
                        profile=resolve("generic", {"reply_within_s": str(seconds)}))
        keys.append(Shop(path).metrics(q).cache.profile_key)
    stored = cache_tables(path)
    kept = {row.split("'")[1] for row in stored["_facts_state"]}
    # the first settings were used least recently: their facts and rollups are gone
    assert kept == set(keys[1:])
    for table in ("_facts", "_days", "_day_customers", "_month_customers"):
        assert {row.split("'")[1] for row in stored[table]} == set(keys[1:]), table


def test_a_cache_made_by_an_older_cskpi_is_rebuilt(folder, tmp_path):
    import duckdb

    path = tmp_path / "ws.duckdb"
    Workspace(path).import_folder(folder({"messages.csv": DAY1}))
    con = duckdb.connect(str(path))
    # the first release's cache tables: facts without agent or customer, no rollups
    con.execute("CREATE TABLE _facts (profile_key VARCHAR, session_id VARCHAR, "
                "human_utc TIMESTAMP, rounds BIGINT)")
    con.execute("INSERT INTO _facts VALUES ('x', 'S1', NULL, 99)")
    con.execute("CREATE TABLE _facts_state (profile_key VARCHAR PRIMARY KEY, "
                "import_id INTEGER, used_at TIMESTAMPTZ)")
    con.close()
    result = Shop(path).metrics(OCT)
    assert result.cache.full
    assert figures(result) == figures(Shop(path).metrics(OCT, use_cache=False))
    stored = cache_tables(path)["_facts"]
    assert len(stored) == 2 and not any(row.startswith("('x'") for row in stored)


def test_a_state_counted_by_an_older_cskpi_is_rebuilt_on_the_next_import(folder, tmp_path):
    """The state once held rows per import ([[import_id, rows], ...]); now it holds the
    rows up to its import.  Read as the new kind, the old one would look like lost rows
    or, worse, like none: the cache is rebuilt whole, to the same figures."""
    import duckdb

    path = tmp_path / "ws.duckdb"
    ws = Workspace(path)
    ws.import_folder(folder({"messages.csv": DAY1}))
    Shop(path).metrics(OCT)
    con = duckdb.connect(str(path))
    # DAY1: 4 messages and 2 sessions (derived), all in import 1
    con.execute("""UPDATE _facts_state SET counts = '{"messages": [[1, 4]], "sessions": [[1, 2]],
                   "agents": [[1, 2]]}'""")
    con.close()
    ws.import_folder(folder({"messages.csv": DAY2}))
    after = Shop(path).metrics(OCT)
    assert after.cache.full
    assert figures(after) == figures(Shop(path).metrics(OCT, use_cache=False))
    again_state = cache_tables(path)["_facts_state"]
    assert len(again_state) == 1 and "[[" not in again_state[0]


def test_the_cache_key_names_the_engine_version(monkeypatch):
    """Figures cached by another engine version are never reused: the key changes."""
    from cskpi.metrics import cache
    from cskpi.metrics.profiles import Profile

    before = cache.profile_key(Profile())
    monkeypatch.setattr(cache, "ENGINE_VERSION", cache.ENGINE_VERSION + 1)
    assert cache.profile_key(Profile()) != before
