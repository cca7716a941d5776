"""What each desired partition is doing, and which ones the reconciler gives a run.

Table tests of :func:`partition_state` and :func:`plan_reconcile`: the store computes the
facts, these pure functions say ``done`` / ``missing`` / ``waiting`` / ``running`` /
``failed`` / ``stale``, and which partitions get a run, why, and in which order.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from decide_support import at, pipeline
from hypothesis import given
from hypothesis import strategies as st

from interlock.decide.partitions import (
    BackfillOpen,
    PartitionFacts,
    evaluate_complete,
    partition_state,
    plan_reconcile,
    stale_limit,
)
from interlock.model import Reading, RunState
from interlock.model.conditions import Rule
from interlock.model.desired import (
    BackfillOrder,
    BackfillSpec,
    Dimension,
    PartitionsSpec,
    PartitionState,
    TimeAxis,
    desired_partitions,
)
from interlock.model.specs import PipelineSpec, SlaSpec

NOW = at("12:00", "2026-01-10")
P = "2026-01-05|campaign=a"

BASE = """
pipeline: {id: campaigns}
job: {type: command, config: {command: ["true"]}, maxRetries: 1}
"""

OUTPUT_RULE = Rule(key="output", check="gte", field="rows", value=1)


def spec(*, complete: bool = True, **backfill: object) -> PipelineSpec:
    """A daily-by-campaign pipeline from 2026-01-01, with or without a ``complete`` rule."""
    partitions = PartitionsSpec(
        time=TimeAxis(start=date(2026, 1, 1), end=date(2026, 1, 9)),
        dimensions=(Dimension(name="campaign", values=("a", "b")),),
    )
    return replace(
        pipeline(BASE),
        partitions=partitions,
        complete=OUTPUT_RULE if complete else None,
        backfill=BackfillSpec(**backfill),  # type: ignore[arg-type]
    )


def facts(**kw: object) -> PartitionFacts:
    """Facts of partition ``P``."""
    return PartitionFacts(partition=P, **kw)  # type: ignore[arg-type]


LAUNCHED = NOW - timedelta(minutes=10)
LONG_AGO = NOW - timedelta(hours=2)


@pytest.mark.parametrize(
    ("has_complete", "fact", "expected"),
    [
        pytest.param(True, facts(complete=True), PartitionState.DONE, id="complete-holds"),
        pytest.param(
            True,
            facts(complete=True, run_state=RunState.FAILED),
            PartitionState.DONE,
            id="manual-fix-overrides-a-failure",
        ),
        pytest.param(True, facts(), PartitionState.MISSING, id="no-run-no-reading"),
        pytest.param(False, facts(), PartitionState.MISSING, id="no-run-no-condition"),
        pytest.param(
            False,
            facts(run_state=RunState.SUCCEEDED),
            PartitionState.DONE,
            id="no-condition-success-is-done",
        ),
        pytest.param(
            False,
            facts(run_state=RunState.SHADOWED),
            PartitionState.DONE,
            id="no-condition-shadowed-is-done",
        ),
        pytest.param(True, facts(run_state=RunState.PENDING), PartitionState.WAITING, id="pending"),
        pytest.param(True, facts(run_state=RunState.WAITING), PartitionState.WAITING, id="waiting"),
        pytest.param(
            True,
            facts(run_state=RunState.RUNNING, launched_at=LAUNCHED),
            PartitionState.RUNNING,
            id="running",
        ),
        pytest.param(
            True,
            facts(run_state=RunState.LAUNCHING, launched_at=LAUNCHED),
            PartitionState.RUNNING,
            id="launching",
        ),
        pytest.param(
            True,
            facts(run_state=RunState.RUNNING, launched_at=LONG_AGO),
            PartitionState.STALE,
            id="running-past-the-poll-window",
        ),
        pytest.param(True, facts(run_state=RunState.FAILED), PartitionState.FAILED, id="failed"),
        pytest.param(
            True, facts(run_state=RunState.EXHAUSTED), PartitionState.FAILED, id="exhausted"
        ),
        pytest.param(
            True, facts(run_state=RunState.CANCELLED), PartitionState.FAILED, id="cancelled"
        ),
        pytest.param(
            True,
            facts(run_state=RunState.FAILED, stale=True),
            PartitionState.STALE,
            id="given-up-as-stale",
        ),
        pytest.param(
            True,
            facts(run_state=RunState.SUCCEEDED, complete=False),
            PartitionState.WAITING,
            id="just-succeeded-output-not-reported",
        ),
        pytest.param(
            True,
            facts(run_state=RunState.SUCCEEDED),
            PartitionState.WAITING,
            id="just-succeeded-no-reading-yet",
        ),
        pytest.param(
            True,
            facts(run_state=RunState.SUCCEEDED, complete=False, was_complete=True),
            PartitionState.MISSING,
            id="output-deleted-heal-it",
        ),
        pytest.param(
            True,
            facts(run_state=RunState.SUCCEEDED, complete=False, was_complete=True, self_heals=2),
            PartitionState.MISSING,
            id="output-deleted-budget-left",
        ),
        pytest.param(
            True,
            facts(run_state=RunState.SUCCEEDED, complete=False, was_complete=True, self_heals=3),
            PartitionState.FAILED,
            id="output-deleted-heal-budget-spent",
        ),
    ],
)
def test_partition_state(
    has_complete: bool, fact: PartitionFacts, expected: PartitionState
) -> None:
    """The state ``interlock partitions`` shows for each combination of facts."""
    assert partition_state(spec(complete=has_complete), fact, NOW) is expected


def test_evaluate_complete_reads_only_the_partitions_own_readings() -> None:
    """The store's ``facts.complete`` and decide() agree: P's reading counts, no other does."""
    own = Reading(key="output", data={"rows": 3}, updated_at=NOW, partition=P)
    undated = Reading(key="output", data={"rows": 3}, updated_at=NOW)
    passed = evaluate_complete(spec(), {"output": own}, P, NOW)
    assert passed is not None
    assert passed.passed
    ignored = evaluate_complete(spec(), {"output": undated}, P, NOW)
    assert ignored is not None
    assert not ignored.passed
    assert f"no reading for {P}" in ignored.reason
    assert evaluate_complete(spec(complete=False), {"output": own}, P, NOW) is None


def test_max_duration_is_the_stale_limit() -> None:
    """``sla.maxDuration`` bounds a running attempt before the (longer) poll window does."""
    short = replace(spec(), sla=SlaSpec(max_duration=timedelta(minutes=5)))
    running = facts(run_state=RunState.RUNNING, launched_at=LAUNCHED)
    assert stale_limit(short) == timedelta(minutes=5)
    assert stale_limit(spec()) == timedelta(hours=1)
    assert partition_state(short, running, NOW) is PartitionState.STALE
    assert partition_state(spec(), running, NOW) is PartitionState.RUNNING


def test_a_pipeline_without_job_or_max_duration_never_goes_stale() -> None:
    """With nothing that can time out, a running partition stays running."""
    jobless = replace(spec(), job=None)
    running = facts(run_state=RunState.RUNNING, launched_at=NOW - timedelta(days=3))
    assert stale_limit(jobless) is None
    assert partition_state(jobless, running, NOW) is PartitionState.RUNNING


def test_the_heal_budget_is_job_max_self_heals() -> None:
    """``job.maxSelfHeals: 1``: the second disappearance is ``failed``, not healed."""
    base = spec()
    assert base.job is not None
    one = replace(base, job=replace(base.job, max_self_heals=1))
    deleted = facts(run_state=RunState.SUCCEEDED, complete=False, was_complete=True)
    assert partition_state(one, deleted, NOW) is PartitionState.MISSING
    healed_once = replace(deleted, self_heals=1)
    assert partition_state(one, healed_once, NOW) is PartitionState.FAILED


# plan_reconcile ---------------------------------------------------------------------------


def test_every_reason_and_every_partition_left_alone() -> None:
    """Each state gets its reason; done, waiting, running and failed ones get no run."""
    desired = [f"2026-01-0{d}|campaign=a" for d in range(1, 9)]
    table = {
        desired[0]: PartitionFacts(partition=desired[0], complete=True),
        desired[1]: PartitionFacts(partition=desired[1], run_state=RunState.WAITING),
        desired[2]: PartitionFacts(
            partition=desired[2], run_state=RunState.RUNNING, launched_at=LAUNCHED
        ),
        desired[3]: PartitionFacts(
            partition=desired[3], run_state=RunState.FAILED, finished_at=LAUNCHED
        ),
        desired[4]: PartitionFacts(
            partition=desired[4], run_state=RunState.SUCCEEDED, complete=False, was_complete=True
        ),
        desired[5]: PartitionFacts(
            partition=desired[5], run_state=RunState.RUNNING, launched_at=LONG_AGO
        ),
        desired[6]: PartitionFacts(partition=desired[6], complete=False),
        # desired[7] has no facts at all: no run, complete unknown
    }
    plan = plan_reconcile(spec(), desired, table, NOW)
    assert plan == [
        BackfillOpen(desired[7], "backfill", existing_run=False),
        BackfillOpen(desired[6], "backfill", existing_run=False),
        BackfillOpen(desired[5], "stale", existing_run=True),
        BackfillOpen(desired[4], "missing-output", existing_run=True),
    ]


@pytest.mark.parametrize(
    ("retry_after", "failed_ago", "planned"),
    [
        pytest.param(None, timedelta(days=400), False, id="default-never"),
        pytest.param(timedelta(days=1), timedelta(hours=23), False, id="not-yet"),
        pytest.param(timedelta(days=1), timedelta(days=1), True, id="exactly-then"),
        pytest.param(timedelta(days=1), timedelta(days=2), True, id="long-after"),
    ],
)
def test_retry_failed_after(
    retry_after: timedelta | None, failed_ago: timedelta, planned: bool
) -> None:
    """A failed partition is retried by the reconciler only once ``retryFailedAfter`` passed."""
    failed = PartitionFacts(partition=P, run_state=RunState.FAILED, finished_at=NOW - failed_ago)
    plan = plan_reconcile(spec(retry_failed_after=retry_after), [P], {P: failed}, NOW)
    expected = [BackfillOpen(P, "retry-failed", existing_run=True)] if planned else []
    assert plan == expected


def test_a_spent_heal_budget_is_failed_and_retried_only_after_retry_failed_after() -> None:
    """Output deleted after three heals: left alone, unless ``retryFailedAfter`` passed."""
    spent = PartitionFacts(
        partition=P,
        run_state=RunState.SUCCEEDED,
        complete=False,
        was_complete=True,
        self_heals=3,
        finished_at=NOW - timedelta(days=3),
    )
    assert plan_reconcile(spec(), [P], {P: spent}, NOW) == []
    later = spec(retry_failed_after=timedelta(days=2))
    assert plan_reconcile(later, [P], {P: spent}, NOW) == [
        BackfillOpen(P, "retry-failed", existing_run=True)
    ]


def _campaigns() -> list[str]:
    return list(desired_partitions(spec().partitions or PartitionsSpec(), NOW))


def test_newest_first_orders_dates_descending_and_dimensions_in_declaration_order() -> None:
    """Yesterday first; within one day, campaign a before b (declaration order)."""
    plan = plan_reconcile(spec(), _campaigns(), {}, NOW)
    assert [o.partition for o in plan[:4]] == [
        "2026-01-09|campaign=a",
        "2026-01-09|campaign=b",
        "2026-01-08|campaign=a",
        "2026-01-08|campaign=b",
    ]
    assert len(plan) == 18
    assert {o.reason for o in plan} == {"backfill"}


def test_oldest_first_orders_dates_ascending() -> None:
    """``order: oldest-first``: the range is worked through in date order."""
    plan = plan_reconcile(spec(order=BackfillOrder.OLDEST_FIRST), _campaigns(), {}, NOW)
    assert [o.partition for o in plan[:3]] == [
        "2026-01-01|campaign=a",
        "2026-01-01|campaign=b",
        "2026-01-02|campaign=a",
    ]


def test_hourly_partitions_sort_by_hour() -> None:
    """``DATE'T'HH`` strings sort by time too: the newest hour comes first."""
    hours = ["2026-01-09T01", "2026-01-09T23", "2026-01-10T00", "2026-01-09T10"]
    plan = plan_reconcile(spec(complete=False), hours, {}, NOW)
    assert [o.partition for o in plan] == [
        "2026-01-10T00",
        "2026-01-09T23",
        "2026-01-09T10",
        "2026-01-09T01",
    ]


STATES = st.sampled_from([None, *RunState])


@given(
    st.lists(
        st.tuples(st.integers(1, 9), st.sampled_from("abc"), STATES, st.booleans()),
        max_size=30,
    ),
    st.sampled_from(list(BackfillOrder)),
)
def test_plan_is_exactly_the_partitions_that_need_work_in_order(
    rows: list[tuple[int, str, RunState | None, bool]], order: BackfillOrder
) -> None:
    """Whatever the facts, the plan is the missing and stale partitions, once each, in order.

    (No ``retryFailedAfter`` here, so a failed partition is never planned.)
    """
    table = {
        f"2026-01-0{d}|campaign={c}": PartitionFacts(
            partition=f"2026-01-0{d}|campaign={c}",
            run_state=state,
            complete=done,
            launched_at=LAUNCHED,
            finished_at=LAUNCHED,
        )
        for d, c, state, done in rows
    }
    desired = [f"2026-01-0{d}|campaign={c}" for d in range(1, 10) for c in "abc"]
    pipeline_spec = spec(order=order)
    plan = plan_reconcile(pipeline_spec, desired, table, NOW)
    planned = [o.partition for o in plan]
    assert len(planned) == len(set(planned))
    needing = {PartitionState.MISSING, PartitionState.STALE}
    expected = {
        p
        for p in desired
        if partition_state(pipeline_spec, table.get(p, PartitionFacts(partition=p)), NOW) in needing
    }
    assert set(planned) == expected
    dates = [p.split("|")[0] for p in planned]
    assert dates == sorted(dates, reverse=order is BackfillOrder.NEWEST_FIRST)
