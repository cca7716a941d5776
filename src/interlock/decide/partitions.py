"""Desired state, pure: what each declared partition is doing, and which ones need a run.

The store knows, per desired partition, whether its ``complete`` condition holds and what its
one run is doing (:class:`PartitionFacts`); :func:`partition_state` turns that into the state
``interlock partitions`` shows, and :func:`plan_reconcile` into the runs the reconciler opens
(:class:`BackfillOpen`), in ``backfill.order``. Both are pure and cheap: the reconciler calls
them over hundreds of thousands of partitions at a cold start.

Two rules keep the reconciler from doing harm:

- a partition whose job just succeeded but whose ``complete`` reading has not come yet is
  ``waiting``, not ``missing``: nobody relaunches a job that just succeeded;
- a partition that failed for good is ``failed`` and is not planned again (Luigi's range
  tasks retry the same gap forever) unless ``backfill.retryFailedAfter`` has passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from interlock.model import OpenedBy, Reading, ReadingSet, Run, RunMark, RunState
from interlock.model.conditions import Evaluation
from interlock.model.desired import (
    BackfillOrder,
    Granularity,
    PartitionState,
    date_range,
    listed_values,
)
from interlock.model.specs import PipelineSpec
from interlock.rules.evaluate import evaluate

__all__ = [
    "BACKFILL_NO_DOWNSTREAM",
    "BACKFILL_REASONS",
    "MANUAL_BACKFILL",
    "MISSING_OUTPUT",
    "BackfillOpen",
    "PartitionFacts",
    "backfill_due",
    "backfill_run",
    "dynamic_values",
    "evaluate_complete",
    "heal_run",
    "next_range_change",
    "next_retry",
    "partition_facts",
    "partition_state",
    "plan_reconcile",
    "queued_to_wake",
    "reconcile_facts",
    "stale_limit",
]

MISSING_OUTPUT = "missing-output"
"""The rerun reason of a self-heal; its budget is ``job.maxSelfHeals``."""
MANUAL_BACKFILL = "manual-backfill"
"""The reason of a partition queued by ``interlock backfill``; its downstreams cascade."""
BACKFILL_NO_DOWNSTREAM = "backfill-no-downstream"
"""The reason of a partition queued by ``interlock backfill --no-downstream``: when it
succeeds again, the downstream runs that consumed it are not rerun (decide/cascade.py)."""
BACKFILL_REASONS = (MANUAL_BACKFILL, BACKFILL_NO_DOWNSTREAM)
"""The two share one budget (``backfill.maxReruns``): suppressing the cascade is not a way
to rerun a partition more often."""
BACKFILL = "backfill"
RETRY_FAILED = "retry-failed"
STALE = "stale"

_SUCCESS = frozenset({RunState.SUCCEEDED, RunState.SHADOWED})
_OPEN = frozenset({RunState.PENDING, RunState.WAITING})
_IN_FLIGHT = frozenset({RunState.LAUNCHING, RunState.RUNNING})
_FAILURE = frozenset({RunState.FAILED, RunState.EXHAUSTED, RunState.CANCELLED})


@dataclass(frozen=True, kw_only=True)
class PartitionFacts:
    """What the store knows of one desired partition (one run per pipeline and partition)."""

    partition: str
    complete: bool | None = None
    """``spec.complete`` evaluated on the partition's readings; None: no ``complete``
    condition, or no reading yet."""
    was_complete: bool = False
    """``complete`` held after the run's last success (its ``complete-seen`` mark)."""
    run_state: RunState | None = None
    attempt: int = 0
    launched_at: datetime | None = None
    finished_at: datetime | None = None
    self_heals: int = 0
    """Reruns with reason ``missing-output`` so far."""
    stale: bool = False
    """The run was given up as stale (its ``run-stale`` mark): eligible again."""


@dataclass(frozen=True)
class BackfillOpen:
    """One partition the reconciler gives a run, and why (the attempt's reason).

    ``existing_run``: the partition has a run already (a rerun of it is asked for, with
    ``reason``); otherwise a run opened by ``backfill`` is created.
    """

    partition: str
    reason: str
    existing_run: bool


def evaluate_complete(
    spec: PipelineSpec, readings: Mapping[str, Reading], partition: str, now: datetime
) -> Evaluation | None:
    """``spec.complete`` for ``partition``, on that partition's own readings only.

    Unlike validation, an undated reading does not stand in for a missing one: the latest
    undated ``output`` would otherwise mark every partition of the range done at once.
    None when the pipeline declares no partitions or no ``complete`` condition.

    :param readings: key → reading, as a run's view (readings of other partitions and
        undated ones are ignored here).
    """
    if spec.complete is None or spec.partitions is None:
        return None
    own = {key: r for key, r in readings.items() if r.partition == partition}
    return evaluate(spec.complete, own, now, partition=partition)


