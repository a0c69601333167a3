"""Migration 0003: API tokens get an expiry, a parent and failed logins an IP index.

Tokens made before it could have been made by another token (the app allowed that), so
the live ones get the default lifetime from the upgrade; revoked ones are left as they
are.  Going back to 0002 keeps every token row.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command

from cskpi.web.db.engine import alembic_config, current_revision, make_engine, migrate


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_live_tokens_of_0002_expire_90_days_after_the_upgrade(
        empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate(engine, "0002")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (username, password_hash, role, active, created_at) "
                "VALUES ('u', 'x', 'manager', true, '2026-01-01 00:00:00')"))
            for name, revoked in (("live", None), ("gone", "2026-02-01 00:00:00")):
                conn.execute(sa.text(
                    "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, "
                    "revoked_at) VALUES (1, :name, :hash, 'cskpi_x', '2026-01-01 00:00:00', "
                    ":revoked)"), {"name": name, "hash": name * 8, "revoked": revoked})
        before = _now()
        migrate(engine)
        with engine.connect() as conn:
            rows = dict(conn.execute(sa.text(
                "SELECT name, expires_at FROM api_tokens")).all())
        live = rows["live"]
        if isinstance(live, str):  # SQLite hands back text
            live = dt.datetime.fromisoformat(live)
        assert before + dt.timedelta(days=90) <= live <= _now() + dt.timedelta(days=90)
        assert rows["gone"] is None
        columns = {c["name"] for c in sa.inspect(engine).get_columns("api_tokens")}
        assert {"expires_at", "parent_session_id", "parent_token_id"} <= columns
        indexes = {i["name"] for i in sa.inspect(engine).get_indexes("login_failures")}
        assert "ix_login_failures_ip" in indexes

        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0002")
        assert current_revision(engine) == "0002"
        columns = {c["name"] for c in sa.inspect(engine).get_columns("api_tokens")}
        assert "expires_at" not in columns and "parent_token_id" not in columns
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar() == 2
    finally:
        engine.dispose()
