"""The post-run baseline and the dry-run SLA projection, both taken at (would-be) launch end.

Kept apart from :mod:`interlock.decide.post_run` so the lifecycle can call them without an
import cycle.
"""

from __future__ import annotations

from typing import Any

from interlock.decide.step import Step
from interlock.events import EventType
from interlock.model.durations import format_duration
from interlock.timing.sla import absolute_deadline

__all__ = ["capture_baseline", "dry_run_sla_projection"]


def capture_baseline(step: Step, *, quiet: bool = False) -> None:
    """Remember every post-run sensor's reading at success, to detect drift later."""
    post_run = step.pipeline.post_run
    if post_run is None or not post_run.keys:
        return
    baseline = {k: dict(r.data) for k, r in step.view.items() if k in post_run.keys}
    newest = max((r.updated_at for k, r in step.view.items() if k in post_run.keys), default=None)
    step.update(baseline=baseline, post_run_cursor=newest)
    if not quiet:
        step.emit(
            EventType.POST_RUN_BASELINE_CAPTURED,
            f"baseline of {len(baseline)} post-run sensor(s) captured",
            keys=sorted(baseline),
        )


def dry_run_sla_projection(step: Step) -> dict[str, Any]:
    """Emit ``DRY_RUN_SLA_PROJECTION`` and return the fields ``DRY_RUN_COMPLETED`` repeats."""
    sla = step.pipeline.sla
    if sla is None or sla.expected_duration is None:
        return {"slaStatus": "n/a"}
    estimated = step.now + sla.expected_duration
    detail: dict[str, Any] = {
        "triggeredAt": step.now.isoformat(),
        "estimatedCompletion": estimated.isoformat(),
        "expectedDuration": format_duration(sla.expected_duration),
    }
    status = "met"
    if sla.deadline:
        window = absolute_deadline(
            step.run.partition, sla.deadline, sla.expected_duration, sla.timezone, step.now
        )
        status = "met" if estimated <= window.breach_at else "breach"
        detail["deadline"] = window.breach_at.isoformat()
        detail["marginSeconds"] = int((window.breach_at - estimated).total_seconds())
    step.emit(
        EventType.DRY_RUN_SLA_PROJECTION, f"dry run: SLA would be {status}", status=status, **detail
    )
    summary = {"slaStatus": status, "estimatedCompletion": detail["estimatedCompletion"]}
    if "deadline" in detail:
        summary["deadline"] = detail["deadline"]
    return summary
