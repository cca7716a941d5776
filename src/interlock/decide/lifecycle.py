"""Run lifecycle transitions: open, evaluate, launch, poll outcomes, retry.

Each function takes the :class:`~interlock.decide.step.Step` of the current decision and
moves the run along the run state machine (docs/architecture.md)::

    PENDING -> WAITING -> LAUNCHING -> RUNNING -> SUCCEEDED | FAILED
                  |                                   (retry: back to WAITING)
                  +-> EXHAUSTED (window closed)     dry-run: WAITING -> SHADOWED

Safety rule enforced here and nowhere else: a launch is only ever decided in
:func:`evaluate_window`, right after the validation condition evaluated true at ``now``,
and never while the pipeline is paused (``PipelineSpec.paused``): first launches, retries
and reruns all pass through it, so a paused pipeline's runs are evaluated, watched and
alerted on, and launch nothing.
"""

from __future__ import annotations

from datetime import datetime

from interlock.decide.baseline import capture_baseline, dry_run_sla_projection
from interlock.decide.dependencies import evaluate_dependencies, track_dependencies
from interlock.decide.plan import first_check_at, trigger_partition, upcoming_runs
from interlock.decide.verdicts import active_attempt, settles_unknown_outcome
from interlock.events import EventType
from interlock.model import (
    FailureCategory,
    JobReported,
    LaunchFailed,
    LaunchJob,
    LaunchRecorded,
    LaunchUnknown,
    OpenedBy,
    RerunRecord,
    RunMark,
    RunState,
)
from interlock.model.conditions import rules_of
from interlock.model.durations import format_duration
from interlock.model.partitions import parse_partition
from interlock.model.specs import JobSpec
from interlock.rules.evaluate import evaluate
from interlock.timing.calendar import exclusion_reason, local_day
from interlock.timing.schedule import fire_for_partition

from .job_status import AUTH, CANCELLED, NEVER_RETRIED, observe_poll, refusal_failure
from .step import Step

__all__ = [
    "apply_job_signal",
    "cron_fire",
    "evaluate_window",
    "excluded_reason",
    "give_up_attempt",
    "open_window",
    "plan_successor",
    "poll_window_exhausted",
    "reopen",
    "retry_budget",
    "try_open",
]

RETRY_REASON = "job-fail-retry"
_OWN_DATE = frozenset({OpenedBy.CRON, OpenedBy.UPSTREAM, OpenedBy.BACKFILL})
"""Openers whose calendar check is for the partition's date, not the wall clock's."""
_OPENED_WHEN_DECIDED = frozenset({OpenedBy.UPSTREAM, OpenedBy.BACKFILL})
"""Openers that create a run only when it is due: an upstream came to rest for the
partition, or the reconciler found the desired partition not done."""
OUTCOME_UNKNOWN = RunMark.OUTCOME_UNKNOWN
"""Mark of a run that failed because its job's outcome is unknown: a report may settle it."""


def excluded_reason(step: Step, *, wall_clock: bool) -> str | None:
    """Calendar exclusion: on the wall-clock date for new runs, the run's date for reruns."""
    schedule = step.pipeline.schedule
    day = (
        local_day(step.now, schedule.timezone)
        if wall_clock
        else parse_partition(step.run.partition).day
    )
    return exclusion_reason(schedule, day)


def plan_successor(step: Step) -> None:
    """Plan the next expected run once, when this run's own time has come.

    A run is *current* once its window opened or its first timer (cron fire, deadline) is
    reached; only then does it plan its successor. A PENDING run decided early (a rerun
    request, a reading) plans nothing, so at most one run per schedule is ever planned
    ahead, however often runs are woken.
    """
    if step.marked(RunMark.PLANNED_NEXT):
        return
    run = step.run
    if run.state is RunState.PENDING:
        due = first_check_at(step.pipeline, run.partition)
        if due is not None and step.now < due:
            return
    step.mark(RunMark.PLANNED_NEXT)
    step.actions.extend(upcoming_runs(step.pipeline, run.partition, step.now))


