"""Time-driven checks of a run: SLA, missed schedules, trigger deadline, next check time.

Every timer is a pure function of the run and ``now``; each alert is guarded by a once-only
mark on the run, so it fires exactly once per run however often the run is decided (the Go
``SCHEDULE_MISSED`` repeated every five minutes, docs/go-compatibility.md, Gaps closed).

SLA semantics (fixing docs/go-compatibility.md, SLA): the absolute window is computed once, when the
run is first decided, and stored on the run. A run that has not *succeeded* by the breach time gets
``SLA_BREACH`` at that time, whatever its state (a failed or exhausted run has not delivered its
data either). ``SLA_MET`` is only said of a success before the breach. Dry-run pipelines get
``DRY_RUN_SLA_PROJECTION`` instead of SLA alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from interlock.decide.at_risk import at_risk_check_at
from interlock.decide.lifecycle import cron_fire
from interlock.decide.partitions import stale_limit
from interlock.decide.plan import missed_at
from interlock.decide.step import Step
from interlock.events import EventType
from interlock.model import OpenedBy, RunMark, RunState
from interlock.model.durations import format_duration
from interlock.model.specs import PipelineSpec
from interlock.timing.schedule import schedule_time_at, trigger_deadline_at
from interlock.timing.sla import SlaWindow, sla_window

__all__ = ["check_timers", "next_check_at", "sla_verdict"]

_SLA_DONE = frozenset({RunState.SUCCEEDED, RunState.SHADOWED, RunState.CANCELLED})
_NOT_STARTED = frozenset({RunState.PENDING, RunState.WAITING})
_ALERT_MARKS = {
    EventType.SLA_WARNING: RunMark.SLA_WARNING,
    EventType.SLA_BREACH: RunMark.SLA_BREACH,
    EventType.RELATIVE_SLA_WARNING: RunMark.RELATIVE_SLA_WARNING,
    EventType.RELATIVE_SLA_BREACH: RunMark.RELATIVE_SLA_BREACH,
}
"""The once-only mark of each SLA alert (spelled like the event type, as stored since 63e640c).

