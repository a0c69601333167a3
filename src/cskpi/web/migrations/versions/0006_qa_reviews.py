"""Chat QA reviews (质检): reviewers' decisions on hits (``qa_decisions``: confirm or
dismiss), manual rubric points per session (``qa_rubric``) and agents' appeals of hits
(``qa_appeals``, decided upheld or rejected by a manager).

Revision ID: 0006
Revises: 0005
Create Date: 2027-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _user(name: str, fk: str | None = None) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL", name=fk),
                     nullable=True)


def upgrade() -> None:
    op.create_table(
        "qa_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("period", sa.String(7), nullable=False, index=True),
        sa.Column("rules", sa.String(255), nullable=False),
        sa.Column("session_id", sa.String(128), nullable=False, index=True),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("hit_id", sa.String(32), nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        _user("reviewer_id"),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.UniqueConstraint("period", "hit_id", name="uq_qa_decisions_period_hit"),
    )
    op.create_table(
        "qa_rubric",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("period", sa.String(7), nullable=False, index=True),
        sa.Column("session_id", sa.String(128), nullable=False, index=True),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("points", sa.Numeric(10, 2), nullable=False),
        _user("reviewer_id"),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("period", "session_id", "item",
                            name="uq_qa_rubric_period_session_item"),
    )
    op.create_table(
        "qa_appeals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("period", sa.String(7), nullable=False, index=True),
        sa.Column("hit_id", sa.String(32), nullable=False, index=True),
        sa.Column("session_id", sa.String(128), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False, index=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("answer", sa.Text, nullable=True),
        _user("created_by"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        _user("decided_by", "fk_qa_appeals_decided_by"),
        sa.Column("at", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("qa_appeals")
    op.drop_table("qa_rubric")
    op.drop_table("qa_decisions")
