"""partition status

Desired state (issue 11): ``complete_index`` names, per sensor key, the pipelines whose
``complete`` condition reads it, and ``partition_status`` keeps, per pipeline and
partition, whether that condition holds on the partition's dated readings and whether it
ever did (a partition done once that stops being done is healed).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from interlock.store.schema import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "complete_index",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("pipeline_id", sa.String(length=200), nullable=False),
        sa.Column("condition", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", "pipeline_id"),
    )
    with op.batch_alter_table("complete_index") as batch:
        batch.create_index("ix_complete_index_pipeline", ["pipeline_id"], unique=False)
    op.create_table(
        "partition_status",
        sa.Column("pipeline_id", sa.String(length=200), nullable=False),
        sa.Column("partition", sa.String(length=200), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("was_complete", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pipeline_id", "partition"),
    )
    with op.batch_alter_table("partition_status") as batch:
        batch.create_index(
            "ix_partition_status_complete", ["pipeline_id", "complete"], unique=False
        )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("partition_status") as batch:
        batch.drop_index("ix_partition_status_complete")
    op.drop_table("partition_status")
    with op.batch_alter_table("complete_index") as batch:
        batch.drop_index("ix_complete_index_pipeline")
    op.drop_table("complete_index")
