"""One kept provider token per person and provider (a person may sign in with two).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = "user_id, provider, encrypted, expires_at, updated_at"


def _table(name: str, unique: tuple[str, ...], constraint: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("encrypted", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(*unique, name=constraint),
    )


def _replace(unique: tuple[str, ...], constraint: str) -> None:
    """Copy the rows into a table with the new unique key (ids are left to the new table's sequence)."""
    _table("upstream_tokens_new", unique, constraint)
    op.execute(f"INSERT INTO upstream_tokens_new ({COLUMNS}) SELECT {COLUMNS} FROM upstream_tokens")
    op.drop_table("upstream_tokens")
    op.rename_table("upstream_tokens_new", "upstream_tokens")


def upgrade():
    _replace(("user_id", "provider"), "uq_upstream_tokens_user_provider")


def downgrade():
    # Keep each person's latest row: the old key allowed one.
    op.execute("DELETE FROM upstream_tokens WHERE id NOT IN (SELECT MAX(id) FROM upstream_tokens GROUP BY user_id)")
    _replace(("user_id",), "uq_upstream_tokens_user")
