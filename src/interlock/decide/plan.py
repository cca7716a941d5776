"""Which runs a pipeline expects, and which partition a reading opens. Pure.

Interlock does not scan every pipeline on a timer (the Go watchdog does, every five
minutes). Instead each *expected* run exists ahead of time as a PENDING row whose
``next_check_at`` is its first timer: a cron fire, a trigger deadline, the moment an include
date counts as missed. When such a run is first decided it plans its successor, so the
controller's cost follows due work, not the number of pipelines.

A pipeline expects runs when it has:

- ``schedule.cron``: one run per fire (hourly partitions when the cron fires more than once
  a day);
- ``schedule.include.dates``: one run per listed date;
- a ``schedule.trigger`` with a ``deadline``, or an absolute ``sla.deadline``: one run per
  day (per hour for ``:MM`` deadlines), so a trigger that never arrives is still noticed.

Pipelines with only a trigger get runs when trigger readings arrive.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from interlock.model import OpenedBy, OpenRun, Reading
from interlock.model.partitions import parse_partition, partition_for_time
from interlock.model.specs import PipelineSpec
from interlock.timing.schedule import (
    fire_for_partition,
    next_fire,
    partition_for_fire,
    partition_granularity,
    previous_fire,
    schedule_time_at,
    trigger_deadline_at,
    zone,
)

__all__ = [
    "expected_granularity",
    "first_check_at",
    "local_partition",
    "missed_at",
    "partition_start",
    "planned_runs",
    "successor",
    "trigger_partition",
    "upcoming_runs",
]

_INCLUDE_LOOKBACK_DAYS = 3


def local_partition(timezone: str, now: datetime, *, hourly: bool = False) -> str:
    """Today's (or this hour's) partition at ``now`` on the wall clock of ``timezone``."""
    return partition_for_time(now.astimezone(zone(timezone)), hourly=hourly)


def trigger_partition(pipeline: PipelineSpec, reading: Reading, now: datetime) -> str:
    """The partition a trigger reading opens: its own, else today's in the schedule zone."""
    return reading.partition or local_partition(pipeline.schedule.timezone, now)


def expected_granularity(pipeline: PipelineSpec) -> str | None:
    """``daily`` / ``hourly`` for trigger pipelines with a deadline, else None.

    The trigger-deadline branch of :func:`~interlock.timing.schedule.partition_granularity`
    (cron and include-date pipelines plan their runs by their own fires and dates).
    """
    schedule = pipeline.schedule
    if schedule.cron or schedule.include_dates:
        return None
    return partition_granularity(schedule, pipeline.sla)


def first_check_at(pipeline: PipelineSpec, partition: str) -> datetime | None:
    """The first timer of an expected run: cron fire, trigger deadline or missed time."""
    schedule = pipeline.schedule
    tz = schedule.timezone
    if schedule.cron:
        return fire_for_partition(schedule.cron, tz, partition)
    candidates: list[datetime] = []
    if schedule.trigger is not None and schedule.trigger.deadline:
        candidates.append(trigger_deadline_at(partition, schedule.trigger.deadline, tz))
    if schedule.include_dates:
        candidates.append(missed_at(pipeline, partition))
    if not candidates and pipeline.sla is not None and pipeline.sla.deadline:
        # SLA-only expectation: wake at the partition's start; the first decision then
        # computes the SLA window and sleeps until its warning.
        candidates.append(partition_start(pipeline, partition))
    return min(candidates) if candidates else None


def partition_start(pipeline: PipelineSpec, partition: str) -> datetime:
    """The local start (midnight, or the top of the hour) of a partition, in UTC."""
    parsed = parse_partition(partition)
    clock = f"{parsed.hour:02d}:00" if parsed.hour is not None else "00:00"
    return schedule_time_at(parsed.day.isoformat(), clock, pipeline.schedule.timezone)


def missed_at(pipeline: PipelineSpec, partition: str) -> datetime:
    """When an include-date run that never opened counts as missed.

    At ``schedule.time`` on that date when set, else at the end of that local day.
    """
    schedule = pipeline.schedule
    if schedule.time:
        return schedule_time_at(partition, schedule.time, schedule.timezone)
    day = parse_partition(partition).day + timedelta(days=1)
    return schedule_time_at(day.isoformat(), "00:00", schedule.timezone)


