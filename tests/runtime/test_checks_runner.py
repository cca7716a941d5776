"""The checker runner through the real SQLite store with a fake clock.

Change-only readings and heartbeats, a failure streak (one event, back-off, recovery), the
partitions that matter, bulk versus per-partition dispatch, and the command checker.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from checks_support import FakeWorld, register_kinds
from runtime_support import World

from interlock.controller.checks import CheckRunner, backoff
from interlock.model.checkers import SensorCheckSpec
from interlock.model.specs import PipelineSpec

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REPORT = """
pipeline: {id: report}
partitions:
  time: {granularity: daily, start: 2026-11-01, end: today, lag: 1d, timezone: UTC}
complete:
  rules: [{key: output, check: gte, field: rows, value: 1}]
job: {type: mock, maxRetries: 1, pollInterval: 1m}
"""
GATE = """
pipeline: {id: gate}
schedule: {trigger: {key: landed, check: equals, field: exists, value: true}}
job: {type: mock}
"""


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeWorld]:
    """The fake checker kinds, registered by entry point, answering from a fresh world."""
    with register_kinds(tmp_path / "site") as world:
        yield world


def _check(pipeline: str | None, key: str, kind: str, **options: Any) -> SensorCheckSpec:
    return SensorCheckSpec(
        key=key,
        kind=kind,
        every=options.pop("every", timedelta(minutes=5)),
        config=options.pop("config", {}),
        pipeline_id=pipeline,
        **options,
    )


def _runner(world: World, *checks: SensorCheckSpec, **options: Any) -> CheckRunner:
    """A runner over ``world``'s store whose pipelines carry ``checks`` as their sensors."""

    def specs() -> Mapping[str, PipelineSpec]:
        loaded = world.il.specs()
        return {
            pid: replace(spec, sensors=tuple(c for c in checks if c.pipeline_id == pid))
            for pid, spec in loaded.items()
        }

    shared = [c for c in checks if c.pipeline_id is None]
    return CheckRunner(world.il.store, specs, world.clock, shared=shared, **options)


def _rows(world: World, pipeline: str, key: str) -> list[dict[str, Any]]:
    return world.il.store.reading_history(key, pipeline_id=pipeline, limit=100_000)


def _failures(world: World) -> list[str]:
    return [e.message for e in world.il.store.list_events(types=["SENSOR_CHECK_FAILED"])]


LAST_5_DAYS = ["2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30"]


def test_bulk_check_asks_the_desired_range_within_the_horizon_once(
    make_world: Callable[..., World], fake: FakeWorld
) -> None:
    """A bulk kind is called once, with the desired partitions of the last ``horizon`` only."""
    world = make_world(REPORT, start=START)
    fake.default = {"rows": 5}
    check = _check("report", "output", "fake-bulk", horizon=timedelta(days=5))
    outcomes = _runner(world, check).run_due()
    assert fake.calls == [tuple(LAST_5_DAYS)]
    assert [o.partition for o in outcomes[0].recorded] == LAST_5_DAYS
    assert len(_rows(world, "report", "output")) == 5


def test_only_changes_are_recorded_and_unchanged_data_waits_for_the_heartbeat(
    make_world: Callable[..., World], fake: FakeWorld
) -> None:
    """Unchanged observations record nothing; one change records one; heartbeat re-records."""
    world = make_world(REPORT, start=START)
    fake.default = {"rows": 5}
    check = _check("report", "output", "fake-bulk", horizon=timedelta(days=5))
    runner = _runner(world, check)
    assert len(runner.run_due()[0].recorded) == 5
    assert runner.run_due() == []  # not due again before ``every``
    world.clock.advance(timedelta(minutes=5))
    assert runner.run_due()[0].recorded == ()
    fake.data["2026-11-28"] = {"rows": 0}
    world.clock.advance(timedelta(minutes=5))
    assert [o.partition for o in runner.run_due()[0].recorded] == ["2026-11-28"]
    world.clock.advance(timedelta(hours=1))
    assert len(runner.run_due()[0].recorded) == 5
    assert len(_rows(world, "report", "output")) == 11


