"""Crash recovery: at most one launch per attempt, whatever the moment of the crash.

A crash is a ``BaseException`` raised inside the backend call path: like a killed process,
it skips everything after it, so the database is left exactly as a ``kill -9`` would leave
it (the LAUNCHING state and the attempt row committed, the handle not recorded). A second
controller then starts on the same database, with the same real ``command`` backend state.
"""

from __future__ import annotations

import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from runtime_support import at

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.errors import StoreError
from interlock.jobs import CommandBackend, JobBackend, JobHandle, JobRequest, JobStatus, command
from interlock.model import RunState

PIPELINE = """
pipeline: {{id: etl}}
schedule:
  trigger: {{key: upstream, check: equals, field: status, value: ready}}
job:
  type: command
  pollInterval: 1s
  config:
    command: ["{python}", "-c", "open(r'{marker}', 'a').write('ran\\\\n')"]
"""


class Crash(BaseException):
    """Stands for the process dying at this point."""


class CrashingBackend(JobBackend):
    """Wraps a real backend and dies before or after its launch."""

    type = "command"

    def __init__(self, inner: JobBackend, *, before: bool) -> None:
        self.inner = inner
        self.before = before

    def launch(self, request: JobRequest) -> JobHandle:
        """Die before calling the real backend, or right after it started the job."""
        if self.before:
            raise Crash
        self.inner.launch(request)
        raise Crash

    def status(self, handle: JobHandle) -> JobStatus:  # noqa: ARG002 - never called
        """Never reached: the process is dead."""
        raise AssertionError


class BlindBackend(CommandBackend):
    """A backend that cannot look attempts up after a crash."""

    def find(self, request: JobRequest) -> JobHandle | None:
        """Cannot tell."""
        raise NotImplementedError


def setup(tmp_path: Path) -> tuple[Path, Path, str, FakeClock]:
    """A pipeline whose job appends one line to a marker file per real run."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    marker = tmp_path / "ran.txt"
    text = PIPELINE.format(python=sys.executable, marker=marker)
    (folder / "etl.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder, marker, f"sqlite:///{tmp_path}/interlock.db", FakeClock(at("08:00"))


def crash_first_controller(
    tmp_path: Path, *, before: bool, backend: JobBackend | None = None
) -> tuple[Path, str, FakeClock]:
    """Controller A decides the launch and dies in the backend call."""
    folder, marker, db, clock = setup(tmp_path)
    state = tmp_path / "state"
    chosen = backend or CrashingBackend(CommandBackend(state / "jobs"), before=before)
    first = Interlock(db=db, pipelines=folder, clock=clock, backends=lambda _t: chosen)
    first.apply()
    first.put_reading("etl", "upstream", {"status": "ready"})
    with pytest.raises(Crash):
        first.controller(ControllerSettings(workers=0, owner="A")).run_until_idle()
    run = first.store.get_run("etl", "2026-11-23")
    assert run is not None
    assert run.state is RunState.LAUNCHING
    first.close()
    return marker, db, clock


def restart(
    tmp_path: Path, db: str, clock: FakeClock, backend: JobBackend | None = None
) -> Interlock:
    """Controller B starts on the same database at once (no lease waited out), and settles."""
    chosen = backend or CommandBackend(tmp_path / "state" / "jobs")
    second = Interlock(db=db, clock=clock, backends=lambda _t: chosen)
    controller = second.controller(ControllerSettings(workers=0, owner="B"))
    controller.bootstrap()
    for _ in range(100):
        controller.run_until_idle()
        run = second.store.get_run("etl", "2026-11-23")
        if run is not None and run.is_terminal:
            break
        clock.advance(timedelta(seconds=1))
        time.sleep(0.02)  # a real job process is running; give it real time to finish
    return second


def wait_lines(marker: Path, timeout: float = 10.0) -> list[str]:
    """Lines the job wrote, once it has written one.

    The job is a detached process: a run can be settled (FAILED as unknown, say) before the
    job it started got round to writing, more so on a loaded machine.
    """
    deadline = time.monotonic() + timeout
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return marker.read_text().splitlines() if marker.exists() else []


@pytest.mark.parametrize(
    "before",
    [
        pytest.param(True, id="killed-after-commit-before-backend-call-launches-once"),
        pytest.param(False, id="killed-after-backend-call-finds-the-job-no-second-run"),
    ],
)
def test_crash_never_launches_an_attempt_twice(tmp_path: Path, before: bool) -> None:
    """Whenever A died around the backend call, B ends the run SUCCEEDED with one real run."""
    marker, db, clock = crash_first_controller(tmp_path, before=before)
    second = restart(tmp_path, db, clock)
    run = second.store.get_run("etl", "2026-11-23")
    assert run is not None
    assert run.state is RunState.SUCCEEDED
    assert run.attempt == 1
    assert wait_lines(marker) == ["ran"]
    second.close()


def test_unknown_launch_is_raised_not_relaunched(tmp_path: Path) -> None:
    """If the backend cannot tell whether the attempt ran, the run fails with INFRA_FAILURE."""
    marker, db, clock = crash_first_controller(tmp_path, before=False)
    second = restart(tmp_path, db, clock, BlindBackend(tmp_path / "state" / "jobs"))
    run = second.store.get_run("etl", "2026-11-23")
    assert run is not None
    assert run.state is RunState.FAILED
    types = [e.type for e in second.store.list_events(pipeline_id="etl")]
    assert "INFRA_FAILURE" in types
    assert types.count("JOB_TRIGGERED") == 0
    assert wait_lines(marker) == ["ran"]
    second.close()


def _die_after(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make ``interlock.jobs.command.<name>`` do its work, then kill the process."""
    real = getattr(command, name)

    def dying(*args: object, **kwargs: object) -> object:
        real(*args, **kwargs)
        raise Crash

    monkeypatch.setattr(command, name, dying)


