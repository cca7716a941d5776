"""End to end through the real SQLite store and controller, on a fake clock.

Every transition of the decision core reached from real writes and timers, as a user of
``interlock serve`` would see it in ``interlock events``.
"""

from __future__ import annotations

from runtime_support import GOLD, World, at, finish

from interlock.model import RunState

ATTEMPT_1 = "gold-revenue/2026-11-23/1"


def ready(world: World) -> None:
    """Both gold-revenue sensors are healthy now."""
    world.put("row-count", count=1500)
    world.put("upstream-complete", status="ready")


def test_ready_launch_poll_success(make_world) -> None:
    """A write that makes the rules hold launches once; polling sees success; SLA met."""
    world: World = make_world(GOLD)
    world.step("08:00")
    assert world.run().state is RunState.WAITING
    ready(world)
    assert world.run().state is RunState.RUNNING
    assert [r.attempt_id for r in world.backend.launches] == [ATTEMPT_1]
    finish(world, ATTEMPT_1, "succeeded", "08:30")
    assert world.run().state is RunState.SUCCEEDED
    assert world.types() == [
        "VALIDATION_PASSED",
        "JOB_TRIGGERED",
        "JOB_COMPLETED",
        "POST_RUN_BASELINE_CAPTURED",
        "SLA_MET",
    ]
    (attempt,) = world.il.store.list_attempts("gold-revenue")
    assert attempt.state == "succeeded"
    assert set(attempt.inputs) == {"row-count", "upstream-complete"}


def test_window_exhaustion_by_timer(make_world) -> None:
    """Rules that never hold end the run EXHAUSTED exactly when the window closes."""
    world: World = make_world(GOLD)
    world.put("row-count", count=5)
    world.step("12:00")
    assert world.run().state is RunState.EXHAUSTED
    exhausted = [e for e in world.events() if e.type == "VALIDATION_EXHAUSTED"]
    assert [e.at for e in exhausted] == [at("09:00")]
    assert not world.backend.launches


def test_retry_then_exhaust(make_world) -> None:
    """A failed job is retried within maxRetries (1), then RETRY_EXHAUSTED."""
    world: World = make_world(GOLD)
    world.step("08:00")
    ready(world)
    finish(world, ATTEMPT_1, "failed", "08:10")
    assert world.run().attempt == 2
    finish(world, "gold-revenue/2026-11-23/2", "failed", "08:20")
    assert world.run().state is RunState.FAILED
    assert world.types().count("JOB_FAILED") == 2
    assert world.types()[-1] == "RETRY_EXHAUSTED"
    assert len(world.backend.launches) == 2


def test_late_data_and_drift_reruns(make_world) -> None:
    """After success, a new trigger reading reruns (late data); the budget then holds."""
    world: World = make_world(GOLD)
    world.step("08:00")
    ready(world)
    finish(world, ATTEMPT_1, "succeeded", "08:30")
    world.step("09:00")
    world.put("upstream-complete", status="ready")
    assert "LATE_DATA_ARRIVAL" in world.types()
    assert world.run().attempt == 2
    finish(world, "gold-revenue/2026-11-23/2", "succeeded", "09:30")
    world.put("row-count", count=3000)
    assert world.types().count("POST_RUN_DRIFT") == 1
    assert world.types()[-1] == "RERUN_REJECTED"


def test_sla_warning_and_breach_fire_on_time(make_world) -> None:
    """A job still running at 09:30 gets SLA_WARNING; at 10:00 SLA_BREACH, once each."""
    world: World = make_world(GOLD)
    world.step("08:00")
    ready(world)
    world.step("11:00")
    warning = [e.at for e in world.events() if e.type == "SLA_WARNING"]
    breach = [e.at for e in world.events() if e.type == "SLA_BREACH"]
    assert warning == [at("09:30")]
    assert breach == [at("10:00")]


def test_schedule_missed_and_trigger_deadline(make_world) -> None:
    """schedule.time passing unstarted → SCHEDULE_MISSED once; a trigger deadline expires."""
    cron = GOLD.replace("timezone: UTC\n", 'timezone: UTC\n  time: "08:30"\n')
    silver = """
    pipeline: {id: silver}
    schedule:
      trigger: {key: daily-status, check: equals, field: complete, value: true, deadline: "06:00"}
    job: {type: mock}
    """
    world: World = make_world(cron, silver, start=at("05:00"))
    world.step("09:00")
    assert world.types("gold-revenue").count("SCHEDULE_MISSED") == 1
    assert world.types("silver") == ["SENSOR_DEADLINE_EXPIRED"]
    assert world.run(pipeline="silver").state is RunState.EXHAUSTED


def test_dry_run_never_launches(make_world) -> None:
    """A dry-run pipeline records what it would do; the backend is never called."""
    world: World = make_world(GOLD + "dryRun: true\n")
    world.step("08:00")
    ready(world)
    assert world.run().state is RunState.SHADOWED
    assert "DRY_RUN_WOULD_TRIGGER" in world.types()
    assert not world.backend.launches


def test_shared_reading_wakes_every_pipeline(make_world) -> None:
    """One shared write is seen by every pipeline whose rules name the key."""
    a = """
    pipeline: {id: a}
    schedule: {trigger: {key: upstream, check: equals, field: status, value: ready}}
    job: {type: mock}
    """
    world: World = make_world(a, a.replace("id: a", "id: b"))
    world.il.put_shared("upstream", {"status": "ready"})
    world.controller.run_until_idle()
    launched = sorted(r.pipeline_id for r in world.backend.launches)
    assert launched == ["a", "b"]


def test_rerun_and_cancel_through_signals(make_world) -> None:
    """A manual rerun after fresh data relaunches; a cancel stops a waiting run."""
    world: World = make_world(GOLD)
    world.step("08:00")
    ready(world)
    finish(world, ATTEMPT_1, "succeeded", "08:30")
    world.put("row-count", count=1502)
    world.il.rerun("gold-revenue", "2026-11-23", reason="backfill")
    world.controller.run_until_idle()
    assert world.run().attempt == 2
    world.il.cancel("gold-revenue", "2026-11-24")
    world.controller.run_until_idle()
    assert world.run("2026-11-24").state is RunState.CANCELLED


def test_external_job_reports_its_own_completion(make_world) -> None:
    """``job report`` from the job itself ends the run without waiting for a poll."""
    world: World = make_world(GOLD)
    world.step("08:00")
    ready(world)
    world.il.report_job("gold-revenue/2026-11-23", "succeeded", message="done by airflow")
    world.controller.run_until_idle()
    assert world.run().state is RunState.SUCCEEDED
