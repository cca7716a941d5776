"""``load_upstream``: what a downstream decision is told about its upstreams, from the store.

On SQLite and PostgreSQL. The decision core is pure, so everything it knows of an upstream
comes through here: its runs of exactly the mapped partitions, its latest final run for a
``latest`` entry, the stored words for what it is doing (as ``explain`` shows them), and —
for an SLA deadline — its expected duration and, for an upstream not started yet, the same
view one level up.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from dependency_support import ALL_HOURS, LATEST, NOW, offset, pipeline, put_run, sync

from interlock.model import RunState
from interlock.model.dependencies import UpstreamState
from interlock.model.specs import PipelineSpec, SlaSpec
from interlock.store import schema as t
from interlock.store.sqlalchemy import SqlStore
from interlock.store.upstream import MAX_DEPTH

DAY = "2026-11-23"
DEADLINE = SlaSpec(deadline="10:00")


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    """A fresh store on each engine."""
    opened = SqlStore(db_url)
    yield opened
    opened.close()


def load(store: SqlStore, spec: PipelineSpec, *others: PipelineSpec, **kw: bool) -> dict:
    """``load_upstream`` for ``spec``'s run of :data:`DAY`, with ``others`` loaded."""
    specs = {s.id: s for s in (spec, *others)}
    return store.load_upstream(spec, DAY, specs, **kw)


def attempt(store: SqlStore, pipeline_id: str, n: int, minutes: float, state: str) -> None:
    """Job-log row ``n`` of ``pipeline_id``: launched, then finished ``minutes`` later."""
    launched = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=n)
    with store.engine.begin() as conn:
        conn.execute(
            t.attempts.insert().values(
                attempt_id=f"{pipeline_id}/2026-11-{n:02d}/1",
                pipeline_id=pipeline_id,
                partition=f"2026-11-{n:02d}",
                attempt=1,
                reason="initial",
                state=state,
                backend="mock",
                inputs={},
                decided_at=launched,
                launched_at=launched,
                finished_at=launched + timedelta(minutes=minutes),
            )
        )


def test_the_runs_of_the_mapped_partitions_with_what_they_are_doing(store: SqlStore) -> None:
    """Two entries on one upstream (today's, yesterday's): both runs, nothing else."""
    listings = pipeline("listings")
    down = pipeline("x", "listings", ("listings", offset(-24)))
    sync(store, listings, down)
    launched = NOW - timedelta(minutes=10)
    put_run(
        store,
        "listings",
        DAY,
        RunState.RUNNING,
        attempt=2,
        summary="the job is running",
        launched_at=launched,
    )
    put_run(store, "listings", "2026-11-22", RunState.SUCCEEDED, attempt=1, finished_at=NOW)
    put_run(store, "listings", "2026-11-21", RunState.SUCCEEDED, attempt=1)
    state = load(store, down, listings)["listings"]
    assert state.spec == listings
    assert set(state.runs) == {DAY, "2026-11-22"}
    today = state.runs[DAY]
    assert (today.state, today.attempt, today.launched_at, today.message) == (
        RunState.RUNNING,
        2,
        launched,
        "the job is running",
    )
    assert today.attempt_id == "listings/2026-11-23/2"
    assert state.runs["2026-11-22"].finished_at == NOW
    assert state.latest is None


def test_a_waiting_upstream_says_what_it_waits_for(store: SqlStore) -> None:
    """The explanation's waitingFor, not its summary: ``count 50 gte 1000 is false``."""
    raw = pipeline("raw-events")
    down = pipeline("listings", "raw-events")
    sync(store, raw, down)
    put_run(
        store,
        "raw-events",
        DAY,
        RunState.WAITING,
        summary="waiting for the validation rules",
        waiting_for="count 50 gte 1000 is false",
    )
    state = load(store, down, raw)["raw-events"]
    assert state.runs[DAY].message == "count 50 gte 1000 is false"


def test_every_hour_of_the_day_in_one_query(store: SqlStore) -> None:
    """``{all: hour}``: the day's hourly runs that exist; the next day's are not its."""
    hourly = pipeline("hourly", cron="0 * * * *")
    daily = pipeline("daily", ("hourly", ALL_HOURS))
    sync(store, hourly, daily)
    for part in ("2026-11-23T00", "2026-11-23T13", "2026-11-23T23", "2026-11-24T00"):
        put_run(store, "hourly", part, RunState.SUCCEEDED)
    state = load(store, daily, hourly)["hourly"]
    assert set(state.runs) == {"2026-11-23T00", "2026-11-23T13", "2026-11-23T23"}


def test_latest_is_the_newest_partition_in_a_final_state(store: SqlStore) -> None:
    """A run still in flight is not the upstream's latest; a failure is (the entry decides)."""
    ref = pipeline("ref")
    down = pipeline("x", ("ref", LATEST))
    sync(store, ref, down)
    put_run(store, "ref", "2026-11-20", RunState.SUCCEEDED, attempt=1)
    put_run(store, "ref", "2026-11-21", RunState.FAILED, attempt=3)
    put_run(store, "ref", "2026-11-22", RunState.RUNNING, attempt=1)
    state = load(store, down, ref)["ref"]
    assert state.latest is not None
    assert (state.latest.partition, state.latest.state, state.latest.attempt) == (
        "2026-11-21",
        RunState.FAILED,
        3,
    )
    assert state.runs == {}