def stale_limit(spec: PipelineSpec) -> timedelta | None:
    """How long an attempt may work on a partition: ``sla.maxDuration``, else the poll window.

    None for a pipeline without a job and without ``maxDuration`` (nothing to time out).
    """
    if spec.sla is not None and spec.sla.max_duration is not None:
        return spec.sla.max_duration
    return spec.job.poll_window if spec.job is not None else None


def partition_state(spec: PipelineSpec, facts: PartitionFacts, now: datetime) -> PartitionState:
    """The state of one desired partition at ``now`` (see :class:`PartitionState`).

    With a ``complete`` condition the data decides, however it got there; without one, the
    last run does.
    """
    if facts.complete is True:
        return PartitionState.DONE
    state = facts.run_state
    if state is None:
        return PartitionState.MISSING
    if state in _OPEN:
        return PartitionState.WAITING
    if state in _IN_FLIGHT:
        return _in_flight_state(spec, facts, now)
    if state in _SUCCESS:
        return _after_success(spec, facts)
    return PartitionState.STALE if facts.stale else PartitionState.FAILED


def _in_flight_state(spec: PipelineSpec, facts: PartitionFacts, now: datetime) -> PartitionState:
    limit = stale_limit(spec)
    if limit is not None and facts.launched_at is not None and now - facts.launched_at > limit:
        return PartitionState.STALE
    return PartitionState.RUNNING


def _after_success(spec: PipelineSpec, facts: PartitionFacts) -> PartitionState:
    """A run succeeded: done, unless ``complete`` says its output is (still) not there."""
    if spec.complete is None or facts.complete is None:
        return PartitionState.DONE if spec.complete is None else PartitionState.WAITING
    if not facts.was_complete:
        return PartitionState.WAITING  # the output's reading has not come yet
    budget = spec.job.max_self_heals if spec.job is not None else 0
    return PartitionState.MISSING if facts.self_heals < budget else PartitionState.FAILED


def plan_reconcile(
    spec: PipelineSpec,
    desired: Iterable[str],
    facts: Mapping[str, PartitionFacts],
    now: datetime,
) -> list[BackfillOpen]:
    """The desired partitions that need a run at ``now``, in ``spec.backfill.order``.

    Partitions absent from ``facts`` have no run and an unknown ``complete``: they are
    ``missing``. One pass over ``desired``; only the planned partitions are sorted (by their
    strings: dates and hours sort as text), as plain tuples until the end.
    """
    planned = sorted(_needing_runs(spec, desired, facts, now))
    if spec.backfill.order is BackfillOrder.NEWEST_FIRST:
        planned = _dates_reversed(planned)
    return [BackfillOpen(partition, reason, existing) for partition, reason, existing in planned]


_Planned = tuple[str, str, bool]


def _dates_reversed(planned: list[_Planned]) -> list[_Planned]:
    """Newest date first, each date's partitions kept in ascending (declaration) order.

    ``planned`` is sorted by partition string: the date (or hour), then the dimensions in
    declaration order. Reversing the runs of equal dates is O(n), unlike a second sort.
    """
    groups: list[list[_Planned]] = []
    current = None
    for item in planned:
        head = item[0].split("|", 1)[0]
        if head != current:
            groups.append([])
            current = head
        groups[-1].append(item)
    return [item for group in reversed(groups) for item in group]


def _needing_runs(
    spec: PipelineSpec,
    desired: Iterable[str],
    facts: Mapping[str, PartitionFacts],
    now: datetime,
) -> Iterator[_Planned]:
    retry_after = spec.backfill.retry_failed_after
    for partition in desired:
        fact = facts.get(partition)
        if fact is None:
            yield (partition, BACKFILL, False)
            continue
        if fact.complete is True:
            continue  # done, whatever its run did: the common case, kept cheap
        reason = _reason(partition_state(spec, fact, now), fact, retry_after, now)
        if reason is not None:
            yield (partition, reason, fact.run_state is not None)


def _reason(
    state: PartitionState,
    fact: PartitionFacts,
    retry_after: timedelta | None,
    now: datetime,
) -> str | None:
    """Why a partition in ``state`` needs a run, or None when it must be left alone."""
    if state is PartitionState.STALE:
        return STALE
    if state is PartitionState.MISSING:
        return BACKFILL if fact.run_state is None else MISSING_OUTPUT
    if state is PartitionState.FAILED and retry_after is not None and fact.finished_at:
        return RETRY_FAILED if now - fact.finished_at >= retry_after else None
    return None


# Shared by the controller's reconciler and ``interlock simulate`` ---------------------------

_PLANNED_STATES = _FAILURE | _IN_FLIGHT
"""Run states the reconciler may act on (a retry, a stale attempt); others work or are done."""


