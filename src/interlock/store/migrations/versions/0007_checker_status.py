"""checker status

State checkers (issue 9): ``checker_status`` keeps, per checker (``pipeline/key`` or
``shared/key``), when it last ran, when it last succeeded, how long it took, its last error
and the length of its failure streak, so ``interlock sensors`` and ``explain`` in another
process see what the controller's checker runner saw.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from interlock.store.schema import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "checker_status",
        sa.Column("label", sa.String(length=500), nullable=False),
        sa.Column("last_run_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_ok_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("label"),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_table("checker_status")
