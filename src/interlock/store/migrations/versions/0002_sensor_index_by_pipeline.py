"""sensor index by pipeline

The controller loads a run's readings by the keys its pipeline reads (``sensor_index``
filtered by pipeline); the primary key starts with the sensor key, so that needs its own
index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_index(
        "ix_sensor_index_pipeline", "sensor_index", ["pipeline_id", "key"], unique=False
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_sensor_index_pipeline", table_name="sensor_index")
