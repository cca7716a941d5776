"""dependsOn in the decision core: when a downstream run may launch, and what it says.

Table tests over decide() with upstream states built by hand: the controller and simulate
load these same values, so what holds here holds for both.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from decide_support import at, pipeline
from hypothesis import given
from hypothesis import strategies as st

from interlock.decide import decide
from interlock.decide.dependencies import DependencyStatus, evaluate_dependencies
from interlock.model import OpenedBy, Run, RunState
from interlock.model.dependencies import (
    Dependency,
    DependsOnSpec,
    MappingKind,
    PartitionMapping,
    UpstreamRerunPolicy,
    UpstreamRun,
    UpstreamState,
    downstream_partitions,
    upstream_partitions,
)
from interlock.model.specs import Pause, PipelineSpec

DAY = "2026-11-23"

UPSTREAM = """
pipeline: {id: %s}
schedule: {cron: "0 6 * * *", timezone: UTC}
job: {type: command, config: {command: ["true"]}}
"""

DOWNSTREAM = """
pipeline: {id: pipeline-x}
job: {type: command, config: {command: ["true"]}}
"""


def upstream_spec(name: str, **changes: object) -> PipelineSpec:
    """A daily upstream (cron 06:00 UTC) named ``name``."""
    return replace(pipeline(UPSTREAM % name), **changes)


def downstream(*all_of: Dependency, any_of: tuple[Dependency, ...] = (), **changes: object):
    """``pipeline-x`` with no schedule of its own, depending on the given upstreams."""
    spec = pipeline(DOWNSTREAM)
    depends = DependsOnSpec(all_of=all_of, any_of=any_of)
    return replace(spec, depends_on=depends, **changes)


def dep(name: str, *states: RunState, **changes: object) -> Dependency:
    """A dependency on ``name`` accepting ``states`` (SUCCEEDED by default)."""
    return Dependency(pipeline=name, statuses=frozenset(states or {RunState.SUCCEEDED}), **changes)


def up_run(name: str, state: RunState, attempt: int = 1, partition: str = DAY, **kw: object):
    """What the downstream sees of one upstream run."""
    return UpstreamRun(
        pipeline_id=name,
        partition=partition,
        state=state,
        attempt=attempt,
        launched_at=at("06:00"),
        finished_at=at("06:30") if state in (RunState.SUCCEEDED, RunState.FAILED) else None,
        **kw,
    )


def upstreams(*runs: UpstreamRun, specs: dict[str, PipelineSpec] | None = None):
    """The ``upstream`` input of decide(): one UpstreamState per named upstream."""
    found: dict[str, UpstreamState] = {}
    names = {r.pipeline_id for r in runs} | set(specs or {})
    for name in sorted(names):
        spec = (specs or {}).get(name) or upstream_spec(name)
        found[name] = UpstreamState(
            spec=spec, runs={r.partition: r for r in runs if r.pipeline_id == name}
        )
    return found


def waiting_run(attempt: int = 0, **changes: object) -> Run:
    """pipeline-x's run, opened by an upstream at 06:00, window closing at 07:00."""
    return Run(
        pipeline_id="pipeline-x",
        partition=DAY,
        state=RunState.WAITING,
        created_at=at("06:00"),
        opened_at=at("06:00"),
        opened_by=OpenedBy.UPSTREAM,
        window_closes_at=at("07:00"),
        attempt=attempt,
        **changes,
    )


SCOUT = downstream(dep("listings"), dep("searches"))


@pytest.mark.parametrize(
    ("listings", "searches", "launches"),
    [
        (RunState.SUCCEEDED, RunState.SUCCEEDED, True),
        (RunState.SUCCEEDED, RunState.RUNNING, False),
        (RunState.RUNNING, RunState.SUCCEEDED, False),
        (RunState.SUCCEEDED, None, False),
        (RunState.FAILED, RunState.SUCCEEDED, False),
    ],
)
def test_all_of_launches_only_when_every_upstream_succeeded(listings, searches, launches):
    """Scout24: the launch waits for both parents, whichever finishes last."""
    runs = [up_run("listings", listings)]
    if searches is not None:
        runs.append(up_run("searches", searches))
    state = upstreams(*runs, specs={"searches": upstream_spec("searches")})
    decision = decide(SCOUT, waiting_run(), {}, state, now=at("07:30"))
    assert bool(decision.launches) is launches
    if not launches:
        assert decision.run.state is RunState.WAITING  # the closed window does not exhaust it
        assert decision.explanation.waiting_for


