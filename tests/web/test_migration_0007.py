"""Migration 0007: agents' appeals of grades and events get their table
(``entry_appeals``); what was stored before is kept, and going back to 0006 drops only it."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import command

from cskpi.web.db.engine import (
    alembic_config,
    current_revision,
    make_engine,
    migrate,
)


def test_the_appeals_table_comes_and_goes_and_keeps_the_rest(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate(engine, "0006")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (username, password_hash, role, agent_id, active, "
                "created_at) VALUES ('a004', 'x', 'agent', 'A004', true, "
                "'2026-10-01 00:00:00')"))
            conn.execute(sa.text(
                "INSERT INTO grades (agent_id, period, item, grade, reviewer_id, created_at, "
                "updated_at) VALUES ('A004', '2026-10', 'quality', 'B', 1, "
                "'2026-10-03 08:30:00', '2026-10-03 08:30:00')"))
            conn.execute(sa.text(
                "INSERT INTO qa_appeals (period, hit_id, session_id, rule, ts, agent_id, "
                "text, status, created_at) VALUES ('2026-10', 'abc', 'S1', 'uncivil', "
                "'2026-10-03T10:02:00', 'A004', 'quoted the customer', 'open', "
                "'2026-11-01 09:00:00')"))
        assert "entry_appeals" not in sa.inspect(engine).get_table_names()
        migrate(engine, "0007")
        assert current_revision(engine) == "0007"
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO entry_appeals (kind, agent_id, period, item, entry, text, "
                "status, created_by, created_at) VALUES ('grade', 'A004', '2026-10', "
                "'quality', :entry, 'I solved every dispute', 'open', 1, "
                "'2026-11-02 09:00:00')"), {"entry": json.dumps({"grade": "B"})})
            row = conn.execute(sa.text(
                "SELECT kind, item, event_id, status, answer, remedy, entry "
                "FROM entry_appeals")).one()
        entry = row.entry if isinstance(row.entry, dict) else json.loads(row.entry)
        assert (row.kind, row.item, row.event_id, row.status, row.answer, row.remedy,
                entry) == ("grade", "quality", None, "open", None, None, {"grade": "B"})

        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006")
        assert current_revision(engine) == "0006"
        tables = set(sa.inspect(engine).get_table_names())
        assert "entry_appeals" not in tables and "qa_appeals" in tables
        with engine.connect() as conn:
            for table in ("grades", "users", "qa_appeals"):
                assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 1
    finally:
        engine.dispose()
