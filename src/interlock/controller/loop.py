"""The controller loop: claim due runs, decide, apply, perform the actions, sleep.

::

    while not stopping:
        runs = store.claim_due(now)                 # lease; SKIP LOCKED on PostgreSQL
        for batch in runs, 50 at a time:
            for run in batch:
                inputs = readings + pending signals (+ a job poll if RUNNING, recovery if
                         LAUNCHING) + what its upstreams' runs are doing (dependsOn only)
                decision = decide(pipeline, run, inputs, now)
            applied = store.apply_many(decisions)   # one transaction, each version-checked;
            launch the applied ones' jobs           # a run at rest wakes its downstreams
        sleep until the next due time or a store wake-up

The controller holds no state of its own that matters after a crash. A run in LAUNCHING is
leased to the controller calling its backend; the lease is short and renewed while that
controller lives (:attr:`ControllerSettings.launch_lease`). On SQLite a restarted controller,
the only one by construction, drops a dead predecessor's leases at once; on PostgreSQL
another controller takes them over when they lapse. Either way the run is resolved through
the backend's ``find`` (never a blind relaunch). Its cost follows due work: an idle
controller runs one indexed ``min(next_check_at)`` query per wake-up.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from interlock.abc import (
    AttemptUpdate,
    Claim,
    ControllerStore,
    DecisionToApply,
    LaunchAnswer,
    UpstreamCache,
)
from interlock.controller.checks import CheckRunner
from interlock.controller.clock import Clock, SystemClock
from interlock.controller.desired import DesiredState, Slots
from interlock.controller.inputs import (
    Decided,
    answers_job,
    answers_launch,
    consumed,
    earliest,
    recorded_launch,
)
from interlock.controller.jobs import JobRunner
from interlock.controller.observe import Sink, decision_entries, recovery_entry
from interlock.decide import decide, planned_runs
from interlock.decide.wake import WATCH_AFTER_SUCCESS
from interlock.errors import JobTemporaryError
from interlock.model import (
    LaunchJob,
    Run,
    RunState,
    Signal,
)
from interlock.model.specs import PipelineSpec

__all__ = ["Controller", "ControllerSettings", "default_owner"]

log = logging.getLogger("interlock.controller")


def default_owner() -> str:
    """``host:pid``: a lease owner name unique to this process among several controllers."""
    return f"{socket.gethostname()}:{os.getpid()}"


class ControllerSettings:
    """Knobs of the loop, with the reasons for their defaults."""

    def __init__(  # noqa: PLR0913 - every knob is keyword-only and documented below
        self,
        *,
        owner: str | None = None,
        claim_limit: int = 200,
        apply_batch: int = 50,
        lease: timedelta = timedelta(seconds=30),
        launch_lease: timedelta = timedelta(seconds=30),
        max_sleep: float = 1.0,
        workers: int = 4,
        watch_after_success: timedelta = WATCH_AFTER_SUCCESS,
    ) -> None:
        self.owner = owner or default_owner()
        """Lease owner name; unique per controller process when several share a database."""
        self.claim_limit = claim_limit
        """Runs claimed per round; bounds the time a round holds leases."""
        self.apply_batch = apply_batch
        """Decisions committed per transaction. A commit costs more than a decision's own
        writes, so a fan-out of a thousand commits in twenty; the batch is small enough that
        a sensor write from another process never waits long behind it."""
        self.lease = lease
        """How long a claim is held while a run is decided (a round takes milliseconds)."""
        self.launch_lease = launch_lease
        """How long a LAUNCHING run stays ours while its backend call is out. Renewed every
        third of it while this controller lives, so it never expires under a slow launch,
        and another controller takes a dead one's launches over within this time."""
        self.max_sleep = max_sleep
        """Longest sleep between rounds in seconds: timers fire within this of their time,
        and writes from other processes (which cannot wake us directly) are seen by then."""
        self.workers = workers
        """Threads for job-backend calls; 0 launches inline (deterministic tests)."""
        self.watch_after_success = watch_after_success
        """How long after a run succeeded an undated reading still wakes it (a late upstream
        correction re-runs it); dated readings for its partition always do. Longer costs a
        wake-up per undated reading per watched run."""


