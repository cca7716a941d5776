"""The pure plan of ``interlock backfill`` (:mod:`interlock.app.backfill`): tables and properties.

What is planned and what is skipped, in which order, what cascades downstream (recursively,
once each, through the dependency mappings), and hourly pipelines' every hour of a date,
DST days included.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interlock.app.backfill import (
    BackfillRequest,
    DownstreamPartition,
    cascade,
    check_range,
    plan_backfill,
    refuse,
)
from interlock.app.partitions import PartitionEntry
from interlock.config import parse_pipeline
from interlock.errors import InputError
from interlock.model import RunState
from interlock.model.desired import PartitionState, desired_partitions
from interlock.model.specs import PipelineSpec

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def spec(text: str) -> PipelineSpec:
    """A pipeline parsed from inline YAML."""
    return parse_pipeline(textwrap.dedent(text), source="<test>")


REPORT = spec(
    """
    pipeline: {id: report}
    partitions:
      time: {start: 2026-11-27, end: 2026-11-30}
      dimensions: {campaign: {values: [a, b]}}
    backfill: {order: newest-first}
    job: {type: mock}
    """
)
HOURLY = spec(
    """
    pipeline: {id: clicks}
    partitions:
      time: {granularity: hourly, start: 2026-03-28, end: 2026-03-30, timezone: Europe/Berlin}
    job: {type: mock}
    """
)


def entries(pipeline: PipelineSpec, states: dict[str, PartitionState]) -> list[PartitionEntry]:
    """Every desired partition of ``pipeline``, missing unless ``states`` says otherwise."""
    assert pipeline.partitions is not None
    return [
        PartitionEntry(partition=p, state=states.get(p, PartitionState.MISSING))
        for p in desired_partitions(pipeline.partitions, NOW)
    ]


def request(first: str, last: str, *, include_done: bool = False, downstream: bool = True):
    """A request for ``first``..``last``."""
    return BackfillRequest(
        first=date.fromisoformat(first),
        last=date.fromisoformat(last),
        include_done=include_done,
        downstream=downstream,
    )


@pytest.mark.parametrize(
    ("state", "include_done", "planned", "why"),
    [
        (PartitionState.MISSING, False, True, None),
        (PartitionState.FAILED, False, True, None),
        (PartitionState.STALE, False, True, None),
        (PartitionState.DONE, False, False, "done (--include-done reruns it)"),
        (PartitionState.DONE, True, True, None),
        (
            PartitionState.WAITING,
            True,
            False,
            "a run is open for it, waiting for its rules, upstreams or a slot",
        ),
        (PartitionState.RUNNING, True, False, "its job is running"),
    ],
)
def test_which_states_are_planned(
    state: PartitionState, include_done: bool, planned: bool, why: str | None
) -> None:
    """Missing, failed, stale by default; done with --include-done; never an active one."""
    target = "2026-11-28|campaign=a"
    plan = plan_backfill(
        REPORT,
        entries(REPORT, {target: state}),
        request("2026-11-28", "2026-11-28", include_done=include_done),
        {},
    )
    assert (target in {p.partition for p in plan.planned}) is planned
    assert [s.why for s in plan.skipped if s.partition == target] == ([why] if why else [])


@pytest.mark.parametrize(
    ("state", "has_run", "downstream", "reason"),
    [
        (PartitionState.MISSING, False, True, "backfill"),
        (PartitionState.MISSING, False, False, "backfill"),
        (PartitionState.FAILED, True, True, "manual-backfill"),
        (PartitionState.FAILED, True, False, "backfill-no-downstream"),
        (PartitionState.DONE, False, True, "manual-backfill"),
        (PartitionState.DONE, True, False, "backfill-no-downstream"),
    ],
)
def test_the_reason_each_run_gets(
    state: PartitionState, has_run: bool, downstream: bool, reason: str
) -> None:
    """A new run of a partition never done: ``backfill``; any other: the backfill's reason."""
    target = "2026-11-29|campaign=b"
    runs = {target: RunState.FAILED} if has_run else {}
    plan = plan_backfill(
        REPORT,
        entries(REPORT, {target: state}),
        request("2026-11-29", "2026-11-29", include_done=True, downstream=downstream),
        runs,
    )
    [planned] = [p for p in plan.planned if p.partition == target]
    assert (planned.reason, planned.existing_run) == (reason, has_run)


def test_newest_first_keeps_each_dates_campaigns_in_order() -> None:
    """backfill.order newest-first: dates descending, dimension values ascending."""
    plan = plan_backfill(REPORT, entries(REPORT, {}), request("2026-11-28", "2026-11-29"), {})
    assert [p.partition for p in plan.planned] == [
        "2026-11-29|campaign=a",
        "2026-11-29|campaign=b",
        "2026-11-28|campaign=a",
        "2026-11-28|campaign=b",
    ]