def test_arrival_is_recorded_once_with_the_upstream_attempt():
    """WAITING → ARRIVED is an event naming the attempt matched, said once."""
    state = upstreams(up_run("listings", RunState.SUCCEEDED, attempt=2))
    first = decide(SCOUT, waiting_run(), {}, state, now=at("06:40"))
    arrived = [e for e in first.events if e.type == "DEPENDENCY_ARRIVED"]
    assert [e.detail["attempts"] for e in arrived] == [[f"listings/{DAY}/2"]]
    assert first.run.upstream_seen == {"listings": (f"listings/{DAY}/2",)}
    again = decide(SCOUT, first.run, {}, state, now=at("06:45"))
    assert "DEPENDENCY_ARRIVED" not in again.event_types


def test_a_failed_upstream_is_said_once_and_a_retry_success_still_launches():
    """Failure propagates once; a later success of the upstream still launches."""
    failed = upstreams(
        up_run("listings", RunState.FAILED, message="disk full"),
        up_run("searches", RunState.SUCCEEDED),
    )
    first = decide(SCOUT, waiting_run(), {}, failed, now=at("06:40"))
    said = [e for e in first.events if e.type == "UPSTREAM_FAILED"]
    assert len(said) == 1
    assert said[0].detail["upstream"] == "listings"
    assert said[0].detail["upstreamAttempt"] == 1
    assert "disk full" in said[0].message
    assert not first.launches
    quiet = decide(SCOUT, first.run, {}, failed, now=at("06:50"))
    assert "UPSTREAM_FAILED" not in quiet.event_types
    fixed = upstreams(
        up_run("listings", RunState.SUCCEEDED, attempt=2), up_run("searches", RunState.SUCCEEDED)
    )
    later = decide(SCOUT, quiet.run, {}, fixed, now=at("09:00"))
    assert later.launches


def test_a_fallback_on_failed_launches_when_the_upstream_fails():
    """A dependency on FAILED is how a fallback pipeline is written."""
    fallback = downstream(dep("listings", RunState.FAILED))
    failed = upstreams(up_run("listings", RunState.FAILED))
    assert decide(fallback, waiting_run(), {}, failed, now=at("06:40")).launches
    ok = upstreams(up_run("listings", RunState.SUCCEEDED))
    decision = decide(fallback, waiting_run(), {}, ok, now=at("06:40"))
    assert not decision.launches
    assert "UPSTREAM_FAILED" not in decision.event_types  # a success is no failure to report
    assert decision.explanation.waiting_for.startswith("not needed: listings")


def test_any_of_takes_the_backup_when_the_primary_failed():
    """anyOf: one accepted upstream is enough; none in progress counts."""
    spec = downstream(any_of=(dep("fx-primary"), dep("fx-backup")))
    state = upstreams(
        up_run("fx-primary", RunState.FAILED), up_run("fx-backup", RunState.SUCCEEDED)
    )
    assert decide(spec, waiting_run(), {}, state, now=at("06:40")).launches
    neither = upstreams(
        up_run("fx-primary", RunState.FAILED), up_run("fx-backup", RunState.RUNNING)
    )
    assert not decide(spec, waiting_run(), {}, neither, now=at("06:40")).launches


def test_a_paused_required_upstream_is_named_and_an_optional_one_does_not_block():
    """A required paused upstream is named; an optional one is not waited for."""
    paused = upstream_spec("searches", paused=Pause(at=at("05:00"), reason="maintenance"))
    required = downstream(dep("listings"), dep("searches"))
    state = upstreams(up_run("listings", RunState.SUCCEEDED), specs={"searches": paused})
    decision = decide(required, waiting_run(), {}, state, now=at("06:40"))
    assert not decision.launches
    assert "blocked: searches is paused" in decision.explanation.waiting_for
    optional = downstream(dep("listings"), dep("searches", optional=True))
    assert decide(optional, waiting_run(), {}, state, now=at("06:40")).launches


