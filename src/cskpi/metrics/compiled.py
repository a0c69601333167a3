"""Compiled SQL of Ibis expressions, remembered by the expressions' structure.

Compiling an expression to SQL is Ibis's slowest step: a month's catalog is about fifteen
queries, and turning them into SQL costs more than DuckDB spends running them on a
warm cache.  The same query is asked again and again in one process (a web server
computing a page's figures; a report computing the month by agent, by shop and by day;
every cached-versus-fresh pair of the tests), so its SQL is kept, in memory, under a
digest of the expression.

The digest covers every argument of every node of the expression graph: operation
classes, column names, data types, literals with their types, and the names and schemas
of the tables read.  Two expressions with one digest compile to one SQL text.  An
expression holding anything the digest cannot spell out exactly (an in-memory table,
whose name is random and whose rows are data) is compiled every time, never kept; an
in-memory table named after a digest of its rows (``cskpi_rows_*``) is known by its name.

A workspace also keeps the SQL of the catalog's queries (:class:`SqlStore`, table
``_compiled``), so that the next command, another process, skips compiling them too.
A computation with no workspace to keep them in (``cskpi metrics --data DIR``, a
read-only workspace) keeps them in the user's cache folder instead (:class:`FolderSqlStore`,
:func:`user_store`): compiling the catalog was a tenth of computing it from a folder
of a month's CSV files.  Keys carry the versions of Ibis and SQLGlot besides the digest:
another compiler never reads SQL it did not write.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import os
import sys
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import sqlglot
from ibis.backends import BaseBackend

from ..data.sql import one, run

KEEP = 512  # compiled queries kept (the least recently used dropped)
# in-memory tables named after their rows (engine.periods_table): known by name and schema
NAMED_ROWS = "cskpi_rows_"
_SCALARS = (type(None), bool, int, float, str, bytes, Decimal, dt.date, dt.time, dt.timedelta,
            enum.Enum)
_kept: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


class _Unspellable(Exception):
    """The expression holds something the digest cannot spell out exactly."""


def digest(expr: ir.Expr) -> str | None:
    """A digest of the whole expression graph, or None when it cannot be spelt out."""
    try:
        return _node(expr.op(), {})
    except _Unspellable:
        return None


def _node(node: Any, seen: dict[int, str]) -> str:
    """The digest of an Ibis node (an operation, a data type, a schema), memoised by id:
    the graph shares nodes, and every node stays alive while the graph is walked."""
    found = seen.get(id(node))
    if found is not None:
        return found
    args = zip(node.__argnames__, node.__args__, strict=True)
    if isinstance(node, ops.InMemoryTable):
        if not node.name.startswith(NAMED_ROWS):
            raise _Unspellable  # its rows are data the digest does not read
        args = (("name", node.name), ("schema", node.schema))  # its name spells its rows
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{type(node).__module__}.{type(node).__qualname__}".encode())
    for name, arg in args:
        h.update(f"|{name}=".encode())
        h.update(_value(arg, seen).encode())
    out = h.hexdigest()
    seen[id(node)] = out
    return out


def _value(v: Any, seen: dict[int, str]) -> str:
    if isinstance(v, _SCALARS):
        # the type too: 1, 1.0 and True are different literals
        return f"{type(v).__qualname__}:{v!r}"
    if isinstance(v, BaseBackend):
        return f"backend:{v.name}"  # tables are told apart by their names and schemas
    if hasattr(v, "__argnames__"):
        return "node:" + _node(v, seen)
    if isinstance(v, tuple | list):
        return "(" + ",".join(_value(x, seen) for x in v) + ")"
    if isinstance(v, Mapping):
        return "{" + ",".join(f"{_value(k, seen)}:{_value(x, seen)}" for k, x in v.items()) + "}"
    if isinstance(v, frozenset):
        return "set(" + ",".join(sorted(_value(x, seen) for x in v)) + ")"
    raise _Unspellable


class SqlStore:
    """The compiled queries a workspace keeps for the next command (a writable connection)."""

    KEEP = 256  # queries kept (the oldest dropped)

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        run(con, "CREATE TABLE IF NOT EXISTS _compiled (key VARCHAR PRIMARY KEY, "
                 "sql VARCHAR, stored_at TIMESTAMP)")

    def get(self, key: str) -> str | None:
        return one(self.con, "SELECT sql FROM _compiled WHERE key = ?", [key])

    def put(self, key: str, sql: str) -> None:
        run(self.con, "INSERT OR REPLACE INTO _compiled VALUES (?, ?, now())", [key, sql])
        run(self.con, f"""DELETE FROM _compiled WHERE key NOT IN (SELECT key FROM _compiled
            ORDER BY stored_at DESC, key LIMIT {self.KEEP})""")


# where computations without a workspace keep compiled queries; set empty: nowhere
CACHE_ENV = "CSKPI_CACHE_DIR"


class FolderSqlStore:
    """Compiled queries kept as files of a folder (one per key), for the computations that
    have no workspace to keep them in.  Each file holds its key on the first line and
    the SQL after it; a file whose key differs, or that cannot be read, is no entry.
    Files are written whole (a temporary file renamed into place), so processes that
    share the folder never read half of one.  A folder that another user could write is
    not used at all: its queries are run as they are read."""

    KEEP = 512  # queries kept (the least recently written dropped, now and then)

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._trusted = False

    def _path(self, key: str) -> Path | None:
        if not self._trusted:
            self._trusted = _private_folder(self.folder)
            if not self._trusted:
                return None
        return self.folder / (hashlib.sha256(key.encode()).hexdigest()[:40] + ".sql")

    def get(self, key: str) -> str | None:
        path = self._path(key) if self.folder.is_dir() else None
        if path is None:
            return None
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        found, _, sql = text.partition("\n")
        return sql if found == key and sql else None

    def put(self, key: str, sql: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self._path(key)
            if path is None:
                return
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".new-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(f"{key}\n{sql}")
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._prune()
        except OSError:
            pass  # a cache that cannot be written is only slower

    def _prune(self) -> None:
        files = list(self.folder.glob("*.sql"))
        if len(files) <= self.KEEP:
            return
        files.sort(key=lambda f: f.stat().st_mtime)
        for f in files[:len(files) - self.KEEP]:
            f.unlink(missing_ok=True)


def _private_folder(folder: Path) -> bool:
    """Whether the folder is this user's and no one else may write it (POSIX; elsewhere
    the user's own profile folders are taken as private)."""
    if not hasattr(os, "getuid"):
        return True
    try:
        st = folder.stat()
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def cache_folder() -> Path | None:
    """The folder of :class:`FolderSqlStore`: ``$CSKPI_CACHE_DIR`` (set empty: none), else
    the user's cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``; ``%LOCALAPPDATA%`` on
    Windows), each under ``cskpi/compiled``."""
    given = os.environ.get(CACHE_ENV)
    if given is not None:
        return Path(given).expanduser() / "compiled" if given.strip() else None
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return Path(local) / "cskpi" / "compiled" if local else None
    xdg = os.environ.get("XDG_CACHE_HOME")
    try:
        base = Path(xdg) if xdg else Path.home() / ".cache"
    except RuntimeError:  # no home folder
        return None
    return base / "cskpi" / "compiled"


def user_store() -> FolderSqlStore | None:
    """The store of :func:`cache_folder`, or None when there is none."""
    folder = cache_folder()
    return None if folder is None else FolderSqlStore(folder)


_VERSIONS = f"ibis {ibis.__version__}, sqlglot {sqlglot.__version__}"


def compile_sql(backend: Any, expr: ir.Expr,
                store: SqlStore | FolderSqlStore | None = None) -> str:
    """``backend.compile(expr)``, from memory (or from ``store``) when the same expression
    was compiled before."""
    found = digest(expr)
    if found is None:
        return backend.compile(expr)
    key = f"{backend.name} ({_VERSIONS}): {found}"
    with _lock:
        sql = _kept.get(key)
        if sql is not None:
            _kept.move_to_end(key)
            return sql
    sql = store.get(key) if store is not None else None
    if sql is None:
        sql = backend.compile(expr)
        if store is not None:
            store.put(key, sql)
    with _lock:
        _kept[key] = sql
        while len(_kept) > KEEP:
            _kept.popitem(last=False)
    return sql


def forget() -> None:
    """Drop every kept query (tests)."""
    with _lock:
        _kept.clear()
