"""A steady stream of sensor readings must not make the controller plan runs ahead of time.

Reproduces the runaway reported against the first runtime: every undated reading woke every
PENDING run of the pipeline, each decision of a PENDING run planned its successor, and the
runs table grew by one future day per controller round.
"""

from __future__ import annotations

from datetime import timedelta

from runtime_support import GOLD, World, at

from interlock.model import RunState


def future_runs(world: World) -> list[str]:
    """Partitions of gold-revenue's runs that are still PENDING (planned, not open)."""
    runs = world.il.store.list_runs("gold-revenue", limit=10_000)
    return sorted(r.partition for r in runs if r.state is RunState.PENDING)


def test_readings_before_the_fire_plan_nothing_ahead(make_world) -> None:
    """Many undated readings before the cron fire leave only the one expected run."""
    world: World = make_world(GOLD, start=at("06:00"))
    for minute in range(120):
        world.clock.set(at("06:00") + timedelta(seconds=30 * minute))
        world.put("row-count", count=minute)
    assert future_runs(world) == ["2026-11-23"]
    assert len(world.il.store.list_runs("gold-revenue", limit=10_000)) == 1


def test_a_week_of_readings_every_minute_keeps_one_planned_run(make_world) -> None:
    """Soak on a fake clock: a reading a minute for a simulated week.

    At every moment at most one future run is planned per schedule, and every day still
    gets its run (the chain of expected runs is not broken by the fix).
    """
    start = at("00:00")
    world: World = make_world(GOLD, start=start)
    worst = 0
    for minute in range(7 * 24 * 60):
        now = start + timedelta(minutes=minute)
        world.step(now)
        if minute % 10 == 0:
            world.il.put_reading("gold-revenue", "row-count", {"count": minute})
            world.controller.run_until_idle()
        if minute % 60 == 0:
            pending = future_runs(world)
            worst = max(worst, len(pending))
            assert len(pending) <= 1, (now, pending)
    days = {r.partition for r in world.il.store.list_runs("gold-revenue", limit=10_000)}
    assert days == {f"2026-11-{d}" for d in range(23, 31)}
    assert worst == 1


def test_a_reading_wakes_only_the_runs_it_can_change(make_world) -> None:
    """A validation reading leaves a PENDING run asleep until its fire; a trigger wakes today's.

    A PENDING run only looks at its trigger, so waking it for any other key is wasted work
    (and was what let planning run away).
    """
    world: World = make_world(GOLD, start=at("06:00"))
    world.il.put_reading("gold-revenue", "row-count", {"count": 5})
    assert world.run().next_check_at == at("08:00")
    assert world.il.store.next_due_at() == at("08:00")
    world.il.put_reading("gold-revenue", "upstream-complete", {"status": "waiting"})
    assert world.run().next_check_at == at("06:00")
    world.controller.run_until_idle()
    assert world.run().state is RunState.PENDING
    assert world.run().next_check_at == at("08:00")


def test_an_open_run_is_woken_by_any_of_its_readings(make_world) -> None:
    """Once the window is open, every reading the rules read makes the run due at once."""
    world: World = make_world(GOLD, start=at("07:59"))
    world.step("08:01")
    assert world.run().state is RunState.WAITING
    world.il.put_reading("gold-revenue", "row-count", {"count": 5})
    assert world.run().next_check_at == at("08:01")
