"""Scout24 (seed 001) end to end: the real SQLite store, the real controller, a fake clock.

listings and searches run at 06:00; pipeline-x has no schedule of its own and runs when both
have really succeeded; a fallback runs when listings fails for good. Every wake-up here is the
store's: an upstream's decision that settles its run makes the downstream due in the same
transaction, and the controller decides it at the same instant, without a poll.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dependencies_support import DAY, Graph, at, build, depending, spec

from interlock.model import RunState
from interlock.model.dependencies import Dependency

LISTINGS = spec("listings", cron="0 6 * * *")
SEARCHES = spec("searches", cron="0 6 * * *")
PIPELINE_X = depending(spec("pipeline-x"), ["listings", "searches"])
FALLBACK = depending(
    spec("fallback"), [Dependency(pipeline="listings", statuses=frozenset({RunState.FAILED}))]
)


def scout24(tmp_path: Path) -> Graph:
    """The four pipelines, at 06:00 with listings and searches running."""
    graph = build(tmp_path, [LISTINGS, SEARCHES, PIPELINE_X, FALLBACK], at("05:00"))
    graph.step("06:00")
    assert graph.launches("listings") == ["listings/2026-11-23/1"]
    assert graph.launches("searches") == ["searches/2026-11-23/1"]
    return graph


@pytest.mark.parametrize(("first", "second"), [("listings", "searches"), ("searches", "listings")])
def test_pipeline_x_launches_once_right_after_the_second_success(
    tmp_path: Path, first: str, second: str
) -> None:
    """Either order: one launch, at the very moment the second upstream succeeds."""
    graph = scout24(tmp_path)
    graph.step("06:20")
    graph.report(first)
    graph.controller.run_until_idle()
    assert graph.launches("pipeline-x") == []
    assert graph.state("pipeline-x") is RunState.WAITING
    graph.step("06:45")
    graph.report(second)
    graph.controller.run_until_idle()
    assert graph.launches("pipeline-x") == ["pipeline-x/2026-11-23/1"]
    (triggered,) = graph.events("pipeline-x", "JOB_TRIGGERED")
    assert triggered.at == at("06:45")
    arrived = [e.detail["dependency"] for e in graph.events("pipeline-x", "DEPENDENCY_ARRIVED")]
    assert arrived == [first, second]
    graph.step("23:00")
    assert graph.launches("pipeline-x") == ["pipeline-x/2026-11-23/1"]
    assert graph.launches("fallback") == []


def test_the_launch_records_the_upstream_attempts_it_consumed(tmp_path: Path) -> None:
    """Provenance: the attempt's inputs name the upstream attempt each dependency matched."""
    graph = scout24(tmp_path)
    graph.report("listings")
    graph.report("searches")
    graph.controller.run_until_idle()
    (attempt,) = graph.il.attempts("pipeline-x", DAY)
    assert attempt.inputs == {
        "upstream:listings": ["listings/2026-11-23/1"],
        "upstream:searches": ["searches/2026-11-23/1"],
    }


def test_listings_failing_for_good_propagates_and_the_fallback_runs(tmp_path: Path) -> None:
    """UPSTREAM_FAILED once, at the failure; pipeline-x never launches; the fallback does."""
    graph = scout24(tmp_path)
    graph.report("searches")
    graph.step("06:30")
    graph.report("listings", "failed")
    graph.controller.run_until_idle()
    assert graph.state("listings") is RunState.FAILED
    (failed,) = graph.events("pipeline-x", "UPSTREAM_FAILED")
    assert (failed.at, failed.detail["upstream"], failed.detail["upstreamAttempt"]) == (
        at("06:30"),
        "listings",
        1,
    )
    assert graph.launches("fallback") == ["fallback/2026-11-23/1"]
    graph.step("23:59")
    assert graph.launches("pipeline-x") == []
    assert len(graph.events("pipeline-x", "UPSTREAM_FAILED")) == 1


def test_listings_rerun_by_hand_reruns_pipeline_x_once_by_itself(tmp_path: Path) -> None:
    """The fixed upstream succeeds again: pipeline-x reruns once, reason upstream-rerun."""
    graph = scout24(tmp_path)
    graph.report("listings")
    graph.report("searches")
    graph.controller.run_until_idle()
    graph.step("07:00")
    graph.report("pipeline-x")
    graph.controller.run_until_idle()
    assert graph.state("pipeline-x") is RunState.SUCCEEDED
    graph.step("09:00")
    graph.il.rerun("listings", DAY, reason="fixed the listings export")
    graph.controller.run_until_idle()
    assert graph.launches("listings")[-1] == "listings/2026-11-23/2"
    assert graph.launches("pipeline-x") == ["pipeline-x/2026-11-23/1"]  # not before it is done
    graph.step("09:20")
    graph.report("listings", attempt=2)
    graph.controller.run_until_idle()
    assert graph.launches("pipeline-x") == ["pipeline-x/2026-11-23/1", "pipeline-x/2026-11-23/2"]
    (accepted,) = graph.events("pipeline-x", "RERUN_ACCEPTED")
    assert (accepted.at, accepted.detail["reason"]) == (at("09:20"), "upstream-rerun")
    second = graph.il.attempts("pipeline-x", DAY)[1]
    assert second.reason == "upstream-rerun"
    assert second.inputs["upstream:listings"] == ["listings/2026-11-23/2"]
    assert second.inputs["upstream:searches"] == ["searches/2026-11-23/1"]
    graph.report("pipeline-x", attempt=2)
    graph.step("23:59")
    assert len(graph.launches("pipeline-x")) == 2
