"""The store interfaces, by consumer; the value types that cross them are in :mod:`.values`.

Each protocol is what one consumer needs, so a consumer depends on no more than it uses and
a contract test can hold every backend to it:

* :class:`RunStore` — the controller loop: claim due runs, apply decisions, signals, leases;
* :class:`ReadingStore` — sensor writes, and the readings a decision sees;
* :class:`PipelineStore` — stored pipeline configs;
* :class:`ReadStore` — what the CLI, API and demo read back;
* :class:`Broker` — wake-ups (:mod:`interlock.brokers`).

One implementation today, :class:`interlock.store.sqlalchemy.SqlStore` (SQLite or
PostgreSQL), which satisfies all of them. Every method is synchronous and thread-safe. Times
are timezone-aware UTC ``datetime`` values; the caller passes ``now`` so that tests and the
simulation control the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from interlock.brokers.base import Broker
from interlock.decide.wake import WATCH_AFTER_SUCCESS
from interlock.model import Decision, Event, OpenRun, ReadingSet, Run, Signal
from interlock.model.checkers import CheckerStatus
from interlock.model.dependencies import UpstreamState
from interlock.model.specs import Pause, PipelineSpec

__all__ = [
    "AttemptInputs",
    "AttemptLaunched",
    "AttemptOutcome",
    "AttemptRecord",
    "AttemptUpdate",
    "Broker",
    "CheckerStore",
    "Claim",
    "ControllerStore",
    "DecisionToApply",
    "LaunchAnswer",
    "PartitionRows",
    "PipelineStore",
    "ReadStore",
    "ReadingInput",
    "ReadingStore",
    "RunStore",
    "Store",
    "StoredPipeline",
    "SyncReport",
    "UpstreamCache",
]


from interlock.abc.values import (
    AttemptInputs,
    AttemptLaunched,
    AttemptOutcome,
    AttemptRecord,
    AttemptUpdate,
    Claim,
    DecisionToApply,
    LaunchAnswer,
    PartitionRows,
    ReadingInput,
    StoredPipeline,
    SyncReport,
    UpstreamCache,
)

# Interfaces --------------------------------------------------------------------------------


@runtime_checkable
class RunStore(Protocol):
    """The controller's work queue: runs, their leases, signals, and applied decisions.

    A run is *due* when its ``next_check_at`` has come. A controller claims due runs under a
    lease (so no other controller decides them meanwhile), decides, and applies the decision
    with a version check. Every write here that makes work due notifies :attr:`broker` after
    it commits.
    """

    @property
    def broker(self) -> Broker:
        """The broker this store's writes notify; the controller sleeps on it."""
        ...

    def start_controller(self, now: datetime) -> int:
        """Make ready for a controller to start on this store; returns leases released.

        Where only one controller may run (SQLite) this takes that right and drops every
        lease a dead predecessor left, so its LAUNCHING runs are resolved at once. Where
        several may run (PostgreSQL) it changes nothing: leases lapse by themselves.

        :raises StoreError: if another controller holds this store's single-controller lock.
        """
        ...

    def release_stale_leases(self, now: datetime) -> int:
        """Drop every lease in the store; returns how many runs were leased.

        Only correct when no other controller is alive (see :meth:`start_controller`).
        """
        ...

    def ensure_runs(self, opens: Sequence[OpenRun | Run], now: datetime) -> None:
        """Create each planned run unless it already exists; idempotent, never overwrites."""
        ...

    def count_active(self, pipeline_id: str) -> int:
        """How many of the pipeline's runs are LAUNCHING or RUNNING (``maxConcurrent``)."""
        ...

    def partition_rows(self, pipeline_id: str) -> PartitionRows:
        """What is stored about a partitioned pipeline's partitions (the reconciler's input).

        Complete partitions come back as bare strings (365,000 of them must stay cheap).
        """
        ...

    def claim_due(
        self,
        now: datetime,
        *,
        owner: str,
        limit: int = 100,
        lease: timedelta = timedelta(seconds=30),
    ) -> list[Claim]:
        """Lease up to ``limit`` due runs to ``owner`` until ``now + lease``.

        The ``limit`` earliest due, returned ordered by ``next_check_at``, then pipeline id,
        then partition. Runs under a lease that has not lapsed (anyone's, ``owner``'s too)
        are skipped, never waited for; a lapsed lease is taken over.
        """
        ...

    def next_due_at(self) -> datetime | None:
        """The earliest ``next_check_at`` of any run, None if there are no runs."""
        ...

    def pending_signals(self, run: Run) -> list[tuple[int, Signal]]:
        """Unprocessed signals of ``run`` as ``(id, signal)``, oldest first.

        Pass the ids to :meth:`apply` as ``signal_ids`` to mark them processed with it.
        """
        ...

    def add_signal(self, pipeline_id: str, partition: str, signal: Signal, now: datetime) -> None:
        """Queue a signal for a run (creating a PENDING run if needed) and make it due now."""
        ...

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
        """Commit a decision atomically: the run, its events, new runs, attempts, signals.

        A decision that brings its run to rest (``decision.settled``) also makes due, in the
        same transaction, every downstream run (``dependsOn``) of the partitions it maps to,
        and creates those of downstreams whose runs only their upstreams open, so a crash
        after the commit loses no wake-up.

        :param owner: the lease holder; the run must still be leased to it.
        :param signal_ids: signals the decision consumed (from :meth:`pending_signals`).
        :param launch_lease: set when the decision launches: the run stays leased to
            ``owner`` that long while the backend call is out (renew with
            :meth:`renew_leases`); each launch is recorded as a ``launching`` attempt whose
            id, the idempotency key, can be recorded only once.
        :param attempt_update: what the job log learns about the run's current attempt.
        :param inputs: what each launch consumed (for lineage): the reading history ids it
            saw, and the upstream attempts its dependencies matched (:data:`AttemptInputs`).
        :param watch_after_success: how long undated readings still wake a succeeded run.
        :returns: False if the run changed since it was claimed (a new reading or signal)
            or the lease was lost. Then nothing is recorded and the lease is dropped: the
            caller must perform none of the decision's actions; the run is due again.
            False too for a launch decided on a spec that did not know the pipeline is
            paused (:meth:`PipelineStore.set_pause`): the run is due again a moment later.
        """
        ...

    def apply_many(
        self,
        items: Sequence[DecisionToApply],
        *,
        owner: str,
        now: datetime,
        watch_after_success: timedelta = WATCH_AFTER_SUCCESS,
    ) -> list[bool]:
        """:meth:`apply` for several decisions in one transaction, one answer per item.

        All or nothing: when it raises, none of them was committed (the caller may apply
        them one at a time to find the one that fails). A controller round commits its
        decisions this way, so a thousand woken downstreams cost a few commits, not a
        thousand. Each item is checked against its run's version on its own.
        """
        ...

    def finish_launch(
        self,
        run: Run,
        signal: Signal,
        *,
        handle: Mapping[str, Any] | None,
        message: str | None,
        now: datetime,
    ) -> None:
        """After the backend call: record the handle, queue the outcome signal, drop the lease.

        ``handle`` None means the launch failed (``message`` says why).
        """
        ...

    def finish_launches(self, answers: Sequence[LaunchAnswer], *, now: datetime) -> None:
        """:meth:`finish_launch` for several launches in one transaction (inline launches)."""
        ...

    def renew_leases(self, runs: Iterable[tuple[str, str]], *, owner: str, until: datetime) -> None:
        """Extend ``owner``'s leases on ``(pipeline, partition)`` runs to ``until``.

        The heartbeat for launches in flight; leases held by someone else are untouched.
        """
        ...

    def defer(self, run: Run, *, owner: str, until: datetime) -> None:
        """Give up ``owner``'s lease on ``run`` unchanged; it is next due at ``until``."""
        ...

    def release(self, run: Run, *, owner: str) -> None:
        """Give up ``owner``'s lease on ``run`` without changing it (it stays due)."""
        ...

    def wake_attempt(self, attempt_id: str, now: datetime) -> bool:
        """A job says attempt ``attempt_id`` ended: make its run due now, and wake the loop.

        Only if that attempt is LAUNCHING or RUNNING; False if it is not. The id is
        unverified input: it only makes a run due (the poll decides).
        """
        ...


