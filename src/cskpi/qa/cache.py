"""What each session's messages hold for a set of QA rules, kept in the workspace, import
by import: a check reads the chat log only for sessions it has not seen, or that an
import added or changed since.

A session's hits *as found* (rule, message time and text; :func:`cskpi.qa.engine.check`
finds them on all of the session's messages) depend on nothing but its messages, its
session row (the human start) and what the rules look for (:attr:`QaRules.digest
<cskpi.qa.models.QaRules.digest>`, with the shipped lexicon, the jieba version and this
engine's version: :func:`rules_key`).  Points, ``fatal``, ``per``, ``start``,
``applies_to``, the agents roster and reviewers' decisions (dismissed hits, rubric
points) apply after, on every check: they change without an import.

Three tables, under the rules' key:

- ``_qa_found``: the hits as found (session, rule, UTC and local time, text);
- ``_qa_checked``: every session checked, with the last import id when it was (a session
  without hits is known to have none), a list per check;
- ``_qa_state``: per key, the last import id seen and how many messages there were.

A check first brings them up to date: the sessions whose session row or any message came
with a later import are forgotten (a session whose messages span imports is checked
again whole), and when the messages lost rows (an import with ``--replace messages``),
everything under the key is.  The sessions of the period not checked under the key are
then checked, their results stored, and the period's read back: one transaction, so a
failure leaves the tables as they were.

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
    # one row per check: the sessions it checked, as one list (stored 3x faster than a
    # row each)
    "_qa_checked": "rules_key VARCHAR, import_id INTEGER, sessions VARCHAR[]",
    "_qa_found": "rules_key VARCHAR, session_id VARCHAR, rule VARCHAR, ts_utc TIMESTAMP, "
                 "ts_local TIMESTAMP, text VARCHAR",
}


# the checked sessions a row each: (rules_key, import_id, session_id)
CHECKED = ("SELECT rules_key, import_id, unnest(sessions) AS session_id "
           "FROM _qa_checked")


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

    def found(self, sql: Any, base: str, find: Callable[[str], str]) -> tuple[str, int]:
        """The hits as found of the sessions of ``base`` (a temp table's quoted name), and
        how many sessions were checked now: ``find(todo)`` checks the sessions of the
        temp table ``todo`` and names the table of what it found (:class:`_Sql` ``sql``
        makes the tables of the check)."""
        con, key = self.con, lit(self.key)
        run(con, "BEGIN TRANSACTION")
        try:
            ensure_tables(con, TABLES)  # (in the transaction: one commit, not one a table)
            current = int(one(con, "SELECT coalesce(max(import_id), 0) FROM _imports"))
            todo = base
            if self._forget_changed(current):
                todo = sql.table("todo", f"""SELECT * FROM {base} b WHERE NOT EXISTS (
                    SELECT 1 FROM ({CHECKED}) c WHERE c.rules_key = {key}
                    AND c.session_id = b.session_id)""")
            scanned = int(one(con, f"SELECT count(*) FROM {todo}"))
            if scanned:
                new = find(todo)
                run(con, f"INSERT INTO _qa_found SELECT {key}, session_id, rule, ts_utc, "
                         f"ts_local, text FROM {new} ORDER BY ts_utc")
                run(con, f"INSERT INTO _qa_checked SELECT {key}, {current}, "
                         f"list(session_id) FROM {todo}")
            messages = int(one(con, "SELECT count(*) FROM messages"))
            run(con, "INSERT OR REPLACE INTO _qa_state VALUES (?, ?, ?, now())",
                [self.key, current, messages])
            _evict(con)
            run(con, "COMMIT")
        except BaseException:
            run(con, "ROLLBACK")
            raise
        if todo is base and scanned:  # nothing was known: what was found is all there is
            return new, scanned
        found = sql.table("found_all", f"""
            SELECT f.session_id, f.rule, f.ts_utc, f.ts_local, f.text FROM _qa_found f
            SEMI JOIN {base} b ON f.session_id = b.session_id WHERE f.rules_key = {key}""")
        return found, scanned

    def _forget_changed(self, current: int) -> bool:
        """Forget the sessions an import since the last check added or changed (all of
        them when the messages lost rows); whether any session is still known."""
        con, key = self.con, lit(self.key)
        state = rows(con, "SELECT import_id, messages FROM _qa_state WHERE rules_key = ?",
                     [self.key])
        if state and int(state[0][0]) == current:
            return True
        if state:
            since, counted = int(state[0][0]), int(state[0][1])
            # imports only add rows: fewer rows of the imports up to the last check than
            # it counted means a --replace took some away
            kept = int(one(con, "SELECT count(*) FROM messages")) - int(one(
                con, f"SELECT count(*) FROM messages WHERE _import_id > {int(since)}"))
            if kept == counted:
                run(con, f"""CREATE OR REPLACE TEMP TABLE _qa_changed AS
                    SELECT session_id FROM sessions WHERE _import_id > {int(since)}
                    UNION SELECT session_id FROM messages WHERE _import_id > {int(since)}""")
                run(con, f"DELETE FROM _qa_found WHERE rules_key = {key} "
                         f"AND session_id IN (SELECT session_id FROM _qa_changed)")
                # the checks' lists without those sessions (a check left with none goes)
                run(con, f"""CREATE OR REPLACE TEMP TABLE _qa_kept AS
                    SELECT import_id, list(session_id) AS sessions FROM ({CHECKED}) c
                    WHERE rules_key = {key} AND NOT EXISTS (SELECT 1 FROM _qa_changed n
                                                            WHERE n.session_id = c.session_id)
                    GROUP BY import_id""")
                run(con, f"DELETE FROM _qa_checked WHERE rules_key = {key}")
                run(con, f"INSERT INTO _qa_checked SELECT {key}, import_id, sessions "
                         f"FROM _qa_kept")
                for table in ("_qa_changed", "_qa_kept"):
                    run(con, f"DROP TABLE {table}")
                return True
        for table in ("_qa_found", "_qa_checked"):  # nothing known (or nothing to trust)
            run(con, f"DELETE FROM {table} WHERE rules_key = {key}")
        return False


def _evict(con: duckdb.DuckDBPyConnection) -> None:
    old = rows(con, f"SELECT rules_key FROM _qa_state ORDER BY used_at DESC "
                    f"OFFSET {KEEP_RULES}")
    for (key,) in old:
        for table in TABLES:
            run(con, f"DELETE FROM {table} WHERE rules_key = ?", [key])


__all__ = ["ENGINE_VERSION", "ResultCache", "rules_key"]
