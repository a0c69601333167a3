"""The workspace file on disk: what it is before DuckDB opens it, what DuckDB's failures
mean to the user, and the temporary folders imports keep beside it.

DuckDB is never shown a file that is not a DuckDB database: given a SQLite file it would
try to download the extension that reads SQLite.  Its errors are turned into
:class:`WorkspaceError` codes (``error.<code>`` in ``locale/workspace.*.json``) by their
text, matched on DuckDB's own words: "lock" alone would also match "block", which a
damaged file reports.

Only one process may write a DuckDB file, and while it does no other process may open it
at all.  cskpi's writes are short (a page's figures kept in the cache, an import's last
step), so a command or a page that finds the workspace in use waits for it
(:func:`lock_wait`): up to ``CSKPI_WORKSPACE_WAIT_S`` seconds (default
:data:`DEFAULT_WAIT_S`), telling its user that it waits, before it gives up with
``workspace_in_use``.  The web app waits less (its ``page_wait_s`` setting) and answers
503 with ``Retry-After``.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from ..data.sql import ident, lit, run
from ..errors import WorkspaceError, os_reason

DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
SQLITE_MAGIC = b"SQLite format 3\x00"
# a workspace needs only the extensions DuckDB ships built in (icu, json, parquet); without
# this, a file or statement DuckDB recognises would make it download and load one
NO_EXTENSIONS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

# DuckDB's words for a file another process holds (POSIX, then Windows) ...
IN_USE = ("Could not set lock on file", "being used by another process")
# ... for blocks that do not read back as written (flipped bytes, a cut-off copy) ...
DAMAGED = ("Corrupt database file", "Could not read enough bytes")
# ... and for a file that is no DuckDB database at all
NOT_DUCKDB = "not a valid DuckDB database file"

TEMP_PREFIX = ".cskpi-"  # an import's temporary folder, beside the workspace
TEMP_OWNER = "owner"  # in it: the importer's pid, the file locked while the import runs
# A temporary folder without a readable owner file was made by a cskpi before owner files,
# or an instant ago (the owner is written right after the folder): it is left alone for
# this long, far beyond the moment between the two, and longer than any import takes.
UNOWNED_STALE_S = 3600

T = TypeVar("T")


def check_file_kind(path: Path) -> None:
    """Refuse what is not a DuckDB database before DuckDB opens it (a missing file passes)."""
    if path.is_dir():
        raise WorkspaceError(code="workspace_is_folder", params={"path": str(path)})
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise WorkspaceError(code="workspace_unreadable",
                             params={"path": str(path), "detail": os_reason(exc)}
                             ) from exc
    if head[8:12] == DUCKDB_MAGIC:
        return
    code = "workspace_is_sqlite" if head.startswith(SQLITE_MAGIC) else "workspace_not_duckdb"
    raise WorkspaceError(code=code, params={"path": str(path)})


# --- waiting for a workspace another process writes ------------------------------------

DEFAULT_WAIT_S = 120.0  # a command waits this long for another one's write by default
MAX_WAIT_S = 24 * 3600.0
WAIT_ENV = "CSKPI_WORKSPACE_WAIT_S"
PROGRESS_EVERY_S = 10.0  # a waiting command says so at once, then this often


@dataclass(frozen=True)
class LockWait:
    """How long to wait for a workspace in use (None: as the environment says), and whom to
    tell: ``progress(path, waited_s, limit_s)`` is called when the wait starts and every
    :data:`PROGRESS_EVERY_S`."""

    seconds: float | None = None
    progress: Callable[[Path, float, float], None] | None = None


_wait: ContextVar[LockWait | None] = ContextVar("cskpi_lock_wait", default=None)


def wait_from_env() -> float:
    """``CSKPI_WORKSPACE_WAIT_S`` as seconds (:data:`DEFAULT_WAIT_S` when unset); a value
    that is not a number from 0 to a day is refused, not guessed."""
    from ..errors import UsageError

    text = os.environ.get(WAIT_ENV, "").strip()
    if not text:
        return DEFAULT_WAIT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= MAX_WAIT_S:  # NaN fails too
        raise UsageError(code="workspace_wait_env", params={
            "name": WAIT_ENV, "value": text[:40], "max": int(MAX_WAIT_S)})
    return seconds


def lock_wait() -> LockWait:
    """The wait in force: the one :func:`waiting` set, else the environment's."""
    wait = _wait.get() or LockWait()
    if wait.seconds is None:
        return LockWait(wait_from_env(), wait.progress)
    return wait


@contextmanager
def waiting(wait: LockWait) -> Iterator[None]:
    """Open workspaces with ``wait`` inside the block (this thread and what it starts
    with its context)."""
    token = _wait.set(wait)
    try:
        yield
    finally:
        _wait.reset(token)


def set_wait(wait: LockWait) -> None:
    """``wait`` for the rest of this context (a command line process sets it once)."""
    _wait.set(wait)


