"""Frozen values shared by every layer: readings, runs, events, decisions and their inputs.

These are the nouns of the glossary in docs/architecture.md. Everything here is immutable and holds
aware datetimes only; transitions produce new values with :func:`dataclasses.replace`.

The pure core's contract::

    decide(pipeline, run, readings, upstream, now, signals) -> Decision

``signals`` are the things that happened to a run that are not readings (a job reported its
status, a rerun was requested, a launch was recorded). ``Decision`` holds the next ``Run``,
the events to append, the actions to perform (launches, runs to open) and the explanation;
the controller commits all of it in one transaction, then performs the actions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, TypeAlias

from interlock.model.conditions import Evaluation

__all__ = [
    "FAILURE_CATEGORIES",
    "LEGACY_MARKS",
    "STATE_SEEN_PREFIX",
    "TERMINAL_STATES",
    "Action",
    "CancelRequested",
    "Decision",
    "Event",
    "Explanation",
    "FailureCategory",
    "JobReported",
    "LaunchFailed",
    "LaunchJob",
    "LaunchRecorded",
    "LaunchUnknown",
    "OpenRun",
    "OpenedBy",
    "Reading",
    "ReadingSet",
    "RerunRecord",
    "RerunRequested",
    "Run",
    "RunMark",
    "RunState",
    "Signal",
]


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        msg = f"{name} must be a timezone-aware datetime, got {value!r}"
        raise ValueError(msg)


@dataclass(frozen=True, kw_only=True)
class Reading:
    """The latest value of one sensor (``key``), for one partition or undated.

    ``pipeline_id`` is None for a shared reading (visible to every pipeline whose rules name
    the key). ``updated_at`` is when Interlock accepted it; a rule on the field
    ``updatedAt`` sees the sensor's own ``updatedAt`` field if it sent one, else this time.
    """

    key: str
    data: Mapping[str, Any]
    updated_at: datetime
    partition: str | None = None
    pipeline_id: str | None = None
    ref: int | None = None
    """The store's id for this reading in its history (provenance of launches), if stored."""

    def __post_init__(self) -> None:
        _require_aware("updated_at", self.updated_at)

    def field_value(self, name: str) -> tuple[bool, Any]:
        """``(present, value)`` of a field; ``updatedAt`` falls back to the arrival time."""
        if name in self.data:
            return True, self.data[name]
        if name == "updatedAt":
            return True, self.updated_at.isoformat()
        return False, None


@dataclass(frozen=True)
class ReadingSet:
    """Readings loaded for one run, resolved per the Go semantics.

    A run for partition P sees, for each key, the reading for P when there is one, otherwise
    the key's latest undated reading. Pipeline-specific readings win over shared ones.
    """

    readings: tuple[Reading, ...] = ()

    @classmethod
    def of(cls, readings: Iterable[Reading]) -> ReadingSet:
        """Build from any iterable of readings."""
        return cls(tuple(readings))

    def view(self, partition: str | None) -> Mapping[str, Reading]:
        """Key → the reading a run for ``partition`` sees."""
        best: dict[str, tuple[tuple[bool, bool], Reading]] = {}
        for reading in self.readings:
            if reading.partition is not None and reading.partition != partition:
                continue
            rank = (reading.partition is not None, reading.pipeline_id is not None)
            if reading.key not in best or rank > best[reading.key][0]:
                best[reading.key] = (rank, reading)
        return {key: reading for key, (_, reading) in best.items()}


class RunState(StrEnum):
    """Where a run is in its life (docs/architecture.md)."""

    PENDING = "PENDING"
    """Expected, but its window has not opened (waiting for a cron fire or a trigger reading)."""
    WAITING = "WAITING"
    """Window open; the validation rules are re-evaluated every interval."""
    LAUNCHING = "LAUNCHING"
    """Launch decided and the attempt recorded; the backend call is outstanding."""
    RUNNING = "RUNNING"
    """The backend accepted the job; it is polled until it finishes."""
    SUCCEEDED = "SUCCEEDED"
    """The job succeeded; post-run checks, late data and drift are still watched."""
    FAILED = "FAILED"
    """The job failed and no retry budget is left (or the launch state became unknown)."""
    EXHAUSTED = "EXHAUSTED"
    """The window closed (or the trigger deadline passed) without the rules holding."""
    CANCELLED = "CANCELLED"
    """Cancelled by a person."""
    SHADOWED = "SHADOWED"
    """Dry-run: the job would have launched here; late data and drift are still watched."""