def test_an_optional_upstream_excluded_by_its_calendar_does_not_block():
    """Run if listings succeeded and searches succeeded or was not expected that day."""
    weekday_only = pipeline(
        UPSTREAM.replace("timezone: UTC}", "timezone: UTC, exclude: {weekends: true}}") % "searches"
    )
    spec = downstream(dep("listings"), dep("searches", optional=True))
    saturday = "2026-11-28"
    state = upstreams(
        up_run("listings", RunState.SUCCEEDED, partition=saturday),
        specs={"searches": weekday_only},
    )
    run = replace(waiting_run(), partition=saturday)
    evaluation = evaluate_dependencies(spec, saturday, state, at("06:40", saturday))
    assert evaluation is not None
    assert [c.status for c in evaluation.checks] == [
        DependencyStatus.ARRIVED,
        DependencyStatus.SKIPPED,
    ]
    assert decide(spec, run, {}, state, now=at("06:40", saturday)).launches


def test_an_unloaded_upstream_blocks_and_says_so():
    """A removed upstream never counts as arrived, and the reason says what to do."""
    decision = decide(SCOUT, waiting_run(), {}, {}, now=at("06:40"))
    assert not decision.launches
    assert "listings is not loaded" in decision.explanation.waiting_for


def test_an_upstream_opened_run_opens_at_once_and_launches_when_all_arrived():
    """A run created by an upstream's final state opens without a cron or trigger."""
    pending = Run(
        pipeline_id="pipeline-x",
        partition=DAY,
        created_at=at("06:30"),
        opened_by=OpenedBy.UPSTREAM,
    )
    state = upstreams(
        up_run("listings", RunState.SUCCEEDED), up_run("searches", RunState.SUCCEEDED)
    )
    decision = decide(SCOUT, pending, {}, state, now=at("06:30"))
    assert decision.event_types[0] == "RUN_OPENED"
    assert decision.launches


def test_the_explanation_carries_every_dependency():
    """Explain --json gets each dependency with the upstream run that blocks it."""
    state = upstreams(up_run("listings", RunState.RUNNING, attempt=2))
    decision = decide(SCOUT, waiting_run(), {}, state, now=at("06:40"))
    deps = decision.explanation.to_dict()["dependencies"]
    assert deps["passed"] is False
    first = deps["checks"][0]
    assert first["status"] == "WAITING"
    assert first["blocking"]["attempt"] == 2
    assert first["reason"] == "listings: RUNNING attempt 2 since 06:00 UTC"


# Cascades -----------------------------------------------------------------------------------


def succeeded_run(seen: dict[str, tuple[str, ...]]) -> Run:
    """pipeline-x's run after it succeeded, having consumed ``seen``."""
    return replace(
        waiting_run(attempt=1),
        state=RunState.SUCCEEDED,
        launched_at=at("06:40"),
        finished_at=at("06:50"),
        upstream_seen=seen,
    )


def test_an_upstream_success_again_reruns_the_same_partition_once():
    """A consumed upstream partition succeeding again reruns the same partition."""
    consumed = succeeded_run(
        {"listings": (f"listings/{DAY}/1",), "searches": (f"searches/{DAY}/1",)}
    )
    again = upstreams(
        up_run("listings", RunState.SUCCEEDED, attempt=2), up_run("searches", RunState.SUCCEEDED)
    )
    decision = decide(SCOUT, consumed, {}, again, now=at("10:00"))
    accepted = [e for e in decision.events if e.type == "RERUN_ACCEPTED"]
    assert accepted[0].detail["reason"] == "upstream-rerun"
    assert accepted[0].detail["upstreamAttempts"] == [f"listings/{DAY}/2"]
    assert decision.run.partition == DAY
    assert decision.launches[0].attempt == 2
    assert decision.run.reruns[-1].cause == f"listings/{DAY}/2"
    assert decision.run.upstream_seen["listings"] == (f"listings/{DAY}/2",)


