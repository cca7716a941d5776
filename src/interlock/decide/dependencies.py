"""``dependsOn`` inside ``decide()``: which upstreams arrived, failed, or block the run. Pure.

Each dependency of a run is checked against :class:`~interlock.model.dependencies.UpstreamState`
(what the caller loaded of the upstream's runs):

- ``ARRIVED``: every mapped upstream run is in an accepted state (``status``);
- ``WAITING``: some mapped run is missing or still in progress;
- ``FAILED``: a mapped run came to rest in a state the dependency does not accept;
- ``BLOCKED``: the upstream cannot get there by itself (paused, excluded by its calendar that
  day, or not loaded): a required dependency never waits silently on it;
- ``SKIPPED``: an ``optional`` dependency whose upstream is not expected to run for it.

The launch rule (:func:`~interlock.decide.lifecycle.evaluate_window`) needs the groups to
hold, and this module records the per-dependency transitions on the run
(``Run.upstream_seen``, ``DEPENDENCY_ARRIVED``) and says ``UPSTREAM_FAILED`` once per failed
upstream attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from interlock.decide.plan import first_check_at
from interlock.decide.step import Step
from interlock.events import EventType
from interlock.model import RunState
from interlock.model.dependencies import (
    FINAL_UPSTREAM_STATES,
    Dependency,
    MappingKind,
    UpstreamRun,
    UpstreamState,
    upstream_partitions,
)
from interlock.model.desired import dimension_values
from interlock.model.partitions import parse_partition
from interlock.model.specs import PipelineSpec
from interlock.timing.calendar import exclusion_reason

__all__ = [
    "DependencyCheck",
    "DependencyEvaluation",
    "DependencyStatus",
    "describe_upstream_run",
    "evaluate_dependencies",
    "mapped_partitions",
    "needed_partitions",
    "track_dependencies",
]


class DependencyStatus(StrEnum):
    """Where one dependency of a run stands (see the module docstring)."""

    WAITING = "WAITING"
    ARRIVED = "ARRIVED"
    FAILED = "FAILED"
    BLOCKED = "BLOCKED"
    SKIPPED = "SKIPPED"


_MET = frozenset({DependencyStatus.ARRIVED, DependencyStatus.SKIPPED})


@dataclass(frozen=True, kw_only=True)
class DependencyCheck:
    """One dependency, checked: its status, the runs it matched, and why, in words."""

    dependency: Dependency
    status: DependencyStatus
    partitions: tuple[str, ...]
    """The upstream partitions looked at (empty for ``latest``)."""
    matched: tuple[UpstreamRun, ...] = ()
    """The accepted upstream runs (all of them once ARRIVED)."""
    blocking: UpstreamRun | None = None
    """The first mapped run that is not accepted yet (in progress, or failed)."""
    reason: str = ""

    @property
    def label(self) -> str:
        """The dependency's label (``listings``, ``fx (offset -1d)``)."""
        return self.dependency.label

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``explain --json``'s ``dependencies.checks``)."""
        blocking = self.blocking
        return {
            "label": self.label,
            "pipeline": self.dependency.pipeline,
            "status": self.status.value,
            "accepts": sorted(state.value for state in self.dependency.statuses),
            "mapping": self.dependency.partition.describe(),
            "optional": self.dependency.optional,
            "partitions": list(self.partitions),
            "matched": [run.attempt_id for run in self.matched],
            "blocking": None if blocking is None else _run_dict(blocking),
            "reason": self.reason,
        }


@dataclass(frozen=True, kw_only=True)
class DependencyEvaluation:
    """Every dependency of a run, checked, and whether the ``dependsOn`` groups hold."""

    checks: tuple[DependencyCheck, ...]
    passed: bool

    def unmet(self) -> tuple[DependencyCheck, ...]:
        """The checks that keep the run from launching, in declaration order."""
        return tuple(check for check in self.checks if check.status not in _MET)

    def waiting_for(self) -> str:
        """``listings: RUNNING attempt 2 since 08:10; blocked: searches is paused``."""
        return "; ".join(check.reason for check in self.unmet())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, kept with the run's explanation."""
        return {"passed": self.passed, "checks": [check.to_dict() for check in self.checks]}