TERMINAL_STATES = frozenset(
    {RunState.SUCCEEDED, RunState.FAILED, RunState.EXHAUSTED, RunState.CANCELLED, RunState.SHADOWED}
)
"""States in which no job is launched or running (a rerun may still reopen the run)."""


class OpenedBy(StrEnum):
    """What opened a run; stored as the value, so the spellings are those of every database.

    The trigger deadline and the calendar treat a run opened by its cron fire differently
    (its date is the partition's, not the wall clock's); the rest is shown to people.
    """

    CRON = "cron"
    """The cron fire of the run's partition opened it."""
    TRIGGER = "trigger"
    """A trigger reading opened it (or created it: a trigger reading for a new partition)."""
    SCHEDULE = "schedule"
    """Planned ahead as an expected run: an inclusion date, or a deadline with no cron."""
    MANUAL = "manual"
    """A rerun request opened a run that had never opened."""
    UPSTREAM = "upstream"
    """An upstream run reached a status for this partition (a ``dependsOn`` pipeline with
    no cron or trigger of its own)."""
    BACKFILL = "backfill"
    """The reconciler opened it for a desired partition that is not done (``partitions``);
    its ``attempt_reason`` says why: ``backfill``, ``missing-output``, ``retry-failed``,
    ``stale``."""
    TESTING = "testing"
    """Built by :mod:`interlock.testing` for a unit test."""
    UNKNOWN = ""
    """Not opened yet, or stored by a version that did not record it."""


class FailureCategory(StrEnum):
    """Why an attempt failed; the value is what the store, the events and the CLI show.

    The first five are what a job may *report* (:data:`FAILURE_CATEGORIES`). ``UNKNOWN`` is
    never reported: Interlock sets it itself when it cannot tell whether a launch happened.
    """

    TRANSIENT = "TRANSIENT"
    """The default: retried within ``maxRetries``."""
    PERMANENT = "PERMANENT"
    """A code or configuration error: retried within ``maxCodeRetries``."""
    TIMEOUT = "TIMEOUT"
    """The job ran too long (or its poll window passed): retried within ``maxRetries``."""
    CANCELLED = "CANCELLED"
    """Stopped in the job system, an operator's decision: never retried automatically."""
    AUTH = "AUTH"
    """The job system refused the credentials: retrying with the same ones cannot help."""
    UNKNOWN = "UNKNOWN"
    """The launch outcome is unknown (a crash between deciding and recording a launch)."""

    @classmethod
    def reported(cls, value: str | None) -> FailureCategory:
        """The category of a reported failure: ``TRANSIENT`` when none (or none known) is given.

        Signals carry the job's own word as a string (every edge validates it against
        :data:`FAILURE_CATEGORIES`); an unknown word is retried within ``maxRetries`` exactly
        like ``TRANSIENT``, so naming it that keeps the decision and makes the type precise.
        """
        try:
            return cls(value) if value else cls.TRANSIENT
        except ValueError:
            return cls.TRANSIENT


