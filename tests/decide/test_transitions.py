"""Table tests: one ``decide()`` call per row, from a given run state and inputs.

Each row names the situation a user would recognise; the assertions are the state the run
ends in and the events it emits.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from decide_support import GOLD_REVENUE, at, pipeline

from interlock.decide import decide
from interlock.model import (
    CancelRequested,
    JobReported,
    LaunchFailed,
    LaunchRecorded,
    LaunchUnknown,
    Reading,
    ReadingSet,
    RerunRequested,
    Run,
    RunState,
    Signal,
)

PARTITION = "2026-11-23"
GOLD = pipeline()


def reading(key: str, when: str = "08:00", **data: object) -> Reading:
    """A reading of ``key`` that arrived at ``when`` on the test day."""
    return Reading(key=key, data=data, updated_at=at(when), pipeline_id="gold-revenue")


READY = ReadingSet.of(
    [
        reading("upstream-complete", status="ready"),
        reading("row-count", count=1500),
        reading("freshness", updatedAt=at("08:00").isoformat()),
    ]
)
NOT_READY = ReadingSet.of(
    [reading("upstream-complete", status="ready"), reading("row-count", count=50)]
)


def run(state: RunState, **changes: object) -> Run:
    """A gold-revenue run for the test partition in ``state``, opened by cron at 08:00."""
    base = Run(
        pipeline_id="gold-revenue",
        partition=PARTITION,
        state=state,
        created_at=at("07:00"),
        opened_by="cron",
        opened_at=at("08:00"),
        window_closes_at=at("09:00"),
        attempt=0 if state in (RunState.PENDING, RunState.WAITING) else 1,
        launched_at=None if state in (RunState.PENDING, RunState.WAITING) else at("08:05"),
        marks=frozenset({"planned-next"}),
        trigger_cursor=None if state in (RunState.PENDING, RunState.WAITING) else at("08:00"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


CASES = [
    pytest.param(
        run(RunState.PENDING),
        ReadingSet(),
        "07:59",
        (),
        RunState.PENDING,
        [],
        id="pending-before-fire-no-trigger-yet",
    ),
    pytest.param(
        run(RunState.PENDING),
        READY,
        "07:59",
        (),
        RunState.LAUNCHING,
        ["RUN_OPENED", "VALIDATION_PASSED"],
        id="trigger-opens-before-fire-and-launches",
    ),
    pytest.param(
        run(RunState.PENDING),
        NOT_READY,
        "08:00",
        (),
        RunState.WAITING,
        ["RUN_OPENED"],
        id="cron-fire-opens-window",
    ),
    pytest.param(
        run(RunState.PENDING),
        NOT_READY,
        "09:30",
        (),
        RunState.EXHAUSTED,
        ["SCHEDULE_MISSED"],
        id="window-passed-unobserved",
    ),
    pytest.param(
        run(RunState.WAITING),
        NOT_READY,
        "08:05",
        (),
        RunState.WAITING,
        [],
        id="rules-fail-keep-waiting",
    ),
    pytest.param(
        run(RunState.WAITING),
        READY,
        "08:05",
        (),
        RunState.LAUNCHING,
        ["VALIDATION_PASSED"],
        id="rules-hold-launch",
    ),
    pytest.param(
        run(RunState.WAITING),
        READY,
        "09:00",
        (),
        RunState.EXHAUSTED,
        ["VALIDATION_EXHAUSTED"],
        id="window-closed-never-launch",
    ),
    pytest.param(
        run(RunState.LAUNCHING),
        READY,
        "08:06",
        (LaunchRecorded(attempt=1, at=at("08:06")),),
        RunState.RUNNING,
        ["JOB_TRIGGERED"],
        id="launch-recorded",
    ),
    pytest.param(
        run(RunState.LAUNCHING),
        READY,
        "08:06",
        (LaunchUnknown(attempt=1, at=at("08:06")),),
        RunState.FAILED,
        ["INFRA_FAILURE"],
        id="crash-unknown-launch-is-raised-not-relaunched",
    ),
    pytest.param(
        run(RunState.LAUNCHING),
        READY,
        "08:06",
        (LaunchFailed(attempt=1, at=at("08:06"), message="refused"),),
        RunState.LAUNCHING,
        ["JOB_FAILED", "VALIDATION_PASSED"],
        id="launch-refused-retries",
    ),
    pytest.param(
        run(RunState.RUNNING),
        READY,
        "08:30",
        (JobReported(attempt=1, status="running", at=at("08:30")),),
        RunState.RUNNING,
        [],
        id="still-running",
    ),
    pytest.param(
        run(RunState.RUNNING),
        READY,
        "08:30",
        (JobReported(attempt=1, status="succeeded", at=at("08:30")),),
        RunState.SUCCEEDED,
        ["JOB_COMPLETED", "POST_RUN_BASELINE_CAPTURED", "SLA_MET"],
        id="success-on-time",
    ),
    pytest.param(
        run(RunState.RUNNING),
        NOT_READY,
        "08:30",
        (JobReported(attempt=1, status="failed", at=at("08:30")),),
        RunState.WAITING,
        ["JOB_FAILED"],
        id="failure-retries-but-rules-must-hold-again",
    ),
    pytest.param(
        run(RunState.RUNNING),
        READY,
        "08:30",
        (JobReported(attempt=7, status="succeeded", at=at("08:30")),),
        RunState.RUNNING,
        [],
        id="stale-attempt-report-ignored",
    ),
    pytest.param(
        run(RunState.RUNNING),
        READY,
        "09:05",
        (),
        RunState.FAILED,
        ["JOB_POLL_EXHAUSTED"],
        id="poll-window-exhausted-no-retry",
    ),
    pytest.param(
        run(RunState.RUNNING),
        READY,
        "08:30",
        (CancelRequested(at=at("08:30"), reason="bad data"),),
        RunState.CANCELLED,
        ["RUN_CANCELLED"],
        id="cancel",
    ),
    pytest.param(
        run(RunState.RUNNING),
        READY,
        "08:30",
        (RerunRequested(reason="manual", at=at("08:30")),),
        RunState.RUNNING,
        ["RERUN_REJECTED"],
        id="rerun-of-active-run-rejected",
    ),
    pytest.param(
        run(RunState.EXHAUSTED),
        READY,
        "09:30",
        (RerunRequested(reason="manual", at=at("09:30")),),
        RunState.LAUNCHING,
        ["RERUN_ACCEPTED", "VALIDATION_PASSED", "SLA_WARNING"],
        id="rerun-after-exhaustion-inside-warning-time",
    ),
    pytest.param(
        run(RunState.WAITING),
        READY,
        "09:45",
        (),
        RunState.EXHAUSTED,
        ["VALIDATION_EXHAUSTED"],
        id="exhausted-run-gets-no-warning-only-a-breach-later",
    ),
    pytest.param(
        run(RunState.EXHAUSTED),
        READY,
        "10:00",
        (),
        RunState.EXHAUSTED,
        ["SLA_BREACH"],
        id="exhausted-run-breaches-at-the-deadline",
    ),
]


@pytest.mark.parametrize(("start", "readings", "clock", "signals", "state", "events"), CASES)
def test_transition(  # noqa: PLR0917 - one parameter per table column
    start: Run,
    readings: ReadingSet,
    clock: str,
    signals: tuple[Signal, ...],
    state: RunState,
    events: list[str],
) -> None:
    """From ``start`` with ``readings`` at ``clock``, the run ends in ``state`` with ``events``."""
    pipe = GOLD.__class__(
        **{**GOLD.__dict__, "job": replace(GOLD.job, poll_window=timedelta(hours=1))}
    )  # type: ignore[arg-type]
    decision = decide(pipe, start, readings, now=at(clock), signals=signals)
    assert decision.run.state is state
    assert list(decision.event_types) == events


def test_launch_carries_the_attempt_id_as_idempotency_key() -> None:
    """The launch action names the attempt, so a backend can refuse a duplicate."""
    decision = decide(GOLD, run(RunState.WAITING), READY, now=at("08:05"))
    (launch,) = decision.launches
    assert launch.attempt == 1
    assert launch.attempt_id == "gold-revenue/2026-11-23/1"


def test_waiting_explains_the_failing_rule_and_next_check() -> None:
    """A blocked run says which rule failed, with which value, and when it looks again."""
    decision = decide(GOLD, run(RunState.WAITING), NOT_READY, now=at("08:05"))
    assert "count 50 gte 1000 is false" in decision.explanation.waiting_for
    assert "freshness" in decision.explanation.waiting_for
    assert decision.next_check_at == at("08:10")
    leaves = decision.explanation.validation.failing() if decision.explanation.validation else ()
    assert {leaf.key for leaf in leaves} == {"row-count", "freshness"}


def test_next_check_never_passes_the_window_close() -> None:
    """The last evaluation interval is cut at the window's end, so exhaustion is on time."""
    decision = decide(GOLD, run(RunState.WAITING), NOT_READY, now=at("08:58"))
    assert decision.next_check_at == at("09:00")


