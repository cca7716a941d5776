"""A controller round commits its decisions together and launches only what was committed.

One upstream success can wake a thousand downstreams; committing their decisions in a few
transactions instead of a thousand is what keeps that fan-out under half a second
(``benchmarks/dependencies.py``). These tests pin what the batching must never change:
every decision is still checked on its own, nothing is launched on a decision that was not
committed, and a run whose decision cannot be stored costs only itself.
"""

from __future__ import annotations

import pytest
from runtime_support import World

from interlock.controller.loop import ControllerSettings
from interlock.model import RunState
from interlock.store.sqlalchemy import SqlStore

PIPELINES = [f"p{i}" for i in range(5)]
TRIGGERED = """
pipeline: {{id: {id}}}
schedule:
  trigger: {{key: go, check: equals, field: status, value: ready}}
job: {{type: mock, maxRetries: 0}}
"""


@pytest.fixture
def world(make_world) -> World:
    """Five pipelines opened and launched by the same shared trigger reading."""
    built: World = make_world(*(TRIGGERED.format(id=p) for p in PIPELINES))
    built.controller.settings = ControllerSettings(workers=0, apply_batch=50)
    built.controller.run_until_idle()
    return built


def _trigger(world: World) -> None:
    for pipeline in PIPELINES:
        world.il.put_reading(pipeline, "go", {"status": "ready"})


def _count_transactions(monkeypatch, store: SqlStore) -> list[int]:
    """Record the size of every ``apply_many`` batch (the store itself does the work)."""
    sizes: list[int] = []
    real = store.apply_many

    def counted(items, **options):
        sizes.append(len(items))
        return real(items, **options)

    monkeypatch.setattr(store, "apply_many", counted)
    return sizes


def test_a_round_commits_its_launch_decisions_in_one_transaction(world, monkeypatch) -> None:
    """Five runs woken together: one commit for their five launch decisions, five launches."""
    sizes = _count_transactions(monkeypatch, world.il.store)
    _trigger(world)
    world.controller.run_once()
    assert sizes == [5]
    assert sorted(r.pipeline_id for r in world.backend.launches) == PIPELINES


def test_batches_are_no_larger_than_apply_batch(world, monkeypatch) -> None:
    """``apply_batch`` bounds how long one transaction keeps other writers waiting."""
    world.controller.settings = ControllerSettings(workers=0, apply_batch=2)
    sizes = _count_transactions(monkeypatch, world.il.store)
    _trigger(world)
    world.controller.run_once()
    assert sizes == [2, 2, 1]
    assert len(world.backend.launches) == len(PIPELINES)


def test_a_decision_that_cannot_be_stored_costs_only_its_own_run(world, monkeypatch) -> None:
    """The batch fails as a whole, is applied one by one: four launch, the fifth waits."""
    store = world.il.store
    real = store._apply_in  # a fault injected into the real store's write

    def broken_for_p2(conn, item, *args):
        if item.decision.run.pipeline_id == "p2":
            raise RuntimeError("disk said no")
        return real(conn, item, *args)

    monkeypatch.setattr(store, "_apply_in", broken_for_p2)
    _trigger(world)
    world.controller.run_once()
    launched = sorted(r.pipeline_id for r in world.backend.launches)
    assert launched == ["p0", "p1", "p3", "p4"]
    stuck = store.get_run("p2", "2026-11-23")
    assert stuck is not None
    assert stuck.state is not RunState.LAUNCHING
    monkeypatch.undo()
    world.controller.run_until_idle()  # same clock: due at once, its lease was released
    assert sorted(r.pipeline_id for r in world.backend.launches) == PIPELINES
    assert [r.attempt_id for r in world.backend.launches].count("p2/2026-11-23/1") == 1


def test_nothing_is_launched_when_the_whole_batch_is_lost(world, monkeypatch) -> None:
    """Launches go out after the commit: a store that refuses every write launches nothing."""
    store = world.il.store

    def refuse(*_args, **_options):
        raise RuntimeError("database gone")

    monkeypatch.setattr(store, "_apply_in", refuse)
    _trigger(world)
    world.controller.run_once()
    assert world.backend.launches == []
    assert {world.run(pipeline=p).state for p in PIPELINES} <= {RunState.PENDING, RunState.WAITING}


def test_each_decision_of_a_batch_is_checked_against_its_own_run(world, monkeypatch) -> None:
    """A reading that lands between decide and commit drops only that run's decision."""
    store = world.il.store
    real = store.apply_many
    landed: list[bool] = []

    def reading_lands_first(items, **options):
        if not landed:
            landed.append(True)
            world.il.put_reading("p3", "go", {"status": "ready", "note": "rewritten"})
        return real(items, **options)

    monkeypatch.setattr(store, "apply_many", reading_lands_first)
    _trigger(world)
    world.controller.run_once()
    assert sorted(r.pipeline_id for r in world.backend.launches) == ["p0", "p1", "p2", "p4"]
    world.controller.run_until_idle()
    attempts = [r.attempt_id for r in world.backend.launches]
    assert attempts.count("p3/2026-11-23/1") == 1
    assert len(attempts) == len(PIPELINES)


def test_a_backend_that_raises_midway_leaves_the_others_recorded(world, monkeypatch) -> None:
    """A bug in one launch call: the others' answers are still recorded; it is asked again."""
    backend = world.backend
    real = backend.launch
    failed: list[str] = []

    def raises_once_for_p1(request):
        if request.pipeline_id == "p1" and not failed:
            failed.append(request.attempt_id)
            raise RuntimeError("backend bug")
        return real(request)

    monkeypatch.setattr(backend, "launch", raises_once_for_p1)
    _trigger(world)
    world.controller.run_once()
    assert failed == ["p1/2026-11-23/1"]
    others = [p for p in PIPELINES if p != "p1"]
    assert all(
        world.run(pipeline=p).attempt_id in {r.attempt_id for r in backend.launches} for p in others
    )
    assert world.run(pipeline="p1").state is RunState.LAUNCHING
    world.controller.run_until_idle()  # released: recovered through the backend, launched once
    assert [r.attempt_id for r in backend.launches].count("p1/2026-11-23/1") == 1
    assert {world.run(pipeline=p).state for p in PIPELINES} == {RunState.RUNNING}
