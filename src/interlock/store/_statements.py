"""Pre-built SQL statements for the hot paths (sensor write, claim, decide, apply).

Building a SQLAlchemy statement costs more than running it on SQLite; building each once,
with bind parameters, keeps the sensor-write → launch-decision path within its latency
budget (see ``benchmarks/``). Bind parameter names start with ``b_`` so they never collide
with column names in ``UPDATE ... SET``.
"""

from __future__ import annotations

import sqlalchemy as sa

from interlock.store import schema as t

__all__ = [
    "APPLY_RUN",
    "CLAIM_LEASE",
    "CLAIM_SELECT",
    "LOAD_READINGS",
    "PENDING_SIGNALS",
    "RELEASE_IF_OWNER",
    "WAKE_DATED",
    "WAKE_UNDATED",
    "claim_select",
]

_r = t.runs.c

LOAD_READINGS = sa.select(t.readings).where(
    t.readings.c.key.in_(sa.bindparam("b_keys", expanding=True)),
    t.readings.c.scope.in_(sa.bindparam("b_scopes", expanding=True)),
    t.readings.c.partition.in_(sa.bindparam("b_partitions", expanding=True)),
)

CLAIM_SELECT = (
    sa.select(t.runs)
    .where(
        _r.next_check_at <= sa.bindparam("b_now"),
        sa.or_(_r.lease_until.is_(None), _r.lease_until < sa.bindparam("b_now")),
    )
    .order_by(_r.next_check_at)
    .limit(sa.bindparam("b_limit"))
)


def claim_select(*, skip_locked: bool) -> sa.Select[tuple[object, ...]]:
    """The claim query; PostgreSQL locks the rows and skips rows other controllers hold."""
    return CLAIM_SELECT.with_for_update(skip_locked=True) if skip_locked else CLAIM_SELECT


_PK = (_r.pipeline_id == sa.bindparam("b_pipeline"), _r.partition == sa.bindparam("b_partition"))

CLAIM_LEASE = (
    t.runs.update()
    .where(*_PK)
    .values(lease_owner=sa.bindparam("b_owner"), lease_until=sa.bindparam("b_until"))
)

RELEASE_IF_OWNER = (
    t.runs.update()
    .where(*_PK, _r.lease_owner == sa.bindparam("b_owner"))
    .values(lease_owner=None, lease_until=None)
)

APPLY_RUN = (
    t.runs.update()
    .where(*_PK, _r.version == sa.bindparam("b_version"))
    .where(sa.or_(_r.lease_owner.is_(None), _r.lease_owner == sa.bindparam("b_owner")))
    .values(
        state=sa.bindparam("b_state"),
        next_check_at=sa.bindparam("b_next_check_at"),
        watch_until=sa.bindparam("b_watch_until"),
        attempt=sa.bindparam("b_attempt"),
        version=sa.bindparam("b_new_version"),
        updated_at=sa.bindparam("b_updated_at"),
        body=sa.bindparam("b_body", type_=sa.JSON),
        has_signals=False,
        explanation=sa.bindparam("b_explanation", type_=sa.JSON),
        lease_owner=sa.bindparam("b_lease_owner"),
        lease_until=sa.bindparam("b_lease_until"),
    )
)

PENDING_SIGNALS = (
    sa.select(t.signals)
    .where(
        t.signals.c.pipeline_id == sa.bindparam("b_pipeline"),
        t.signals.c.partition == sa.bindparam("b_partition"),
        t.signals.c.processed_at.is_(None),
    )
    .order_by(t.signals.c.id)
)

_WAKE_STATES = ("PENDING", "WAITING", "SUCCEEDED", "SHADOWED")

WAKE_DATED = (
    t.runs.update()
    .where(*_PK, _r.state.in_(_WAKE_STATES))
    .values(next_check_at=sa.bindparam("b_now"), version=_r.version + 1)
)

WAKE_UNDATED = (
    t.runs.update()
    .where(
        _r.pipeline_id.in_(sa.bindparam("b_pipelines", expanding=True)),
        sa.or_(
            _r.state.in_(("PENDING", "WAITING")),
            sa.and_(
                _r.state.in_(("SUCCEEDED", "SHADOWED")), _r.watch_until > sa.bindparam("b_now")
            ),
        ),
    )
    .values(next_check_at=sa.bindparam("b_now"), version=_r.version + 1)
)
