"""Desired state in decide(): manual fixes count, self-healing, backfill slots and runs, stale.

Pipelines are built in code (``partitions``, ``complete``, ``backfill`` laid over a parsed
YAML with :func:`dataclasses.replace`); every case is one or a few pure decide() calls.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from decide_support import at, pipeline
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.decide import decide
from interlock.decide.partitions import PartitionFacts, partition_state
from interlock.events import EventType
from interlock.model import (
    Decision,
    FailureCategory,
    JobReported,
    LaunchRecorded,
    OpenedBy,
    Reading,
    RerunRecord,
    RerunRequested,
    Run,
    RunMark,
    RunState,
    Signal,
)
from interlock.model.conditions import AnyOf, Rule
from interlock.model.desired import (
    BackfillSpec,
    Dimension,
    PartitionsSpec,
    PartitionState,
    TimeAxis,
)
from interlock.model.specs import PipelineSpec, SlaSpec

P = "2026-11-20|campaign=b"
NOW = at("08:00")

BASE = """
pipeline: {id: campaigns}
schedule: {evaluation: {window: 1h, interval: 5m}}
job: {type: command, config: {command: ["true"]}, maxRetries: 1}
"""


def spec(**changes: object) -> PipelineSpec:
    """Daily by campaign, done when the ``output`` reading has at least one row."""
    partitions = PartitionsSpec(
        time=TimeAxis(start=date(2026, 11, 1), lag=timedelta(days=1)),
        dimensions=(Dimension(name="campaign", values=("a", "b", "c")),),
    )
    base = replace(
        pipeline(BASE),
        partitions=partitions,
        complete=Rule(key="output", check="gte", field="rows", value=1),
        backfill=BackfillSpec(max_concurrent=4),
    )
    return replace(base, **changes)


def output(rows: int, when: datetime = NOW, partition: str = P, ref: int = 17) -> Reading:
    """The completeness reading of ``partition``: how many rows its table has."""
    return Reading(key="output", data={"rows": rows}, updated_at=when, partition=partition, ref=ref)


def run(state: RunState = RunState.WAITING, **kw: object) -> Run:
    """The run of partition ``P``."""
    fields: dict[str, object] = {
        "pipeline_id": "campaigns",
        "partition": P,
        "state": state,
        "created_at": at("07:00"),
        "opened_by": OpenedBy.BACKFILL,
        "opened_at": at("07:00"),
    }
    fields.update(kw)
    return Run(**fields)  # type: ignore[arg-type]


def succeeded(**kw: object) -> Run:
    """A run whose job succeeded at 07:30 (attempt 1 unless told)."""
    fields: dict[str, object] = {
        "attempt": 1,
        "launched_at": at("07:10"),
        "finished_at": at("07:30"),
    }
    fields.update(kw)
    return run(RunState.SUCCEEDED, **fields)


def go(
    the_run: Run,
    *readings: Reading,
    pipeline_spec: PipelineSpec | None = None,
    now: datetime = NOW,
    signals: tuple[Signal, ...] = (),
    slots: int | None = None,
) -> Decision:
    """One decide() call for ``the_run`` with its partition's readings."""
    return decide(
        pipeline_spec or spec(),
        the_run,
        {r.key: r for r in readings},
        now=now,
        signals=signals,
        slots=slots,
    )


# Manual fixes count -----------------------------------------------------------------------


def test_an_open_run_whose_partition_is_complete_ends_without_a_job() -> None:
    """Someone loaded the day by hand: the waiting run is satisfied, nothing launches."""
    decision = go(run(), output(12))
    assert decision.run.state is RunState.SUCCEEDED
    assert decision.launches == ()
    assert decision.run.attempt == 0
    assert RunMark.SATISFIED in decision.run.marks
    assert decision.event_types == (EventType.PARTITION_SATISFIED,)
    detail = decision.events[0].detail
    assert detail["readings"]["output"]["value"] == 12
    assert detail["readings"]["output"]["ref"] == 17
    assert decision.explanation.summary.startswith("satisfied without a job: output 12")
    assert decision.run.finished_at == NOW


