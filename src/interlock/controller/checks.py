"""The checker runner: state checkers run on their own threads, never on the controller loop.

Every checker (a pipeline's ``sensors:`` entry, or a shared one) is due every ``every``. A
due check asks its kind about the partitions that matter now
(:mod:`interlock.controller.check_scope`) — a bulk kind once with all of them, a
per-partition kind once per partition with at most ``concurrency`` in flight — and records
what it observed as ordinary readings, in one batch per check, through
``store.put_readings``: the decision core cannot tell a pulled reading from a pushed one.

- **Change-only.** A reading is recorded only when the observation differs from the last
  one recorded for its partition (by this process, or stored before a restart), or when
  the last one is older than ``heartbeat`` (so it does not age out of freshness rules).
- **Failures are visible, never a pass.** A :class:`CheckError` or a timeout records
  nothing; the first failure of a streak records one ``SENSOR_CHECK_FAILED`` event (error
  text redacted), then the checker backs off (``every`` times 2, 4, 8 … capped at an hour). The
  next good check resets the streak. The checker's status (last run, duration, error) is
  stored after every check, for ``interlock sensors`` and ``explain`` in other processes.
- **Hung checks are abandoned.** A check that outlives its timeout counts as failed; its
  thread may linger until the call returns, but nothing waits for it, and decisions never
  wait for checks at all.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from interlock.abc import CheckerStore, ReadingInput
from interlock.checkers.base import Checker, CheckError, CheckRequest, Observation
from interlock.checkers.registry import checker_factory
from interlock.controller.check_scope import (
    ScopeStore,
    expand_configs,
    is_dated,
    partitions_that_matter,
)
from interlock.controller.clock import Clock
from interlock.errors import InterlockError
from interlock.events import EventType
from interlock.jobs.templates import redact
from interlock.model import Event
from interlock.model.checkers import CheckerStatus, SensorCheckSpec
from interlock.model.specs import PipelineSpec

__all__ = ["MAX_BACKOFF", "CheckOutcome", "CheckRunner", "CheckStore", "backoff"]

log = logging.getLogger("interlock.checks")

MAX_BACKOFF = timedelta(hours=1)
"""The longest wait between two tries of a failing checker (unless ``every`` is longer)."""
_GRACE_SECONDS = 0.25
"""Added to a check's timeout before the runner abandons it, so a kind that enforces the
timeout itself (``command``) reports its own, more precise, error first."""
_IDLE_SECONDS = 1.0
"""Longest sleep of the runner's thread: checks become due within this of their time."""


class CheckStore(ScopeStore, CheckerStore, Protocol):
    """What the runner reads and writes."""

    def put_readings(self, batch: Sequence[ReadingInput], now: datetime) -> int:
        """Record readings (and wake the runs that read them)."""
        ...


@dataclass(frozen=True)
class CheckOutcome:
    """What one check did: observed, recorded, or failed (and how long it took)."""

    label: str
    at: datetime
    observations: tuple[Observation, ...] = ()
    recorded: tuple[Observation, ...] = ()
    """The observations recorded as readings: the changed ones and heartbeats."""
    error: str | None = None
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        """True when the check observed (whatever it saw); False when it failed."""
        return self.error is None


def backoff(every: timedelta, failures: int) -> timedelta:
    """The wait after the ``failures``-th failure in a row: ``every`` times 2^n, at most an hour."""
    cap = max(MAX_BACKOFF, every)
    if failures <= 0:
        return every
    waited: timedelta = every * (2 ** min(failures, 20))
    return min(waited, cap)


def _comparable(data: Mapping[str, Any]) -> str:
    """A form of reading data in which the stored (JSON) and observed copies compare equal."""
    return json.dumps(data, sort_keys=True, default=str)


@dataclass
class _State:
    """What the runner remembers about one checker (by label)."""

    check: SensorCheckSpec
    next_at: datetime
    checker: Checker | None = None
    failures: int = 0
    last_ok_at: datetime | None = None
    last_error: str | None = None
    recorded: dict[str | None, tuple[str, datetime]] = field(default_factory=dict)
    """Partition → the comparable data last recorded, and when."""


