"""Scenarios: one pipeline walked through many decisions on a virtual clock.

Each test replays what a user would see happen over a day and asserts the events, in order.
They run the real ``decide()`` through :class:`interlock.simulation.Simulation`.
"""

from __future__ import annotations

from datetime import timedelta

from decide_support import GOLD_REVENUE, at, pipeline

from interlock.model import RunState
from interlock.simulation.engine import Simulation

PARTITION = "2026-11-23"


def types(sim: Simulation) -> list[str]:
    """Event types in order, without the bookkeeping RUN_OPENED."""
    return [e.type for e in sim.events if e.type != "RUN_OPENED"]


def ready_inputs(sim: Simulation, clock: str, count: int = 1500) -> None:
    """All three gold-revenue sensors report healthy values at ``clock``."""
    sim.put_reading("upstream-complete", {"status": "ready"}, at=at(clock))
    sim.put_reading("row-count", {"count": count}, at=at(clock))
    sim.put_reading("freshness", {"updatedAt": at(clock).isoformat()}, at=at(clock))


def test_gold_revenue_ready_launch_success_drift_rerun() -> None:
    """Ready data launches once; success is on time; drift after success reruns the partition."""
    sim = Simulation(pipeline(), start=at("07:00"))
    sim.put_reading("row-count", {"count": 1500}, at=at("07:10"))
    sim.put_reading("freshness", {"updatedAt": at("07:10").isoformat()}, at=at("07:10"))
    sim.advance_to(at("08:00"))
    assert sim.runs[PARTITION].state is RunState.WAITING
    sim.put_reading("upstream-complete", {"status": "ready"}, at=at("08:03"))
    assert sim.runs[PARTITION].state is RunState.RUNNING
    sim.job_outcome("succeeded", at=at("08:40"))
    assert sim.runs[PARTITION].state is RunState.SUCCEEDED
    sim.put_reading("row-count", {"count": 1700}, at=at("09:00"))
    assert types(sim) == [
        "VALIDATION_PASSED",
        "JOB_TRIGGERED",
        "JOB_COMPLETED",
        "POST_RUN_BASELINE_CAPTURED",
        "SLA_MET",
        "POST_RUN_DRIFT",
        "RERUN_ACCEPTED",
        "VALIDATION_PASSED",
        "JOB_TRIGGERED",
    ]
    run = sim.runs[PARTITION]
    assert run.state is RunState.RUNNING
    assert run.attempt_reason == "data-drift"
    assert run.attempt == 2
    drift = next(e for e in sim.events if e.type == "POST_RUN_DRIFT")
    assert drift.detail["previousCount"] == 1500
    assert drift.detail["currentCount"] == 1700


def test_drift_while_the_rerun_runs_is_reported_not_acted_on() -> None:
    """Data moving again during a drift rerun: POST_RUN_DRIFT_INFLIGHT, no second rerun."""
    sim = Simulation(pipeline(), start=at("07:00"))
    ready_inputs(sim, "08:01")
    sim.job_outcome("succeeded", at=at("08:30"))
    sim.put_reading("row-count", {"count": 1700}, at=at("09:00"))  # drift: rerun starts
    assert sim.runs[PARTITION].state is RunState.RUNNING
    before = len(sim.events)
    sim.put_reading("row-count", {"count": 2000}, at=at("09:10"))
    sim.put_reading("freshness", {"updatedAt": at("09:11").isoformat()}, at=at("09:11"))
    inflight = sim.events[before:]
    assert [e.type for e in inflight] == ["POST_RUN_DRIFT_INFLIGHT"]
    assert (inflight[0].detail["previousCount"], inflight[0].detail["currentCount"]) == (1500, 2000)
    assert sim.runs[PARTITION].state is RunState.RUNNING
    assert sim.runs[PARTITION].attempt == 2
    sim.job_outcome("succeeded", at=at("09:40"))
    sim.put_reading("row-count", {"count": 2005}, at=at("10:30"))  # the new baseline is 2000
    assert types(sim)[-1] == "POST_RUN_PASSED"


def test_small_drift_within_threshold_only_rechecks_post_run_rules() -> None:
    """A change below driftThreshold is not drift; the post-run rules are re-checked instead."""
    sim = Simulation(pipeline(), start=at("07:00"))
    ready_inputs(sim, "08:01")
    sim.job_outcome("succeeded", at=at("08:30"))
    sim.put_reading("row-count", {"count": 1505}, at=at("09:00"))
    assert types(sim)[-1] == "POST_RUN_PASSED"
    assert sim.runs[PARTITION].state is RunState.SUCCEEDED