def test_a_diamond_reruns_once_after_every_branch_is_final_again():
    """A → B, C → D: D waits for the second branch and reruns once."""
    spec = downstream(dep("b"), dep("c"))
    consumed = succeeded_run({"b": (f"b/{DAY}/1",), "c": (f"c/{DAY}/1",)})
    b_done = upstreams(up_run("b", RunState.SUCCEEDED, attempt=2), up_run("c", RunState.RUNNING, 2))
    waiting = decide(spec, consumed, {}, b_done, now=at("10:00"))
    assert not waiting.launches
    assert "RERUN_ACCEPTED" not in waiting.event_types
    both = upstreams(up_run("b", RunState.SUCCEEDED, 2), up_run("c", RunState.SUCCEEDED, 2))
    rerun = decide(spec, waiting.run, {}, both, now=at("10:10"))
    assert [e.type for e in rerun.events].count("RERUN_ACCEPTED") == 1


@pytest.mark.parametrize(
    ("policy", "budget", "reruns", "event"),
    [
        (UpstreamRerunPolicy.ALERT, 2, False, "UPSTREAM_RERUN"),
        (UpstreamRerunPolicy.IGNORE, 2, False, None),
        (UpstreamRerunPolicy.RERUN, 0, False, "UPSTREAM_RERUN"),
        (UpstreamRerunPolicy.RERUN, 2, True, "RERUN_ACCEPTED"),
    ],
)
def test_on_upstream_rerun_policy_and_budget(policy, budget, reruns, event):
    """Rerun within maxUpstreamReruns, alert says so, ignore is silent; each once."""
    spec = downstream(dep("listings"), on_upstream_rerun=policy)
    assert spec.job is not None
    spec = replace(spec, job=replace(spec.job, max_upstream_reruns=budget))
    consumed = succeeded_run({"listings": (f"listings/{DAY}/1",)})
    again = upstreams(up_run("listings", RunState.SUCCEEDED, attempt=2))
    decision = decide(spec, consumed, {}, again, now=at("10:00"))
    assert bool(decision.launches) is reruns
    if event is None:
        assert not decision.events
    else:
        assert event in decision.event_types
        repeat = decide(spec, decision.run, {}, again, now=at("10:05"))
        assert event not in repeat.event_types  # said once per upstream attempt


# Partition mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mapping", "partition", "tz", "up_tz", "expected"),
    [
        (PartitionMapping(), DAY, "UTC", "UTC", (DAY,)),
        (
            PartitionMapping(kind=MappingKind.OFFSET, offset=timedelta(days=-1)),
            "2026-03-01",
            "UTC",
            "UTC",
            ("2026-02-28",),
        ),
        (
            PartitionMapping(kind=MappingKind.OFFSET, offset=timedelta(hours=-1)),
            "2026-11-23T00",
            "UTC",
            "UTC",
            ("2026-11-22T23",),
        ),
        (PartitionMapping(kind=MappingKind.LATEST), DAY, "UTC", "UTC", None),
    ],
)
def test_upstream_partitions(mapping, partition, tz, up_tz, expected):
    """same, offset and latest map both ways."""
    found = upstream_partitions(
        Dependency(pipeline="u", partition=mapping),
        partition,
        timezone=tz,
        upstream_timezone=up_tz,
    )
    assert found == expected
    if expected:
        back = downstream_partitions(
            Dependency(pipeline="u", partition=mapping),
            expected[0],
            timezone=tz,
            upstream_timezone=up_tz,
        )
        assert back == (partition,)


