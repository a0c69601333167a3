"""API tokens expire, remember when they were last used and what they were made from;
failed logins are counted per IP too.

``api_tokens`` gains ``expires_at`` (NULL: never), ``parent_session_id`` (the browser
login the token was made on) and ``parent_token_id`` (a token it was made from); ending
the parent ends the token.  Tokens made before this revision have no known parent and
could have been made by another token (which the app allowed until then), so the live
ones get the new default lifetime, counted from the upgrade, instead of none.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LEGACY_TOKEN_DAYS = 90  # accounts.DEFAULT_TOKEN_DAYS when this revision was written


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime))
        batch.add_column(sa.Column("parent_session_id", sa.Integer))
        batch.add_column(sa.Column("parent_token_id", sa.Integer))
        batch.create_foreign_key("fk_api_tokens_parent_session_id", "login_sessions",
                                 ["parent_session_id"], ["id"], ondelete="SET NULL")
        batch.create_foreign_key("fk_api_tokens_parent_token_id", "api_tokens",
                                 ["parent_token_id"], ["id"], ondelete="SET NULL")
        batch.create_index("ix_api_tokens_parent_session_id", ["parent_session_id"])
        batch.create_index("ix_api_tokens_parent_token_id", ["parent_token_id"])
    op.create_index("ix_login_failures_ip", "login_failures", ["ip"])
    expires = (dt.datetime.now(dt.UTC).replace(tzinfo=None)
               + dt.timedelta(days=LEGACY_TOKEN_DAYS))
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime),
                      sa.column("revoked_at", sa.DateTime))
    op.execute(tokens.update().where(tokens.c.revoked_at.is_(None))
               .values(expires_at=expires))


def downgrade() -> None:
    op.drop_index("ix_login_failures_ip", table_name="login_failures")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_index("ix_api_tokens_parent_token_id")
        batch.drop_index("ix_api_tokens_parent_session_id")
        batch.drop_constraint("fk_api_tokens_parent_token_id", type_="foreignkey")
        batch.drop_constraint("fk_api_tokens_parent_session_id", type_="foreignkey")
        batch.drop_column("parent_token_id")
        batch.drop_column("parent_session_id")
        batch.drop_column("expires_at")
