"""The job log (``interlock runs``) through the real SQLite store and controller.

Every attempt ends in a final state with its finish time and a message, however its end was
learnt — a poll, a retry, ``job report``, a cancel — and the log agrees with the events.
"""

from __future__ import annotations

import tempfile
import textwrap
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_support import GOLD, World, at, finish

from interlock.abc import AttemptRecord
from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.errors import RequestRefusedError
from interlock.jobs import JobStatus, MockBackend
from interlock.model import RunState

PARTITION = "2026-11-23"
FINAL = {"succeeded", "failed", "launch-failed", "cancelled", "unknown"}
ENDINGS = {
    "JOB_COMPLETED": {"succeeded"},
    "JOB_FAILED": {"failed", "launch-failed"},
    "RUN_CANCELLED": {"cancelled"},
    "INFRA_FAILURE": {"unknown"},
    "JOB_POLL_EXHAUSTED": {"unknown"},
}


def ready(world: World) -> None:
    """Both gold-revenue sensors are healthy now."""
    world.put("row-count", count=1500)
    world.put("upstream-complete", status="ready")


def log(world: World, pipeline: str = "gold-revenue") -> list[AttemptRecord]:
    """The job log of one partition, as ``interlock runs`` shows it."""
    return world.il.attempts(pipeline, PARTITION)


def test_a_retried_failure_is_closed_in_the_job_log(make_world) -> None:
    """The demo's flaky-export: attempt 1 fails, is retried, attempt 2 succeeds."""
    world: World = make_world(GOLD)
    world.step("08:00")
    ready(world)
    world.step("08:09")
    finish(world, "gold-revenue/2026-11-23/1", "failed", "08:10")
    assert world.run().attempt == 2
    first = log(world)[0]
    assert (first.state, first.finished_at) == ("failed", at("08:10"))
    assert first.message
    finish(world, "gold-revenue/2026-11-23/2", "succeeded", "08:20")
    assert [(a.attempt, a.state) for a in log(world)] == [(1, "failed"), (2, "succeeded")]
    assert all(a.finished_at is not None for a in log(world))


def test_a_cancel_ends_the_running_attempt(make_world) -> None:
    """Cancelling a running run closes its attempt as cancelled, with the reason."""
    world: World = make_world(GOLD)
    world.step("08:00")
    ready(world)
    world.step("08:05")
    world.il.cancel("gold-revenue", PARTITION, reason="wrong data")
    world.controller.run_until_idle()
    assert world.run().state is RunState.CANCELLED
    [attempt] = log(world)
    assert (attempt.state, attempt.finished_at, attempt.message) == (
        "cancelled",
        at("08:05"),
        "wrong data",
    )


def test_a_job_report_ends_the_attempt(make_world) -> None:
    """``job report`` (no poll involved) ends the attempt in the job log too."""
    world: World = make_world(GOLD)
    world.step("08:00")
    ready(world)
    world.il.report_job("gold-revenue/2026-11-23", "failed", message="disk full")
    world.controller.run_until_idle()
    first = log(world)[0]
    assert (first.state, first.message) == ("failed", "job failed: disk full")
    assert first.finished_at == at("08:00")


# The property -------------------------------------------------------------------------

FLAKY = """
pipeline: {id: flaky}
schedule:
  cron: "0 8 * * *"
  timezone: UTC
  trigger: {key: ready, check: equals, field: status, value: ready}
  evaluation: {window: 6h, interval: 5m}
validation:
  trigger: ALL
  rules: [{key: ready, check: equals, field: status, value: ready}]
job: {type: mock, maxRetries: 2, maxCodeRetries: 1, maxManualReruns: 3, pollInterval: 1m}
"""

OUTCOMES = st.sampled_from(
    [
        ("poll", "succeeded", None),
        ("poll", "failed", "TRANSIENT"),
        ("poll", "failed", "PERMANENT"),
        ("poll", "failed", "CANCELLED"),
        ("report", "succeeded", None),
        ("report", "failed", "TRANSIENT"),
        ("rerun", "", None),
        ("cancel", "", None),
        ("wait", "", None),
    ]
)


