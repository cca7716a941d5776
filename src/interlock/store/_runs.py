"""Runs, attempts, signals and events: the controller's half of the store.

The due-work index is ``runs.next_check_at``: the controller claims rows whose time has come
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL) under a lease, decides, and applies the decision
with an optimistic version check. A launch is recorded as an ``attempts`` row in the same
transaction as the LAUNCHING state; its primary key is the idempotency key, so no attempt
can be recorded — and so launched — twice.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from interlock.decide.wake import watch_until
from interlock.model import Decision, Event, LaunchJob, OpenedBy, OpenRun, Run, Signal
from interlock.specs import PipelineSpec
from interlock.store import schema as t
from interlock.store._prepared import Prepared
from interlock.store._statements import (
    APPLY_RUN,
    DEFER,
    INSERT_ATTEMPT,
    INSERT_EVENTS,
    INSERT_SIGNAL,
    MARK_SIGNAL_PROCESSED,
    PENDING_SIGNALS,
    RECORD_LAUNCH,
    RELEASE,
    RELEASE_ALL,
    RELEASE_IF_OWNER,
    RENEW_LEASE,
    SIGNAL_WAITING,
    WAKE_DATED,
    WAKE_UNDATED,
    claim_statement,
    insert_runs,
)
from interlock.store.base import AttemptRecord
from interlock.store.codec import run_from_json, run_to_json, signal_from_json, signal_to_json

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from interlock.store._routing import WakePlan
    from interlock.store.base import Broker

__all__ = ["Claim", "RunsMixin"]


@dataclass(frozen=True)
class Claim:
    """A leased run, and whether signals wait for it (saves a query when none do)."""

    run: Run
    has_signals: bool


def _run_from_row(row: Any) -> Run:
    run = run_from_json(row.body)
    return replace(run, version=row.version, next_check_at=row.next_check_at)


class RunsMixin:
    """Run-level operations of :class:`~interlock.store.sqlalchemy.SqlStore`."""

    engine: Engine
    broker: Broker

    @property
    def is_sqlite(self) -> bool:  # pragma: no cover - overridden by SqlStore
        raise NotImplementedError

    def mark_consumed(
        self, conn: Connection, pipeline: PipelineSpec, partition: str, attempt_id: str
    ) -> dict[str, int]:  # pragma: no cover
        raise NotImplementedError

    @functools.cached_property
    def _insert_runs(self) -> Prepared:
        return insert_runs(on_sqlite=self.is_sqlite)

    # Creating and waking -------------------------------------------------------------------

    def _new_run_rows(self, opens: Iterable[OpenRun | Run], now: datetime) -> list[dict[str, Any]]:
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

    def ensure_runs(self, opens: Sequence[OpenRun], now: datetime) -> None:
        """Create each planned run unless it already exists (idempotent)."""
        if not opens:
            return
        with self.engine.begin() as conn:
            self._insert_runs.execute(conn, self._new_run_rows(opens, now))
        self.broker.notify()

    def open_and_wake(self, conn: Connection, plan: WakePlan, now: datetime) -> None:
        """Apply a :class:`WakePlan` inside the caller's transaction."""
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
            self._insert_runs.execute(conn, self._new_run_rows(opens, now))
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

    def add_signal(self, pipeline_id: str, partition: str, signal: Signal, now: datetime) -> None:
        """Queue a signal for a run (creating a PENDING run if needed) and make it due now."""
        kind, payload = signal_to_json(signal)
        with self.engine.begin() as conn:
            self._add_signal(conn, pipeline_id, partition, kind, payload, now)
        self.broker.notify()

    def _add_signal(  # noqa: PLR0913, PLR0917 - the full address and payload of a signal
        self,
        conn: Connection,
        pipeline_id: str,
        partition: str,
        kind: str,
        payload: Mapping[str, Any],
        now: datetime,
    ) -> None:
        stub = Run(pipeline_id=pipeline_id, partition=partition, created_at=now, next_check_at=now)
        self._insert_runs.execute(conn, self._new_run_rows([stub], now))
        INSERT_SIGNAL.execute(
            conn,
            {
                "pipeline_id": pipeline_id,
                "partition": partition,
                "kind": kind,
                "payload": dict(payload),
                "created_at": now,
            },
        )
        SIGNAL_WAITING.execute(
            conn, {"b_pipeline": pipeline_id, "b_partition": partition, "b_now": now}
        )

    # Claiming and applying -----------------------------------------------------------------

    def claim_due(
        self,
        now: datetime,
        *,
        owner: str,
        limit: int = 100,
        lease: timedelta = timedelta(seconds=30),
    ) -> list[Claim]:
        """Lease up to ``limit`` runs whose ``next_check_at`` has come, oldest first."""
        params = {"b_now": now, "b_limit": limit, "b_owner": owner, "b_until": now + lease}
        with self.engine.begin() as conn:
            rows = sorted(
                conn.execute(self._claim_statement, params),
                key=lambda row: (row.next_check_at, row.pipeline_id, row.partition),
            )
        return [Claim(_run_from_row(row), bool(row.has_signals)) for row in rows]

    @functools.cached_property
    def _claim_statement(self) -> sa.Update:
        return claim_statement(skip_locked=not self.is_sqlite)

    def next_due_at(self) -> datetime | None:
        """The earliest ``next_check_at`` of any run (the controller sleeps until then)."""
        with self.engine.connect() as conn:
            value: datetime | None = conn.execute(
                sa.select(sa.func.min(t.runs.c.next_check_at))
            ).scalar()
        if (
            value is not None and value.tzinfo is None
        ):  # pragma: no cover - aggregate bypasses the type on SQLite
            from datetime import UTC  # noqa: PLC0415

            value = value.replace(tzinfo=UTC)
        return value

    def pending_signals(self, run: Run) -> list[tuple[int, Signal]]:
        """Unprocessed signals of ``run``, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                PENDING_SIGNALS, {"b_pipeline": run.pipeline_id, "b_partition": run.partition}
            )
            return [(row.id, signal_from_json(row.kind, row.payload)) for row in rows]

    def apply(  # noqa: PLR0913 - everything one transaction commits
        self,
        decision: Decision,
        pipeline: PipelineSpec,
        *,
        owner: str,
        now: datetime,
        signal_ids: Sequence[int] = (),
        launch_lease: timedelta | None = None,
        attempt_update: Mapping[str, Any] | None = None,
        inputs: Mapping[str, int | None] | None = None,
    ) -> bool:
        """Commit a decision: run, events, new runs, attempts, consumed signals — atomically.

        Returns False (and changes nothing but dropping the lease) if the run changed since it
        was loaded (a new reading or signal bumps its version) or the lease was lost: the
        caller must then drop the decision and perform no action; the run is due again.
        With ``launch_lease`` (the decision launches) the caller keeps the run leased for that
        long while the backend call is outstanding, and renews it (:meth:`renew_leases`).
        """
        run = decision.run
        key = {"b_pipeline": run.pipeline_id, "b_partition": run.partition, "b_owner": owner}
        with self.engine.begin() as conn:
            values = self._run_values(decision, pipeline, owner, now, launch_lease)
            result = APPLY_RUN.execute(conn, {**key, "b_version": run.version, **values})
            if result.rowcount != 1:
                RELEASE_IF_OWNER.execute(conn, key)
                return False
            self._record_events(conn, decision.events)
            self._record_actions(conn, decision, pipeline, now, inputs or {})
            if signal_ids:
                MARK_SIGNAL_PROCESSED.execute(conn, [{"b_id": i, "b_now": now} for i in signal_ids])
            if attempt_update:
                conn.execute(
                    t.attempts.update()
                    .where(t.attempts.c.attempt_id == run.attempt_id)
                    .values(**attempt_update)
                )
        if decision.actions:
            self.broker.notify()
        return True

    def _run_values(
        self,
        decision: Decision,
        pipeline: PipelineSpec,
        owner: str,
        now: datetime,
        launch_lease: timedelta | None,
    ) -> dict[str, Any]:
        run = decision.run
        leased_until = now + launch_lease if launch_lease is not None else None
        return {
            "b_state": run.state.value,
            # A launching run is next due when its lease lapses: by then its outcome signal
            # has made it due anyway, or whoever claims it must recover the launch.
            "b_next_check_at": leased_until or run.next_check_at,
            "b_watch_until": watch_until(pipeline, run),
            "b_attempt": run.attempt,
            "b_new_version": run.version + 1,
            "b_updated_at": now,
            "b_body": run_to_json(run),
            "b_explanation": dict(decision.explanation.to_dict()),
            "b_lease_owner": owner if launch_lease is not None else None,
            "b_lease_until": leased_until,
        }

    @staticmethod
    def _record_events(conn: Connection, events: Sequence[Event]) -> None:
        if events:
            INSERT_EVENTS.execute(
                conn,
                [
                    {
                        "type": e.type,
                        "pipeline_id": e.pipeline_id,
                        "partition": e.partition,
                        "at": e.at,
                        "message": e.message,
                        "detail": dict(e.detail),
                    }
                    for e in events
                ],
            )

    def _record_actions(
        self,
        conn: Connection,
        decision: Decision,
        pipeline: PipelineSpec,
        now: datetime,
        inputs: Mapping[str, int | None],
    ) -> None:
        opens = [a for a in decision.actions if isinstance(a, OpenRun)]
        if opens:
            self._insert_runs.execute(conn, self._new_run_rows(opens, now))
        for launch in (a for a in decision.actions if isinstance(a, LaunchJob)):
            INSERT_ATTEMPT.execute(
                conn,
                {
                    "attempt_id": launch.attempt_id,
                    "pipeline_id": launch.pipeline_id,
                    "partition": launch.partition,
                    "attempt": launch.attempt,
                    "reason": decision.run.attempt_reason,
                    "state": "launching",
                    "backend": pipeline.job.type if pipeline.job else "",
                    "inputs": dict(inputs),
                    "decided_at": now,
                },
            )

    def finish_launch(
        self,
        run: Run,
        signal: Signal,
        *,
        handle: Mapping[str, Any] | None,
        message: str | None,
        now: datetime,
    ) -> None:
        """After the backend call: record the handle, queue the outcome signal, drop the lease."""
        kind, payload = signal_to_json(signal)
        state = "running" if handle is not None else "launch-failed"
        with self.engine.begin() as conn:
            RECORD_LAUNCH.execute(
                conn,
                {
                    "b_attempt_id": run.attempt_id,
                    "b_state": state,
                    "b_handle": dict(handle) if handle is not None else None,
                    "b_now": now,
                    "b_message": message,
                },
            )
            self._add_signal(conn, run.pipeline_id, run.partition, kind, payload, now)
            RELEASE.execute(conn, {"b_pipeline": run.pipeline_id, "b_partition": run.partition})
        self.broker.notify()

    def renew_leases(
        self, runs: Iterable[tuple[str, str]], *, owner: str, until: datetime
    ) -> None:
        """Extend ``owner``'s leases on ``(pipeline, partition)`` runs to ``until``.

        Their next check moves with the lease. This is the controller's heartbeat for launches
        in flight: a lease stays short, so another controller takes over promptly after a
        crash, yet it never expires under a live one.
        """
        params = [
            {"b_pipeline": p, "b_partition": part, "b_owner": owner, "b_until": until}
            for p, part in runs
        ]
        if params:
            with self.engine.begin() as conn:
                RENEW_LEASE.execute(conn, params)

    def release_stale_leases(self, now: datetime) -> int:
        """Drop every lease in the database; returns how many runs were leased.

        Only correct where this controller is the only one (SQLite, guarded by
        :meth:`~interlock.store.sqlalchemy.SqlStore.hold_controller_lock`): any lease found
        at start then belongs to a controller that is gone, and its runs, LAUNCHING ones
        included, are resolved at once instead of after the lease would have expired.
        """
        with self.engine.begin() as conn:
            return int(conn.execute(RELEASE_ALL, {"b_now": now}).rowcount)

    def defer(self, run: Run, *, owner: str, until: datetime) -> None:
        """Give up the lease on ``run`` unchanged, and look at it again at ``until``."""
        key = {"b_pipeline": run.pipeline_id, "b_partition": run.partition, "b_owner": owner}
        with self.engine.begin() as conn:
            DEFER.execute(conn, {**key, "b_until": until})

    def release(self, run: Run, *, owner: str) -> None:
        """Give up the lease on ``run`` without changing it."""
        key = {"b_pipeline": run.pipeline_id, "b_partition": run.partition, "b_owner": owner}
        with self.engine.begin() as conn:
            RELEASE_IF_OWNER.execute(conn, key)

    # Reading back --------------------------------------------------------------------------

    def get_run(self, pipeline_id: str, partition: str) -> Run | None:
        """One run, or None."""
        r = t.runs.c
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.runs).where(r.pipeline_id == pipeline_id, r.partition == partition)
            ).first()
        return _run_from_row(row) if row is not None else None

    def run_explanation(self, pipeline_id: str, partition: str) -> Mapping[str, Any] | None:
        """The explanation stored with the run's latest decision."""
        r = t.runs.c
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(r.explanation).where(
                    r.pipeline_id == pipeline_id, r.partition == partition
                )
            ).scalar()
        return value if isinstance(value, Mapping) else None

    def list_runs(
        self, pipeline_id: str | None = None, *, limit: int = 50, states: Sequence[str] = ()
    ) -> list[Run]:
        """Runs, newest partition first."""
        r = t.runs.c
        query = sa.select(t.runs).order_by(r.partition.desc(), r.pipeline_id).limit(limit)
        if pipeline_id is not None:
            query = query.where(r.pipeline_id == pipeline_id)
        if states:
            query = query.where(r.state.in_(list(states)))
        with self.engine.connect() as conn:
            return [_run_from_row(row) for row in conn.execute(query)]

    def list_attempts(self, pipeline_id: str, partition: str | None = None) -> list[AttemptRecord]:
        """The job log of a pipeline (or one partition), oldest first."""
        a = t.attempts.c
        query = (
            sa.select(t.attempts)
            .where(a.pipeline_id == pipeline_id)
            .order_by(a.partition, a.attempt)
        )
        if partition is not None:
            query = query.where(a.partition == partition)
        with self.engine.connect() as conn:
            return [AttemptRecord(**dict(row._mapping)) for row in conn.execute(query)]  # noqa: SLF001 - public SQLAlchemy API

    def get_attempt(self, attempt_id: str) -> AttemptRecord | None:
        """One job-log row by its idempotency key."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.attempts).where(t.attempts.c.attempt_id == attempt_id)
            ).first()
        return AttemptRecord(**dict(row._mapping)) if row is not None else None  # noqa: SLF001

    def list_events(
        self,
        *,
        types: Sequence[str] = (),
        pipeline_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
    ) -> list[Event]:
        """Events in time order, filtered."""
        e = t.events.c
        query = sa.select(t.events).order_by(e.at, e.id).limit(limit)
        if types:
            query = query.where(e.type.in_(list(types)))
        if pipeline_id is not None:
            query = query.where(e.pipeline_id == pipeline_id)
        if since is not None:
            query = query.where(e.at >= since)
        if until is not None:
            query = query.where(e.at < until)
        with self.engine.connect() as conn:
            return [
                Event(
                    type=row.type,
                    pipeline_id=row.pipeline_id,
                    partition=row.partition,
                    at=row.at,
                    message=row.message,
                    detail=row.detail,
                )
                for row in conn.execute(query)
            ]
