"""PostgreSQL, several controllers: a dead one's launches are taken over, a live one's never.

The launch lease is short (``ControllerSettings.launch_lease``) and renewed while its
controller lives, so "promptly" is one lease length after the heartbeat stopped.
"""

from __future__ import annotations

import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import JobBackend, JobHandle, JobRequest, JobStatus, MockBackend
from interlock.model import RunState

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
PIPELINE = """
pipeline: {id: etl}
schedule: {trigger: {key: ready, check: equals, field: ok, value: true}}
job: {type: mock, pollInterval: 1h}
"""


class Crash(BaseException):
    """Stands for controller A dying inside the backend call."""


class DyingBackend(JobBackend):
    """Dies before the launch reaches the job system."""

    def launch(self, request: JobRequest) -> JobHandle:  # noqa: ARG002 - dies first
        """Die."""
        raise Crash

    def status(self, handle: JobHandle, request: JobRequest) -> JobStatus:  # noqa: ARG002
        """Never reached."""
        raise AssertionError


class SlowBackend(MockBackend):
    """A launch that takes as long as the test wants."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Event()

    def launch(self, request: JobRequest) -> JobHandle:
        """Block until released, then launch."""
        self.entered.set()
        self.release.wait(10)
        return super().launch(request)


def install(url: str, tmp_path: Path, clock: FakeClock, backend: JobBackend) -> Interlock:
    """An installation of the one pipeline on ``url``."""
    folder = tmp_path / "pipelines"
    folder.mkdir(exist_ok=True)
    (folder / "etl.yaml").write_text(textwrap.dedent(PIPELINE), encoding="utf-8")
    return Interlock(db=url, pipelines=folder, clock=clock, backends=lambda _t: backend)


def settings(owner: str, workers: int = 0) -> ControllerSettings:
    """Controller settings with the test's launch lease."""
    return ControllerSettings(owner=owner, workers=workers, launch_lease=LEASE)


@pytest.mark.postgres
def test_a_dead_controllers_launch_is_taken_over_after_one_lease(
    postgres_url: str, tmp_path: Path
) -> None:
    """B leaves A's LAUNCHING run alone while A's lease runs, then resolves it once."""
    clock = FakeClock(NOW)
    first = install(postgres_url, tmp_path, clock, DyingBackend())
    first.apply()
    first.put_reading("etl", "ready", {"ok": True})
    with pytest.raises(Crash):
        first.controller(settings("A")).run_until_idle()
    first.close()

    survivor = MockBackend()
    second = install(postgres_url, tmp_path, clock, survivor)
    controller = second.controller(settings("B"))
    controller.bootstrap()
    controller.run_until_idle()
    assert survivor.launches == []  # A might still be alive: its lease is respected
    clock.advance(LEASE + timedelta(seconds=1))
    controller.run_until_idle()
    run = second.store.get_run("etl", "2026-11-23")
    assert run is not None
    assert run.state is RunState.RUNNING
    assert [r.attempt_id for r in survivor.launches] == ["etl/2026-11-23/1"]
    second.close()


@pytest.mark.postgres
def test_a_live_controllers_slow_launch_keeps_its_lease(postgres_url: str, tmp_path: Path) -> None:
    """While A's launch call hangs, A's heartbeat renews the lease and B never takes it."""
    clock = FakeClock(NOW)
    slow = SlowBackend()
    first = install(postgres_url, tmp_path, clock, slow)
    first.apply()
    first.put_reading("etl", "ready", {"ok": True})
    alive = first.controller(settings("A", workers=1))
    alive.run_once()
    assert slow.entered.wait(5)

    other = MockBackend()
    second = install(postgres_url, tmp_path, clock, other)
    rival = second.controller(settings("B"))
    for _ in range(4):  # two minutes, four lease lengths
        clock.advance(LEASE / 2)
        alive._renew_launch_leases()
        rival.run_until_idle()
    assert other.launches == []
    slow.release.set()
    alive.wait_for_launches()
    alive.run_until_idle()
    run = first.store.get_run("etl", "2026-11-23")
    assert run is not None
    assert run.state is RunState.RUNNING
    assert [r.attempt_id for r in slow.launches] == ["etl/2026-11-23/1"]
    alive.close()
    first.close()
    second.close()
