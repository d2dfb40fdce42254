"""Connection events: drop the indexes on client_id and on user_id alone.

Each column leads an index that 0006 made too, (client_id, step, id) and (user_id, step, id),
which serves every lookup by client or by person, and a person's removal (ON DELETE CASCADE).
Every tool call writes a row, and each index is written with it: the two cost the audit writer
about a quarter of its time per row.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_connection_events_client_id", table_name="connection_events")
    op.drop_index("ix_connection_events_user_id", table_name="connection_events")


def downgrade():
    op.create_index("ix_connection_events_client_id", "connection_events", ["client_id"])
    op.create_index("ix_connection_events_user_id", "connection_events", ["user_id"])