def try_open(step: Step) -> None:
    """A PENDING run opens when its cron fires or its trigger condition holds."""
    run, schedule = step.run, step.pipeline.schedule
    fire = cron_fire(step)
    if fire is not None and step.now >= fire:
        open_window(step, opened_by=OpenedBy.CRON, window_start=fire)
        return
    if run.opened_by in _OPENED_WHEN_DECIDED:
        open_window(step, opened_by=run.opened_by, window_start=step.now)
        return
    trigger = schedule.trigger
    if trigger is None:
        step.summary = _pending_summary(step)
        return
    step.trigger = evaluate(trigger.condition, step.view, step.now, partition=run.partition)
    if step.trigger.passed and _trigger_is_for_this_run(step, trigger.keys):
        first = min(
            (r.updated_at for k, r in step.view.items() if k in trigger.keys), default=step.now
        )
        step.update(first_reading_at=run.first_reading_at or first)
        open_window(step, opened_by=OpenedBy.TRIGGER, window_start=step.now)
        return
    step.summary = _pending_summary(step)
    step.waiting_for = "trigger: " + "; ".join(e.reason for e in step.trigger.failing())


def _trigger_is_for_this_run(step: Step, keys: frozenset[str]) -> bool:
    """A trigger reading opens its own partition; an undated one opens today's (Go semantics).

    Without this, an undated reading would also open every future run planned by cron.
    """
    for key in keys:
        reading = step.view.get(key)
        if (
            reading is not None
            and trigger_partition(step.pipeline, reading, step.now) == step.run.partition
        ):
            return True
    return False


def cron_fire(step: Step) -> datetime | None:
    """The cron fire that opens this run, or None for runs not opened by cron."""
    cron = step.pipeline.schedule.cron
    if not cron or step.run.opened_by != OpenedBy.CRON:
        return None
    return fire_for_partition(cron, step.pipeline.schedule.timezone, step.run.partition)


def _pending_summary(step: Step) -> str:
    fire = cron_fire(step)
    if fire is not None:
        return f"waiting for the cron fire at {fire.isoformat()}"
    if step.pipeline.schedule.trigger is not None:
        return "waiting for the trigger condition"
    if step.pipeline.depends_on is not None:
        return "waiting for an upstream run to finish for this partition"
    return "waiting to be opened (no cron or trigger; use rerun to start it)"


def open_window(step: Step, *, opened_by: OpenedBy, window_start: datetime) -> None:
    """Enter WAITING with a fresh evaluation window, unless the calendar excludes today."""
    # A cron fire is for its own date; a trigger reading for today on the wall clock. A
    # manual open (a rerun) had its partition's date checked by the rerun verdict already,
    # unless the operator forced it.
    reason = (
        None
        if opened_by is OpenedBy.MANUAL
        else excluded_reason(step, wall_clock=opened_by not in _OWN_DATE)
    )
    if reason is not None:
        step.emit(EventType.PIPELINE_EXCLUDED, reason, reason=reason)
        step.move(RunState.CANCELLED, f"excluded by the calendar: {reason}")
        return
    start = window_start
    window = step.pipeline.schedule.evaluation.window
    if step.now - start >= window:
        step.emit(
            EventType.SCHEDULE_MISSED,
            "the evaluation window passed while no controller was running",
            expectedTime=start.isoformat(),
            cron=step.pipeline.schedule.cron,
            actionHint="check that the controller runs; use rerun to start this partition",
        )
        step.mark(RunMark.SCHEDULE_MISSED)
        step.move(RunState.EXHAUSTED, "the whole evaluation window passed unobserved")
        return
    closes = None if opened_by is OpenedBy.BACKFILL else start + window
    step.update(
        state=RunState.WAITING,
        opened_by=opened_by,
        opened_at=step.now,
        window_closes_at=closes,
        trigger_cursor=_newest_trigger_reading(step) or step.run.trigger_cursor,
    )
    step.emit(
        EventType.RUN_OPENED,
        f"opened by {opened_by}",
        openedBy=opened_by.value,
        windowClosesAt=closes.isoformat() if closes else None,
    )
    evaluate_window(step)


