"""Which runs a reading can change: the wake rule of the store and the simulation. Pure.

The store applies this rule with set-based SQL in the reading's own transaction
(``WAKE_DATED`` / ``WAKE_UNDATED`` and the trigger target of
:func:`~interlock.store._routing.plan_wakes`); :class:`~interlock.simulation.Simulation`
applies it run by run. Keeping one written rule is what keeps ``simulate`` honest about what
the controller does.

- A **dated** reading (for partition P) wakes P's run when it is PENDING, WAITING or
  succeeded (late data and drift are watched for as long as the run exists).
- An **undated** reading wakes every WAITING run, and succeeded runs still inside their
  watch window (:func:`watch_until`).
- A PENDING run only evaluates its trigger, so an undated reading wakes only the one it may
  open: today's run in the schedule's time zone, and only for a trigger key. Future runs
  sleep until their own timer; waking them on every reading once let planning run away.
- LAUNCHING and RUNNING runs are not woken by readings: the controller sees them at their
  next poll, where readings are loaded anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from interlock.decide.plan import local_partition
from interlock.model import Run, RunState
from interlock.model.specs import PipelineSpec

__all__ = ["DATED_WAKE_STATES", "WATCH_AFTER_SUCCESS", "watch_until", "woken_by_reading"]

WATCH_AFTER_SUCCESS = timedelta(hours=48)
"""How long an undated reading still wakes a succeeded run (dated readings always do)."""

DATED_WAKE_STATES = frozenset(
    {RunState.PENDING, RunState.WAITING, RunState.SUCCEEDED, RunState.SHADOWED}
)
"""States of a run that a reading for its own partition wakes."""

_WATCHED = frozenset({RunState.SUCCEEDED, RunState.SHADOWED})


def watch_until(
    pipeline: PipelineSpec, run: Run, *, after: timedelta = WATCH_AFTER_SUCCESS
) -> datetime | None:
    """Until when undated readings still wake a finished run, or None if they never do.

    ``after`` it finished (or launched, for a dry run; the controller's
    ``ControllerSettings.watch_after_success``, two days by default), and at least as long
    as its post-run rules wait for their sensors.
    """
    done_at = run.finished_at or run.launched_at
    if run.state not in _WATCHED or done_at is None:
        return None
    watch = done_at + after
    if pipeline.post_run is not None and run.finished_at is not None:
        watch = max(watch, run.finished_at + pipeline.post_run.sensor_timeout)
    return watch


def woken_by_reading(
    pipeline: PipelineSpec, run: Run, *, key: str, partition: str | None, now: datetime
) -> bool:
    """Tell whether a reading of ``key`` (for ``partition``, None if undated) wakes ``run``."""
    state = run.state
    if partition is not None:
        return run.partition == partition and state in DATED_WAKE_STATES
    if state is RunState.WAITING:
        return True
    if state in _WATCHED:
        watch = watch_until(pipeline, run)
        return watch is not None and watch > now
    trigger = pipeline.schedule.trigger
    return (
        state is RunState.PENDING
        and trigger is not None
        and key in trigger.keys
        and run.partition == local_partition(pipeline.schedule.timezone, now)
    )
