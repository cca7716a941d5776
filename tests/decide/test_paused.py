"""Table tests for a paused pipeline: it launches nothing, and everything else goes on.

``PipelineSpec.paused`` is the input (the store lays it over the stored config); each row
is one ``decide()`` call on the paused spec, and the same call on the unpaused spec shows
the row is not vacuous: there, the run launches.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from decide_support import at, pipeline
from test_transitions import NOT_READY, READY, run

from interlock.decide import decide
from interlock.model import JobReported, ReadingSet, RerunRequested, RunState, Signal
from interlock.model.specs import Pause

GOLD = pipeline()
PAUSE = Pause(at=at("07:30"), reason="warehouse migration", by="ops")
PAUSED = replace(GOLD, paused=PAUSE)

HELD = [
    pytest.param(run(RunState.PENDING), "07:59", (), id="trigger-would-open-and-launch"),
    pytest.param(run(RunState.WAITING), "08:05", (), id="rules-hold-in-the-window"),
    pytest.param(
        run(RunState.RUNNING),
        "08:30",
        (JobReported(attempt=1, status="failed", at=at("08:30")),),
        id="retry-after-a-failure",
    ),
    pytest.param(
        run(RunState.EXHAUSTED),
        "09:30",
        (RerunRequested(reason="backfill", at=at("09:30")),),
        id="accepted-rerun",
    ),
]


@pytest.mark.parametrize(("start", "when", "signals"), HELD)
def test_a_paused_pipeline_launches_nothing(
    start: object, when: str, signals: tuple[Signal, ...]
) -> None:
    """First launch, retry, rerun: unpaused each launches; paused the run waits, explained."""
    assert isinstance(start, type(run(RunState.WAITING)))
    unpaused = decide(GOLD, start, READY, now=at(when), signals=signals)
    assert unpaused.launches, "the row must launch when the pipeline is not paused"
    paused = decide(PAUSED, start, READY, now=at(when), signals=signals)
    assert paused.launches == ()
    assert paused.run.state is RunState.WAITING
    assert "VALIDATION_PASSED" not in [e.type for e in paused.events]
    assert paused.explanation.summary == (
        "paused since 2026-11-23T07:30:00+00:00 by ops: warehouse migration; "
        "the rules hold; nothing is launched while the pipeline is paused"
    )
    assert paused.explanation.waiting_for == "interlock resume gold-revenue"
    assert paused.run.next_check_at is not None  # still evaluated at its interval


def test_a_paused_run_still_explains_its_failing_rules() -> None:
    """Rules that fail are reported as ever; the summary leads with the pause."""
    decision = decide(PAUSED, run(RunState.WAITING), NOT_READY, now=at("08:05"))
    assert decision.explanation.summary.startswith("paused since 2026-11-23T07:30:00+00:00")
    assert "count 50 gte 1000 is false" in decision.explanation.waiting_for


def test_sla_alerts_still_fire_while_paused() -> None:
    """The data is still late: the SLA breach is reported for a paused pipeline's run."""
    late = decide(
        PAUSED, run(RunState.WAITING, window_closes_at=at("12:00")), READY, now=at("10:01")
    )
    assert "SLA_BREACH" in [e.type for e in late.events]
    assert late.launches == ()


def test_the_window_still_closes_while_paused() -> None:
    """A pause does not stretch the evaluation window: the run exhausts at its close."""
    closed = decide(PAUSED, run(RunState.WAITING), READY, now=at("09:00"))
    assert closed.run.state is RunState.EXHAUSTED
    assert not closed.explanation.summary.startswith("paused")  # a final state says only that


def test_a_pause_without_reason_or_author_reads_cleanly() -> None:
    """``paused since T`` alone when neither was given."""
    bare = replace(GOLD, paused=Pause(at=at("07:30")))
    decision = decide(bare, run(RunState.WAITING), ReadingSet(), now=at("08:05"))
    assert decision.explanation.summary.startswith("paused since 2026-11-23T07:30:00+00:00; ")