def evaluate_window(step: Step) -> None:
    """WAITING: launch when the rules and ``dependsOn`` hold; exhaust when the window closes.

    The window bounds the wait for the validation rules. A run whose rules hold but whose
    upstreams have not arrived keeps waiting after it closes: it is woken when an upstream
    comes to rest (no polling), and its SLA says when that is too late.
    """
    run = step.run
    closes = run.window_closes_at
    step.validation = evaluate(
        step.pipeline.validation, step.view, step.now, partition=run.partition
    )
    deps = evaluate_dependencies(step.pipeline, run.partition, step.upstream, step.now)
    step.dependencies = deps
    if deps is not None:
        track_dependencies(step, deps)
    deps_met = deps is None or deps.passed
    closed = closes is not None and step.now >= closes
    slot_wait = step.validation.passed and deps_met and step.no_free_slot
    if closed and (not step.validation.passed or (deps is None and not slot_wait)):
        step.emit(
            EventType.VALIDATION_EXHAUSTED,
            "evaluation window closed before the rules held",
            windowClosedAt=closes.isoformat() if closes else None,
            failing=[e.reason for e in step.validation.failing()],
        )
        step.move(RunState.EXHAUSTED, "the evaluation window closed before the rules held")
        return
    if not step.validation.passed or not deps_met:
        waits = [e.reason for e in step.validation.failing()]
        if deps is not None and not deps.passed:
            waits.append(deps.waiting_for())
        step.summary = (
            "waiting for the validation rules"
            if not step.validation.passed
            else "waiting for upstream dependencies"
        )
        step.waiting_for = "; ".join(waits)
        return
    _decide_launch(step)


def _decide_launch(step: Step) -> None:
    if step.pipeline.paused is not None:  # the rules hold, but an operator said: launch nothing
        step.summary = "the rules hold; nothing is launched while the pipeline is paused"
        step.waiting_for = f"interlock resume {step.pipeline.id}"
        return
    if step.no_free_slot:  # maxConcurrent: woken when a slot frees, not polled
        _await_slot(step)
        return
    rules = len(rules_of(step.pipeline.validation))
    step.emit(EventType.VALIDATION_PASSED, "all validation rules hold", rulesEvaluated=rules)
    step.update(trigger_cursor=_newest_trigger_reading(step) or step.run.trigger_cursor)
    if step.dry_run:
        _shadow_launch(step, rules)
        return
    if step.pipeline.job is None:
        step.update(finished_at=step.now)
        step.move(RunState.SUCCEEDED, "the rules hold; no job is configured, so the run is done")
        capture_baseline(step)
        return
    attempt = step.run.attempt + 1
    step.update(
        state=RunState.LAUNCHING,
        attempt=attempt,
        attempt_reason=step.run.attempt_reason or "initial",
        launched_at=step.now,
        finished_at=None,
        failure_category=None,
    )
    step.actions.append(
        LaunchJob(
            pipeline_id=step.run.pipeline_id,
            partition=step.run.partition,
            attempt=attempt,
            attempt_id=step.run.attempt_id,
        )
    )
    step.summary = f"launching attempt {attempt}"


def _await_slot(step: Step) -> None:
    limit = step.pipeline.backfill.max_concurrent
    running = limit - (step.slots or 0)
    step.awaiting_slot = True
    step.summary = (
        f"the rules hold; waiting for a backfill slot ({running} running, maxConcurrent {limit})"
    )
    step.waiting_for = f"a free slot ({running} of maxConcurrent {limit} launching or running)"


def _shadow_launch(step: Step, rules: int) -> None:
    now = step.now.isoformat()
    step.emit(
        EventType.DRY_RUN_WOULD_TRIGGER,
        "dry run: all rules hold, the job would launch now",
        triggeredAt=now,
        rulesEvaluated=rules,
    )
    capture_baseline(step, quiet=True)
    projection = dry_run_sla_projection(step)
    step.emit(
        EventType.DRY_RUN_COMPLETED, "dry run: evaluation complete", triggeredAt=now, **projection
    )
    step.update(launched_at=step.now)
    step.move(RunState.SHADOWED, "dry run: the job would have launched here")


def _newest_trigger_reading(step: Step) -> datetime | None:
    trigger = step.pipeline.schedule.trigger
    keys = trigger.keys if trigger is not None else frozenset()
    times = [r.updated_at for k, r in step.view.items() if k in keys]
    return max(times, default=None)


