"""The version of the app's records (:mod:`cskpi.web.db.changes`): every write of a record,
whichever table, however made, writes a new one when it commits; the logins' bookkeeping,
a rolled back write and a reading transaction do not.  Generated from the models: a table
added later is checked without a new test."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session, sessionmaker

from cskpi.web.db.changes import UNCOUNTED, version
from cskpi.web.db.engine import make_engine, migrate, session_factory, transaction
from cskpi.web.db.models import Base, Grade, LoginFailure

TABLES = [t for t in Base.metadata.sorted_tables if t.name != "app_changes"]
CHECKED = {"users": {"role": "admin"}}  # values a CHECK constraint asks for


def _value(column: sa.Column[Any]) -> Any:
    kind = column.type
    for types, value in (((sa.Boolean,), False), ((sa.Integer, sa.Numeric), 1),
                         ((sa.DateTime,), dt.datetime(2026, 10, 1)),
                         ((sa.Date,), dt.date(2026, 10, 1)), ((sa.JSON,), {}),
                         ((sa.LargeBinary,), b"x")):
        if isinstance(kind, types):
            return value
    assert isinstance(kind, sa.String | sa.Text), f"{column}: no value for {kind}"
    return "A"


def _row(table: sa.Table) -> dict[str, Any]:
    """The table's required columns, each with a value (foreign keys: row 1 of theirs)."""
    row = {c.name: _value(c) for c in table.columns if not c.nullable or c.primary_key}
    return {**row, **CHECKED.get(table.name, {})}


@pytest.fixture
def sessions(database_url: str) -> Any:
    engine = make_engine(database_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def _version(sessions: sessionmaker[Session]) -> int | None:
    with sessions() as db:
        return version(db)


def _changes(sessions: sessionmaker[Session], statement: Any) -> bool:
    before = _version(sessions)
    with transaction(sessions) as db:
        db.execute(statement)
    return _version(sessions) != before


def test_every_statement_on_a_record_writes_a_new_version(
        sessions: sessionmaker[Session]) -> None:
    for table in TABLES:  # parents first: each row's foreign keys find row 1 of theirs
        counted = table.name not in UNCOUNTED
        pk = next(iter(table.primary_key.columns))
        assert _changes(sessions, insert(table).values(_row(table))) is counted, table.name
        column = next(c for c in table.columns if c.name in _row(table)
                      and not c.primary_key and not c.foreign_keys)
        assert _changes(sessions, update(table).where(pk == 1)
                        .values({column.name: _value(column)})) is counted, table.name
    for table in reversed(TABLES):  # children first
        pk = next(iter(table.primary_key.columns))
        assert _changes(sessions, delete(table).where(pk == 1)) is (
            table.name not in UNCOUNTED), table.name


def test_every_flushed_record_writes_a_new_version(sessions: sessionmaker[Session]) -> None:
    classes = {m.local_table.name: m.class_ for m in Base.registry.mappers}
    for table in TABLES:
        counted = table.name not in UNCOUNTED
        before = _version(sessions)
        with transaction(sessions) as db:
            db.add(classes[table.name](**_row(table)))
        assert (_version(sessions) != before) is counted, f"added {table.name}"
    # a record changed, then deleted, through the session's objects
    for change in ("edit", "delete"):
        before = _version(sessions)
        with transaction(sessions) as db:
            grade = db.get(Grade, 1)
            assert grade is not None
            if change == "edit":
                grade.grade = "B"
            else:
                db.delete(grade)
        assert _version(sessions) != before, change


def test_reading_rolling_back_and_the_logins_bookkeeping_keep_the_version(
        sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as db:
        db.execute(insert(Base.metadata.tables["users"]).values(_row(
            Base.metadata.tables["users"])))
    kept = _version(sessions)
    assert kept is not None  # the user's row wrote the first version
    with transaction(sessions) as db:
        assert db.get(Grade, 1) is None  # only read
        db.add(LoginFailure(username="x", ip="127.0.0.1"))
    assert _version(sessions) == kept
    with pytest.raises(RuntimeError), transaction(sessions) as db:
        db.add(Grade(agent_id="A001", period="2026-10", item="attitude", grade="A"))
        db.flush()
        raise RuntimeError("the request failed after the grade was flushed")
    assert _version(sessions) == kept
    with transaction(sessions) as db:  # the next transaction starts clean
        db.add(LoginFailure(username="y", ip="127.0.0.1"))
    assert _version(sessions) == kept
