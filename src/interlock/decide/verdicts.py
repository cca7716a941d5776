"""Whether a rerun, a cancel or a job report can take effect, and what became of one. Pure.

``decide()`` applies these verdicts to the signals it consumes, and ``interlock rerun``,
``cancel`` and ``job report`` (through :class:`interlock.app.Interlock`) ask the very same
questions before they record anything. So a command refuses exactly what the controller
would reject, instead of printing "requested" and leaving the rejection to the event log.

Rerun rules, in order (the first that applies decides):

1. A run that never launched (a planned PENDING run, or no run yet) must be a partition the
   pipeline can produce: not in the future (after today's partition in the schedule zone),
   of the schedule's granularity (hourly or daily), a day the cron fires or an include date.
2. The day must not be excluded by the calendar.
3. A run that is still active (WAITING, LAUNCHING, RUNNING) cannot be rerun.
4. The rerun budget (``maxManualReruns`` per reason; ``maxDriftReruns`` shared by
   ``data-drift`` and ``late-data``; ``maxSelfHeals`` for ``missing-output``;
   ``backfill.maxReruns`` shared by the two backfill reasons) must not be spent.
5. The freshness breaker: a successful run is not rerun when no reading changed since
   (except for reruns caused by data, and for backfills: see ``_DATA_REASONS``).

``force`` (an operator's ``rerun --force``) skips 1, 2 and 5: the operator vouches for the
partition and the data. It never skips 3 (one job per run at a time) nor 4: the budget is
the pipeline's own configured limit, raised in its YAML, not per command.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from interlock.decide.partitions import BACKFILL_REASONS, MISSING_OUTPUT
from interlock.decide.plan import expected_granularity, local_partition, partition_start
from interlock.errors import RequestRefusedError
from interlock.events import EventType
from interlock.model import Event, Reading, RerunRequested, Run, RunMark, RunState, Signal
from interlock.model.partitions import parse_partition
from interlock.model.specs import PipelineSpec
from interlock.timing.calendar import exclusion_reason
from interlock.timing.schedule import fire_for_partition, fires_hourly

__all__ = [
    "DRIFT_REASONS",
    "RERUN_EVENTS",
    "Outcome",
    "RerunVerdict",
    "SignalOutcome",
    "SignalReceipt",
    "active_attempt",
    "cancel_outcome",
    "cancel_verdict",
    "partition_problem",
    "report_applies",
    "report_outcome",
    "report_verdict",
    "rerun_budget",
    "rerun_outcome",
    "rerun_verdict",
    "settles_unknown_outcome",
]

DRIFT_REASONS = ("data-drift", "late-data")
_DATA_REASONS = (*DRIFT_REASONS, MISSING_OUTPUT, *BACKFILL_REASONS)
"""Reruns the freshness breaker cannot refuse: caused by a reading, or a backfill an operator
planned partition by partition and confirmed (``--include-done`` exists to redo done data)."""
_BUDGET_KINDS = {
    "data-drift": "drift",
    "late-data": "drift",
    MISSING_OUTPUT: "self-heal",
    **dict.fromkeys(BACKFILL_REASONS, "backfill"),
}

RERUN_EVENTS = (
    EventType.RERUN_ACCEPTED,
    EventType.RERUN_REJECTED,
    EventType.DRY_RUN_WOULD_RERUN,
    EventType.DRY_RUN_RERUN_REJECTED,
)
"""The events by which a decision answers a rerun request (exactly one per request)."""

_ACTIVE = (RunState.LAUNCHING, RunState.RUNNING)
_NEVER_LAUNCHED = (RunState.PENDING, RunState.EXHAUSTED, RunState.CANCELLED)
"""States a run may be in with no attempt launched (WAITING is refused as active anyway)."""
JobStatus = Literal["succeeded", "failed", "running"]


@dataclass(frozen=True, kw_only=True)
class RerunVerdict:
    """The answer to a rerun request; accepted when ``rejection`` is None."""

    rejection: str | None = None
    excluded: str | None = None
    """The calendar exclusion behind a rejection (decide() records ``PIPELINE_EXCLUDED``)."""
    forceable: bool = False
    """``--force`` would override this rejection (rules 1, 2 and 5 of the module doc)."""

    @property
    def accepted(self) -> bool:
        """True when the rerun takes effect."""
        return self.rejection is None


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What became of a request the controller has consumed."""

    accepted: bool
    message: str
    attempt: int | None = None


