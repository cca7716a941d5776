"""``decide()``: the one pure function behind every behaviour of a run.

Evaluation windows, launches, polls, retries, reruns, late data, drift, post-run checks,
SLA alerts, missed schedules and dry runs are all transitions computed here, with no I/O and
an injected ``now``. The controller loads the inputs, calls :func:`decide`, and commits the
returned :class:`~interlock.model.Decision` in one transaction; ``explain`` and ``simulate``
call the very same function, so what they show is what the controller does.

Order within one call: apply signals (job outcomes, reruns, cancels), advance the run by its
state, plan the successor run (once, when this run has become current), fire due timers,
then compute ``next_check_at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from interlock.decide.at_risk import sla_at_risk
from interlock.decide.cascade import upstream_rerun
from interlock.decide.completeness import (
    is_desired,
    retry_on_new_inputs,
    satisfied_without_job,
    stale_attempt,
    watch_complete,
)
from interlock.decide.dependencies import evaluate_dependencies
from interlock.decide.lifecycle import (
    apply_job_signal,
    evaluate_window,
    plan_successor,
    poll_window_exhausted,
    try_open,
)
from interlock.decide.post_run import post_run_missing, watch_after_success, watch_in_flight
from interlock.decide.reruns import request_rerun
from interlock.decide.step import Step
from interlock.decide.timers import check_timers, next_check_at, sla_verdict
from interlock.decide.verdicts import cancel_verdict
from interlock.events import EventType
from interlock.model import (
    CancelRequested,
    Decision,
    Explanation,
    Reading,
    ReadingSet,
    RerunRequested,
    Run,
    RunState,
    Signal,
)
from interlock.model.conditions import Evaluation, rules_of
from interlock.model.dependencies import FINAL_UPSTREAM_STATES, UpstreamState
from interlock.model.specs import PipelineSpec
from interlock.rules.evaluate import evaluate

__all__ = ["decide"]


def decide(  # noqa: PLR0913 - the documented contract of the core
    pipeline: PipelineSpec,
    run: Run,
    readings: ReadingSet | Mapping[str, Reading],
    upstream: Mapping[str, UpstreamState] | None = None,
    *,
    now: datetime,
    signals: Iterable[Signal] = (),
    slots: int | None = None,
) -> Decision:
    """Compute the next state of ``run`` at ``now``.

    :param readings: the readings of the pipeline's sensor keys, as a :class:`ReadingSet`
        (resolved here for the run's partition) or an already resolved key → reading map.
    :param upstream: upstream pipeline id → what its runs of the partitions this run maps
        to are doing (``dependsOn``; loaded by the caller, empty for pipelines without it).
    :param signals: what happened to the run since its last decision, in order.
    :param slots: free launch slots of the pipeline (``backfill.maxConcurrent`` minus its
        runs LAUNCHING or RUNNING, this one included; computed by the caller); None: no
        limit. With none free, a run whose rules hold waits, unpolled, for a slot.
    :returns: the Decision; it never contains a launch unless the validation condition
        evaluated true at ``now``.
    """
    if now.utcoffset() is None:
        msg = "decide() needs a timezone-aware now"
        raise ValueError(msg)
    view = readings.view(run.partition) if isinstance(readings, ReadingSet) else readings
    step = Step(
        pipeline=pipeline,
        run=run,
        view=view,
        upstream=upstream or {},
        now=now,
        slots=_own_slot_back(run, slots),
    )
    for signal in signals:
        _apply_signal(step, signal)
    _advance(step)
    plan_successor(step)
    check_timers(step)
    sla_at_risk(step)
    if step.run.state is RunState.SUCCEEDED:
        sla_verdict(step)
    post_run_missing(step)
    step.update(next_check_at=next_check_at(step))
    validation, note = _rules_preview(step)
    return Decision(
        settled=_settled(run, step.run),
        run=step.run,
        events=tuple(step.events),
        actions=tuple(step.actions),
        explanation=Explanation(
            summary=_summary(step),
            waiting_for=step.waiting_for,
            until=step.run.next_check_at,
            validation=validation,
            trigger=step.trigger,
            validation_note=note,
            dependencies=_dependencies_preview(step),
        ),
    )


def _own_slot_back(run: Run, slots: int | None) -> int | None:
    """A run in flight holds one of the slots counted as taken: a retry of it may use it."""
    if slots is None or run.state not in (RunState.LAUNCHING, RunState.RUNNING):
        return slots
    return slots + 1


def _settled(before: Run, after: Run) -> bool:
    """Tell whether ``after`` is a new resting point of the run that downstreams must see."""
    if after.state not in FINAL_UPSTREAM_STATES:
        return False
    return (before.state, before.attempt, before.finished_at) != (
        after.state,
        after.attempt,
        after.finished_at,
    )


def _dependencies_preview(step: Step) -> Mapping[str, Any] | None:
    """The dependencies as decided, or as they stand now (a run not yet evaluating them)."""
    evaluation = step.dependencies or evaluate_dependencies(
        step.pipeline, step.run.partition, step.upstream, step.now
    )
    return None if evaluation is None else evaluation.to_dict()


def _rules_preview(step: Step) -> tuple[Evaluation | None, str]:
    """The rules for the explanation: as decided, or, before the run opens, as they stand.

    A PENDING run has not checked its rules; showing them against the current readings
    (marked as not yet checked) tells a user what else will block the launch once it opens.
    """
    if step.validation is not None or step.run.state is not RunState.PENDING:
        return step.validation, ""
    rules = step.pipeline.validation
    if not rules_of(rules):
        return None, ""
    preview = evaluate(rules, step.view, step.now, partition=step.run.partition)
    return preview, f"not yet checked: {step.summary or _SUMMARIES[step.run.state]}"


def _apply_signal(step: Step, signal: Signal) -> None:
    if isinstance(signal, RerunRequested):
        request_rerun(step, signal.reason, force=signal.force)
    elif isinstance(signal, CancelRequested):
        _cancel(step, signal)
    else:
        apply_job_signal(step, signal)


def _cancel(step: Step, signal: CancelRequested) -> None:
    if cancel_verdict(step.run) is not None:
        return  # already final: the CLI refuses this before recording it
    in_flight = step.run.state in (RunState.LAUNCHING, RunState.RUNNING)
    step.emit(  # an attempt in flight ends with the run: the job log says so
        EventType.RUN_CANCELLED,
        signal.reason or "cancelled",
        previousState=step.run.state.value,
        attempt=step.run.attempt if in_flight else None,
    )
    step.update(finished_at=step.now)
    step.move(RunState.CANCELLED, f"cancelled: {signal.reason}" if signal.reason else "cancelled")


def _advance(step: Step) -> None:
    state = step.run.state
    desired = is_desired(step)
    if desired and satisfied_without_job(step):
        return
    if state is RunState.PENDING:
        try_open(step)
    elif state is RunState.WAITING and step.validation is None:
        evaluate_window(step)
    elif state is RunState.RUNNING:
        _give_up_overdue(step)
        if step.run.state is RunState.RUNNING:
            watch_in_flight(step)
    elif state in (RunState.SUCCEEDED, RunState.SHADOWED) and not upstream_rerun(step):
        healing = desired and watch_complete(step)
        if not healing:
            watch_after_success(step)
    elif state in (RunState.FAILED, RunState.EXHAUSTED):
        retry_on_new_inputs(step)


def _give_up_overdue(step: Step) -> None:
    """A partitioned pipeline's attempt goes stale at its limit; others exhaust the poll."""
    if step.pipeline.partitions is not None:
        stale_attempt(step)
    else:
        poll_window_exhausted(step)


_SUMMARIES = {
    RunState.PENDING: "waiting for the run to open",
    RunState.WAITING: "evaluating the validation rules",
    RunState.LAUNCHING: "waiting for the job backend to accept the launch",
    RunState.RUNNING: "the job is running",
    RunState.SUCCEEDED: "succeeded; watching for late data and drift",
    RunState.FAILED: "failed",
    RunState.EXHAUSTED: "exhausted: the rules never held in the window",
    RunState.CANCELLED: "cancelled",
    RunState.SHADOWED: "dry run: the job would have launched",
}


def _summary(step: Step) -> str:
    """What the run is doing; a paused pipeline's unfinished run says so first."""
    summary = step.summary or _SUMMARIES[step.run.state]
    paused = step.pipeline.paused
    if paused is None or step.run.is_terminal:
        return summary
    return f"{paused.describe()}; {summary}"