def test_an_upstream_that_is_not_loaded_has_no_spec(store: SqlStore) -> None:
    """A removed upstream: its entry never arrives, and the decision can say why."""
    down = pipeline("x", "gone")
    sync(store, down)
    assert load(store, down) == {"gone": UpstreamState(spec=None)}


def test_a_pipeline_without_dependson_costs_no_query(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write → launch path of ordinary pipelines must not pay for dependencies."""
    plain = pipeline("plain")

    def refuse() -> None:
        raise AssertionError("load_upstream opened a connection")

    monkeypatch.setattr(store.engine, "connect", refuse)
    assert store.load_upstream(plain, DAY, {"plain": plain}) == {}


def test_expected_duration_is_the_median_of_the_last_ten_successes(store: SqlStore) -> None:
    """Twelve successes of 1..12 min and a slow failure: the median of 3..12 is 7.5 min."""
    up = pipeline("up")
    down = pipeline("x", "up", sla=DEADLINE)
    sync(store, up, down)
    for n in range(1, 13):
        attempt(store, "up", n, n, "succeeded")
    attempt(store, "up", 20, 600, "failed")
    assert load(store, down, up)["up"].expected_duration == timedelta(minutes=7.5)


def test_expected_duration_falls_back_to_the_declared_one_then_to_unknown(
    store: SqlStore,
) -> None:
    """No success yet: ``sla.expectedDuration``; without it, no prediction (None)."""
    declared = pipeline("declared", sla=SlaSpec(expected_duration=timedelta(minutes=20)))
    silent = pipeline("silent")
    down = pipeline("x", "declared", "silent", sla=DEADLINE)
    sync(store, declared, silent, down)
    found = load(store, down, declared, silent)
    assert found["declared"].expected_duration == timedelta(minutes=20)
    assert found["silent"].expected_duration is None


def test_with_a_deadline_its_own_expected_duration_comes_under_its_own_id(
    store: SqlStore,
) -> None:
    """The prediction adds this pipeline's duration: its median, under its id (no upstream's)."""
    up = pipeline("up")
    down = pipeline("x", "up", sla=SlaSpec(deadline="10:00", expected_duration=timedelta(hours=1)))
    sync(store, up, down)
    assert load(store, down, up)["x"] == UpstreamState(
        spec=down, expected_duration=timedelta(hours=1)
    )
    attempt(store, "x", 1, 12, "succeeded")
    assert load(store, down, up)["x"].expected_duration == timedelta(minutes=12)
    assert "x" not in load(store, pipeline("x", "up"), up)


def test_without_an_sla_deadline_nothing_beyond_the_direct_upstreams_is_loaded(
    store: SqlStore,
) -> None:
    """Durations and the chain above cost queries only the SLA-at-risk prediction needs."""
    a, b = pipeline("a"), pipeline("b", "a")
    c = pipeline("c", "b")
    sync(store, a, b, c)
    attempt(store, "b", 1, 5, "succeeded")
    state = load(store, c, a, b)["b"]
    assert (state.expected_duration, state.upstream) == (None, {})
    forced = load(store, c, a, b, recursive=True)["b"]
    assert forced.expected_duration == timedelta(minutes=5)
    assert set(forced.upstream) == {"a"}


def test_with_a_deadline_the_chain_is_loaded_up_to_the_first_upstream_in_flight(
    store: SqlStore,
) -> None:
    """Chain c ← b ← a: b not started, so a is loaded; a is running, so nothing above it is."""
    root = pipeline("root")
    a, b = pipeline("a", "root"), pipeline("b", "a")
    c = pipeline("c", "b", sla=DEADLINE)
    sync(store, root, a, b, c)
    put_run(store, "b", DAY, RunState.WAITING)
    put_run(store, "a", DAY, RunState.RUNNING, attempt=1, launched_at=NOW)
    b_state = load(store, c, root, a, b)["b"]
    assert b_state.runs[DAY].state is RunState.WAITING
    a_state = b_state.upstream["a"]
    assert a_state.runs[DAY].launched_at == NOW
    assert a_state.upstream == {}


def test_a_cycle_in_the_specs_cannot_make_the_loader_loop(store: SqlStore) -> None:
    """The loader refuses cycles, but the store must not trust that: each pipeline once."""
    a, b = pipeline("a", "b"), pipeline("b", "a")
    sync(store, a, b)
    found = load(store, a, b, recursive=True)
    assert set(found["b"].upstream) == {"a"}
    assert found["b"].upstream["a"].upstream == {}


def test_a_long_chain_is_loaded_at_most_max_depth_levels_up(store: SqlStore) -> None:
    """p30 ← p29 ← … ← p0, none started: the view stops after :data:`MAX_DEPTH` levels."""
    chain = [pipeline("p0")] + [pipeline(f"p{i}", f"p{i - 1}") for i in range(1, 31)]
    sync(store, *chain)
    found = load(store, chain[-1], *chain[:-1], recursive=True)
    del found["p30"]  # its own expected duration, beside its upstream
    levels = 0
    while found:
        levels += 1
        (state,) = found.values()
        found = dict(state.upstream)
    assert levels == MAX_DEPTH
