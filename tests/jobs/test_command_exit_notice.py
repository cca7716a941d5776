"""A ``command`` job's end is noticed when it exits, not at the next poll.

Real processes, a real controller on the system clock in a thread: the only test here that
waits on wall time, bounded by a short deadline.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from interlock.app import Interlock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import CommandBackend, JobRequest
from interlock.model import RunState

QUICK = """
pipeline: {id: quick}
schedule:
  trigger: {key: go, check: exists}
  evaluation: {window: 10m, interval: 1m}
job:
  type: command
  pollInterval: 1m
  config: {command: ["true"]}
"""


def wait_for(predicate: Callable[[], bool], limit: float) -> bool:
    """Poll ``predicate`` for up to ``limit`` seconds (a real process is being waited on)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[Interlock]:
    """``quick`` loaded, and a real controller serving it in a thread."""
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "quick.yaml").write_text(QUICK, encoding="utf-8")
    il = Interlock(
        db=f"sqlite:///{tmp_path}/interlock.db",
        pipelines=tmp_path / "pipelines",
        state_dir=tmp_path / "state",
    )
    il.apply()
    controller = il.controller(ControllerSettings())
    thread = threading.Thread(target=controller.serve, daemon=True)
    thread.start()
    assert controller.ready.wait(10)
    yield il
    controller.stop()
    thread.join(20)
    il.close()


def test_a_true_job_is_seen_succeeded_at_its_exit(serving: Interlock, tmp_path: Path) -> None:
    """With a 1m poll, ``true`` is SUCCEEDED at once, finished when it exited."""
    started = time.monotonic()
    serving.put_reading("quick", "go", {"status": "ok"})
    partition = serving.default_partition("quick")

    def succeeded() -> bool:
        run = serving.run("quick", partition)
        return run is not None and run.state is RunState.SUCCEEDED

    assert wait_for(succeeded, 10), serving.run("quick", partition)
    assert time.monotonic() - started < 2.5
    [attempt] = serving.attempts("quick", partition)
    [exit_file] = (tmp_path / "state").glob("jobs/*/exit.json")
    exited = datetime.fromtimestamp(json.loads(exit_file.read_text())["finishedAt"], UTC)
    assert attempt.state == "succeeded"
    assert attempt.finished_at is not None
    assert abs((attempt.finished_at - exited).total_seconds()) < 1
    assert attempt.launched_at is not None
    assert (attempt.finished_at - attempt.launched_at).total_seconds() < 5


def test_the_runner_sends_the_attempt_id_to_a_listener(tmp_path: Path) -> None:
    """The supervisor's exit notice reaches the backend's listener with the attempt id."""
    backend = CommandBackend(tmp_path / "state")
    heard: list[str] = []
    stop = backend.watch_exits(heard.append)
    assert stop is not None
    try:
        request = JobRequest(
            pipeline_id="etl",
            partition="2026-11-22",
            attempt=1,
            attempt_id="etl/2026-11-22/1",
            config={"command": ["true"]},
        )
        backend.launch(request)
        assert wait_for(lambda: heard == ["etl/2026-11-22/1"], 5), heard
    finally:
        stop()


def test_without_a_listener_the_job_still_ends_and_the_poll_sees_its_exit_time(
    tmp_path: Path,
) -> None:
    """Nobody listening: the job is unaffected, and a late poll reports the real end time."""
    backend = CommandBackend(tmp_path / "state")
    request = JobRequest(
        pipeline_id="etl",
        partition="2026-11-22",
        attempt=1,
        attempt_id="etl/2026-11-22/1",
        config={"command": ["true"]},
    )
    handle = backend.launch(request)
    assert wait_for(lambda: backend.status(handle, request).state != "running", 5)
    time.sleep(0.3)  # the poll comes later than the exit; the recorded time must not
    status = backend.status(handle, request)
    assert status.state == "succeeded"
    assert status.finished_at is not None
    assert (datetime.now(UTC) - status.finished_at).total_seconds() >= 0.3