def _world(folder: Path) -> World:
    (folder / "pipelines").mkdir()
    (folder / "pipelines" / "flaky.yaml").write_text(textwrap.dedent(FLAKY), encoding="utf-8")
    clock = FakeClock(at("08:00"))
    backend = MockBackend(lambda _request: "running")
    il = Interlock(
        db=f"sqlite:///{folder}/interlock.db",
        pipelines=folder / "pipelines",
        clock=clock,
        backends=lambda _t: backend,
    )
    il.apply()
    controller = il.controller(ControllerSettings(workers=0))
    return World(il=il, clock=clock, backend=backend, controller=controller, statuses={})


def _act(world: World, step: tuple[str, str, str | None], n: int) -> None:
    """One random step; a request the facade refuses is a step that records nothing."""
    kind, state, category = step
    run = world.run(PARTITION, "flaky")
    try:
        if kind == "poll" and run.attempt:
            world.backend.set_status(run.attempt_id, JobStatus(state=state, category=category))  # type: ignore[arg-type]
        elif kind == "report" and run.attempt:
            world.il.report_job(f"{run.attempt_id}", state, category=category)  # type: ignore[arg-type]
        elif kind == "rerun":
            world.il.put_reading("flaky", "ready", {"status": "ready", "n": n})
            world.il.rerun("flaky", PARTITION, reason="manual")
        elif kind == "cancel":
            world.il.cancel("flaky", PARTITION)
    except RequestRefusedError:
        pass  # e.g. a rerun of a running run, a report on an ended attempt
    world.step(world.clock.now() + timedelta(minutes=2))


def _check(world: World) -> None:
    run = world.run(PARTITION, "flaky")
    attempts = log(world, "flaky")
    assert [a.attempt for a in attempts] == list(range(1, run.attempt + 1))
    current_in_flight = run.state in (RunState.LAUNCHING, RunState.RUNNING)
    for a in attempts:
        if current_in_flight and a.attempt == run.attempt:
            assert a.state in ("launching", "running")
            continue
        assert a.state in FINAL, a
        assert a.finished_at is not None, a
        assert a.message, a
    ended: dict[int, str] = {}
    for event in world.events("flaky"):
        attempt = event.detail.get("attempt")
        if event.type in ENDINGS and isinstance(attempt, int):
            ended[attempt] = event.type
    for a in attempts:
        if a.state in FINAL:
            assert a.state in ENDINGS[ended[a.attempt]], (a, ended)
        else:
            assert a.attempt not in ended


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(OUTCOMES, min_size=1, max_size=10))
def test_every_attempt_but_the_running_one_is_final(steps) -> None:
    """Random polls, reports, reruns and cancels: the log stays final and agrees with events."""
    with tempfile.TemporaryDirectory() as tmp:
        world = _world(Path(tmp))
        try:
            world.put("ready", pipeline="flaky", status="ready")
            for n, step in enumerate(steps):
                _act(world, step, n)
                _check(world)
        finally:
            world.il.close()


def test_an_exit_notice_only_wakes_an_attempt_in_flight(make_world) -> None:
    """A job's exit notice is unverified: it makes its own running run due, nothing else."""
    world: World = make_world(GOLD)
    world.step("08:00")
    ready(world)
    store = world.il.store
    now = at("08:00")
    for bogus in ("", "nonsense", "gold-revenue/2026-11-23/x", "gold-revenue/2026-11-23/2"):
        assert store.wake_attempt(bogus, now) is False
    assert store.wake_attempt("gold-revenue/2026-11-24/1", now) is False  # not running
    assert store.next_due_at() == at("08:01")  # the next poll, unchanged
    assert store.wake_attempt("gold-revenue/2026-11-23/1", now) is True
    assert store.next_due_at() == now
    assert world.run().state is RunState.RUNNING  # due, not decided: the poll decides
