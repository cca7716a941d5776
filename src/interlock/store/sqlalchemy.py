"""The SQLAlchemy Core store: SQLite (embedded default, one controller) or PostgreSQL.

SQLite runs in WAL mode with a busy timeout and is documented as single-controller (its
writers serialise anyway). PostgreSQL supports several controllers: due runs are claimed
with ``FOR UPDATE SKIP LOCKED`` and a lease, and every decision is applied with an
optimistic version check, so two controllers can never both apply a decision for the same
run — which, with the ``attempts`` primary key, is what makes "at most one launch per
attempt" hold across controllers.

:class:`SqlStore` owns the engine and the transactions; each table's statements live in its
own module (:mod:`~interlock.store.runs`, :mod:`~interlock.store.attempts`,
:mod:`~interlock.store.signals`, :mod:`~interlock.store.events`,
:mod:`~interlock.store.readings`, :mod:`~interlock.store.pipelines`), written over the
caller's connection so one transaction can span them. The contracts are the protocols of
:mod:`interlock.abc`, which this class satisfies.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from interlock.abc import (
    AttemptInputs,
    AttemptUpdate,
    Claim,
    DecisionToApply,
    LaunchAnswer,
    ReadingInput,
    Store,
    StoredPipeline,
    SyncReport,
    UpstreamCache,
)
from interlock.brokers.base import Broker
from interlock.brokers.local import LocalBroker
from interlock.decide.wake import WATCH_AFTER_SUCCESS
from interlock.errors import StoreError
from interlock.model import Decision, Event, OpenRun, ReadingSet, Run, Signal
from interlock.model.dependencies import UpstreamState
from interlock.model.specs import Pause, PipelineSpec
from interlock.store import attempts, events, partitions, pipelines, readings, signals, upstream
from interlock.store import runs as run_table
from interlock.store._errors import map_errors
from interlock.store._routing import WakePlan, plan_dependency_wakes, plan_wakes
from interlock.store._sqlite import Checkpointer, ControllerLock, sqlite_pragmas
from interlock.store._url import DatabaseTarget, check_sqlite_file, default_url, parse_target
from interlock.store.checkers import CheckerTables
from interlock.store.codec import signal_to_json
from interlock.store.pipelines import CONFIG_RECHECK_SECONDS, Pipelines
from interlock.store.readings import Readings
from interlock.store.reads import SqlReads
from interlock.store.runs import Runs

__all__ = ["CONFIG_RECHECK_SECONDS", "SqlStore", "default_url"]


def _create_engine(target: DatabaseTarget) -> Engine:
    """The engine for ``target``; pre-ping guards against dropped server connections.

    :raises StoreError: when the driver of a supported engine is not installed.
    """
    try:
        return sa.create_engine(target.url, pool_pre_ping=not target.is_sqlite)
    except ImportError as exc:  # postgresql+psycopg without the postgres extra
        hint = "pip install 'interlock[postgres]'"
        raise StoreError(f"the database driver is not installed ({exc.name}); {hint}") from exc


class SqlStore(SqlReads, CheckerTables):
    """Interlock's persistence on one SQLAlchemy engine (see :class:`interlock.abc.Store`).

    Each public method is one transaction (or one read); its contract is documented on the
    protocol that declares it. Writes that make work due notify :attr:`broker` after commit.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        broker: Broker | None = None,
        migrate: bool = True,
        create: bool = True,
    ) -> None:
        """Open the database ``url`` names (see :mod:`interlock.store._url`).

        ``create`` False: a SQLite file must already exist (for commands that only read);
        True: it may be created, and it and its directory must be writable.

        :raises InputError: for an unsupported ``url``.
        :raises StoreError: for a SQLite path that cannot be used (one line saying why).
        """
        self.url = url or default_url()
        target = parse_target(self.url)
        writable = True
        if target.sqlite_file is not None:
            writable = check_sqlite_file(target.sqlite_file, create=create)
        self.broker: Broker = broker or LocalBroker()
        sqlite = target.is_sqlite
        self.engine: Engine = _create_engine(target)
        map_errors(self.engine)
        if sqlite:
            sa.event.listen(self.engine, "connect", sqlite_pragmas)
        if migrate:
            from interlock.store.migrations import upgrade  # noqa: PLC0415 - alembic is slow to import

            try:
                upgrade(self.engine)  # one SELECT at head; locked and re-checked otherwise
            except BaseException:
                self.engine.dispose()  # a refused or failed migration leaves no connection open
                raise
        on_disk = sqlite and self.engine.url.database not in {None, "", ":memory:"}
        # A read-only file is only read: checkpointing it would fail every second.
        self._checkpointer = Checkpointer(self.engine) if on_disk and writable else None
        database = self.engine.url.database
        self._controller_lock = ControllerLock(database) if on_disk and database else None
        self._runs = Runs(sqlite=self.is_sqlite)
        self._readings = Readings(sqlite=self.is_sqlite)
        self._pipelines = Pipelines()
        self._write_lock: contextlib.AbstractContextManager[object] = (
            threading.RLock() if sqlite else contextlib.nullcontext()
        )

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction; on SQLite, one at a time among this process's threads.

        SQLite takes one writer at a time anyway. Threads that meet at its file lock wait
        in its busy handler, which sleeps 1 ms, 2 ms, 5 ms and longer between tries. A
        decision meeting a launch record then waits milliseconds for a write that took
        microseconds, so this process queues its own writers on a lock that hands over at
        once. A reentrant lock: a write nested in another write (on the same thread) would
        wait for itself in SQLite already, so it is no new way to deadlock.
        """
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    @property
    def display_url(self) -> str:
        """The database URL with any password hidden, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"SqlStore({self.engine.url!r})"  # SQLAlchemy masks the password

    @property
    def is_sqlite(self) -> bool:
        """True on the embedded default (single controller)."""
        return self.engine.dialect.name == "sqlite"

    def close(self) -> None:
        """Checkpoint SQLite's log, then dispose of every pooled connection."""
        if self._checkpointer is not None:
            self._checkpointer.close()
        if self._controller_lock is not None:
            self._controller_lock.release()
        self.engine.dispose()

    def start_controller(self, now: datetime) -> int:
        """Make ready for a controller to start on this store; returns leases released.

        On SQLite the controller must be the only one: it takes the database's controller
        lock (:class:`StoreError` if another process holds it), then drops every lease
        left by a previous, dead controller, so its LAUNCHING runs are resolved at once. On
        PostgreSQL leases stay: other controllers may be alive, and a dead one's short
        leases expire by themselves (they are renewed only while it lives).
        """
        if not self.is_sqlite:
            return 0
        if self._controller_lock is not None:
            self._controller_lock.acquire()
        return self.release_stale_leases(now)

    # PipelineStore -----------------------------------------------------------------------

    def sync_pipelines(
        self, specs: Sequence[PipelineSpec], documents: Mapping[str, str], now: datetime
    ) -> SyncReport:
        """Store the current config of each pipeline, keeping every changed version.

        ``documents`` maps pipeline id → the stored document (YAML plus calendars, see
        :func:`interlock.app.pack_document`). Pipelines missing from ``specs`` stay stored.
        """
        with self._writing() as conn:
            return self._pipelines.sync(conn, specs, documents, now)

    def stored_pipelines(self) -> list[StoredPipeline]:
        """Every stored pipeline, sorted by id."""
        with self.engine.connect() as conn:
            return pipelines.stored(conn)

    def config_token(self) -> tuple[Any, ...]:
        """Changes whenever any pipeline config changes (cheap: one aggregate query)."""
        with self.engine.connect() as conn:
            return pipelines.token(conn)

    def set_pause(self, pipeline_id: str, pause: Pause | None, now: datetime) -> Event | None:
        """Pause or resume a pipeline; see :meth:`interlock.abc.PipelineStore.set_pause`."""
        with self._writing() as conn:
            event = pipelines.set_pause(conn, pipeline_id, pause, now)
        if event is not None:
            self.broker.notify()
        return event

    # ReadingStore ------------------------------------------------------------------------

    def put_readings(self, batch: Sequence[ReadingInput], now: datetime) -> int:
        """Validate and store readings, and make every affected run due, in one transaction.

        All or nothing: if any reading is invalid, :class:`InputError` names it (by index and
        field) and nothing is stored.
        """
        with self._writing() as conn:
            routes, known = self._pipelines.routes(conn)
            rows = [readings.normalise(i, item, known) for i, item in enumerate(batch)]
            if not rows:
                return 0
            self._readings.write(conn, rows, now)
            readers = self._pipelines.complete_readers(conn)
            if readers:
                partitions.record_completeness(conn, rows, readers, now, on_sqlite=self.is_sqlite)
            written = [(r["scope"] or None, r["key"], r["partition"] or None) for r in rows]
            self._runs.open_and_wake(conn, plan_wakes(written, routes, now), now)
        self.broker.notify()
        return len(rows)

    def load_readings(self, pipeline: PipelineSpec, partition: str) -> ReadingSet:
        """The readings a run of ``pipeline`` for ``partition`` may see (resolved by decide)."""
        if not pipeline.sensor_keys:
            return ReadingSet()
        with self.engine.connect() as conn:
            return readings.load(conn, pipeline, partition)

    def load_upstream(
        self,
        pipeline: PipelineSpec,
        partition: str,
        specs: Mapping[str, PipelineSpec],
        *,
        recursive: bool | None = None,
        cache: UpstreamCache | None = None,
    ) -> dict[str, UpstreamState]:
        """What the upstreams of a run of ``pipeline`` for ``partition`` are doing."""
        if pipeline.depends_on is None:
            return {}
        with self.engine.connect() as conn:
            return upstream.load_upstream(
                conn, pipeline, partition, specs, recursive=recursive, cache=cache
            )

    def reading_history(
        self, key: str, *, pipeline_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The newest accepted readings of ``key`` (newest first), with who consumed them."""
        with self.engine.connect() as conn:
            return readings.history(conn, key, pipeline_id=pipeline_id, limit=limit)

    # RunStore ----------------------------------------------------------------------------

    def ensure_runs(self, opens: Sequence[OpenRun | Run], now: datetime) -> None:
        """Create each planned run unless it already exists (idempotent)."""
        if not opens:
            return
        with self._writing() as conn:
            self._runs.insert(conn, opens, now)
        self.broker.notify()

    def open_and_wake(self, conn: Connection, plan: WakePlan, now: datetime) -> None:
        """Apply a :class:`WakePlan` inside the caller's transaction."""
        self._runs.open_and_wake(conn, plan, now)

    def add_signal(self, pipeline_id: str, partition: str, signal: Signal, now: datetime) -> None:
        """Queue a signal for a run (creating a PENDING run if needed) and make it due now."""
        kind, payload = signal_to_json(signal)
        with self._writing() as conn:
            self._add_signal(conn, pipeline_id, partition, (kind, payload), now)
        self.broker.notify()

    def _add_signal(
        self,
        conn: Connection,
        pipeline_id: str,
        partition: str,
        encoded: tuple[str, Mapping[str, Any]],
        now: datetime,
    ) -> None:
        self._runs.add_stub(conn, pipeline_id, partition, now)
        signals.insert(conn, pipeline_id, partition, encoded[0], encoded[1], now)
        run_table.signal_waiting(conn, pipeline_id, partition, now)

    def claim_due(
        self,
        now: datetime,
        *,
        owner: str,
        limit: int = 100,
        lease: timedelta = timedelta(seconds=30),
    ) -> list[Claim]:
        """Lease up to ``limit`` runs whose ``next_check_at`` has come, oldest first."""
        with self._writing() as conn:
            return self._runs.claim(conn, now, owner=owner, limit=limit, lease=lease)

    def next_due_at(self) -> datetime | None:
        """The earliest ``next_check_at`` of any run (the controller sleeps until then)."""
        with self.engine.connect() as conn:
            return run_table.next_due_at(conn)

    def pending_signals(self, run: Run) -> list[tuple[int, Signal]]:
        """Unprocessed signals of ``run``, oldest first."""
        with self.engine.connect() as conn:
            return signals.pending(conn, run)

    def apply(  # noqa: PLR0913 - everything one transaction commits
        self,
        decision: Decision,
        pipeline: PipelineSpec,
        *,
        owner: str,
        now: datetime,
        signal_ids: Sequence[int] = (),
        launch_lease: timedelta | None = None,
        attempt_update: AttemptUpdate | None = None,
        inputs: AttemptInputs | None = None,
        watch_after_success: timedelta = WATCH_AFTER_SUCCESS,
    ) -> bool:
        """Commit a decision: run, events, new runs, attempts, consumed signals — atomically.

        A decision that brings the run to rest (``settled``) wakes its downstreams in the
        same transaction. False (and nothing but the lease dropped) if the run changed or
        the lease was lost; the full contract is :meth:`interlock.abc.RunStore.apply`.
        """
        item = DecisionToApply(
            decision,
            pipeline,
            signal_ids=signal_ids,
            launch_lease=launch_lease,
            attempt_update=attempt_update,
            inputs=inputs,
        )
        return self.apply_many(
            [item], owner=owner, now=now, watch_after_success=watch_after_success
        )[0]

    def apply_many(
        self,
        items: Sequence[DecisionToApply],
        *,
        owner: str,
        now: datetime,
        watch_after_success: timedelta = WATCH_AFTER_SUCCESS,
    ) -> list[bool]:
        """:meth:`apply` for several decisions in one transaction (one commit for a round)."""
        with self._writing() as conn:
            results = [
                self._apply_in(conn, item, owner, now, watch_after_success) for item in items
            ]
        if any(notify for _, notify in results):
            self.broker.notify()
        return [applied for applied, _ in results]

    def _apply_in(
        self,
        conn: Connection,
        item: DecisionToApply,
        owner: str,
        now: datetime,
        watch_after: timedelta,
    ) -> tuple[bool, bool]:
        """One decision inside the caller's transaction: (applied, worth a wake-up)."""
        decision, pipeline = item.decision, item.pipeline
        if decision.launches and pipeline.paused is None and pipelines.is_paused(conn, pipeline.id):
            # Decided on a spec from before the pause: launch nothing; decide again once
            # the caller's view of the configs has caught up.
            later = now + timedelta(seconds=CONFIG_RECHECK_SECONDS)
            run_table.defer(conn, decision.run, owner, later)
            return False, False
        applied = self._runs.apply(
            conn,
            decision,
            pipeline,
            owner=owner,
            now=now,
            launch_lease=item.launch_lease,
            watch_after=watch_after,
        )
        if not applied:
            return False, False
        events.record(conn, decision.events)
        opens = [a for a in decision.actions if isinstance(a, OpenRun)]
        if opens:
            self._runs.insert(conn, opens, now)
        attempts.record_launches(conn, decision, pipeline, now, item.inputs or {})
        signals.mark_processed(conn, item.signal_ids, now)
        attempts.settle(conn, decision, item.attempt_update)
        woke = decision.settled and self._wake_dependents(conn, decision.run, now)
        if decision.settled and pipeline.partitions is not None:  # a slot may be free
            woke = partitions.wake_queued(conn, pipeline, now) > 0 or woke
        return True, bool(decision.actions) or woke

    def _wake_dependents(self, conn: Connection, run: Run, now: datetime) -> bool:
        """Open and wake the downstream runs ``run`` may unblock; False if it has none."""
        routes = self._pipelines.dependents(conn).get(run.pipeline_id)
        if not routes:
            return False
        plan = plan_dependency_wakes(run.partition, routes)
        if not plan:
            return False
        self._runs.wake_dependents(conn, plan, now)
        return True

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
        self.finish_launches([LaunchAnswer(run, signal, handle, message)], now=now)

    def finish_launches(self, answers: Sequence[LaunchAnswer], *, now: datetime) -> None:
        """Record several launches' answers in one transaction."""
        with self._writing() as conn:
            for answer in answers:
                run = answer.run
                attempts.record_launch(conn, run.attempt_id, answer.handle, answer.message, now)
                # The run exists (it is LAUNCHING under our lease): no stub, one update.
                encoded = signal_to_json(answer.signal)
                signals.insert(conn, run.pipeline_id, run.partition, *encoded, now)
                run_table.launch_answered(conn, run.pipeline_id, run.partition, now)
        self.broker.notify()

    def renew_leases(self, runs: Iterable[tuple[str, str]], *, owner: str, until: datetime) -> None:
        """Extend ``owner``'s leases on ``(pipeline, partition)`` runs to ``until``.

        Their next check moves with the lease. This is the controller's heartbeat for launches
        in flight: a lease stays short, so another controller takes over promptly after a
        crash, yet it never expires under a live one.
        """
        keys = list(runs)
        if keys:
            with self._writing() as conn:
                run_table.renew(conn, keys, owner, until)

    def release_stale_leases(self, now: datetime) -> int:
        """Drop every lease in the database; returns how many runs were leased.

        Only correct where this controller is the only one (SQLite, guarded by the
        controller lock of :meth:`start_controller`): any lease found at start then belongs
        to a controller that is gone, and its runs, LAUNCHING ones included, are resolved at
        once instead of after the lease would have expired.
        """
        with self._writing() as conn:
            return run_table.release_all(conn, now)

    def defer(self, run: Run, *, owner: str, until: datetime) -> None:
        """Give up the lease on ``run`` unchanged, and look at it again at ``until``."""
        with self._writing() as conn:
            run_table.defer(conn, run, owner, until)

    def release(self, run: Run, *, owner: str) -> None:
        """Give up the lease on ``run`` without changing it."""
        with self._writing() as conn:
            run_table.release_if_owner(conn, run, owner)

    def wake_attempt(self, attempt_id: str, now: datetime) -> bool:
        """Make the run of ``attempt_id`` due now, if that attempt is in flight (a job ended)."""
        with self._writing() as conn:
            woken = run_table.wake_attempt(conn, attempt_id, now)
        if woken:
            self.broker.notify()
        return woken


if TYPE_CHECKING:  # mypy (src only) holds SqlStore to the whole contract of interlock.abc

    def _satisfies_every_protocol(store: SqlStore) -> Store:
        return store
