"""The read API of the ``Interlock`` facade, and the CLI's ``--json`` read through it.

Every ``--json`` item must validate against its :mod:`interlock.schemas` model, and the
model must print it back byte for byte: the schema describes the output, not an
approximation of it.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pydantic import BaseModel
from runtime_support import GOLD, World, at, finish

from interlock.cli import main
from interlock.model import RunState
from interlock.schemas import (
    AttemptOut,
    EventOut,
    ExplainOut,
    JobLogOut,
    ReadingOut,
    StatusRunOut,
    dump,
    dumps,
)

ATTEMPT_1 = "gold-revenue/2026-11-23/1"


@pytest.fixture
def world(make_world) -> World:
    """A day of gold-revenue: opened, waited, launched, succeeded."""
    made: World = make_world(GOLD)
    made.step("08:00")
    made.put("row-count", count=1500)
    made.il.put_shared("upstream-complete", {"status": "ready"})
    made.controller.run_until_idle()
    finish(made, ATTEMPT_1, "succeeded", "08:30")
    return made


def test_runs_and_run(world: World) -> None:
    """``runs()`` (newest partition first) filters; ``run()`` is one run or None."""
    il = world.il
    assert [r.partition for r in il.runs()] == ["2026-11-24", "2026-11-23"]  # 24th: planned
    assert [r.partition for r in il.runs(limit=1)] == ["2026-11-24"]
    assert [r.state for r in il.runs("gold-revenue", states=["SUCCEEDED"])] == [RunState.SUCCEEDED]
    assert il.runs("gold-revenue", states=["RUNNING"]) == []
    assert il.runs("nope") == []  # an unknown pipeline has no runs, as the CLI shows it
    run = il.run("gold-revenue", "2026-11-23")
    assert run is not None
    assert run.state is RunState.SUCCEEDED
    assert il.run("gold-revenue", "2026-01-01") is None


def test_attempts_events_readings(world: World) -> None:
    """The job log, the events in time order, and a key's history newest first."""
    il = world.il
    (attempt,) = il.attempts("gold-revenue")
    assert attempt.attempt_id == ATTEMPT_1
    assert il.attempts("gold-revenue", "2026-01-01") == []
    assert il.attempts("nope") == []
    found = il.events(pipeline_id="gold-revenue")
    assert [e.at for e in found] == sorted(e.at for e in found)
    assert [e.type for e in il.events(types=["JOB_TRIGGERED"])] == ["JOB_TRIGGERED"]
    assert il.events(since=at("08:30"), types=["JOB_TRIGGERED"]) == []
    assert len(il.events(limit=2)) == 2
    world.put("row-count", count=1600)
    history = il.readings("row-count", pipeline_id="gold-revenue")
    assert [row["data"]["count"] for row in history] == [1600, 1500]
    assert [row["data"] for row in il.readings("upstream-complete")] == [{"status": "ready"}]
    assert il.readings("nope") == []
    assert all(ReadingOut.model_validate(row).key == "row-count" for row in history)


def test_stored_explanation_validates(world: World) -> None:
    """What the controller stored with the run is the ``ExplanationOut`` shape."""
    from interlock.schemas import ExplanationOut  # noqa: PLC0415

    stored = world.il.run_explanation("gold-revenue", "2026-11-23")
    assert stored is not None
    assert dump(ExplanationOut.model_validate(stored)) == stored
    assert world.il.run_explanation("gold-revenue", "2026-01-01") is None


def _cli(world: World, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--json", "--db", str(world.il.database)])
    assert result.exit_code == 0, result.output
    return result.output


def _round_trip(model: type[BaseModel], output: str) -> None:
    """The output validates against ``model`` and is what the model prints, byte for byte."""
    value = json.loads(output)
    items = value if isinstance(value, list) else [value]
    parsed = [model.model_validate(item) for item in items]
    again = dumps(parsed if isinstance(value, list) else parsed[0], indent=2)
    assert again + "\n" == output


def test_cli_json_is_its_schema(world: World) -> None:
    """``status``, ``runs``, ``events`` and ``explain`` ``--json`` are their models."""
    _round_trip(StatusRunOut, _cli(world, "status"))
    _round_trip(JobLogOut, _cli(world, "runs", "gold-revenue"))
    _round_trip(EventOut, _cli(world, "events"))
    _round_trip(ExplainOut, _cli(world, "explain", "gold-revenue", "--partition", "2026-11-23"))
    (row,) = json.loads(_cli(world, "runs", "gold-revenue"))["attempts"]
    assert row["decided_at"] == str(AttemptOut.model_validate(row).decided_at)  # no "T"
