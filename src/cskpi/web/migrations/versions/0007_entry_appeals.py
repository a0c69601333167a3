"""Agents' appeals (申诉) of their grades and entered events (``entry_appeals``), decided
upheld (the entry is changed as decided) or rejected by a manager, with an answer.

Revision ID: 0007
Revises: 0006
Create Date: 2027-02-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _user(name: str, fk: str | None = None) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL", name=fk),
                     nullable=True)


def upgrade() -> None:
    op.create_table(
        "entry_appeals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False, index=True),
        sa.Column("period", sa.String(7), nullable=False, index=True),
        sa.Column("item", sa.String(64), nullable=True),
        sa.Column("event_id", sa.Integer, nullable=True, index=True),
        sa.Column("entry", sa.JSON, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(8), nullable=False, index=True),
        sa.Column("answer", sa.Text, nullable=True),
        sa.Column("remedy", sa.JSON, nullable=True),
        _user("created_by"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        _user("decided_by", "fk_entry_appeals_decided_by"),
        sa.Column("decided_at", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("entry_appeals")
