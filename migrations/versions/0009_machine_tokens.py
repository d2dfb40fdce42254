"""Machine clients: a token issued through client credentials speaks for its client, not for a person.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("oauth_tokens") as table:
        table.alter_column("user_id", existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM oauth_tokens WHERE user_id IS NULL")
    with op.batch_alter_table("oauth_tokens") as table:
        table.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
