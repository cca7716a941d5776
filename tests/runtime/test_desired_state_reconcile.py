"""The reconciler through the real store and controller: what it queues, and what it never does.

Growing the range queues only the partitions that are new and not done; a failure spent
for good is left alone until ``retryFailedAfter``; a new value in a dynamic dimension's
list is a new month to backfill; ``maxConcurrent`` holds whatever order jobs finish in.
"""

from __future__ import annotations

import tempfile
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_support import World

from interlock.abc import ReadingInput
from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import MockBackend
from interlock.model import OpenedBy, RunState

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def daily(start: str, *, extra: str = "", campaigns: str = "{values: [a, b]}") -> str:
    """A daily pipeline over campaigns, done when its output has rows."""
    return textwrap.dedent(
        f"""
        pipeline: {{id: report}}
        partitions:
          time: {{start: {start}, lag: 1d}}
          dimensions:
            campaign: {campaigns}
        complete:
          rules: [{{key: output, check: gte, field: rows, value: 1}}]
        job: {{type: mock, maxRetries: 0, pollInterval: 1m}}
        {extra}
        """
    )


def report_all(world: World, days: list[str], campaigns: list[str]) -> None:
    """The output sensor reports every partition of ``days`` by ``campaigns``."""
    world.il.put_readings(
        [
            ReadingInput(
                key="output", data={"rows": 1}, pipeline_id="report", partition=f"{d}|campaign={c}"
            )
            for d in days
            for c in campaigns
        ]
    )


def november() -> list[str]:
    """Every date of November 2026."""
    return [f"2026-11-{d:02d}" for d in range(1, 31)]


def backfills(world: World) -> set[str]:
    """The partitions that have a run opened by the reconciler."""
    return {
        r.partition
        for r in world.il.store.list_runs("report", limit=10_000)
        if r.opened_by is OpenedBy.BACKFILL
    }


def test_moving_start_back_a_month_queues_exactly_that_month(make_world, tmp_path: Path) -> None:
    """November is done; starting in October queues October's 62 partitions, nothing else."""
    world: World = make_world(daily("2026-11-01"), start=START)
    report_all(world, november(), ["a", "b"])
    world.controller.bootstrap()
    world.controller.run_until_idle()
    assert backfills(world) == set()
    (tmp_path / "pipelines" / "p0.yaml").write_text(daily("2026-10-01"), encoding="utf-8")
    world.il.apply()
    world.controller.run_until_idle()
    october = {f"2026-10-{d:02d}|campaign={c}" for d in range(1, 32) for c in "ab"}
    assert backfills(world) == october


def test_a_failure_spent_for_good_is_not_retried_until_retry_failed_after(make_world) -> None:
    """The next day's pass leaves it failed; a week later it is tried again, once."""
    world: World = make_world(
        daily(
            "2026-11-30",
            campaigns="{values: [a]}",
            extra="backfill: {retryFailedAfter: 7d, maxConcurrent: 20}",
        ),
        start=START,
    )
    world.controller.bootstrap()
    world.controller.run_until_idle()
    attempt = "report/2026-11-30|campaign=a/1"
    assert tries_of(world, "2026-11-30") == [attempt]
    world.statuses[attempt] = "failed"
    world.step(START + timedelta(minutes=2))
    assert world.run("2026-11-30|campaign=a", pipeline="report").state is RunState.FAILED
    world.step(START + timedelta(days=1, hours=1))  # the range grew: a pass ran
    assert tries_of(world, "2026-11-30") == [attempt]
    world.step(START + timedelta(days=7, minutes=5))
    assert tries_of(world, "2026-11-30") == [attempt, "report/2026-11-30|campaign=a/2"]


def tries_of(world: World, day: str) -> list[str]:
    """The attempts launched for ``day``'s partition."""
    return [r.attempt_id for r in world.backend.launches if r.partition.startswith(day)]