def test_hourly_pipelines_get_every_hour_of_the_dates_dst_included() -> None:
    """2026-03-29 in Berlin has 23 hours: all of them, and none of the day before or after."""
    plan = plan_backfill(HOURLY, entries(HOURLY, {}), request("2026-03-29", "2026-03-29"), {})
    hours = sorted(p.partition for p in plan.planned)
    assert len(hours) == 23
    assert "2026-03-29T02" not in hours
    assert (hours[0], hours[-1]) == ("2026-03-29T00", "2026-03-29T23")


def test_a_refused_rerun_is_skipped_with_the_verdicts_words() -> None:
    """The controller would reject it: listed as skipped, not queued."""
    target = "2026-11-29|campaign=a"
    plan = plan_backfill(
        REPORT,
        entries(REPORT, {target: PartitionState.FAILED}),
        request("2026-11-29", "2026-11-29"),
        {target: RunState.FAILED},
    )
    refused = refuse(plan, {target: "backfill rerun limit exceeded (3/3)"})
    assert target not in {p.partition for p in refused.planned}
    [skipped] = [s for s in refused.skipped if s.partition == target]
    assert skipped.why == "rerun refused: backfill rerun limit exceeded (3/3)"


@given(
    states=st.lists(st.sampled_from(list(PartitionState)), min_size=8, max_size=8),
    bounds=st.tuples(st.integers(27, 30), st.integers(27, 30)).map(sorted),
    include_done=st.booleans(),
)
def test_every_partition_of_the_range_is_planned_or_skipped_once(
    states: list[PartitionState], bounds: list[int], include_done: bool
) -> None:
    """Planned and skipped split the range's partitions exactly; nothing outside it."""
    all_entries = entries(REPORT, {})
    given_states = {e.partition: s for e, s in zip(all_entries, states, strict=True)}
    first, last = (f"2026-11-{d}" for d in bounds)
    plan = plan_backfill(
        REPORT,
        entries(REPORT, given_states),
        request(first, last, include_done=include_done),
        {},
    )
    planned = [p.partition for p in plan.planned]
    skipped = [s.partition for s in plan.skipped]
    in_range = [e.partition for e in all_entries if first <= e.partition[:10] <= last]
    assert sorted(planned + skipped) == sorted(in_range)
    assert len(set(planned)) == len(planned)
    active = {PartitionState.WAITING, PartitionState.RUNNING}
    assert not {given_states[p] for p in planned} & active


def test_the_cascade_follows_mappings_recursively_once_each() -> None:
    """Loads → summary (same) → digest (offset -1d and same): each partition listed once."""
    daily = (
        "pipeline: {id: %s}\n"
        "partitions: {time: {start: 2026-11-27, end: 2026-11-30}}\n"
        "job: {type: mock}\n"
    )
    loads = spec(daily % "loads")
    summary = spec(daily % "summary" + "dependsOn: [loads]\n")
    digest = spec(
        daily % "digest"
        + "dependsOn:\n  - {pipeline: summary, partition: {offset: -1d}}\n  - summary\n"
    )
    specs = {s.id: s for s in (loads, summary, digest)}
    plan = plan_backfill(loads, entries(loads, {}), request("2026-11-28", "2026-11-29"), {})
    assert cascade(plan, specs).downstream == (
        DownstreamPartition("summary", "2026-11-29"),
        DownstreamPartition("summary", "2026-11-28"),
        DownstreamPartition("digest", "2026-11-30"),
        DownstreamPartition("digest", "2026-11-29"),
        DownstreamPartition("digest", "2026-11-28"),
    )
    quiet = plan_backfill(
        loads, entries(loads, {}), request("2026-11-28", "2026-11-29", downstream=False), {}
    )
    assert cascade(quiet, specs).downstream == ()


@pytest.mark.parametrize(
    ("pipeline", "first", "last", "message"),
    [
        (REPORT, "2026-11-29", "2026-11-28", "--from: 2026-11-29 is after --to 2026-11-28"),
        (
            REPORT,
            "2026-11-26",
            "2026-11-28",
            "--from: 2026-11-26 is outside report's partitions (2026-11-27 to 2026-11-30)",
        ),
        (
            REPORT,
            "2026-11-27",
            "2026-12-01",
            "--to: 2026-12-01 is outside report's partitions (2026-11-27 to 2026-11-30)",
        ),
        (
            spec("pipeline: {id: plain}\njob: {type: mock}\n"),
            "2026-11-27",
            "2026-11-28",
            "pipeline: plain declares no partitions to backfill",
        ),
    ],
)
def test_check_range_refuses_with_one_line(
    pipeline: PipelineSpec, first: str, last: str, message: str
) -> None:
    """Each refusal names the flag, the dates and the declared range."""
    with pytest.raises(InputError) as caught:
        check_range(pipeline, date.fromisoformat(first), date.fromisoformat(last), NOW)
    assert str(caught.value) == message
