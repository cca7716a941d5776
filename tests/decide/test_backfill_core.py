"""``interlock backfill`` in the decision core: its budget, its breaker, its quiet cascade.

A backfill's rerun of an existing run is an ordinary rerun request with reason
``manual-backfill`` (or ``backfill-no-downstream``); these tables pin what the controller
makes of those reasons, and that a downstream run does not cascade from an upstream attempt
that a ``--no-downstream`` backfill asked for.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from decide_support import at, pipeline

from interlock.decide import decide
from interlock.decide.cascade import cascades_downstream
from interlock.decide.verdicts import rerun_budget, rerun_verdict
from interlock.model import OpenedBy, Reading, RerunRecord, Run, RunState
from interlock.model.dependencies import Dependency, DependsOnSpec, UpstreamRun, UpstreamState

DAY = "2026-11-23"
GOLD = pipeline()  # backfill.maxReruns: the default, 3
UPSTREAM = pipeline(
    """
    pipeline: {id: listings}
    schedule: {cron: "0 6 * * *", timezone: UTC}
    job: {type: command, config: {command: ["true"]}}
    """
)
DOWNSTREAM = replace(
    pipeline(
        """
        pipeline: {id: pipeline-x}
        job: {type: command, config: {command: ["true"]}}
        """
    ),
    depends_on=DependsOnSpec(all_of=(Dependency(pipeline="listings"),)),
)
BREAKER = "previous run succeeded and no sensor data has changed"


def done(*reasons: str) -> Run:
    """A succeeded run of GOLD, rerun once for each of ``reasons``."""
    reruns = tuple(
        RerunRecord(reason=r, at=at("09:00"), attempt=i + 2) for i, r in enumerate(reasons)
    )
    return Run(
        pipeline_id="gold-revenue",
        partition=DAY,
        state=RunState.SUCCEEDED,
        created_at=at("07:00"),
        attempt=1 + len(reasons),
        launched_at=at("08:00"),
        finished_at=at("08:30"),
        reruns=reruns,
    )


OLD_READING = {
    "row-count": Reading(key="row-count", data={"count": 5}, updated_at=at("08:00"), partition=DAY)
}


@pytest.mark.parametrize(
    ("the_run", "reason", "rejection"),
    [
        (done(), "manual", BREAKER),
        (done(), "manual-backfill", None),
        (done(), "backfill-no-downstream", None),
        (done("manual", "manual"), "manual-backfill", None),
        (done(*["manual-backfill"] * 3), "manual-backfill", "backfill rerun limit exceeded (3/3)"),
        (
            done("manual-backfill", "backfill-no-downstream", "manual-backfill"),
            "backfill-no-downstream",
            "backfill rerun limit exceeded (3/3)",
        ),
    ],
    ids=[
        "manual-stopped-by-breaker",
        "backfill-redoes-done-data",
        "quiet-backfill-too",
        "own-budget-not-manuals",
        "budget-spent",
        "both-reasons-share-it",
    ],
)
def test_backfill_reruns_skip_the_breaker_and_have_their_own_budget(
    the_run: Run, reason: str, rejection: str | None
) -> None:
    """A confirmed backfill redoes done data; backfill.maxReruns caps both reasons together.

    The manual budget (``maxManualReruns``, 1 by default) is neither spent nor consulted.
    """
    assert GOLD.backfill.max_reruns == 3
    verdict = rerun_verdict(GOLD, the_run, OLD_READING, at("12:00"), reason=reason)
    assert verdict.rejection == rejection
    assert rerun_budget(GOLD, the_run, "manual")[0] == the_run.rerun_count("manual")


@pytest.mark.parametrize(
    ("attempt_reason", "reruns", "cascades"),
    [
        ("initial", [], True),
        ("backfill-no-downstream", [], False),
        ("manual-backfill", ["manual-backfill"], True),
        ("backfill-no-downstream", ["backfill-no-downstream"], False),
        ("job-fail-retry", ["backfill-no-downstream", "job-fail-retry"], False),
        ("manual", ["backfill-no-downstream", "manual"], True),
        ("job-fail-retry", ["manual", "job-fail-retry"], True),
    ],
)
def test_only_an_attempt_a_quiet_backfill_asked_for_is_kept_from_cascading(
    attempt_reason: str, reruns: list[str], cascades: bool
) -> None:
    """The latest rerun that is not a retry decides; a retried quiet backfill stays quiet."""
    assert cascades_downstream(attempt_reason, reruns) is cascades


def consumed() -> Run:
    """pipeline-x's run after it succeeded, having consumed listings' attempt 1."""
    return Run(
        pipeline_id="pipeline-x",
        partition=DAY,
        state=RunState.SUCCEEDED,
        created_at=at("06:00"),
        opened_at=at("06:00"),
        opened_by=OpenedBy.UPSTREAM,
        attempt=1,
        launched_at=at("06:40"),
        finished_at=at("06:50"),
        upstream_seen={"listings": (f"listings/{DAY}/1",)},
    )


def again(*, cascades: bool) -> dict[str, UpstreamState]:
    """Listings succeeded again with attempt 2, asked by a backfill (quiet or not)."""
    run = UpstreamRun(
        pipeline_id="listings",
        partition=DAY,
        state=RunState.SUCCEEDED,
        attempt=2,
        launched_at=at("09:00"),
        finished_at=at("09:30"),
        cascades=cascades,
    )
    return {"listings": UpstreamState(spec=UPSTREAM, runs={DAY: run})}


def test_an_upstream_backfilled_with_downstream_reruns_the_consumer() -> None:
    """The plain case: ``manual-backfill`` upstream attempt → ``upstream-rerun``."""
    decision = decide(DOWNSTREAM, consumed(), {}, again(cascades=True), now=at("10:00"))
    assert decision.run.attempt_reason == "upstream-rerun"
    assert decision.launches[0].attempt == 2


def test_an_upstream_backfilled_without_downstream_is_said_once_and_not_rerun() -> None:
    """``backfill-no-downstream``: no rerun, one UPSTREAM_RERUN saying why, not repeated."""
    first = decide(DOWNSTREAM, consumed(), {}, again(cascades=False), now=at("10:00"))
    assert not first.launches
    assert first.run.state is RunState.SUCCEEDED
    assert [e.type for e in first.events] == ["UPSTREAM_RERUN"]
    assert "backfilled with --no-downstream: not rerun" in first.events[0].message
    second = decide(DOWNSTREAM, first.run, {}, again(cascades=False), now=at("10:05"))
    assert not second.events
    assert not second.launches
