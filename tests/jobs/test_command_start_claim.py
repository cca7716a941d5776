"""The command backend's start claim: "claimed, never started" versus "started, then lost".

A crash can fall between writing ``launch.json`` and starting the supervisor. After it,
``find`` must say the attempt never started (so it is started then, once, under the same
attempt id) rather than hand back a job that will later be reported lost.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

from interlock.jobs import CommandBackend, JobHandle, JobRequest, JobStatus, command
from interlock.jobs._runner import LOCK_FILE, claim_start


def request(marker: Path, attempt_id: str = "etl/2026-11-22/1") -> JobRequest:
    """An attempt whose job appends one line to ``marker`` per real run."""
    code = f"open(r'{marker}', 'a').write('ran\\n')"
    return JobRequest(
        pipeline_id="etl",
        partition="2026-11-22",
        attempt=1,
        attempt_id=attempt_id,
        config={"command": [sys.executable, "-c", code]},
    )


def wait_done(backend: CommandBackend, handle: JobHandle, job: JobRequest) -> JobStatus:
    """Poll until the real job process is done (bounded)."""
    deadline = time.monotonic() + 10
    status = backend.status(handle, job)
    while status.state == "running" and time.monotonic() < deadline:
        time.sleep(0.02)
        status = backend.status(handle, job)
    return status


def test_a_launch_record_without_a_supervisor_was_never_started(tmp_path: Path) -> None:
    """find() is None for a claimed-but-unstarted attempt; launch() then runs it once."""
    backend = CommandBackend(tmp_path / "state")
    marker = tmp_path / "ran.txt"
    job = request(marker)
    directory = backend.state_dir / command.safe_name(job.attempt_id)
    directory.mkdir(parents=True)
    (directory / command.LAUNCH_FILE).write_text(json.dumps({"attemptId": job.attempt_id}))
    assert backend.find(job) is None
    handle = backend.launch(job)
    assert wait_done(backend, handle, job).state == "succeeded"
    assert backend.find(job) == handle
    assert backend.launch(job) == handle  # once started, every later launch is the same job
    assert marker.read_text().splitlines() == ["ran"]


def test_racing_launches_of_one_attempt_start_one_job(tmp_path: Path) -> None:
    """Eight threads launching the same attempt at once: one process, one handle."""
    backend = CommandBackend(tmp_path / "state")
    marker = tmp_path / "ran.txt"
    job = request(marker)
    handles: list[JobHandle] = []
    barrier = threading.Barrier(8)

    def launch() -> None:
        barrier.wait()
        handles.append(backend.launch(job))

    threads = [threading.Thread(target=launch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({h.data["dir"] for h in handles}) == 1
    assert wait_done(backend, handles[0], job).state == "succeeded"
    assert marker.read_text().splitlines() == ["ran"]


def test_the_start_claim_is_taken_once_and_never_seen_unlocked(tmp_path: Path) -> None:
    """claim_start() creates the lock file already locked; a second claim gets None."""
    first = claim_start(tmp_path)
    assert first is not None
    assert (tmp_path / LOCK_FILE).exists()
    assert claim_start(tmp_path) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_FILE]  # no private file left
    os.close(first)
