"""The ``runs`` table: each run's state, the due-work index and the leases.

The due-work index is ``runs.next_check_at``: the controller claims rows whose time has come
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL) under a lease, decides, and applies the decision
with an optimistic version check (:meth:`Runs.apply`). Every function takes the caller's
connection, so :class:`~interlock.store.sqlalchemy.SqlStore` decides what one transaction
holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from interlock.abc import Claim
from interlock.decide.wake import watch_until
from interlock.model import Decision, OpenedBy, OpenRun, Run
from interlock.store import schema as t
from interlock.store._statements import (
    APPLY_RUN,
    DEFER,
    LAUNCH_ANSWERED,
    RELEASE_ALL,
    RELEASE_IF_OWNER,
    RENEW_LEASE,
    SIGNAL_WAITING,
    WAKE_ATTEMPT,
    WAKE_DATED,
    WAKE_DEPENDENT,
    WAKE_DEPENDENT_LATEST,
    WAKE_DEPENDENT_MATCHING,
    WAKE_UNDATED,
    claim_statement,
    insert_runs,
    like_pattern,
)
from interlock.store.codec import run_from_json, run_to_json

if TYPE_CHECKING:
    from interlock.model.specs import PipelineSpec
    from interlock.store._routing import DependencyWakePlan, WakePlan

__all__ = ["Runs", "new_run_rows"]


def run_from_row(row: Any) -> Run:
    """The run of a ``runs`` row: its JSON body, with the columns that change without it."""
    run = run_from_json(row.body)
    return replace(run, version=row.version, next_check_at=row.next_check_at)


class Runs:
    """Operations on ``runs``; holds the statements that differ by dialect."""

    def __init__(self, *, sqlite: bool) -> None:
        self._insert = insert_runs(on_sqlite=sqlite)
        self._claim = claim_statement(skip_locked=not sqlite)

    # Creating and waking -------------------------------------------------------------------

    def insert(self, conn: Connection, opens: Iterable[OpenRun | Run], now: datetime) -> None:
        """Create each run unless it exists (``ON CONFLICT DO NOTHING``)."""
        self._insert.execute(conn, new_run_rows(opens, now))

    def open_and_wake(self, conn: Connection, plan: WakePlan, now: datetime) -> None:
        """Apply a :class:`WakePlan`: open triggered runs, make woken ones due now."""
        if plan.open_runs:
            opens = [
                Run(
                    pipeline_id=p,
                    partition=part,
                    created_at=now,
                    opened_by=OpenedBy.TRIGGER,
                    next_check_at=now,
                )
                for p, part in sorted(plan.open_runs)
            ]
            self.insert(conn, opens, now)
        dated = [
            {"b_pipeline": p, "b_partition": part, "b_now": now}
            for p, part in plan.wake
            if part is not None
        ]
        undated = sorted({p for p, part in plan.wake if part is None})
        if dated:
            WAKE_DATED.execute(conn, dated)
        if undated:
            WAKE_UNDATED.execute(conn, [{"b_pipeline": p, "b_now": now} for p in undated])

    def wake_dependents(self, conn: Connection, plan: DependencyWakePlan, now: datetime) -> None:
        """Apply a :class:`DependencyWakePlan`: open upstream-opened runs, make the rest due.

        A run opened here is PENDING and due now; so is one that already existed in a state
        an upstream's final state may change (:data:`WAKE_DEPENDENT`).
        """
        if plan.open_runs:
            opens = [
                Run(
                    pipeline_id=p,
                    partition=part,
                    created_at=now,
                    opened_by=OpenedBy.UPSTREAM,
                    next_check_at=now,
                )
                for p, part in sorted(plan.open_runs)
            ]
            self.insert(conn, opens, now)
        if plan.wake:
            WAKE_DEPENDENT.execute(
                conn,
                [
                    {"b_pipeline": p, "b_partition": part, "b_now": now}
                    for p, part in sorted(plan.wake)
                ],
            )
        if plan.wake_matching:
            WAKE_DEPENDENT_MATCHING.execute(
                conn,
                [
                    {"b_pipeline": p, "b_pattern": like_pattern(pattern), "b_now": now}
                    for p, pattern in sorted(plan.wake_matching)
                ],
            )
        if plan.wake_latest:
            WAKE_DEPENDENT_LATEST.execute(
                conn, [{"b_pipeline": p, "b_now": now} for p in sorted(plan.wake_latest)]
            )

    def add_stub(self, conn: Connection, pipeline_id: str, partition: str, now: datetime) -> None:
        """Make sure a run exists to take a signal: a PENDING one, due now, if there was none."""
        stub = Run(pipeline_id=pipeline_id, partition=partition, created_at=now, next_check_at=now)
        self.insert(conn, [stub], now)

    # Claiming and applying -----------------------------------------------------------------

    def claim(
        self, conn: Connection, now: datetime, *, owner: str, limit: int, lease: timedelta
    ) -> list[Claim]:
        """Lease up to ``limit`` due runs, oldest first (see :meth:`RunStore.claim_due`)."""
        params = {"b_now": now, "b_limit": limit, "b_owner": owner, "b_until": now + lease}
        rows = sorted(
            conn.execute(self._claim, params),
            key=lambda row: (row.next_check_at, row.pipeline_id, row.partition),
        )
        return [Claim(run_from_row(row), bool(row.has_signals)) for row in rows]

    @staticmethod
    def apply(  # noqa: PLR0913 - the decision and the policy it is stored under
        conn: Connection,
        decision: Decision,
        pipeline: PipelineSpec,
        *,
        owner: str,
        now: datetime,
        launch_lease: timedelta | None,
        watch_after: timedelta,
    ) -> bool:
        """Write the decided run if its version and lease still hold; else drop the lease."""
        run = decision.run
        key = {"b_pipeline": run.pipeline_id, "b_partition": run.partition, "b_owner": owner}
        leased_until = now + launch_lease if launch_lease is not None else None
        values = {
            "b_version": run.version,
            "b_state": run.state.value,
            # A launching run is next due when its lease lapses: by then its outcome signal
            # has made it due anyway, or whoever claims it must recover the launch.
            "b_next_check_at": leased_until or run.next_check_at,
            "b_watch_until": watch_until(pipeline, run, after=watch_after),
            "b_attempt": run.attempt,
            "b_new_version": run.version + 1,
            "b_updated_at": now,
            "b_body": run_to_json(run),
            "b_explanation": dict(decision.explanation.to_dict()),
            "b_lease_owner": owner if launch_lease is not None else None,
            "b_lease_until": leased_until,
        }
        if APPLY_RUN.execute(conn, {**key, **values}).rowcount == 1:
            return True
        RELEASE_IF_OWNER.execute(conn, key)
        return False


# Leases ------------------------------------------------------------------------------------


def signal_waiting(conn: Connection, pipeline_id: str, partition: str, now: datetime) -> None:
    """Flag a run as having signals and make it due now."""
    SIGNAL_WAITING.execute(
        conn, {"b_pipeline": pipeline_id, "b_partition": partition, "b_now": now}
    )


def launch_answered(conn: Connection, pipeline_id: str, partition: str, now: datetime) -> None:
    """Flag a LAUNCHING run as having its launch signal, due now, and drop its lease."""
    LAUNCH_ANSWERED.execute(
        conn, {"b_pipeline": pipeline_id, "b_partition": partition, "b_now": now}
    )


def wake_attempt(conn: Connection, attempt_id: str, now: datetime) -> bool:
    """Make the run of ``attempt_id`` due now if that attempt is in flight; False if not.

    ``pipeline/partition/attempt`` comes from outside (a job's exit notice): it is parsed
    here and only ever matched against stored runs.
    """
    pipeline_id, _, rest = attempt_id.partition("/")
    partition, _, number = rest.rpartition("/")
    if not (pipeline_id and partition and number.isdigit()):
        return False
    params = {
        "b_pipeline": pipeline_id,
        "b_partition": partition,
        "b_attempt": int(number),
        "b_now": now,
    }
    return WAKE_ATTEMPT.execute(conn, params).rowcount == 1


def release_if_owner(conn: Connection, run: Run, owner: str) -> None:
    """Drop ``owner``'s lease on ``run``; someone else's stays."""
    RELEASE_IF_OWNER.execute(
        conn, {"b_pipeline": run.pipeline_id, "b_partition": run.partition, "b_owner": owner}
    )


def defer(conn: Connection, run: Run, owner: str, until: datetime) -> None:
    """Drop ``owner``'s lease on ``run`` and make it due at ``until``."""
    key = {"b_pipeline": run.pipeline_id, "b_partition": run.partition, "b_owner": owner}
    DEFER.execute(conn, {**key, "b_until": until})


def renew(conn: Connection, runs: Iterable[tuple[str, str]], owner: str, until: datetime) -> None:
    """Extend ``owner``'s leases on ``(pipeline, partition)`` runs to ``until``."""
    params = [
        {"b_pipeline": p, "b_partition": part, "b_owner": owner, "b_until": until}
        for p, part in runs
    ]
    if params:
        RENEW_LEASE.execute(conn, params)


def release_all(conn: Connection, now: datetime) -> int:
    """Drop every lease; returns how many runs were leased."""
    return int(conn.execute(RELEASE_ALL, {"b_now": now}).rowcount)


# Reading back ------------------------------------------------------------------------------


def next_due_at(conn: Connection) -> datetime | None:
    """The earliest ``next_check_at`` of any run."""
    value: datetime | None = conn.execute(sa.select(sa.func.min(t.runs.c.next_check_at))).scalar()
    if (
        value is not None and value.tzinfo is None
    ):  # pragma: no cover - aggregate bypasses the type on SQLite
        value = value.replace(tzinfo=UTC)
    return value


def get(conn: Connection, pipeline_id: str, partition: str) -> Run | None:
    """One run, or None."""
    r = t.runs.c
    row = conn.execute(
        sa.select(t.runs).where(r.pipeline_id == pipeline_id, r.partition == partition)
    ).first()
    return run_from_row(row) if row is not None else None


def explanation(conn: Connection, pipeline_id: str, partition: str) -> Mapping[str, Any] | None:
    """The explanation stored with the run's latest decision."""
    r = t.runs.c
    value = conn.execute(
        sa.select(r.explanation).where(r.pipeline_id == pipeline_id, r.partition == partition)
    ).scalar()
    return value if isinstance(value, Mapping) else None


def list_runs(
    conn: Connection, pipeline_id: str | None, *, limit: int, states: Sequence[str]
) -> list[Run]:
    """Runs, newest partition first."""
    r = t.runs.c
    query = sa.select(t.runs).order_by(r.partition.desc(), r.pipeline_id).limit(limit)
    if pipeline_id is not None:
        query = query.where(r.pipeline_id == pipeline_id)
    if states:
        query = query.where(r.state.in_(list(states)))
    return [run_from_row(row) for row in conn.execute(query)]


def new_run_rows(opens: Iterable[OpenRun | Run], now: datetime) -> list[dict[str, Any]]:
    """The ``runs`` rows that create ``opens`` (a planned run, or a whole :class:`Run`)."""
    rows = []
    for item in opens:
        if isinstance(item, OpenRun):
            run = Run(
                pipeline_id=item.pipeline_id,
                partition=item.partition,
                created_at=now,
                opened_by=item.opened_by,
                next_check_at=max(item.check_at, now),
            )
        else:
            run = item
        rows.append(
            {
                "pipeline_id": run.pipeline_id,
                "partition": run.partition,
                "state": run.state.value,
                "next_check_at": run.next_check_at,
                "attempt": run.attempt,
                "version": 0,
                "has_signals": False,
                "updated_at": now,
                "body": run_to_json(run),
            }
        )
    return rows
