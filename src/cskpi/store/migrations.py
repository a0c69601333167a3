"""The workspace's format version, and the steps that upgrade an older workspace.

A workspace records two versions in its ``_meta`` table, and they answer two questions:

- ``contract_version`` (:data:`cskpi.data.schema.CONTRACT_VERSION`): which *data
  contract* its rows were imported under, the tables, columns and values of the files a
  shop exports.  It is what the data-contract docs show, and it matters to whoever
  prepares those files.
- ``workspace_version`` (:data:`WORKSPACE_VERSION` here): the *format* of what the file
  stores, the imported tables with their bookkeeping columns, the import log and its
  warnings, the caches that metrics keep beside them.  It is what cskpi checks every
  time it opens a workspace.

Two numbers, because they change for different reasons and tell different people
different things.  A new contract changes the stored tables too, so it always comes with
a format step (one that adds the new column, say); but the format also changes on its
own, and more often (the import log, the caches), and that must not make anyone think
their export files have to change.

Every opening of a workspace reads its format version (:func:`stored_version`):

- the current one: opened as it is;
- a newer one, written by a later cskpi: refused, naming both versions, with the hint to
  upgrade cskpi; nothing is written;
- an older one: upgraded, by the steps of :data:`MIGRATIONS` from its version to the
  current one, in order and in one transaction (:func:`migrate`): a step that fails
  leaves the file with the version and contents it had.  A command that only reads (a
  report, ``cskpi explain``, a page of the web app) upgrades the file too, in a short
  write of its own, when it may write the file: whoever installs a new cskpi expects
  the next command to work, whichever it is, and a writing command would make the same
  upgrade anyway.  A file it may not write (an archived copy, a read-only share) is
  refused with a hint rather than read as if it were current: nothing tells this code
  whether an older format reads right without its step.
- none: cskpi 0.1.0 and earlier recorded only the contract version.  Such a workspace is
  version 1 when its tables are those version 1 has (:func:`_v1_mismatches`), else it
  is refused as not a cskpi workspace.

A step spells out its own SQL and table names, never the current DDL of
:mod:`.workspace` or the metric cache: it has to do to a version-1 file next year what
it does today.  It must be safe to run twice (a step is idempotent), since a file
upgraded by one process can be opened by another that read its version a moment before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .. import __version__
from ..data.sql import ident, lit, one, rows, run
from ..errors import WorkspaceError
from .files import damage_error

WORKSPACE_VERSION = 3
VERSION_KEY = "workspace_version"  # in _meta, beside contract_version and timezone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    """One step: what turns a workspace of ``version - 1`` into one of ``version``."""

    version: int
    summary: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


# --- version 1: what cskpi 0.1.0 (and earlier) wrote, frozen ------------------------------

V1_CONTRACT_TABLES = frozenset({
    "agents", "sessions", "messages", "ratings", "orders", "refunds", "reviews", "complaints",
    "attendance", "online", "grades", "events", "targets", "agent_metrics"})
V1_BOOKKEEPING = {
    "_meta": ("key", "value"),
    "_imports": ("import_id", "table_name", "file", "folder", "sha256", "rows_in_file",
                 "rows_added", "duplicates", "started_at", "finished_at", "cskpi_version"),
    "_import_issues": ("import_id", "level", "code", "message", "file", "row", "column",
                       "hint"),
}
# derived from the tables above, by the metric engine: rebuilt when missing
V1_CACHES = ("_compiled", "_facts", "_facts_state", "_days", "_day_customers",
             "_month_customers", "_credit")


def _v1_to_v2(con: duckdb.DuckDBPyConnection) -> None:
    """Version 2: a workspace whose bookkeeping is whole and whose caches this cskpi made.

    - The import log and its warnings exist (releases before the warnings were kept
      had no ``_import_issues``), so that every reader may count on them.
    - Warnings of an import that stored nothing go: releases before a08d28f kept the
      warnings of an import whose every file had been imported before (each one only
      repeating what that earlier import said) under an id the import log never got.
    - The caches go, to be rebuilt by the next metrics command: they are keyed by the
      settings they were computed with but not by the code, so figures an older engine
      derived would be read as this one's (an older release could keep facts of
      sessions whose messages a ``--replace`` had removed).
    """
    run(con, "CREATE TABLE IF NOT EXISTS _meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    run(con, """CREATE TABLE IF NOT EXISTS _imports (
        import_id INTEGER, table_name VARCHAR, file VARCHAR, folder VARCHAR, sha256 VARCHAR,
        rows_in_file BIGINT, rows_added BIGINT, duplicates BIGINT,
        started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, cskpi_version VARCHAR)""")
    run(con, """CREATE TABLE IF NOT EXISTS _import_issues (
        import_id INTEGER, level VARCHAR, code VARCHAR, message VARCHAR, file VARCHAR,
        "row" BIGINT, "column" VARCHAR, hint VARCHAR)""")
    run(con, """DELETE FROM _import_issues AS issue WHERE NOT EXISTS
        (SELECT 1 FROM _imports AS logged WHERE logged.import_id = issue.import_id)""")
    for table in V1_CACHES:
        run(con, f"DROP TABLE IF EXISTS {ident(table)}")


def _v2_to_v3(con: duckdb.DuckDBPyConnection) -> None:
    """Version 3: an import's warnings keep their message code and parameters
    (``message_key``, ``params`` as JSON) beside the English text, so that a report reads
    them in its own language.  Warnings kept before have neither and show as written."""
    have = {str(r[0]) for r in rows(con, "SELECT column_name FROM duckdb_columns() WHERE "
                                         "schema_name = 'main' AND table_name = "
                                         "'_import_issues'")}
    if "params" in have:  # run before
        return
    # copied, not altered: DuckDB refuses an ALTER of a table changed earlier in the same
    # transaction (the step to version 2 deletes from it)
    run(con, "CREATE TEMP TABLE _v3_issues AS SELECT * FROM _import_issues")
    run(con, "DROP TABLE _import_issues")
    run(con, """CREATE TABLE _import_issues (
        import_id INTEGER, level VARCHAR, code VARCHAR, message VARCHAR, file VARCHAR,
        "row" BIGINT, "column" VARCHAR, hint VARCHAR, message_key VARCHAR, params VARCHAR)""")
    run(con, "INSERT INTO _import_issues SELECT *, NULL, NULL FROM _v3_issues")
    run(con, "DROP TABLE _v3_issues")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "import log made whole, orphaned warnings dropped, caches rebuilt",
              _v1_to_v2),
    Migration(3, "import warnings keep their message code and parameters", _v2_to_v3),
)


# --- reading the version ------------------------------------------------------------------


def stored_version(con: duckdb.DuckDBPyConnection, path: Path, catalog: str | None = None
                   ) -> int:
    """The format version of the workspace ``path`` open in ``con`` (as ``catalog`` when it
    is attached), or a :class:`WorkspaceError` when it is no cskpi workspace."""
    catalog = catalog or str(one(con, "SELECT current_database()"))
    columns: dict[str, list[str]] = {}
    # values spelt as literals, not bound: DuckDB's Python client loads pandas and NumPy
    # for its first bound parameter, a fifth of a second of an import
    for table, column in rows(con, "SELECT table_name, column_name FROM duckdb_columns() "
                                   f"WHERE database_name = {lit(catalog)} AND schema_name = "
                                   "'main' ORDER BY table_name, column_index"):
        columns.setdefault(str(table), []).append(str(column))
    meta: dict[str, str] = {}
    if "_meta" in columns:
        meta = {str(k): str(v) for k, v in rows(
            con, f"SELECT key, value FROM {ident(catalog)}.main._meta WHERE key IN "
                 f"({lit(VERSION_KEY)}, 'contract_version')")}
    recorded = meta.get(VERSION_KEY)
    if recorded is not None:
        if not recorded.isdigit() or int(recorded) < 1:
            raise WorkspaceError(code="workspace_unknown_version",
                                 params={"path": str(path), "version": recorded})
        return int(recorded)
    # written before the format was recorded: version 1, if it is what version 1 held
    contract = meta.get("contract_version", "1")
    if contract != "1":  # only version 1 had none, and its contract was the first
        raise WorkspaceError(code="workspace_unknown_version",
                             params={"path": str(path), "version": f"contract {contract}"})
    mismatches = _v1_mismatches(columns)
    if mismatches:
        raise WorkspaceError(code="workspace_not_cskpi",
                             params={"path": str(path), "tables": ", ".join(mismatches[:5])})
    return 1


def _v1_mismatches(columns: Mapping[str, list[str]]) -> list[str]:
    """The tables that a workspace of version 1 would not hold as they are."""
    found = []
    for table, names in sorted(columns.items()):
        if table in V1_CONTRACT_TABLES:
            ok = "_import_id" in names  # every imported table carries its import's id
        elif table in V1_BOOKKEEPING:
            ok = tuple(names) == V1_BOOKKEEPING[table]
        else:
            ok = table in V1_CACHES
        if not ok:
            found.append(table)
    return found


def outdated_version(con: duckdb.DuckDBPyConnection, path: Path, catalog: str | None = None
                     ) -> int | None:
    """The workspace's version when it is older than this cskpi's, None when it is current;
    a :class:`WorkspaceError` when it is newer (nothing is written)."""
    found = stored_version(con, path, catalog)
    if found > WORKSPACE_VERSION:
        raise WorkspaceError(code="workspace_too_new",
                             params={"path": str(path), "found": found,
                                     "supported": WORKSPACE_VERSION,
                                     "cskpi_version": __version__})
    return found if found < WORKSPACE_VERSION else None


# --- upgrading ----------------------------------------------------------------------------


def migrate(con: duckdb.DuckDBPyConnection, path: Path) -> list[Migration]:
    """Bring the workspace ``path``, open read-write in ``con``, to the current format.

    Returns the steps applied (none when it was current).  They run in one transaction:
    when one fails, the file keeps the version and contents it had.
    """
    found = outdated_version(con, path)
    if found is None:
        return []
    run(con, "BEGIN TRANSACTION")
    step: Migration | None = None
    try:
        # read again in the transaction: another connection may have upgraded it meanwhile
        found = outdated_version(con, path) or WORKSPACE_VERSION
        steps = [m for m in MIGRATIONS if m.version > found]
        for step in steps:
            step.apply(con)
            run(con, "INSERT OR REPLACE INTO _meta VALUES (?, ?)",
                [VERSION_KEY, str(step.version)])
        run(con, "COMMIT")
    except duckdb.Error as exc:
        _rollback(con)
        damaged = damage_error(path, exc)
        if damaged is not None:
            raise damaged from exc
        raise WorkspaceError(code="workspace_upgrade_failed", params={
            "path": str(path), "found": found, "supported": WORKSPACE_VERSION,
            "step": step.version if step else found,
            "detail": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}) from exc
    except BaseException:
        _rollback(con)
        raise
    run(con, "CHECKPOINT")  # the file alone holds the new version: no WAL to replay
    if steps:
        log.info("upgraded workspace %s from format version %d to %d", path, found,
                 steps[-1].version)
    return steps


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with suppress(duckdb.Error):  # a connection DuckDB invalidated has nothing to roll back
        run(con, "ROLLBACK")
