"""Clients keep their registration once granted; removals are remembered.

`oauth_clients.granted_at`: when the client first completed a grant (housekeeping never
deletes such a registration). `oauth_clients.removed_at`: an operator removed the client.
`oauth_consents.removed_at`: a person removed the client from their connected apps.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("oauth_clients") as table:
        table.add_column(sa.Column("granted_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("oauth_consents") as table:
        table.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    # A client that holds tokens has completed a grant.
    op.execute(
        "UPDATE oauth_clients SET granted_at = COALESCE(last_used_at, created_at) "
        "WHERE client_id IN (SELECT client_id FROM oauth_tokens)"
    )


def downgrade():
    with op.batch_alter_table("oauth_consents") as table:
        table.drop_column("removed_at")
    with op.batch_alter_table("oauth_clients") as table:
        table.drop_column("removed_at")
        table.drop_column("granted_at")
