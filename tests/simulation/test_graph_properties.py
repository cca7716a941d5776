"""Invariants of the graph simulation over random DAGs and random completion orders."""

from __future__ import annotations

from datetime import timedelta

from graph_support import at, depending, spec
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.model import RunState
from interlock.model.specs import PipelineSpec
from interlock.simulation.graph import GraphSimulation

DAY = "2026-11-23"


@st.composite
def dags(draw: st.DrawFn) -> list[PipelineSpec]:
    """Up to 8 pipelines; each may depend on any earlier one (so no cycle); sources run by cron."""
    size = draw(st.integers(min_value=2, max_value=8))
    specs: list[PipelineSpec] = []
    for number in range(size):
        earlier = [f"p{i}" for i in range(number)]
        parents = draw(st.lists(st.sampled_from(earlier), unique=True)) if earlier else []
        if parents:
            specs.append(depending(spec(f"p{number}"), sorted(parents)))
        else:
            specs.append(spec(f"p{number}", cron="0 6 * * *"))
    return specs


@settings(max_examples=60, deadline=None)
@given(specs=dags(), data=st.data())
def test_every_pipeline_launches_once_and_never_before_its_upstreams(
    specs: list[PipelineSpec], data: st.DataObject
) -> None:
    """Each pipeline launches once, after every upstream's JOB_COMPLETED."""
    sim = GraphSimulation(specs, start=at("00:00"))
    moment = at("06:00")
    sim.advance_to(moment)
    while True:
        running = sorted(
            pid
            for pid in sim.sims
            if sim.runs(pid).get(DAY, None) is not None
            and sim.runs(pid)[DAY].state is RunState.RUNNING
        )
        if not running:
            break
        moment += timedelta(minutes=data.draw(st.integers(min_value=0, max_value=30)))
        sim.job_outcome("succeeded", at=moment, pipeline=data.draw(st.sampled_from(running)))
    sim.advance_to(at("23:59"))
    order = [(e.type, e.pipeline_id) for e in sim.events if e.partition == DAY]
    for item in specs:
        launched = [
            n for n, (kind, pid) in enumerate(order) if kind == "JOB_TRIGGERED" and pid == item.id
        ]
        assert len(launched) == 1, (item.id, order)
        assert sim.runs(item.id)[DAY].state is RunState.SUCCEEDED
        for upstream in item.upstream_ids:
            done = order.index(("JOB_COMPLETED", upstream))
            assert done < launched[0], (item.id, upstream, order)
