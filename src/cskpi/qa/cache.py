"""What each session's messages hold for a set of QA rules, kept in the workspace, import
by import: a check reads the chat log only for sessions it has not seen, or that an
import added or changed since.

A session's hits *as found* (rule, message time and text; :func:`cskpi.qa.engine.check`
finds them on all of the session's messages) depend on nothing but its messages, its
session row (the human start; the first agent message comes from the messages) and what
the rules look for (:attr:`QaRules.digest <cskpi.qa.models.QaRules.digest>`, with the
shipped lexicon, the jieba version and this engine's version: :func:`rules_key`).
Points, ``fatal``, ``per``, ``start``, ``applies_to``, the agents roster and reviewers'
decisions (dismissed hits, rubric points) apply after, on every check: they change
without an import.

Three tables, under the rules' key:

- ``_qa_found``: the hits as found (session, rule, UTC and local time, text);
- ``_qa_days``: the local days whose every session (by its human start, of any agent
  and scope: a check keeps all of its period's) was checked, each with the last import
  id when it was;
- ``_qa_state``: per key, the last import id seen and how many messages there were.

Which sessions were checked under which import follows: those of a day recorded under
import ``i`` were, as of ``i``; a session whose session row or any message carries a
later import id (every imported row does) was added or changed since, and is checked
again whole, on all of its messages, whatever imports brought them.  A check gathers the
period's sessions, checks those of days not recorded and those changed since their
day's import, replaces what was kept of them, records the period's days under the
current import and reads the period's results back: one transaction, so a failure leaves
the tables as they were.  When the messages lost rows (an import with ``--replace
messages``), everything under the key is forgotten.  (Days, not a row per session:
writing 800k session ids costs more than finding their hits, and telling a day's
changed sessions from the rest needs only the recent imports' rows.)

**Why derived tables, not a workspace format step.**  These tables hold nothing that
cannot be computed again from the imported rows: like the metric caches
(:mod:`cskpi.metrics.cache`), they are created when missing and dropped and created again
when an older cskpi made other columns, and a workspace without them (older, copied,
cleared) only costs one full check.  A format step (:mod:`cskpi.store.migrations`) is
for what the workspace cannot rebuild, the imported rows and their bookkeeping; the
import ids these tables record are read from those rows, not added to them.

A read-only workspace (another process holds it, or the file may not be written) and a
data folder (``--data``) are checked whole, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from importlib import metadata
from typing import Any

import duckdb

from ..data.sql import lit, one, rows, run
from ..metrics.cache import ensure_tables
from .models import QaRules
from .text import shipped

# bumped when the engine finds hits otherwise: results of another version are not reused
ENGINE_VERSION = 1
KEEP_RULES = 8  # rules whose results are kept (the least recently used dropped)

TABLES = {
    "_qa_state": "rules_key VARCHAR PRIMARY KEY, import_id INTEGER, messages BIGINT, "
                 "used_at TIMESTAMPTZ",
    "_qa_days": "rules_key VARCHAR, day DATE, import_id INTEGER",
    "_qa_found": "rules_key VARCHAR, session_id VARCHAR, rule VARCHAR, ts_utc TIMESTAMP, "
                 "ts_local TIMESTAMP, text VARCHAR",
}


def rules_key(rules: QaRules) -> str:
    """The key of the rules' stored results: their digest, the shipped lexicon, the
    jieba version (it cuts the Chinese words) and the engine version."""
    try:
        jieba = metadata.version("jieba")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        jieba = "?"
    text = "|".join((f"qa engine {ENGINE_VERSION}", rules.digest, f"jieba {jieba}",
                     *shipped("negative"), "", *shipped("soothe")))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class ResultCache:
    """The stored results of one set of rules in a workspace open read-write."""

    def __init__(self, con: duckdb.DuckDBPyConnection, rules: QaRules) -> None:
        self.con = con
        self.key = rules_key(rules)

    def found(self, sql: Any, base: str, start: dt.date, end: dt.date,
              find: Callable[[str], str]) -> tuple[str, int]:
        """The hits as found of the sessions of ``base`` in the check's scope, and how many
        sessions were checked now.

        ``base``: a temp table's quoted name, every session whose human start is in the
        days ``start``..``end``, those of the check's scope marked ``in_scope``;
        ``find(todo)`` checks the sessions of the temp table ``todo`` and names the table
        of what it found (``sql``, the engine's ``_Sql``, makes the tables of the check).
        """
        con, key = self.con, lit(self.key)
        first, last = lit(start.isoformat()), lit(end.isoformat())
        run(con, "BEGIN TRANSACTION")
        try:
            ensure_tables(con, TABLES)  # (in the transaction: one commit, not one a table)
            current = int(one(con, "SELECT coalesce(max(import_id), 0) FROM _imports"))
            self._forget_replaced(current)
            since = one(con, f"SELECT min(import_id) FROM _qa_days WHERE rules_key = {key} "
                             f"AND day BETWEEN {first} AND {last}")
            todo = base
            if since is not None:
                # the sessions an import since the period's oldest recorded day touched,
                # each with the last import that did (read from the recent row groups)
                run(con, f"""CREATE OR REPLACE TEMP TABLE _qa_recent AS
                    SELECT session_id, max(i) AS last_import FROM (
                        SELECT session_id, _import_id AS i FROM sessions
                        WHERE _import_id > {int(since)}
                        UNION ALL SELECT session_id, _import_id AS i FROM messages
                        WHERE _import_id > {int(since)}) GROUP BY session_id""")
                todo = sql.table("todo", f"""
                    SELECT b.* FROM {base} b
                    LEFT JOIN _qa_days d ON d.rules_key = {key}
                        AND d.day = CAST(b.human_local AS DATE)
                    LEFT JOIN _qa_recent r ON r.session_id = b.session_id
                    WHERE d.import_id IS NULL OR r.last_import > d.import_id""")
                run(con, "DROP TABLE _qa_recent")
            scanned = int(one(con, f"SELECT count(*) FROM {todo}"))
            new = ""
            if scanned:
                new = find(todo)
                run(con, f"DELETE FROM _qa_found WHERE rules_key = {key} "
                         f"AND session_id IN (SELECT session_id FROM {todo})")
                run(con, f"INSERT INTO _qa_found SELECT {key}, session_id, rule, ts_utc, "
                         f"ts_local, text FROM {new} ORDER BY ts_utc")
            # every session of these days is now known as of this import
            run(con, f"DELETE FROM _qa_days WHERE rules_key = {key} "
                     f"AND day BETWEEN {first} AND {last}")
            run(con, f"INSERT INTO _qa_days SELECT {key}, CAST(range AS DATE), {current} "
                     f"FROM range(CAST({first} AS DATE), CAST({last} AS DATE) + 1, "
                     f"INTERVAL 1 DAY)")
            messages = int(one(con, "SELECT count(*) FROM messages"))
            run(con, "INSERT OR REPLACE INTO _qa_state VALUES (?, ?, ?, now())",
                [self.key, current, messages])
            _evict(con)
            run(con, "COMMIT")
        except BaseException:
            run(con, "ROLLBACK")
            raise
        if since is None and scanned:  # nothing was known: what was found is all there is
            return sql.table("found_all", f"""SELECT * FROM {new} f SEMI JOIN {base} b
                ON f.session_id = b.session_id AND b.in_scope"""), scanned
        found = sql.table("found_all", f"""
            SELECT f.session_id, f.rule, f.ts_utc, f.ts_local, f.text FROM _qa_found f
            SEMI JOIN {base} b ON f.session_id = b.session_id AND b.in_scope
            WHERE f.rules_key = {key}""")
        return found, scanned

    def _forget_replaced(self, current: int) -> None:
        """Forget everything under the key when nothing is known of it, or when the
        messages lost rows since its last check (an import with ``--replace messages``)."""
        con, key = self.con, lit(self.key)
        state = rows(con, "SELECT import_id, messages FROM _qa_state WHERE rules_key = ?",
                     [self.key])
        if state and int(state[0][0]) == current:
            return
        if state:
            since, counted = int(state[0][0]), int(state[0][1])
            # imports only add rows: fewer rows of the imports up to the last check than
            # it counted means a --replace took some away
            kept = int(one(con, "SELECT count(*) FROM messages")) - int(one(
                con, f"SELECT count(*) FROM messages WHERE _import_id > {int(since)}"))
            if kept == counted:
                return
        for table in ("_qa_found", "_qa_days"):
            run(con, f"DELETE FROM {table} WHERE rules_key = {key}")


def _evict(con: duckdb.DuckDBPyConnection) -> None:
    old = rows(con, f"SELECT rules_key FROM _qa_state ORDER BY used_at DESC "
                    f"OFFSET {KEEP_RULES}")
    for (key,) in old:
        for table in TABLES:
            run(con, f"DELETE FROM {table} WHERE rules_key = ?", [key])


__all__ = ["ENGINE_VERSION", "ResultCache", "rules_key"]
