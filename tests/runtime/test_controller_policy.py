"""Controller policy lives in ``ControllerSettings``, and the store applies what it is given."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from runtime_support import World, finish

from interlock.controller.loop import ControllerSettings
from interlock.decide.wake import WATCH_AFTER_SUCCESS
from interlock.model import RunState
from interlock.store import schema as t

SIMPLE = """
pipeline: {id: a}
schedule: {trigger: {key: upstream, check: equals, field: status, value: ready}}
job: {type: mock}
"""


def _watch_until(world: World) -> object:
    with world.il.store.engine.connect() as conn:
        return conn.execute(sa.select(t.runs.c.watch_until)).scalar_one()


def _succeed(world: World) -> datetime:
    """Run ``a`` to success; returns when it finished (its first poll after the job did)."""
    world.put("upstream", pipeline="a", status="ready")
    (launch,) = world.backend.launches
    finish(world, launch.attempt_id, "succeeded", "07:30")
    run = world.run(pipeline="a")
    assert run.state is RunState.SUCCEEDED
    assert run.finished_at is not None
    return run.finished_at


def test_watch_window_defaults_to_the_decide_constant(make_world) -> None:
    """Unset, a succeeded run is watched for :data:`WATCH_AFTER_SUCCESS`."""
    world: World = make_world(SIMPLE)
    finished_at = _succeed(world)
    assert _watch_until(world) == finished_at + WATCH_AFTER_SUCCESS


def test_watch_window_comes_from_the_settings(make_world) -> None:
    """``watch_after_success`` is what the store records for undated wake-ups."""
    world: World = make_world(SIMPLE)
    world.controller = world.il.controller(
        ControllerSettings(workers=0, watch_after_success=timedelta(hours=1))
    )
    finished_at = _succeed(world)
    assert _watch_until(world) == finished_at + timedelta(hours=1)
