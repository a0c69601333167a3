"""The workspace: one embedded DuckDB file holding a shop's imported tables.

An import is all or nothing.  Files are read, typed and checked in temporary tables
first; only when no error was found are the rows written, in one transaction, together
with the import log.  A process killed before the commit leaves the workspace exactly
as it was (DuckDB discards an uncommitted transaction on the next open); a new
workspace is built under a temporary name and renamed into place only on success.
The temporary folder of a killed import is removed by the next command that opens the
workspace (see :mod:`.files`).

An import into an existing workspace holds the workspace's write lock (which keeps every
other process out, readers too) only for that last transaction: the files are read and
typed in a database of the import's own (in memory, spilling to its temporary folder),
then checked with the workspace attached read-only, so that the web app and other
commands read it meanwhile (and, while the files are read, write it too).  When the
workspace's tables changed between the import's first look at them and the store
(another import), the checks no longer hold and the import is made again, holding the
workspace from start to end.

Every opening checks the workspace's format version first: an older workspace is
upgraded, a newer one refused (see :mod:`.migrations`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import time
import zoneinfo
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .. import __version__
from ..data import convert
from ..data.schema import CONTRACT_VERSION, TABLES, Table
from ..data.sessions import SessionRules
from ..data.sql import ident, lit, one, rows, run
from ..data.tables import find_table_files
from ..data.validate import Staged, StageResult, StoredTables, sessions_given, stage_folder
from ..errors import Issue, UsageError, ValidationFailed, WorkspaceError, os_reason
from .files import (
    NO_EXTENSIONS,
    attach_file,
    can_write,
    check_file_kind,
    connect_file,
    damage_checked,
    import_temp_dir,
    open_error,
    remove_stale_temp_dirs,
)
from .migrations import VERSION_KEY, WORKSPACE_VERSION, Migration, migrate, outdated_version

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_MEMORY_LIMIT = "1200MB"
# test hooks: "kill-before-commit" kills the process mid-import; "pause-reading",
# "pause-staged" and "pause-checked" pause an import into an existing workspace (_pause)
FAULT_ENV = "CSKPI_FAULT"
FAULT_DIR_ENV = "CSKPI_FAULT_DIR"
FAULT_PAUSE_S = 120.0  # a paused import goes on by itself after this long
FIRST_IMPORT = 1  # the import id of a new workspace's first import
STORED_CATALOG = "stored"  # the workspace, attached read-only while a folder is checked
TARGET_CATALOG = "workspace"  # the workspace, attached read-write to store a checked folder

log = logging.getLogger(__name__)


@dataclass
class TableImport:
    table: str
    file: str
    rows_in_file: int
    added: int
    duplicates: int
    skipped: bool = False  # the same file (content hash) was imported before


@dataclass
class ImportReport:
    workspace: Path
    import_id: int | None
    tables: list[TableImport] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    derived_sessions: int = 0
    # how long the import held the workspace's write lock (none for a new workspace,
    # built in a file of its own)
    locked_s: float = 0.0

    @property
    def added(self) -> int:
        return sum(t.added for t in self.tables)


@dataclass(frozen=True)
class ImportArgs:
    """What an import was asked to do (see :meth:`Workspace.import_folder`)."""

    folder: Path
    replace: set[str]
    progress: Callable[[str], None] | None
    encoding: str | None
    sessions: SessionRules | None


@dataclass(frozen=True)
class Checked:
    """A folder staged and checked, ready to store."""

    args: ImportArgs
    result: StageResult
    tz: str
    derive: bool  # sessions are derived from the messages


@dataclass(frozen=True)
class StoredState:
    """What an import's checks read of a workspace, in brief: when it is the same before
    and after, no import stored rows in between (its tables change only by imports)."""

    last_import: int
    counts: tuple[tuple[str, int], ...]
    version: str | None
    timezone: str | None


def check_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(code="unknown_timezone", params={"name": name}) from exc
    return name


def table_ddl(table: Table) -> str:
    cols = convert.column_ddl(table)
    if table.name == "sessions":
        cols.append("derived BOOLEAN NOT NULL DEFAULT false")
    cols.append("_import_id INTEGER")
    return f"CREATE TABLE IF NOT EXISTS {ident(table.name)} ({', '.join(cols)})"


SYSTEM_DDL = (
    "CREATE TABLE IF NOT EXISTS _meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS _imports (
        import_id INTEGER, table_name VARCHAR, file VARCHAR, folder VARCHAR, sha256 VARCHAR,
        rows_in_file BIGINT, rows_added BIGINT, duplicates BIGINT,
        started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, cskpi_version VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS _import_issues (
        import_id INTEGER, level VARCHAR, code VARCHAR, message VARCHAR, file VARCHAR,
        "row" BIGINT, "column" VARCHAR, hint VARCHAR, message_key VARCHAR, params VARCHAR)""",
)


