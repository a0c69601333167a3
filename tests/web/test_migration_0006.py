"""Migration 0006: chat QA reviews get their tables (``qa_decisions``, ``qa_rubric``,
``qa_appeals``); what was stored before is kept, and going back to 0005 drops only them."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from cskpi.web.db.engine import (
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    migrate,
)

QA_TABLES = {"qa_decisions", "qa_rubric", "qa_appeals"}


def test_qa_tables_come_and_go_and_keep_the_rest(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate(engine, "0005")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (username, password_hash, role, active, created_at) "
                "VALUES ('mgr', 'x', 'manager', true, '2026-10-01 00:00:00')"))
            conn.execute(sa.text(
                "INSERT INTO grades (agent_id, period, item, grade, reviewer_id, created_at, "
                "updated_at) VALUES ('A004', '2026-10', 'quality', 'B', 1, "
                "'2026-10-03 08:30:00', '2026-10-03 08:30:00')"))
        assert not QA_TABLES & set(sa.inspect(engine).get_table_names())
        migrate(engine)
        assert current_revision(engine) == head_revision()  # 0006 and what came after
        assert QA_TABLES <= set(sa.inspect(engine).get_table_names())
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO qa_decisions (period, rules, session_id, rule, ts, hit_id, "
                "decision, reviewer_id, at) VALUES ('2026-10', 'taobao-basic', 'S1', "
                "'uncivil', '2026-10-03T10:02:00', 'abc', 'dismiss', 1, "
                "'2026-11-01 09:00:00')"))
            conn.execute(sa.text(
                "INSERT INTO qa_rubric (period, session_id, item, points, reviewer_id, at) "
                "VALUES ('2026-10', 'S1', 'pro', 8, 1, '2026-11-01 09:00:00')"))
            conn.execute(sa.text(
                "INSERT INTO qa_appeals (period, hit_id, session_id, rule, ts, agent_id, "
                "text, status, created_at) VALUES ('2026-10', 'abc', 'S1', 'uncivil', "
                "'2026-10-03T10:02:00', 'A001', 'quoted the customer', 'open', "
                "'2026-11-01 09:00:00')"))
            # one decision per hit and period
            try:
                with conn.begin_nested():
                    conn.execute(sa.text(
                        "INSERT INTO qa_decisions (period, rules, session_id, rule, ts, "
                        "hit_id, decision, at) VALUES ('2026-10', 'taobao-basic', 'S1', "
                        "'uncivil', '2026-10-03T10:02:00', 'abc', 'confirm', "
                        "'2026-11-01 09:00:00')"))
                raise AssertionError("a second decision of the same hit was stored")
            except sa.exc.IntegrityError:
                pass

        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005")
        assert current_revision(engine) == "0005"
        assert not QA_TABLES & set(sa.inspect(engine).get_table_names())
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM grades")).scalar() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar() == 1
    finally:
        engine.dispose()