def test_a_new_value_in_a_dynamic_list_is_a_new_month_to_backfill(make_world) -> None:
    """Campaign ``c`` appears in the sensor's list: exactly its 30 partitions are queued."""
    world: World = make_world(
        daily("2026-11-01", campaigns="{sensor: campaign-list, field: ids}"), start=START
    )
    world.il.put_reading("report", "campaign-list", {"ids": ["a", "b"]})
    report_all(world, november(), ["a", "b"])
    world.controller.bootstrap()
    world.controller.run_until_idle()
    assert backfills(world) == set()
    world.il.put_reading("report", "campaign-list", {"ids": ["a", "b", "c"]})
    world.clock.advance(timedelta(seconds=2))
    world.controller.run_until_idle()
    assert backfills(world) == {f"{d}|campaign=c" for d in november()}


def test_hourly_partitions_on_a_dst_day_are_the_days_own_hours(make_world) -> None:
    """25 October 2026 in Berlin has 25 hours, of which the repeated 02:00 is one partition."""
    hourly = textwrap.dedent(
        """
        pipeline: {id: hourly}
        partitions:
          time: {granularity: hourly, start: 2026-10-25, end: 2026-10-25, timezone: Europe/Berlin}
        job: {type: mock}
        backfill: {maxConcurrent: 1}
        """
    )
    world: World = make_world(hourly, start=START)
    world.controller.bootstrap()
    world.controller.run_until_idle()
    runs = world.il.store.list_runs("hourly", limit=100)
    assert len(runs) == 24
    assert {r.partition for r in runs} == {f"2026-10-25T{h:02d}" for h in range(24)}


def fresh_world(document: str, folder: Path) -> World:
    """A world of its own in ``folder`` (hypothesis runs many in one test)."""
    (folder / "pipelines").mkdir()
    (folder / "pipelines" / "p.yaml").write_text(document, encoding="utf-8")
    clock = FakeClock(START)
    statuses: dict[str, str] = {}
    backend = MockBackend(lambda request: statuses.get(request.attempt_id, "running"))
    il = Interlock(
        db=f"sqlite:///{folder}/interlock.db",
        pipelines=folder / "pipelines",
        clock=clock,
        backends=lambda _t: backend,
    )
    il.apply()
    controller = il.controller(ControllerSettings(workers=0))
    return World(il=il, clock=clock, backend=backend, controller=controller, statuses=statuses)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    finish_order=st.permutations(range(8)),
    limit=st.integers(min_value=1, max_value=3),
)
def test_max_concurrent_holds_whatever_order_jobs_finish_in(
    finish_order: list[int], limit: int
) -> None:
    """Eight missing partitions, jobs finishing in any order: never more than the limit at once."""
    extra = f"backfill: {{maxConcurrent: {limit}}}"
    with tempfile.TemporaryDirectory() as folder:
        world = fresh_world(
            daily("2026-11-23", campaigns="{values: [a]}", extra=extra), Path(folder)
        )
        try:
            finished = _finish_in_order(world, finish_order, limit)
        finally:
            world.il.close()
    assert len(finished) == 8


def _finish_in_order(world: World, order: list[int], limit: int) -> set[str]:
    """Finish the running job that comes first in ``order``, one a minute, checking the limit."""
    world.controller.bootstrap()
    world.controller.run_until_idle()
    finished: set[str] = set()
    for _ in range(40):
        assert world.il.store.count_active("report") <= limit
        running = [r for r in world.backend.launches if r.attempt_id not in finished]
        if not running:
            break
        pick = min(running, key=lambda r: order[int(r.partition[8:10]) - 23])
        world.statuses[pick.attempt_id] = "succeeded"
        finished.add(pick.attempt_id)
        world.clock.advance(timedelta(minutes=1))
        world.controller.run_until_idle()
    assert world.il.store.count_active("report") == 0
    return finished