Named here rather than derived from the event type, so the success verdict and the timers
test the same mark that the alert sets."""


def check_timers(step: Step) -> None:
    """Fire every timer that is due at ``now`` and has not fired for this run yet."""
    _ensure_sla_window(step)
    if step.dry_run:
        return
    _trigger_deadline(step)
    _schedule_missed(step)
    _irregular_missed(step)
    _sla_alerts(step)
    _relative_sla_alerts(step)


def _ensure_sla_window(step: Step) -> None:
    sla, run = step.pipeline.sla, step.run
    if sla is None or not sla.deadline or run.sla_breach_at is not None:
        return
    window, _ = sla_window(sla, run.partition, run.created_at, None)
    if window is not None:
        step.update(sla_warning_at=window.warning_at, sla_breach_at=window.breach_at)


def _relative_window(step: Step) -> SlaWindow | None:
    """The relative SLA window (from the first trigger reading), if the run has one."""
    sla = step.pipeline.sla
    if sla is None:
        return None
    return sla_window(sla, step.run.partition, step.run.created_at, step.run.first_reading_at)[1]


def _trigger_deadline(step: Step) -> None:
    trigger, run = step.pipeline.schedule.trigger, step.run
    if trigger is None or not trigger.deadline or run.state is not RunState.PENDING:
        return
    if run.opened_by == OpenedBy.CRON:
        return
    at = trigger_deadline_at(run.partition, trigger.deadline, step.pipeline.schedule.timezone)
    if step.now < at:
        return
    step.emit(
        EventType.SENSOR_DEADLINE_EXPIRED,
        f"no trigger reading by {trigger.deadline}",
        triggerDeadline=at.isoformat(),
        actionHint="auto-trigger window closed — use rerun to restart",
    )
    step.move(
        RunState.EXHAUSTED, f"the trigger deadline {trigger.deadline} passed without a trigger"
    )


def _schedule_missed(step: Step) -> None:
    schedule, run = step.pipeline.schedule, step.run
    if not schedule.cron or not schedule.time or step.marked(RunMark.SCHEDULE_MISSED):
        return
    if run.state not in _NOT_STARTED:
        return
    expected = schedule_time_at(run.partition[:10], schedule.time, schedule.timezone)
    if step.now < expected:
        return
    step.mark(RunMark.SCHEDULE_MISSED)
    step.emit(
        EventType.SCHEDULE_MISSED,
        f"not started by {schedule.time}",
        cron=schedule.cron,
        expectedTime=expected.isoformat(),
        actionHint="check the upstream sensors; explain shows what the run waits for",
    )


def _irregular_missed(step: Step) -> None:
    schedule, run = step.pipeline.schedule, step.run
    if not schedule.include_dates or run.partition[:10] not in schedule.include_dates:
        return
    if run.state is not RunState.PENDING or step.marked(RunMark.IRREGULAR_MISSED):
        return
    at = missed_at(step.pipeline, run.partition)
    if step.now < at:
        return
    step.mark(RunMark.IRREGULAR_MISSED)
    step.emit(
        EventType.IRREGULAR_SCHEDULE_MISSED,
        f"inclusion date {run.partition[:10]} has no run",
        expectedTime=at.isoformat(),
        actionHint="check the trigger sensor for this date",
    )


def _sla_alerts(step: Step) -> None:
    run, sla = step.run, step.pipeline.sla
    if sla is None or run.sla_breach_at is None or run.state in _SLA_DONE:
        return
    window = SlaWindow(
        warning_at=run.sla_warning_at or run.sla_breach_at, breach_at=run.sla_breach_at
    )
    detail = {
        "status": run.state.value,
        "deadline": sla.deadline,
        "breachAt": run.sla_breach_at.isoformat(),
        "actionHint": _action_hint(run.state),
    }
    _alert(step, window, EventType.SLA_WARNING, f"at risk of missing {sla.deadline}", detail)
    _alert(step, window, EventType.SLA_BREACH, f"not done by {sla.deadline}", detail)


def _relative_sla_alerts(step: Step) -> None:
    run, sla, window = step.run, step.pipeline.sla, _relative_window(step)
    arrival = run.first_reading_at
    if sla is None or sla.max_duration is None or window is None or arrival is None:
        return
    if run.state in _SLA_DONE:
        return
    detail = {
        "maxDuration": format_duration(sla.max_duration),
        "sensorArrivalAt": arrival.isoformat(),
        "breachAt": window.breach_at.isoformat(),
        "actionHint": _action_hint(run.state),
    }
    _alert(step, window, EventType.RELATIVE_SLA_WARNING, "at risk of exceeding maxDuration", detail)
    _alert(
        step,
        window,
        EventType.RELATIVE_SLA_BREACH,
        "not done within maxDuration of the first reading",
        detail,
    )


def _alert(
    step: Step, window: SlaWindow, kind: EventType, message: str, detail: Mapping[str, object]
) -> None:
    """Fire a warning or a breach once, when due.

    A warning is only said while the run is live and before the breach; past the breach,
    only the breach is said.
    """
    mark = _ALERT_MARKS[kind]
    breach = kind in (EventType.SLA_BREACH, EventType.RELATIVE_SLA_BREACH)
    if step.marked(mark) or step.now < (window.breach_at if breach else window.warning_at):
        return
    if not breach and (step.run.is_terminal or step.now >= window.breach_at):
        return
    step.mark(mark)
    step.emit(kind, message, **detail)


def sla_verdict(step: Step) -> None:
    """On success: ``SLA_MET`` before the breach, else ``SLA_BREACH`` if not already said."""
    run = step.run
    if run.sla_breach_at is None or step.dry_run or step.marked(RunMark.SLA_VERDICT):
        return
    step.mark(RunMark.SLA_VERDICT)
    if step.now < run.sla_breach_at:
        step.emit(
            EventType.SLA_MET,
            "succeeded before the deadline",
            breachAt=run.sla_breach_at.isoformat(),
            marginSeconds=int((run.sla_breach_at - step.now).total_seconds()),
        )
    elif not step.marked(RunMark.SLA_BREACH):
        step.mark(RunMark.SLA_BREACH)
        step.emit(
            EventType.SLA_BREACH,
            "succeeded after the deadline",
            breachAt=run.sla_breach_at.isoformat(),
        )


def _action_hint(state: RunState) -> str:
    if state is RunState.RUNNING:
        return "pipeline running — may complete before breach"
    if state in _NOT_STARTED:
        return "pipeline not started — check sensor data (interlock explain)"
    return "pipeline did not succeed — investigate the job and rerun"


def next_check_at(step: Step) -> datetime | None:
    """The earliest future moment at which a timer of this run can change something."""
    candidates = [t for t in _timers(step) if t is not None and t > step.now]
    return min(candidates, default=None)


def _timers(step: Step) -> list[datetime | None]:
    timers = _state_timers(step)
    timers.append(at_risk_check_at(step))
    if not step.dry_run:
        timers.extend(_sla_timers(step))
        timers.append(_schedule_missed_timer(step))
    return timers


def _state_timers(step: Step) -> list[datetime | None]:
    run, pipeline, job = step.run, step.pipeline, step.pipeline.job
    if run.state is RunState.PENDING:
        return _pending_timers(step)
    if run.state is RunState.WAITING:
        return _waiting_timers(step)
    if run.state in (RunState.LAUNCHING, RunState.RUNNING) and job is not None:
        limit = attempt_limit(pipeline)
        poll_end = run.launched_at + limit if run.launched_at and limit else None
        return [step.now + job.poll_interval, poll_end]
    post_run = pipeline.post_run
    watching = not step.marked(RunMark.POST_RUN_SEEN) and not step.marked(RunMark.POST_RUN_MISSING)
    if run.state is RunState.SUCCEEDED and post_run and run.finished_at and watching:
        return [run.finished_at + post_run.sensor_timeout]
    return []


def _waiting_timers(step: Step) -> list[datetime | None]:
    """Every interval until the window closes; a run opened by the reconciler has no window.

    A run waiting for a backfill slot is not polled: the store wakes it when a slot frees.
    """
    run = step.run
    if step.awaiting_slot:
        return []
    interval = step.pipeline.schedule.evaluation.interval
    if run.window_closes_at is not None:
        return [min(step.now + interval, run.window_closes_at)]
    return [step.now + interval] if run.opened_by is OpenedBy.BACKFILL else []


def attempt_limit(pipeline: PipelineSpec) -> timedelta | None:
    """When a running attempt is given up (None: never).

    The stale limit of a partitioned pipeline, else the job's poll window
    (:func:`~interlock.decide.lifecycle.poll_window_exhausted`).
    """
    if pipeline.partitions is not None:
        return stale_limit(pipeline)
    return pipeline.job.poll_window if pipeline.job is not None else None


def _pending_timers(step: Step) -> list[datetime | None]:
    run, pipeline = step.run, step.pipeline
    timers: list[datetime | None] = [cron_fire(step)]
    trigger = pipeline.schedule.trigger
    if trigger is not None and trigger.deadline and run.opened_by != OpenedBy.CRON:
        tz = pipeline.schedule.timezone
        timers.append(trigger_deadline_at(run.partition, trigger.deadline, tz))
    if pipeline.schedule.include_dates and not step.marked(RunMark.IRREGULAR_MISSED):
        timers.append(missed_at(pipeline, run.partition))
    return timers


def _schedule_missed_timer(step: Step) -> datetime | None:
    schedule, run = step.pipeline.schedule, step.run
    if not schedule.cron or not schedule.time or run.state not in _NOT_STARTED:
        return None
    if step.marked(RunMark.SCHEDULE_MISSED):
        return None
    return schedule_time_at(run.partition[:10], schedule.time, schedule.timezone)


def _sla_timers(step: Step) -> list[datetime | None]:
    run, sla = step.run, step.pipeline.sla
    if sla is None or run.state in _SLA_DONE:
        return []
    timers: list[datetime | None] = []
    if not step.marked(RunMark.SLA_BREACH):
        timers.append(run.sla_breach_at)
        if not step.marked(RunMark.SLA_WARNING) and not run.is_terminal:
            timers.append(run.sla_warning_at)
    window = _relative_window(step)
    if window is not None:
        if not step.marked(RunMark.RELATIVE_SLA_BREACH):
            timers.append(window.breach_at)
        if not step.marked(RunMark.RELATIVE_SLA_WARNING) and not run.is_terminal:
            timers.append(window.warning_at)
    return timers
