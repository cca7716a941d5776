"""What a poll says besides "running": unavailable, refused, cancelled, unknown, queued.

Table tests of ``decide()`` on a RUNNING gold-revenue attempt (launched 08:05, maxRetries 2):
each row is the sequence of poll answers and what a user sees in the events and run state.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from decide_support import GOLD_REVENUE, at, pipeline

from interlock.decide import decide
from interlock.model import JobReported, ReadingSet, Run, RunState, Signal

LAUNCHED = at("08:05")


def running(**changes: object) -> Run:
    """Attempt 1 of gold-revenue, launched at 08:05 and RUNNING."""
    base = Run(
        pipeline_id="gold-revenue",
        partition="2026-11-23",
        state=RunState.RUNNING,
        created_at=at("07:00"),
        opened_by="cron",
        opened_at=at("08:00"),
        window_closes_at=at("09:00"),
        attempt=1,
        launched_at=LAUNCHED,
        marks=frozenset({"planned-next"}),
        trigger_cursor=at("08:00"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def polls(*answers: Signal, job: str = "") -> tuple[Run, list[str]]:
    """Feed each answer to decide() a minute apart; the final run and every event type."""
    text = _with_job_lines(job)
    spec = pipeline(text)
    run, types = running(), []
    for minute, answer in enumerate(answers, start=1):
        now = LAUNCHED + timedelta(minutes=minute)
        decision = decide(spec, run, ReadingSet(), now=now, signals=[replace(answer, at=now)])
        run = decision.run
        types += [e.type for e in decision.events if not e.type.startswith("SLA")]
    return run, types


def _with_job_lines(lines: str) -> str:
    return GOLD_REVENUE.replace("  maxRetries: 2\n", "  maxRetries: 2\n" + lines)


def answer(status: str = "running", **fields: object) -> JobReported:
    """One poll answer for attempt 1 (its time is set by :func:`polls`)."""
    return JobReported(attempt=1, status=status, at=LAUNCHED, **fields)  # type: ignore[arg-type]


UNREADABLE = answer(unavailable=True, message="HTTP 502")
REFUSED = answer(
    unavailable=True, refused=True, message="HTTP 403 (job.config.headers.Authorization)"
)


@pytest.mark.parametrize(
    ("answers", "job", "state", "events"),
    [
        pytest.param(
            [UNREADABLE, UNREADABLE, UNREADABLE],
            "",
            RunState.RUNNING,
            ["JOB_STATUS_UNAVAILABLE"],
            id="unreadable-polls-reported-once-per-streak",
        ),
        pytest.param(
            [UNREADABLE, answer(), UNREADABLE],
            "",
            RunState.RUNNING,
            ["JOB_STATUS_UNAVAILABLE", "JOB_STATUS_UNAVAILABLE"],
            id="a-readable-poll-ends-the-streak",
        ),
        pytest.param(
            [REFUSED, REFUSED, REFUSED],
            "",
            RunState.FAILED,
            ["JOB_STATUS_UNAVAILABLE", "JOB_FAILED"],
            id="three-refusals-fail-for-good-without-retry",
        ),
        pytest.param(
            [REFUSED, REFUSED, answer(), REFUSED, REFUSED],
            "",
            RunState.RUNNING,
            ["JOB_STATUS_UNAVAILABLE", "JOB_STATUS_UNAVAILABLE"],
            id="refusals-must-be-consecutive",
        ),
        pytest.param(
            [REFUSED],
            "  maxStatusRefusals: 1\n",
            RunState.FAILED,
            ["JOB_STATUS_UNAVAILABLE", "JOB_FAILED"],
            id="refusal-limit-from-config",
        ),
        pytest.param(
            [answer("failed", category="CANCELLED", message="state=CANCELLED")],
            "",
            RunState.CANCELLED,
            ["RUN_CANCELLED"],
            id="cancelled-in-the-job-system-is-not-retried",
        ),
        pytest.param(
            [answer("failed", category="TRANSIENT")],
            "",
            RunState.WAITING,
            ["JOB_FAILED"],
            id="an-ordinary-failure-is-still-retried",
        ),
        pytest.param(
            [answer(state_value="deferred", unrecognised=True)] * 3,
            "",
            RunState.RUNNING,
            ["JOB_STATE_UNKNOWN"],
            id="an-unknown-state-is-reported-once",
        ),
        pytest.param(
            [answer(state_value="queued", phase="queued")] * 3,
            "  queuedTimeout: 2m\n",
            RunState.RUNNING,
            ["JOB_QUEUED_TOO_LONG"],
            id="queued-past-the-timeout-is-reported-once",
        ),
        pytest.param(
            [answer(state_value="queued", phase="queued")] * 3,
            "",
            RunState.RUNNING,
            [],
            id="queued-within-the-default-30m-is-quiet",
        ),
    ],
)
def test_poll_answers(answers: list[Signal], job: str, state: RunState, events: list[str]) -> None:
    """Each sequence of poll answers ends in ``state`` with exactly ``events``."""
    run, types = polls(*answers, job=job)
    assert run.state is state
    assert [t for t in types if t != "VALIDATION_PASSED"] == events


def test_refused_failure_names_the_credential_and_is_category_auth() -> None:
    """The final JOB_FAILED says why, names the header and is never retried (AUTH)."""
    spec = pipeline()
    run = running(status_refusals=2, marks=frozenset({"planned-next", "status-unavailable"}))
    decision = decide(
        spec, run, ReadingSet(), now=at("08:10"), signals=[replace(REFUSED, at=at("08:10"))]
    )
    (failed,) = [e for e in decision.events if e.type == "JOB_FAILED"]
    assert failed.detail["category"] == "AUTH"
    assert "refused 3 times in a row" in failed.message
    assert "Authorization" in failed.message
    assert decision.run.state is RunState.FAILED
    assert not decision.actions


def test_retry_exhausted_names_the_budget_it_spent() -> None:
    """A PERMANENT failure spends maxCodeRetries, and RETRY_EXHAUSTED says so."""
    spec = pipeline()
    run = running(reruns=())
    for minute in range(3):
        now = LAUNCHED + timedelta(minutes=minute + 1)
        failed = JobReported(attempt=run.attempt, status="failed", at=now, category="PERMANENT")
        decision = decide(spec, run, ReadingSet(), now=now, signals=[failed])
        run = decision.run
        if run.state is RunState.FAILED:
            break
        run = replace(run, state=RunState.RUNNING, attempt=run.attempt + 1, launched_at=now)
    (exhausted,) = [e for e in decision.events if e.type == "RETRY_EXHAUSTED"]
    assert exhausted.detail["maxCodeRetries"] == 1
    assert exhausted.message == "retry limit reached (1/1 of maxCodeRetries)"
    assert "maxRetries" not in exhausted.detail


def test_a_retry_keeps_when_the_run_opened() -> None:
    """OpenedAt is when the run opened, not when its latest retry reopened the window."""
    spec = pipeline()
    now = at("08:20")
    failed = JobReported(attempt=1, status="failed", at=now, category="TRANSIENT")
    decision = decide(spec, running(), ReadingSet(), now=now, signals=[failed])
    assert decision.run.state in (RunState.WAITING, RunState.LAUNCHING)
    assert decision.run.opened_at == at("08:00")
