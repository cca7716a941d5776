"""Seed 003's story end to end: every day and every campaign kept done, through the real store.

1,000 campaigns by every day of November is 30,000 partitions. The sensors have reported
the output of all but three; the controller starts; what follows is what a data team lives
through, and at each step ``partitions`` and ``explain`` say what is missing and who works
on it. Jobs run on the mock backend; the clock is fake; nothing sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from runtime_support import World

from interlock.abc import ReadingInput
from interlock.model import OpenedBy, RunState
from interlock.model.desired import PartitionState

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CAMPAIGNS = [f"c{i:04d}" for i in range(1000)]
REPORT = """
pipeline: {{id: report}}
partitions:
  time: {{granularity: daily, start: 2026-11-01, end: today, lag: 1d, timezone: UTC}}
  dimensions:
    campaign: {{values: [{values}]}}
complete:
  rules: [{{key: output, check: gte, field: rows, value: 1}}]
backfill: {{maxConcurrent: 2, order: newest-first}}
job: {{type: mock, maxRetries: 1, pollInterval: 1m}}
"""
NEWEST = "2026-11-29|campaign=c0007"
FLAKY = "2026-11-28|campaign=c0042"
LOADED_BY_HAND = "2026-11-27|campaign=c0100"
NOT_REPORTED = {NEWEST, FLAKY, LOADED_BY_HAND}


def report_yaml(campaigns: list[str]) -> str:
    """The report pipeline over ``campaigns``."""
    return REPORT.format(values=", ".join(campaigns))


def output(world: World, partition: str, rows: int) -> None:
    """The output sensor reports ``rows`` for one partition; the controller settles."""
    world.il.put_reading("report", "output", {"rows": rows}, partition=partition)
    world.controller.run_until_idle()


def counts(world: World) -> dict[str, int]:
    """``interlock partitions report``'s counts, by state."""
    return {s.value: n for s, n in world.il.partitions("report").counts.items() if n}


def launched(world: World) -> list[str]:
    """Every attempt launched so far, in order."""
    return [r.attempt_id for r in world.backend.launches]


def poll(world: World) -> None:
    """A minute passes: running jobs are polled."""
    world.clock.advance(timedelta(minutes=1))
    world.controller.run_until_idle()


@pytest.fixture
def world(make_world) -> World:
    """The report pipeline, the sensors' 29,997 outputs, and a controller that just started."""
    built: World = make_world(report_yaml(CAMPAIGNS), start=START)
    readings = [
        ReadingInput(
            key="output", data={"rows": 10}, pipeline_id="report", partition=f"{day}|campaign={c}"
        )
        for day in (f"2026-11-{d:02d}" for d in range(1, 31))
        for c in CAMPAIGNS
        if f"{day}|campaign={c}" not in NOT_REPORTED
    ]
    for start in range(0, len(readings), 5000):
        built.il.put_readings(readings[start : start + 5000])
    built.controller.bootstrap()
    built.controller.run_until_idle()
    return built


def test_the_data_teams_month(world: World, tmp_path: Path) -> None:
    """Backfill, a failure redone, a manual load, a new campaign, a deleted output."""
    # The three gaps are found at start; two launch (maxConcurrent 2), newest first.
    assert launched(world) == [f"report/{NEWEST}/1", f"report/{FLAKY}/1"]
    assert counts(world) == {"done": 29_997, "running": 2, "waiting": 1}
    waiting = world.il.explain("report", LOADED_BY_HAND)
    assert "free slot" in waiting.explanation.waiting_for

    # Someone loads the third by hand: done without a job, and its queued run says why.
    output(world, LOADED_BY_HAND, 7)
    run = world.run(LOADED_BY_HAND, pipeline="report")
    assert run.state is RunState.SUCCEEDED
    assert run.attempt == 0
    assert "PARTITION_SATISFIED" in world.types("report")

    # The newest succeeds and reports its output; the flaky one fails and is redone by itself.
    world.statuses[f"report/{NEWEST}/1"] = "succeeded"
    world.statuses[f"report/{FLAKY}/1"] = "failed"
    poll(world)
    output(world, NEWEST, 3)
    assert launched(world)[-1] == f"report/{FLAKY}/2"
    world.statuses[f"report/{FLAKY}/2"] = "succeeded"
    poll(world)
    output(world, FLAKY, 4)
    assert counts(world) == {"done": 30_000}

    # Campaign 1,001 appears in the config: exactly its month is backfilled.
    folder = tmp_path / "pipelines"
    (folder / "p0.yaml").write_text(report_yaml([*CAMPAIGNS, "c1000"]), encoding="utf-8")
    world.il.apply()
    world.controller.run_until_idle()
    opened = [r for r in world.il.store.list_runs("report", limit=100) if "c1000" in r.partition]
    assert len(opened) == 30
    assert {r.opened_by for r in opened} == {OpenedBy.BACKFILL}
    assert counts(world) == {"done": 30_000, "running": 2, "waiting": 28}

    # Someone deletes one old output: exactly that partition is rebuilt.
    before = len(launched(world))
    output(world, "2026-11-15|campaign=c0500", 0)
    healed = world.run("2026-11-15|campaign=c0500", pipeline="report")
    assert healed.attempt_reason == "missing-output"
    assert [e.type for e in world.events("report")].count("PARTITION_MISSING") == 1
    assert len(launched(world)) == before  # queued behind the backfill: slots are full
    report = world.il.partitions("report", states=[PartitionState.WAITING])
    assert "2026-11-15|campaign=c0500" in {e.partition for e in report.entries}