@pytest.mark.parametrize(
    "step",
    [
        pytest.param("_claim", id="after-launch-record-before-runner"),
        pytest.param("_start", id="after-supervisor-started-before-handle-returned"),
    ],
)
def test_kill_at_each_step_of_a_command_launch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """Killed anywhere inside the command backend's launch, the job runs exactly once.

    A launch record without a started supervisor is "claimed, never started": the restarted
    controller launches it then, under the same attempt id, and never reports it lost.
    """
    _die_after(monkeypatch, step)
    marker, db, clock = crash_first_controller(
        tmp_path, before=False, backend=CommandBackend(tmp_path / "state" / "jobs")
    )
    monkeypatch.undo()
    started = clock.now()
    second = restart(tmp_path, db, clock)
    run = second.store.get_run("etl", "2026-11-23")
    assert run is not None
    assert (run.state, run.attempt) == (RunState.SUCCEEDED, 1)
    assert wait_lines(marker) == ["ran"]
    events = second.store.list_events(pipeline_id="etl")
    assert [e.type for e in events if e.type.startswith("JOB_")] == [
        "JOB_TRIGGERED",
        "JOB_COMPLETED",
    ]
    triggered = next(e for e in events if e.type == "JOB_TRIGGERED")
    assert triggered.at == started  # resolved in the restart's first round, no lease wait
    second.close()


def test_a_second_controller_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    """SQLite takes one controller: a second one says so instead of stealing its leases."""
    folder, _marker, db, clock = setup(tmp_path)
    first = Interlock(db=db, pipelines=folder, clock=clock)
    first.controller(ControllerSettings(workers=0)).bootstrap()
    second = Interlock(db=db, clock=clock)
    with pytest.raises(StoreError, match="another controller is already serving"):
        second.controller(ControllerSettings(workers=0)).bootstrap()
    first.close()
    second.controller(ControllerSettings(workers=0)).bootstrap()  # free once the first is gone
    second.close()
