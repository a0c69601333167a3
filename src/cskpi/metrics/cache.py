"""Per-session facts stored in the workspace, recomputed only for what an import changed.

Turning the chat log into rounds is the expensive step of the catalog.  Its result, one
row per session (see :func:`cskpi.metrics.engine.session_facts`), depends only on that
session's messages and on a few profile settings, so it is kept in the workspace table
``_facts`` under the settings' key.  After an import, only sessions whose rows (or
messages) came with a newer import are recomputed; a month is then aggregated from the
facts, which is cheap.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import duckdb

from ..data.sql import lit, one, rows, run
from . import engine as E
from .inputs import Inputs
from .profiles import Profile

FACT_COLUMNS = ("session_id", "human_utc", "human_local", "n_agent_msgs", "n_rounds",
                "n_rounds_w", "n_answered", "n_answered_w", "n_within_w", "sum_resp_w",
                "first_w", "first_within_w", "first_resp_w")
KEEP_PROFILES = 4  # facts kept for this many settings keys (least recently used dropped)

DDL = (
    """CREATE TABLE IF NOT EXISTS _facts (
        profile_key VARCHAR, session_id VARCHAR, human_utc TIMESTAMP, human_local TIMESTAMP,
        n_agent_msgs BIGINT, n_rounds BIGINT, n_rounds_w BIGINT, n_answered BIGINT,
        n_answered_w BIGINT, n_within_w BIGINT, sum_resp_w DOUBLE, first_w BIGINT,
        first_within_w BIGINT, first_resp_w DOUBLE)""",
    """CREATE TABLE IF NOT EXISTS _facts_state (
        profile_key VARCHAR PRIMARY KEY, import_id INTEGER, used_at TIMESTAMPTZ)""",
)


@dataclass
class CacheReport:
    profile_key: str
    recomputed_sessions: int
    full: bool


def profile_key(p: Profile) -> str:
    return hashlib.sha256(p.cache_key().encode()).hexdigest()[:16]


def cached_facts(backend: Any, con: duckdb.DuckDBPyConnection, inp: Inputs,
                 p: Profile) -> tuple[Any, CacheReport]:
    """Facts for every session, brought up to date in the workspace; returns an Ibis table."""
    key = profile_key(p)
    for ddl in DDL:
        run(con, ddl)
    current = int(one(con, "SELECT coalesce(max(import_id), 0) FROM _imports"))
    state = one(con, "SELECT import_id FROM _facts_state WHERE profile_key = ?", [key])
    report = CacheReport(key, 0, full=state is None)
    if state is None or int(state) < current:
        run(con, "BEGIN TRANSACTION")
        try:
            if state is None:
                run(con, "DELETE FROM _facts WHERE profile_key = ?", [key])
                expr = E.session_facts(inp, p)
            else:
                run(con, f"""CREATE OR REPLACE TEMP TABLE _affected AS
                    SELECT session_id FROM sessions WHERE _import_id > {int(state)}
                    UNION SELECT session_id FROM messages WHERE _import_id > {int(state)}""")
                run(con, "DELETE FROM _facts WHERE profile_key = ? AND session_id IN "
                         "(SELECT session_id FROM _affected)", [key])
                affected = backend.sql("SELECT session_id FROM _affected", dialect="duckdb")
                expr = E.session_facts(inp, p, affected)
            cols = ", ".join(FACT_COLUMNS)
            sql = backend.compile(expr.select(*FACT_COLUMNS))
            run(con, f"INSERT INTO _facts (profile_key, {cols}) SELECT {lit(key)}, {cols} "
                     f"FROM ({sql})")
            report.recomputed_sessions = int(one(con, "SELECT count(*) FROM _facts WHERE "
                                                      "profile_key = ?", [key])) \
                if state is None else int(one(con, "SELECT count(*) FROM _affected"))
            run(con, "INSERT OR REPLACE INTO _facts_state VALUES (?, ?, now())", [key, current])
            _evict(con)
            run(con, "COMMIT")
        except BaseException:
            run(con, "ROLLBACK")
            raise
    else:
        run(con, "UPDATE _facts_state SET used_at = now() WHERE profile_key = ?", [key])
    facts = backend.sql(f"SELECT {', '.join(FACT_COLUMNS)} FROM _facts "
                        f"WHERE profile_key = {lit(key)}", dialect="duckdb")
    return facts, report


def _evict(con: duckdb.DuckDBPyConnection) -> None:
    old = rows(con, f"SELECT profile_key FROM _facts_state ORDER BY used_at DESC "
                    f"OFFSET {KEEP_PROFILES}")
    for (key,) in old:
        run(con, "DELETE FROM _facts WHERE profile_key = ?", [key])
        run(con, "DELETE FROM _facts_state WHERE profile_key = ?", [key])