def connect_file(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to the workspace file ``path``, or a :class:`WorkspaceError`.

    When another process holds the file, waits for it as :func:`lock_wait` says."""
    return opened(path, lambda: duckdb.connect(str(path), read_only=read_only,
                                               config=dict(NO_EXTENSIONS)))


def written_by_another(path: Path) -> bool:
    """Whether another process holds ``path`` for writing now (an import storing, a
    command keeping its cache): asked at once, without waiting."""
    from ..errors import WorkspaceError

    try:
        with waiting(LockWait(0)):
            connect_file(path, read_only=True).close()
    except WorkspaceError as exc:
        return exc.code == "workspace_in_use"
    return False


def attach_file(con: duckdb.DuckDBPyConnection, path: Path, catalog: str,
                read_only: bool) -> None:
    """Attach the workspace file ``path`` to ``con`` as ``catalog`` (the name spelt by the
    caller, never from data), waiting for it as :func:`connect_file` does."""
    opened(path, lambda: run(con, f"ATTACH {lit(str(path))} AS {ident(catalog)}"
                                  + (" (READ_ONLY)" if read_only else "")))


def opened(path: Path, open_it: Callable[[], T]) -> T:
    """``open_it()``, which opens the workspace file ``path``, tried again while another
    process holds the file, as :func:`lock_wait` says; its failure as a
    :class:`WorkspaceError`."""
    check_file_kind(path)
    wait: LockWait | None = None
    start = told = 0.0
    pause = 0.02
    while True:
        try:
            return open_it()
        except duckdb.Error as exc:
            error = open_error(path, exc)
            if error.code != "workspace_in_use":
                raise error from exc
            now = time.monotonic()
            if wait is None:
                wait, start, told = lock_wait(), now, -PROGRESS_EVERY_S
            waited, limit = now - start, wait.seconds or 0.0
            if waited >= limit:
                raise WorkspaceError(code="workspace_in_use", params={
                    "path": str(path), "waited": round(waited)}) from exc
            if wait.progress is not None and waited - told >= PROGRESS_EVERY_S:
                wait.progress(path, waited, limit)
                told = waited
            time.sleep(min(pause, limit - waited))
            pause = min(pause * 2, 0.5)


def open_error(path: Path, exc: duckdb.Error) -> WorkspaceError:
    """The user's words for DuckDB's failure to open (or attach) the workspace ``path``."""
    text = str(exc)
    params = {"path": str(path)}
    if any(words in text for words in IN_USE):  # connect_file sets how long it waited
        return WorkspaceError(code="workspace_in_use", params=params | {"waited": 0})
    if NOT_DUCKDB in text:
        return WorkspaceError(code="workspace_not_duckdb", params=params)
    return damage_error(path, exc) or WorkspaceError(
        code="workspace_unreadable", params=params | {"detail": _first_line(text)})


def damage_error(path: Path, exc: duckdb.Error) -> WorkspaceError | None:
    """A :class:`WorkspaceError` when ``exc`` says the file is damaged, else None (a bug in a
    query stays the bug it is)."""
    text = str(exc)
    if not any(words in text for words in DAMAGED):
        return None
    return WorkspaceError(code="workspace_damaged",
                          params={"path": str(path), "detail": _first_line(text)})


@contextmanager
def damage_checked(path: Path) -> Iterator[None]:
    """Turn DuckDB's report of a damaged ``path``, raised while it is read, into a
    :class:`WorkspaceError` (a damaged block is found when a query reads it, not on open)."""
    try:
        yield
    except duckdb.Error as exc:
        error = damage_error(path, exc)
        if error is None:
            raise
        raise error from exc


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


def can_write(path: Path) -> bool:
    """Whether this process may change the workspace ``path``: the file, and its folder
    (where DuckDB writes the ``.wal``), must be writable.  ``os.access`` answers for a
    read-only file system too, even to root."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


# --- temporary folders of imports ------------------------------------------------------


def _try_lock(fd: int) -> bool:
    """Take the owner lock of a temporary folder without waiting; False when it is held.

    The lock belongs to the open file, not the process, so a thread of the same process
    (the web app importing while another request opens the workspace) also finds it held;
    the system releases it when its holder dies, however it dies.
    """
    try:
        os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the position: lock byte 0
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextmanager
def import_temp_dir(folder: Path) -> Iterator[Path]:
    """A temporary folder in ``folder`` for one import, removed afterwards.

    Its owner file is locked, then given the pid, and stays locked while the import runs,
    so that a later command can tell the folder of a killed import (a pid, the lock free)
    from a live one.
    """
    try:
        tmp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=folder))
    except OSError as exc:
        raise WorkspaceError(code="workspace_folder_not_writable",
                             params={"folder": str(folder), "detail": os_reason(exc)}
                             ) from exc
    try:
        fd = os.open(tmp / TEMP_OWNER, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        _try_lock(fd)  # a new file: only a sweep could hold it, and it skips empty ones
        os.write(fd, str(os.getpid()).encode())
        yield tmp
    finally:
        os.close(fd)  # first: Windows removes no open file
        shutil.rmtree(tmp, ignore_errors=True)


def remove_stale_temp_dirs(folder: Path) -> list[Path]:
    """Remove the temporary folders that killed imports left in ``folder``; return them.

    A folder whose owner lock is held belongs to a running import and is kept, as is one
    this process cannot examine (a read-only folder: nothing could be removed anyway).
    """
    removed: list[Path] = []
    try:
        with os.scandir(folder) as listing:
            entries = [e for e in listing if e.name.startswith(TEMP_PREFIX)]
    except OSError:
        return removed
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) and _abandoned(Path(entry.path)):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def _abandoned(tmp: Path) -> bool:
    try:
        fd = os.open(tmp / TEMP_OWNER, os.O_RDWR)
    except FileNotFoundError:
        return _older_than(tmp, UNOWNED_STALE_S)
    except OSError:
        return False
    try:
        if not os.read(fd, 32):  # made, its pid not written yet: as if it had no owner
            return _older_than(tmp, UNOWNED_STALE_S)
        return _try_lock(fd)
    finally:
        os.close(fd)


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except OSError:
        return False
