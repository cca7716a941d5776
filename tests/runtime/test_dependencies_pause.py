"""A paused upstream, end to end from YAML: its downstreams hear of it at once.

After its evaluation window a run waiting for upstreams is not polled: it is woken when
something it depends on changes. Pausing a required upstream is such a change: the run is
blocked from then on, which its SLA deadline counts as at risk — said at the pause.
"""

from __future__ import annotations

from runtime_support import World, at

UP = """
pipeline: {id: up}
schedule: {cron: "0 9 * * *", timezone: UTC}
job: {type: mock}
"""
DOWN = """
pipeline: {id: down}
schedule:
  cron: "0 6 * * *"
  timezone: UTC
  evaluation: {window: 1h, interval: 5m}
dependsOn: [up]
sla: {deadline: "12:00", expectedDuration: 30m}
job: {type: mock}
"""


def test_pausing_a_required_upstream_puts_the_deadline_at_risk_at_once(make_world) -> None:
    """At 08:00, long after down's window closed, pausing up says SLA_AT_RISK at 08:00."""
    world: World = make_world(UP, DOWN, start=at("05:00"))
    world.step("08:00")
    assert world.run("2026-11-23", "down").state.value == "WAITING"
    assert not [e for e in world.events("down") if e.type == "SLA_AT_RISK"]
    world.il.pause("up", reason="maintenance")
    world.controller.run_until_idle()
    (at_risk,) = [e for e in world.events("down") if e.type == "SLA_AT_RISK"]
    assert at_risk.at == at("08:00")
    assert "up is paused" in (at_risk.detail.get("blocked") or "")
