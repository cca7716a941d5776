"""``kill -9`` of a real ``interlock serve`` at random moments: every attempt runs once.

The other crash tests stop the process at chosen lines; this one kills the real controller
process while twenty command jobs are being launched, restarts it on the same SQLite file,
and repeats. Whatever the moment, each job runs exactly once and no run is reported lost
without having been started. Real processes and real time (a few seconds in all).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from interlock.app import Interlock
from interlock.store.base import ReadingInput

PIPELINES = 20
PIPELINE = """
pipeline: {{id: p{i:02d}}}
schedule:
  trigger: {{key: go, check: equals, field: ok, value: true}}
job:
  type: command
  pollInterval: 1s
  config:
    command: ["{python}", "-c", "open(r'{marker}', 'a').write('${{runId}}\\\\n')"]
"""
CLI = Path(sys.executable).with_name("interlock")


def serve(work: Path, db: str) -> subprocess.Popen[bytes]:
    """Start ``interlock serve`` on the database."""
    return subprocess.Popen(
        [str(CLI), "serve", "--db", db, "--workers", "4"],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def states(db: str) -> dict[str, str]:
    """Pipeline id → state of its one run."""
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT pipeline_id, state FROM runs")).all()
    engine.dispose()
    return {row[0]: row[1] for row in rows}


def test_kill_nine_while_launching_runs_every_job_once(tmp_path: Path) -> None:
    """Three kills at random moments of the launch wave; then every run SUCCEEDED, once."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    marker = tmp_path / "ran.txt"
    for i in range(PIPELINES):
        text = PIPELINE.format(i=i, python=sys.executable, marker=marker)
        (folder / f"p{i:02d}.yaml").write_text(text, encoding="utf-8")
    db = f"sqlite:///{tmp_path}/interlock.db"
    il = Interlock(db=db, pipelines=folder)
    il.apply()
    il.put_readings([ReadingInput(key="go", data={"ok": True})])
    il.close()
    seed = int(os.environ.get("INTERLOCK_KILL_SEED", time.time_ns()))
    chance = random.Random(seed)  # noqa: S311 - timing jitter, not cryptography
    for _ in range(3):
        controller = serve(tmp_path, db)
        # Start-up takes ~0.5 s and the launch wave ~1.5 s more: the kills land in it.
        time.sleep(chance.uniform(0.5, 1.5))
        controller.send_signal(signal.SIGKILL)
        controller.wait()
    controller = serve(tmp_path, db)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen = states(db)
            if len(seen) == PIPELINES and all(s == "SUCCEEDED" for s in seen.values()):
                break
            time.sleep(0.2)
    finally:
        controller.send_signal(signal.SIGTERM)
        controller.wait(30)
    assert states(db) == {f"p{i:02d}": "SUCCEEDED" for i in range(PIPELINES)}, seed
    runs = sorted(marker.read_text().splitlines())
    assert [r.split("/")[0] for r in runs] == [f"p{i:02d}" for i in range(PIPELINES)], seed
    assert all(r.endswith("/1") for r in runs), seed  # never lost, so never retried
    final = Interlock(db=db)
    failed = final.store.list_events(types=["JOB_FAILED", "INFRA_FAILURE"])
    final.close()
    assert failed == [], seed


def test_a_second_serve_on_one_sqlite_file_says_so(tmp_path: Path) -> None:
    """Two ``interlock serve`` on one SQLite file: the second exits 2 with one line, only."""
    db = f"sqlite:///{tmp_path}/interlock.db"
    first = serve(tmp_path, db)
    try:
        deadline = time.monotonic() + 30
        lock = tmp_path / "interlock.db-controller.lock"
        while not lock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # the lock file exists just before it is locked
        second = subprocess.run(
            [str(CLI), "serve", "--db", db], capture_output=True, text=True, timeout=60, check=False
        )
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(30)
    assert second.returncode == 2
    assert second.stderr.splitlines() == [  # refused before it claims to serve anything
        (
            f"error: another controller is already serving {tmp_path}/interlock.db"
            " (SQLite takes one controller; use PostgreSQL for several)"
        )
    ]
