"""Events get the time of their last change (an entry a lock has seen is kept as it was
unless the month is reopened), a locked version may be reopened for corrections
(``reopened_at``, ``reopened_by``), and each locked version keeps its report files (the
approved Excel and PDF, in each language), so the approved version stays downloadable
after the figures change.

Events stored before it count as changed when they were created.

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("updated_at", sa.DateTime, nullable=True))
    op.execute("UPDATE events SET updated_at = created_at")
    with op.batch_alter_table("events") as batch:
        batch.alter_column("updated_at", existing_type=sa.DateTime, nullable=False)
    with op.batch_alter_table("period_locks") as batch:
        batch.add_column(sa.Column("reopened_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("reopened_by", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_period_locks_reopened_by", "users", ["reopened_by"],
                                 ["id"], ondelete="SET NULL")
    op.create_table(
        "lock_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("lock_id", sa.Integer,
                  sa.ForeignKey("period_locks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("fmt", sa.String(8), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("lock_id", "fmt", "lang", name="uq_lock_reports_lock_fmt_lang"),
    )


def downgrade() -> None:
    op.drop_table("lock_reports")
    with op.batch_alter_table("period_locks") as batch:
        batch.drop_constraint("fk_period_locks_reopened_by", type_="foreignkey")
        batch.drop_column("reopened_by")
        batch.drop_column("reopened_at")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("updated_at")
