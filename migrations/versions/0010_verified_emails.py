"""People: whether the provider verified their e-mail address at their last sign-in.

An enterprise ID-JAG for a subject seen for the first time is linked to the person holding
its (verified) address only if that person's address was verified too. Known people start
unverified (fail closed) until they sign in again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as table:
        table.add_column(sa.Column("email_verified", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("users") as table:
        table.drop_column("email_verified")
