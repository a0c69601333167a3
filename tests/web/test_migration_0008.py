"""Migration 0008: QA rules edited in the app get their tables (``qa_rules_versions``,
``qa_rules_choices``); what was stored before is kept, and going back to 0007 drops
only them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from cskpi.web.db.engine import alembic_config, current_revision, make_engine, migrate

RULES_TABLES = {"qa_rules_versions", "qa_rules_choices"}


def _refused(conn: sa.Connection, sql: str) -> None:
    with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
        conn.execute(sa.text(sql))


def test_qa_rules_tables_come_and_go_and_keep_the_rest(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate(engine, "0007")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (username, password_hash, role, active, created_at) "
                "VALUES ('mgr', 'x', 'manager', true, '2026-10-01 00:00:00')"))
            conn.execute(sa.text(
                "INSERT INTO qa_decisions (period, rules, session_id, rule, ts, hit_id, "
                "decision, reviewer_id, at) VALUES ('2026-10', 'taobao-basic', 'S1', "
                "'uncivil', '2026-10-03T10:02:00', 'abc', 'dismiss', 1, "
                "'2026-11-01 09:00:00')"))
        assert not RULES_TABLES & set(sa.inspect(engine).get_table_names())
        migrate(engine, "0008")
        assert current_revision(engine) == "0008"
        assert RULES_TABLES <= set(sa.inspect(engine).get_table_names())
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO qa_rules_versions (name, version, text, author_id, created_at) "
                "VALUES ('shop-basic', 1, 'qa: shop-basic', 1, '2026-11-01 09:00:00')"))
            conn.execute(sa.text(
                "INSERT INTO qa_rules_choices (period, name, version, chosen_by, chosen_at) "
                "VALUES ('2026-10', 'shop-basic', 1, 1, '2026-11-01 09:05:00')"))
            conn.execute(sa.text(  # a preset has no version
                "INSERT INTO qa_rules_choices (period, name, chosen_at) "
                "VALUES ('2026-09', 'douyin-basic', '2026-11-01 09:06:00')"))
            # one text per name and version, one choice per month
            _refused(conn, "INSERT INTO qa_rules_versions (name, version, text, created_at) "
                           "VALUES ('shop-basic', 1, 'qa: other', '2026-11-02 09:00:00')")
            _refused(conn, "INSERT INTO qa_rules_choices (period, name, chosen_at) "
                           "VALUES ('2026-10', 'taobao-basic', '2026-11-02 09:00:00')")

        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0007")
        assert current_revision(engine) == "0007"
        assert not RULES_TABLES & set(sa.inspect(engine).get_table_names())
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM qa_decisions")).scalar() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar() == 1
    finally:
        engine.dispose()
