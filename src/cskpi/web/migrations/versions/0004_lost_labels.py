"""Managers' reasons for lost inquiries (the Funnel page): session id, reason, note.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lost_labels",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.String(128), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("labelled_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("session_id", name="uq_lost_labels_session_id"),
    )


def downgrade() -> None:
    op.drop_table("lost_labels")
