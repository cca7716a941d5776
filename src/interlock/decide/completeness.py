"""Desired state inside ``decide()``: manual fixes count, self-healing, stale attempts.

For a pipeline with ``partitions`` and ``complete``, the data decides whether a partition is
done, however it got there:

- an open run whose partition already meets ``complete`` (someone loaded it by hand) ends
  SUCCEEDED without a job (``PARTITION_SATISFIED``, mark ``satisfied``) — unless a person or
  a data change asked for this very rerun (``manual``, drift, late data, upstream rerun):
  then the output existing is the reason for the rerun, not a reason to skip it;
- a SUCCEEDED run remembers that ``complete`` held (``complete-seen``); when it stops
  holding, ``PARTITION_MISSING`` names the rule and the reading, once per disappearance,
  and a ``missing-output`` rerun follows while ``job.maxSelfHeals`` allows;
- an attempt working on a partition past :func:`~interlock.decide.partitions.stale_limit`
  is ``RUN_STALE``: given up as timed out, like an exhausted poll window.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from interlock.decide.lifecycle import give_up_attempt
from interlock.decide.partitions import (
    BACKFILL_REASONS,
    MISSING_OUTPUT,
    evaluate_complete,
    stale_limit,
)
from interlock.decide.reruns import request_rerun
from interlock.decide.step import Step
from interlock.decide.verdicts import rerun_budget
from interlock.events import EventType
from interlock.model import RunMark, RunState
from interlock.model.conditions import Evaluation
from interlock.model.durations import format_duration

__all__ = [
    "INPUTS_CHANGED",
    "is_desired",
    "retry_on_new_inputs",
    "satisfied_without_job",
    "stale_attempt",
    "watch_complete",
]

INPUTS_CHANGED = "inputs-changed"
"""The reason of a rerun of a partition that failed for good, once one of its readings
changed after the failure (the other ways out are ``retryFailedAfter`` and a rerun by hand)."""

_REDO_REASONS = frozenset(
    {"manual", "late-data", "data-drift", "upstream-rerun", *BACKFILL_REASONS}
)
"""Reruns asked for although the output exists: ``complete`` holding must not end them."""


def is_desired(step: Step) -> bool:
    """The pipeline declares partitions and what "done" means for one of them."""
    return step.pipeline.partitions is not None and step.pipeline.complete is not None


def _complete(step: Step) -> Evaluation | None:
    return evaluate_complete(step.pipeline, step.view, step.run.partition, step.now)


def satisfied_without_job(step: Step) -> bool:
    """An open run whose partition meets ``complete`` ends SUCCEEDED, with no attempt."""
    run = step.run
    if run.state not in (RunState.PENDING, RunState.WAITING) or _asked_to_redo(step):
        return False
    result = _complete(step)
    if result is None or not result.passed:
        return False
    readings = _readings_of(step, [leaf for leaf in _leaves(result) if leaf.passed])
    shown = ", ".join(f"{key} {data['value']!r}" for key, data in readings.items())
    step.emit(
        EventType.PARTITION_SATISFIED,
        f"complete holds without a job: {shown}",
        readings=readings,
        previousState=run.state.value,
    )
    step.update(finished_at=step.now)
    step.mark(RunMark.SATISFIED)
    step.mark(RunMark.COMPLETE_SEEN)
    step.move(RunState.SUCCEEDED, f"satisfied without a job: {shown}")
    return True


def retry_on_new_inputs(step: Step) -> bool:
    """A partition failed for good gets one more try when a reading for it changed since.

    The reconciler never retries a failed partition by itself (it would retry the same gap
    forever); new data for that partition is a reason to try again. Once per budget
    (``maxManualReruns`` for this reason); with the budget spent nothing is said, so a
    stream of readings does not become a stream of refusals.
    """
    run = step.run
    failed = run.state in (RunState.FAILED, RunState.EXHAUSTED)
    if not failed or step.pipeline.partitions is None or run.finished_at is None:
        return False
    finished = run.finished_at
    fresh = [
        r.key
        for r in step.view.values()
        if r.partition == run.partition and r.updated_at > finished
    ]
    used, budget = rerun_budget(step.pipeline, run, INPUTS_CHANGED)
    if not fresh or used >= budget:
        return False
    request_rerun(step, INPUTS_CHANGED)
    return step.run.state not in (RunState.FAILED, RunState.EXHAUSTED)


def _asked_to_redo(step: Step) -> bool:
    """The last rerun asked to redo it; a run never rerun, when it was opened to redo it.

    ``backfill --include-done`` opens a run for a partition loaded by hand (no run yet):
    its reason says the existing output is to be rebuilt, not taken as done.
    """
    reruns = step.run.reruns
    if not reruns:
        return step.run.attempt_reason in BACKFILL_REASONS
    return reruns[-1].reason in _REDO_REASONS


def _readings_of(step: Step, leaves: Iterable[Evaluation]) -> dict[str, dict[str, Any]]:
    """Key → the value each leaf saw, its reading's time and store ref (provenance)."""
    seen: dict[str, dict[str, Any]] = {}
    for leaf in leaves:
        if leaf.key is None or leaf.key in seen:
            continue
        reading = step.view.get(leaf.key)
        seen[leaf.key] = {
            "value": leaf.value,
            "readingAt": leaf.reading_at.isoformat() if leaf.reading_at else None,
            "ref": reading.ref if reading is not None else None,
        }
    return seen