@pytest.mark.parametrize(
    ("day", "hours"), [("2026-03-29", 23), ("2026-10-25", 25), ("2026-11-23", 24)]
)
def test_all_hours_of_a_berlin_day_in_utc_partitions(day, hours):
    """{all: hour} covers 23, 25 or 24 hours of the downstream's local day."""
    every = Dependency(pipeline="u", partition=PartitionMapping(kind=MappingKind.ALL))
    parts = upstream_partitions(every, day, timezone="Europe/Berlin", upstream_timezone="UTC")
    assert parts is not None
    assert len(parts) == hours
    assert len(set(parts)) == hours
    for part in parts:  # and every one of them maps back to that day
        assert downstream_partitions(
            every, part, timezone="Europe/Berlin", upstream_timezone="UTC"
        ) == (day,)


def test_all_hours_waits_for_the_last_hour():
    """A daily run over hourly partitions waits for every one of them."""
    every = Dependency(pipeline="hourly", partition=PartitionMapping(kind=MappingKind.ALL))
    spec = downstream(every)
    hourly = pipeline(UPSTREAM.replace('"0 6 * * *"', '"0 * * * *"') % "hourly")
    parts = upstream_partitions(every, DAY, timezone="UTC", upstream_timezone="UTC") or ()
    runs = [up_run("hourly", RunState.SUCCEEDED, partition=p) for p in parts[:-1]]
    state = upstreams(*runs, specs={"hourly": hourly})
    decision = decide(spec, waiting_run(), {}, state, now=at("23:59"))
    assert not decision.launches
    assert "23 of 24 partitions arrived" in decision.explanation.waiting_for
    last = up_run("hourly", RunState.SUCCEEDED, partition=parts[-1])
    done = upstreams(*runs, last, specs={"hourly": hourly})
    later = datetime.fromisoformat(f"{DAY}T23:59+00:00")
    assert decide(spec, decision.run, {}, done, now=later).launches


def test_latest_moving_to_a_new_partition_is_not_a_rerun():
    """``latest`` arriving for a new day is new input for new runs, not a cascade."""
    latest = Dependency(pipeline="fx", partition=PartitionMapping(kind=MappingKind.LATEST))
    spec = downstream(latest)
    consumed = succeeded_run({latest.label: ("fx/2026-11-22/1",)})
    newer = UpstreamState(
        spec=upstream_spec("fx"), latest=up_run("fx", RunState.SUCCEEDED, partition=DAY)
    )
    decision = decide(spec, consumed, {}, {"fx": newer}, now=at("10:00"))
    assert not decision.launches
    assert "RERUN_ACCEPTED" not in decision.event_types


def test_a_paused_upstream_with_an_open_run_is_blocked_not_working():
    """Its WAITING run launches nothing while paused: the downstream says blocked."""
    paused = upstream_spec("listings", paused=Pause(at=at("05:00"), reason="maintenance"))
    spec = downstream(dep("listings"))
    state = upstreams(up_run("listings", RunState.WAITING), specs={"listings": paused})
    decision = decide(spec, waiting_run(), {}, state, now=at("06:40"))
    assert decision.explanation.waiting_for.startswith("blocked: listings is paused")
    done = upstreams(up_run("listings", RunState.SUCCEEDED), specs={"listings": paused})
    assert decide(spec, waiting_run(), {}, done, now=at("06:40")).launches


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu"]


@given(
    day=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    zone=st.sampled_from(ZONES),
    upstream_zone=st.sampled_from(ZONES),
)
def test_every_hour_of_a_day_maps_back_to_that_day_and_no_other(day, zone, upstream_zone):
    """{all: hour}: a wake-up for any hour a day needs wakes that day, in any pair of zones."""
    every = Dependency(pipeline="u", partition=PartitionMapping(kind=MappingKind.ALL))
    today = upstream_partitions(
        every, day.isoformat(), timezone=zone, upstream_timezone=upstream_zone
    )
    tomorrow = upstream_partitions(
        every, (day + timedelta(days=1)).isoformat(), timezone=zone, upstream_timezone=upstream_zone
    )
    assert today is not None
    assert tomorrow is not None
    assert 22 <= len(today) <= 25
    assert not set(today) & set(tomorrow)
    for hour in today:
        back = downstream_partitions(every, hour, timezone=zone, upstream_timezone=upstream_zone)
        assert back == (day.isoformat(),)