def planned_runs(pipeline: PipelineSpec, now: datetime) -> tuple[OpenRun, ...]:
    """The expected runs to create when a pipeline is (re)loaded at ``now``.

    Idempotent by construction: the store ignores an OpenRun for an existing run.
    """
    schedule = pipeline.schedule
    if schedule.cron:
        return _cron_bootstrap(pipeline, now)
    if schedule.include_dates:
        today = now.astimezone(zone(schedule.timezone)).date()
        horizon = today - timedelta(days=_INCLUDE_LOOKBACK_DAYS)
        dates = [d for d in schedule.include_dates if date.fromisoformat(d) >= horizon]
        return tuple(_open(pipeline, d, OpenedBy.SCHEDULE) for d in dates)
    granularity = expected_granularity(pipeline)
    if granularity is None:
        return ()
    hourly = granularity == "hourly"
    return (
        _open(pipeline, local_partition(schedule.timezone, now, hourly=hourly), OpenedBy.SCHEDULE),
    )


def successor(pipeline: PipelineSpec, partition: str) -> OpenRun | None:
    """The expected run after ``partition`` (next cron fire, next day or hour), if any."""
    schedule = pipeline.schedule
    if schedule.cron:
        fire = fire_for_partition(schedule.cron, schedule.timezone, partition)
        if fire is None:
            return None
        following = next_fire(schedule.cron, schedule.timezone, fire)
        nxt = partition_for_fire(schedule.cron, schedule.timezone, following)
        return OpenRun(
            pipeline_id=pipeline.id, partition=nxt, check_at=following, opened_by=OpenedBy.CRON
        )
    granularity = expected_granularity(pipeline)
    if granularity is None:
        return None
    parsed = parse_partition(partition)
    if granularity == "hourly" and parsed.hour is not None:
        moment = datetime(
            parsed.day.year, parsed.day.month, parsed.day.day, parsed.hour, tzinfo=UTC
        )
        nxt_moment = moment + timedelta(hours=1)  # wall-clock arithmetic on the label only
        nxt = f"{nxt_moment.date().isoformat()}T{nxt_moment.hour:02d}"
    else:
        nxt = (parsed.day + timedelta(days=1)).isoformat()
    return _open(pipeline, nxt, OpenedBy.SCHEDULE)


def upcoming_runs(pipeline: PipelineSpec, partition: str, now: datetime) -> tuple[OpenRun, ...]:
    """The runs to plan when the run of ``partition`` becomes current at ``now``.

    Normally its successor. When the successor's own time has already passed (the run was
    decided late, or it is a rerun of an old partition), the chain restarts from ``now``
    exactly as a controller restart would (:func:`planned_runs`), instead of walking every
    missed day up to today.
    """
    nxt = successor(pipeline, partition)
    if nxt is None:
        return ()
    if nxt.check_at > now:
        return (nxt,)
    return planned_runs(pipeline, now)


def _cron_bootstrap(pipeline: PipelineSpec, now: datetime) -> tuple[OpenRun, ...]:
    cron, tz = pipeline.schedule.cron or "", pipeline.schedule.timezone
    fires = [next_fire(cron, tz, now)]
    last = previous_fire(cron, tz, now)
    if last is not None and now - last < pipeline.schedule.evaluation.window:
        fires.insert(0, last)  # started inside a window: that run is still expected
    return tuple(
        OpenRun(
            pipeline_id=pipeline.id,
            partition=partition_for_fire(cron, tz, fire),
            check_at=fire,
            opened_by=OpenedBy.CRON,
        )
        for fire in fires
    )


def _open(pipeline: PipelineSpec, partition: str, opened_by: OpenedBy) -> OpenRun:
    check_at = first_check_at(pipeline, partition)
    if check_at is None:  # pragma: no cover - callers only plan pipelines that have a timer
        msg = f"pipeline {pipeline.id!r} has no timer for {partition}"
        raise ValueError(msg)
    return OpenRun(
        pipeline_id=pipeline.id, partition=partition, check_at=check_at, opened_by=opened_by
    )
