"""Migration 0005: events get ``updated_at`` (an existing event's is its creation time),
locks may be reopened (``reopened_at``, ``reopened_by``) and locked versions keep their
report files (``lock_reports``).  Going back to 0004 keeps
every event and lock."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command

from cskpi.web.db.engine import (
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    migrate,
)


def _as_datetime(value: object) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value  # type: ignore[return-value]


def test_existing_events_count_as_changed_when_they_were_made(
        empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate(engine, "0004")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (username, password_hash, role, active, created_at) "
                "VALUES ('mgr', 'x', 'manager', true, '2026-10-01 00:00:00')"))
            conn.execute(sa.text(
                "INSERT INTO events (agent_id, date, kind, points, note, reviewer_id, "
                "created_at) VALUES ('A004', '2026-10-02', 'complaint', -10, 'late', 1, "
                "'2026-10-03 08:30:00')"))
            conn.execute(sa.text(
                "INSERT INTO period_locks (period, scheme, version, locked_by, locked_at, "
                "snapshot) VALUES ('2026-10', 'aftersale-4crown', 1, 1, "
                "'2026-11-01 09:00:00', '{}')"))
        migrate(engine)
        assert current_revision(engine) == head_revision()  # 0005 and what came after
        with engine.connect() as conn:
            created, updated = conn.execute(sa.text(
                "SELECT created_at, updated_at FROM events")).one()
        assert _as_datetime(updated) == _as_datetime(created) == dt.datetime(2026, 10, 3, 8, 30)
        columns = {c["name"]: c for c in sa.inspect(engine).get_columns("events")}
        assert columns["updated_at"]["nullable"] is False
        locks = {c["name"] for c in sa.inspect(engine).get_columns("period_locks")}
        assert {"reopened_at", "reopened_by"} <= locks
        with engine.connect() as conn:  # the existing lock is not reopened
            assert conn.execute(sa.text("SELECT reopened_at FROM period_locks")).scalar() is None
        with engine.begin() as conn:  # a lock's files hang on the lock
            conn.execute(sa.text(
                "INSERT INTO lock_reports (lock_id, fmt, lang, body, created_at) "
                "VALUES (1, 'xlsx', 'en', :body, '2026-11-01 09:00:01')"), {"body": b"PK\x03"})
            assert conn.execute(sa.text("SELECT body FROM lock_reports")).scalar() == b"PK\x03"

        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
        assert current_revision(engine) == "0004"
        assert "lock_reports" not in sa.inspect(engine).get_table_names()
        assert "updated_at" not in {c["name"] for c in sa.inspect(engine).get_columns("events")}
        assert "reopened_at" not in {c["name"]
                                     for c in sa.inspect(engine).get_columns("period_locks")}
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM period_locks")).scalar() == 1
    finally:
        engine.dispose()
