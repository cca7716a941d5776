"""SLA at risk: predict a waiting run's finish along its unmet dependency chain. Pure.

A run with an SLA deadline that still waits for upstreams gets a prediction at each
decision: every unfinished upstream's expected finish (running: its launch + its expected
duration; not started: its own prediction, recursively, + its expected duration), the
latest of them, plus this pipeline's expected duration. Expected durations come with the
upstream state (the median of the last successful attempts, else ``sla.expectedDuration``);
where one is unknown there is no prediction. A required upstream that cannot finish by itself
(paused, excluded, failed) puts the run at risk at once. When the prediction passes the
deadline, ``SLA_AT_RISK`` is said once, with the critical path: hours before the warning.

This pipeline's own expected duration is ``upstream[pipeline.id].expected_duration`` when
the caller loaded it (a pipeline never depends on itself, so the key is free), else its
``sla.expectedDuration``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from interlock.decide.dependencies import DependencyCheck, DependencyStatus, evaluate_dependencies
from interlock.decide.step import Step
from interlock.events import EventType
from interlock.model import RunMark, RunState
from interlock.model.dependencies import UpstreamState
from interlock.model.durations import format_duration
from interlock.model.specs import PipelineSpec

__all__ = ["Prediction", "at_risk_check_at", "predict_ready", "sla_at_risk"]

_MAX_DEPTH = 20
_UNSTARTED = frozenset({RunState.PENDING, RunState.WAITING})
_IN_FLIGHT = frozenset({RunState.LAUNCHING, RunState.RUNNING})


@dataclass(frozen=True, kw_only=True)
class Prediction:
    """When a run's inputs are predicted to be ready, along which path, or why never."""

    ready_at: datetime | None
    """None when an upstream on the path cannot finish by itself (``blocked``)."""
    path: tuple[str, ...] = ()
    blocked: str = ""


def sla_at_risk(step: Step) -> None:
    """Say ``SLA_AT_RISK`` once when the predicted finish passes the SLA deadline."""
    pipeline, run = step.pipeline, step.run
    sla = pipeline.sla
    if pipeline.depends_on is None or sla is None or not sla.deadline or step.dry_run:
        return
    deadline = run.sla_breach_at
    if run.state not in _UNSTARTED or deadline is None or step.now >= deadline:
        return
    if step.marked(RunMark.SLA_AT_RISK):
        return
    own = step.upstream.get(pipeline.id)
    duration = (own.expected_duration if own else None) or sla.expected_duration
    prediction = predict_ready(pipeline, run.partition, step.upstream, step.now)
    if prediction is None or duration is None:
        return
    finish = None if prediction.ready_at is None else prediction.ready_at + duration
    if finish is not None and finish <= deadline:
        return
    step.mark(RunMark.SLA_AT_RISK)
    predicted = "never (blocked)" if finish is None else finish.isoformat()
    step.emit(
        EventType.SLA_AT_RISK,
        f"predicted finish {predicted} passes the SLA deadline {deadline.isoformat()}",
        deadline=deadline.isoformat(),
        predictedFinish=finish.isoformat() if finish else None,
        criticalPath=list(prediction.path),
        expectedDuration=format_duration(duration),
        blocked=prediction.blocked or None,
    )


def at_risk_check_at(step: Step) -> datetime | None:
    """When to predict again: each evaluation interval, while a waiting run may be at risk.

    Its upstreams launching do not wake it (only their coming to rest does), so without this
    timer a run whose window closed would not see a slow upstream start.
    """
    pipeline, run = step.pipeline, step.run
    sla = pipeline.sla
    if pipeline.depends_on is None or sla is None or not sla.deadline or step.dry_run:
        return None
    if run.state is not RunState.WAITING or step.marked(RunMark.SLA_AT_RISK):
        return None
    deps = step.dependencies
    if deps is not None and deps.passed:
        return None
    return step.now + pipeline.schedule.evaluation.interval


def predict_ready(
    pipeline: PipelineSpec,
    partition: str,
    upstream: Mapping[str, UpstreamState],
    now: datetime,
    depth: int = 0,
) -> Prediction | None:
    """When every unmet dependency of a run is predicted to have arrived; None if unknown.

    A pipeline without dependencies is ready now (it may start at once).
    """
    if depth > _MAX_DEPTH:
        return None
    evaluation = evaluate_dependencies(pipeline, partition, upstream, now)
    if evaluation is None:
        return Prediction(ready_at=now)
    latest = Prediction(ready_at=now)
    for check in evaluation.unmet():
        found = _upstream_finish(check, upstream.get(check.dependency.pipeline), now, depth)
        if found is None:
            return None
        if found.ready_at is None:
            return found
        if latest.ready_at is not None and found.ready_at > latest.ready_at:
            latest = found
    return latest


def _upstream_finish(
    check: DependencyCheck, state: UpstreamState | None, now: datetime, depth: int
) -> Prediction | None:
    name = check.dependency.pipeline
    if check.status in (DependencyStatus.BLOCKED, DependencyStatus.FAILED) or state is None:
        return Prediction(ready_at=None, path=(name,), blocked=check.reason)
    duration = state.expected_duration
    run = check.blocking
    if duration is None or state.spec is None:
        return None
    if run is not None and run.state in _IN_FLIGHT and run.launched_at is not None:
        return Prediction(ready_at=max(now, run.launched_at + duration), path=(name,))
    partition = run.partition if run is not None else _first_missing(check)
    before = (
        None
        if partition is None
        else predict_ready(state.spec, partition, state.upstream, now, depth + 1)
    )
    if before is None or before.ready_at is None:  # unknown, or blocked further up
        return before and Prediction(
            ready_at=None, path=(name, *before.path), blocked=before.blocked
        )
    return Prediction(ready_at=before.ready_at + duration, path=(name, *before.path))


def _first_missing(check: DependencyCheck) -> str | None:
    """The first mapped partition with no accepted run (None for ``latest``: unknown)."""
    matched = {run.partition for run in check.matched}
    return next((p for p in check.partitions if p not in matched), None)
