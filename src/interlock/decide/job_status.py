"""What a poll of a running job says besides "still running": pure.

A status poll is not always an answer. The job system may be unreachable or refuse the
credentials (the status is *unavailable*: the job may be fine, or may have finished); it may
report a state nobody configured (*unrecognised*: counted as running, but a person should
look); or the job may sit *queued*, accepted but not started, e.g. on a paused Airflow DAG.
Each is reported once per occurrence, never once per poll:

- ``JOB_STATUS_UNAVAILABLE`` once per streak of unreadable polls (the streak ends at the
  next readable one); credentials refused ``job.maxStatusRefusals`` times in a row fail
  the attempt with category ``AUTH``, which is never retried with the same credentials;
- ``JOB_STATE_UNKNOWN`` once per state value never seen before for the run;
- ``JOB_QUEUED_TOO_LONG`` once, when the job is still queued ``job.queuedTimeout`` after
  its launch.
"""

from __future__ import annotations

from interlock.events import EventType
from interlock.model import FailureCategory, JobReported, RunMark
from interlock.model.durations import format_duration

from .step import Step

__all__ = ["AUTH", "CANCELLED", "NEVER_RETRIED", "observe_poll", "refusal_failure"]

CANCELLED = FailureCategory.CANCELLED
"""Failure category of a job stopped in the job system (an operator's decision)."""
AUTH = FailureCategory.AUTH
"""Failure category of credentials the job system refused (the controller names it too)."""
NEVER_RETRIED: frozenset[FailureCategory] = frozenset({CANCELLED, AUTH})
"""Categories no automatic retry can help: a person has to act first."""


def observe_poll(step: Step, signal: JobReported) -> bool:
    """Record what a poll of the RUNNING attempt says; True if it answered nothing final.

    Unavailable polls are reported (once per streak) and counted; any readable poll ends the
    streak. For a running job, unrecognised states and a long queue are reported once.
    """
    if signal.unavailable:
        _unavailable(step, signal)
        return True
    if step.marked(RunMark.STATUS_UNAVAILABLE) or step.run.status_refusals:
        step.unmark(RunMark.STATUS_UNAVAILABLE)
        step.update(status_refusals=0)
    if signal.status == "running":
        _unrecognised(step, signal)
        _queued_too_long(step, signal)
        return True
    return False


def refusal_failure(step: Step) -> str | None:
    """The failure message once the credentials were refused too often in a row, else None."""
    job = step.pipeline.job
    limit = job.max_status_refusals if job else 1
    refusals = step.run.status_refusals
    if refusals < limit:
        return None
    return f"status polls refused {refusals} times in a row; check the job's credentials"


def _unavailable(step: Step, signal: JobReported) -> None:
    refusals = step.run.status_refusals + 1 if signal.refused else 0
    step.update(status_refusals=refusals)
    if step.marked(RunMark.STATUS_UNAVAILABLE):
        return
    step.mark(RunMark.STATUS_UNAVAILABLE)
    step.emit(
        EventType.JOB_STATUS_UNAVAILABLE,
        f"job status unavailable: {signal.message}" if signal.message else "job status unavailable",
        attempt=step.run.attempt,
        refused=signal.refused or None,
        actionHint="the job may still be running; Interlock keeps polling"
        if not signal.refused
        else "the job system refused the credentials: check them",
    )


def _unrecognised(step: Step, signal: JobReported) -> None:
    if not signal.unrecognised or not signal.state_value:
        return
    mark = RunMark.state_seen(signal.state_value)
    if step.marked(mark):
        return
    step.mark(mark)
    step.emit(
        EventType.JOB_STATE_UNKNOWN,
        f"the job reports state {signal.state_value!r}, which no status list names;"
        " counted as running",
        attempt=step.run.attempt,
        state=signal.state_value,
        actionHint="add it to the job's runningValues, successValues or failureValues",
    )


def _queued_too_long(step: Step, signal: JobReported) -> None:
    run, job = step.run, step.pipeline.job
    if signal.phase != "queued" or job is None or run.launched_at is None:
        return
    if step.now < run.launched_at + job.queued_timeout or step.marked(RunMark.QUEUED_TOO_LONG):
        return
    step.mark(RunMark.QUEUED_TOO_LONG)
    step.emit(
        EventType.JOB_QUEUED_TOO_LONG,
        f"the job is still queued {format_duration(job.queued_timeout)} after its launch"
        f" (state {signal.state_value!r})",
        attempt=run.attempt,
        state=signal.state_value or None,
        actionHint="is the DAG or deployment paused, or the pool full?",
    )
