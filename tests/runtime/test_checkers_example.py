"""``examples/checkers`` from YAML: Interlock looks at a SQLite table and at files itself.

The shipped example, applied as a user would: its `sql` checker asks the report table how
many rows each day has, its `path` checker looks for each day's `_SUCCESS`, and the shared
checker beside it watches a warehouse marker. What they observe are ordinary readings: a
landed day launches, a day with rows is done without a job, and a day whose rows are deleted
is rebuilt. Paths in the example are relative to where Interlock runs, so the test runs in a
copy of it.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import MockBackend
from interlock.model import RunState

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "checkers"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DONE, LANDED = "2026-11-29", "2026-11-30"


def _warehouse(days: list[str]) -> None:
    with sqlite3.connect("warehouse.db") as db:
        db.execute("create table if not exists report (day text, campaign text)")
        db.execute("delete from report")
        db.executemany("insert into report values (?, 'x')", [(d,) for d in days])


def test_the_example_looks_for_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows make a day done, a marker launches a day, deleted rows rebuild exactly that day."""
    shutil.copytree(EXAMPLE, tmp_path / "project")
    monkeypatch.chdir(tmp_path / "project")
    _warehouse([DONE])
    for day in (DONE, LANDED):
        Path("landing", day).mkdir(parents=True)
        Path("landing", day, "_SUCCESS").write_text("", encoding="utf-8")
    backend = MockBackend(lambda _r: "running")
    clock = FakeClock(NOW)
    il = Interlock(
        db=f"sqlite:///{tmp_path}/interlock.db",
        pipelines="pipelines",
        clock=clock,
        backends=lambda _t: backend,
    )
    try:
        il.apply()
        assert [c.key for c in il.shared_checks] == ["warehouse-loaded"]
        controller = il.controller(ControllerSettings(workers=0))
        controller.bootstrap()
        runner = il.check_runner()
        runner.run_due(NOW)
        controller.run_until_idle()
        launched = {r.partition for r in backend.launches}
        assert LANDED in launched  # its marker landed, its rows did not: a backfill launches
        assert DONE not in launched  # its rows are there: done without a job
        assert il.partitions("daily-report").counts  # reported by interlock partitions
        _warehouse([])  # someone deletes the done day's rows
        clock.advance(timedelta(minutes=6))
        runner.run_due(clock.now())
        controller.run_until_idle()
        healed = il.store.get_run("daily-report", DONE)
        assert healed is not None
        assert healed.attempt_reason == "missing-output"
        assert healed.state in (RunState.LAUNCHING, RunState.RUNNING, RunState.WAITING)
    finally:
        il.close()
