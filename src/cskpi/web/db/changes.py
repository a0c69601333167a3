"""The version of the app's records: a new random number, written with every write.

A page may keep what it made of the app's records (a scorecard's content: its grades,
events, locks, appeals, the scheme versions in force) with the version it was made at;
any write of a record, by this process or another sharing the database, writes a new
version in the same transaction (just before it commits), so the next page makes it
again.  The version is random, not counted: a database emptied or restored from a copy
never shows a version that stood for other records.  Every mapped table counts except the logins' own
bookkeeping (:data:`UNCOUNTED`: a page view may touch a login session), and a write
counts whether it is made through the session's objects (flushed) or as an
``insert``/``update``/``delete`` statement run by the session.
"""

from __future__ import annotations

import secrets
from itertools import chain
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from .models import AppChange

UNCOUNTED = frozenset({"login_sessions", "login_failures", "api_tokens", "app_changes"})
"""Tables whose writes change nothing a page keeps."""

ROW = 1  # the one row of app_changes


def version(db: Session) -> int | None:
    """The records' version now (None before the first write)."""
    return db.scalar(select(AppChange.version).where(AppChange.id == ROW))


def _write_version(session: Session) -> None:
    connection = session.connection()
    dialect = connection.dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - the two supported
        raise NotImplementedError(f"app_changes on {dialect}")
    stmt = insert(AppChange).values(id=ROW, version=secrets.randbits(62))
    connection.execute(stmt.on_conflict_do_update(index_elements=[AppChange.id],
                                                  set_={"version": stmt.excluded.version}))


def _counted(obj: Any) -> bool:
    return inspect(obj).mapper.local_table.name not in UNCOUNTED  # type: ignore[union-attr]


WROTE = "cskpi_wrote_records"  # in Session.info: a record was written in this transaction


def _after_flush(session: Session, _context: Any) -> None:
    # the lists still hold what this flush wrote (SQLAlchemy's after_flush contract)
    written = chain(session.new, session.deleted,
                    (o for o in session.dirty if session.is_modified(o)))
    if any(_counted(obj) for obj in written):
        session.info[WROTE] = True


def _on_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in UNCOUNTED:
        state.session.info[WROTE] = True


def _before_commit(session: Session) -> None:
    # the version is written last, just before the commit: its row is held (PostgreSQL
    # locks it until the commit) for as short a time as can be
    session.flush()
    if session.info.pop(WROTE, False):
        _write_version(session)


def _after_rollback(session: Session) -> None:
    session.info.pop(WROTE, None)


def count_changes(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Make every session of ``factory`` write a new version when it commits a write of a
    record."""
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "do_orm_execute", _on_statement)
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_rollback", _after_rollback)
    return factory