def reconcile_facts(
    partition: str,
    *,
    complete: bool,
    incomplete_once: bool,
    run_state: RunState | None,
    run: Run | None = None,
) -> PartitionFacts | None:
    """The facts :func:`plan_reconcile` needs of one desired partition, or None to skip it.

    The store (``partition_status`` and the runs table) and the simulation (its readings
    and runs in memory) both answer through this one function, so both plan alike. Skipped
    without building anything: complete partitions (the bulk), succeeded runs (a run whose
    output went missing heals itself: the reading that said so woke it), and open runs
    (they are working on it). ``run`` is needed only for failed and in-flight states (their
    times and heal budget).
    """
    if complete or (run_state is not None and run_state not in _PLANNED_STATES):
        return None
    return partition_facts(partition, incomplete_once=incomplete_once, run_state=run_state, run=run)


def partition_facts(
    partition: str, *, incomplete_once: bool, run_state: RunState | None, run: Run | None
) -> PartitionFacts:
    """The facts of a partition that is not complete, from its run (if it has one).

    What the reconciler plans with and what ``interlock partitions`` reports, built alike.
    """
    return PartitionFacts(
        partition=partition,
        complete=False if incomplete_once else None,
        was_complete=incomplete_once,
        run_state=run_state,
        attempt=run.attempt if run else 0,
        launched_at=run.launched_at if run else None,
        finished_at=run.finished_at if run else None,
        self_heals=run.rerun_count(MISSING_OUTPUT) if run else 0,
    )


def next_retry(
    spec: PipelineSpec, facts: Iterable[PartitionFacts], now: datetime
) -> datetime | None:
    """The earliest moment a failed partition, not eligible yet, may be tried again."""
    after = spec.backfill.retry_failed_after
    if after is None:
        return None
    moments = [
        f.finished_at + after
        for f in facts
        if f.run_state in _FAILURE and f.finished_at is not None and f.finished_at + after > now
    ]
    return min(moments) if moments else None


def queued_to_wake(spec: PipelineSpec, queued: Iterable[str]) -> list[str]:
    """Of the runs queued for a slot, the ones to wake when a slot frees, in backfill order.

    As many as ``maxConcurrent``, so a wake-up that lands on a run still waiting for its
    rules does not leave the slot idle (the store's ``wake_queued`` applies the same rule
    in SQL: partitions sort as text).
    """
    newest_first = spec.backfill.order is BackfillOrder.NEWEST_FIRST
    return sorted(queued, reverse=newest_first)[: spec.backfill.max_concurrent]


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
        values[dimension.name] = listed_values(raw)
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


def heal_run(pipeline_id: str, partition: str, now: datetime) -> Run:
    """A run for a partition done without one whose output went missing.

    It says what happened (done, satisfied, complete seen); decided at once, it finds
    ``complete`` no longer holding and heals itself like any other run. The store opens it
    in the write that says the output is gone; simulate does the same.
    """
    return Run(
        pipeline_id=pipeline_id,
        partition=partition,
        created_at=now,
        state=RunState.SUCCEEDED,
        opened_by=OpenedBy.BACKFILL,
        finished_at=now,
        marks=frozenset({RunMark.SATISFIED, RunMark.COMPLETE_SEEN}),
        next_check_at=now,
    )


def backfill_due(spec: PipelineSpec, partition: str, now: datetime) -> datetime:
    """When a queued run of ``partition`` is due: just before ``now``, in the backfill order.

    Runs due together are claimed in due order, then by partition. So the due time carries
    the order: a microsecond per hour of the range, newer hours earlier for newest-first
    (older earlier for oldest-first). Runs queued by one pass, and runs woken by several runs
    coming to rest in one round, are then claimed in the backfill order, and the first ones
    take the free slots. The dimensions of one hour keep their order, ascending.
    """
    if spec.partitions is None:
        return now
    bounds = date_range(spec.partitions.time, now)
    first = bounds[0] if bounds is not None else now.date()
    day, _, rest = partition.partition("|")[0].partition("T")
    try:
        hours = (date.fromisoformat(day) - first).days * 24 + (int(rest) if rest else 0)
    except ValueError:
        return now
    span = (bounds[1] - first).days * 24 + 24 if bounds is not None else 24
    newest_first = spec.backfill.order is BackfillOrder.NEWEST_FIRST
    return now - timedelta(microseconds=(hours if newest_first else span - hours) + 1)


def backfill_run(spec: PipelineSpec, planned: BackfillOpen, now: datetime, due: datetime) -> Run:
    """The run a reconcile pass opens for a partition without one (controller and simulate)."""
    return Run(
        pipeline_id=spec.id,
        partition=planned.partition,
        created_at=now,
        opened_by=OpenedBy.BACKFILL,
        attempt_reason=planned.reason,
        next_check_at=due,
    )