def test_satisfied_names_only_the_readings_that_made_it_so() -> None:
    """``complete: ANY`` of two outputs: the event names the one that holds, not the other."""
    either = spec(
        complete=AnyOf(
            children=(
                Rule(key="output", check="gte", field="rows", value=1),
                Rule(key="manual-load", check="equals", field="status", value="done"),
            )
        )
    )
    manual = Reading(key="manual-load", data={"status": "done"}, updated_at=NOW, partition=P, ref=5)
    decision = go(run(), output(0), manual, pipeline_spec=either)
    assert decision.run.state is RunState.SUCCEEDED
    readings = decision.events[0].detail["readings"]
    assert readings == {"manual-load": {"value": "done", "readingAt": NOW.isoformat(), "ref": 5}}


def test_a_pending_run_is_satisfied_before_it_opens() -> None:
    """A backfill run the reconciler queued ends satisfied if the data came meanwhile."""
    decision = go(run(RunState.PENDING, attempt_reason="backfill"), output(1))
    assert decision.run.state is RunState.SUCCEEDED
    assert EventType.RUN_OPENED not in decision.event_types
    assert decision.launches == ()


def test_a_failed_runs_retry_is_satisfied_by_a_manual_fix() -> None:
    """A retry waiting for its rules ends satisfied: old failures need no clean-up."""
    retrying = run(
        RunState.WAITING,
        attempt=1,
        reruns=(RerunRecord(reason="job-fail-retry", at=at("07:30"), attempt=2),),
    )
    assert go(retrying, output(3)).run.state is RunState.SUCCEEDED


def test_a_manual_rerun_of_a_done_partition_still_launches() -> None:
    """``rerun`` of a done partition is a request to redo it: complete holding is no veto."""
    done = succeeded(marks=frozenset({RunMark.COMPLETE_SEEN}))
    decision = go(
        done,
        output(5, when=at("07:45")),
        signals=(RerunRequested(reason="manual", at=NOW),),
    )
    assert len(decision.launches) == 1
    assert EventType.PARTITION_SATISFIED not in decision.event_types
    assert decision.run.attempt_reason == "manual"


def test_without_complete_output_the_run_opens_and_launches() -> None:
    """No rows yet: a backfill run opens at once and launches with reason ``backfill``."""
    decision = go(run(RunState.PENDING, attempt_reason="backfill"), output(0))
    assert decision.run.state is RunState.LAUNCHING
    assert decision.run.attempt_reason == "backfill"
    assert decision.run.opened_by is OpenedBy.BACKFILL
    assert EventType.PARTITION_SATISFIED not in decision.event_types


def test_an_undated_output_reading_satisfies_no_partition() -> None:
    """``complete`` reads the partition's own readings: an undated one marks nothing done."""
    undated = Reading(key="output", data={"rows": 50}, updated_at=NOW)
    decision = go(run(), undated)
    assert decision.run.state is RunState.LAUNCHING
    assert EventType.PARTITION_SATISFIED not in decision.event_types


def test_another_partitions_output_satisfies_nothing() -> None:
    """Campaign a's rows do not make campaign b done."""
    decision = go(run(), output(50, partition="2026-11-20|campaign=a"))
    assert decision.run.state is RunState.LAUNCHING


def test_a_pipeline_without_partitions_is_never_satisfied() -> None:
    """``complete`` only counts for pipelines that declare partitions."""
    plain = spec(partitions=None)
    decision = go(
        run(opened_by=OpenedBy.UPSTREAM, window_closes_at=at("09:00")),
        output(5),
        pipeline_spec=plain,
    )
    assert decision.run.state is RunState.LAUNCHING


# Self-healing -----------------------------------------------------------------------------


def test_complete_after_success_is_remembered_once() -> None:
    """The first reading that meets ``complete`` after success sets ``complete-seen``."""
    first = go(succeeded(), output(8))
    assert RunMark.COMPLETE_SEEN in first.run.marks
    assert first.events == ()
    again = go(first.run, output(9, when=at("08:10")), now=at("08:10"))
    assert again.events == ()
    assert again.run.state is RunState.SUCCEEDED