def test_running_job_is_polled_at_the_poll_interval() -> None:
    """A running job's next check is one poll interval away (60s by default)."""
    decision = decide(GOLD, run(RunState.RUNNING), READY, now=at("08:30"))
    assert decision.next_check_at == at("08:30") + timedelta(seconds=60)


def test_excluded_day_cancels_with_pipeline_excluded() -> None:
    """A cron fire on an excluded weekend day emits PIPELINE_EXCLUDED and does not open."""
    text = GOLD_REVENUE.replace("timezone: UTC\n", "timezone: UTC\n  exclude: {weekends: true}\n")
    saturday = "2026-11-21"
    pending = replace(run(RunState.PENDING), partition=saturday)
    decision = decide(pipeline(text), pending, READY, now=at("08:00", day=saturday))
    assert decision.run.state is RunState.CANCELLED
    assert decision.event_types == ("PIPELINE_EXCLUDED",)


def test_trigger_deadline_expires_pending_run() -> None:
    """No trigger reading by schedule.trigger.deadline: SENSOR_DEADLINE_EXPIRED, run EXHAUSTED."""
    text = """
    pipeline: {id: silver}
    schedule:
      trigger: {key: daily-status, check: equals, field: done, value: true, deadline: "06:00"}
    job: {type: command, config: {command: ["true"]}}
    """
    pending = Run(
        pipeline_id="silver", partition=PARTITION, created_at=at("00:00"), opened_by="schedule"
    )
    early = decide(pipeline(text), pending, ReadingSet(), now=at("05:00"))
    assert early.run.state is RunState.PENDING
    assert early.next_check_at == at("06:00")
    late = decide(pipeline(text), early.run, ReadingSet(), now=at("06:00"))
    assert late.run.state is RunState.EXHAUSTED
    assert late.event_types == ("SENSOR_DEADLINE_EXPIRED",)
