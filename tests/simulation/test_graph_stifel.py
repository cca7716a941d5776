"""Stifel (seed 002): datasets built from raw data and from each other, across domains.

DS1 ← RD1 + RD2, DS2 ← RD3, DS3 ← DS1 + DS2, DS4 ← DS3 + d2-ds1 (another domain's product).
Raw data lands at different times; every dataset launches once, as soon as its inputs are
complete, and DS4's explanation names what it waits for at every step.
"""

from __future__ import annotations

from graph_support import at, depending, launches, spec

from interlock.model.specs import PipelineSpec
from interlock.simulation.graph import GraphSimulation

DAY = "2026-11-23"
RAW_CRON = "0 5 * * *"


def raw(pipeline_id: str) -> PipelineSpec:
    """A raw dataset: its run succeeds (no job) once its landing sensor says ready."""
    rules = (
        "schedule: {cron: '0 5 * * *', timezone: UTC, evaluation: {window: 12h, interval: 1h}}\n"
        f"validation: {{rules: [{{key: {pipeline_id}-landed, check: equals, field: status, "
        "value: ready}]}"
    )
    return spec(pipeline_id, job=False, extra=rules)


PIPELINES = [
    raw("rd1"),
    raw("rd2"),
    raw("rd3"),
    spec("d2-ds1", cron=RAW_CRON),
    depending(spec("ds1"), ["rd1", "rd2"]),
    depending(spec("ds2"), ["rd3"]),
    depending(spec("ds3"), ["ds1", "ds2"]),
    depending(spec("ds4", cron=RAW_CRON), ["ds3", "d2-ds1"]),
]


def waiting(sim: GraphSimulation) -> str:
    """DS4's ``waiting_for`` as ``explain`` shows it now."""
    explanation = sim.explain("ds4", DAY)
    assert explanation is not None
    return explanation.waiting_for


def dependency_states(sim: GraphSimulation) -> dict[str, str]:
    """DS4's dependency label → status as ``explain`` shows it now."""
    explanation = sim.explain("ds4", DAY)
    assert explanation is not None
    assert explanation.dependencies is not None
    return {c["label"]: c["status"] for c in explanation.dependencies["checks"]}


def test_every_dataset_launches_once_as_soon_as_its_inputs_are_complete() -> None:
    """Launch times follow the inputs; DS4's explanation follows them step by step."""
    sim = GraphSimulation(PIPELINES, start=at("00:00"))
    sim.advance_to(at("05:00"))
    assert waiting(sim) == (
        "ds3: no run for 2026-11-23 yet; d2-ds1: RUNNING attempt 1 since 05:00 UTC"
    )
    sim.put_reading("rd1-landed", {"status": "ready"}, at=at("06:00"), partition=DAY)
    sim.put_reading("rd3-landed", {"status": "ready"}, at=at("06:30"), partition=DAY)
    assert waiting(sim) == (
        "ds3: no run for 2026-11-23 yet; d2-ds1: RUNNING attempt 1 since 05:00 UTC"
    )
    sim.job_outcome("succeeded", at=at("07:00"), pipeline="d2-ds1")
    assert dependency_states(sim) == {"ds3": "WAITING", "d2-ds1": "ARRIVED"}
    assert waiting(sim) == "ds3: no run for 2026-11-23 yet"
    sim.job_outcome("succeeded", at=at("07:10"), pipeline="ds2")
    assert waiting(sim) == (  # what ds3 waits for, and what that waits for: transitive
        "ds3: WAITING: ds1: WAITING: rd2: WAITING: "
        "sensor key rd2-landed does not exist (no reading for 2026-11-23)"
    )
    sim.put_reading("rd2-landed", {"status": "ready"}, at=at("08:00"), partition=DAY)
    sim.job_outcome("succeeded", at=at("08:30"), pipeline="ds1")
    assert waiting(sim) == "ds3: RUNNING attempt 1 since 08:30 UTC"
    sim.job_outcome("succeeded", at=at("09:00"), pipeline="ds3")
    sim.job_outcome("succeeded", at=at("09:40"), pipeline="ds4")
    sim.advance_to(at("23:59"))
    first = {
        pid: [e.at for e in launches(sim.events, pid)]
        for pid in ("d2-ds1", "ds1", "ds2", "ds3", "ds4")
    }
    assert first == {
        "d2-ds1": [at("05:00")],
        "ds1": [at("08:00")],
        "ds2": [at("06:30")],
        "ds3": [at("08:30")],
        "ds4": [at("09:00")],
    }
    assert dependency_states(sim) == {"ds3": "ARRIVED", "d2-ds1": "ARRIVED"}
    assert waiting(sim) == ""