def test_window_exhausts_when_rules_never_hold() -> None:
    """Rules failing for the whole window end the run EXHAUSTED with the failing reason."""
    sim = Simulation(pipeline(), start=at("07:00"))
    sim.put_reading("upstream-complete", {"status": "ready"}, at=at("07:30"))
    sim.put_reading("row-count", {"count": 50}, at=at("07:30"))
    sim.advance_to(at("12:00"))
    run = sim.runs[PARTITION]
    assert run.state is RunState.EXHAUSTED
    exhausted = [e for e in sim.events if e.type == "VALIDATION_EXHAUSTED"]
    assert len(exhausted) == 1
    assert any("50" in reason for reason in exhausted[0].detail["failing"])


def test_trigger_opens_the_window_before_cron() -> None:
    """A trigger reading before the cron fire opens the run at once (Go semantics)."""
    sim = Simulation(pipeline(), start=at("05:00"))
    ready_inputs(sim, "06:00")
    assert sim.runs[PARTITION].state is RunState.RUNNING
    assert sim.runs[PARTITION].opened_by == "trigger"


def test_retries_until_budget_is_exhausted() -> None:
    """MaxRetries 2: three failed attempts, then RETRY_EXHAUSTED and FAILED."""
    sim = Simulation(pipeline(), start=at("07:00"))
    ready_inputs(sim, "08:01")
    for minute in ("08:10", "08:20", "08:30"):
        sim.job_outcome("failed", at=at(minute), message="boom")
    run = sim.runs[PARTITION]
    assert run.state is RunState.FAILED
    assert run.attempt == 3
    assert types(sim).count("JOB_TRIGGERED") == 3
    assert types(sim).count("JOB_FAILED") == 3
    assert types(sim)[-1] == "RETRY_EXHAUSTED"


def test_permanent_failure_uses_the_code_retry_budget() -> None:
    """A PERMANENT failure retries maxCodeRetries (default 1) times, not maxRetries."""
    sim = Simulation(pipeline(), start=at("07:00"))
    ready_inputs(sim, "08:01")
    sim.job_outcome("failed", at=at("08:10"), category="PERMANENT")
    sim.job_outcome("failed", at=at("08:20"), category="PERMANENT")
    assert sim.runs[PARTITION].state is RunState.FAILED
    assert sim.runs[PARTITION].attempt == 2


def test_failed_run_breaches_its_sla_at_the_deadline() -> None:
    """A run that failed for good still breaches its SLA at 10:00: the data never came."""
    text = GOLD_REVENUE.replace("maxRetries: 2", "maxRetries: 0")
    sim = Simulation(pipeline(text), start=at("07:00"))
    ready_inputs(sim, "08:01")
    sim.job_outcome("failed", at=at("08:10"))
    sim.advance_to(at("11:00"))
    breach = [e for e in sim.events if e.type == "SLA_BREACH"]
    assert [e.at for e in breach] == [at("10:00")]
    assert "SLA_MET" not in types(sim)


def test_late_success_reports_breach_not_met() -> None:
    """Fixes the Go quirk: a daily run finishing after its deadline is SLA_BREACH, never SLA_MET."""
    text = GOLD_REVENUE.replace("maxRetries: 2", "maxRetries: 2\n  jobPollWindowSeconds: 10800")
    sim = Simulation(pipeline(text), start=at("07:00"))
    ready_inputs(sim, "08:01")
    sim.job_outcome("running", at=at("09:00"))
    sim.job_outcome("succeeded", at=at("10:20"))
    assert types(sim).count("SLA_WARNING") == 1
    assert types(sim).count("SLA_BREACH") == 1
    assert "SLA_MET" not in types(sim)
    warning = next(e for e in sim.events if e.type == "SLA_WARNING")
    assert warning.at == at("09:30")


def test_late_data_after_success_asks_for_a_rerun() -> None:
    """A newer trigger reading after success is LATE_DATA_ARRIVAL and a late-data rerun."""
    sim = Simulation(pipeline(), start=at("07:00"))
    ready_inputs(sim, "08:01")
    sim.job_outcome("succeeded", at=at("08:30"))
    sim.put_reading("upstream-complete", {"status": "ready"}, at=at("09:15"))
    assert "LATE_DATA_ARRIVAL" in types(sim)
    accepted = next(e for e in sim.events if e.type == "RERUN_ACCEPTED")
    assert accepted.detail["reason"] == "late-data"
    sim.job_outcome("succeeded", at=at("09:40"))
    sim.put_reading("upstream-complete", {"status": "ready"}, at=at("09:50"))
    rejected = next(e for e in sim.events if e.type == "RERUN_REJECTED")
    assert "drift rerun limit exceeded" in rejected.message


def test_manual_rerun_needs_fresh_data_after_success() -> None:
    """The circuit breaker refuses a manual rerun when nothing changed since success."""
    sim = Simulation(pipeline(), start=at("07:00"))
    ready_inputs(sim, "08:01")
    sim.job_outcome("succeeded", at=at("08:30"))
    sim.rerun(PARTITION, at=at("09:00"))
    assert types(sim)[-1] == "RERUN_REJECTED"
    sim.put_reading("freshness", {"updatedAt": at("09:05").isoformat()}, at=at("09:05"))
    sim.rerun(PARTITION, at=at("09:10"))
    assert "RERUN_ACCEPTED" in types(sim)
    assert sim.runs[PARTITION].attempt == 2