class RunMark(StrEnum):
    """The once-only cursors of a run (:attr:`Run.marks`): each alert fires once per run.

    The values are the spellings stored in every database, so they are kept as they are,
    hyphens and underscores alike: the four SLA alert marks are spelled like their event
    types (``sla_breach`` for ``SLA_BREACH``). Runs stored before those four were renamed
    spelled them with hyphens (``sla-breach``); :data:`LEGACY_MARKS` maps those, and the
    store's codec reads both. Marks that carry a value are built by the static helpers
    (:meth:`state_seen`).
    """

    PLANNED_NEXT = "planned-next"
    """The run planned its successor (the next expected run is opened once)."""
    SCHEDULE_MISSED = "schedule-missed"
    """``SCHEDULE_MISSED`` was said (or the whole window passed unobserved)."""
    IRREGULAR_MISSED = "irregular-missed"
    """``IRREGULAR_SCHEDULE_MISSED`` was said for an inclusion date with no run."""
    SLA_WARNING = "sla_warning"
    """``SLA_WARNING`` was said."""
    SLA_BREACH = "sla_breach"
    """``SLA_BREACH`` was said (before or on success)."""
    RELATIVE_SLA_WARNING = "relative_sla_warning"
    """``RELATIVE_SLA_WARNING`` was said."""
    RELATIVE_SLA_BREACH = "relative_sla_breach"
    """``RELATIVE_SLA_BREACH`` was said."""
    SLA_VERDICT = "sla-verdict"
    """The success was judged against the deadline (``SLA_MET`` or a late ``SLA_BREACH``)."""
    POST_RUN_SEEN = "post-run-seen"
    """The post-run readings arrived and were checked once (a rerun clears it)."""
    POST_RUN_MISSING = "post-run-missing"
    """The post-run readings did not arrive in time, said once (a rerun clears it)."""
    OUTCOME_UNKNOWN = "outcome-unknown"
    """The run failed because its job's outcome is unknown: a job report may settle it."""
    STATUS_UNAVAILABLE = "status-unavailable"
    """A streak of unreadable status polls is under way (said once; a readable poll ends it)."""
    QUEUED_TOO_LONG = "queued-too-long"
    """``JOB_QUEUED_TOO_LONG`` was said."""
    SLA_AT_RISK = "sla_at_risk"
    """``SLA_AT_RISK`` was said (the predicted finish passed the deadline)."""
    SATISFIED = "satisfied"
    """The run ended without a job: its partition's ``complete`` condition already held."""
    COMPLETE_SEEN = "complete-seen"
    """The partition's ``complete`` condition held after this run succeeded (self-healing
    watches for it to stop holding; a ``missing-output`` rerun clears it)."""
    PARTITION_MISSING = "partition-missing"
    """``PARTITION_MISSING`` was said for the current disappearance (cleared when the
    condition holds again, or by the ``missing-output`` rerun it caused)."""
    RUN_STALE = "run-stale"
    """``RUN_STALE`` was said: the attempt ran past the partition's stale limit."""

    @staticmethod
    def state_seen(value: str) -> str:
        """The mark of a job state no status list names, once reported (``state-seen:<value>``).

        One per state value, so each new unrecognised value is reported once.
        """
        return f"{STATE_SEEN_PREFIX}{value}"


STATE_SEEN_PREFIX = "state-seen:"
"""Prefix of the parametrised :meth:`RunMark.state_seen` marks."""

LEGACY_MARKS: Mapping[str, RunMark] = {
    "sla-warning": RunMark.SLA_WARNING,
    "sla-breach": RunMark.SLA_BREACH,
    "relative-sla-warning": RunMark.RELATIVE_SLA_WARNING,
    "relative-sla-breach": RunMark.RELATIVE_SLA_BREACH,
}
"""Spellings stored by versions before the SLA marks took their event types' names.

Without this, such a run would not know it had already said its SLA alerts, and would say
them again after an upgrade.
"""


@dataclass(frozen=True, kw_only=True)
class RerunRecord:
    """One accepted retry or rerun; budgets count these by ``reason``."""

    reason: str
    at: datetime
    attempt: int
    cause: str = ""
    """What caused it, when something else did: the upstream attempt id of an
    ``upstream-rerun`` (``listings/2026-11-22/2``)."""