def test_a_failed_partition_is_tried_again_when_its_inputs_change(make_world) -> None:
    """New data for a partition that failed for good: one more try, then quiet."""
    rules = "validation: {rules: [{key: source, check: exists}]}"
    world: World = make_world(
        daily("2026-11-30", campaigns="{values: [a]}", extra=rules), start=START
    )
    partition = "2026-11-30|campaign=a"
    world.il.put_reading("report", "source", {"rows": 5}, partition=partition)
    world.controller.bootstrap()
    world.controller.run_until_idle()
    world.statuses[f"report/{partition}/1"] = "failed"
    world.step(START + timedelta(minutes=2))
    assert world.run(partition, pipeline="report").state is RunState.FAILED
    world.step(START + timedelta(hours=1))
    assert tries_of(world, "2026-11-30") == [f"report/{partition}/1"]  # not retried by itself
    world.il.put_reading("report", "source", {"rows": 6}, partition=partition)
    world.controller.run_until_idle()
    assert tries_of(world, "2026-11-30") == [f"report/{partition}/1", f"report/{partition}/2"]
    assert world.run(partition, pipeline="report").attempt_reason == "inputs-changed"
    world.statuses[f"report/{partition}/2"] = "failed"
    world.step(START + timedelta(hours=1, minutes=2))
    world.il.put_reading("report", "source", {"rows": 7}, partition=partition)
    world.controller.run_until_idle()
    assert len(tries_of(world, "2026-11-30")) == 2  # the budget (maxManualReruns 1) is spent
    assert "RERUN_REJECTED" not in world.types("report")


def test_idle_dynamic_lists_cost_one_query_a_second_for_all_pipelines(make_world) -> None:
    """Twenty pipelines reading lists: while no list changes, no list is read again."""
    documents = [
        daily("2026-11-29", campaigns="{sensor: campaign-list, field: ids}").replace(
            "id: report", f"id: report-{i}"
        )
        for i in range(20)
    ]
    world: World = make_world(*documents, start=START)
    world.il.put_shared("campaign-list", {"ids": ["a"]})
    world.controller.bootstrap()
    world.controller.run_until_idle()
    store = world.il.store
    asked: list[str] = []
    real_ref, real_load = store.latest_reading_ref, store.load_readings
    monkey = pytest.MonkeyPatch()
    monkey.setattr(store, "latest_reading_ref", lambda keys: asked.append("ref") or real_ref(keys))
    monkey.setattr(store, "load_readings", lambda *a: asked.append("load") or real_load(*a))
    try:
        for _ in range(5):
            world.clock.advance(timedelta(seconds=1))
            world.controller.run_once()
        assert asked == ["ref"] * 5
        world.il.put_shared("campaign-list", {"ids": ["a", "b"]})
        world.clock.advance(timedelta(seconds=1))
        world.controller.run_until_idle()
    finally:
        monkey.undo()
    assert asked.count("load") >= 20  # the change: each pipeline's list read, and a pass
    new = {r.partition for r in store.list_runs("report-7") if r.partition.endswith("=b")}
    assert new == {"2026-11-29|campaign=b", "2026-11-30|campaign=b"}


def test_two_jobs_ending_in_one_round_hand_their_slots_on_newest_first(make_world) -> None:
    """Both running backfills finish together: the next two newest partitions launch."""
    world: World = make_world(
        daily("2026-11-25", campaigns="{values: [a]}", extra="backfill: {maxConcurrent: 2}"),
        start=START,
    )
    world.controller.bootstrap()
    world.controller.run_until_idle()
    first = [r.partition[:10] for r in world.backend.launches]
    assert first == ["2026-11-30", "2026-11-29"]
    for launched in world.backend.launches:
        world.statuses[launched.attempt_id] = "succeeded"
    world.clock.advance(timedelta(minutes=1))
    world.controller.run_until_idle()
    assert [r.partition[:10] for r in world.backend.launches][2:] == ["2026-11-28", "2026-11-27"]
