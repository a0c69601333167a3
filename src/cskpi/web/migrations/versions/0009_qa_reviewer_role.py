"""A QA reviewer role (质检员): ``users.role`` may be ``qa_reviewer`` (the check
constraint ``ck_users_role`` admits it).

SQLite cannot alter a constraint, and batch mode's way (a new ``users`` table, the old
one dropped) is not safe here: with foreign keys enforced (the app's engine turns them
on, and a migration runs inside a transaction, where they cannot be turned off),
dropping ``users`` deletes every login and API token (ON DELETE CASCADE) and unlinks
every audit entry, grade and lock from its user.  Admitting one more value changes no
stored row, so the table's definition is edited in place, as SQLite documents for such
changes (its "simpler procedure": ``writable_schema``, the schema version raised by one,
an integrity check).  PostgreSQL drops and adds the constraint.

Going back turns QA reviewers into inactive agents without an agent (no access), then
restores the old constraint.

Revision ID: 0009
Revises: 0008
Create Date: 2027-02-16
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD = "role IN ('admin', 'manager', 'agent')"
NEW = "role IN ('admin', 'manager', 'agent', 'qa_reviewer')"


def _sqlite_check(conn: sa.Connection, old: str, new: str) -> None:
    """Replace the users table's role check ``old`` by ``new`` in SQLite's schema."""
    sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").scalar()
    pattern = r"CONSTRAINT ck_users_role CHECK \(\s*" + re.escape(old) + r"\s*\)"
    if sql is None or len(re.findall(pattern, sql)) != 1:
        raise RuntimeError(f"users.role's check constraint is not {old!r}; not changed")
    changed = re.sub(pattern, f"CONSTRAINT ck_users_role CHECK ({new})", sql)
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        conn.execute(sa.text("UPDATE sqlite_master SET sql = :sql "
                             "WHERE type = 'table' AND name = 'users'"), {"sql": changed})
        conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise RuntimeError(f"the app database fails its integrity check: {problems}")


def _check(old: str, new: str) -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        _sqlite_check(conn, old, new)
        return
    op.drop_constraint("ck_users_role", "users", type_="check")
    op.create_check_constraint("ck_users_role", "users", new)


def upgrade() -> None:
    _check(OLD, NEW)


def downgrade() -> None:
    op.execute(sa.text("UPDATE users SET role = 'agent', agent_id = NULL, active = false "
                       "WHERE role = 'qa_reviewer'"))
    _check(NEW, OLD)
