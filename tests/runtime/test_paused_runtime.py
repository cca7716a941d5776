"""A paused pipeline on the real controller and store, with the fake clock."""

from __future__ import annotations

from collections.abc import Callable

from runtime_support import GOLD, World, at


def test_a_paused_pipeline_with_ready_readings_launches_after_resume(
    make_world: Callable[..., World],
) -> None:
    """Ready readings while paused launch nothing, SLA alerts still fire; resume launches."""
    world = make_world(GOLD)
    world.il.pause("gold-revenue", reason="maintenance")
    world.step("08:00")
    world.put("row-count", count=1500)
    world.put("upstream-complete", status="ready")
    world.step("08:20")
    assert world.run().state.value == "WAITING"
    assert world.il.attempts("gold-revenue") == []
    assert "JOB_TRIGGERED" not in world.types()
    explained = world.il.explain("gold-revenue")
    assert explained.explanation.summary.startswith("paused since")
    world.il.resume("gold-revenue")
    world.controller.run_until_idle()  # due at once: no clock move needed
    assert world.clock.now() == at("08:20")
    assert [a.attempt for a in world.il.attempts("gold-revenue")] == [1]
    assert world.types()[-1] == "JOB_TRIGGERED"


def test_sla_warning_fires_while_paused(make_world: Callable[..., World]) -> None:
    """The data is still late: a paused pipeline's run still warns at its SLA."""
    world = make_world(GOLD.replace("window: 1h", "window: 3h"))
    world.il.pause("gold-revenue")
    world.step("08:00")
    world.put("upstream-complete", status="ready")
    world.put("row-count", count=1500)
    world.step("09:50")
    assert "SLA_WARNING" in world.types()
    assert world.run().state.value == "WAITING"
    assert world.il.attempts("gold-revenue") == []
