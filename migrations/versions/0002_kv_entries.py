"""Shared key-value store with expiry (legacy MCP sessions, client answers, cancels).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kv_entries",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_kv_entries_expires_at", "kv_entries", ["expires_at"])


def downgrade():
    op.drop_index("ix_kv_entries_expires_at", table_name="kv_entries")
    op.drop_table("kv_entries")
