"""The pure wake planner: an upstream partition → the downstream runs to open and to wake.

Table tests for each mapping, and the invariant that makes wake-on-status safe: whenever a
downstream run of partition D needs upstream partition U (the rule a decision loads by),
U coming to rest wakes D — no downstream is left asleep waiting for an upstream that is done.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dependency_support import ALL_HOURS, LATEST, SAME, offset
from hypothesis import given
from hypothesis import strategies as st

from interlock.model.dependencies import Dependency, PartitionMapping, upstream_partitions
from interlock.store._routing import DependencyRoute, DependencyWakePlan, plan_dependency_wakes

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Pacific/Apia"]
"""Whole-hour offsets, with and without DST (a half-hour zone is the known gap below)."""


def route(
    mapping: PartitionMapping,
    *,
    downstream: str = "down",
    opens: bool = False,
    zone: str = "UTC",
    upstream_zone: str = "UTC",
) -> DependencyRoute:
    """One index row."""
    return DependencyRoute(
        downstream_id=downstream,
        label=downstream,
        mapping=mapping,
        timezone=zone,
        upstream_timezone=upstream_zone,
        opens_runs=opens,
    )


@pytest.mark.parametrize(
    ("routes", "partition", "plan"),
    [
        pytest.param(
            [route(SAME)],
            "2026-11-23",
            DependencyWakePlan(wake=frozenset({("down", "2026-11-23")})),
            id="same",
        ),
        pytest.param(
            [route(offset(-24))],
            "2026-11-22",
            DependencyWakePlan(wake=frozenset({("down", "2026-11-23")})),
            id="offset -1d",
        ),
        pytest.param(
            [route(offset(-1))],
            "2026-11-23T23",
            DependencyWakePlan(wake=frozenset({("down", "2026-11-24T00")})),
            id="offset -1h across midnight",
        ),
        pytest.param(
            [route(ALL_HOURS, zone="America/New_York")],
            "2026-11-23T03",
            DependencyWakePlan(wake=frozenset({("down", "2026-11-22")})),
            id="all hours: 03 UTC is the evening before in New York",
        ),
        pytest.param([route(ALL_HOURS)], "2026-11-23", DependencyWakePlan(), id="all: daily"),
        pytest.param(
            [route(LATEST)],
            "2026-11-01",
            DependencyWakePlan(wake_latest=frozenset({"down"})),
            id="latest",
        ),
        pytest.param(
            [route(LATEST, opens=True)],
            "2026-11-01",
            DependencyWakePlan(
                open_runs=frozenset({("down", "2026-11-01")}),
                wake=frozenset({("down", "2026-11-01")}),
                wake_latest=frozenset({"down"}),
            ),
            id="latest, no schedule: a run for the upstream's partition",
        ),
        pytest.param(
            [route(SAME, opens=True), route(SAME, downstream="other")],
            "2026-11-23",
            DependencyWakePlan(
                open_runs=frozenset({("down", "2026-11-23")}),
                wake=frozenset({("down", "2026-11-23"), ("other", "2026-11-23")}),
            ),
            id="only the unscheduled downstream gets a run",
        ),
        pytest.param(
            [route(SAME), route(offset(-24))],
            "2026-11-23",
            DependencyWakePlan(wake=frozenset({("down", "2026-11-23"), ("down", "2026-11-24")})),
            id="two entries on one upstream",
        ),
        pytest.param([], "2026-11-23", DependencyWakePlan(), id="no downstreams"),
    ],
)
def test_plan(routes: list[DependencyRoute], partition: str, plan: DependencyWakePlan) -> None:
    """One upstream partition at rest → exactly these runs."""
    assert plan_dependency_wakes(partition, routes) == plan


def test_an_empty_plan_is_false_so_apply_skips_it() -> None:
    """``apply`` runs no statement (and notifies no one) for a plan with nothing in it."""
    assert not DependencyWakePlan()
    assert DependencyWakePlan(wake_latest=frozenset({"d"}))


days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def needs(draw: st.DrawFn) -> tuple[PartitionMapping, str, str, str]:
    """A valid mapping, a downstream partition of the right grain, and the two zones."""
    zone, upstream_zone = draw(st.sampled_from(ZONES)), draw(st.sampled_from(ZONES))
    day = draw(days)
    kind = draw(st.sampled_from(["same-day", "same-hour", "days", "hours", "all"]))
    hour = f"{day.isoformat()}T{draw(st.integers(0, 23)):02d}"
    if kind == "same-day":
        return SAME, day.isoformat(), zone, upstream_zone
    if kind == "same-hour":
        return SAME, hour, zone, upstream_zone
    if kind == "days":
        n = draw(st.integers(-7, 7).filter(bool))
        return offset(24 * n), day.isoformat(), zone, upstream_zone
    if kind == "hours":
        return offset(draw(st.integers(-48, 48).filter(bool))), hour, zone, upstream_zone
    return ALL_HOURS, day.isoformat(), zone, upstream_zone


@given(needs())
def test_every_upstream_partition_a_run_needs_wakes_that_run(
    case: tuple[PartitionMapping, str, str, str],
) -> None:
    """No lost wake-up: the planner is the exact inverse of the rule decisions load by."""
    mapping, partition, zone, upstream_zone = case
    dependency = Dependency(pipeline="up", partition=mapping)
    wanted = upstream_partitions(
        dependency, partition, timezone=zone, upstream_timezone=upstream_zone
    )
    assert wanted
    index = [route(mapping, zone=zone, upstream_zone=upstream_zone)]
    for upstream in wanted:
        assert ("down", partition) in plan_dependency_wakes(upstream, index).wake


@given(needs())
def test_a_woken_run_needs_the_upstream_partition_that_woke_it(
    case: tuple[PartitionMapping, str, str, str],
) -> None:
    """No spurious wake-up either: each woken run maps back to the upstream partition."""
    mapping, partition, zone, upstream_zone = case
    dependency = Dependency(pipeline="up", partition=mapping)
    index = [route(mapping, zone=zone, upstream_zone=upstream_zone)]
    for upstream in (
        upstream_partitions(dependency, partition, timezone=zone, upstream_timezone=upstream_zone)
        or ()
    ):
        for _, woken in plan_dependency_wakes(upstream, index).wake:
            back = upstream_partitions(
                dependency, woken, timezone=zone, upstream_timezone=upstream_zone
            )
            assert back is not None
            assert upstream in back


def test_all_hours_across_a_dst_change_wakes_the_one_day_from_each_of_its_hours() -> None:
    """Berlin's 2026-10-25 has 25 hours; each of them (in UTC) wakes that day's run only."""
    dependency = Dependency(pipeline="up", partition=ALL_HOURS)
    hours = upstream_partitions(
        dependency, "2026-10-25", timezone="Europe/Berlin", upstream_timezone="UTC"
    )
    assert hours is not None
    assert len(hours) == 25
    index = [route(ALL_HOURS, zone="Europe/Berlin")]
    woken = {part for hour in hours for _, part in plan_dependency_wakes(hour, index).wake}
    assert woken == {"2026-10-25"}
    assert timedelta(hours=len(hours)) == timedelta(days=1, hours=1)


def test_all_hours_between_zones_half_an_hour_apart_wakes_the_day_that_needs_the_hour() -> None:
    """The hour that straddles the downstream's midnight belongs to one day: the one it starts in.

    Kolkata's 05:00 hour of Jan 2 starts at 23:30 UTC on Jan 1, so UTC's Jan 1 needs it (and
    its wake-up wakes Jan 1), while Kolkata's 05:00 hour of Jan 1 belongs to Dec 31.
    """
    dependency = Dependency(pipeline="up", partition=ALL_HOURS)
    hours = upstream_partitions(
        dependency, "2024-01-01", timezone="UTC", upstream_timezone="Asia/Kolkata"
    )
    assert hours is not None
    assert len(hours) == 24
    assert hours[0] == "2024-01-01T06"
    assert hours[-1] == "2024-01-02T05"
    index = [route(ALL_HOURS, zone="UTC", upstream_zone="Asia/Kolkata")]
    assert ("down", "2024-01-01") in plan_dependency_wakes("2024-01-02T05", index).wake
    assert ("down", "2023-12-31") in plan_dependency_wakes("2024-01-01T05", index).wake
