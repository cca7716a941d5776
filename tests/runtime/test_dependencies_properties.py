"""Random DAGs through the real store and controller: every pipeline launches exactly once.

For random graphs (pipelines opened by their own cron, or only by their upstreams) and random
completion orders of the jobs, each pipeline launches once for the day, and never before every
upstream it depends on has succeeded. Nothing polls for dependencies here: a lost wake-up
would leave a pipeline unlaunched (or, with no schedule of its own, without a run at all).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from dependencies_support import DAY, Graph, at, build, depending, spec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.model.specs import PipelineSpec


@st.composite
def dags(draw: st.DrawFn) -> list[PipelineSpec]:
    """2 to 6 pipelines, each depending on any earlier ones; roots (and some others) have a cron."""
    count = draw(st.integers(2, 6))
    specs: list[PipelineSpec] = []
    for i in range(count):
        needs = sorted(draw(st.sets(st.integers(0, i - 1))) if i else set())
        scheduled = not needs or draw(st.booleans())
        base = spec(f"p{i}", cron="0 6 * * *" if scheduled else None)
        specs.append(depending(base, [f"p{n}" for n in needs]) if needs else base)
    return specs


def _unfinished(graph: Graph, done: set[str]) -> list[str]:
    return sorted(r.pipeline_id for r in graph.backend.launches if r.pipeline_id not in done)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=dags(), order=st.randoms(use_true_random=False))
def test_every_pipeline_launches_once_and_never_before_its_upstreams(
    specs: list[PipelineSpec], order: object
) -> None:
    """Jobs finish one by one in a random order, a minute apart, until none is running."""
    with tempfile.TemporaryDirectory() as tmp:
        graph = build(Path(tmp), specs, at("05:00"))
        try:
            graph.step("06:00")
            done: set[str] = set()
            minute = 0
            while running := _unfinished(graph, done):
                pick = order.choice(running)  # type: ignore[attr-defined]
                minute += 1
                graph.step(at(f"06:{minute:02d}"))
                graph.report(pick)
                graph.controller.run_until_idle()
                done.add(pick)
            _check(graph, specs)
        finally:
            graph.il.close()


def _check(graph: Graph, specs: list[PipelineSpec]) -> None:
    """Once each; each launch after every upstream's completion (events in write order)."""
    events = graph.il.store.list_events(limit=10_000)
    position = {(e.pipeline_id, e.type): i for i, e in enumerate(events) if e.partition == DAY}
    for s in specs:
        assert graph.launches(s.id) == [f"{s.id}/{DAY}/1"], f"{s.id} launches"
        needs = s.depends_on.upstream_ids if s.depends_on else frozenset()
        for upstream in needs:
            assert position[(upstream, "JOB_COMPLETED")] < position[(s.id, "JOB_TRIGGERED")], (
                f"{s.id} launched before {upstream} completed"
            )
