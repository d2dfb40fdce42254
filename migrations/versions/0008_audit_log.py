"""The audit log: connection events also hold tool calls and the other security events.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("connection_events") as table:
        table.add_column(sa.Column("target", sa.String(length=255), nullable=True))
        table.add_column(sa.Column("duration_ms", sa.Integer(), nullable=True))
        table.add_column(sa.Column("detail", sa.Text(), nullable=True))
    # The doctor reads a client's or a person's steps among their tool calls: by client or person, then step.
    op.create_index("ix_connection_events_client_step", "connection_events", ["client_id", "step", "id"])
    op.create_index("ix_connection_events_user_step", "connection_events", ["user_id", "step", "id"])


def downgrade():
    op.drop_index("ix_connection_events_user_step", "connection_events")
    op.drop_index("ix_connection_events_client_step", "connection_events")
    with op.batch_alter_table("connection_events") as table:
        table.drop_column("detail")
        table.drop_column("duration_ms")
        table.drop_column("target")