def _leaves(node: Evaluation) -> tuple[Evaluation, ...]:
    if not node.children:
        return (node,)
    return tuple(leaf for child in node.children for leaf in _leaves(child))


def watch_complete(step: Step) -> bool:
    """SUCCEEDED: remember ``complete`` held; say once when it stops, and heal it.

    :returns: True when a ``missing-output`` rerun was accepted (the run is no longer
        SUCCEEDED and the other after-success checks do not apply).
    """
    result = _complete(step)
    if result is None or step.dry_run or step.run.state is not RunState.SUCCEEDED:
        return False
    if result.passed:
        step.mark(RunMark.COMPLETE_SEEN)
        step.unmark(RunMark.PARTITION_MISSING)
        return False
    if not step.marked(RunMark.COMPLETE_SEEN) or step.marked(RunMark.PARTITION_MISSING):
        return False
    step.mark(RunMark.PARTITION_MISSING)
    return _partition_missing(step, result)


def _partition_missing(step: Step, result: Evaluation) -> bool:
    job = step.pipeline.job
    budget = job.max_self_heals if job is not None else 0
    used = step.run.rerun_count(MISSING_OUTPUT)
    failing = result.failing()
    why = "; ".join(leaf.reason for leaf in failing)
    spent = used >= budget
    step.emit(
        EventType.PARTITION_MISSING,
        f"complete no longer holds: {why}"
        + (f"; self-heal budget spent ({used}/{budget} maxSelfHeals)" if spent else ""),
        failing=[leaf.label for leaf in failing],
        readings=_readings_of(step, failing),
        selfHeals=used,
        maxSelfHeals=budget,
        actionHint="check who deleted the output; rerun to rebuild it" if spent else None,
    )
    if spent:
        step.summary = f"succeeded, but its output is missing: {why} (self-heal budget spent)"
        return False
    request_rerun(step, MISSING_OUTPUT)
    if step.run.state is RunState.SUCCEEDED:
        return False  # refused (the calendar, say): the event says why
    # A new disappearance after this heal is a new one: watch for complete afresh.
    step.unmark(RunMark.COMPLETE_SEEN)
    step.unmark(RunMark.PARTITION_MISSING)
    return True


def stale_attempt(step: Step) -> bool:
    """RUNNING past the stale limit: ``RUN_STALE`` once, and the attempt is given up.

    It ends like an exhausted poll window (FAILED, timed out, outcome unknown: a job report
    may still settle it), so the partition is ``stale`` and the reconciler may run it again.
    """
    run, limit = step.run, stale_limit(step.pipeline)
    if run.state is not RunState.RUNNING or run.launched_at is None or limit is None:
        return False
    if step.now - run.launched_at <= limit or step.marked(RunMark.RUN_STALE):
        return False
    step.mark(RunMark.RUN_STALE)
    source = "sla.maxDuration" if _has_max_duration(step) else "the job poll window"
    step.emit(
        EventType.RUN_STALE,
        f"attempt {run.attempt} worked on {run.partition} for longer than "
        f"{format_duration(limit)} ({source}); given up",
        attempt=run.attempt,
        limit=format_duration(limit),
        launchedAt=run.launched_at.isoformat(),
        actionHint="the job may still be running: check it; the partition is eligible again",
    )
    give_up_attempt(step, f"stale: attempt {run.attempt} ran past {format_duration(limit)}")
    return True


def _has_max_duration(step: Step) -> bool:
    sla = step.pipeline.sla
    return sla is not None and sla.max_duration is not None
