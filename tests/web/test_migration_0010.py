"""Migration 0010: appeals may name an imported event or complaint (``imported_table``,
``imported_key``) and upholding one keeps its correction (``imported_corrections``).  The
appeals stored before are kept as they were; going back to 0009 drops the corrections
and the appeals of imported rows (which name nothing without their columns) only."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic import command

from cskpi.web.db.engine import alembic_config, current_revision, make_engine, migrate

APPEAL = ("INSERT INTO entry_appeals (kind, agent_id, period, item, entry, text, status, "
          "created_by, created_at{extra}) VALUES ('{kind}', 'A004', '2026-10', {item}, "
          "'{{}}', 'not fair', 'open', 1, '2026-11-02 09:00:00'{values})")


def test_imported_appeals_and_corrections_come_and_go(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate(engine, "0009")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (username, password_hash, role, agent_id, active, "
                "created_at) VALUES ('a004', 'x', 'agent', 'A004', true, "
                "'2026-10-01 00:00:00')"))
            conn.execute(sa.text(APPEAL.format(kind="grade", item="'quality'", extra="",
                                               values="")))
        migrate(engine, "0010")
        assert current_revision(engine) == "0010"
        with engine.begin() as conn:
            old = conn.execute(sa.text(
                "SELECT kind, item, imported_table, imported_key FROM entry_appeals")).one()
            assert tuple(old) == ("grade", "quality", None, None)
            conn.execute(sa.text(APPEAL.format(
                kind="imported", item="NULL", extra=", imported_table, imported_key",
                values=", 'complaints', 'P0100'")))
            conn.execute(sa.text(
                "INSERT INTO imported_corrections (imported_table, imported_key, agent_id, "
                "period, date, kind, points, cancelled, appeal_id, reviewer_id, created_at, "
                "updated_at) VALUES ('complaints', 'P0100', 'A004', '2026-10', '2026-10-02', "
                "'complaint', NULL, true, 2, 1, '2026-11-03 09:00:00', "
                "'2026-11-03 09:00:00')"))
            # one correction per imported row
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                conn.execute(sa.text(
                    "INSERT INTO imported_corrections (imported_table, imported_key, "
                    "agent_id, period, date, kind, cancelled, created_at, updated_at) "
                    "VALUES ('complaints', 'P0100', 'A004', '2026-10', '2026-10-02', "
                    "'complaint', false, '2026-11-03 09:00:00', '2026-11-03 09:00:00')"))

        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0009")
        assert current_revision(engine) == "0009"
        assert "imported_corrections" not in sa.inspect(engine).get_table_names()
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT kind, item, entry FROM entry_appeals")).all()
        assert [(r.kind, r.item, r.entry if isinstance(r.entry, dict) else json.loads(r.entry))
                for r in rows] == [("grade", "quality", {})]
    finally:
        engine.dispose()
