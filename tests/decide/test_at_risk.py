"""SLA at risk: a waiting run's predicted finish along its dependency chain, said once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from decide_support import at
from test_dependencies import DAY, dep, downstream, up_run, upstream_spec, waiting_run

from interlock.decide import decide
from interlock.model import RunState
from interlock.model.dependencies import DependsOnSpec, UpstreamState
from interlock.model.specs import Pause, SlaSpec

SLA = SlaSpec(deadline="08:00", expected_duration=timedelta(minutes=30))
X = replace(downstream(dep("listings")), sla=SLA)


def listings_state(run_state: RunState | None, expected: timedelta | None, **kw: object):
    """listings, running since 06:00 (or not started), with an expected duration."""
    runs = {} if run_state is None else {DAY: up_run("listings", run_state)}
    spec = kw.pop("spec", None) or upstream_spec("listings")
    return UpstreamState(spec=spec, runs=runs, expected_duration=expected, **kw)


@pytest.mark.parametrize(
    ("expected", "at_risk"),
    [(timedelta(minutes=90), False), (timedelta(hours=2), True), (None, False)],
)
def test_a_running_upstream_predicts_the_finish(expected, at_risk):
    """Listings runs since 06:00: 06:00 + its duration + pipeline-x's 30 m against 08:00."""
    state = {"listings": listings_state(RunState.RUNNING, expected)}
    decision = decide(X, waiting_run(), {}, state, now=at("06:10"))
    said = [e for e in decision.events if e.type == "SLA_AT_RISK"]
    assert bool(said) is at_risk
    if at_risk:
        assert said[0].detail["predictedFinish"] == at("08:30").isoformat()
        assert said[0].detail["criticalPath"] == ["listings"]
        again = decide(X, decision.run, {}, state, now=at("06:20"))
        assert "SLA_AT_RISK" not in again.event_types


def test_the_prediction_follows_the_chain_recursively():
    """Listings waits for raw-events (running, 1 h): 07:00 + 1 h + 30 m = 08:30 > 08:00."""
    raw = UpstreamState(
        spec=upstream_spec("raw-events"),
        runs={DAY: up_run("raw-events", RunState.RUNNING)},
        expected_duration=timedelta(hours=1),
    )
    listings = replace(
        upstream_spec("listings"), depends_on=DependsOnSpec(all_of=(dep("raw-events"),))
    )
    state = {
        "listings": listings_state(
            None, timedelta(hours=1), spec=listings, upstream={"raw-events": raw}
        )
    }
    decision = decide(X, waiting_run(), {}, state, now=at("06:10"))
    said = [e for e in decision.events if e.type == "SLA_AT_RISK"]
    assert said[0].detail["criticalPath"] == ["listings", "raw-events"]
    assert said[0].detail["predictedFinish"] == at("08:30").isoformat()


def test_a_paused_required_upstream_puts_the_run_at_risk_at_once():
    """A paused upstream never finishes by itself: the prediction says blocked."""
    paused = upstream_spec("listings", paused=Pause(at=at("05:00")))
    state = {"listings": listings_state(None, timedelta(minutes=10), spec=paused)}
    decision = decide(X, waiting_run(), {}, state, now=at("06:10"))
    said = [e for e in decision.events if e.type == "SLA_AT_RISK"]
    assert said
    assert "paused" in said[0].detail["blocked"]
    assert said[0].detail.get("predictedFinish") is None


def test_own_history_wins_over_the_configured_expected_duration():
    """upstream[pipeline-x] carries its own median: 1 h instead of the SLA's 30 m."""
    state = {
        "listings": listings_state(RunState.RUNNING, timedelta(minutes=90)),
        "pipeline-x": UpstreamState(spec=None, expected_duration=timedelta(hours=1)),
    }
    decision = decide(X, waiting_run(), {}, state, now=at("06:10"))
    assert "SLA_AT_RISK" in decision.event_types


def test_no_sla_means_no_prediction():
    """Without a deadline there is nothing to be at risk of."""
    state = {"listings": listings_state(RunState.RUNNING, timedelta(hours=5))}
    plain = downstream(dep("listings"))
    assert "SLA_AT_RISK" not in decide(plain, waiting_run(), {}, state, now=at("06:10")).event_types