def test_a_restarted_runner_compares_with_the_stored_readings(
    make_world: Callable[..., World], fake: FakeWorld
) -> None:
    """A new process records nothing for observations the store already holds."""
    world = make_world(REPORT, start=START)
    fake.default = {"rows": 5}
    check = _check("report", "output", "fake-bulk", horizon=timedelta(days=5))
    _runner(world, check).run_due()
    world.clock.advance(timedelta(minutes=1))
    fake.data["2026-11-30"] = {"rows": 9}
    again = _runner(world, check).run_due()
    assert [o.partition for o in again[0].recorded] == ["2026-11-30"]


def test_a_failure_streak_says_so_once_backs_off_and_records_nothing(
    make_world: Callable[..., World], fake: FakeWorld
) -> None:
    """Three failures: one SENSOR_CHECK_FAILED, waits of 10, 20, 40 min, no readings."""
    world = make_world(GATE, start=START)
    fake.fail = "connection refused"
    check = _check("gate", "landed", "fake-each", every=timedelta(minutes=5))
    runner = _runner(world, check)
    ran = []
    for _ in range(80):
        outcomes = runner.run_due()
        assert all(o.error == "connection refused" for o in outcomes)
        ran += [world.clock.now() - START for _ in outcomes]
        world.clock.advance(timedelta(minutes=1))
    assert ran == [timedelta(minutes=m) for m in (0, 10, 30, 70)]
    assert _failures(world) == ["check gate/landed failed: connection refused"]
    assert _rows(world, "gate", "landed") == []
    status = world.il.store.checker_statuses()["gate/landed"]
    assert status.failing
    assert status.last_error == "connection refused"


def test_recovery_resets_the_streak_and_the_next_streak_is_said_again(
    make_world: Callable[..., World], fake: FakeWorld
) -> None:
    """After a good check the runner is back to ``every``; a later failure is a new event."""
    world = make_world(GATE, start=START)
    check = _check("gate", "landed", "fake-each", every=timedelta(minutes=5))
    runner = _runner(world, check)
    fake.fail = "HTTP 503"
    runner.run_due()
    fake.fail = None
    fake.data[None] = {"exists": True}
    world.clock.advance(timedelta(minutes=10))
    assert runner.run_due()[0].ok
    status = world.il.store.checker_statuses()["gate/landed"]
    assert (status.failures, status.last_ok_at) == (0, world.clock.now())
    world.clock.advance(timedelta(minutes=5))
    fake.fail = "HTTP 503"
    assert runner.run_due()[0].error == "HTTP 503"
    assert len(_failures(world)) == 2


@pytest.mark.parametrize(
    ("every", "failures", "expected"),
    [
        (timedelta(minutes=5), 0, timedelta(minutes=5)),
        (timedelta(minutes=5), 1, timedelta(minutes=10)),
        (timedelta(minutes=5), 3, timedelta(minutes=40)),
        (timedelta(minutes=5), 10, timedelta(hours=1)),
        (timedelta(hours=2), 5, timedelta(hours=2)),
        (timedelta(minutes=1), 10_000, timedelta(hours=1)),
    ],
)
def test_backoff_doubles_up_to_an_hour(
    every: timedelta, failures: int, expected: timedelta
) -> None:
    """``every`` times 2^n, capped at an hour (or ``every`` itself when that is longer)."""
    assert backoff(every, failures) == expected


def test_secrets_from_the_environment_never_reach_the_event(
    make_world: Callable[..., World], fake: FakeWorld
) -> None:
    """An env value expanded into the config is masked in the failure event and status."""
    world = make_world(GATE, start=START)
    fake.fail = "login as s3cret-token refused"
    check = _check("gate", "landed", "fake-each", config={"url": "https://${env:TOKEN}@x"})
    runner = _runner(world, check, env={"TOKEN": "s3cret-token"})
    runner.run_due()
    assert _failures(world) == ["check gate/landed failed: login as *** refused"]
    assert world.il.store.checker_statuses()["gate/landed"].last_error == "login as *** refused"
    assert fake.configs[0][None] == {"url": "https://s3cret-token@x"}


