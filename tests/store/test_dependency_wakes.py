"""An upstream run coming to rest wakes exactly the downstream runs it may unblock.

Through the real store on SQLite and PostgreSQL: the wake happens in the transaction that
stores the upstream's decision (``SqlStore.apply`` with ``decision.settled``), from the
``dependency_index`` that ``sync_pipelines`` keeps. "Woken" means due at the apply time: every
planned run here is otherwise due days later.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from dependency_support import (
    ALL_HOURS,
    LATEST,
    NOW,
    due_now,
    offset,
    pipeline,
    put_run,
    settle,
    sync,
)

from interlock.model import OpenedBy, RunState
from interlock.model.specs import Pause
from interlock.store.sqlalchemy import SqlStore

DAY, NEXT = "2026-11-23", "2026-11-24"


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    """A fresh store on each engine."""
    opened = SqlStore(db_url)
    yield opened
    opened.close()


def test_same_partition_wakes_that_run_only_and_no_unrelated_pipeline(store: SqlStore) -> None:
    """The upstream succeeds for the 23rd: pipeline-x's run of the 23rd is due, nothing else."""
    listings = pipeline("listings")
    sync(store, listings, pipeline("pipeline-x", "listings"), pipeline("unrelated"))
    for p in ("pipeline-x", "unrelated"):
        for part in (DAY, NEXT):
            put_run(store, p, part)
    assert settle(store, listings, DAY)
    assert due_now(store) == {("pipeline-x", DAY)}


def test_an_offset_wakes_the_partition_that_needs_it(store: SqlStore) -> None:
    """``{offset: -1d}``: yesterday's upstream success is what today's run waits for."""
    raw = pipeline("raw")
    sync(store, raw, pipeline("report", ("raw", offset(-24))))
    for part in ("2026-11-22", DAY, NEXT):
        put_run(store, "report", part)
    settle(store, raw, "2026-11-22")
    assert due_now(store) == {("report", DAY)}


def test_every_hour_of_the_day_wakes_the_daily_run_of_its_own_day(store: SqlStore) -> None:
    """``{all: hour}`` in the downstream's zone: 23:00 UTC is already the 24th in Berlin."""
    hourly = pipeline("hourly", cron="0 * * * *")
    daily = pipeline("daily", ("hourly", ALL_HOURS), timezone="Europe/Berlin")
    sync(store, hourly, daily)
    for part in (DAY, NEXT):
        put_run(store, "daily", part)
    settle(store, hourly, "2026-11-23T05")
    assert due_now(store) == {("daily", DAY)}
    settle(store, hourly, "2026-11-23T23", now=NOW + timedelta(minutes=1))
    assert due_now(store, NOW + timedelta(minutes=1)) == {("daily", NEXT)}


def test_a_daily_upstream_wakes_nothing_through_all_hours(store: SqlStore) -> None:
    """A daily partition is no hour of any day: ``{all: hour}`` maps it to nothing."""
    sync(store, pipeline("up"), pipeline("daily", ("up", ALL_HOURS)))
    put_run(store, "daily", DAY)
    settle(store, pipeline("up"), DAY)
    assert due_now(store) == set()


@pytest.mark.parametrize(
    ("state", "woken"),
    [
        (RunState.PENDING, True),
        (RunState.WAITING, True),
        (RunState.EXHAUSTED, True),
        (RunState.SUCCEEDED, True),
        (RunState.SHADOWED, True),
        (RunState.LAUNCHING, False),
        (RunState.RUNNING, False),
        (RunState.FAILED, False),
        (RunState.CANCELLED, False),
    ],
)
def test_which_states_of_the_mapped_run_are_woken(
    store: SqlStore, state: RunState, woken: bool
) -> None:
    """Open runs and rest states a new upstream outcome may change; never one in flight."""
    up = pipeline("up")
    sync(store, up, pipeline("down", "up"))
    put_run(store, "down", DAY, state)
    settle(store, up, DAY)
    assert due_now(store) == ({("down", DAY)} if woken else set())