@runtime_checkable
class ReadingStore(Protocol):
    """Sensor readings: written by sensors, read by decisions."""

    def put_readings(self, batch: Sequence[ReadingInput], now: datetime) -> int:
        """Validate and store readings and make every affected run due, in one transaction.

        All or nothing. Returns how many readings were stored; in a batch, the last reading
        of a key wins.

        :raises InputError: naming the first invalid reading (by index and field).
        :raises UnknownPipelineError: for a ``pipeline_id`` that is not stored.
        """
        ...

    def latest_reading_ref(self, keys: Iterable[str]) -> int | None:
        """The history id of the newest undated reading of any of ``keys`` (None: none).

        One indexed query: how the controller learns, once a second, whether a list behind
        a dynamic dimension may have changed, for every partitioned pipeline at once (ids
        grow with every write, where two writes may share a timestamp).
        """
        ...

    def load_readings(self, pipeline: PipelineSpec, partition: str) -> ReadingSet:
        """The latest readings a run of ``pipeline`` for ``partition`` may see."""
        ...

    def load_upstream(
        self,
        pipeline: PipelineSpec,
        partition: str,
        specs: Mapping[str, PipelineSpec],
        *,
        recursive: bool | None = None,
        cache: UpstreamCache | None = None,
    ) -> dict[str, UpstreamState]:
        """What the upstreams (``dependsOn``) of a run of ``pipeline`` for ``partition`` do.

        One entry per upstream id: its runs of the partitions the run maps to, its latest
        final run for a ``latest`` entry, and its spec from ``specs`` (None when it is not
        loaded). With ``recursive`` (None: when ``pipeline`` has an SLA deadline) also each
        upstream's expected duration and, for upstreams not started yet, the same view one
        level further up. Empty, without touching the database, without ``dependsOn``.
        ``cache`` shares what was read among the decisions of one controller round.
        """
        ...

    def reading_history(
        self, key: str, *, pipeline_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The newest accepted readings of ``key``, newest first, at most ``limit``.

        ``pipeline_id`` None reads the shared readings of ``key``, not every pipeline's.
        """
        ...


@runtime_checkable
class PipelineStore(Protocol):
    """Pipeline configs, stored so every process sharing the store sees the same ones."""

    def sync_pipelines(
        self, specs: Sequence[PipelineSpec], documents: Mapping[str, str], now: datetime
    ) -> SyncReport:
        """Store each pipeline's current config, keeping every changed version.

        ``documents`` maps pipeline id → the stored document. Pipelines missing from
        ``specs`` stay stored. Readings for a pipeline are routed to it from the commit on.
        """
        ...

    def stored_pipelines(self) -> list[StoredPipeline]:
        """Every stored pipeline, sorted by id."""
        ...

    def config_token(self) -> tuple[Any, ...]:
        """A value that changes whenever any pipeline config or pause changes (cheap to ask)."""
        ...

    def set_pause(self, pipeline_id: str, pause: Pause | None, now: datetime) -> Event | None:
        """Pause the pipeline (``pause`` given) or resume it (None), for every controller.

        Kept across ``sync_pipelines``. Records ``PIPELINE_PAUSED``/``PIPELINE_RESUMED``
        (returned; None when it already was so, and nothing changes) and makes the
        WAITING runs of the pipeline and of its direct downstreams (``dependsOn``) due now,
        with a new version. :meth:`RunStore.apply` drops a
        launch of a paused pipeline decided on a spec that did not know it yet.

        :raises UnknownPipelineError: the pipeline is not stored.
        """
        ...


@runtime_checkable
class CheckerStore(Protocol):
    """What state checkers leave behind (:mod:`interlock.controller.checks`)."""

    def record_check(self, status: CheckerStatus, failed: Sequence[Event] = ()) -> None:
        """Store a checker's status (replacing its previous one) and its events, together."""
        ...

    def checker_statuses(self) -> dict[str, CheckerStatus]:
        """Every checker's last status, by label."""
        ...

    def stored_observations(
        self, key: str, pipeline_id: str | None, partitions: Sequence[str | None]
    ) -> dict[str | None, tuple[Mapping[str, Any], datetime]]:
        """The latest stored data of ``key`` per partition (None: undated), and when it came."""
        ...


@runtime_checkable
class ReadStore(Protocol):
    """Read-only queries for the CLI, the API and the job poller."""

    def get_run(self, pipeline_id: str, partition: str) -> Run | None:
        """One run, or None."""
        ...

    def list_runs(
        self, pipeline_id: str | None = None, *, limit: int = 50, states: Sequence[str] = ()
    ) -> list[Run]:
        """Runs, newest partition first, then by pipeline id; ``states`` filters if given."""
        ...

    def list_attempts(self, pipeline_id: str, partition: str | None = None) -> list[AttemptRecord]:
        """The job log of a pipeline (or one partition), by partition then attempt."""
        ...

    def get_attempt(self, attempt_id: str) -> AttemptRecord | None:
        """One job-log row by its idempotency key, or None."""
        ...

    def list_events(  # noqa: PLR0913 - every filter is keyword-only
        self,
        *,
        types: Sequence[str] = (),
        pipeline_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
        newest: bool = False,
    ) -> list[Event]:
        """Events in time order (ties in write order), ``since`` inclusive, ``until`` not.

        The first ``limit`` of them, or with ``newest`` the last ``limit`` (still in time order).
        """
        ...

    def count_events(
        self,
        *,
        types: Sequence[str] = (),
        pipeline_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many events the filters of :meth:`list_events` match, before any limit."""
        ...

    def run_explanation(self, pipeline_id: str, partition: str) -> Mapping[str, Any] | None:
        """The explanation stored with the run's latest decision, or None."""
        ...


@runtime_checkable
class ControllerStore(RunStore, ReadingStore, ReadStore, Protocol):
    """What a controller works on: its runs, the readings it decides on, the job log."""


@runtime_checkable
class Store(RunStore, ReadingStore, PipelineStore, ReadStore, CheckerStore, Protocol):
    """A whole store, as an installation opens it."""

    @property
    def display_url(self) -> str:
        """Where the store keeps its data, with any password hidden (for messages)."""
        ...

    def close(self) -> None:
        """Release every connection; the store is not used again."""
        ...
