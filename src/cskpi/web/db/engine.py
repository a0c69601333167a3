"""Engines, sessions and migrations of the app database (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from .changes import count_changes

# A request holds one connection (its session) and, while scoring, briefly a second one
# (the gateway reads the grades and scheme versions entered in the app).  With fewer
# connections than request threads + 1, every thread can hold one and wait for a second:
# a deadlock that ends only at the pool timeout (seen at 20 concurrent clients).  The
# request threads are AnyIO's (40 by default) plus the warm-up, hence this margin; idle
# connections beyond the pool size are closed.  SQLite connections are cheap to keep and
# costly to reopen under load (each runs the pragmas), so its pool keeps more of them.
REQUEST_THREADS = 40
POOL_CAPACITY = REQUEST_THREADS + 10
POOL_SIZE = 5
SQLITE_POOL_SIZE = 20


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    if "poolclass" not in kwargs and not url.startswith("sqlite:///:memory:") \
            and url != "sqlite://":
        size = SQLITE_POOL_SIZE if url.startswith("sqlite") else POOL_SIZE
        kwargs.setdefault("pool_size", size)
        kwargs.setdefault("max_overflow", POOL_CAPACITY - size)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_con: Any, _record: Any) -> None:
            cur = dbapi_con.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    try:
        return create_engine(url, pool_pre_ping=True, **kwargs)
    except ModuleNotFoundError as exc:  # e.g. psycopg not installed
        from ..errors import AppConfigError

        raise AppConfigError(f"cannot use {url.split(':')[0]}: {exc}",
                             hint="pip install 'cskpi[web]' (includes psycopg)") from exc


def alembic_config() -> Config:
    """The Alembic configuration of the migrations shipped in ``cskpi.web.migrations``."""
    cfg = Config()
    cfg.set_main_option("script_location",
                        str(resources.files("cskpi.web").joinpath("migrations")))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the app database to ``revision`` (idempotent)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with the package."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit, each write of a record
    raising the records' version (:mod:`.changes`)."""
    return count_changes(sessionmaker(engine, expire_on_commit=False))


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    with factory() as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise
