"""Build a :class:`PipelineSpec` from a parsed document, section by section.

One function per YAML section, each reading its keys through the :class:`Checker`, so every
problem in a file is found in one pass. Go's ``ValidatePipelineConfig`` checks
(docs/go-compatibility.md) run after the sections, on the raw presence of fields, so one bad
value does not hide or fake a cross-field error. Where Go silently falls back (unknown time zone
→ UTC, ``validation.trigger: SOME`` → ALL, an unparseable window → 1h), we report an error
instead: a safety controller must not guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Literal

from interlock.config._check import Checker
from interlock.config._depends import OwnPartitions, read_depends_on, read_rerun_policy
from interlock.config._jobs import JOB_TYPES, check_config, check_type
from interlock.config._partitions import (
    DESIRED_STATE_KEYS,
    check_desired_state,
    read_backfill,
    read_complete,
    read_partitions,
)
from interlock.config._rules import compile_items, read_rule_block
from interlock.config._schedule import (
    build_schedule,
    read_clock,
    read_evaluation,
    read_timezone,
)
from interlock.config._sensors import read_sensors
from interlock.config._yaml import YamlPath
from interlock.model.conditions import AllOf, Condition
from interlock.model.desired import PartitionsSpec
from interlock.model.specs import (
    CalendarSpec,
    JobSpec,
    PipelineSpec,
    PostRunSpec,
    ScheduleSpec,
    SlaSpec,
)
from interlock.timing.schedule import partition_granularity

__all__ = ["JOB_TYPES", "build_pipeline"]

_ROOT_KEYS = (
    "pipeline",
    "schedule",
    "sla",
    "validation",
    "job",
    "postRun",
    "dryRun",
    "dependsOn",
    "onUpstreamRerun",
    *DESIRED_STATE_KEYS,
    "sensors",
)
_PIPELINE_KEYS = ("id", "owner", "description")
_SLA_KEYS = ("deadline", "expectedDuration", "maxDuration", "timezone", "critical")
_JOB_KEYS = (
    "type",
    "config",
    "maxRetries",
    "maxCodeRetries",
    "maxDriftReruns",
    "maxManualReruns",
    "jobPollWindowSeconds",
    "pollInterval",
    "queuedTimeout",
    "maxStatusRefusals",
    "maxUpstreamReruns",
    "maxSelfHeals",
)
_POST_RUN_KEYS = ("rules", "evaluation", "sensorTimeout", "driftField", "driftThreshold")
_MAX_DURATION_LIMIT = timedelta(hours=24)
_DEFAULT_POLL_WINDOW_SECONDS = 3600


def build_pipeline(
    c: Checker, data: object, calendars: Mapping[str, CalendarSpec]
) -> PipelineSpec | None:
    """The spec of one document, or ``None`` when ``c.problems`` says why not."""
    if data is not None and not isinstance(data, dict):
        c.expect((), data, "a mapping", "start with `pipeline:` and `id:` under it", line=1)
        return None
    root = c.mapping((), data or {}, _ROOT_KEYS) or {}
    meta = _pipeline_meta(c, root.get("pipeline"))
    schedule = build_schedule(c, root.get("schedule"), calendars)
    sla = _sla(c, root.get("sla"))
    validation = _validation(c, root.get("validation"))
    job = _job(c, root.get("job"))
    post_run = _post_run(c, root.get("postRun"))
    dry_run = c.boolean(("dryRun",), root.get("dryRun"))
    partitions = read_partitions(c, root.get("partitions"), default_zone=schedule.timezone)
    complete = read_complete(c, root)
    backfill = read_backfill(c, root.get("backfill"))
    own = OwnPartitions(
        pipeline_id=meta[0], granularity=_own_granularity(partitions, schedule, sla)
    )
    depends_on = read_depends_on(c, root, own)
    rerun_policy = read_rerun_policy(
        c, root.get("onUpstreamRerun"), has_depends_on="dependsOn" in root
    )
    sensors = read_sensors(c, root.get("sensors"), pipeline_id=meta[0])
    _cross_checks(c, root)
    check_desired_state(c, root)
    if c.problems or meta[0] is None:
        return None
    return PipelineSpec(
        id=meta[0],
        owner=meta[1],
        description=meta[2],
        schedule=schedule,
        sla=sla,
        validation=validation,
        job=job,
        post_run=post_run,
        dry_run=bool(dry_run),
        depends_on=depends_on,
        on_upstream_rerun=rerun_policy,
        partitions=partitions,
        complete=complete,
        backfill=backfill,
        sensors=sensors,
    )


def _own_granularity(
    partitions: PartitionsSpec | None, schedule: ScheduleSpec, sla: SlaSpec | None
) -> Literal["hourly", "daily"] | None:
    """How long this pipeline's partitions are: declared ones say so themselves.

    Without ``partitions`` it is what the schedule and the SLA imply (as the decide core
    reads it), so a ``dependsOn`` offset is checked against the partitions runs will have.
    """
    if partitions is not None:
        return partitions.time.granularity.value
    return partition_granularity(schedule, sla)


def _pipeline_meta(c: Checker, raw: object) -> tuple[str | None, str, str]:
    """``pipeline``: the required ``id``, and the optional ``owner`` and ``description``."""
    path: YamlPath = ("pipeline",)
    section = c.mapping(path, raw, _PIPELINE_KEYS)
    if section is None:
        if raw is None:
            fix = "add `pipeline:` with `id: <name>` under it"
            c.report((*path, "id"), "missing required field", fix, line=1)
        return None, "", ""
    pipeline_id = c.string((*path, "id"), section.get("id"), required=True)
    owner = c.string((*path, "owner"), section.get("owner")) or ""
    description = c.string((*path, "description"), section.get("description")) or ""
    return pipeline_id, owner, description


def _sla(c: Checker, raw: object) -> SlaSpec | None:
    """``sla``: absolute ``deadline`` and/or relative ``maxDuration`` (≤ 24h)."""
    path: YamlPath = ("sla",)
    section = c.mapping(path, raw, _SLA_KEYS)
    if section is None:
        return None
    return SlaSpec(
        deadline=read_clock(c, (*path, "deadline"), section.get("deadline"), hour_required=False),
        expected_duration=c.duration(
            (*path, "expectedDuration"), section.get("expectedDuration"), allow_zero=True
        ),
        max_duration=_max_duration(c, section.get("maxDuration")),
        timezone=read_timezone(c, (*path, "timezone"), section.get("timezone")),
        critical=bool(c.boolean((*path, "critical"), section.get("critical"))),
    )


def _max_duration(c: Checker, raw: object) -> timedelta | None:
    """``sla.maxDuration``: a relative SLA of at most 24h from the first sensor arrival."""
    path: YamlPath = ("sla", "maxDuration")
    duration = c.duration(path, raw, capped=False)
    if duration is not None and duration > _MAX_DURATION_LIMIT:
        c.report(path, f"exceeds 24h ({raw})", "use at most 24h")
        return None
    return duration


def _validation(c: Checker, raw: object) -> Condition:
    """``validation``: rules combined by ``trigger`` (ALL or ANY, any case; ALL by default)."""
    return read_rule_block(c, ("validation",), raw)


def _job(c: Checker, raw: object) -> JobSpec | None:
    """``job``: the backend type and config, retry and rerun budgets, and polling.

    A ``config`` that is there is checked against the backend's model (keys, values,
    placeholders); a job without one (scheduling-only specs, tests) is left as it is.
    """
    path: YamlPath = ("job",)
    section = c.mapping(path, raw, _JOB_KEYS)
    if section is None:
        return None
    job_type = _job_type(c, section.get("type"))
    config = section.get("config")
    if config is not None and not isinstance(config, dict):
        c.expect(
            (*path, "config"), config, "a mapping", "write the backend's settings as `key: value`"
        )
    elif config is not None and job_type is not None:
        check_config(c, job_type, config)
    window = _poll_window(c, section.get("jobPollWindowSeconds"))
    return JobSpec(
        type=job_type or "",
        config=config if isinstance(config, dict) else {},
        max_retries=_budget(c, section, "maxRetries", 10, 0),
        max_code_retries=_budget(c, section, "maxCodeRetries", 3, 1),
        max_drift_reruns=_budget(c, section, "maxDriftReruns", 5, 1),
        max_manual_reruns=_budget(c, section, "maxManualReruns", 5, 1),
        poll_window=timedelta(seconds=window),
        poll_interval=c.duration((*path, "pollInterval"), section.get("pollInterval"))
        or timedelta(seconds=60),
        queued_timeout=c.duration((*path, "queuedTimeout"), section.get("queuedTimeout"))
        or timedelta(minutes=30),
        max_status_refusals=c.integer(
            (*path, "maxStatusRefusals"), section.get("maxStatusRefusals"), 1, 100
        )
        or 3,
        max_upstream_reruns=_budget(c, section, "maxUpstreamReruns", 10, 2),
        max_self_heals=_budget(c, section, "maxSelfHeals", 100, 3),
    )


def _job_type(c: Checker, raw: object) -> str | None:
    """``job.type``: required, a registered backend (:data:`JOB_TYPES`)."""
    job_type = c.string(("job", "type"), raw, required=True)
    if job_type is not None and not check_type(c, job_type):
        return None
    return job_type


def _poll_window(c: Checker, raw: object) -> int:
    """``job.jobPollWindowSeconds`` in ``[60, 86400]``; 0 or absent means 3600 (Go)."""
    if raw == 0 and not isinstance(raw, bool):
        return _DEFAULT_POLL_WINDOW_SECONDS
    seconds = c.integer(("job", "jobPollWindowSeconds"), raw, 60, 86400)
    return _DEFAULT_POLL_WINDOW_SECONDS if seconds is None else seconds


def _budget(c: Checker, section: Mapping[str, object], name: str, high: int, default: int) -> int:
    """A retry or rerun budget in ``[0, high]``, with Go's default when absent."""
    value = c.integer(("job", name), section.get(name), 0, high)
    return default if value is None else value


def _post_run(c: Checker, raw: object) -> PostRunSpec | None:
    """``postRun``: rules re-checked after success (ALL), timeout, and drift detection."""
    path: YamlPath = ("postRun",)
    section = c.mapping(path, raw, _POST_RUN_KEYS)
    if section is None:
        return None
    read_evaluation(c, (*path, "evaluation"), section.get("evaluation"))  # accepted, unused (Go)
    drift_field = c.string((*path, "driftField"), section.get("driftField"))
    if drift_field is not None and not drift_field.strip():
        fix = "name a reading field, e.g. sensor_count"
        c.report((*path, "driftField"), "must not be empty", fix)
    threshold = c.number((*path, "driftThreshold"), section.get("driftThreshold"), minimum=0)
    timeout = c.duration((*path, "sensorTimeout"), section.get("sensorTimeout"))
    defaults = PostRunSpec()
    return PostRunSpec(
        condition=AllOf(children=compile_items(c, (*path, "rules"), section.get("rules"))),
        sensor_timeout=timeout or defaults.sensor_timeout,
        drift_field=drift_field or defaults.drift_field,
        drift_threshold=threshold or defaults.drift_threshold,
    )


def _section(root: Mapping[str, object], name: str) -> Mapping[str, object]:
    """A top-level section as a mapping, empty when absent or malformed."""
    value = root.get(name)
    return value if isinstance(value, dict) else {}