def test_a_woken_run_changes_version_so_a_decision_taken_before_is_dropped(
    store: SqlStore,
) -> None:
    """A downstream decided on the upstream's old state must be decided again, not stored."""
    up = pipeline("up")
    sync(store, up, pipeline("down", "up"))
    put_run(store, "down", DAY, RunState.WAITING)
    before = store.get_run("down", DAY)
    assert before is not None
    settle(store, up, DAY)
    after = store.get_run("down", DAY)
    assert after is not None
    assert after.version == before.version + 1


def test_latest_wakes_open_runs_and_watched_successes_of_any_partition(store: SqlStore) -> None:
    """``latest``: every waiting run may need it; a success still watched may rerun."""
    up = pipeline("ref-data")
    sync(store, up, pipeline("down", ("ref-data", LATEST)))
    put_run(store, "down", "2026-11-20", RunState.SUCCEEDED, watch_until=NOW - timedelta(hours=1))
    put_run(store, "down", "2026-11-21", RunState.SUCCEEDED, watch_until=NOW + timedelta(hours=1))
    put_run(store, "down", "2026-11-22", RunState.FAILED)
    put_run(store, "down", DAY, RunState.WAITING)
    put_run(store, "down", NEXT, RunState.PENDING)
    settle(store, up, "2026-11-19")
    assert due_now(store) == {("down", "2026-11-21"), ("down", DAY), ("down", NEXT)}


def test_a_downstream_without_schedule_gets_its_run_from_the_upstream(store: SqlStore) -> None:
    """No cron, no trigger: the upstream's final state opens the run, PENDING and due now."""
    up = pipeline("listings")
    sync(store, up, pipeline("pipeline-x", "listings", cron=None))
    settle(store, up, DAY)
    run = store.get_run("pipeline-x", DAY)
    assert run is not None
    assert (run.state, run.opened_by, run.next_check_at) == (
        RunState.PENDING,
        OpenedBy.UPSTREAM,
        NOW,
    )


def test_a_failure_opens_the_run_too_so_it_can_say_the_upstream_failed(store: SqlStore) -> None:
    """Any final state opens it: the downstream decision says UPSTREAM_FAILED on it."""
    up = pipeline("listings")
    sync(store, up, pipeline("fallback", ("listings", offset(-24)), cron=None))
    settle(store, up, "2026-11-22", RunState.FAILED)
    run = store.get_run("fallback", DAY)
    assert run is not None
    assert run.opened_by is OpenedBy.UPSTREAM


def test_a_scheduled_or_triggered_downstream_gets_no_run_created(store: SqlStore) -> None:
    """A cron or a trigger opens its runs; an upstream only wakes the ones that exist."""
    up = pipeline("up")
    sync(store, up, pipeline("cron", "up"), pipeline("trig", "up", cron=None, trigger=True))
    settle(store, up, DAY)
    assert store.list_runs("cron") == []
    assert store.list_runs("trig") == []


def test_a_decision_that_does_not_settle_wakes_nothing(store: SqlStore) -> None:
    """Only a run coming to rest can unblock anyone: a launch or a poll wakes no downstream."""
    up = pipeline("up")
    sync(store, up, pipeline("down", "up"), pipeline("open", "up", cron=None))
    put_run(store, "down", DAY, RunState.WAITING)
    settle(store, up, DAY, RunState.RUNNING, settled=False)
    assert due_now(store) == set()
    assert store.list_runs("open") == []


def test_a_wake_notifies_the_broker_and_an_unwatched_upstream_does_not(store: SqlStore) -> None:
    """``serve`` decides the downstream in its next turn; a lone pipeline wakes no one."""
    up, lone = pipeline("up"), pipeline("lone")
    sync(store, up, lone, pipeline("down", "up"))
    put_run(store, "down", DAY, RunState.WAITING)
    seen = store.broker.count
    settle(store, lone, DAY)
    assert store.broker.count == seen
    settle(store, up, DAY)
    assert store.broker.count != seen