class Controller:
    """One controller process (or thread) working on a store."""

    def __init__(  # noqa: PLR0913 - the store, its specs and jobs; the rest keyword-only
        self,
        store: ControllerStore,
        specs: Callable[[], Mapping[str, PipelineSpec]],
        jobs: JobRunner,
        *,
        clock: Clock | None = None,
        settings: ControllerSettings | None = None,
        sink: Sink | None = None,
        checks: CheckRunner | None = None,
    ) -> None:
        self.store = store
        self.specs = specs
        self.jobs = jobs
        self.clock = clock or SystemClock()
        self.settings = settings or ControllerSettings()
        self.sink = sink
        """Told what each applied decision did (``serve`` logs it); None tells no one."""
        self._pool = (
            ThreadPoolExecutor(self.settings.workers, "interlock-job")
            if self.settings.workers
            else None
        )
        self._inflight: dict[str, Future[Any]] = {}
        self._inflight_runs: dict[str, tuple[str, str]] = {}
        """attempt id → (pipeline, partition) of each launch in flight, for lease renewal."""
        self._renewed_at: datetime | None = None
        self._exited: set[str] = set()
        """Attempts whose end a backend reported before its launch was recorded."""
        self._exits_lock = threading.Lock()
        self._stop = threading.Event()
        self.ready = threading.Event()
        """Set once :meth:`bootstrap` has planned every pipeline's expected runs."""
        self._taken_over = False
        self._upstream_rows = UpstreamCache()
        """Upstream rows read this round (one upstream may wake thousands of downstreams)."""
        self.desired = DesiredState(store)
        """When each pipeline with ``partitions`` is reconciled (backfill, range growth)."""
        self._slots = Slots(store)
        self.checks = checks
        """The state checkers, run on their own threads while :meth:`serve` runs (None: none)."""

    # Lifecycle ---------------------------------------------------------------------------

    def bootstrap(self) -> None:
        """Start: take over the store, create every pipeline's expected runs (idempotent).

        On SQLite this controller is the only one, so leases left by a dead predecessor are
        dropped first and its LAUNCHING runs are resolved in the first round (through the
        backend's ``find``), not after a lease expires.
        """
        self.take_over()
        now = self.clock.now()
        specs = self.specs()
        planned = [run for spec in specs.values() for run in planned_runs(spec, now)]
        self.store.ensure_runs(planned, now)
        self.desired.tick(specs, now)
        self.ready.set()

    def take_over(self) -> None:
        """Become the store's controller; idempotent, and :meth:`bootstrap` calls it too.

        On SQLite this takes the controller lock, so ``serve`` can call it before saying
        "serving": a second controller is refused before it claims to serve anything.
        """
        if self._taken_over:
            return
        released = self.store.start_controller(self.clock.now())
        self._taken_over = True
        if released:
            log.info("took over %d run(s) leased by a previous controller", released)

    def stop(self) -> None:
        """Stop claiming new work; :meth:`serve` returns after in-flight launches finish."""
        self._stop.set()
        self.store.broker.notify()

    def serve(self) -> None:
        """Run until :meth:`stop` (the CLI wires SIGTERM and SIGINT to it)."""
        job_types = {spec.job.type for spec in self.specs().values() if spec.job is not None}
        self.jobs.watch_exits(job_types, self._job_ended)
        self.bootstrap()
        if self.checks is not None:
            self.checks.start()  # after bootstrap: a slow check never delays the first round
        while not self._stop.is_set():
            seen = self.store.broker.count
            self._renew_launch_leases()
            processed = self.run_once()
            if processed >= self.settings.claim_limit:
                continue
            self.store.broker.wait(seen, self._sleep_for())
        self.close()

    def close(self) -> None:
        """Wait for in-flight launches (they record their outcome and release leases).

        Checks in flight are not waited for: a check records nothing once abandoned.
        """
        if self.checks is not None:
            self.checks.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self.jobs.close()

    def _job_ended(self, attempt_id: str) -> None:
        """A backend heard a job end (another thread): its run is due now, polled at once."""
        if self.store.wake_attempt(attempt_id, self.clock.now()):
            with self._exits_lock:
                self._exited.add(attempt_id)

    def _renew_launch_leases(self) -> None:
        """The heartbeat: extend the leases of launches in flight every third of a lease."""
        now = self.clock.now()
        every = self.settings.launch_lease / 3
        if self._renewed_at is not None and now - self._renewed_at < every:
            return
        self._renewed_at = now
        self.store.renew_leases(
            list(self._inflight_runs.values()),
            owner=self.settings.owner,
            until=now + self.settings.launch_lease,
        )

    def _sleep_for(self) -> float:
        due = earliest(self.store.next_due_at(), self.desired.next_at())
        if due is None:
            return self.settings.max_sleep
        seconds = (due - self.clock.now()).total_seconds()
        return min(max(seconds, 0.0), self.settings.max_sleep)

    # One round ---------------------------------------------------------------------------

    def run_once(self) -> int:
        """Claim and decide every due run once; return how many were claimed.

        Decisions are taken one run at a time but committed together, up to
        :attr:`ControllerSettings.apply_batch` per transaction; their launches go out only
        after that commit, so nothing is launched on a decision that could still be lost.
        """
        now = self.clock.now()
        self.desired.tick(self.specs(), now)  # a comparison per partitioned pipeline, or a pass
        claims = self.store.claim_due(
            now,
            owner=self.settings.owner,
            limit=self.settings.claim_limit,
            lease=self.settings.lease,
        )
        if not claims:
            return 0
        specs = self.specs()
        self._upstream_rows = UpstreamCache()
        self._slots.new_round()
        batch = self.settings.apply_batch
        for start in range(0, len(claims), batch):
            decided = [
                taken
                for claim in claims[start : start + batch]
                if (taken := self._decide_safely(claim, specs.get(claim.run.pipeline_id), now))
            ]
            self._commit(decided, now)
        return len(claims)

    def run_until_idle(self, *, max_rounds: int = 1000) -> int:
        """Rounds until nothing is due at the clock's current time (tests, simulate, demo)."""
        total = 0
        for _ in range(max_rounds):
            self.wait_for_launches()
            processed = self.run_once()
            total += processed
            if not processed and not self._inflight:
                return total
        msg = f"still busy after {max_rounds} rounds"
        raise RuntimeError(msg)

    def wait_for_launches(self) -> None:
        """Block until every launch submitted so far has been recorded."""
        for future in list(self._inflight.values()):
            future.result()

    def _decide_safely(
        self, claim: Claim, spec: PipelineSpec | None, now: datetime
    ) -> Decided | None:
        """:meth:`_decide_claim`, where one bad run must not stop the loop (retried later)."""
        try:
            return self._decide_claim(claim, spec, now)
        except Exception:
            run = claim.run
            log.exception("deciding %s/%s failed", run.pipeline_id, run.partition)
            self.store.release(run, owner=self.settings.owner)
            return None

    def _decide_claim(
        self, claim: Claim, spec: PipelineSpec | None, now: datetime
    ) -> Decided | None:
        """Gather one claimed run's inputs and decide it; None when there is nothing to apply."""
        run = claim.run
        if spec is None or (run.state is RunState.LAUNCHING and run.attempt_id in self._inflight):
            if spec is None:
                log.warning(
                    "run %s/%s belongs to no loaded pipeline; left alone",
                    run.pipeline_id,
                    run.partition,
                )
            self.store.release(run, owner=self.settings.owner)
            return None
        pending = self.store.pending_signals(run) if claim.has_signals else []
        signals: list[Signal] = [s for _, s in pending]
        if run.state is RunState.LAUNCHING and not answers_launch(signals, run):
            recovered = self._recover(spec, run, now)
            if recovered is None:
                return None
            signals.append(recovered)
        attempt_update: AttemptUpdate | None = recorded_launch(signals, run)
        # An exit heard is forgotten only once a decision that saw it is applied: the notice
        # itself moves the run's version, so the decision taken meanwhile may be dropped.
        with self._exits_lock:
            ended = run.attempt_id in self._exited
        in_flight = run.state is RunState.RUNNING or (ended and attempt_update is not None)
        if in_flight and not answers_job(signals, run):
            polled, outcome = self.jobs.poll(spec, run, now)
            attempt_update = outcome or attempt_update
            signals.append(polled)
        item = self._decide(spec, run, signals, [i for i, _ in pending], attempt_update, now)
        return Decided(item=item, run=run, exit_heard=ended)

    def _recover(self, spec: PipelineSpec, run: Run, now: datetime) -> Signal | None:
        """A LAUNCHING run nobody answered for: the backend's word, or None if handled here.

        Never launched: launched now under the same attempt id. The backend cannot be asked
        right now: the run stays LAUNCHING and is asked about again a poll interval later.
        """
        try:
            recovered = self.jobs.recover(spec, run, now)
        except JobTemporaryError as exc:
            interval = spec.job.poll_interval if spec.job else self.settings.launch_lease
            log.warning("cannot ask about %s now (%s); again at the next poll", run.attempt_id, exc)
            self.store.defer(run, owner=self.settings.owner, until=now + interval)
            return None
        if self.sink is not None:
            self.sink.emit(recovery_entry(run, spec, recovered, now))
        if recovered is None:
            launch = LaunchJob(
                pipeline_id=run.pipeline_id,
                partition=run.partition,
                attempt=run.attempt,
                attempt_id=run.attempt_id,
            )
            self._submit(spec, run, launch)
        return recovered

    def _decide(  # noqa: PLR0913, PLR0917 - one decision's inputs
        self,
        spec: PipelineSpec,
        run: Run,
        signals: list[Signal],
        signal_ids: list[int],
        attempt_update: AttemptUpdate | None,
        now: datetime,
    ) -> DecisionToApply:
        readings = self.store.load_readings(spec, run.partition)
        upstream = (  # only pipelines with dependsOn pay for it
            self.store.load_upstream(spec, run.partition, self.specs(), cache=self._upstream_rows)
            if spec.depends_on is not None
            else None
        )
        slots = self._slots.free(spec)  # None unless the pipeline declares partitions
        decision = decide(spec, run, readings, upstream, now=now, signals=signals, slots=slots)
        # Its runs are about to change: later decisions of the round read them again.
        self._upstream_rows.forget(run.pipeline_id)
        self._slots.take(spec, len(decision.launches))
        launches = bool(decision.launches)
        return DecisionToApply(
            decision,
            spec,
            signal_ids=signal_ids,
            launch_lease=self.settings.launch_lease if launches else None,
            attempt_update=attempt_update,
            inputs=consumed(decision.run, readings, run.partition) if launches else None,
        )

    def _commit(self, decided: list[Decided], now: datetime) -> None:
        """Apply a batch of decisions in one transaction, then act on those that held.

        A batch that fails as a whole is applied again one decision at a time, so a run
        whose decision cannot be stored costs only itself (it is released, retried later).
        """
        if not decided:
            return
        try:
            results = self._store_decisions([d.item for d in decided], now)
        except Exception:  # noqa: BLE001 - reported below, with each run's own error
            log.warning("a batch of %d decisions failed; applying them one by one", len(decided))
            results = [self._apply_alone(d, now) for d in decided]
        inline: list[LaunchAnswer] = []
        for taken, applied in zip(decided, results, strict=True):
            if applied:
                inline.extend(self._after_commit(taken, now))
            else:
                # An exit notice (or another controller) moved the run on meanwhile: it is
                # due again and decided afresh, so this is routine, not news for the log.
                run = taken.run
                log.debug(
                    "run %s/%s changed under us; decision dropped", run.pipeline_id, run.partition
                )
        if inline:  # launched without workers: their answers recorded in one transaction
            self.store.finish_launches(inline, now=self.clock.now())

    def _store_decisions(self, items: list[DecisionToApply], now: datetime) -> list[bool]:
        watch = self.settings.watch_after_success
        owner = self.settings.owner
        return self.store.apply_many(items, owner=owner, now=now, watch_after_success=watch)

    def _apply_alone(self, taken: Decided, now: datetime) -> bool:
        try:
            return self._store_decisions([taken.item], now)[0]
        except Exception:
            run = taken.run
            log.exception("deciding %s/%s failed", run.pipeline_id, run.partition)
            self.store.release(run, owner=self.settings.owner)
            return False

    def _after_commit(self, taken: Decided, now: datetime) -> list[LaunchAnswer]:
        """What a committed decision sets off: the serve log, its launches, a heard exit.

        Without workers the launches are called here and their answers returned, for the
        caller to record with the rest of the batch's.
        """
        decision, spec = taken.item.decision, taken.item.pipeline
        if self.sink is not None:
            for entry in decision_entries(taken.run, decision, spec, now):
                self.sink.emit(entry)
        answers = []
        for launch in decision.launches:
            if self._pool is not None:
                self._submit(spec, decision.run, launch)
                continue
            try:
                answers.append(self.jobs.call(spec, decision.run, launch, self.clock))
            except Exception:  # a bug in a backend: the run stays LAUNCHING, asked about next
                log.exception("launching %s failed", launch.attempt_id)
                self.store.defer(decision.run, owner=self.settings.owner, until=now)
        if taken.exit_heard:
            with self._exits_lock:
                self._exited.discard(taken.run.attempt_id)
        return answers

    def _submit(self, spec: PipelineSpec, run: Run, launch: LaunchJob) -> None:
        if self._pool is None:
            self.jobs.launch(spec, run, launch, self.clock)
            return
        key = launch.attempt_id
        self._inflight_runs[key] = (run.pipeline_id, run.partition)
        future = self._pool.submit(self.jobs.launch, spec, run, launch, self.clock)
        self._inflight[key] = future

        def forget(_done: Future[Any]) -> None:
            self._inflight.pop(key, None)
            self._inflight_runs.pop(key, None)

        future.add_done_callback(forget)
