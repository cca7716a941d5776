"""Scout24 (seed 001): pipeline-x runs when listings and searches are really done.

Through :class:`~interlock.simulation.graph.GraphSimulation`: the same ``decide()`` as the
controller, every pipeline on one virtual clock.
"""

from __future__ import annotations

import pytest
from graph_support import at, dep, depending, launches, of, spec

from interlock.model import RunState
from interlock.simulation.graph import GraphSimulation

LISTINGS = spec("listings", cron="0 6 * * *")
SEARCHES = spec("searches", cron="0 6 * * *")
PIPELINE_X = depending(spec("pipeline-x"), ["listings", "searches"])
FALLBACK = depending(spec("fallback"), [dep("listings", statuses=[RunState.FAILED])])


def graph() -> GraphSimulation:
    """listings, searches, pipeline-x (needs both) and a fallback (needs listings FAILED)."""
    return GraphSimulation([LISTINGS, SEARCHES, PIPELINE_X, FALLBACK], start=at("00:00"))


@pytest.mark.parametrize(("first", "second"), [("listings", "searches"), ("searches", "listings")])
def test_pipeline_x_launches_once_right_after_the_second_upstream(first: str, second: str) -> None:
    """Either order: one launch, at the second success; explain names the one still running."""
    sim = graph()
    sim.job_outcome("succeeded", at=at("06:20"), pipeline=first)
    assert launches(sim.events, "pipeline-x") == []
    explanation = sim.explain("pipeline-x", "2026-11-23")
    assert explanation is not None
    assert f"{second}: RUNNING attempt 1 since 06:00 UTC" in explanation.waiting_for
    sim.job_outcome("succeeded", at=at("06:45"), pipeline=second)
    sim.advance_to(at("23:00"))
    (launch,) = launches(sim.events, "pipeline-x")
    assert launch.at == at("06:45")
    arrived = [e.detail["dependency"] for e in of(sim.events, "pipeline-x", "DEPENDENCY_ARRIVED")]
    assert arrived == [first, second]
    assert launches(sim.events, "fallback") == []  # listings did not fail


def test_listings_failing_for_good_propagates_and_the_fallback_runs() -> None:
    """UPSTREAM_FAILED once at the failure, no launch of pipeline-x; the fallback launches."""
    sim = graph()
    sim.job_outcome("succeeded", at=at("06:20"), pipeline="searches")
    sim.job_outcome(
        "failed", at=at("06:30"), pipeline="listings", category="PERMANENT", message="bad SQL"
    )
    sim.advance_to(at("23:59"))
    assert sim.runs("listings")["2026-11-23"].state is RunState.FAILED
    (failed,) = of(sim.events, "pipeline-x", "UPSTREAM_FAILED")
    assert failed.at == at("06:30")
    assert failed.detail["upstream"] == "listings"
    assert failed.detail["upstreamAttempt"] == 1
    assert launches(sim.events, "pipeline-x") == []
    (fallback,) = launches(sim.events, "fallback")
    assert fallback.at == at("06:30")


def test_listings_fixed_and_rerun_reruns_pipeline_x_once_by_itself() -> None:
    """The upstream rerun succeeding reruns pipeline-x once by itself (upstream-rerun)."""
    sim = graph()
    sim.job_outcome("succeeded", at=at("06:20"), pipeline="listings")
    sim.job_outcome("succeeded", at=at("06:30"), pipeline="searches")
    sim.job_outcome("succeeded", at=at("07:00"), pipeline="pipeline-x")
    sim.rerun("2026-11-23", at=at("09:00"), pipeline="listings", reason="fix")
    sim.job_outcome("succeeded", at=at("09:20"), pipeline="listings")
    sim.job_outcome("succeeded", at=at("09:50"), pipeline="pipeline-x")
    sim.advance_to(at("23:59"))
    (accepted,) = of(sim.events, "pipeline-x", "RERUN_ACCEPTED")
    assert accepted.at == at("09:20")
    assert accepted.detail["reason"] == "upstream-rerun"
    assert accepted.detail["upstreamAttempts"] == ["listings/2026-11-23/2"]
    assert [e.at for e in launches(sim.events, "pipeline-x")] == [at("06:30"), at("09:20")]
    assert sim.runs("pipeline-x")["2026-11-23"].state is RunState.SUCCEEDED