def test_post_run_sensor_missing_fires_once() -> None:
    """No post-run reading within sensorTimeout of success raises one alert, not one per check."""
    sim = Simulation(pipeline(), start=at("07:00"))
    ready_inputs(sim, "08:01")
    sim.job_outcome("succeeded", at=at("08:30"))
    sim.advance_to(at("18:00"))
    missing = [e for e in sim.events if e.type == "POST_RUN_SENSOR_MISSING"]
    assert [e.at for e in missing] == [at("10:30")]


def test_cron_plans_the_next_day() -> None:
    """Opening today's cron run plans tomorrow's, which opens at its own fire time."""
    sim = Simulation(pipeline(), start=at("07:00"))
    sim.advance_to(at("08:00", day="2026-11-24"))
    assert sim.runs["2026-11-24"].state is RunState.WAITING
    assert sim.runs["2026-11-24"].opened_at == at("08:00", day="2026-11-24")


def test_schedule_missed_once_when_not_started_by_schedule_time() -> None:
    """schedule.time passing without a launch gives exactly one SCHEDULE_MISSED."""
    text = GOLD_REVENUE.replace("timezone: UTC\n", 'timezone: UTC\n  time: "08:30"\n')
    sim = Simulation(pipeline(text), start=at("07:00"))
    sim.advance_to(at("08:59"))
    missed = [e for e in sim.events if e.type == "SCHEDULE_MISSED"]
    assert [e.at for e in missed] == [at("08:30")]


def test_dry_run_records_what_it_would_do() -> None:
    """Dry run: would-trigger, SLA projection, completion, late data and drift; never a launch."""
    text = GOLD_REVENUE + "dryRun: true\n"
    sim = Simulation(pipeline(text), start=at("07:00"))
    ready_inputs(sim, "08:01")
    sim.put_reading("upstream-complete", {"status": "ready"}, at=at("08:20"))
    sim.put_reading("row-count", {"count": 5000}, at=at("08:25"))
    assert types(sim) == [
        "VALIDATION_PASSED",
        "DRY_RUN_WOULD_TRIGGER",
        "DRY_RUN_SLA_PROJECTION",
        "DRY_RUN_COMPLETED",
        "DRY_RUN_LATE_DATA",
        "DRY_RUN_DRIFT",
    ]
    assert sim.runs[PARTITION].state is RunState.SHADOWED
    assert sim.runs[PARTITION].attempt == 0
    projection = next(e for e in sim.events if e.type == "DRY_RUN_SLA_PROJECTION")
    assert projection.detail["status"] == "met"
    assert projection.detail["marginSeconds"] == 5340


def test_dry_run_rerun_and_retry_events() -> None:
    """Dry run answers reruns and reported failures with DRY_RUN_* events only."""
    text = GOLD_REVENUE + "dryRun: true\n"
    sim = Simulation(pipeline(text), start=at("07:00"))
    ready_inputs(sim, "08:01")
    sim.rerun(PARTITION, at=at("08:10"), reason="backfill")
    sim.put_reading("freshness", {"updatedAt": "x"}, at=at("08:11"))
    sim.rerun(PARTITION, at=at("08:12"), reason="backfill")
    for minute in ("08:20", "08:21", "08:22"):
        sim.job_outcome("failed", at=at(minute), partition=PARTITION)
    dry = [t for t in types(sim) if t.startswith("DRY_RUN_") and "TRIGGER" not in t]
    assert dry[2:] == [
        "DRY_RUN_RERUN_REJECTED",
        "DRY_RUN_WOULD_RERUN",
        "DRY_RUN_WOULD_RETRY",
        "DRY_RUN_WOULD_RETRY",
        "DRY_RUN_RETRY_EXHAUSTED",
    ]
    assert not any(e.type in {"JOB_TRIGGERED", "RERUN_ACCEPTED"} for e in sim.events)


def test_steady_stream_plans_no_runs_ahead() -> None:
    """A reading every 10 s for two simulated days keeps one planned run per schedule.

    Before the fix each decision of a PENDING run planned its successor, so a stream like
    this grew the simulation by a future day per reading (quadratic time).
    """
    sim = Simulation(pipeline(), start=at("07:00"))
    step = timedelta(seconds=10)
    moment = at("07:00")
    for i in range(2 * 24 * 360):
        moment = at("07:00") + i * step
        sim.put_reading("row-count", {"count": i}, at=moment)
        if i % 360 == 0:
            pending = [r.partition for r in sim.runs.values() if r.state is RunState.PENDING]
            assert len(pending) <= 1, (moment, pending)
    assert sorted(sim.runs) == ["2026-11-23", "2026-11-24", "2026-11-25"]