class CheckRunner:
    """Runs every due checker: synchronously (:meth:`run_due`) or on its own thread."""

    def __init__(  # noqa: PLR0913 - the store, its specs and clock; the rest keyword-only
        self,
        store: CheckStore,
        specs: Callable[[], Mapping[str, PipelineSpec]],
        clock: Clock,
        *,
        shared: Sequence[SensorCheckSpec] = (),
        max_workers: int = 4,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.specs = specs
        self.clock = clock
        self.shared = tuple(shared)
        self.env = env
        """The environment ``${env:NAME}`` reads (None: ``os.environ`` at each check)."""
        self.max_workers = max_workers
        self._states: dict[str, _State] = {}
        self._lock = threading.Lock()
        self._inflight: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None

    # Which checks ------------------------------------------------------------------------

    def checks(self) -> list[SensorCheckSpec]:
        """Every checker: each loaded pipeline's ``sensors``, then the shared ones."""
        found = [check for spec in self.specs().values() for check in spec.sensors]
        return [*found, *self.shared]

    def find(self, pipeline_id: str | None, key: str) -> SensorCheckSpec | None:
        """The checker of ``key`` in ``pipeline_id`` (None: shared), if there is one."""
        return next(
            (c for c in self.checks() if c.pipeline_id == pipeline_id and c.key == key), None
        )

    def _state(self, check: SensorCheckSpec, now: datetime) -> _State:
        with self._lock:
            state = self._states.get(check.label)
            if state is None:
                state = self._states[check.label] = _State(check, next_at=now)
            elif state.check != check:  # config reloaded: rebuild the checker, keep history
                self._close(state)
                state.check = check
            return state

    def due(self, now: datetime) -> list[SensorCheckSpec]:
        """The checkers due at ``now`` (a new one is due at once)."""
        return [c for c in self.checks() if self._state(c, now).next_at <= now]

    # Running -----------------------------------------------------------------------------

    def run_due(self, now: datetime | None = None) -> list[CheckOutcome]:
        """Run every due checker now, one after the other, and return what each did."""
        moment = now or self.clock.now()
        return [self.run_check(check, moment) for check in self.due(moment)]

    def run_check(self, check: SensorCheckSpec, now: datetime) -> CheckOutcome:
        """Run one check now and record what it observed (or its failure)."""
        state = self._state(check, now)
        started = time.monotonic()
        try:
            observations = self.observe(check, now)
            recorded = self._record(state, observations, now)
        except CheckError as exc:
            elapsed = _millis(started)
            self._failed(state, str(exc), now, elapsed)
            return CheckOutcome(check.label, now, error=str(exc), duration_ms=elapsed)
        elapsed = _millis(started)
        self._succeeded(state, now, elapsed)
        return CheckOutcome(check.label, now, tuple(observations), recorded, None, elapsed)

    def observe(
        self,
        check: SensorCheckSpec,
        now: datetime,
        partitions: Sequence[str | None] | None = None,
    ) -> list[Observation]:
        """What ``check`` sees now, recording nothing (``interlock sensor check``).

        ``partitions`` None asks the partitions that matter now.

        :raises CheckError: the check failed, timed out, or its config cannot be expanded.
        """
        checker = self._checker(self._state(check, now))
        asked = list(partitions) if partitions is not None else self._asked(check, checker, now)
        if not asked:
            return []
        expanded = expand_configs(check, asked, self.env)
        requests = [
            CheckRequest(
                key=check.key,
                pipeline_id=check.pipeline_id,
                partitions=group,
                configs={p: expanded.configs[p] for p in group},
                timeout_seconds=check.timeout.total_seconds(),
                secrets=expanded.secrets,
            )
            for group in ([asked] if checker.bulk else [[p] for p in asked])
        ]
        try:
            return _call_all(checker, requests, check)
        except CheckError as exc:
            raise CheckError(redact(str(exc), expanded.secrets)) from None

    def _asked(self, check: SensorCheckSpec, checker: Checker, now: datetime) -> list[str | None]:
        if not checker.bulk and not is_dated(check.config):
            return [None]
        return list(partitions_that_matter(check, self.specs(), self.store, now))

    def _checker(self, state: _State) -> Checker:
        if state.checker is None:
            try:
                state.checker = checker_factory(state.check.kind)(state.check.config)
            except InterlockError as exc:
                raise CheckError(f"{state.check.label}: {exc}") from None
        return state.checker

    # Recording ---------------------------------------------------------------------------

    def changed(
        self, check: SensorCheckSpec, observations: Sequence[Observation], now: datetime
    ) -> list[Observation]:
        """The observations that would be recorded: changed, new, or due for a heartbeat."""
        state = self._state(check, now)
        unknown = [o.partition for o in observations if o.partition not in state.recorded]
        if unknown:
            stored = self.store.stored_observations(check.key, check.pipeline_id, unknown)
            for partition, (data, at) in stored.items():
                state.recorded[partition] = (_comparable(data), at)
        due: list[Observation] = []
        for observation in observations:
            last = state.recorded.get(observation.partition)
            if (
                last is None
                or last[0] != _comparable(observation.data)
                or now - last[1] >= check.heartbeat
            ):
                due.append(observation)
        return due

    def _record(
        self, state: _State, observations: Sequence[Observation], now: datetime
    ) -> tuple[Observation, ...]:
        check = state.check
        due = self.changed(check, observations, now)
        if not due:
            return ()
        batch = [
            ReadingInput(
                key=check.key,
                data=dict(o.data),
                pipeline_id=check.pipeline_id,
                partition=o.partition,
            )
            for o in due
        ]
        try:
            self.store.put_readings(batch, now)
        except InterlockError as exc:  # a reading the store refuses: the check's output is bad
            raise CheckError(f"{check.label}: a reading was refused: {exc}") from None
        for observation in due:
            state.recorded[observation.partition] = (_comparable(observation.data), now)
        return tuple(due)

    def _succeeded(self, state: _State, now: datetime, elapsed: int) -> None:
        state.failures = 0
        state.last_ok_at = now
        state.next_at = now + state.check.every
        self.store.record_check(self._status(state, now, elapsed))

    def _failed(self, state: _State, error: str, now: datetime, elapsed: int) -> None:
        check = state.check
        state.failures += 1
        state.last_error = error
        state.next_at = now + backoff(check.every, state.failures)
        events = [] if state.failures > 1 else [_failure_event(check, error, now)]
        log.warning("check %s failed (%d in a row): %s", check.label, state.failures, error)
        self.store.record_check(self._status(state, now, elapsed), events)

    @staticmethod
    def _status(state: _State, now: datetime, elapsed: int) -> CheckerStatus:
        return CheckerStatus(
            label=state.check.label,
            last_run_at=now,
            last_ok_at=state.last_ok_at,
            duration_ms=elapsed,
            last_error=state.last_error,
            failures=state.failures,
        )

    # On its own thread -------------------------------------------------------------------

    def start(self) -> None:
        """Run due checks on a thread of their own until :meth:`stop` (idempotent)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._pool = ThreadPoolExecutor(self.max_workers, "interlock-check")
        self._thread = threading.Thread(target=self._serve, name="interlock-checks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop starting checks; checks in flight are not waited for (nor are hung ones)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        with self._lock:
            for state in self._states.values():
                self._close(state)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                self._submit_due(self.clock.now())
            except Exception:  # the runner must outlive a bad round (a store hiccup)
                log.exception("checker runner round failed")
            self._stop.wait(_IDLE_SECONDS if self._inflight else self._sleep_for())

    def _submit_due(self, now: datetime) -> None:
        pool = self._pool
        for check in self.due(now):
            with self._lock:
                if pool is None or check.label in self._inflight:
                    continue
                self._inflight.add(check.label)
            future = pool.submit(self.run_check, check, now)
            future.add_done_callback(self._when_done(check.label))

    def _when_done(self, label: str) -> Callable[[Future[CheckOutcome]], None]:
        def done(future: Future[CheckOutcome]) -> None:
            with self._lock:
                self._inflight.discard(label)
            if not future.cancelled() and future.exception() is not None:
                log.error("check %s crashed", label, exc_info=future.exception())

        return done

    def _sleep_for(self) -> float:
        with self._lock:
            moments = [state.next_at for state in self._states.values()]
        if not moments:
            return _IDLE_SECONDS
        seconds = (min(moments) - self.clock.now()).total_seconds()
        return min(max(seconds, 0.05), _IDLE_SECONDS)

    @staticmethod
    def _close(state: _State) -> None:
        if state.checker is not None:
            try:
                state.checker.close()
            except Exception:  # closing must not stop the others from closing
                log.exception("closing checker %s failed", state.check.label)
            state.checker = None


def _call_all(
    checker: Checker, requests: Sequence[CheckRequest], check: SensorCheckSpec
) -> list[Observation]:
    """Run the requests with at most ``check.concurrency`` in flight, within the timeout.

    Calls still running when the time is up are abandoned (their threads end when the call
    returns; nothing joins them), and the check fails as timed out.
    """
    workers = max(1, min(check.concurrency, len(requests)))
    waves = math.ceil(len(requests) / workers)
    budget = check.timeout.total_seconds() * waves + _GRACE_SECONDS
    pool = ThreadPoolExecutor(workers, f"interlock-check-{check.key}")
    try:
        futures = [pool.submit(checker.check, request) for request in requests]
        _, pending = wait(futures, timeout=budget)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if pending:
        raise CheckError(f"{check.label}: timed out after {check.timeout.total_seconds():g}s")
    observations: list[Observation] = []
    for future in futures:
        observations.extend(_result(future, check).observations)
    return observations


def _result(future: Future[Any], check: SensorCheckSpec) -> Any:
    try:
        return future.result()
    except CheckError:
        raise
    except Exception as exc:  # a bug in the checker kind: reported, never a pass
        log.exception("checker %s raised", check.label)
        name = type(exc).__name__
        raise CheckError(f"{check.label}: the {check.kind} checker raised {name}: {exc}") from None


def _failure_event(check: SensorCheckSpec, error: str, now: datetime) -> Event:
    one_line = " ".join(error.split())
    return Event(
        type=EventType.SENSOR_CHECK_FAILED,
        pipeline_id=check.pipeline_id or "",
        partition=None,
        at=now,
        message=f"check {check.label} failed: {one_line}",
        detail={"checker": check.label, "key": check.key, "kind": check.kind, "error": one_line},
    )


def _millis(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
