"""The event catalog: every event type Interlock emits, with the Go names kept.

Names are those of the Go Interlock (docs/go-compatibility.md, Events) so existing alert routing and
dashboards keep working. ``ALERT_EVENTS`` is the subset the Go version routes to Slack; notifiers
use it as their default filter. Events are immutable records (:class:`interlock.model.Event`).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from interlock.errors import InputError, did_you_mean

__all__ = ["ALERT_EVENTS", "EventType", "catalog_names", "severity"]


class EventType(StrEnum):
    """Every event type, in lifecycle order."""

    RUN_OPENED = "RUN_OPENED"
    VALIDATION_PASSED = "VALIDATION_PASSED"
    VALIDATION_EXHAUSTED = "VALIDATION_EXHAUSTED"
    JOB_TRIGGERED = "JOB_TRIGGERED"
    JOB_COMPLETED = "JOB_COMPLETED"
    JOB_FAILED = "JOB_FAILED"
    RETRY_EXHAUSTED = "RETRY_EXHAUSTED"
    JOB_POLL_EXHAUSTED = "JOB_POLL_EXHAUSTED"
    JOB_STATUS_UNAVAILABLE = "JOB_STATUS_UNAVAILABLE"
    JOB_STATE_UNKNOWN = "JOB_STATE_UNKNOWN"
    JOB_QUEUED_TOO_LONG = "JOB_QUEUED_TOO_LONG"
    INFRA_FAILURE = "INFRA_FAILURE"
    RUN_CANCELLED = "RUN_CANCELLED"
    POST_RUN_BASELINE_CAPTURED = "POST_RUN_BASELINE_CAPTURED"
    BASELINE_CAPTURE_FAILED = "BASELINE_CAPTURE_FAILED"
    POST_RUN_PASSED = "POST_RUN_PASSED"
    POST_RUN_FAILED = "POST_RUN_FAILED"
    POST_RUN_DRIFT = "POST_RUN_DRIFT"
    POST_RUN_DRIFT_INFLIGHT = "POST_RUN_DRIFT_INFLIGHT"
    POST_RUN_SENSOR_MISSING = "POST_RUN_SENSOR_MISSING"
    LATE_DATA_ARRIVAL = "LATE_DATA_ARRIVAL"
    RERUN_ACCEPTED = "RERUN_ACCEPTED"
    RERUN_REJECTED = "RERUN_REJECTED"
    PIPELINE_EXCLUDED = "PIPELINE_EXCLUDED"
    SLA_WARNING = "SLA_WARNING"
    SLA_BREACH = "SLA_BREACH"
    SLA_MET = "SLA_MET"
    RELATIVE_SLA_WARNING = "RELATIVE_SLA_WARNING"
    RELATIVE_SLA_BREACH = "RELATIVE_SLA_BREACH"
    SCHEDULE_MISSED = "SCHEDULE_MISSED"
    IRREGULAR_SCHEDULE_MISSED = "IRREGULAR_SCHEDULE_MISSED"
    SENSOR_DEADLINE_EXPIRED = "SENSOR_DEADLINE_EXPIRED"
    SFN_TIMEOUT = "SFN_TIMEOUT"
    TRIGGER_RECOVERED = "TRIGGER_RECOVERED"
    WATCHDOG_DEGRADED = "WATCHDOG_DEGRADED"
    DATA_DRIFT = "DATA_DRIFT"
    INFRA_ALARM = "INFRA_ALARM"
    DRY_RUN_WOULD_TRIGGER = "DRY_RUN_WOULD_TRIGGER"
    DRY_RUN_LATE_DATA = "DRY_RUN_LATE_DATA"
    DRY_RUN_SLA_PROJECTION = "DRY_RUN_SLA_PROJECTION"
    DRY_RUN_DRIFT = "DRY_RUN_DRIFT"
    DRY_RUN_COMPLETED = "DRY_RUN_COMPLETED"
    DRY_RUN_WOULD_RERUN = "DRY_RUN_WOULD_RERUN"
    DRY_RUN_RERUN_REJECTED = "DRY_RUN_RERUN_REJECTED"
    DRY_RUN_WOULD_RETRY = "DRY_RUN_WOULD_RETRY"
    DRY_RUN_RETRY_EXHAUSTED = "DRY_RUN_RETRY_EXHAUSTED"
    PIPELINE_PAUSED = "PIPELINE_PAUSED"
    """An operator paused the pipeline (``interlock pause``): it launches nothing. Not Go."""
    PIPELINE_RESUMED = "PIPELINE_RESUMED"
    """The pipeline was resumed; its waiting runs are decided again at once. Not Go."""
    DEPENDENCY_ARRIVED = "DEPENDENCY_ARRIVED"
    """A ``dependsOn`` entry of a run moved from WAITING to ARRIVED (which upstream attempt
    it matched). Not Go."""
    UPSTREAM_FAILED = "UPSTREAM_FAILED"
    """An upstream run ended in a state the dependency does not accept; said once per
    upstream attempt. The run still launches if the upstream is retried and succeeds. Not Go."""
    UPSTREAM_RERUN = "UPSTREAM_RERUN"
    """An upstream partition this run consumed succeeded again (``onUpstreamRerun: alert``,
    or a cascade refused by its budget). Not Go."""
    SLA_AT_RISK = "SLA_AT_RISK"
    """The predicted finish along the unmet dependency chain passes the SLA deadline. Not Go."""
    PARTITION_SATISFIED = "PARTITION_SATISFIED"
    """A desired partition's ``complete`` condition holds without a job (a manual load):
    its open run ends as satisfied, naming the readings that made it so. Not Go."""
    PARTITION_MISSING = "PARTITION_MISSING"
    """A partition done once stopped meeting ``complete`` (its output was deleted or shrank):
    names the rule and the reading; a ``missing-output`` rerun follows within
    ``job.maxSelfHeals``. Not Go."""
    RUN_STALE = "RUN_STALE"
    """An attempt worked on a desired partition longer than ``sla.maxDuration`` (or the poll
    window): it is given up as timed out and the partition is eligible again. Not Go."""
    SENSOR_CHECK_FAILED = "SENSOR_CHECK_FAILED"
    """A state checker (``sensors:``) could not look: an error or a timeout. Said once per
    failure streak, with the error text minus secrets; nothing is recorded, so the key's
    last good reading ages normally, and the checker backs off. Not Go."""


_QUIET = {
    EventType.RUN_OPENED,
    EventType.VALIDATION_PASSED,
    EventType.DEPENDENCY_ARRIVED,
    EventType.JOB_TRIGGERED,
    EventType.POST_RUN_BASELINE_CAPTURED,
    EventType.POST_RUN_PASSED,
    EventType.WATCHDOG_DEGRADED,
}
ALERT_EVENTS: frozenset[EventType] = frozenset(set(EventType) - _QUIET)
"""Event types worth a notification (the Go alert routing, docs/go-compatibility.md, Events)."""

_RED = {
    EventType.SLA_BREACH,
    EventType.JOB_FAILED,
    EventType.VALIDATION_EXHAUSTED,
    EventType.RETRY_EXHAUSTED,
    EventType.INFRA_FAILURE,
    EventType.SFN_TIMEOUT,
    EventType.SCHEDULE_MISSED,
    EventType.DATA_DRIFT,
    EventType.JOB_POLL_EXHAUSTED,
    EventType.RELATIVE_SLA_BREACH,
    EventType.SENSOR_DEADLINE_EXPIRED,
    EventType.POST_RUN_FAILED,
    EventType.POST_RUN_DRIFT,
    EventType.POST_RUN_SENSOR_MISSING,
    EventType.IRREGULAR_SCHEDULE_MISSED,
    EventType.UPSTREAM_FAILED,
    EventType.RUN_STALE,
}
_AMBER = {
    EventType.SLA_WARNING,
    EventType.RELATIVE_SLA_WARNING,
    EventType.LATE_DATA_ARRIVAL,
    EventType.JOB_STATUS_UNAVAILABLE,
    EventType.JOB_STATE_UNKNOWN,
    EventType.JOB_QUEUED_TOO_LONG,
    EventType.PIPELINE_PAUSED,
    EventType.SLA_AT_RISK,
    EventType.UPSTREAM_RERUN,
    EventType.PARTITION_MISSING,
    EventType.SENSOR_CHECK_FAILED,
}
_GREEN = {
    EventType.SLA_MET,
    EventType.JOB_COMPLETED,
    EventType.VALIDATION_PASSED,
    EventType.PARTITION_SATISFIED,
}


def severity(event_type: str) -> str:
    """``error`` / ``warning`` / ``ok`` / ``info`` — how CLIs and the dashboard colour an event."""
    if event_type in _RED:
        return "error"
    if event_type in _AMBER:
        return "warning"
    if event_type in _GREEN:
        return "ok"
    return "info"


def catalog_names(names: Iterable[str], *, field: str = "type") -> tuple[str, ...]:
    """Event type names as the catalog spells them (case ignored): a typo is an error.

    A filter on a misspelt type would match nothing and pass for "no such events".

    :raises InputError: for a name not in :class:`EventType` (named as ``field``), with the
        close ones.
    """
    catalog = {t.value.casefold(): t.value for t in EventType}
    wanted = tuple(names)
    for name in wanted:
        if name.casefold() not in catalog:
            hint = did_you_mean(name, catalog.values()) or "; names are upper case, e.g. SLA_BREACH"
            raise InputError(f"no event type {name!r}{hint}", field=field)
    return tuple(catalog[name.casefold()] for name in wanted)
