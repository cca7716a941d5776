"""Write ``tests/data/vocab_v1.db``: a database as the version before the typed vocabulary left it.

The runs' once-only marks, ``opened_by`` and failure categories were bare strings until the
``RunMark``, ``OpenedBy`` and ``FailureCategory`` enums; the enums keep those strings, and
``tests/store/test_vocabulary_compat.py`` proves it on this file. The file must therefore be
written by the *old* code, never regenerated with the new one. It was made from commit
0ef8bf3 (the last commit before the enums) with::

    mkdir -p /tmp/vocab-old && git archive 0ef8bf3 src | tar -x -C /tmp/vocab-old
    PYTHONPATH=/tmp/vocab-old/src .venv/bin/python tests/data/make_v1_db.py

It drives the real store and controller (SQLite, a fake clock, the mock job backend) through
a day of six pipelines, so every kind of stored vocabulary is in it:

- ``gold``: cron run, succeeded before its SLA deadline, post-run readings seen, drift
  baseline captured (marks ``planned-next``, ``sla-verdict``, ``post-run-seen``); its
  successor for the next day is planned (PENDING, opened by cron);
- ``late``: cron run with ``schedule.time``, started late and still running past its SLA
  warning and breach, then succeeded (``schedule-missed``, ``sla_warning``, ``sla_breach``,
  ``sla-verdict``);
- ``silver``: trigger run whose job failed TRANSIENT, was retried, then failed PERMANENT with
  the budget spent (FAILED, one ``job-fail-retry`` rerun);
- ``infra``: trigger run whose launch outcome became unknown (``INFRA_FAILURE``: FAILED,
  category UNKNOWN, mark ``outcome-unknown``), the signal a controller sends after a crash
  when the backend cannot tell;
- ``stuck``: trigger run whose job never finished within its poll window (FAILED, category
  TIMEOUT, mark ``outcome-unknown``);
- ``adhoc``: a run that never opened, started by a rerun request (opened by ``manual``).
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import MockBackend
from interlock.jobs.base import JobRequest, JobStatus
from interlock.model import LaunchUnknown

TARGET = Path(__file__).with_name("vocab_v1.db")
DAY = "2026-11-23"

PIPELINES = {
    "gold": """
        pipeline: {id: gold}
        schedule: {cron: "0 8 * * *", timezone: UTC, evaluation: {window: 1h, interval: 5m}}
        sla: {deadline: "10:00", expectedDuration: 30m}
        validation:
          trigger: ALL
          rules: [{key: gold-rows, check: gte, field: count, value: 1000}]
        job: {type: mock, pollInterval: 1m}
        postRun:
          rules: [{key: gold-rows, check: gte, field: count, value: 1000}]
          driftField: count
          driftThreshold: 10
    """,
    "late": """
        pipeline: {id: late}
        schedule:
          cron: "0 8 * * *"
          timezone: UTC
          time: "08:30"
          evaluation: {window: 3h, interval: 5m}
        sla: {deadline: "10:00", expectedDuration: 30m}
        validation:
          trigger: ALL
          rules: [{key: late-ready, check: equals, field: status, value: ready}]
        job: {type: mock, pollInterval: 5m, jobPollWindowSeconds: 7200}
    """,
    "silver": """
        pipeline: {id: silver}
        schedule:
          trigger: {key: silver-ready, check: equals, field: status, value: ready}
        job: {type: mock, maxRetries: 1, maxCodeRetries: 0, pollInterval: 1m}
    """,
    "infra": """
        pipeline: {id: infra}
        schedule:
          trigger: {key: infra-ready, check: equals, field: status, value: ready}
        job: {type: mock, pollInterval: 1m}
    """,
    "stuck": """
        pipeline: {id: stuck}
        schedule:
          trigger: {key: stuck-ready, check: equals, field: status, value: ready}
        job: {type: mock, pollInterval: 10m, jobPollWindowSeconds: 3600}
    """,
    "adhoc": """
        pipeline: {id: adhoc}
        schedule:
          trigger: {key: adhoc-ready, check: equals, field: status, value: ready}
        job: {type: mock, pollInterval: 1m}
    """,
}


def at(clock: str) -> datetime:
    """``at("08:05")`` → 2026-11-23T08:05Z."""
    return datetime.fromisoformat(f"{DAY}T{clock}:00+00:00").astimezone(UTC)


class Day:
    """One installation on a fake clock; the job outcomes are set per attempt id."""

    def __init__(self, folder: Path, db: str) -> None:
        self.clock = FakeClock(at("07:00"))
        self.outcomes: dict[str, JobStatus] = {}
        backend = MockBackend(self._status)
        self.il = Interlock(db=db, pipelines=folder, clock=self.clock, backends=lambda _t: backend)
        self.il.apply()
        self.controller = self.il.controller(ControllerSettings(workers=0))

    def _status(self, request: JobRequest) -> JobStatus:
        return self.outcomes.get(request.attempt_id, JobStatus(state="running"))

    def until(self, clock: str) -> None:
        """Move the clock to ``clock``, firing every timer on the way, and settle."""
        target = at(clock)
        while True:
            self.controller.run_until_idle()
            due = self.il.store.next_due_at()
            if due is None or due > target:
                break
            self.clock.set(max(due, self.clock.now()))
        self.clock.set(target)
        self.controller.run_until_idle()

    def put(self, pipeline: str, key: str, **data: object) -> None:
        """A sensor writes now; the controller settles."""
        self.il.put_reading(pipeline, key, data, partition=DAY)
        self.controller.run_until_idle()


def drive(day: Day) -> None:
    """The day described in the module docstring."""
    day.until("08:00")
    day.put("gold", "gold-rows", count=1200)
    day.put("silver", "silver-ready", status="ready")
    day.put("infra", "infra-ready", status="ready")
    day.put("stuck", "stuck-ready", status="ready")
    day.outcomes["gold/2026-11-23/1"] = JobStatus(state="succeeded")
    day.outcomes["silver/2026-11-23/1"] = JobStatus(state="failed", category="TRANSIENT")
    day.until("08:10")
    day.outcomes["silver/2026-11-23/2"] = JobStatus(state="failed", category="PERMANENT")
    now = day.clock.now()
    day.il.store.add_signal("infra", DAY, LaunchUnknown(attempt=1, at=now, message="crash"), now)
    day.until("08:20")
    day.put("gold", "gold-rows", count=1210)  # the post-run reading, within the drift threshold
    day.until("08:45")
    day.put("late", "late-ready", status="ready")
    day.until("10:05")
    day.outcomes["late/2026-11-23/1"] = JobStatus(state="succeeded")
    day.il.rerun("adhoc", DAY)
    day.until("10:30")


def main() -> None:
    """Write the database next to this script (replacing an older one)."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "pipelines"
        folder.mkdir()
        for name, text in PIPELINES.items():
            (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
        db = Path(scratch) / "interlock.db"
        day = Day(folder, f"sqlite:///{db}")
        drive(day)
        for run in day.il.store.list_runs():
            sys.stdout.write(
                f"{run.pipeline_id} {run.partition} {run.state} {run.opened_by}"
                f" {run.failure_category} {sorted(run.marks)}\n"
            )
        day.il.close()
        TARGET.unlink(missing_ok=True)
        with sqlite3.connect(db) as conn:  # one compact file, the write-ahead log folded in
            conn.execute("VACUUM INTO ?", (str(TARGET),))
    sys.stdout.write(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)\n")


if __name__ == "__main__":
    main()
