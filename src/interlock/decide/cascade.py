"""Cascading reruns: a consumed upstream partition succeeded again. Pure.

A succeeded run remembers which upstream attempts it consumed (``Run.upstream_seen``, frozen
at launch). When one of those upstream partitions comes to rest again in an accepted state
with another attempt (a drift rerun, late data, a manual fix), ``onUpstreamRerun`` decides
(unless that attempt was a ``backfill --no-downstream``: see :func:`cascades_downstream`):

- ``rerun``: this same partition reruns with reason ``upstream-rerun`` (``RERUN_ACCEPTED``,
  within ``job.maxUpstreamReruns``), the upstream attempts recorded as its cause;
- ``alert``: ``UPSTREAM_RERUN`` only; ``ignore``: nothing.

A run fed by several upstreams that rerun together (a diamond A → B, C → D) waits until none
of its upstreams is still working, so it reruns once, with every new input, not once per
upstream.
"""

from __future__ import annotations

from collections.abc import Sequence

from interlock.decide.dependencies import (
    DependencyCheck,
    DependencyStatus,
    evaluate_dependencies,
)
from interlock.decide.lifecycle import RETRY_REASON, reopen
from interlock.decide.partitions import BACKFILL_NO_DOWNSTREAM
from interlock.decide.step import Step
from interlock.events import EventType
from interlock.model import RunState
from interlock.model.dependencies import UpstreamRerunPolicy

__all__ = ["UPSTREAM_RERUN_REASON", "cascades_downstream", "upstream_rerun"]

UPSTREAM_RERUN_REASON = "upstream-rerun"


def cascades_downstream(attempt_reason: str, rerun_reasons: Sequence[str]) -> bool:
    """Whether a run's latest attempt may cascade: not one a ``--no-downstream`` backfill asked.

    The latest rerun that is not a retry decides (a backfilled attempt that failed and was
    retried is still the backfill's); a run never rerun, the reason it was opened with.
    """
    asked = [reason for reason in rerun_reasons if reason != RETRY_REASON]
    latest = asked[-1] if asked else attempt_reason
    return latest != BACKFILL_NO_DOWNSTREAM


def upstream_rerun(step: Step) -> bool:
    """Check a succeeded run's consumed upstreams; True when a rerun was started."""
    pipeline, run = step.pipeline, step.run
    policy = pipeline.on_upstream_rerun
    if pipeline.depends_on is None or policy is UpstreamRerunPolicy.IGNORE:
        return False
    if run.state is not RunState.SUCCEEDED or not run.upstream_seen:
        return False
    evaluation = evaluate_dependencies(pipeline, run.partition, step.upstream, step.now)
    again = [c for c in evaluation.checks if _succeeded_again(step, c)] if evaluation else []
    changed = [c for c in again if all(run.cascades for run in c.matched)]
    if len(changed) < len(again):
        _say_suppressed(step, [c for c in again if c not in changed])
    if not changed or evaluation is None:
        return False
    if any(check.status is DependencyStatus.WAITING for check in evaluation.checks):
        step.summary = "succeeded; an upstream it consumed is running again: waiting for it"
        return False  # a diamond's other branch is still rerunning: rerun once, after it
    cause = ",".join(run.attempt_id for check in changed for run in check.matched)
    mark = f"upstream-rerun:{cause}"
    if step.marked(mark):
        return False
    step.mark(mark)
    return _cascade(step, [check.label for check in changed], cause)


def _cascade(step: Step, labels: list[str], cause: str) -> bool:
    """Rerun within the budget (``rerun``), or only say so (``alert``, budget spent)."""
    if step.pipeline.on_upstream_rerun is UpstreamRerunPolicy.ALERT:
        _say_rerun(step, labels, cause, "onUpstreamRerun is alert: not rerun")
        return False
    job = step.pipeline.job
    budget = job.max_upstream_reruns if job is not None else 0
    used = step.run.rerun_count(UPSTREAM_RERUN_REASON)
    if used >= budget:
        _say_rerun(step, labels, cause, f"maxUpstreamReruns spent ({used}/{budget}): not rerun")
        return False
    step.emit(
        EventType.RERUN_ACCEPTED,
        f"upstream-rerun rerun accepted: {', '.join(labels)} succeeded again",
        reason=UPSTREAM_RERUN_REASON,
        upstream=labels,
        upstreamAttempts=cause.split(","),
        reruns=used + 1,
        maxUpstreamReruns=budget,
    )
    reopen(step, UPSTREAM_RERUN_REASON, cause=cause)
    return True


def _say_suppressed(step: Step, quiet: list[DependencyCheck]) -> None:
    """Once per upstream attempt: it succeeded again, but was backfilled --no-downstream."""
    cause = ",".join(run.attempt_id for check in quiet for run in check.matched)
    mark = f"upstream-quiet:{cause}"
    if step.marked(mark):
        return
    step.mark(mark)
    _say_rerun(
        step,
        [check.label for check in quiet],
        cause,
        "it was backfilled with --no-downstream: not rerun",
    )


def _succeeded_again(step: Step, check: DependencyCheck) -> bool:
    """The same upstream partitions arrived again, with other attempts than were consumed.

    Another partition arriving (``latest`` moving on to a new day) is not a rerun of what
    this run consumed, so it never cascades.
    """
    seen = step.run.upstream_seen.get(check.label)
    if seen is None or check.status is not DependencyStatus.ARRIVED:
        return False
    now = tuple(run.attempt_id for run in check.matched)
    return now != seen and _runs_of(now) == _runs_of(seen)


def _runs_of(attempt_ids: tuple[str, ...]) -> frozenset[str]:
    """``pipeline/partition`` of each ``pipeline/partition/attempt``."""
    return frozenset(attempt_id.rsplit("/", 1)[0] for attempt_id in attempt_ids)


def _say_rerun(step: Step, labels: list[str], cause: str, outcome: str) -> None:
    step.emit(
        EventType.UPSTREAM_RERUN,
        f"{', '.join(labels)} succeeded again after this run consumed it; {outcome}",
        upstream=labels,
        upstreamAttempts=cause.split(","),
        policy=step.pipeline.on_upstream_rerun.value,
    )
