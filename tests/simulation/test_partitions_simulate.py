"""``interlock simulate`` over partitioned pipelines: the reconciler's story, on the virtual clock.

A timeline whose outputs are reported for most partitions: the simulation backfills exactly
the missing ones, never more than ``maxConcurrent`` at once and newest first; an output
loaded by hand satisfies its partition without a job; a deleted output is rebuilt; the range
growing by a day and a new value in a dynamic list are backfilled by themselves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from interlock.config import parse_pipeline
from interlock.errors import InputError
from interlock.model import Event, OpenedBy
from interlock.model.specs import PipelineSpec
from interlock.simulation import Simulation
from interlock.simulation.replay import parse_timeline, replay

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAYS = [f"2026-11-{d}" for d in range(24, 31)]
"""The range at ``START``: 24 to 30 November (``lag: 1d``, UTC)."""


def report(campaigns: str = "{values: [a, b]}", extra: str = "") -> PipelineSpec:
    """A daily pipeline over campaigns since 24 November, done when its output has rows."""
    return parse_pipeline(
        f"""
pipeline: {{id: report}}
partitions:
  time: {{start: 2026-11-24, lag: 1d}}
  dimensions:
    campaign: {campaigns}
complete:
  rules: [{{key: output, check: gte, field: rows, value: 1}}]
job: {{type: mock, maxRetries: 0, pollInterval: 1m}}
backfill: {{maxConcurrent: 2}}
{extra}
"""
    )


def line(at: datetime, **fields: object) -> str:
    """One timeline line at ``at``."""
    return json.dumps({"at": at.isoformat().replace("+00:00", "Z"), **fields})


def outputs(at: datetime, partitions: Iterable[str], rows: int = 5) -> list[str]:
    """Reading lines reporting ``rows`` for each partition's output."""
    return [line(at, key="output", partition=p, data={"rows": rows}) for p in partitions]


def every(campaigns: Iterable[str] = ("a", "b"), days: Iterable[str] = DAYS) -> list[str]:
    """The canonical partitions of ``days`` by ``campaigns``."""
    return [f"{d}|campaign={c}" for d in days for c in campaigns]


def of_type(events: Iterable[Event], kind: str) -> list[str]:
    """The partitions of the events of type ``kind``, in order."""
    return [e.partition for e in events if e.type == kind]


def most_in_flight(events: Iterable[Event]) -> int:
    """The most jobs launched and not yet reported at any moment of the replay."""
    flying: set[str] = set()
    most = 0
    for event in events:
        if event.type == "JOB_TRIGGERED":
            flying.add(event.partition)
        elif event.type in ("JOB_COMPLETED", "JOB_FAILED", "RUN_STALE"):
            flying.discard(event.partition)
        most = max(most, len(flying))
    return most


MISSING = ["2026-11-30|campaign=b", "2026-11-28|campaign=a", "2026-11-26|campaign=a"]
MANUAL = "2026-11-25|campaign=b"
"""Missing at the start, loaded by hand while it waits for a slot."""


def story_timeline() -> list[str]:
    """Outputs at the start, four missing; jobs report; one output deleted and rebuilt."""
    present = [p for p in every() if p not in (*MISSING, MANUAL)]
    minute = timedelta(minutes=1)
    lines = outputs(START, present)
    lines.append(line(START + 5 * minute, key="output", partition=MANUAL, data={"rows": 3}))
    for n, partition in enumerate(MISSING, start=1):
        done = START + 10 * n * minute
        lines.append(line(done, job="succeeded", partition=partition))
        lines.extend(outputs(done, [partition]))
    deleted = START + 2 * timedelta(hours=1)
    lines.extend(outputs(deleted, ["2026-11-27|campaign=b"], rows=0))
    lines.append(line(deleted + 10 * minute, job="succeeded", partition="2026-11-27|campaign=b"))
    lines.extend(outputs(deleted + 10 * minute, ["2026-11-27|campaign=b"]))
    return lines


def test_a_timeline_with_missing_outputs_backfills_exactly_those_within_max_concurrent() -> None:
    """Four partitions lack output: four backfill runs, at most two jobs at once, newest first."""
    events = replay(report(), parse_timeline(story_timeline()), until=START + timedelta(hours=3))
    assert of_type(events, "RUN_OPENED") == [*MISSING[:2], MISSING[2], MANUAL]
    assert of_type(events, "JOB_TRIGGERED")[:3] == MISSING
    assert most_in_flight(events) == 2
    opened = [e for e in events if e.type == "RUN_OPENED"]
    assert {e.detail["openedBy"] for e in opened} == {"backfill"}


def test_an_output_loaded_by_hand_satisfies_its_partition_without_a_job() -> None:
    """The queued run of the hand-loaded partition ends satisfied, never launched."""
    events = replay(report(), parse_timeline(story_timeline()), until=START + timedelta(hours=3))
    assert of_type(events, "PARTITION_SATISFIED") == [MANUAL]
    assert MANUAL not in of_type(events, "JOB_TRIGGERED")