def apply_job_signal(
    step: Step, signal: JobReported | LaunchRecorded | LaunchFailed | LaunchUnknown
) -> None:
    """Apply what the backend (or the job itself) reported for the current attempt."""
    run = step.run
    if any(isinstance(a, LaunchJob) for a in step.actions):
        return  # the attempt decided in this very call has not been launched: nothing to report
    if isinstance(signal, JobReported) and settles_unknown_outcome(
        run, signal.attempt, signal.status
    ):
        step.unmark(OUTCOME_UNKNOWN)
        step.update(state=RunState.RUNNING, finished_at=None, failure_category=None)
        run = step.run
    if not active_attempt(run, signal.attempt):
        if step.dry_run and isinstance(signal, JobReported) and signal.status == "failed":
            _shadow_failure(step)
        return
    if isinstance(signal, LaunchRecorded):
        _record_launch(step, dict(signal.handle))
    elif isinstance(signal, LaunchUnknown):
        _launch_unknown(step, signal)
    elif isinstance(signal, LaunchFailed):
        step.emit(
            EventType.JOB_FAILED,
            f"launch failed: {signal.message}",
            attempt=run.attempt,
            category=signal.category,
        )
        _after_failure(step, FailureCategory.reported(signal.category))
    else:
        _job_reported(step, signal)


def _launch_unknown(step: Step, signal: LaunchUnknown) -> None:
    attempt = step.run.attempt
    step.emit(
        EventType.INFRA_FAILURE,
        "launch state unknown after a crash; not relaunched",
        attempt=attempt,
        actionHint="check whether the job ran, then use rerun or job report",
        error=signal.message or None,
    )
    step.update(finished_at=step.now, failure_category=FailureCategory.UNKNOWN)
    step.mark(OUTCOME_UNKNOWN)
    step.move(RunState.FAILED, f"attempt {attempt}: launch state unknown; raised, not relaunched")


def _job_reported(step: Step, signal: JobReported) -> None:
    if step.run.state is RunState.LAUNCHING and not signal.unavailable:
        _record_launch(step, {})  # a fast job can finish before its handle is recorded
    if observe_poll(step, signal):
        failure = refusal_failure(step) if signal.refused else None
        if failure is not None:
            _fail_attempt(step, f"{failure} ({signal.message})", AUTH)
        return
    if signal.status == "succeeded":
        _succeed(step, signal.message)
    elif signal.category == CANCELLED:
        _cancelled_in_job_system(step, signal.message)
    else:
        message = f"job failed: {signal.message}" if signal.message else "job failed"
        _fail_attempt(step, message, FailureCategory.reported(signal.category))


def _fail_attempt(step: Step, message: str, category: FailureCategory) -> None:
    step.emit(EventType.JOB_FAILED, message, attempt=step.run.attempt, category=category.value)
    _after_failure(step, category)


def _cancelled_in_job_system(step: Step, message: str) -> None:
    """Someone stopped the job where it runs: their decision stands, nothing is retried."""
    attempt = step.run.attempt
    step.emit(
        EventType.RUN_CANCELLED,
        f"attempt {attempt} was cancelled in the job system; not retried"
        + (f" ({message})" if message else ""),
        attempt=attempt,
        source="job",
        previousState=step.run.state.value,
    )
    step.update(finished_at=step.now, failure_category=CANCELLED)
    step.move(RunState.CANCELLED, f"attempt {attempt} was cancelled in the job system")


def _record_launch(step: Step, handle: dict[str, object]) -> None:
    step.update(state=RunState.RUNNING)
    step.emit(
        EventType.JOB_TRIGGERED,
        f"attempt {step.run.attempt} launched",
        attempt=step.run.attempt,
        attemptId=step.run.attempt_id,
        reason=step.run.attempt_reason,
        handle=handle or None,
    )
    step.summary = f"attempt {step.run.attempt} is running"


def _succeed(step: Step, message: str) -> None:
    step.update(finished_at=step.now)
    step.emit(EventType.JOB_COMPLETED, message or "job succeeded", attempt=step.run.attempt)
    step.move(RunState.SUCCEEDED, f"attempt {step.run.attempt} succeeded")
    capture_baseline(step)


