"""SLA at risk in ``simulate``: the prediction learns durations from the simulated successes.

The graph simulation loads what the store loads for a run with an SLA deadline: each
upstream's expected duration (the median of its simulated successes, else its
``sla.expectedDuration``), the pipeline's own, and the chain further up.
"""

from __future__ import annotations

import textwrap

from graph_support import at

from interlock.config import parse_pipeline
from interlock.simulation.graph import GraphSimulation

RAW = """
pipeline: {id: raw}
schedule: {cron: "0 5 * * *", timezone: UTC, evaluation: {window: 6h}}
job: {type: command, config: {command: ["true"]}, maxRetries: 1, jobPollWindowSeconds: 43200}
sla: {expectedDuration: 2h}
"""

REPORT = """
pipeline: {id: report}
dependsOn: [raw]
sla: {deadline: "08:00", timezone: UTC, expectedDuration: 30m}
job: {type: command, config: {command: ["true"]}}
"""


def graph() -> GraphSimulation:
    """Raw (cron 05:00, about 2 h) → report (due 08:00, about 30 m)."""
    specs = [
        parse_pipeline(textwrap.dedent(text), source=f"{name}.yaml")
        for name, text in (("raw", RAW), ("report", REPORT))
    ]
    return GraphSimulation(specs, start=at("00:00"))


def at_risk(sim: GraphSimulation) -> list[dict[str, object]]:
    """The details of every SLA_AT_RISK said so far."""
    return [dict(e.detail) for e in sim.events if e.type == "SLA_AT_RISK"]


def test_a_late_upstream_puts_the_report_at_risk_hours_before_its_deadline():
    """Raw launched at 06:00 (2 h) + report's 30 m = 08:30 > 08:00: said at 06:00 already."""
    sim = graph()
    sim.advance_to(at("04:00"))
    sim.rerun("2026-11-23", pipeline="report", at=at("04:00"))  # the report's run is open
    sim.advance_to(at("06:00"))
    assert at_risk(sim) == []  # raw has not launched: 05:00 + 2 h + 30 m = 07:30
    sim.job_outcome("failed", pipeline="raw", at=at("06:00"))  # a retry launches at 06:00
    sim.advance_to(at("06:10"))  # the report's next check
    risks = at_risk(sim)
    assert len(risks) == 1
    assert risks[0]["predictedFinish"] == at("08:30").isoformat()
    assert risks[0]["criticalPath"] == ["raw"]
