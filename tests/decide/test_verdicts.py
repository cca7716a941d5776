"""Table tests of the verdicts that decide() and the rerun/cancel/job report commands share."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from decide_support import at, pipeline

from interlock.decide import decide
from interlock.decide.verdicts import (
    cancel_verdict,
    partition_problem,
    report_verdict,
    rerun_verdict,
)
from interlock.model import (
    CancelRequested,
    JobReported,
    Reading,
    RerunRecord,
    RerunRequested,
    Run,
    RunMark,
    RunState,
)
from interlock.model.specs import PipelineSpec

GOLD = pipeline()  # cron "0 8 * * *" UTC, daily partitions
WEEKDAYS = pipeline(
    """
    pipeline: {id: weekdays}
    schedule:
      cron: "0 8 * * 1-5"
      exclude: {dates: ["2026-11-19"]}
    validation: {rules: [{key: rows, check: gte, field: count, value: 1}]}
    job: {type: command, config: {command: ["true"]}, maxManualReruns: 1}
    """
)
HOURLY = pipeline(
    """
    pipeline: {id: hourly}
    schedule:
      trigger: {key: landed, check: equals, field: status, value: ready, deadline: ":45"}
    validation: {rules: [{key: landed, check: equals, field: status, value: ready}]}
    job: {type: command, config: {command: ["true"]}}
    """
)
DATES = pipeline(
    """
    pipeline: {id: dates}
    schedule:
      include: {dates: ["2026-11-20"]}
      trigger: {key: ready, check: exists, field: status}
    validation: {rules: [{key: ready, check: exists, field: status}]}
    job: {type: command, config: {command: ["true"]}}
    """
)
ADHOC = pipeline(
    """
    pipeline: {id: adhoc}
    schedule:
      trigger: {key: ready, check: exists, field: status}
    validation: {rules: [{key: ready, check: exists, field: status}]}
    job: {type: command, config: {command: ["true"]}}
    """
)
NOW = at("12:00")  # Monday 2026-11-23
FINISHED = at("09:00")
NEXT_HOUR = "2026-11-23T13 is in the future (today's is 2026-11-23T12 in UTC)"
FUTURE = "2026-11-24 is in the future (today's is 2026-11-23 in UTC)"


def run(partition: str = "2026-11-20", state: RunState = RunState.PENDING, **fields: object) -> Run:
    """A run of any pipeline (the verdicts read only its state and cursors)."""
    return replace(
        Run(pipeline_id="p", partition=partition, created_at=at("07:00")), state=state, **fields
    )


def done(partition: str = "2026-11-20", **fields: object) -> Run:
    """A run whose attempt 1 succeeded at 09:00."""
    defaults: dict[str, object] = {"attempt": 1, "finished_at": FINISHED}
    return run(partition, RunState.SUCCEEDED, **(defaults | fields))


def reading(updated: datetime) -> dict[str, Reading]:
    """A view with one reading accepted at ``updated``."""
    return {"rows": Reading(key="rows", data={"count": 5}, updated_at=updated)}


@pytest.mark.parametrize(
    ("spec", "partition", "expected"),
    [
        (GOLD, "2026-11-23", None),
        (GOLD, "2026-11-20|campaign=5", None),
        (GOLD, "2026-11-24", FUTURE),
        (
            GOLD,
            "2026-11-23T08",
            "gold-revenue has daily (YYYY-MM-DD) partitions, not 2026-11-23T08",
        ),
        (WEEKDAYS, "2026-11-22", "schedule.cron '0 8 * * 1-5' does not fire in 2026-11-22"),
        (HOURLY, "2026-11-23T11", None),
        (
            HOURLY,
            "2026-11-23T13",
            "2026-11-23T13 is in the future (today's is 2026-11-23T12 in UTC)",
        ),
        (HOURLY, "2026-11-21", "hourly has hourly (YYYY-MM-DDTHH) partitions, not 2026-11-21"),
        (DATES, "2026-11-20", None),
        (DATES, "2026-11-21", "2026-11-21 is not one of schedule.include dates"),
        (ADHOC, "2026-11-21T05", None),
        (ADHOC, "2026-11-25", "2026-11-25 is in the future (today's is 2026-11-23 in UTC)"),
    ],
    ids=[
        "today",
        "past-with-dimension",
        "tomorrow",
        "hourly-for-daily",
        "cron-skips-sunday",
        "hourly-past",
        "next-hour",
        "daily-for-hourly",
        "include-date",
        "not-an-include-date",
        "adhoc-any-granularity",
        "adhoc-future",
    ],
)
def test_partition_problem(spec: PipelineSpec, partition: str, expected: str | None) -> None:
    """Future partitions and ones the schedule cannot produce are named, with why."""
    assert partition_problem(spec, partition, NOW) == expected


BREAKER = "previous run succeeded and no sensor data has changed"


@pytest.mark.parametrize(
    ("spec", "the_run", "view", "reason", "force", "rejection", "forceable"),
    [
        (GOLD, run("2026-11-23"), {}, "manual", False, None, False),
        (GOLD, run("2026-11-24"), {}, "manual", False, FUTURE, True),
        (GOLD, run("2026-11-24"), {}, "manual", True, None, False),
        (WEEKDAYS, run("2026-11-19"), {}, "manual", False, "excluded by calendar: ", True),
        (WEEKDAYS, run("2026-11-19"), {}, "manual", True, None, False),
        (GOLD, done(), reading(at("08:00")), "manual", False, BREAKER, True),
        (GOLD, done(), reading(at("08:00")), "manual", True, None, False),
        (GOLD, done(), reading(at("10:00")), "manual", False, None, False),
        (GOLD, done(), reading(at("08:00")), "late-data", False, None, False),
        (GOLD, run(state=RunState.FAILED, attempt=1), {}, "manual", False, None, False),
        (
            GOLD,
            run(state=RunState.RUNNING, attempt=1),
            {},
            "manual",
            True,
            "run is RUNNING; a rerun needs a finished run",
            False,
        ),
        (
            WEEKDAYS,
            done(reruns=(RerunRecord(reason="manual", at=at("09:30"), attempt=2),)),
            reading(at("10:00")),
            "manual",
            True,
            "manual rerun limit exceeded (1/1)",
            False,
        ),
        (
            WEEKDAYS,
            done(reruns=(RerunRecord(reason="manual", at=at("09:30"), attempt=2),)),
            reading(at("10:00")),
            "backfill",
            False,
            None,
            False,
        ),
    ],
    ids=[
        "pending-today",
        "future",
        "future-forced",
        "calendar-excluded",
        "calendar-excluded-forced",
        "breaker",
        "breaker-forced",
        "fresh-data",
        "late-data-skips-breaker",
        "failed",
        "active-even-forced",
        "budget-even-forced",
        "budget-per-reason",
    ],
)
def test_rerun_verdict(  # noqa: PLR0917 - one row of the table
    spec: PipelineSpec,
    the_run: Run,
    view: dict[str, Reading],
    reason: str,
    force: bool,
    rejection: str | None,
    forceable: bool,
) -> None:
    """Each rule of the module doc, with and without --force."""
    verdict = rerun_verdict(spec, the_run, view, NOW, reason=reason, force=force)
    if rejection is None:
        assert verdict.accepted, verdict.rejection
    else:
        assert verdict.rejection is not None
        assert verdict.rejection.startswith(rejection)
    assert verdict.forceable is forceable


@pytest.mark.parametrize(
    ("the_run", "expected"),
    [
        (None, "it has no run"),
        (run(), None),
        (run(state=RunState.WAITING), None),
        (run(state=RunState.RUNNING, attempt=1), None),
        (done(), "the run is already SUCCEEDED"),
        (run(state=RunState.CANCELLED), "the run is already CANCELLED"),
        (run(state=RunState.EXHAUSTED), "the run is already EXHAUSTED"),
    ],
    ids=["none", "pending", "waiting", "running", "succeeded", "cancelled", "exhausted"],
)
def test_cancel_verdict(the_run: Run | None, expected: str | None) -> None:
    """Only a run that is not final can be cancelled."""
    assert cancel_verdict(the_run) == expected


LOST = run(state=RunState.FAILED, attempt=2, marks=frozenset({RunMark.OUTCOME_UNKNOWN}))


@pytest.mark.parametrize(
    ("the_run", "attempt", "status", "expected"),
    [
        (None, None, "succeeded", "it has no launched attempt"),
        (run(state=RunState.WAITING), None, "succeeded", "it has no launched attempt"),
        (run(state=RunState.RUNNING, attempt=2), None, "succeeded", None),
        (run(state=RunState.LAUNCHING, attempt=2), 2, "failed", None),
        (
            run(state=RunState.RUNNING, attempt=2),
            3,
            "succeeded",
            "attempt 3 does not exist (the latest is 2)",
        ),
        (
            run(state=RunState.RUNNING, attempt=2),
            0,
            "succeeded",
            "attempt 0 does not exist (the latest is 2)",
        ),
        (
            run(state=RunState.RUNNING, attempt=2),
            1,
            "succeeded",
            "attempt 1 has ended; the run is on attempt 2",
        ),
        (
            done(attempt=2),
            None,
            "failed",
            "attempt 2 has already ended: the run is SUCCEEDED",
        ),
        (LOST, 2, "succeeded", None),
        (LOST, 2, "running", "attempt 2 has already ended: the run is FAILED"),
    ],
    ids=[
        "no-run",
        "never-launched",
        "running-latest",
        "launching",
        "beyond-latest",
        "zero",
        "older-attempt",
        "finished",
        "settles-lost-outcome",
        "running-on-lost",
    ],
)
def test_report_verdict(
    the_run: Run | None, attempt: int | None, status: str, expected: str | None
) -> None:
    """A report applies to the current active attempt, or settles a lost outcome."""
    assert report_verdict(the_run, attempt, status) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("the_run", "signal"),
    [
        (run("2026-11-24"), RerunRequested(reason="manual", at=NOW)),
        (done(), RerunRequested(reason="manual", at=NOW)),
        (done(), CancelRequested(at=NOW)),
        (done(attempt=2), JobReported(attempt=2, status="failed", at=NOW)),
        (run(state=RunState.RUNNING, attempt=2), JobReported(attempt=1, status="failed", at=NOW)),
    ],
    ids=["future-rerun", "breaker", "cancel-final", "report-finished", "report-old-attempt"],
)
def test_what_the_verdict_refuses_decide_does_not_do(
    the_run: Run, signal: RerunRequested | CancelRequested | JobReported
) -> None:
    """The controller agrees with the verdict: a refused request leaves the run as it was."""
    the_run = replace(the_run, pipeline_id=GOLD.id)
    view = reading(at("08:00"))
    decision = decide(GOLD, the_run, view, now=NOW, signals=(signal,))
    assert decision.run.state is the_run.state
    assert decision.run.attempt == the_run.attempt
    assert not decision.actions or all(type(a).__name__ == "OpenRun" for a in decision.actions)


def test_a_forced_rerun_is_recorded_as_forced() -> None:
    """The RERUN_ACCEPTED detail says forced and the new attempt's reason ends in (forced)."""
    the_run = replace(done(), pipeline_id=GOLD.id)
    view = {
        key: Reading(key=key, data=data, updated_at=at("07:59"))
        for key, data in {
            "upstream-complete": {"status": "ready"},
            "row-count": {"count": 5000},
            "freshness": {"updatedAt": at("11:30").isoformat()},
        }.items()
    }
    signal = RerunRequested(reason="manual", at=NOW, force=True)
    decision = decide(GOLD, the_run, view, now=NOW, signals=(signal,))
    accepted = [e for e in decision.events if e.type == "RERUN_ACCEPTED"]
    assert accepted[0].detail["forced"] is True
    assert decision.run.state is RunState.LAUNCHING
    assert decision.run.attempt == 2
    assert decision.run.attempt_reason == "manual (forced)"
    assert decision.run.rerun_count("manual") == 1  # still spends the manual budget
