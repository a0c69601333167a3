"""Saved versions of schemes (the Schemes page): name, version, YAML text, author, note.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheme_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_scheme_versions_name_version"),
        sa.CheckConstraint("version >= 1", name="ck_scheme_versions_version"),
    )
    op.create_index("ix_scheme_versions_name", "scheme_versions", ["name"])


def downgrade() -> None:
    op.drop_index("ix_scheme_versions_name", table_name="scheme_versions")
    op.drop_table("scheme_versions")
