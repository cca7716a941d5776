"""The reconciler: keep every desired partition done by giving the ones that are not a run.

For a pipeline with ``partitions``, the controller compares what is desired (the range at
``now`` crossed with the dimension values, :func:`~interlock.model.desired.desired_partitions`)
with what the store knows (which partitions are complete, which have runs and in which
state, :class:`~interlock.abc.PartitionRows`). The pure planner
(:func:`~interlock.decide.partitions.plan_reconcile`) says which partitions need work and why.
Then this module opens the runs: new ones with ``opened_by: backfill``, and a rerun request
for a partition whose run exists (one failed long enough ago, or one whose output went
missing). Each run then goes through ``decide()`` like any other: its own rules and
upstreams first, a launch only within ``backfill.maxConcurrent``.

When it runs: at start, when the range can have grown (the next day or hour, see
:func:`next_range_change`), when a pipeline's config changed, and when the reading a dynamic
dimension comes from changed. A reading that changes one partition's completeness never
needs a full pass: the store re-checks that partition in the write's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from interlock.abc import PartitionRows
from interlock.decide.partitions import BackfillOpen, PartitionFacts, plan_reconcile
from interlock.model import OpenedBy, ReadingSet, RerunRequested, Run, RunState
from interlock.model.desired import Granularity, desired_partitions
from interlock.model.specs import PipelineSpec

__all__ = ["ReconcileReport", "Reconciler", "dynamic_values", "next_range_change"]

log = logging.getLogger("interlock.controller")

MISSING_OUTPUT = "missing-output"


class ReconcileStore(Protocol):
    """What the reconciler needs of the store."""

    def partition_rows(self, pipeline_id: str) -> PartitionRows:
        """Completeness and run states of one pipeline's partitions."""
        ...

    def load_readings(self, pipeline: PipelineSpec, partition: str) -> ReadingSet:
        """The readings a run of ``pipeline`` for ``partition`` may see."""
        ...

    def ensure_runs(self, opens: Sequence[Any], now: datetime) -> None:
        """Create runs unless they exist."""
        ...

    def add_signal(self, pipeline_id: str, partition: str, signal: Any, now: datetime) -> None:
        """Queue a signal for a run and make it due now."""
        ...


@dataclass(frozen=True)
class ReconcileReport:
    """What one pass did for one pipeline (the serve log and the benchmarks print it)."""

    pipeline_id: str
    desired: int
    opened: tuple[BackfillOpen, ...]
    retry_at: datetime | None = None
    """When the next failed partition becomes eligible again (``retryFailedAfter``)."""


def dynamic_values(spec: PipelineSpec, readings: ReadingSet) -> dict[str, list[str]]:
    """The values of each dynamic dimension, from the list field of its sensor's reading.

    The latest undated reading of the sensor is the list (a list of values is not about one
    partition). Values are kept as strings, in the reading's order, without repeats; a
    reading that is missing or whose field is not a list gives no values.
    """
    if spec.partitions is None:
        return {}
    view = readings.view("")
    values: dict[str, list[str]] = {}
    for dimension in spec.partitions.dimensions:
        if dimension.sensor is None:
            continue
        reading = view.get(dimension.sensor)
        raw = reading.data.get(dimension.field or "") if reading is not None else None
        listed = raw if isinstance(raw, list) else []
        values[dimension.name] = list(dict.fromkeys(str(v) for v in listed))
    return values


def next_range_change(spec: PipelineSpec, now: datetime) -> datetime | None:
    """When the desired range next grows by itself: the next day (or hour) plus the lag."""
    if spec.partitions is None:
        return None
    axis = spec.partitions.time
    if axis.end is not None:
        return None  # a fixed end: the range changes only with the config
    zone = ZoneInfo(axis.timezone)
    local = (now - axis.lag).astimezone(zone)
    if axis.granularity is Granularity.HOURLY:
        boundary = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    else:
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        boundary = (midnight + timedelta(days=1)).replace(tzinfo=zone)
    return boundary.astimezone(now.tzinfo) + axis.lag