def test_reapplying_a_downstream_moves_its_wakes_to_the_new_upstream(store: SqlStore) -> None:
    """The index follows the config: after a re-apply the old upstream wakes nothing."""
    old, new = pipeline("old"), pipeline("new")
    sync(store, old, new, pipeline("down", "old"))
    sync(store, pipeline("down", "new", version=2))
    put_run(store, "down", DAY, RunState.WAITING)
    settle(store, old, DAY)
    assert due_now(store) == set()
    settle(store, new, DAY, now=NOW + timedelta(minutes=1))
    assert due_now(store, NOW + timedelta(minutes=1)) == {("down", DAY)}


def test_dropping_dependson_empties_the_index(store: SqlStore) -> None:
    """A downstream re-applied without ``dependsOn`` is no longer woken by its old upstream."""
    up = pipeline("up")
    sync(store, up, pipeline("down", "up"))
    sync(store, pipeline("down", version=2))
    put_run(store, "down", DAY, RunState.WAITING)
    settle(store, up, DAY)
    assert due_now(store) == set()


def test_an_upstream_applied_after_its_downstream_is_indexed_in_its_own_zone(
    store: SqlStore,
) -> None:
    """Berlin's daily needs UTC hours: 23:00 UTC on the 23rd belongs to Berlin's 24th.

    Had the index kept the zone it assumed before the upstream was stored (the downstream's
    own), that hour would map to the 23rd.
    """
    sync(store, pipeline("daily", ("hourly", ALL_HOURS), timezone="Europe/Berlin"))
    hourly = pipeline("hourly", cron="0 * * * *", timezone="UTC")
    sync(store, hourly)
    for part in (DAY, NEXT):
        put_run(store, "daily", part)
    settle(store, hourly, "2026-11-23T23")
    assert due_now(store) == {("daily", NEXT)}


def test_another_process_sees_a_reapplied_index(db_url: str, store: SqlStore) -> None:
    """The index is read from the database: a second store routes by what the first applied."""
    up = pipeline("up")
    sync(store, up, pipeline("down", "up"))
    put_run(store, "down", DAY, RunState.WAITING)
    other = SqlStore(db_url)
    try:
        settle(other, up, DAY)
    finally:
        other.close()
    assert due_now(store) == {("down", DAY)}


def test_one_success_with_a_thousand_downstreams_wakes_exactly_those(store: SqlStore) -> None:
    """Fan-out: 1,000 direct downstreams due in the upstream's own transaction."""
    up = pipeline("up")
    downstreams = [pipeline(f"d{i:04d}", "up") for i in range(1000)]
    sync(store, up, *downstreams, pipeline("bystander"))
    for spec in downstreams:
        put_run(store, spec.id, DAY, RunState.WAITING)
        put_run(store, spec.id, NEXT)
    put_run(store, "bystander", DAY, RunState.WAITING)
    started = time.perf_counter()
    settle(store, up, DAY)
    took = time.perf_counter() - started
    assert due_now(store) == {(spec.id, DAY) for spec in downstreams}
    assert took < 2.0, f"waking 1,000 downstreams took {took:.2f} s"  # target 0.5 s; slack


def test_pausing_an_upstream_wakes_the_waiting_runs_of_its_downstreams(store: SqlStore) -> None:
    """A paused required upstream blocks them: they are decided (and say so) now."""
    up = pipeline("up")
    sync(store, up, pipeline("down", "up"), pipeline("other"))
    put_run(store, "down", DAY, RunState.WAITING)
    put_run(store, "down", NEXT)
    put_run(store, "other", DAY, RunState.WAITING)
    store.set_pause("up", Pause(at=NOW, reason="maintenance"), NOW)
    assert due_now(store) == {("down", DAY)}
    later = NOW + timedelta(hours=1)
    store.set_pause("up", None, later)
    assert due_now(store, later) == {("down", DAY)}