BACKGROUND_THREADS: ContextVar[int | None] = ContextVar("cskpi_background_threads",
                                                      default=None)
"""How many threads DuckDB may use for the connections opened in this context when the
workspace names none: set by work done in the background (the web app computing figures
again after an import), so that pages keep a core; None: all cores."""


class Workspace:
    """A workspace file.  Cheap to construct; connections are opened per operation."""

    def __init__(self, path: Path | str, *, timezone: str | None = None,
                 memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int | None = None) -> None:
        self.path = Path(path)
        self._timezone = check_timezone(timezone) if timezone else None
        self.memory_limit = memory_limit
        self.threads = threads

    # --- connections -------------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def _configure(self, con: duckdb.DuckDBPyConnection, tz: str,
                   tmp_dir: Path | None = None) -> None:
        run(con, f"SET memory_limit = {lit(self.memory_limit)}")
        run(con, "SET enable_progress_bar = false")  # the CLI draws its own; pages have none
        threads = self.threads or BACKGROUND_THREADS.get()
        if threads:
            run(con, f"SET threads = {int(threads)}")
        if tmp_dir is not None:
            run(con, f"SET temp_directory = {lit(str(tmp_dir))}")
        run(con, f"SET TimeZone = {lit(tz)}")

    @property
    def writable(self) -> bool:
        """Whether this process may change the file (else it is opened read-only)."""
        return can_write(self.path)

    def remove_stale_temp(self) -> list[Path]:
        """Remove the temporary folders that killed imports left beside the workspace."""
        return remove_stale_temp_dirs(self.path.parent)

    @contextmanager
    def connect(self, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to an existing workspace, in the workspace's time zone.

        An older workspace is upgraded first, even for a read-only connection (when the
        file may be written); a newer one is refused.
        """
        self.remove_stale_temp()
        if not self.exists:
            raise WorkspaceError(code="workspace_missing", params={"path": str(self.path)})
        with damage_checked(self.path):
            con = self._connect_current(read_only)
            try:
                self._configure(con, self._timezone or stored_timezone(con) or DEFAULT_TIMEZONE)
                yield con
            finally:
                con.close()

    def _connect_current(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A connection to the workspace in the current format (see :mod:`.migrations`)."""
        con = connect_file(self.path, read_only)
        try:
            if not read_only:
                migrate(con, self.path)
                return con
            found = outdated_version(con, self.path)
        except BaseException:
            con.close()
            raise
        if found is None:
            return con
        con.close()  # the upgrade needs the file to itself
        self.upgrade()
        return connect_file(self.path, read_only)

    def upgrade(self) -> list[Migration]:
        """Bring the workspace to the current format; the steps applied (none when it was).

        A workspace this process may not write is refused when it needs upgrading.
        """
        if not self.exists:
            raise WorkspaceError(code="workspace_missing", params={"path": str(self.path)})
        with damage_checked(self.path):
            writable = self.writable
            con = connect_file(self.path, read_only=not writable)
            try:
                if writable:
                    return migrate(con, self.path)
                found = outdated_version(con, self.path)
            finally:
                con.close()
        if found is None:
            return []
        raise WorkspaceError(code="workspace_needs_upgrade", params={
            "path": str(self.path), "found": found, "supported": WORKSPACE_VERSION})

    @property
    def timezone(self) -> str:
        """The time zone given, else the stored one, else the default."""
        if self._timezone:
            return self._timezone
        if not self.exists:
            return DEFAULT_TIMEZONE
        with self.connect() as con:
            return stored_timezone(con) or DEFAULT_TIMEZONE

    # --- import ------------------------------------------------------------------------

    def import_folder(self, folder: Path | str, *, replace: Collection[str] = (),
                      progress: Callable[[str], None] | None = None,
                      encoding: str | None = None,
                      sessions: SessionRules | None = None) -> ImportReport:
        """Validate every file of ``folder`` and store them, all or nothing.

        ``encoding`` forces the encoding of the folder's text files; ``sessions`` says how
        messages without session ids are cut.  Raises :class:`ValidationFailed` (nothing
        written) when any error was found.
        """
        folder = Path(folder)
        replace = set(replace)
        unknown = replace - set(TABLES)
        if unknown:
            raise UsageError(code="unknown_replace", params={
                "tables": ", ".join(sorted(unknown)), "known": ", ".join(TABLES)})
        self._make_folder()
        self.remove_stale_temp()
        creating = not self.exists
        if not creating and not os.access(self.path, os.W_OK):
            raise WorkspaceError(code="workspace_read_only", params={"path": str(self.path)})
        with import_temp_dir(self.path.parent) as tmp_dir:
            args = ImportArgs(folder, replace, progress, encoding, sessions)
            if creating:
                report = self._import_in_place(tmp_dir / "new.duckdb", tmp_dir, args)
                os.replace(tmp_dir / "new.duckdb", self.path)
            else:
                report = self._import_staged(tmp_dir, args)
            report.workspace = self.path
            return report

    def _import_in_place(self, target: Path, tmp_dir: Path, args: ImportArgs) -> ImportReport:
        """Import into ``target`` opened read-write from start to end: a new workspace
        (``target`` is its temporary file, typed straight into), or the workspace itself
        when its rows changed while :meth:`_import_staged` checked a folder."""
        direct = target != self.path
        con = connect_file(target, read_only=False)
        try:
            with damage_checked(self.path):
                started = time.perf_counter()
                if not direct:
                    migrate(con, self.path)
                tz = self._import_timezone(stored_timezone(con))
                self._configure(con, tz, tmp_dir)
                checked = self._check(con, tz, tmp_dir, args, _stored_tables(con, args),
                                      direct=direct)
                if isinstance(checked, ImportReport):
                    return checked
                report = self._store_checked(con, checked)
                run(con, "CHECKPOINT")
                if not direct:
                    report.locked_s = time.perf_counter() - started
                return report
        finally:
            con.close()

    def _import_staged(self, tmp_dir: Path, args: ImportArgs) -> ImportReport:
        """Import into the existing workspace, holding its write lock only to store.

        The folder is read and typed in a database of its own (in memory, spilling to
        ``tmp_dir``), then checked with the workspace attached read-only, which other
        processes may read meanwhile (while the files are read, they may write it
        too); then the workspace is attached read-write and the
        checked rows are copied in, in one transaction.  Should its tables have changed
        in between (another import), the checks no longer hold: the import is made
        again, the workspace held throughout (:meth:`_import_in_place`).
        """
        check_file_kind(self.path)  # before DuckDB opens anything for it
        con = duckdb.connect(config=dict(NO_EXTENSIONS))
        try:
            attach_current(con, self.path, STORED_CATALOG)  # an older one upgraded first
            with damage_checked(self.path):
                seen = stored_state(con, STORED_CATALOG)
                tz = self._import_timezone(seen.timezone)
                self._configure(con, tz, tmp_dir)
                stored = attached_stored(con, args.folder, args.replace)
            run(con, f"DETACH {ident(STORED_CATALOG)}")  # reading the files needs none of it
            _pause("reading")
            with damage_checked(self.path):
                checked = self._check(con, tz, tmp_dir, args, stored, checking=lambda: (
                    attach_current(con, self.path, STORED_CATALOG)))
                if isinstance(checked, ImportReport):
                    return checked
                _pause("staged")
            run(con, f"DETACH {ident(STORED_CATALOG)}")
            _pause("checked")
            started = time.perf_counter()
            attach_file(con, self.path, TARGET_CATALOG, read_only=False)
            with damage_checked(self.path):
                run(con, f"USE {ident(TARGET_CATALOG)}")
                migrate(con, self.path)
                if stored_state(con, TARGET_CATALOG) == seen:
                    report = self._store_checked(con, checked)
                    run(con, f"CHECKPOINT {ident(TARGET_CATALOG)}")
                    report.locked_s = time.perf_counter() - started
                    return report
        finally:
            con.close()
        log.info("workspace %s changed while an import was checked: importing again",
                 self.path)
        return self._import_in_place(self.path, tmp_dir, args)

    def _import_timezone(self, stored_tz: str | None) -> str:
        """The time zone an import reads its files in: the workspace's (a different one
        given is refused), else the one given, else the default."""
        if self._timezone and stored_tz and stored_tz != self._timezone:
            raise UsageError(code="timezone_mismatch", params={
                "stored": stored_tz, "given": self._timezone})
        return self._timezone or stored_tz or DEFAULT_TIMEZONE

    def _make_folder(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(code="workspace_folder_not_writable",
                                 params={"folder": str(self.path.parent),
                                         "detail": os_reason(exc)}) from exc

    def _check(self, con: duckdb.DuckDBPyConnection, tz: str, tmp_dir: Path,
               args: ImportArgs, stored: StoredTables, *, direct: bool = False,
               checking: Callable[[], None] | None = None) -> Checked | ImportReport:
        """Stage and check a folder against what ``stored`` holds: the folder ready to
        store, or the report of an import that stores nothing (every file was imported
        before).  ``direct`` (a new workspace, built in a file thrown away on failure):
        the tables are typed straight into the workspace's own, as import 1, so storing
        them copies nothing.  ``checking``: see :func:`~cskpi.data.validate.stage_folder`."""
        replace = args.replace
        result = stage_folder(con, args.folder, tz, tmp_dir, stored, args.progress,
                              encoding=args.encoding, sessions=args.sessions,
                              import_id=FIRST_IMPORT if direct else None, checking=checking)
        missing = sorted(replace - set(result.staged))
        if missing:
            raise UsageError(code="replace_without_file", params={
                "tables": ", ".join(missing), "folder": str(args.folder)})
        if "agents" in replace and result.ok:
            result.issues.extend(_orphaned_by_new_agents(con, stored, result.staged["agents"]))
        if not result.ok:
            raise ValidationFailed(result.issues)
        fresh = {k: v for k, v in result.staged.items() if not v.already_imported}
        if not fresh:  # every file was imported before: no import is made, none logged
            skipped = [TableImport(s.name, s.path.name, 0, 0, 0, skipped=True)
                       for s in result.staged.values()]
            return ImportReport(self.path, None, skipped, result.issues)
        derive = "messages" in fresh and not sessions_given(fresh, stored)
        return Checked(args, result, tz, derive)

    def _store_checked(self, con: duckdb.DuckDBPyConnection, checked: Checked) -> ImportReport:
        """Store a checked folder in the workspace ``con`` uses by default, in one
        transaction."""
        result, tz, folder = checked.result, checked.tz, checked.args.folder
        started = dt.datetime.now(dt.UTC)
        run(con, "BEGIN TRANSACTION")
        try:
            for ddl in SYSTEM_DDL:
                run(con, ddl)
            for table in TABLES.values():
                run(con, table_ddl(table))
            run(con, f"INSERT OR REPLACE INTO _meta VALUES ('timezone', {lit(tz)}), "
                     f"('contract_version', '{CONTRACT_VERSION}')")
            run(con, "INSERT OR IGNORE INTO _meta VALUES ('created_at', "
                     f"{lit(started.isoformat())})")
            # a new workspace's; an older one was upgraded when it was opened
            # values spelt as literals, not bound: DuckDB's Python client loads pandas and
            # NumPy for its first bound parameter, a second of a small import
            run(con, f"INSERT OR IGNORE INTO _meta VALUES ({lit(VERSION_KEY)}, "
                     f"{lit(str(WORKSPACE_VERSION))})")
            # past the warnings too: a version that kept those of an import storing nothing
            # left them under an id the log never got
            import_id = int(one(con, "SELECT coalesce(max(import_id), 0) + 1 FROM (SELECT "
                                     "import_id FROM _imports UNION ALL SELECT import_id FROM "
                                     "_import_issues)"))
            # stored tables need no particular row order: let the inserts run in parallel
            run(con, "SET preserve_insertion_order = false")
            report = ImportReport(self.path, import_id, issues=result.issues)
            for name in sorted(checked.args.replace):
                run(con, f"DELETE FROM {ident(name)}")
            for staged in result.staged.values():
                report.tables.append(self._store(con, staged, import_id, folder, started))
            if checked.derive:
                report.derived_sessions = derive_sessions(con, result.staged["messages"],
                                                          import_id)
            # the warnings stay with the data (reports list them under data quality)
            log_warnings(con, import_id, [i for i in result.issues if not i.is_error])
            if os.environ.get(FAULT_ENV) == "kill-before-commit":
                os.kill(os.getpid(), signal.SIGKILL)
            run(con, "COMMIT")
        except BaseException:
            run(con, "ROLLBACK")
            raise
        return report

    def _store(self, con: duckdb.DuckDBPyConnection, staged: Staged, import_id: int,
               folder: Path, started: dt.datetime) -> TableImport:
        file = staged.path.name  # the import log keys a file by its name (and reader)
        if staged.already_imported:
            return TableImport(staged.name, file, 0, 0, 0, skipped=True)
        cols = ", ".join(ident(c) for c in staged.table.column_names)
        added = int(one(con, f"SELECT count(*) FROM {ident(staged.typed)}"))
        if staged.direct:  # already the workspace's table: only the flag columns go
            _finish_direct(con, staged.table)
        else:
            run(con, f"INSERT INTO {ident(staged.name)} ({cols}, _import_id) "
                     f"SELECT {cols}, {import_id} FROM {ident(staged.typed)}")
        run(con, f"INSERT INTO _imports VALUES ({int(import_id)}, {lit(staged.name)}, "
                 f"{lit(file)}, {lit(str(folder.resolve()))}, {lit(staged.sha256)}, "
                 f"{int(staged.rows)}, {int(added)}, {int(staged.duplicates)}, "
                 f"TIMESTAMPTZ {lit(started.isoformat())}, "
                 f"TIMESTAMPTZ {lit(dt.datetime.now(dt.UTC).isoformat())}, {lit(__version__)})")
        return TableImport(staged.name, file, staged.rows, added, staged.duplicates)

    # --- reading -----------------------------------------------------------------------

    def import_log(self) -> list[dict[str, object]]:
        with self.connect() as con:
            if not one(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_imports'"):
                return []
            cur = con.execute("SELECT * FROM _imports ORDER BY import_id, table_name")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def import_issues(self) -> list[dict[str, object]]:
        """The warnings of every import, oldest first (errors never get imported)."""
        with self.connect() as con:
            if not one(con, "SELECT count(*) FROM duckdb_tables() "
                            "WHERE table_name = '_import_issues'"):
                return []
            # only those of a logged import (see the import id in :meth:`_import`)
            cur = con.execute('SELECT * FROM _import_issues WHERE import_id IN '
                              '(SELECT import_id FROM _imports) ORDER BY import_id, file, "row"')
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def roster(self) -> list[dict[str, object]]:
        """The agents (agent_id, name, role, team, level, active), by agent id."""
        with self.connect() as con:
            cur = con.execute("SELECT agent_id, name, role, team, level, active FROM agents "
                              "ORDER BY agent_id")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def latest_day(self) -> dt.date | None:
        """The local day of the latest session, else order, else platform figure, else
        attendance day (None when the workspace holds none of them)."""
        with self.connect() as con:
            tz = lit(stored_timezone(con) or DEFAULT_TIMEZONE)
            present = {r[0] for r in rows(con, "SELECT table_name FROM duckdb_tables()")}
            for table, col in (("sessions", "start_ts"), ("orders", "created_ts"),
                               ("agent_metrics", "date"), ("attendance", "date")):
                if table in present:
                    latest = one(con, f"SELECT CAST(max(timezone({tz}, "
                                      f"CAST({ident(col)} AS TIMESTAMPTZ))) AS DATE) "
                                      f"FROM {ident(table)}")
                    if latest is not None:
                        return latest
        return None

    def counts(self) -> dict[str, int]:
        with self.connect() as con:
            present = {r[0] for r in rows(con, "SELECT table_name FROM duckdb_tables()")}
            return {t: int(one(con, f"SELECT count(*) FROM {ident(t)}"))
                    for t in TABLES if t in present}


def log_warnings(con: duckdb.DuckDBPyConnection, import_id: int, warnings: list[Issue]
                  ) -> None:
    """Keep an import's warnings in ``_import_issues``.  Their texts quote what a file
    holds (a quote, a NUL …): each is spelt with :func:`lit`, which quotes any text, rather
    than bound (DuckDB's Python client loads pandas and NumPy for its first bound
    parameter, a fifth of a second of the import's time holding the workspace)."""
    values = []
    for i in warnings:
        head = ["NULL" if v is None else lit(str(v)) for v in (i.level, i.code, i.message, i.file)]
        tail = ["NULL" if v is None else lit(str(v))
                for v in (i.column, i.hint, i.message_key, i.params_json())]
        row = "NULL" if i.row is None else str(int(i.row))
        values.append(f"({int(import_id)}, {', '.join(head)}, {row}, {', '.join(tail)})")
    if values:  # a few dozen at most: every check lists 20 rows, then counts the rest
        run(con, f"INSERT INTO _import_issues VALUES {', '.join(values)}")


def load_folder(con: duckdb.DuckDBPyConnection, folder: Path, tz: str, tmp_dir: Path, *,
                encoding: str | None = None, sessions: SessionRules | None = None,
                chat_text: bool = True) -> list[Issue]:
    """Check a data folder and load it into temporary tables of ``con`` named as a
    workspace's (``messages``, ``sessions`` …), for a computation on the folder itself
    (``--data``): the checks of an import, all or nothing (:class:`ValidationFailed`),
    without a workspace file to write, compress, checkpoint and open again.  Returns
    the warnings.  ``chat_text=False``: the messages' text is kept as a digest only (see
    :func:`~cskpi.data.validate.type_table`).  The files are not digested (SHA-256):
    no import is logged."""
    result = stage_folder(con, folder, tz, tmp_dir, None, None, encoding=encoding,
                          sessions=sessions, import_id=FIRST_IMPORT, temp=True,
                          chat_text=chat_text, digest=False)
    if not result.ok:
        raise ValidationFailed(result.issues)
    for staged in result.staged.values():
        _finish_direct(con, staged.table)
    if "messages" in result.staged and "sessions" not in result.staged:
        run(con, table_ddl(TABLES["sessions"]).replace("CREATE TABLE", "CREATE TEMP TABLE", 1))
        derive_sessions(con, result.staged["messages"], FIRST_IMPORT)
    return result.issues


def _finish_direct(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """A table typed straight into a new workspace, made what :func:`table_ddl` makes: its
    flag columns and row numbers dropped (no row is copied), sessions' ``derived``
    given its default."""
    keep = {*table.column_names, "derived", "_import_id"}
    present = [str(r[0]) for r in rows(con, "SELECT column_name FROM duckdb_columns() WHERE "
                                            f"schema_name = 'main' AND table_name = "
                                            f"{lit(table.name)} ORDER BY database_name = "
                                            "'temp' DESC")]
    for column in present:
        if column not in keep:
            run(con, f"ALTER TABLE {ident(table.name)} DROP COLUMN {ident(column)}")
    if table.name == "sessions":
        run(con, "ALTER TABLE sessions ALTER COLUMN derived SET DEFAULT false")
        run(con, "ALTER TABLE sessions ALTER COLUMN derived SET NOT NULL")


def _orphaned_by_new_agents(con: duckdb.DuckDBPyConnection, stored: StoredTables,
                            agents: Staged) -> list[Issue]:
    """Stored rows whose agent the replacing agents table no longer lists (``stored``:
    the tables kept, with rows)."""
    issues = []
    for name in sorted(stored.tables):
        for col in TABLES[name].agent_refs:
            found = rows(con, f"""SELECT DISTINCT {ident(col)} FROM {stored.ref(name)}
                WHERE {ident(col)} IS NOT NULL
                  AND {ident(col)} NOT IN (SELECT agent_id FROM {ident(agents.typed)})
                ORDER BY 1 LIMIT 20""")
            if found:
                ids = ", ".join(str(r[0]) for r in found)
                issues.append(Issue("error", "agent_still_referenced", file=agents.file,
                                    column=agents.label("agent_id"),
                                    params={"table": name, "table_zh": TABLES[name].zh,
                                            "agents": ids}))
    return issues


def reader_of(file: str) -> str:
    """The reader a table file goes through, by its name: xlsx, parquet or text."""
    suffix = Path(file).suffix.lower()
    return suffix[1:] if suffix in (".xlsx", ".parquet") else "text"


def skippable_imports(logged: Iterable[tuple[object, ...]], folder: Path
                      ) -> set[tuple[str, str]]:
    """The (table, sha256) of logged files that an import of ``folder`` skips unread.

    ``logged`` holds (table, sha256, file name) of the import log.  A file counts as imported
    before only when it is read as then: the same bytes for the same table through the same
    reader.  Renamed from orders.csv to orders.xlsx, the same bytes are read, and refused.
    """
    if not folder.is_dir():
        return set()
    files, _ = find_table_files(folder)
    return {(str(table), str(sha)) for table, sha, file in logged
            if table in files and reader_of(files[str(table)].path.name) == reader_of(str(file))}


def attach_current(con: duckdb.DuckDBPyConnection, path: Path, catalog: str) -> None:
    """Attach the workspace ``path`` read-only to ``con`` as ``catalog``, in the current
    format: an older one is upgraded first, as :meth:`Workspace.connect` does.  Waits
    for a process that writes it, as :func:`~.files.connect_file` does."""
    attach_file(con, path, catalog, read_only=True)
    try:
        with damage_checked(path):
            found = outdated_version(con, path, catalog)
        if found is None:
            return
        run(con, f"DETACH {ident(catalog)}")  # the upgrade needs the file to itself
    except duckdb.Error as exc:
        raise open_error(path, exc) from exc
    Workspace(path).upgrade()
    attach_file(con, path, catalog, read_only=True)


def _catalog_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    # the name spelt as a literal, not bound: DuckDB's Python client loads pandas and NumPy
    # for its first bound parameter, a fifth of a second of every import
    return {str(r[0]) for r in rows(
        con, f"SELECT table_name FROM duckdb_tables() WHERE database_name = {lit(catalog)} "
             "AND schema_name = 'main'")}


def attached_stored(con: duckdb.DuckDBPyConnection, folder: Path, replace: Collection[str],
                    catalog: str = STORED_CATALOG) -> StoredTables:
    """What the workspace attached as ``catalog`` holds, as an import of ``folder``
    checks it: the tables with rows (those replaced count as empty), the files imported
    before that the import skips (those of replaced tables are read again)."""
    cat = ident(catalog)
    present = _catalog_tables(con, catalog)
    with_rows = {t for t in present & set(TABLES)
                 if one(con, f"SELECT count(*) > 0 FROM {cat}.{ident(t)}")}
    imports: set[tuple[str, str]] = set()
    if "_imports" in present:
        imports = skippable_imports(
            rows(con, f"SELECT table_name, sha256, file FROM {cat}._imports"), folder)
    return StoredTables(con, with_rows - set(replace),
                        {(t, h) for t, h in imports if t not in replace}, schema=catalog)


def _stored_tables(con: duckdb.DuckDBPyConnection, args: ImportArgs) -> StoredTables:
    """:func:`attached_stored` of the workspace ``con`` opened (the default catalog)."""
    return attached_stored(con, args.folder, args.replace,
                           str(one(con, "SELECT current_database()")))


def stored_state(con: duckdb.DuckDBPyConnection, catalog: str) -> StoredState:
    """The :class:`StoredState` of the workspace attached as ``catalog``."""
    cat = ident(catalog)
    present = _catalog_tables(con, catalog)
    logs = [f"SELECT import_id FROM {cat}.{ident(t)}" for t in ("_imports", "_import_issues")
            if t in present]
    last = one(con, f"SELECT coalesce(max(import_id), 0) FROM ({' UNION ALL '.join(logs)})"
               ) if logs else 0
    counts = tuple((t, int(one(con, f"SELECT count(*) FROM {cat}.{ident(t)}")))
                   for t in TABLES if t in present)
    meta: dict[str, str] = {}
    if "_meta" in present:
        meta = {str(k): str(v) for k, v in rows(
            con, f"SELECT key, value FROM {cat}._meta WHERE key IN ('timezone', "
                 f"{lit(VERSION_KEY)})")}
    return StoredState(int(str(last)), counts, meta.get(VERSION_KEY), meta.get("timezone"))


def _pause(point: str) -> None:
    """Test hook: with ``CSKPI_FAULT=pause-<point>``, an import that reaches ``point``
    writes the file ``paused`` in the folder ``CSKPI_FAULT_DIR`` and waits there until a
    file ``go`` appears in it (or :data:`FAULT_PAUSE_S` have passed)."""
    if os.environ.get(FAULT_ENV) != f"pause-{point}":
        return
    folder = Path(os.environ[FAULT_DIR_ENV])
    (folder / "paused").write_text(str(os.getpid()))
    deadline = time.monotonic() + FAULT_PAUSE_S
    while not (folder / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def stored_timezone(con: duckdb.DuckDBPyConnection) -> str | None:
    if not one(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_meta'"):
        return None
    value = one(con, "SELECT value FROM _meta WHERE key = 'timezone'")
    return str(value) if value else None


def derive_sessions(con: duckdb.DuckDBPyConnection, messages: Staged, import_id: int) -> int:
    """(Re)build derived sessions for every session id touched by the new messages.

    A derived session starts at its first message, ends at its last, was handed to a
    human at its ``transfer`` system message, and belongs to the agent who wrote in it
    (none if no agent wrote: it never reached a human, as far as the chat log shows).
    """
    ids = f"(SELECT DISTINCT session_id FROM {ident(messages.typed)})"
    run(con, f"DELETE FROM sessions WHERE derived AND session_id IN {ids}")
    run(con, f"""
        INSERT INTO sessions (session_id, customer_id, agent_id, start_ts, transfer_ts, end_ts,
                              channel, kind, derived, _import_id)
        SELECT session_id,
               arg_min(customer_id, ts) FILTER (WHERE customer_id IS NOT NULL),
               min(agent_id) FILTER (WHERE sender = 'agent'),
               min(ts), min(ts) FILTER (WHERE event = 'transfer'), max(ts),
               NULL, NULL, true, {import_id}
        FROM messages WHERE session_id IN {ids}
          AND session_id NOT IN (SELECT session_id FROM sessions)
        GROUP BY session_id""")
    return int(one(con, f"SELECT count(*) FROM sessions WHERE session_id IN {ids} AND derived"))