def _cross_checks(c: Checker, root: Mapping[str, object]) -> None:
    """Go's cross-field checks (docs/go-compatibility.md), on what the file says."""
    schedule, sla = _section(root, "schedule"), _section(root, "sla")
    has_trigger = schedule.get("trigger") is not None
    if schedule.get("cron") not in (None, "") and schedule.get("include") is not None:
        message = "cannot be used with schedule.cron (they are mutually exclusive)"
        fix = "use cron for a regular schedule or include.dates for chosen dates, not both"
        c.report(("schedule", "include"), message, fix, at_key=True)
    if sla.get("maxDuration") not in (None, "") and not has_trigger:
        message = "requires schedule.trigger (relative SLA needs a sensor signal)"
        fix = "add schedule.trigger, or use sla.deadline for a clock deadline"
        c.report(("sla", "maxDuration"), message, fix, at_key=True)
    if root.get("dryRun") is True:
        _dry_run_checks(c, root, has_trigger=has_trigger)


def _dry_run_checks(c: Checker, root: Mapping[str, object], *, has_trigger: bool) -> None:
    """A dry run observes a real sensor stream and names the job it would launch."""
    if _section(root, "job").get("type") in (None, ""):
        fix = "add job.type (the job that would run)"
        c.report(("dryRun",), "requires job.type to be configured", fix, at_key=True)
    if not has_trigger:
        message = "requires schedule.trigger (sensor-driven evaluation)"
        c.report(("dryRun",), message, "add schedule.trigger", at_key=True)
