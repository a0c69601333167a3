"""Alembic migrations: upgrade head on an empty database (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cskpi.web.db.engine import (
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    migrate,
)
from cskpi.web.db.models import Base

TABLES = {"users", "login_sessions", "api_tokens", "login_failures", "audit_log", "grades",
          "events", "period_locks", "scheme_versions", "lost_labels", "lock_reports",
          "qa_decisions", "qa_rubric", "qa_appeals", "entry_appeals", "qa_rules_versions",
          "qa_rules_choices", "imported_corrections", "app_changes", "alembic_version"}
HEAD = "0011"


def test_upgrade_head_on_an_empty_database(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == head_revision() == HEAD
        assert TABLES <= set(sa.inspect(engine).get_table_names())
        migrate(engine)  # a second start changes nothing
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()


def test_migrations_match_the_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_up_again(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate(engine)
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert "users" not in sa.inspect(engine).get_table_names()
        migrate(engine)
        assert "users" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_scheme_versions_down_to_0001_and_up_again(empty_database_url: str) -> None:
    """0002 only adds scheme_versions: going back to 0001 drops it and keeps the rest."""
    engine = make_engine(empty_database_url)
    try:
        migrate(engine, "0001")
        assert "scheme_versions" not in sa.inspect(engine).get_table_names()
        migrate(engine)
        assert "scheme_versions" in sa.inspect(engine).get_table_names()
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO scheme_versions (name, version, text, created_at) "
                                 "VALUES ('presale-standard', 1, 'scheme: x', "
                                 "'2026-11-01 00:00:00')"))
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        tables = set(sa.inspect(engine).get_table_names())
        assert "scheme_versions" not in tables and "period_locks" in tables
        assert current_revision(engine) == "0001"
        migrate(engine)
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()