@dataclass(frozen=True, kw_only=True)
class Run:
    """One pipeline and partition, from opening to its final state.

    The fields after ``state`` are the run's persisted cursors: everything ``decide()`` needs
    to remember between calls (when the window closes, which once-only alerts were sent, the
    post-run baseline), so the core stays a pure function of its inputs.
    """

    pipeline_id: str
    partition: str
    state: RunState = RunState.PENDING
    created_at: datetime
    opened_by: OpenedBy = OpenedBy.UNKNOWN
    """What opened the run (``cron``, ``trigger``, ``schedule``, …); see :class:`OpenedBy`."""
    opened_at: datetime | None = None
    window_closes_at: datetime | None = None
    next_check_at: datetime | None = None
    attempt: int = 0
    """Number of the current (or last) attempt, 1-based; 0 before the first launch."""
    attempt_reason: str = ""
    launched_at: datetime | None = None
    finished_at: datetime | None = None
    failure_category: FailureCategory | None = None
    """Why the last attempt failed; None while it has not failed."""
    reruns: tuple[RerunRecord, ...] = ()
    first_reading_at: datetime | None = None
    """T0 of a relative SLA: when the first trigger reading for this partition arrived."""
    sla_warning_at: datetime | None = None
    sla_breach_at: datetime | None = None
    marks: frozenset[str] = frozenset()
    """Once-only cursors (:class:`RunMark`: ``sla_warning``, ``schedule-missed``, …): an alert
    fires once per run. Strings, not only members, because some marks carry a value."""
    baseline: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    status_refusals: int = 0
    """Consecutive status polls whose credentials were refused (a good poll resets it)."""
    post_run_cursor: datetime | None = None
    """Newest post-run reading already checked; only newer readings are checked again."""
    trigger_cursor: datetime | None = None
    """Newest trigger reading already consumed; a newer one after success is late data."""
    upstream_seen: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """``dependsOn`` entries that arrived: dependency label → the upstream attempt ids it
    matched (``listings/2026-11-22/1``). Frozen at launch, it is what the attempt consumed:
    a newer success of one of them after this run succeeded is an upstream rerun."""
    version: int = 0
    """Optimistic-concurrency counter kept by the store."""

    def __post_init__(self) -> None:
        for name in ("created_at", "opened_at", "window_closes_at", "next_check_at"):
            _require_aware(name, getattr(self, name))

    @property
    def is_terminal(self) -> bool:
        """True once no job is launched or running for this run."""
        return self.state in TERMINAL_STATES

    @property
    def attempt_id(self) -> str:
        """The idempotency key of the current attempt: ``pipeline/partition/attempt``."""
        return f"{self.pipeline_id}/{self.partition}/{self.attempt}"

    def rerun_count(self, *reasons: str) -> int:
        """How many accepted reruns had one of ``reasons``."""
        return sum(1 for rerun in self.reruns if rerun.reason in reasons)


@dataclass(frozen=True, kw_only=True)
class Event:
    """An immutable record of something that happened (``JOB_TRIGGERED``, ``SLA_BREACH``, …)."""

    type: str
    pipeline_id: str
    partition: str | None
    at: datetime
    message: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require_aware("at", self.at)


# Signals: things that happened to a run and are not readings.


FAILURE_CATEGORIES: tuple[str, ...] = tuple(
    category.value for category in FailureCategory if category is not FailureCategory.UNKNOWN
)
"""What a failed job may report: ``PERMANENT`` is retried within ``maxCodeRetries``,
``TRANSIENT`` and ``TIMEOUT`` within ``maxRetries``; ``CANCELLED`` (stopped in the job
system) and ``AUTH`` (credentials refused) are never retried automatically. ``UNKNOWN`` is
not among them: only Interlock itself says it (the CLI and ``simulate`` accept these)."""


@dataclass(frozen=True, kw_only=True)
class JobReported:
    """A job's status, from a poll or from the job itself (``interlock job report``)."""

    attempt: int
    status: Literal["running", "succeeded", "failed"]
    at: datetime
    category: str | None = None
    """For failures, one of :data:`FAILURE_CATEGORIES`: ``TRANSIENT`` (default),
    ``PERMANENT`` (``maxCodeRetries``), ``TIMEOUT``, ``CANCELLED`` (stopped in the job system:
    never retried) or ``AUTH`` (credentials refused: never retried with the same ones)."""
    message: str = ""
    unavailable: bool = False
    """The status could not be read this time (``message`` says why); the job may run on."""
    refused: bool = False
    """…because the job system refused the credentials (HTTP 401/403)."""
    phase: str = ""
    """For a running job, the backend's word for where it is: ``queued`` before it starts."""
    state_value: str = ""
    """The state exactly as the job system reported it (``queued``, ``RUNNING``, …)."""
    unrecognised: bool = False
    """``state_value`` is in none of the backend's configured lists (counted as running)."""


@dataclass(frozen=True, kw_only=True)
class LaunchRecorded:
    """The backend accepted the launch of ``attempt``; the run is now polled."""

    attempt: int
    at: datetime
    handle: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class LaunchFailed:
    """The backend refused the launch of ``attempt`` (after its own transient retries)."""

    attempt: int
    at: datetime
    message: str
    category: str = FailureCategory.TRANSIENT
    """One of :data:`FAILURE_CATEGORIES` (a string: the controller's word for the error)."""


