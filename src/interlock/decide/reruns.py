"""The single gate for reruns: calendar, budget, freshness circuit breaker, then WAITING.

Budgets follow the Go version: ``data-drift`` and ``late-data`` share ``maxDriftReruns``; every
other reason has its own ``maxManualReruns``. The circuit breaker rejects a manual rerun of a
successful run when no reading changed since it finished. The Go version reads freshness from a
numeric ``updatedAt`` field and so rejects sensors that send ISO strings (docs/go-compatibility.md,
Gaps closed); we use the time Interlock accepted each reading, which is always known. A rerun of a
PENDING run simply opens it now (a manual start).
"""

from __future__ import annotations

from typing import Any

from interlock.decide.lifecycle import excluded_reason, open_window, reopen
from interlock.decide.step import Step
from interlock.events import EventType
from interlock.model import OpenedBy, RunMark, RunState

__all__ = ["DRIFT_REASONS", "request_rerun"]

DRIFT_REASONS = ("data-drift", "late-data")


def request_rerun(step: Step, reason: str) -> None:
    """The single gate for reruns: calendar, budget, circuit breaker, then back to WAITING."""
    run = step.run
    if run.state is RunState.PENDING:
        step.emit(EventType.RERUN_ACCEPTED, f"{reason}: opening the run now", reason=reason)
        step.update(attempt_reason=reason)
        open_window(step, opened_by=OpenedBy.MANUAL, window_start=step.now)
        return
    if not run.is_terminal:
        _reject(step, reason, f"run is {run.state.value}; a rerun needs a finished run")
        return
    rejection = _rerun_rejection(step, reason, excluded_reason(step, wall_clock=False))
    if rejection is not None:
        _reject(step, reason, rejection)
        return
    if step.dry_run:
        step.emit(
            EventType.DRY_RUN_WOULD_RERUN,
            f"dry run: a {reason} rerun would start",
            **_budget_detail(step, reason),
        )
        return
    step.emit(EventType.RERUN_ACCEPTED, f"{reason} rerun accepted", **_budget_detail(step, reason))
    # The baseline and post-run cursor stay until the rerun succeeds: drift while it runs
    # is reported against them (POST_RUN_DRIFT_INFLIGHT).
    step.update(marks=step.run.marks - {RunMark.POST_RUN_SEEN, RunMark.POST_RUN_MISSING})
    reopen(step, reason)


def _budget(step: Step, reason: str) -> tuple[int, int]:
    job = step.pipeline.job
    if reason in DRIFT_REASONS:
        return step.run.rerun_count(*DRIFT_REASONS), job.max_drift_reruns if job else 1
    return step.run.rerun_count(reason), job.max_manual_reruns if job else 1


def _budget_detail(step: Step, reason: str) -> dict[str, Any]:
    used, budget = _budget(step, reason)
    return {"reason": reason, "rerunCount": used, "budget": budget}


def _rerun_rejection(step: Step, reason: str, excluded: str | None) -> str | None:
    if excluded is not None:
        step.emit(EventType.PIPELINE_EXCLUDED, f"rerun skipped: {excluded}", reason=excluded)
        return f"excluded by calendar: {excluded}"
    used, budget = _budget(step, reason)
    if used >= budget:
        kind = "drift" if reason in DRIFT_REASONS else "manual"
        return f"{kind} rerun limit exceeded ({used}/{budget})"
    run = step.run
    consumed = run.launched_at if run.state is RunState.SHADOWED else run.finished_at
    succeeded = run.state in (RunState.SUCCEEDED, RunState.SHADOWED)
    if succeeded and reason not in DRIFT_REASONS and consumed is not None:
        newer = [r for r in step.view.values() if r.updated_at > consumed]
        if step.view and not newer:
            return "previous run succeeded and no sensor data has changed"
    return None


def _reject(step: Step, reason: str, why: str) -> None:
    kind = EventType.DRY_RUN_RERUN_REJECTED if step.dry_run else EventType.RERUN_REJECTED
    step.emit(kind, why, reason=reason, rejection=why)