def test_a_job_that_just_succeeded_is_not_relaunched_before_its_output_is_reported() -> None:
    """Success, then ``rows 0`` before the output was ever seen: no heal, no event."""
    decision = go(succeeded(), output(0))
    assert decision.run.state is RunState.SUCCEEDED
    assert decision.events == ()


def test_deleted_output_says_which_rule_stopped_holding_and_heals() -> None:
    """Done once, now ``rows 0``: PARTITION_MISSING names rule and reading; a rerun launches."""
    done = succeeded(marks=frozenset({RunMark.COMPLETE_SEEN}))
    decision = go(done, output(0, ref=99))
    missing = decision.events[0]
    assert missing.type == EventType.PARTITION_MISSING
    assert missing.detail["failing"] == ["output.rows gte 1"]
    assert missing.detail["readings"]["output"] == {
        "value": 0,
        "readingAt": NOW.isoformat(),
        "ref": 99,
    }
    assert "rows" in missing.message
    assert EventType.RERUN_ACCEPTED in decision.event_types
    assert [launch.attempt for launch in decision.launches] == [2]
    assert decision.run.attempt_reason == "missing-output"
    assert decision.run.rerun_count("missing-output") == 1


def test_the_heal_budget_is_max_self_heals_and_spent_says_so_once() -> None:
    """Three heals used: the event says the budget is spent, and no rerun; never repeated."""
    heals = tuple(
        RerunRecord(reason="missing-output", at=at("06:00"), attempt=n) for n in (2, 3, 4)
    )
    done = succeeded(attempt=4, reruns=heals, marks=frozenset({RunMark.COMPLETE_SEEN}))
    decision = go(done, output(0))
    assert decision.event_types == (EventType.PARTITION_MISSING,)
    assert "self-heal budget spent (3/3 maxSelfHeals)" in decision.events[0].message
    assert decision.launches == ()
    assert decision.run.state is RunState.SUCCEEDED
    later = go(decision.run, output(0, when=at("08:30")), now=at("08:30"))
    assert later.events == ()


def test_a_custom_budget_lets_more_heals_through() -> None:
    """``job.maxSelfHeals: 5``: a fourth heal is still accepted."""
    base = spec()
    assert base.job is not None
    generous = spec(job=replace(base.job, max_self_heals=5))
    heals = tuple(
        RerunRecord(reason="missing-output", at=at("06:00"), attempt=n) for n in (2, 3, 4)
    )
    done = succeeded(attempt=4, reruns=heals, marks=frozenset({RunMark.COMPLETE_SEEN}))
    assert len(go(done, output(0), pipeline_spec=generous).launches) == 1


def test_each_disappearance_is_reported_once() -> None:
    """Missing (budget spent) → restored by hand → missing again: two events, not a storm."""
    heals = tuple(
        RerunRecord(reason="missing-output", at=at("06:00"), attempt=n) for n in (2, 3, 4)
    )
    done = succeeded(attempt=4, reruns=heals, marks=frozenset({RunMark.COMPLETE_SEEN}))
    gone = go(done, output(0))
    same_gap = go(gone.run, output(0, when=at("08:05")), now=at("08:05"))
    back = go(same_gap.run, output(4, when=at("08:10")), now=at("08:10"))
    gone_again = go(back.run, output(0, when=at("08:20")), now=at("08:20"))
    types = [gone.event_types, same_gap.event_types, back.event_types, gone_again.event_types]
    assert types == [(EventType.PARTITION_MISSING,), (), (), (EventType.PARTITION_MISSING,)]


def test_a_healed_partition_waits_for_its_output_again() -> None:
    """After the heal's success the output must be seen again before it can go missing."""
    done = succeeded(marks=frozenset({RunMark.COMPLETE_SEEN}))
    healing = go(done, output(0))
    assert RunMark.COMPLETE_SEEN not in healing.run.marks
    launched = go(
        healing.run,
        output(0),
        now=at("08:01"),
        signals=(JobReported(attempt=2, status="succeeded", at=at("08:01")),),
    )
    assert launched.run.state is RunState.SUCCEEDED
    assert EventType.PARTITION_MISSING not in launched.event_types
    assert launched.launches == ()