def retry_budget(job: JobSpec | None, category: FailureCategory) -> tuple[str, int]:
    """The budget a failure of ``category`` retries within: its YAML name and its size.

    A code or configuration error (``PERMANENT``) has ``maxCodeRetries``; every other
    retried failure shares ``maxRetries``. No job: no retries.
    """
    permanent = category == FailureCategory.PERMANENT
    name = "maxCodeRetries" if permanent else "maxRetries"
    if job is None:
        return name, 0
    return name, job.max_code_retries if permanent else job.max_retries


def _after_failure(step: Step, category: FailureCategory) -> None:
    step.update(finished_at=step.now, failure_category=category)
    if category in NEVER_RETRIED:
        step.move(
            RunState.FAILED,
            f"attempt {step.run.attempt} failed ({category}); not retried automatically",
        )
        return
    name, budget = retry_budget(step.pipeline.job, category)
    used = step.run.rerun_count(RETRY_REASON)
    if used >= budget:
        spent = " of maxCodeRetries" if name == "maxCodeRetries" else ""
        step.emit(  # the detail names the budget that was spent
            EventType.RETRY_EXHAUSTED,
            f"retry limit reached ({used}/{budget}{spent})",
            retries=used,
            **{name: budget},
            category=category.value,
        )
        step.move(
            RunState.FAILED,
            f"attempt {step.run.attempt} failed; retry budget {used}/{budget} used up",
        )
        return
    reason = excluded_reason(step, wall_clock=False)
    if reason is not None:
        step.emit(EventType.PIPELINE_EXCLUDED, f"retry skipped: {reason}", reason=reason)
        step.move(RunState.FAILED, f"attempt {step.run.attempt} failed; retry excluded: {reason}")
        return
    reopen(step, RETRY_REASON)


def reopen(step: Step, reason: str, *, attempt_reason: str | None = None, cause: str = "") -> None:
    """Back to WAITING with a fresh window; the next launch is a new attempt for ``reason``.

    ``attempt_reason`` labels that attempt when it differs from the budget's ``reason``
    (a forced rerun: ``manual (forced)`` still spends the ``manual`` budget).
    """
    record = RerunRecord(reason=reason, at=step.now, attempt=step.run.attempt + 1, cause=cause)
    window = step.pipeline.schedule.evaluation.window
    backfill = step.run.opened_by is OpenedBy.BACKFILL  # no window: it waits until done
    step.update(  # opened_at stays: the run opened once, whatever its attempts
        state=RunState.WAITING,
        reruns=(*step.run.reruns, record),
        attempt_reason=attempt_reason or reason,
        window_closes_at=None if backfill else step.now + window,
    )
    evaluate_window(step)


def _shadow_failure(step: Step) -> None:
    job = step.pipeline.job
    budget = job.max_retries if job else 0
    used = step.run.rerun_count("dry-run-retry")
    if used >= budget:
        step.emit(
            EventType.DRY_RUN_RETRY_EXHAUSTED,
            "dry run: retry budget used up",
            retries=used,
            maxRetries=budget,
        )
        return
    step.update(
        reruns=(
            *step.run.reruns,
            RerunRecord(reason="dry-run-retry", at=step.now, attempt=used + 1),
        )
    )
    step.emit(
        EventType.DRY_RUN_WOULD_RETRY,
        "dry run: the job would be retried",
        retries=used + 1,
        maxRetries=budget,
    )


def poll_window_exhausted(step: Step) -> bool:
    """RUNNING past ``jobPollWindowSeconds``: give up polling (no automatic retry, as in Go)."""
    run, job = step.run, step.pipeline.job
    if run.state is not RunState.RUNNING or job is None or run.launched_at is None:
        return False
    if step.now < run.launched_at + job.poll_window:
        return False
    step.emit(
        EventType.JOB_POLL_EXHAUSTED,
        f"no final job status within {format_duration(job.poll_window)}",
        attempt=run.attempt,
        actionHint="the job may still be running: check it, then use job report or rerun",
    )
    give_up_attempt(step, "job poll window exhausted; not retried because the job may still run")
    return True


def give_up_attempt(step: Step, summary: str) -> None:
    """Stop waiting for a running attempt: FAILED as timed out, its outcome unknown.

    Not retried (the job may still be running); a later job report may still settle it.
    """
    step.update(finished_at=step.now, failure_category=FailureCategory.TIMEOUT)
    step.mark(OUTCOME_UNKNOWN)
    step.move(RunState.FAILED, summary)
