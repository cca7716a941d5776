"""``examples/dependencies`` applied from YAML and served end to end (jobs on the mock backend).

The whole path a user takes: ``apply`` parses ``dependsOn`` and stores the dependency index
beside the configs, the controller loads the upstreams' runs for each decision, and an
upstream's final state wakes (and here opens) the downstream's run in the same transaction.
"""

from __future__ import annotations

from pathlib import Path

from runtime_support import World, at

from interlock.model import OpenedBy, RunState

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dependencies"
DAY = "2026-11-23"


def example(make_world) -> World:
    """The four example pipelines at 04:00 UTC (05:00 in Berlin)."""
    documents = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLE.glob("*.yaml"))]
    return make_world(*documents, start=at("04:00"))


def finish(world: World, attempt_id: str, when: str) -> None:
    """The mock job succeeds; its next poll, by ``when``, sees it."""
    world.statuses[attempt_id] = "succeeded"
    world.step(when)


def test_pipeline_x_runs_from_the_yaml_once_both_inputs_succeeded(make_world) -> None:
    """Searches then listings: pipeline-x's run is opened by the first, launched by the second."""
    world = example(make_world)
    world.step("05:10")  # listings' cron (06:00 in Berlin) has opened its run
    world.put("listings-landed", pipeline="listings", status="ready")
    world.put("searches-landed", pipeline="searches", status="ready")
    launched = {r.attempt_id for r in world.backend.launches}
    assert launched == {f"listings/{DAY}/1", f"searches/{DAY}/1"}
    finish(world, f"searches/{DAY}/1", "05:40")
    run = world.run(DAY, "pipeline-x")
    assert (run.state, run.opened_by) == (RunState.WAITING, OpenedBy.UPSTREAM)
    finish(world, f"listings/{DAY}/1", "06:10")
    x = [r for r in world.backend.launches if r.pipeline_id == "pipeline-x"]
    assert [r.attempt_id for r in x] == [f"pipeline-x/{DAY}/1"]
    (triggered,) = [e for e in world.events("pipeline-x") if e.type == "JOB_TRIGGERED"]
    listings_done = world.run(DAY, "listings").finished_at
    assert listings_done is not None
    assert triggered.at == listings_done
    (attempt,) = world.il.attempts("pipeline-x", DAY)
    assert attempt.inputs == {
        "upstream:listings": [f"listings/{DAY}/1"],
        "upstream:searches": [f"searches/{DAY}/1"],
    }
    world.step("23:00")
    assert not [r for r in world.backend.launches if r.pipeline_id == "pipeline-x-fallback"]
