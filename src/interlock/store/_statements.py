"""Pre-built SQL statements for the hot paths (sensor write, claim, decide, apply).

Building a SQLAlchemy statement costs more than running it on SQLite; building each once,
with bind parameters, keeps the sensor-write → launch-decision path within its latency
budget (see ``benchmarks/``). Writes are :class:`~interlock.store._prepared.Prepared`
(compiled once per dialect, no expanding parameters); reads return typed rows through
``Connection.execute``. Bind parameter names start with ``b_`` so they never collide with
column names in ``UPDATE ... SET``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from interlock.model.dependencies import WILDCARD
from interlock.store import schema as t
from interlock.store._prepared import Prepared

__all__ = [
    "APPLY_RUN",
    "ATTEMPT_FINISHED",
    "ATTEMPT_RUNNING",
    "DEFER",
    "INSERT_ATTEMPT",
    "INSERT_EVENTS",
    "INSERT_HISTORY",
    "INSERT_SIGNAL",
    "LAUNCH_ANSWERED",
    "LOAD_READINGS",
    "MARK_SIGNAL_PROCESSED",
    "PENDING_SIGNALS",
    "RECORD_LAUNCH",
    "RELEASE_ALL",
    "RELEASE_IF_OWNER",
    "RENEW_LEASE",
    "RUN_COLUMNS",
    "SIGNAL_WAITING",
    "WAKE_ATTEMPT",
    "WAKE_DATED",
    "WAKE_DEPENDENT",
    "WAKE_DEPENDENT_LATEST",
    "WAKE_DEPENDENT_MATCHING",
    "WAKE_UNDATED",
    "claim_statement",
    "insert_runs",
    "like_pattern",
    "upsert_latest_reading",
]

_r = t.runs.c

_PK = (_r.pipeline_id == sa.bindparam("b_pipeline"), _r.partition == sa.bindparam("b_partition"))

LOAD_READINGS = sa.select(t.readings).where(
    t.readings.c.key.in_(
        sa.select(t.sensor_index.c.key).where(
            t.sensor_index.c.pipeline_id == sa.bindparam("b_pipeline")
        )
    ),
    t.readings.c.scope.in_([sa.bindparam("b_pipeline"), ""]),
    t.readings.c.partition.in_([sa.bindparam("b_partition"), ""]),
)
"""The readings a run may see: its pipeline's own and shared ones, dated and undated, of
every key the pipeline reads (``sensor_index``). No expanding parameters, so the SQL is
rendered once."""


def claim_statement(*, skip_locked: bool) -> sa.Update:
    """Lease due runs and return them, in one statement.

    PostgreSQL locks the candidate rows and skips rows other controllers hold; SQLite has
    one writer at a time anyway. The returned rows come in no particular order.
    """
    due = (
        sa.select(_r.pipeline_id, _r.partition)
        .where(
            _r.next_check_at <= sa.bindparam("b_now"),
            sa.or_(_r.lease_until.is_(None), _r.lease_until < sa.bindparam("b_now")),
        )
        .order_by(_r.next_check_at)
        .limit(sa.bindparam("b_limit"))
    )
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    return (
        t.runs.update()
        .where(sa.tuple_(_r.pipeline_id, _r.partition).in_(due))
        .values(lease_owner=sa.bindparam("b_owner"), lease_until=sa.bindparam("b_until"))
        .returning(
            _r.pipeline_id, _r.partition, _r.version, _r.next_check_at, _r.has_signals, _r.body
        )
    )


def _one_of(column: sa.ColumnElement[str], values: tuple[str, ...]) -> sa.ColumnElement[bool]:
    """``column IN (?, ?, …)`` with one bound literal per value (not an expanding list)."""
    return column.in_([sa.literal(v) for v in values])


RELEASE_IF_OWNER = Prepared(
    t.runs.update()
    .where(*_PK, _r.lease_owner == sa.bindparam("b_owner"))
    .values(lease_owner=None, lease_until=None)
)

DEFER = Prepared(
    t.runs.update()
    .where(*_PK, _r.lease_owner == sa.bindparam("b_owner"))
    .values(lease_owner=None, lease_until=None, next_check_at=sa.bindparam("b_until"))
)
"""Our lease dropped and the run due again later: a question to the backend must wait."""

RELEASE_ALL = (
    t.runs.update()
    .where(_r.lease_owner.is_not(None))
    .values(lease_owner=None, lease_until=None, next_check_at=sa.bindparam("b_now"))
)
"""Every lease, at the start of the only controller of a SQLite database; the runs it held
(being decided, or LAUNCHING) are due at once."""

RENEW_LEASE = Prepared(
    t.runs.update()
    .where(*_PK, _r.lease_owner == sa.bindparam("b_owner"))
    .values(lease_until=sa.bindparam("b_until"), next_check_at=sa.bindparam("b_until"))
)
"""A launch in flight is still ours: its run is next due when the renewed lease lapses."""

APPLY_RUN = Prepared(
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

SIGNAL_WAITING = Prepared(
    t.runs.update()
    .where(*_PK)
    .values(next_check_at=sa.bindparam("b_now"), has_signals=True, version=_r.version + 1)
)
"""A signal was queued: the run is due now, and its version moves (stale decisions drop)."""

LAUNCH_ANSWERED = Prepared(
    t.runs.update()
    .where(*_PK)
    .values(
        next_check_at=sa.bindparam("b_now"),
        has_signals=True,
        version=_r.version + 1,
        lease_owner=None,
        lease_until=None,
    )
)
"""The backend answered a launch: its signal is queued (as :data:`SIGNAL_WAITING`) and the
lease that covered the call is dropped, in one statement since a fan-out records thousands."""

MARK_SIGNAL_PROCESSED = Prepared(
    t.signals.update()
    .where(t.signals.c.id == sa.bindparam("b_id"))
    .values(processed_at=sa.bindparam("b_now"))
)

_a = t.attempts.c

RECORD_LAUNCH = Prepared(
    t.attempts.update()
    .where(t.attempts.c.attempt_id == sa.bindparam("b_attempt_id"))
    .values(
        # A decision may have ended the attempt while the backend call was out (a cancel,
        # a fast job's report): the launch's answer never reopens it.
        state=sa.case((_a.state == "launching", sa.bindparam("b_state")), else_=_a.state),
        handle=sa.bindparam("b_handle", type_=sa.JSON),
        launched_at=sa.bindparam("b_now"),
        message=sa.bindparam("b_message"),
    )
)
"""After the backend call: the handle (or the failure message) and when."""

ATTEMPT_RUNNING = Prepared(
    t.attempts.update()
    .where(t.attempts.c.attempt_id == sa.bindparam("b_attempt_id"))
    .values(
        state="running",
        handle=sa.bindparam("b_handle", type_=t.attempts.c.handle.type),
        launched_at=sa.bindparam("b_at"),
    )
)
"""A handle learnt late (recovery found the launch): the attempt is running."""

ATTEMPT_FINISHED = Prepared(
    t.attempts.update()
    .where(t.attempts.c.attempt_id == sa.bindparam("b_attempt_id"))
    .values(
        # "launch-failed" says more than "failed" about an attempt whose launch failed.
        state=sa.case(
            (
                sa.and_(_a.state == "launch-failed", sa.bindparam("b_state") == "failed"),
                _a.state,
            ),
            else_=sa.bindparam("b_state"),
        ),
        finished_at=sa.bindparam("b_at"),
        message=sa.bindparam("b_message"),
        output=sa.bindparam("b_output", type_=t.attempts.c.output.type),
    )
)
"""An attempt ended (a poll, a report, a cancel): its final state, when, and why."""

PENDING_SIGNALS = (
    sa.select(t.signals)
    .where(
        t.signals.c.pipeline_id == sa.bindparam("b_pipeline"),
        t.signals.c.partition == sa.bindparam("b_partition"),
        t.signals.c.processed_at.is_(None),
    )
    .order_by(t.signals.c.id)
)

WAKE_ATTEMPT = Prepared(
    t.runs.update()
    .where(
        *_PK,
        _one_of(_r.state, ("LAUNCHING", "RUNNING")),
        _r.attempt == sa.bindparam("b_attempt"),
    )
    .values(next_check_at=sa.bindparam("b_now"), version=_r.version + 1)
)
"""A job said it ended: its run is due now if that attempt is still in flight. The version
moves, so a decision taken from an older poll is dropped and made again."""

WAKE_DATED = Prepared(
    t.runs.update()
    .where(
        *_PK,
        _one_of(_r.state, ("PENDING", "WAITING", "SUCCEEDED", "SHADOWED", "FAILED", "EXHAUSTED")),
    )
    .values(next_check_at=sa.bindparam("b_now"), version=_r.version + 1)
)
"""A reading for a run's own partition: decide it now. A failed or exhausted run too: for a
pipeline with ``partitions`` new data is a reason to try a failed partition again
(``inputs-changed``); for the others the decision changes nothing."""

WAKE_UNDATED = Prepared(
    t.runs.update()
    .where(
        _r.pipeline_id == sa.bindparam("b_pipeline"),
        sa.or_(
            _r.state == sa.literal("WAITING"),
            sa.and_(
                _one_of(_r.state, ("SUCCEEDED", "SHADOWED")),
                _r.watch_until > sa.bindparam("b_now"),
            ),
        ),
    )
    .values(next_check_at=sa.bindparam("b_now"), version=_r.version + 1)
)
"""An undated reading wakes every open (WAITING) run of the pipeline, and succeeded runs it
still watches (late data, drift); run once per pipeline (``executemany``).