def test_per_partition_kind_is_called_once_per_open_run_within_its_concurrency(
    make_world: Callable[..., World], fake: FakeWorld
) -> None:
    """Each open run's partition is one call with its own expanded config, ≤ concurrency."""
    world = make_world(GATE, start=START)
    days = ["2026-11-20", "2026-11-25", "2026-11-29", "2026-11-30"]
    for day in days:
        world.il.put_reading("gate", "landed", {"exists": False}, partition=day)
    world.controller.run_until_idle()
    fake.delay = 0.05
    check = _check(
        "gate", "landed", "fake-each", config={"path": "/raw/${date}/_SUCCESS"}, concurrency=2
    )
    _runner(world, check).run_due()
    assert sorted(fake.calls) == [(day,) for day in days]
    assert fake.most_in_flight == 2
    assert sorted(c[p]["path"] for c in fake.configs for p in c) == [
        f"/raw/{day}/_SUCCESS" for day in days
    ]


def test_undated_config_is_checked_once_and_recorded_undated(
    make_world: Callable[..., World], fake: FakeWorld
) -> None:
    """Without a per-partition template the check is asked about ``None`` only."""
    world = make_world(GATE, start=START)
    fake.data[None] = {"exists": True}
    _runner(world, _check("gate", "landed", "fake-each", config={"url": "s3://b/flag"})).run_due()
    assert fake.calls == [(None,)]
    seen = world.il.store.load_readings(world.il.spec("gate"), "2026-12-01").view("2026-12-01")
    assert (seen["landed"].partition, dict(seen["landed"].data)) == (None, {"exists": True})


def test_a_shared_checker_asks_the_partitions_of_every_pipeline_reading_its_key(
    make_world: Callable[..., World], fake: FakeWorld
) -> None:
    """A shared bulk checker covers the partitions of the pipelines whose rules read it."""
    world = make_world(REPORT, GATE, start=START)
    fake.default = {"rows": 1}
    check = _check(None, "output", "fake-bulk", horizon=timedelta(days=2))
    outcome = _runner(world, check).run_due()
    assert fake.calls == [("2026-11-29", "2026-11-30")]
    assert len(outcome[0].recorded) == 2
    assert len(world.il.store.reading_history("output", limit=10)) == 2


def test_command_checker_readings_launch_the_run(
    make_world: Callable[..., World], fake: FakeWorld
) -> None:
    """A ``command`` check printing ``exists: true`` for an open partition launches its run."""
    world = make_world(GATE, start=START)
    world.il.put_reading("gate", "landed", {"exists": False}, partition="2026-11-30")
    world.controller.run_until_idle()
    code = "import json,sys; print(json.dumps({'exists': True, 'day': sys.argv[1]}))"
    check = _check(
        "gate", "landed", "command", config={"command": [sys.executable, "-c", code, "${date}"]}
    )
    outcome = _runner(world, check).run_due()
    assert [(o.partition, dict(o.data)) for o in outcome[0].recorded] == [
        ("2026-11-30", {"exists": True, "day": "2026-11-30"})
    ]
    world.controller.run_until_idle()
    assert [r.attempt_id.split("/")[1] for r in world.backend.launches] == ["2026-11-30"]
    assert fake.calls == []


@pytest.mark.usefixtures("fake")
def test_unknown_kind_fails_the_check_visibly(make_world: Callable[..., World]) -> None:
    """A kind nobody registered is a failed check with the did-you-mean, not a crash."""
    world = make_world(GATE, start=START)
    outcome = _runner(world, _check("gate", "landed", "fake-eahc")).run_due()
    assert outcome[0].error is not None
    assert "did you mean 'fake-each'?" in outcome[0].error
    assert len(_failures(world)) == 1
