"""Appeals of imported events and complaints: ``entry_appeals`` names the imported row
(``imported_table``, ``imported_key``), and ``imported_corrections`` keeps what upholding
one changed (the row no longer counts, or counts with other points).

Revision ID: 0010
Revises: 0009
Create Date: 2027-02-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("entry_appeals", sa.Column("imported_table", sa.String(16), nullable=True))
    op.add_column("entry_appeals", sa.Column("imported_key", sa.String(64), nullable=True))
    op.create_index("ix_entry_appeals_imported_key", "entry_appeals", ["imported_key"])
    op.create_table(
        "imported_corrections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("imported_table", sa.String(16), nullable=False),
        sa.Column("imported_key", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False, index=True),
        sa.Column("period", sa.String(7), nullable=False, index=True),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("points", sa.Numeric(10, 2), nullable=True),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("appeal_id", sa.Integer,
                  sa.ForeignKey("entry_appeals.id", ondelete="SET NULL",
                                name="fk_imported_corrections_appeal_id"), nullable=True),
        sa.Column("reviewer_id", sa.Integer,
                  sa.ForeignKey("users.id", ondelete="SET NULL",
                                name="fk_imported_corrections_reviewer_id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("imported_table", "imported_key",
                            name="uq_imported_corrections_table_key"),
    )


def downgrade() -> None:
    op.drop_table("imported_corrections")
    # appeals of imported rows name nothing without their columns: they go too
    op.execute(sa.text("DELETE FROM entry_appeals WHERE imported_table IS NOT NULL"))
    op.drop_index("ix_entry_appeals_imported_key", "entry_appeals")
    with op.batch_alter_table("entry_appeals") as batch:
        batch.drop_column("imported_key")
        batch.drop_column("imported_table")