Request = Literal["rerun", "cancel", "report"]
OutcomeKind = Literal["accepted", "refused", "queued"]


@dataclass(frozen=True, kw_only=True)
class SignalOutcome:
    """What became of a rerun, cancel or job report (:meth:`Interlock.await_outcome`).

    ``outcome``: ``accepted`` (it took effect), ``refused`` (the controller rejected it, or
    the run ended first) or ``queued`` (recorded; no controller has acted on it yet).
    """

    request: Request
    pipeline_id: str
    partition: str
    outcome: OutcomeKind
    message: str
    attempt: int | None = None
    forced: bool = False

    @classmethod
    def of_refusal(cls, refused: RequestRefusedError) -> SignalOutcome:
        """A request refused before it was recorded, as the same kind of answer."""
        return cls(
            request=cast("Request", refused.request),
            pipeline_id=refused.pipeline_id,
            partition=refused.partition,
            outcome="refused",
            message=str(refused),
            attempt=refused.attempt,
        )


@dataclass(frozen=True, kw_only=True)
class SignalReceipt:
    """A request that passed its checks and was recorded, to wait for."""

    request: Request
    pipeline_id: str
    partition: str
    signal: Signal
    attempt: int
    """For a report, the attempt reported on; otherwise the run's attempt when requested."""

    @property
    def subject(self) -> str:
        """``rerun of orders 2026-11-22``, ``cancel of ...``, ``job report for orders/.../2``."""
        if self.request == "report":
            return f"job report for {self.pipeline_id}/{self.partition}/{self.attempt}"
        return f"{self.request} of {self.pipeline_id} {self.partition}"

    def outcome(
        self, kind: OutcomeKind, message: str, *, attempt: int | None = None
    ) -> SignalOutcome:
        """The outcome of this request, its message prefixed with what was asked."""
        forced = isinstance(self.signal, RerunRequested) and self.signal.force
        prefixed = f"{self.subject} {message}"
        return SignalOutcome(
            request=self.request,
            pipeline_id=self.pipeline_id,
            partition=self.partition,
            outcome=kind,
            message=message if self.request == "report" and kind != "queued" else prefixed,
            attempt=self.attempt if attempt is None and self.request == "report" else attempt,
            forced=forced,
        )


def partition_problem(pipeline: PipelineSpec, partition: str, now: datetime) -> str | None:
    """Why ``pipeline`` cannot produce ``partition`` (rule 1 of the module doc); None if it can.

    :raises InputError: for a malformed partition.
    """
    schedule, parsed = pipeline.schedule, parse_partition(partition)
    if partition_start(pipeline, partition) > now:
        today = local_partition(schedule.timezone, now, hourly=parsed.hour is not None)
        return f"{partition} is in the future (today's is {today} in {schedule.timezone})"
    hourly: bool | None = None
    if schedule.cron:
        hourly = fires_hourly(schedule.cron)
    elif schedule.include_dates:
        hourly = False
    elif (granularity := expected_granularity(pipeline)) is not None:
        hourly = granularity == "hourly"
    if hourly is not None and hourly != (parsed.hour is not None):
        kind = "hourly (YYYY-MM-DDTHH)" if hourly else "daily (YYYY-MM-DD)"
        return f"{pipeline.id} has {kind} partitions, not {partition}"
    if schedule.cron and fire_for_partition(schedule.cron, schedule.timezone, partition) is None:
        return f"schedule.cron {schedule.cron!r} does not fire in {partition}"
    if schedule.include_dates and parsed.day.isoformat() not in schedule.include_dates:
        return f"{parsed.day.isoformat()} is not one of schedule.include dates"
    return None