# The backfill slots -----------------------------------------------------------------------


def test_no_free_slot_keeps_the_run_waiting_unpolled() -> None:
    """MaxConcurrent reached: the rules hold but nothing launches, and nobody polls it."""
    decision = go(run(), output(0), slots=0)
    assert decision.launches == ()
    assert decision.run.state is RunState.WAITING
    assert "waiting for a backfill slot (4 running, maxConcurrent 4)" in (
        decision.explanation.summary
    )
    assert decision.next_check_at is None
    assert EventType.VALIDATION_PASSED not in decision.event_types


def test_a_free_slot_lets_it_launch() -> None:
    """One slot free: the launch goes ahead."""
    assert len(go(run(), output(0), slots=1).launches) == 1


def test_a_slot_never_bypasses_the_rules() -> None:
    """Free slots do not launch a run whose validation does not hold."""
    strict = spec(validation=Rule(key="ready", check="equals", field="status", value="yes"))
    decision = go(run(), output(0), pipeline_spec=strict, slots=3)
    assert decision.launches == ()
    assert decision.run.state is RunState.WAITING
    assert decision.next_check_at == NOW + timedelta(minutes=5)


def test_a_retry_reuses_the_slot_of_its_own_failed_attempt() -> None:
    """Every slot taken, this run's job among them, fails: its retry takes its own slot."""
    running = run(RunState.RUNNING, attempt=1, launched_at=at("07:50"))
    failed = JobReported(attempt=1, status="failed", at=NOW)
    decision = go(running, output(0), signals=(failed,), slots=0)
    assert [launch.attempt for launch in decision.launches] == [2]


def test_a_slot_wait_does_not_exhaust_a_run_whose_window_closed() -> None:
    """The window bounds the wait for the rules, not the wait for a slot."""
    cron_run = run(opened_by=OpenedBy.CRON, window_closes_at=at("07:30"))
    decision = go(cron_run, output(0), slots=0)
    assert decision.run.state is RunState.WAITING
    assert EventType.VALIDATION_EXHAUSTED not in decision.event_types


def test_no_slot_limit_without_slots() -> None:
    """``slots=None`` (the default): no limit, as for every pipeline before this."""
    assert len(go(run(), output(0)).launches) == 1


# Backfill runs -----------------------------------------------------------------------------


def test_a_backfill_run_waits_for_its_rules_without_a_window() -> None:
    """Opened by the reconciler, a run checks its rules every interval and never exhausts."""
    strict = spec(validation=Rule(key="ready", check="equals", field="status", value="yes"))
    opened = go(run(RunState.PENDING, attempt_reason="backfill"), pipeline_spec=strict)
    assert opened.run.state is RunState.WAITING
    assert opened.run.window_closes_at is None
    assert opened.next_check_at == NOW + timedelta(minutes=5)
    days_later = at("08:00", "2026-11-26")
    still = go(opened.run, pipeline_spec=strict, now=days_later)
    assert still.run.state is RunState.WAITING
    ready = Reading(key="ready", data={"status": "yes"}, updated_at=days_later, partition=P)
    launched = go(still.run, ready, pipeline_spec=strict, now=days_later)
    assert [launch.attempt for launch in launched.launches] == [1]
    recorded = go(
        launched.run,
        now=days_later,
        pipeline_spec=strict,
        signals=(LaunchRecorded(attempt=1, at=days_later),),
    )
    triggered = [e for e in recorded.events if e.type == EventType.JOB_TRIGGERED]
    assert triggered[0].detail["reason"] == "backfill"


# Stale attempts ----------------------------------------------------------------------------


def test_an_attempt_past_the_poll_window_is_stale_once() -> None:
    """Running for longer than the poll window: RUN_STALE, the attempt is given up."""
    running = run(RunState.RUNNING, attempt=1, launched_at=at("06:30"))
    decision = go(running, output(0))
    assert decision.event_types == (EventType.RUN_STALE,)
    assert decision.run.state is RunState.FAILED
    assert decision.run.failure_category is FailureCategory.TIMEOUT
    assert RunMark.RUN_STALE in decision.run.marks
    assert "1h" in decision.events[0].detail["limit"]
    again = go(decision.run, output(0), now=at("08:30"))
    assert EventType.RUN_STALE not in again.event_types


