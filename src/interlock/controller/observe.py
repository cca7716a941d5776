"""What the controller tells an operator: a sink of :class:`LogEntry` values, no formatting.

The controller calls :meth:`Sink.emit` after each applied decision (the events that
decision stored, translated by :func:`decision_entries`) and when it resolves a launch a
previous controller left behind (:func:`recovery_entry`). Rendering them as text or JSON
lines is the CLI's business (``interlock.cli.serve_log``); the controller only knows this
small interface, so the loop stays free of formatting and a test can collect entries in a
list.

Entries are built from what is stored, never from job requests: event messages and
handles were masked at the job-runner boundary before they were stored, so nothing secret
reaches a log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from interlock.decide.lifecycle import RETRY_REASON, retry_budget
from interlock.events import EventType, severity
from interlock.model import Decision, Event, FailureCategory, LaunchRecorded, Run, Signal
from interlock.model.specs import PipelineSpec

__all__ = [
    "LEVELS",
    "Level",
    "LogEntry",
    "Sink",
    "decision_entries",
    "recovery_entry",
]

Level = Literal["debug", "info", "warning", "error"]
LEVELS: tuple[Level, ...] = ("debug", "info", "warning", "error")
"""Levels in increasing order: a sink set to ``warning`` drops ``debug`` and ``info``."""

_NAMES: Mapping[str, str] = {
    EventType.RUN_OPENED: "open",
    EventType.JOB_TRIGGERED: "launch",
    EventType.JOB_COMPLETED: "succeeded",
    EventType.JOB_FAILED: "failed",
}
"""The lifecycle events an operator follows, by the short name their log line carries."""

_INFO = frozenset(
    {
        EventType.RUN_CANCELLED,
        EventType.RERUN_ACCEPTED,
        EventType.RERUN_REJECTED,
        EventType.PIPELINE_EXCLUDED,
    }
)
"""Quiet events still worth a line at ``info``: a person asked for them, or a run stopped."""


@dataclass(frozen=True, kw_only=True)
class LogEntry:
    """One thing that happened, for a log line (``interlock.schemas.ServeLogOut`` in JSON)."""

    at: datetime
    level: Level
    event: str
    """``open``, ``launch``, ``succeeded``, ``failed``, ``retry``, ``adopted``,
    ``relaunch``, an event type (``SLA_BREACH``), or a serve-level word (``serve``,
    ``config``, ``log``)."""
    message: str
    pipeline: str | None = None
    partition: str | None = None
    attempt: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


class Sink(Protocol):
    """Where the controller reports what happened; must be safe to call from any thread."""

    def emit(self, entry: LogEntry) -> None:
        """Record one entry (a renderer prints it; a test keeps it)."""


def decision_entries(
    before: Run, decision: Decision, spec: PipelineSpec, now: datetime
) -> list[LogEntry]:
    """The entries for one applied decision: its events, plus a retry when one was scheduled.

    ``before`` is the run as it was claimed: its ``launched_at`` dates the attempt that just
    ended (the decision may already have launched the next one).
    """
    entries = [_event_entry(event, before, spec) for event in decision.events]
    retry = _retry_entry(before, decision, spec, now)
    if retry is not None:
        entries.append(retry)
    return entries


def recovery_entry(run: Run, spec: PipelineSpec, found: Signal | None, now: datetime) -> LogEntry:
    """A LAUNCHING run left by a previous controller, resolved through its backend.

    Found: the job is adopted (its outcome is polled, nothing is launched again). Not found
    (never started): it is started now under the same attempt id. Anything else becomes an
    ``INFRA_FAILURE`` event, logged with the decision that records it.
    """
    job_type = spec.job.type if spec.job else ""
    if isinstance(found, LaunchRecorded):
        event, message = "adopted", f"({job_type}) found after a restart; adopted, not relaunched"
        detail: dict[str, Any] = {"jobType": job_type, "handle": dict(found.handle)}
    elif found is None:
        event, message = "relaunch", f"({job_type}) never started before a restart; starting it now"
        detail = {"jobType": job_type}
    else:
        event, message = "recover", f"({job_type}) outcome after a restart is unknown"
        detail = {"jobType": job_type}
    return LogEntry(
        at=now,
        level="info",
        event=event,
        pipeline=run.pipeline_id,
        partition=run.partition,
        attempt=run.attempt,
        message=message,
        detail=detail,
    )


def _event_entry(event: Event, before: Run, spec: PipelineSpec) -> LogEntry:
    detail: dict[str, Any] = {"type": str(event.type), **event.detail}
    name = _NAMES.get(event.type, str(event.type))
    level = _level(event.type)
    if event.type == EventType.JOB_TRIGGERED:
        detail["jobType"] = spec.job.type if spec.job else None
    elif event.type in (EventType.JOB_COMPLETED, EventType.JOB_FAILED):
        duration = _duration(before.launched_at, event.at)
        if duration is not None:
            detail["durationSeconds"] = round(duration.total_seconds(), 3)
    attempt = event.detail.get("attempt")
    return LogEntry(
        at=event.at,
        level=level,
        event=name,
        pipeline=event.pipeline_id,
        partition=event.partition,
        attempt=attempt if isinstance(attempt, int) else None,
        message=event.message,
        detail=detail,
    )


def _level(event_type: str) -> Level:
    graded = severity(event_type)
    if graded == "error":
        return "error"
    if graded == "warning":
        return "warning"
    if event_type in _NAMES or event_type in _INFO:
        return "info"
    return "debug"


def _duration(start: datetime | None, end: datetime) -> timedelta | None:
    return end - start if start is not None and end >= start else None


def _retry_entry(
    before: Run, decision: Decision, spec: PipelineSpec, now: datetime
) -> LogEntry | None:
    """A failed attempt sent back to WAITING for an automatic retry (no event says so)."""
    after = decision.run
    retries = after.rerun_count(RETRY_REASON)
    if retries <= before.rerun_count(RETRY_REASON):
        return None
    failed = next((e for e in decision.events if e.type == EventType.JOB_FAILED), None)
    category = FailureCategory.reported(failed.detail.get("category") if failed else None)
    _, budget = retry_budget(spec.job, category)
    attempt = before.attempt + 1
    launching = bool(decision.launches)
    when = "launching now" if launching else "when the rules hold again"
    return LogEntry(
        at=now,
        level="warning",
        event="retry",
        pipeline=after.pipeline_id,
        partition=after.partition,
        attempt=attempt,
        message=f"retry {retries} of {budget} scheduled as attempt {attempt}, {when}",
        detail={"retry": retries, "budget": budget, "previousAttempt": before.attempt},
    )