def rerun_budget(pipeline: PipelineSpec, run: Run, reason: str) -> tuple[int, int]:
    """``(used, budget)`` of the rerun budget ``reason`` draws on (rule 4)."""
    job = pipeline.job
    if reason in DRIFT_REASONS:
        return run.rerun_count(*DRIFT_REASONS), job.max_drift_reruns if job else 1
    if reason == MISSING_OUTPUT:  # self-healing has its own budget, per partition
        return run.rerun_count(reason), job.max_self_heals if job else 0
    if reason in BACKFILL_REASONS:  # one budget, with or without the cascade
        return run.rerun_count(*BACKFILL_REASONS), pipeline.backfill.max_reruns
    return run.rerun_count(reason), job.max_manual_reruns if job else 1


def rerun_verdict(  # noqa: PLR0913 - the inputs of decide() that a rerun depends on
    pipeline: PipelineSpec,
    run: Run,
    view: Mapping[str, Reading],
    now: datetime,
    *,
    reason: str,
    force: bool = False,
) -> RerunVerdict:
    """Whether a rerun of ``run`` for ``reason`` at ``now`` takes effect (see the module doc).

    :param run: the stored run, or a PENDING ``Run`` when the partition has none yet.
    :param view: the readings the run sees (key → reading), for the freshness breaker.
    """
    if not force and (refused := _unproducible(pipeline, run, now)) is not None:
        return refused
    if run.state is RunState.PENDING:
        return RerunVerdict()
    if not run.is_terminal:
        return RerunVerdict(rejection=f"run is {run.state.value}; a rerun needs a finished run")
    used, budget = rerun_budget(pipeline, run, reason)
    if used >= budget:
        kind = _BUDGET_KINDS.get(reason, "manual")
        return RerunVerdict(rejection=f"{kind} rerun limit exceeded ({used}/{budget})")
    if not force and _unchanged_since_success(run, view, reason):
        return RerunVerdict(
            rejection="previous run succeeded and no sensor data has changed", forceable=True
        )
    return RerunVerdict()


def _unproducible(pipeline: PipelineSpec, run: Run, now: datetime) -> RerunVerdict | None:
    """Rules 1 and 2: a partition the pipeline cannot produce, or a day its calendar excludes."""
    if run.attempt == 0 and run.state in _NEVER_LAUNCHED:
        problem = partition_problem(pipeline, run.partition, now)
        if problem is not None:
            return RerunVerdict(rejection=problem, forceable=True)
    excluded = exclusion_reason(pipeline.schedule, parse_partition(run.partition).day)
    if excluded is not None:
        return RerunVerdict(
            rejection=f"excluded by calendar: {excluded}", excluded=excluded, forceable=True
        )
    return None


def _unchanged_since_success(run: Run, view: Mapping[str, Reading], reason: str) -> bool:
    """The freshness breaker (rule 5): by the time Interlock accepted each reading."""
    consumed = run.launched_at if run.state is RunState.SHADOWED else run.finished_at
    succeeded = run.state in (RunState.SUCCEEDED, RunState.SHADOWED)
    if not succeeded or reason in _DATA_REASONS or consumed is None or not view:
        return False
    return not any(r.updated_at > consumed for r in view.values())


def cancel_verdict(run: Run | None) -> str | None:
    """Why a cancel cannot take effect (no run, or one already final); None when it can.

    A planned run (PENDING, even a future one) may be cancelled: that skips it.
    """
    if run is None:
        return "it has no run"
    if run.is_terminal:
        return f"the run is already {run.state.value}"
    return None