def _run_dict(run: UpstreamRun) -> dict[str, Any]:
    return {
        "pipeline": run.pipeline_id,
        "partition": run.partition,
        "state": run.state.value,
        "attempt": run.attempt,
        "launchedAt": run.launched_at.isoformat() if run.launched_at else None,
        "finishedAt": run.finished_at.isoformat() if run.finished_at else None,
        "summary": run.message,
    }


def mapped_partitions(
    pipeline: PipelineSpec,
    dep: Dependency,
    partition: str,
    upstream: PipelineSpec,
    dynamic: Mapping[str, Sequence[str]] | None = None,
) -> tuple[str, ...] | None:
    """The partitions of ``upstream`` a run of ``partition`` needs through ``dep``.

    The one place both sides' declared dimensions meet the mapping: the projection onto the
    upstream's dimensions (none, for an upstream without ``partitions`` under a downstream
    with them), and for ``{all: campaign}`` the upstream's campaigns (static, or
    its dynamic ones from ``dynamic``, name → values, which the caller reads). None for
    ``latest``.
    """
    declared = upstream.partitions
    names: list[str] | None = None  # neither declares partitions: dimensions pass through
    if declared is not None:
        names = [d.name for d in declared.dimensions]
    elif pipeline.partitions is not None:
        names = []  # a cron-dated upstream has the date only
    values: Sequence[str] = ()
    if dep.partition.dimension is not None and declared is not None:
        values = dict(dimension_values(declared, dynamic or {})).get(dep.partition.dimension, ())
    return upstream_partitions(
        dep,
        partition,
        timezone=pipeline.schedule.timezone,
        upstream_timezone=upstream.schedule.timezone,
        upstream_dimensions=names,
        dimension_values=values,
    )