class Reconciler:
    """Runs the reconcile passes for a controller."""

    def __init__(self, store: ReconcileStore) -> None:
        self.store = store

    def reconcile(self, spec: PipelineSpec, now: datetime) -> ReconcileReport:
        """One pass over ``spec``'s desired partitions: open what is missing."""
        if spec.partitions is None:
            return ReconcileReport(spec.id, 0, ())
        dynamic = self.dynamic(spec)
        rows = self.store.partition_rows(spec.id)
        desired = 0
        facts: dict[str, PartitionFacts] = {}
        for partition in desired_partitions(spec.partitions, now, dynamic):
            desired += 1
            known = _facts(partition, rows)
            if known is not None:
                facts[partition] = known
        opens = plan_reconcile(spec, facts.keys(), facts, now)
        self.queue(spec, opens, now)
        if opens:
            log.info("%s: %d partition(s) queued of %d desired", spec.id, len(opens), desired)
        return ReconcileReport(spec.id, desired, tuple(opens), _next_retry(spec, facts, now))

    def dynamic(self, spec: PipelineSpec) -> dict[str, list[str]]:
        """The current values of ``spec``'s dynamic dimensions (a query; none if static)."""
        if spec.partitions is None or not spec.partitions.sensor_keys:
            return {}
        return dynamic_values(spec, self.store.load_readings(spec, ""))

    def queue(self, spec: PipelineSpec, opens: Iterable[BackfillOpen], now: datetime) -> None:
        """Give each planned partition its run, in order; nothing is launched here.

        A partition with a run gets a rerun request with the planned reason (decide() applies
        its verdict); one without gets a PENDING run opened by ``backfill``, due in the
        planned order, so the launch slots (``backfill.maxConcurrent``) go to the first
        ones. ``interlock backfill`` queues through here too.
        """
        new: list[Run] = []
        opens = list(opens)
        for rank, planned in enumerate(opens):
            if planned.existing_run:
                rerun = RerunRequested(reason=planned.reason, at=now)
                self.store.add_signal(spec.id, planned.partition, rerun, now)
                continue
            new.append(
                Run(
                    pipeline_id=spec.id,
                    partition=planned.partition,
                    created_at=now,
                    opened_by=OpenedBy.BACKFILL,
                    attempt_reason=planned.reason,
                    # Due in the backfill order, a microsecond apart and all by now: runs
                    # are claimed in due order, so the first ones take the free slots.
                    next_check_at=now - timedelta(microseconds=len(opens) - rank),
                )
            )
        if new:
            self.store.ensure_runs(new, now)


def _next_retry(
    spec: PipelineSpec, facts: Mapping[str, PartitionFacts], now: datetime
) -> datetime | None:
    """The earliest moment a failed partition, not eligible yet, may be tried again."""
    after = spec.backfill.retry_failed_after
    if after is None:
        return None
    moments = [
        f.finished_at + after
        for f in facts.values()
        if f.run_state in _FAILED_STATES
        and f.finished_at is not None
        and f.finished_at + after > now
    ]
    return min(moments) if moments else None


_FAILED_STATES = frozenset({RunState.FAILED, RunState.EXHAUSTED, RunState.CANCELLED})
_PLANNED_STATES = frozenset(
    {
        RunState.FAILED,
        RunState.EXHAUSTED,
        RunState.CANCELLED,
        RunState.LAUNCHING,
        RunState.RUNNING,
    }
)


def _facts(partition: str, rows: PartitionRows) -> PartitionFacts | None:
    """The facts of one desired partition, or None when it cannot need a run from here.

    Skipped without building anything: complete partitions (the bulk), succeeded runs (a
    run whose output went missing heals itself: the reading that said so woke it), and
    runs that are open (they are working on it).
    """
    if partition in rows.complete:
        return None
    state = rows.runs.get(partition)
    missing_once = partition in rows.incomplete_once
    if state is None:
        return PartitionFacts(
            partition=partition,
            complete=False if missing_once else None,
            was_complete=missing_once,
        )
    if state not in _PLANNED_STATES:
        return None
    return _run_facts(partition, state, rows.timed.get(partition), missing_once=missing_once)


def _run_facts(
    partition: str, state: RunState, run: Run | None, *, missing_once: bool
) -> PartitionFacts:
    return PartitionFacts(
        partition=partition,
        complete=False if missing_once else None,
        was_complete=missing_once,
        run_state=state,
        attempt=run.attempt if run else 0,
        launched_at=run.launched_at if run else None,
        finished_at=run.finished_at if run else None,
        self_heals=run.rerun_count(MISSING_OUTPUT) if run else 0,
    )