PENDING runs are left asleep: before its window opens a run only evaluates its trigger, and
the one PENDING run an undated trigger reading can open (today's) gets a dated wake from
:func:`~interlock.store._routing.plan_wakes`. Waking future runs on every reading is what
once let planning run ahead under a steady sensor stream."""

WAKE_DEPENDENT = Prepared(
    t.runs.update()
    .where(
        *_PK,
        _one_of(_r.state, ("PENDING", "WAITING", "EXHAUSTED", "SUCCEEDED", "SHADOWED")),
    )
    .values(next_check_at=sa.bindparam("b_now"), version=_r.version + 1)
)
"""An upstream run of a partition this run maps to came to rest: decide it now.

Unlike a reading, an upstream's final state also wakes an EXHAUSTED run, so its explanation
shows the upstream's new state (the decision core never relaunches an exhausted run for it).
SUCCEEDED runs are woken for cascading reruns. Run once per
downstream run (``executemany``); the version moves, so a decision taken before it drops."""

WAKE_DEPENDENT_MATCHING = Prepared(
    t.runs.update()
    .where(
        _r.pipeline_id == sa.bindparam("b_pipeline"),
        _r.partition.like(sa.bindparam("b_pattern"), escape="\\"),
        _one_of(_r.state, ("PENDING", "WAITING", "EXHAUSTED", "SUCCEEDED", "SHADOWED")),
    )
    .values(next_check_at=sa.bindparam("b_now"), version=_r.version + 1)
)
""":data:`WAKE_DEPENDENT` for every partition a pattern matches (``b_pattern`` from
:func:`like_pattern`): a dimensionless upstream day wakes each campaign of that day."""


def like_pattern(pattern: str) -> str:
    """A wake pattern (``2026-11-21|campaign=*``) as a LIKE pattern, the rest escaped."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace(f"={WILDCARD}", "=%")


WAKE_DEPENDENT_LATEST = Prepared(
    t.runs.update()
    .where(
        _r.pipeline_id == sa.bindparam("b_pipeline"),
        sa.or_(
            _one_of(_r.state, ("PENDING", "WAITING")),
            sa.and_(
                _one_of(_r.state, ("SUCCEEDED", "SHADOWED")),
                _r.watch_until > sa.bindparam("b_now"),
            ),
        ),
    )
    .values(next_check_at=sa.bindparam("b_now"), version=_r.version + 1)
)
"""A ``latest`` upstream came to rest: every open run of the downstream may be waiting for
it, and succeeded runs it still watches may rerun. Run once per downstream pipeline."""

INSERT_EVENTS = Prepared(
    t.events.insert(), ["type", "pipeline_id", "partition", "at", "message", "detail"]
)

INSERT_ATTEMPT = Prepared(
    t.attempts.insert(),
    [
        "attempt_id",
        "pipeline_id",
        "partition",
        "attempt",
        "reason",
        "state",
        "backend",
        "inputs",
        "decided_at",
    ],
)

INSERT_SIGNAL = Prepared(
    t.signals.insert(), ["pipeline_id", "partition", "kind", "payload", "created_at"]
)

INSERT_HISTORY = Prepared(
    t.reading_history.insert(), ["scope", "key", "partition", "data", "received_at"]
)


RUN_COLUMNS = (
    "pipeline_id",
    "partition",
    "state",
    "next_check_at",
    "attempt",
    "version",
    "has_signals",
    "updated_at",
    "body",
)
"""The columns a new run row is inserted with."""


def _insert(table: sa.Table, *, on_sqlite: bool) -> sqlite.Insert | postgresql.Insert:
    """The dialect's ``INSERT`` that knows ``ON CONFLICT``."""
    return sqlite.insert(table) if on_sqlite else postgresql.insert(table)


def insert_runs(*, on_sqlite: bool) -> Prepared:
    """``INSERT ... ON CONFLICT DO NOTHING`` of new runs (creating a run is idempotent)."""
    return Prepared(_insert(t.runs, on_sqlite=on_sqlite).on_conflict_do_nothing(), RUN_COLUMNS)


def upsert_latest_reading(*, on_sqlite: bool) -> Prepared:
    """``INSERT ... ON CONFLICT DO UPDATE`` of the latest reading per scope, key, partition."""
    stmt = _insert(t.readings, on_sqlite=on_sqlite)
    upsert = stmt.on_conflict_do_update(
        index_elements=["scope", "key", "partition"],
        set_={
            "data": stmt.excluded.data,
            "updated_at": stmt.excluded.updated_at,
            "history_id": stmt.excluded.history_id,
        },
    )
    return Prepared(upsert, ["scope", "key", "partition", "data", "updated_at", "history_id"])
