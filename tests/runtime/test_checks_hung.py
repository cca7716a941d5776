"""A hung check never delays a decision: the controller serves while a check sleeps."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from interlock.app import Interlock
from interlock.controller.checks import CheckRunner
from interlock.controller.clock import SystemClock
from interlock.controller.jobs import JobRunner
from interlock.controller.loop import Controller, ControllerSettings
from interlock.jobs import MockBackend
from interlock.model.checkers import SensorCheckSpec
from interlock.model.specs import PipelineSpec

TRIGGERED = """pipeline: {{id: {id}}}
schedule: {{trigger: {{key: {key}, check: equals, field: ok, value: true}}}}
job: {{type: mock}}
"""
GATE = TRIGGERED.format(id="gate", key="landed")
SLOW = TRIGGERED.format(id="slow", key="stuck")
HUNG = SensorCheckSpec(
    key="stuck",
    kind="command",
    every=timedelta(minutes=5),
    config={"command": ["sleep", "5"]},
    pipeline_id="slow",
    timeout=timedelta(seconds=2),
)


def _wait_for(condition: object, seconds: float) -> float:
    """Seconds until ``condition()`` holds (fails the test after ``seconds``)."""
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        assert time.monotonic() - started < seconds, "condition never held"
        time.sleep(0.01)
    return time.monotonic() - started


def test_hung_check_does_not_delay_another_pipelines_launch(tmp_path: Path) -> None:
    """While ``slow``'s check hangs, a reading for ``gate`` launches at once.

    The hung check is abandoned at its timeout (one SENSOR_CHECK_FAILED), not after the
    command ends.
    """
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "gate.yaml").write_text(GATE)
    (folder / "slow.yaml").write_text(SLOW)
    backend = MockBackend(lambda _request: "running")
    il = Interlock(db=f"sqlite:///{tmp_path}/il.db", pipelines=folder, backends=lambda _t: backend)
    il.apply()

    def specs() -> Mapping[str, PipelineSpec]:
        loaded = il.specs()
        return {**loaded, "slow": replace(loaded["slow"], sensors=(HUNG,))}

    clock = SystemClock()
    checks = CheckRunner(il.store, specs, clock)
    jobs = JobRunner(il.store, lambda _t: backend)
    controller = Controller(
        il.store, specs, jobs, clock=clock, settings=ControllerSettings(workers=0), checks=checks
    )
    serving = threading.Thread(target=controller.serve, daemon=True)
    started = time.monotonic()
    serving.start()
    try:
        assert controller.ready.wait(5)
        time.sleep(0.3)  # the check is running its `sleep 5` by now
        il.put_reading("gate", "landed", {"ok": True})
        took = _wait_for(lambda: backend.launches, 1.5)
        assert took < 1.0
        assert time.monotonic() - started < 2.0  # launched while the check still hung
        failed = lambda: il.store.list_events(types=["SENSOR_CHECK_FAILED"])  # noqa: E731
        _wait_for(failed, 4.0)
        assert time.monotonic() - started < 4.5  # abandoned at 2 s, not after the 5 s sleep
        assert "timed out after 2s" in failed()[0].message
        assert [a.attempt_id.split("/")[0] for a in backend.launches] == ["gate"]
    finally:
        controller.stop()
        serving.join(10)
        il.close()
    assert not serving.is_alive()


def test_bootstrap_does_not_run_or_wait_for_checks(tmp_path: Path) -> None:
    """``bootstrap`` plans runs and returns; checks start only with ``serve``."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "slow.yaml").write_text(SLOW)
    il = Interlock(db=f"sqlite:///{tmp_path}/il.db", pipelines=folder)
    il.apply()

    def specs() -> Mapping[str, PipelineSpec]:
        return {"slow": replace(il.specs()["slow"], sensors=(HUNG,))}

    backend = MockBackend(lambda _request: "running")
    clock = SystemClock()
    controller = Controller(
        il.store,
        specs,
        JobRunner(il.store, lambda _t: backend),
        clock=clock,
        settings=ControllerSettings(workers=0),
        checks=CheckRunner(il.store, specs, clock),
    )
    started = time.monotonic()
    controller.bootstrap()
    assert time.monotonic() - started < 1.0
    assert il.store.checker_statuses() == {}
    controller.close()
    il.close()