def test_a_deleted_output_is_rebuilt_with_reason_missing_output() -> None:
    """Rows 0 for a partition done without a run: PARTITION_MISSING, then one heal job."""
    events = replay(report(), parse_timeline(story_timeline()), until=START + timedelta(hours=3))
    healed = "2026-11-27|campaign=b"
    assert of_type(events, "PARTITION_MISSING") == [healed]
    launches = [e for e in events if e.type == "JOB_TRIGGERED" and e.partition == healed]
    assert [e.detail["reason"] for e in launches] == ["missing-output"]
    assert of_type(events, "JOB_COMPLETED")[-1] == healed


def test_the_range_growing_by_a_day_backfills_only_the_new_day() -> None:
    """At midnight plus the lag, 1 December's two partitions are queued, nothing done again."""
    lines = outputs(START, every())
    lines.append(line(START + timedelta(days=1), key="noise", data={}))
    events = replay(report(), parse_timeline(lines), until=START + timedelta(days=1))
    assert of_type(events, "RUN_OPENED") == ["2026-12-01|campaign=a", "2026-12-01|campaign=b"]
    assert events[0].at == datetime(2026, 12, 2, tzinfo=UTC)


def test_a_new_value_in_a_dynamic_list_backfills_exactly_its_partitions() -> None:
    """Campaign c appears in the sensor's list: its seven days are opened, by backfill."""
    spec = report(campaigns="{sensor: campaign-list, field: ids}")
    sim = Simulation(spec, start=START)
    sim.put_reading("campaign-list", {"ids": ["a", "b"]}, at=START)
    for partition in every():
        sim.put_reading("output", {"rows": 1}, at=START, partition=partition)
    sim.advance_to(START + timedelta(minutes=1))
    assert sim.runs == {}
    sim.put_reading("campaign-list", {"ids": ["a", "b", "c"]}, at=START + timedelta(minutes=2))
    assert set(sim.runs) == set(every(["c"]))
    assert {r.opened_by for r in sim.runs.values()} == {OpenedBy.BACKFILL}


def test_a_failure_spent_for_good_is_retried_only_after_retry_failed_after() -> None:
    """A failed backfill stays failed across the next day's pass; a week later it runs again."""
    spec = parse_pipeline(
        """
pipeline: {id: report}
partitions:
  time: {start: 2026-11-30, lag: 1d}
complete:
  rules: [{key: output, check: gte, field: rows, value: 1}]
job: {type: mock, maxRetries: 0, pollInterval: 1m}
backfill: {retryFailedAfter: 7d}
"""
    )
    lines = [
        line(START, key="noise", data={}),
        line(START + timedelta(minutes=5), job="failed", partition="2026-11-30"),
    ]
    events = replay(spec, parse_timeline(lines), until=START + timedelta(days=8))
    tries = [e for e in events if e.type == "JOB_TRIGGERED" and e.partition == "2026-11-30"]
    assert [e.detail["reason"] for e in tries] == ["backfill", "retry-failed"]
    assert tries[1].at == START + timedelta(days=7, minutes=5)


def test_a_partitioned_member_of_several_pipelines_reconciles_on_the_one_clock() -> None:
    """Simulated with another pipeline, the range still grows by itself and is backfilled."""
    other = parse_pipeline(
        "pipeline: {id: other}\nschedule: {cron: '0 6 * * *'}\n"
        "job: {type: command, config: {command: ['true']}}\n"
    )
    lines = [*outputs(START, every()), line(START + timedelta(hours=1), key="noise", data={})]
    events = replay([report(), other], parse_timeline(lines), until=START + timedelta(days=1))
    opened = [e.partition for e in events if e.type == "RUN_OPENED" and e.pipeline_id == "report"]
    assert opened == ["2026-12-01|campaign=a", "2026-12-01|campaign=b"]


def test_a_partition_not_declared_by_the_pipeline_is_refused_naming_the_line() -> None:
    """Campaign z is not declared: line 2's partition is refused, with the declared form."""
    lines = [line(START, key="noise", data={}), *outputs(START, ["2026-11-30|campaign=z"])]
    with pytest.raises(InputError) as refused:
        replay(report(), parse_timeline(lines))
    assert refused.value.field == "line 2.partition"
    assert "'z' is not a value of dimension 'campaign' (a, b)" in str(refused.value)


def test_a_partition_is_read_in_any_dimension_order_as_the_declared_one() -> None:
    """``region=eu|campaign=b`` is the declared ``campaign=b|region=eu``: its output counts."""
    spec = parse_pipeline(
        """
pipeline: {id: report}
partitions:
  time: {start: 2026-11-30, lag: 1d}
  dimensions:
    campaign: {values: [a, b]}
    region: {values: [eu]}
complete:
  rules: [{key: output, check: gte, field: rows, value: 1}]
job: {type: mock}
"""
    )
    lines = outputs(START, ["2026-11-30|campaign=a|region=eu", "2026-11-30|region=eu|campaign=b"])
    events = replay(spec, parse_timeline(lines), until=START + timedelta(minutes=1))
    assert of_type(events, "RUN_OPENED") == []
