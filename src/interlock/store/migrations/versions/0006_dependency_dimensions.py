"""dependency dimensions

Dimension mapping in ``dependsOn`` (issue 11): an upstream partition coming to rest wakes
the downstream partitions it may unblock, and with dimensions that needs, per dependency,
the ``{all: campaign}`` dimension (dropped on the way down) and the downstream's declared
dimensions (what the upstream partition is projected onto). Both nullable: a dependency
applied before 0006 keeps its old meaning (dimensions pass through) until the next apply.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("dependency_index") as batch:
        batch.add_column(sa.Column("all_dimension", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("downstream_dimensions", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("dependency_index") as batch:
        batch.drop_column("downstream_dimensions")
        batch.drop_column("all_dimension")