def needed_partitions(
    pipeline: PipelineSpec,
    partition: str,
    specs: Mapping[str, PipelineSpec],
    dynamic: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Upstream id → (the partitions a run of ``partition`` needs, whether its latest run is).

    What a caller loads into ``UpstreamState`` (``runs`` and ``latest``) before calling
    ``decide()``; an upstream not among ``specs`` needs nothing (its dependency is BLOCKED).
    ``dynamic`` holds, per upstream id, the values of its dynamic dimensions (see
    :func:`mapped_partitions`).
    """
    needed: dict[str, tuple[tuple[str, ...], bool]] = {}
    if pipeline.depends_on is None:
        return needed
    for dep in pipeline.depends_on.dependencies:
        upstream = specs.get(dep.pipeline)
        parts, latest = needed.get(dep.pipeline, ((), False))
        if upstream is not None:
            values = (dynamic or {}).get(dep.pipeline)
            mapped = mapped_partitions(pipeline, dep, partition, upstream, values)
            if mapped is None:
                latest = True
            else:
                parts = parts + tuple(p for p in mapped if p not in parts)
        needed[dep.pipeline] = (parts, latest)
    return needed


def evaluate_dependencies(
    pipeline: PipelineSpec,
    partition: str,
    upstream: Mapping[str, UpstreamState],
    now: datetime,  # noqa: ARG001 - the decision's time; callers pass it for time-aware checks
) -> DependencyEvaluation | None:
    """Check every dependency of a run of ``partition``; None for a pipeline without any."""
    depends_on = pipeline.depends_on
    if depends_on is None:
        return None
    checks = tuple(
        _check(pipeline, dep, partition, upstream.get(dep.pipeline))
        for dep in depends_on.dependencies
    )
    met: dict[str, bool] = {}
    for check in checks:
        in_any = check.dependency in depends_on.any_of
        met[check.label] = (
            check.status is DependencyStatus.ARRIVED if in_any else check.status in _MET
        )
    return DependencyEvaluation(checks=checks, passed=depends_on.holds(met))


def _check(
    pipeline: PipelineSpec, dep: Dependency, partition: str, state: UpstreamState | None
) -> DependencyCheck:
    if state is None or state.spec is None:
        return DependencyCheck(
            dependency=dep,
            status=DependencyStatus.BLOCKED,
            partitions=(),
            reason=f"blocked: {dep.pipeline} is not loaded (apply its config)",
        )
    if dep.partition.kind is MappingKind.LATEST:
        return _check_latest(dep, state)
    parts = mapped_partitions(pipeline, dep, partition, state.spec, state.dimension_values) or (
        partition,
    )
    runs = [state.runs.get(p) for p in parts]
    if all(run is not None and dep.accepts(run.state) for run in runs):
        return _check_runs(dep, parts, runs)  # arrived before any pause or exclusion
    blocked = _not_expected(state, parts, runs)
    paused = state.spec.paused is not None  # its open runs launch nothing: never "working"
    if blocked is not None and (dep.optional or paused or not _any_started(runs)):
        status = DependencyStatus.SKIPPED if dep.optional else DependencyStatus.BLOCKED
        word = "optional, not waited for" if dep.optional else "blocked"
        return DependencyCheck(
            dependency=dep, status=status, partitions=parts, reason=f"{word}: {blocked}"
        )
    return _check_runs(dep, parts, runs)


def _check_latest(dep: Dependency, state: UpstreamState) -> DependencyCheck:
    latest = state.latest
    if latest is not None and dep.accepts(latest.state):
        return DependencyCheck(
            dependency=dep,
            status=DependencyStatus.ARRIVED,
            partitions=(),
            matched=(latest,),
            reason=f"{dep.pipeline}: latest run {latest.partition} {latest.state}",
        )
    if latest is not None:
        return DependencyCheck(
            dependency=dep,
            status=DependencyStatus.FAILED,
            partitions=(),
            blocking=latest,
            reason=_failed_reason(dep, latest),
        )
    return DependencyCheck(
        dependency=dep,
        status=DependencyStatus.WAITING,
        partitions=(),
        reason=f"{dep.pipeline}: no finished run yet",
    )


def _check_runs(
    dep: Dependency, parts: tuple[str, ...], runs: Sequence[UpstreamRun | None]
) -> DependencyCheck:
    matched = tuple(run for run in runs if run is not None and dep.accepts(run.state))
    failed = next(
        (
            run
            for run in runs
            if run is not None and run.state in FINAL_UPSTREAM_STATES and not dep.accepts(run.state)
        ),
        None,
    )
    if failed is not None:
        return DependencyCheck(
            dependency=dep,
            status=DependencyStatus.FAILED,
            partitions=parts,
            matched=matched,
            blocking=failed,
            reason=_failed_reason(dep, failed),
        )
    if len(matched) == len(parts):
        return DependencyCheck(
            dependency=dep,
            status=DependencyStatus.ARRIVED,
            partitions=parts,
            matched=matched,
            reason=f"{dep.pipeline}: arrived",
        )
    missing = [(p, run) for p, run in zip(parts, runs, strict=True) if run not in matched]
    first_part, first_run = missing[0]
    return DependencyCheck(
        dependency=dep,
        status=DependencyStatus.WAITING,
        partitions=parts,
        matched=matched,
        blocking=first_run,
        reason=_waiting_reason(dep, (len(matched), len(parts)), first_part, first_run),
    )


def _waiting_reason(
    dep: Dependency, counts: tuple[int, int], partition: str, run: UpstreamRun | None
) -> str:
    """``listings: RUNNING attempt 2 since 08:10 UTC`` (``counts``: arrived, total)."""
    doing = describe_upstream_run(run) if run is not None else f"no run for {partition} yet"
    arrived, total = counts
    if total == 1:
        return f"{dep.pipeline}: {doing}"
    return f"{dep.pipeline}: {arrived} of {total} partitions arrived; {partition}: {doing}"


def describe_upstream_run(run: UpstreamRun) -> str:
    """``RUNNING attempt 2 since 08:10``, ``WAITING: count 50 gte 1000 is false``."""
    if run.state in (RunState.LAUNCHING, RunState.RUNNING) and run.launched_at is not None:
        since = run.launched_at.strftime("%H:%M")
        return f"{run.state} attempt {run.attempt} since {since} UTC"
    if run.message:
        return f"{run.state}: {run.message}"
    return str(run.state)


def _failed_reason(dep: Dependency, run: UpstreamRun) -> str:
    wanted = "/".join(sorted(state.value for state in dep.statuses))
    if run.state is RunState.SUCCEEDED:  # a fallback whose upstream did its job after all
        return (
            f"not needed: {dep.pipeline} {run.partition} SUCCEEDED "
            f"(attempt {run.attempt}); this dependency waits for {wanted}"
        )
    tail = f": {run.message}" if run.message else ""
    return (
        f"upstream failed: {dep.pipeline} {run.partition} is {run.state} "
        f"(attempt {run.attempt}; this dependency needs {wanted}){tail}"
    )


def _not_expected(
    state: UpstreamState, parts: tuple[str, ...], runs: Sequence[UpstreamRun | None]
) -> str | None:
    """Why the upstream will not run for these partitions by itself, or None if it may."""
    spec = state.spec
    assert spec is not None  # noqa: S101 - checked by the caller
    if spec.paused is not None:
        return f"{spec.id} is paused ({spec.paused.describe()})"
    for part, run in zip(parts, runs, strict=True):
        if run is not None and run.state is RunState.CANCELLED and run.attempt == 0:
            return f"{spec.id} did not run for {part} (cancelled before a launch)"
        day = parse_partition(part).day
        reason = exclusion_reason(spec.schedule, day)
        if reason is not None:
            return f"{spec.id} is excluded on {day.isoformat()} ({reason})"
        if run is None and _never_expected(spec, part):
            return f"{spec.id} has no run expected for {part}"
    return None


def _never_expected(spec: PipelineSpec, partition: str) -> bool:
    """No cron, inclusion date, trigger or upstream of its own can open this partition."""
    schedule = spec.schedule
    return (
        first_check_at(spec, partition) is None
        and schedule.trigger is None
        and spec.depends_on is None
    )


def _any_started(runs: Sequence[UpstreamRun | None]) -> bool:
    """A run that exists and is not at rest means the upstream is working on it after all."""
    return any(run is not None and run.state not in FINAL_UPSTREAM_STATES for run in runs)


def track_dependencies(step: Step, evaluation: DependencyEvaluation) -> None:
    """Record what changed since the last decision: arrivals, departures and failures.

    ``Run.upstream_seen`` keeps label → matched upstream attempt ids of the ARRIVED
    dependencies; a new or changed entry says ``DEPENDENCY_ARRIVED`` (kept for audit). A
    failed upstream attempt says ``UPSTREAM_FAILED`` once (a mark per attempt id).
    """
    seen = dict(step.run.upstream_seen)
    for check in evaluation.checks:
        if check.status is DependencyStatus.ARRIVED:
            ids = tuple(run.attempt_id for run in check.matched)
            if seen.get(check.label) != ids:
                seen[check.label] = ids
                _arrived(step, check)
        else:
            seen.pop(check.label, None)
        failed = check.blocking if check.status is DependencyStatus.FAILED else None
        if failed is not None and failed.state is not RunState.SUCCEEDED:
            _upstream_failed(step, check, failed)
    if seen != dict(step.run.upstream_seen):
        step.update(upstream_seen=seen)


def _arrived(step: Step, check: DependencyCheck) -> None:
    newest = max(check.matched, key=lambda run: run.finished_at or step.now)
    step.emit(
        EventType.DEPENDENCY_ARRIVED,
        f"{check.label} arrived ({newest.state})",
        dependency=check.label,
        upstream=check.dependency.pipeline,
        partitions=list(check.partitions) or [newest.partition],
        attempts=[run.attempt_id for run in check.matched],
        state=newest.state.value,
        finishedAt=newest.finished_at.isoformat() if newest.finished_at else None,
    )


def _upstream_failed(step: Step, check: DependencyCheck, run: UpstreamRun) -> None:
    mark = f"upstream-failed:{run.attempt_id}:{run.state}"
    if step.marked(mark):
        return
    step.mark(mark)
    step.emit(
        EventType.UPSTREAM_FAILED,
        check.reason,
        dependency=check.label,
        upstream=run.pipeline_id,
        upstreamPartition=run.partition,
        upstreamAttempt=run.attempt,
        upstreamState=run.state.value,
        upstreamMessage=run.message or None,
        actionHint=f"fix and rerun {run.pipeline_id} {run.partition}; this run launches "
        "by itself once it succeeds",
    )
