"""Typed, frozen pipeline specs: what a pipeline YAML file means once loaded.

The YAML follows the Go Interlock schema field for field (camelCase, docs/go-compatibility.md,
Config schema); the loader (:mod:`interlock.config`) checks it and builds these values with the Go
defaults filled in, so the rest of the code never sees raw dicts or missing fields. Pure data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from interlock.model.checkers import SensorCheckSpec
from interlock.model.conditions import AllOf, Condition, condition_keys
from interlock.model.dependencies import DependsOnSpec, UpstreamRerunPolicy
from interlock.model.desired import BackfillSpec, PartitionsSpec

__all__ = [
    "DEFAULT_EVALUATION_INTERVAL",
    "DEFAULT_EVALUATION_WINDOW",
    "CalendarSpec",
    "EvaluationSpec",
    "ExcludeSpec",
    "JobSpec",
    "Pause",
    "PipelineSpec",
    "PostRunSpec",
    "ScheduleSpec",
    "SlaSpec",
    "TriggerSpec",
]

DEFAULT_EVALUATION_WINDOW = timedelta(hours=1)
DEFAULT_EVALUATION_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True, kw_only=True)
class CalendarSpec:
    """A named calendar (``calendars/*.yaml``): days of the week and dates to exclude.

    ``weekdays`` uses Python's numbering (Monday = 0 … Sunday = 6).
    """

    name: str
    weekdays: frozenset[int] = frozenset()
    dates: frozenset[str] = frozenset()
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class TriggerSpec:
    """``schedule.trigger``: the condition whose reading opens a run.

    ``deadline`` (``HH:MM`` or ``:MM`` in the schedule zone) closes the auto-trigger window:
    a partition with no trigger reading by then gets ``SENSOR_DEADLINE_EXPIRED``.
    """

    condition: Condition
    deadline: str | None = None

    @property
    def keys(self) -> frozenset[str]:
        """Sensor keys the trigger condition reads."""
        return condition_keys(self.condition)


@dataclass(frozen=True, kw_only=True)
class EvaluationSpec:
    """``schedule.evaluation``: how long rules are re-checked, and how often."""

    window: timedelta = DEFAULT_EVALUATION_WINDOW
    interval: timedelta = DEFAULT_EVALUATION_INTERVAL


@dataclass(frozen=True, kw_only=True)
class ExcludeSpec:
    """``schedule.exclude``: weekends, exact dates, and country holiday sets (``US``, ``US-NY``)."""

    weekends: bool = False
    dates: frozenset[str] = frozenset()
    holidays: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ScheduleSpec:
    """``schedule``: when runs are expected and what opens them.

    Unlike the Go version, ``cron`` opens a run (and its evaluation window) by itself at each
    fire; a ``trigger`` reading opens one too. ``calendar`` is the resolved named calendar.
    """

    cron: str | None = None
    timezone: str = "UTC"
    trigger: TriggerSpec | None = None
    evaluation: EvaluationSpec = field(default_factory=EvaluationSpec)
    include_dates: tuple[str, ...] = ()
    exclude: ExcludeSpec = field(default_factory=ExcludeSpec)
    calendar: CalendarSpec | None = None
    time: str | None = None


@dataclass(frozen=True, kw_only=True)
class SlaSpec:
    """``sla``: an absolute deadline (``HH:MM`` / ``:MM``) and/or a relative ``maxDuration``.

    The warning comes ``expected_duration`` before the breach, or at 75 % of
    ``max_duration`` for a relative SLA without ``expectedDuration``.
    """

    deadline: str | None = None
    expected_duration: timedelta | None = None
    max_duration: timedelta | None = None
    timezone: str = "UTC"
    critical: bool = False


@dataclass(frozen=True, kw_only=True)
class JobSpec:
    """``job``: which backend launches the work, with its config and retry budgets.

    ``config`` is the backend's own mapping, kept as written (templates such as
    ``${date}`` are expanded at launch time). Budgets default as in Go.
    """

    type: str
    config: Mapping[str, Any] = field(default_factory=dict)
    max_retries: int = 0
    max_code_retries: int = 1
    max_drift_reruns: int = 1
    max_manual_reruns: int = 1
    poll_window: timedelta = timedelta(seconds=3600)
    poll_interval: timedelta = timedelta(seconds=60)
    queued_timeout: timedelta = timedelta(minutes=30)
    """A job still queued (accepted, not started) this long after launch is reported."""
    max_status_refusals: int = 3
    """Consecutive status polls refused (401/403) before the attempt fails for good."""
    max_upstream_reruns: int = 2
    """Reruns a consumed upstream partition succeeding again may cause (``onUpstreamRerun``)."""
    max_self_heals: int = 3
    """Reruns per partition after its ``complete`` condition stopped holding (self-healing)."""


@dataclass(frozen=True, kw_only=True)
class PostRunSpec:
    """``postRun``: rules re-checked after success, and drift detection against a baseline."""

    condition: Condition = field(default_factory=AllOf)
    sensor_timeout: timedelta = timedelta(hours=2)
    drift_field: str = "sensor_count"
    drift_threshold: float = 0.0

    @property
    def keys(self) -> frozenset[str]:
        """Sensor keys the post-run rules read (their readings are baselined)."""
        return condition_keys(self.condition)


@dataclass(frozen=True, kw_only=True)
class Pause:
    """An operator paused the pipeline: nothing is launched until it is resumed.

    Operational state, not config: it is kept in the store beside the config (``interlock
    pause``), survives ``apply`` of a changed YAML, and is laid over the parsed spec as
    :attr:`PipelineSpec.paused`, so ``decide()`` sees it as an input and stays pure.
    """

    at: datetime
    reason: str = ""
    by: str = ""

    def describe(self) -> str:
        """``paused since 2026-11-23T08:00:00+00:00 by ops: maintenance``."""
        text = f"paused since {self.at.isoformat(timespec='seconds')}"
        if self.by:
            text += f" by {self.by}"
        return f"{text}: {self.reason}" if self.reason else text


@dataclass(frozen=True, kw_only=True)
class PipelineSpec:
    """One pipeline YAML file, validated and with defaults filled in.

    ``paused`` is not part of the YAML (nor of ``config_hash``): the store lays it over
    the spec it loads (see :class:`Pause`).
    """

    id: str
    owner: str = ""
    description: str = ""
    schedule: ScheduleSpec = field(default_factory=ScheduleSpec)
    sla: SlaSpec | None = None
    validation: Condition = field(default_factory=AllOf)
    job: JobSpec | None = None
    post_run: PostRunSpec | None = None
    dry_run: bool = False
    depends_on: DependsOnSpec | None = None
    """``dependsOn``: upstream pipelines whose runs must reach a status first (None: none)."""
    on_upstream_rerun: UpstreamRerunPolicy = UpstreamRerunPolicy.RERUN
    partitions: PartitionsSpec | None = None
    """``partitions``: the partitions kept done (desired state); None: runs come from the
    schedule, the triggers and the upstreams only."""
    complete: Condition | None = None
    """``complete``: what "done" means for one partition, read for that partition; None:
    done when its last run succeeded."""
    backfill: BackfillSpec = field(default_factory=BackfillSpec)
    sensors: tuple[SensorCheckSpec, ...] = ()
    """``sensors:``: the state checkers Interlock runs for this pipeline (pull sensors)."""
    source: str = ""
    config_hash: str = ""
    paused: Pause | None = None

    @property
    def sensor_keys(self) -> frozenset[str]:
        """Every sensor key this pipeline reads: a write to any of them may change a decision."""
        keys = set(condition_keys(self.validation))
        if self.schedule.trigger is not None:
            keys |= self.schedule.trigger.keys
        if self.post_run is not None:
            keys |= self.post_run.keys
        if self.complete is not None:
            keys |= condition_keys(self.complete)
        if self.partitions is not None:
            keys |= self.partitions.sensor_keys
        return frozenset(keys)

    @property
    def upstream_ids(self) -> frozenset[str]:
        """The pipelines named in ``dependsOn``: a final state of theirs may wake this one."""
        return self.depends_on.upstream_ids if self.depends_on is not None else frozenset()
