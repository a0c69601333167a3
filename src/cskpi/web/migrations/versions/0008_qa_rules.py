"""QA rules files edited in the app (质检方案): their saved versions
(``qa_rules_versions``) and the rules a manager chose for a month's review
(``qa_rules_choices``, one per month).

Revision ID: 0008
Revises: 0007
Create Date: 2027-02-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _user(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"),
                     nullable=True)


def upgrade() -> None:
    op.create_table(
        "qa_rules_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        _user("author_id"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_qa_rules_versions_name_version"),
    )
    op.create_table(
        "qa_rules_choices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("name", sa.String(64), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=True),
        _user("chosen_by"),
        sa.Column("chosen_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("period", name="uq_qa_rules_choices_period"),
    )


def downgrade() -> None:
    op.drop_table("qa_rules_choices")
    op.drop_table("qa_rules_versions")
