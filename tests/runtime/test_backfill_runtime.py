"""``interlock backfill --yes`` through the real store and controller: queued, not launched.

A report pipeline of three days feeds a summary (``dependsOn: [report]``, ``onUpstreamRerun``
left at ``rerun``). Both are done; then the report is backfilled with ``--include-done``. The
controller launches the report's reruns two at a time (``maxConcurrent: 2``); when they
succeed again the summary's days rerun by themselves, unless ``--no-downstream`` was given.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from runtime_support import World

from interlock.app import Interlock
from interlock.cli import main
from interlock.model import RunState

CLI_MODULE = importlib.import_module("interlock.cli.backfill")  # the name is the command's
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAYS = ["2026-11-28", "2026-11-29", "2026-11-30"]
REPORT = """
pipeline: {id: report}
partitions:
  time: {start: 2026-11-28, end: 2026-11-30}
backfill: {maxConcurrent: 2}
job: {type: mock, maxRetries: 0, pollInterval: 1m}
"""
SUMMARY = """
pipeline: {id: summary}
partitions:
  time: {start: 2026-11-28, end: 2026-11-30}
dependsOn: [report]
job: {type: mock, maxRetries: 0, pollInterval: 1m}
"""


def settle(world: World) -> None:
    """Every launched job succeeds, a minute at a time, until nothing is left to do."""
    for _ in range(20):
        for launch in world.backend.launches:
            world.statuses.setdefault(launch.attempt_id, "succeeded")
        world.clock.advance(timedelta(minutes=1))
        world.controller.run_until_idle()
        active = [r for r in world.il.store.list_runs(limit=100) if not r.is_terminal]
        if not active:
            return
    pytest.fail("the runs did not settle")


def active(world: World, pipeline: str) -> int:
    """The pipeline's runs launching or running now."""
    return world.il.store.count_active(pipeline)


@pytest.fixture
def world(make_world: Callable[..., World], monkeypatch: pytest.MonkeyPatch) -> World:
    """Both pipelines done for the three days; ``interlock`` commands use the world's clock."""
    built = make_world(REPORT, SUMMARY, start=START)
    built.controller.bootstrap()
    built.controller.run_until_idle()
    settle(built)
    monkeypatch.setattr(CLI_MODULE, "open_db", lambda _db: _same_db(built))
    return built


def _same_db(world: World) -> Interlock:
    """A second installation on the world's database and clock, as a command opens it."""
    return Interlock(db=str(world.il.store.engine.url), clock=world.clock)


def attempts(world: World, pipeline: str) -> list[int]:
    """The attempt number of each of ``pipeline``'s three days."""
    return [world.run(day, pipeline=pipeline).attempt for day in DAYS]


def backfill_report(*flags: str) -> str:
    """``interlock backfill report`` over the three days, confirmed; its output."""
    args = ["backfill", "report", "--from", DAYS[0], "--to", DAYS[-1], "--yes", *flags]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


def run_backfill(world: World) -> int:
    """Step the controller through the backfill; the most report jobs running at once."""
    most = 0
    for _ in range(20):
        world.controller.run_until_idle()
        most = max(most, active(world, "report"))
        for launch in world.backend.launches:
            world.statuses.setdefault(launch.attempt_id, "succeeded")
        world.clock.advance(timedelta(minutes=1))
    world.controller.run_until_idle()
    return most


def test_a_confirmed_backfill_launches_within_max_concurrent_and_the_summary_reruns(
    world: World,
) -> None:
    """Three reruns queued, at most two running at once; each summary day reruns after."""
    assert attempts(world, "report") == [1, 1, 1]
    assert attempts(world, "summary") == [1, 1, 1]

    output = backfill_report("--include-done")

    assert "queued 3 partition(s)" in output
    assert "summary 2026-11-29" in output
    assert run_backfill(world) == 2
    assert attempts(world, "report") == [2, 2, 2]
    assert {world.run(d, pipeline="report").attempt_reason for d in DAYS} == {"manual-backfill"}
    assert attempts(world, "summary") == [2, 2, 2]
    assert {world.run(d, pipeline="summary").attempt_reason for d in DAYS} == {"upstream-rerun"}
    assert all(world.run(d, pipeline="summary").state is RunState.SUCCEEDED for d in DAYS)


def test_no_downstream_backfills_the_report_and_leaves_the_summary_alone(world: World) -> None:
    """With --no-downstream the report reruns and the summary says why it does not."""
    output = backfill_report("--include-done", "--no-downstream")

    assert "downstream: not rerun (--no-downstream)" in output
    assert run_backfill(world) == 2
    assert attempts(world, "report") == [2, 2, 2]
    assert attempts(world, "summary") == [1, 1, 1]
    said = [e for e in world.events("summary") if e.type == "UPSTREAM_RERUN"]
    assert len(said) == 3
    assert all("--no-downstream: not rerun" in e.message for e in said)


def test_a_later_ordinary_rerun_of_a_quiet_backfill_cascades_again(world: World) -> None:
    """The suppression belongs to the backfilled attempt: a manual rerun after it cascades."""
    backfill_report("--include-done", "--no-downstream")
    run_backfill(world)
    receipt = world.il.rerun("report", DAYS[0], reason="manual")
    assert receipt.pipeline_id == "report"
    run_backfill(world)
    assert world.run(DAYS[0], pipeline="report").attempt == 3
    assert attempts(world, "summary") == [2, 1, 1]