def settles_unknown_outcome(run: Run, attempt: int, status: JobStatus) -> bool:
    """A report of the final outcome of an attempt Interlock lost track of.

    INFRA_FAILURE and JOB_POLL_EXHAUSTED end a run FAILED because its outcome is unknown and
    tell the operator to check the job and report it; that report then decides the run.
    """
    return (
        run.state is RunState.FAILED
        and RunMark.OUTCOME_UNKNOWN in run.marks
        and attempt == run.attempt
        and status != "running"
    )


def active_attempt(run: Run, attempt: int) -> bool:
    """Whether ``attempt`` is the run's current one and is launching or running."""
    return attempt == run.attempt and run.state in _ACTIVE


def report_applies(run: Run, attempt: int, status: JobStatus) -> bool:
    """Whether a job report for ``attempt`` changes ``run``.

    Its current, active attempt, or one whose lost outcome it settles.
    """
    return settles_unknown_outcome(run, attempt, status) or active_attempt(run, attempt)


def report_verdict(run: Run | None, attempt: int | None, status: JobStatus) -> str | None:
    """Why a job report cannot take effect; None when it can.

    :param attempt: the attempt reported on; None means the run's latest.
    """
    if run is None or run.attempt == 0:
        return "it has no launched attempt"
    number = run.attempt if attempt is None else attempt
    if number < 1 or number > run.attempt:
        return f"attempt {number} does not exist (the latest is {run.attempt})"
    if report_applies(run, number, status):
        return None
    if number < run.attempt:
        return f"attempt {number} has ended; the run is on attempt {run.attempt}"
    return f"attempt {number} has already ended: the run is {run.state.value}"


def rerun_outcome(run: Run, events: Sequence[Event], before: int) -> Outcome:
    """What became of a consumed rerun: the newest rerun answer in ``events``.

    :param before: the run's attempt number when the rerun was requested.
    """
    answers = [e for e in events if e.type in RERUN_EVENTS]
    if not answers:
        return Outcome(accepted=False, message=f"not rerun: the run is {run.state.value}")
    answer = answers[-1]
    if answer.type in (EventType.RERUN_REJECTED, EventType.DRY_RUN_RERUN_REJECTED):
        return Outcome(accepted=False, message=f"rejected: {answer.message}")
    if answer.type == EventType.DRY_RUN_WOULD_RERUN:
        return Outcome(accepted=True, message=f"accepted: {answer.message}")
    if run.attempt > before:
        return Outcome(
            accepted=True, message=f"accepted: attempt {run.attempt} launched", attempt=run.attempt
        )
    return Outcome(accepted=True, message="accepted: waiting for its rules to hold")


def cancel_outcome(run: Run) -> Outcome:
    """What became of a consumed cancel: the run is CANCELLED, or it ended otherwise first."""
    if run.state is RunState.CANCELLED:
        return Outcome(accepted=True, message="accepted: the run is cancelled")
    return Outcome(accepted=False, message=f"not applied: the run ended first ({run.state.value})")


def report_outcome(run: Run, attempt: int, status: JobStatus) -> Outcome:
    """What became of a consumed job report, read from the run after the decision."""
    if run.attempt > attempt and status == "failed":
        message = f"recorded: attempt {attempt} failed; attempt {run.attempt} launched"
        return Outcome(accepted=True, message=message, attempt=attempt)
    expected = {
        "succeeded": (RunState.SUCCEEDED,),
        "failed": (RunState.FAILED, RunState.CANCELLED, RunState.WAITING),
        "running": (RunState.RUNNING,),
    }[status]
    if run.attempt == attempt and run.state in expected:
        text: str = "is running" if status == "running" else status
        if status == "failed" and run.state is RunState.WAITING:
            text = "failed; a retry waits for its rules"
        return Outcome(
            accepted=True, message=f"recorded: attempt {attempt} {text}", attempt=attempt
        )
    return Outcome(
        accepted=False,
        message=f"not recorded: attempt {attempt} had already ended (the run is {run.state.value})",
        attempt=attempt,
    )
