"""Dimension mapping in ``dependsOn`` through the real store and controller, on a fake clock.

A daily report over every campaign of an upstream waits until each campaign's partition has
succeeded, and is woken by the last one (the clock does not move: no poll could have found
it). A per-campaign pipeline on a dimensionless upstream waits for the upstream's day, and
every campaign of that day is woken when it succeeds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from runtime_support import World

from interlock.model import RunState

DAY = "2026-11-23"
START = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
JOB = "job: {type: mock, maxRetries: 0, maxCodeRetries: 0, pollInterval: 1m}"

CLICKS = f"""
pipeline: {{id: clicks}}
partitions:
  time: {{start: {DAY}, end: {DAY}}}
  dimensions:
    campaign: {{values: [a, b, c]}}
{JOB}
"""

REPORT = f"""
pipeline: {{id: report}}
schedule: {{cron: '0 6 * * *', timezone: UTC}}
dependsOn: [{{pipeline: clicks, partition: {{all: campaign}}}}]
{JOB}
"""

LOAD = f"""
pipeline: {{id: load}}
schedule: {{cron: '0 6 * * *', timezone: UTC}}
{JOB}
"""

PER_CAMPAIGN = f"""
pipeline: {{id: per-campaign}}
partitions:
  time: {{start: {DAY}, end: {DAY}}}
  dimensions:
    campaign: {{values: [a, b]}}
dependsOn: [load]
{JOB}
"""


def succeed(world: World, pipeline: str, partition: str) -> None:
    """``interlock job report`` for the first attempt of ``pipeline``'s ``partition``."""
    world.il.report_job(f"{pipeline}/{partition}/1", "succeeded")


def launched(world: World, pipeline: str) -> list[str]:
    """The attempt ids the backend launched for ``pipeline``, sorted."""
    return sorted(r.attempt_id for r in world.backend.launches if r.pipeline_id == pipeline)


def test_a_day_over_all_campaigns_waits_for_each_and_is_woken_by_the_last(make_world) -> None:
    """Two of three campaigns done: the report waits; the third one's success wakes it now."""
    world: World = make_world(CLICKS, REPORT, start=START)
    world.controller.bootstrap()
    world.step("06:00", DAY)
    campaigns = [f"{DAY}|campaign={c}" for c in "abc"]
    assert launched(world, "clicks") == [f"clicks/{p}/1" for p in campaigns]
    for partition in campaigns[:2]:
        succeed(world, "clicks", partition)
    world.step("06:30", DAY)
    report = world.run(DAY, "report")
    assert report.state is RunState.WAITING
    assert launched(world, "report") == []
    explained = world.il.explain("report", DAY)
    assert "clicks (all campaigns of the day)" in str(explained)
    assert report.next_check_at is not None
    assert report.next_check_at > world.clock.now()
    succeed(world, "clicks", campaigns[2])
    world.controller.run_once()  # settles clicks' last campaign, and wakes the report
    assert world.run(DAY, "report").next_check_at == world.clock.now()
    world.controller.run_until_idle()
    assert launched(world, "report") == [f"report/{DAY}/1"]
    assert world.clock.now() == datetime(2026, 11, 23, 6, 30, tzinfo=UTC)


def test_each_campaign_waits_for_the_dimensionless_day_and_all_are_woken(make_world) -> None:
    """``same`` onto an upstream without dimensions: ``D|campaign=a`` needs ``load``'s ``D``."""
    world: World = make_world(LOAD, PER_CAMPAIGN, start=START)
    world.controller.bootstrap()
    world.step("06:00", DAY)
    assert launched(world, "load") == [f"load/{DAY}/1"]
    assert launched(world, "per-campaign") == []
    waiting = [world.run(f"{DAY}|campaign={c}", "per-campaign") for c in "ab"]
    assert {run.state for run in waiting} == {RunState.WAITING}
    succeed(world, "load", DAY)
    world.controller.run_once()  # settles load's day, and wakes both campaigns of it
    for c in "ab":
        assert world.run(f"{DAY}|campaign={c}", "per-campaign").next_check_at == world.clock.now()
    world.controller.run_until_idle()
    assert launched(world, "per-campaign") == [f"per-campaign/{DAY}|campaign={c}/1" for c in "ab"]


DYNAMIC_CLICKS = f"""
pipeline: {{id: clicks}}
partitions:
  time: {{start: {DAY}, end: {DAY}}}
  dimensions:
    campaign: {{sensor: campaign-list, field: ids}}
{JOB}
"""


def test_all_campaigns_of_a_dynamic_list_are_the_ones_its_sensor_lists(make_world) -> None:
    """The store reads the upstream's campaign list: a campaign added there is waited for too."""
    world: World = make_world(DYNAMIC_CLICKS, REPORT, start=START)
    world.il.put_reading("clicks", "campaign-list", {"ids": ["a", "b"]})
    world.controller.bootstrap()
    world.step("06:00", DAY)
    for c in "ab":
        succeed(world, "clicks", f"{DAY}|campaign={c}")
    world.il.put_reading("clicks", "campaign-list", {"ids": ["a", "b", "c"]})
    world.step("06:30", DAY)
    assert launched(world, "report") == []
    upstream = world.il.store.load_upstream(world.il.specs()["report"], DAY, world.il.specs())
    assert sorted(upstream["clicks"].runs) == [f"{DAY}|campaign={c}" for c in "abc"]
    succeed(world, "clicks", f"{DAY}|campaign=c")
    world.step("06:31", DAY)
    assert launched(world, "report") == [f"report/{DAY}/1"]
