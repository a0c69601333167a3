"""Migration 0009: ``users.role`` admits ``qa_reviewer`` (质检员).  On SQLite the check
constraint is edited in place: every login, API token and audit entry of the users is
kept (a rebuilt ``users`` table would have deleted them with foreign keys enforced).
Going back to 0008 makes QA reviewers inactive agents without an agent, and the old
check refuses the role again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from cskpi.web.db.engine import alembic_config, current_revision, make_engine, migrate

USER = ("INSERT INTO users (username, password_hash, role, active, created_at) "
        "VALUES ('{name}', 'x', '{role}', true, '2026-10-01 00:00:00')")


def _counts(conn: sa.Connection) -> tuple[int, int, int]:
    """(logins, API tokens, audit entries with their user)."""
    return tuple(conn.execute(sa.text(sql)).scalar() for sql in (  # type: ignore[return-value]
        "SELECT count(*) FROM login_sessions", "SELECT count(*) FROM api_tokens",
        "SELECT count(*) FROM audit_log WHERE user_id = 1"))


def _refused(conn: sa.Connection, sql: str) -> None:
    with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
        conn.execute(sa.text(sql))


def test_the_qa_reviewer_role_comes_and_goes_and_keeps_the_rest(
        empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate(engine, "0008")
        with engine.begin() as conn:
            conn.execute(sa.text(USER.format(name="mgr", role="manager")))
            conn.execute(sa.text(
                "INSERT INTO login_sessions (token_hash, user_id, csrf_token, created_at, "
                "expires_at) VALUES ('h1', 1, 'c', '2026-10-01 00:00:00', "
                "'2026-10-02 00:00:00')"))
            conn.execute(sa.text(
                "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) "
                "VALUES (1, 't', 'h2', 'p', '2026-10-01 00:00:00')"))
            conn.execute(sa.text(
                "INSERT INTO audit_log (at, user_id, username, action, target) "
                "VALUES ('2026-10-01 00:00:00', 1, 'mgr', 'user.create', 'user:mgr')"))
            _refused(conn, USER.format(name="qa1", role="qa_reviewer"))
        migrate(engine, "0009")
        assert current_revision(engine) == "0009"
        with engine.begin() as conn:
            assert _counts(conn) == (1, 1, 1)
            conn.execute(sa.text(USER.format(name="qa1", role="qa_reviewer")))
            _refused(conn, USER.format(name="boss", role="owner"))

        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008")
        assert current_revision(engine) == "0008"
        with engine.begin() as conn:
            assert _counts(conn) == (1, 1, 1)
            rows = conn.execute(sa.text(
                "SELECT username, role, active, agent_id FROM users ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [("mgr", "manager", True, None),
                                                ("qa1", "agent", False, None)]
            _refused(conn, USER.format(name="qa2", role="qa_reviewer"))
    finally:
        engine.dispose()
