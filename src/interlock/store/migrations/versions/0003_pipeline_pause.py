"""pipeline pause

``interlock pause`` keeps its flag in the ``pipelines`` row, beside the config and apart
from it: ``paused_at`` (NULL when running), who paused it and why, and ``pause_serial``,
bumped by every pause and resume so the config token sees the change.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import interlock.store.schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("pipelines") as batch:
        batch.add_column(
            sa.Column("paused_at", interlock.store.schema.UtcDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("paused_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("paused_by", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("pause_serial", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("pipelines") as batch:
        batch.drop_column("pause_serial")
        batch.drop_column("paused_by")
        batch.drop_column("paused_reason")
        batch.drop_column("paused_at")
