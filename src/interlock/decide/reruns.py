"""The single gate for reruns: the verdict, then WAITING (or the opening of a PENDING run).

Whether a rerun is accepted is :func:`interlock.decide.verdicts.rerun_verdict`, which the
CLI asks too before it records a request. Budgets follow the Go version: ``data-drift`` and
``late-data`` share ``maxDriftReruns``; every other reason has its own ``maxManualReruns``.
The circuit breaker rejects a manual rerun of a successful run when no reading changed since
it finished. The Go version reads freshness from a numeric ``updatedAt`` field and so rejects
sensors that send ISO strings (docs/go-compatibility.md, Gaps closed); we use the time
Interlock accepted each reading, which is always known. A rerun of a PENDING run simply opens
it now (a manual start). A forced rerun (``rerun --force``) is recorded as forced: its
``RERUN_ACCEPTED`` detail has ``forced: true`` and its attempt's reason ends in ``(forced)``.
"""

from __future__ import annotations

from typing import Any

from interlock.decide.lifecycle import open_window, reopen
from interlock.decide.step import Step
from interlock.decide.verdicts import DRIFT_REASONS, rerun_budget, rerun_verdict
from interlock.events import EventType
from interlock.model import OpenedBy, RunMark, RunState

__all__ = ["DRIFT_REASONS", "FORCED", "request_rerun"]

FORCED = " (forced)"
"""Appended to the attempt reason of a forced rerun (the budget still counts ``reason``)."""


def request_rerun(step: Step, reason: str, *, force: bool = False) -> None:
    """The single gate for reruns: the verdict, then back to WAITING (or open the run)."""
    verdict = rerun_verdict(
        step.pipeline, step.run, step.view, step.now, reason=reason, force=force
    )
    if verdict.excluded is not None:
        step.emit(
            EventType.PIPELINE_EXCLUDED,
            f"rerun skipped: {verdict.excluded}",
            reason=verdict.excluded,
        )
    if verdict.rejection is not None:
        _reject(step, reason, verdict.rejection)
        return
    forced = True if force else None  # None details are dropped: unforced events unchanged
    label = reason + FORCED if force else reason
    if step.run.state is RunState.PENDING:
        step.emit(
            EventType.RERUN_ACCEPTED,
            f"{label}: opening the run now",
            reason=reason,
            forced=forced,
        )
        step.update(attempt_reason=label)
        open_window(step, opened_by=OpenedBy.MANUAL, window_start=step.now)
        return
    if step.dry_run:
        step.emit(
            EventType.DRY_RUN_WOULD_RERUN,
            f"dry run: a {label} rerun would start",
            **_budget_detail(step, reason),
            forced=forced,
        )
        return
    step.emit(
        EventType.RERUN_ACCEPTED,
        f"{label} rerun accepted",
        **_budget_detail(step, reason),
        forced=forced,
    )
    # The baseline and post-run cursor stay until the rerun succeeds: drift while it runs
    # is reported against them (POST_RUN_DRIFT_INFLIGHT).
    step.update(marks=step.run.marks - {RunMark.POST_RUN_SEEN, RunMark.POST_RUN_MISSING})
    reopen(step, reason, attempt_reason=label)


def _budget_detail(step: Step, reason: str) -> dict[str, Any]:
    used, budget = rerun_budget(step.pipeline, step.run, reason)
    return {"reason": reason, "rerunCount": used, "budget": budget}


def _reject(step: Step, reason: str, why: str) -> None:
    kind = EventType.DRY_RUN_RERUN_REJECTED if step.dry_run else EventType.RERUN_REJECTED
    step.emit(kind, why, reason=reason, rejection=why)