@dataclass(frozen=True, kw_only=True)
class LaunchUnknown:
    """After a crash, nobody can tell whether ``attempt`` was launched: raise, never relaunch."""

    attempt: int
    at: datetime
    message: str = ""


@dataclass(frozen=True, kw_only=True)
class RerunRequested:
    """A person or an automation asked to run this partition again."""

    reason: str
    at: datetime
    force: bool = False
    """An operator's ``rerun --force``: skips the freshness breaker and the partition and
    calendar checks, never the budget (:mod:`interlock.decide.verdicts`)."""


@dataclass(frozen=True, kw_only=True)
class CancelRequested:
    """A person cancelled the run."""

    at: datetime
    reason: str = ""


Signal: TypeAlias = (
    JobReported | LaunchRecorded | LaunchFailed | LaunchUnknown | RerunRequested | CancelRequested
)


# Actions: effects the controller performs after committing a decision.


@dataclass(frozen=True, kw_only=True)
class LaunchJob:
    """Start attempt ``attempt`` of the run; ``attempt_id`` is the backend's idempotency key."""

    pipeline_id: str
    partition: str
    attempt: int
    attempt_id: str
    kind: Literal["launch"] = "launch"


@dataclass(frozen=True, kw_only=True)
class OpenRun:
    """Make sure a run exists for ``partition`` (the next cron fire, an expected date)."""

    pipeline_id: str
    partition: str
    check_at: datetime
    opened_by: OpenedBy
    kind: Literal["open"] = "open"


Action: TypeAlias = LaunchJob | OpenRun


@dataclass(frozen=True, kw_only=True)
class Explanation:
    """Why the decision is what it is, in words and as evaluated condition trees."""

    summary: str
    waiting_for: str = ""
    until: datetime | None = None
    validation: Evaluation | None = None
    trigger: Evaluation | None = None
    validation_note: str = ""
    """Why ``validation`` decided nothing yet (a run not open: the rules against the
    current readings, for information), e.g. ``not yet checked: waiting for the trigger``."""
    dependencies: Mapping[str, Any] | None = None
    """``dependsOn``, checked (``DependencyEvaluation.to_dict``): each dependency's status,
    the upstream runs it matched and why; None for a pipeline without dependencies."""
    checkers: tuple[str, ...] = ()
    """A note for each key the rules read whose state checker's last check failed
    (``output: last checked 40 min ago, connection refused``). Never set by ``decide()``:
    ``explain`` adds it from the checkers' stored status, so a stale reading is not mistaken
    for a fresh one."""

    def to_dict(self) -> Mapping[str, Any]:
        """JSON-ready form, stored with the run and shown by ``explain``.

        The one builder of this shape: the store persists it, and
        :class:`interlock.schemas.ExplanationOut` (the CLI's and the HTTP API's model)
        validates it rather than building it again, since the core cannot import pydantic.
        """
        return {
            "summary": self.summary,
            "waitingFor": self.waiting_for,
            "until": self.until.isoformat() if self.until else None,
            "validation": self.validation.to_dict() if self.validation else None,
            "trigger": self.trigger.to_dict() if self.trigger else None,
            "validationNote": self.validation_note,
            "dependencies": None if self.dependencies is None else dict(self.dependencies),
            **({"checkers": list(self.checkers)} if self.checkers else {}),
        }


@dataclass(frozen=True, kw_only=True)
class Decision:
    """The output of ``decide()``: apply all of it in one transaction, then do the actions."""

    run: Run
    events: tuple[Event, ...] = ()
    actions: tuple[Action, ...] = ()
    explanation: Explanation
    settled: bool = False
    """The run came to rest in this decision (entered SUCCEEDED, FAILED, EXHAUSTED or
    CANCELLED, or a new attempt did): the pipelines that depend on it must be woken, in the
    same transaction that stores it, so no wake-up is lost to a crash."""

    @property
    def next_check_at(self) -> datetime | None:
        """The next moment anything can change for this run without a new input."""
        return self.run.next_check_at

    @property
    def launches(self) -> tuple[LaunchJob, ...]:
        """The launch actions (at most one per decision)."""
        return tuple(a for a in self.actions if isinstance(a, LaunchJob))

    @property
    def event_types(self) -> tuple[str, ...]:
        """The types of the emitted events, in order (handy in tests and logs)."""
        return tuple(e.type for e in self.events)
