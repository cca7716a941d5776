"""dependency index

``dependsOn`` (issue 10): the transaction that brings an upstream run to rest wakes the
downstream runs it may unblock, so the store keeps, per dependency, what that wake needs
without parsing YAML: ``dependency_index``. ``pipelines.timezone`` lets a downstream applied
later learn its upstream's schedule zone (``{all: hour}`` maps between the two), and
``ix_attempts_finished`` finds a pipeline's last successful attempts (its expected duration,
for the SLA-at-risk prediction) without scanning its whole job log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "dependency_index",
        sa.Column("upstream_id", sa.String(length=200), nullable=False),
        sa.Column("downstream_id", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("offset_seconds", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("upstream_timezone", sa.String(length=64), nullable=False),
        sa.Column("opens_runs", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("upstream_id", "downstream_id", "label"),
    )
    with op.batch_alter_table("dependency_index") as batch:
        batch.create_index("ix_dependency_index_downstream", ["downstream_id"], unique=False)
    with op.batch_alter_table("pipelines") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
    with op.batch_alter_table("attempts") as batch:
        batch.create_index(
            "ix_attempts_finished", ["pipeline_id", "state", "finished_at"], unique=False
        )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("attempts") as batch:
        batch.drop_index("ix_attempts_finished")
    with op.batch_alter_table("pipelines") as batch:
        batch.drop_column("timezone")
    with op.batch_alter_table("dependency_index") as batch:
        batch.drop_index("ix_dependency_index_downstream")
    op.drop_table("dependency_index")