def test_max_duration_is_the_stale_limit_and_its_timer() -> None:
    """``sla.maxDuration: 10m``: polled up to then, stale just after."""
    short = spec(sla=SlaSpec(max_duration=timedelta(minutes=10)))
    running = run(RunState.RUNNING, attempt=1, launched_at=at("07:55"))
    polled = go(running, output(0), pipeline_spec=short, now=at("08:04"))
    assert polled.run.state is RunState.RUNNING
    assert polled.next_check_at is not None
    assert polled.next_check_at <= at("08:05")
    stale = go(running, output(0), pipeline_spec=short, now=at("08:06"))
    assert stale.event_types[0] == EventType.RUN_STALE
    assert "sla.maxDuration" in stale.events[0].message
    facts = PartitionFacts(partition=P, run_state=stale.run.state, stale=True)
    assert partition_state(short, facts, at("08:06")) is PartitionState.STALE


def test_an_unpartitioned_pipeline_keeps_the_poll_window_event() -> None:
    """Without ``partitions`` nothing changes: JOB_POLL_EXHAUSTED, not RUN_STALE."""
    plain = spec(partitions=None, complete=None)
    running = run(RunState.RUNNING, attempt=1, launched_at=at("06:30"), opened_by=OpenedBy.CRON)
    decision = go(running, pipeline_spec=plain)
    assert decision.event_types == (EventType.JOB_POLL_EXHAUSTED,)


# maxConcurrent, as a property --------------------------------------------------------------

IN_FLIGHT = (RunState.LAUNCHING, RunState.RUNNING)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 12), st.data())
def test_max_concurrent_is_never_exceeded(k: int, n: int, data: st.DataObject) -> None:
    """At most ``maxConcurrent`` runs in flight, whatever the order jobs finish in.

    k slots, n queued backfill runs, each decided as the store would (``slots`` from the
    current states); in the end every partition is done.
    """
    limited = spec(backfill=BackfillSpec(max_concurrent=k))
    parts = [f"2026-11-{day:02d}|campaign=a" for day in range(1, n + 1)]
    runs = [run(RunState.PENDING, partition=p, attempt_reason="backfill") for p in parts]
    outputs: dict[str, Reading] = {}
    clock = NOW
    for _ in range(6 * n):
        i = data.draw(st.integers(0, n - 1))
        clock += timedelta(seconds=10)
        runs[i] = _step(limited, runs, i, outputs, clock, k)
        assert sum(r.state in IN_FLIGHT for r in runs) <= k
    for _ in range(3 * n):  # then everyone is decided in turn until all are done
        for i in range(n):
            clock += timedelta(seconds=10)
            runs[i] = _step(limited, runs, i, outputs, clock, k)
            assert sum(r.state in IN_FLIGHT for r in runs) <= k
    for r in runs:
        facts = PartitionFacts(
            partition=r.partition,
            complete=r.partition in outputs,
            run_state=r.state,
        )
        assert partition_state(limited, facts, clock) is PartitionState.DONE


def _step(  # noqa: PLR0917 - the simulation's state, passed as it is
    spec_: PipelineSpec,
    runs: list[Run],
    i: int,
    outputs: dict[str, Reading],
    now: datetime,
    k: int,
) -> Run:
    """Decide run ``i`` as the controller would; a running job finishes (and writes rows)."""
    current = runs[i]
    signals: tuple[Signal, ...] = ()
    if current.state is RunState.LAUNCHING:
        signals = (LaunchRecorded(attempt=current.attempt, at=now),)
    elif current.state is RunState.RUNNING:
        signals = (JobReported(attempt=current.attempt, status="succeeded", at=now),)
        outputs[current.partition] = output(1, when=now, partition=current.partition)
    slots = k - sum(r.state in IN_FLIGHT for r in runs)
    view = {"output": outputs[current.partition]} if current.partition in outputs else {}
    return decide(spec_, current, view, now=now, signals=signals, slots=slots).run
