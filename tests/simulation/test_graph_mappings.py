"""Diamond cascades, partition mappings, anyOf, optional and paused upstreams, simulated."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from graph_support import at, dep, depending, launches, of, spec

from interlock.model import RunState
from interlock.model.specs import Pause
from interlock.simulation.graph import GraphSimulation

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_diamond_reruns_its_sink_once_when_the_source_reruns() -> None:
    """A → B, C → D: A rerun makes D rerun once, after both branches, with both inputs."""
    a = spec("a", cron="0 6 * * *")
    sim = GraphSimulation(
        [
            a,
            depending(spec("b"), ["a"]),
            depending(spec("c"), ["a"]),
            depending(spec("d"), ["b", "c"]),
        ],
        start=at("00:00"),
    )
    for clock, pid in [("06:10", "a"), ("06:20", "b"), ("06:30", "c"), ("06:40", "d")]:
        sim.job_outcome("succeeded", at=at(clock), pipeline=pid)
    sim.rerun("2026-11-23", at=at("10:00"), pipeline="a", reason="late data")
    for clock, pid in [("10:10", "a"), ("10:20", "b"), ("10:50", "c"), ("11:00", "d")]:
        sim.job_outcome("succeeded", at=at(clock), pipeline=pid)
    sim.advance_to(at("23:59"))
    assert [e.at for e in launches(sim.events, "d")] == [at("06:30"), at("10:50")]
    (rerun,) = of(sim.events, "d", "RERUN_ACCEPTED")
    assert rerun.detail["reason"] == "upstream-rerun"
    assert sorted(rerun.detail["upstreamAttempts"]) == ["b/2026-11-23/2", "c/2026-11-23/2"]


def test_offset_minus_one_day_consumes_yesterdays_upstream_not_todays() -> None:
    """``{offset: -1d}``: today's run launches off yesterday's upstream success."""
    up = spec("up", cron="0 6 * * *")
    down = depending(spec("down", cron="0 7 * * *"), [dep("up", offset=timedelta(days=-1))])
    sim = GraphSimulation([up, down], start=at("00:00", "2026-11-22"))
    sim.job_outcome("succeeded", at=at("06:30", "2026-11-22"), pipeline="up")
    sim.advance_to(at("07:30"))  # the 23rd: up's run of today is still running
    assert sim.runs("up")["2026-11-23"].state is RunState.RUNNING
    (launch,) = [e for e in launches(sim.events, "down") if e.partition == "2026-11-23"]
    assert launch.at == at("07:00")
    seen = sim.runs("down")["2026-11-23"].upstream_seen
    assert dict(seen) == {"up (offset -1d)": ("up/2026-11-22/1",)}


@pytest.mark.parametrize(
    ("day", "hours"), [("2026-03-29", 23), ("2026-10-25", 25), ("2026-11-23", 24)]
)
def test_a_berlin_daily_needs_every_utc_hour_of_its_day(day: str, hours: int) -> None:
    """``{all: hour}``: 23, 25 or 24 UTC hours of a Berlin day; it launches after the last."""
    hourly = spec("hourly", job=False)  # its runs are opened by the reruns below
    daily = depending(spec("daily", timezone="Europe/Berlin"), [dep("hourly", all_hours=True)])
    berlin_midnight = datetime.fromisoformat(f"{day}T00:00:00").replace(tzinfo=BERLIN)
    start = berlin_midnight.astimezone(UTC)
    sim = GraphSimulation([hourly, daily], start=start - timedelta(hours=1))
    moments = [start + timedelta(hours=n) for n in range(hours)]
    assert (moments[-1] + timedelta(hours=1)).astimezone(berlin_midnight.tzinfo).hour == 0
    for number, moment in enumerate(moments):
        assert launches(sim.events, "daily") == []
        sim.rerun(
            moment.strftime("%Y-%m-%dT%H"), at=moment + timedelta(minutes=5), pipeline="hourly"
        )
        if number == 0:
            assert sim.runs("daily")[day].opened_by.value == "upstream"
    (launch,) = launches(sim.events, "daily")
    assert launch.partition == day
    assert launch.at == moments[-1] + timedelta(minutes=5)


def test_any_of_falls_back_to_the_backup_when_the_primary_fails() -> None:
    """``anyOf``: the primary failing does not stop the report; the backup succeeding starts it."""
    primary, backup = spec("fx-primary", cron="0 6 * * *"), spec("fx-backup", cron="0 6 * * *")
    report = depending(spec("report"), any_of=["fx-primary", "fx-backup"])
    sim = GraphSimulation([primary, backup, report], start=at("00:00"))
    sim.job_outcome("failed", at=at("06:10"), pipeline="fx-primary", category="PERMANENT")
    assert launches(sim.events, "report") == []
    sim.job_outcome("succeeded", at=at("06:40"), pipeline="fx-backup")
    (launch,) = launches(sim.events, "report")
    assert launch.at == at("06:40")


def test_an_optional_upstream_excluded_by_its_calendar_does_not_block() -> None:
    """A weekday-only optional upstream is SKIPPED on Saturday and does not block."""
    weekdays = spec(
        "weekdays",
        extra="schedule: {cron: '0 6 * * *', timezone: UTC, exclude: {weekends: true}}",
    )
    daily = spec("daily", cron="0 6 * * *")
    down = depending(spec("down"), ["daily", dep("weekdays", optional=True)])
    saturday = "2026-11-28"
    sim = GraphSimulation([weekdays, daily, down], start=at("00:00", saturday))
    sim.job_outcome("succeeded", at=at("06:30", saturday), pipeline="daily")
    (launch,) = launches(sim.events, "down")
    assert launch.at == at("06:30", saturday)
    explanation = sim.explain("down", saturday)
    assert explanation is not None
    assert explanation.dependencies is not None
    statuses = {c["label"]: c["status"] for c in explanation.dependencies["checks"]}
    assert statuses == {"daily": "ARRIVED", "weekdays": "SKIPPED"}


def test_a_paused_required_upstream_is_named_as_blocking() -> None:
    """A paused required upstream never waits silently: explain names it as blocking."""
    paused = replace(
        spec("listings", cron="0 6 * * *"),
        paused=Pause(at=at("05:00"), reason="maintenance", by="ops"),
    )
    searches = spec("searches", cron="0 6 * * *")
    down = depending(spec("pipeline-x"), ["listings", "searches"])
    sim = GraphSimulation([paused, searches, down], start=at("00:00"))
    sim.job_outcome("succeeded", at=at("06:30"), pipeline="searches")
    sim.advance_to(at("12:00"))
    assert launches(sim.events, "pipeline-x") == []
    assert sim.runs("pipeline-x")["2026-11-23"].state is RunState.WAITING
    explanation = sim.explain("pipeline-x", "2026-11-23")
    assert explanation is not None
    assert explanation.waiting_for.startswith("blocked: listings is paused")
    assert "by ops: maintenance" in explanation.waiting_for
