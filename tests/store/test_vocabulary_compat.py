"""A database written before the typed vocabulary reads, decides and re-encodes unchanged.

``tests/data/vocab_v1.db`` was written by the code before ``RunMark``, ``OpenedBy`` and
``FailureCategory`` existed (``tests/data/make_v1_db.py`` says how; it must never be
regenerated with the new code). The enums keep the stored strings, so every run must decode
to exactly the members below, continue as it would have, and encode back to the very JSON
text that was stored. The first versions' hyphenated SLA marks (``sla-breach``) must read as
today's, or an upgraded run would say its SLA alerts a second time.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.decide import decide
from interlock.model import (
    FAILURE_CATEGORIES,
    Decision,
    FailureCategory,
    JobReported,
    OpenedBy,
    Run,
    RunMark,
    RunState,
)
from interlock.store.codec import run_from_json, run_to_json

V1 = Path(__file__).parents[1] / "data" / "vocab_v1.db"
DAY, NEXT = "2026-11-23", "2026-11-24"

# (pipeline, partition): state, opened_by, failure_category, marks — as the old code left them
EXPECTED: dict[tuple[str, str], tuple[RunState, OpenedBy, FailureCategory | None, set[str]]] = {
    ("gold", DAY): (
        RunState.SUCCEEDED,
        OpenedBy.CRON,
        None,
        {RunMark.PLANNED_NEXT, RunMark.POST_RUN_SEEN, RunMark.SLA_VERDICT},
    ),
    ("gold", NEXT): (RunState.PENDING, OpenedBy.CRON, None, set()),
    ("late", DAY): (
        RunState.SUCCEEDED,
        OpenedBy.CRON,
        None,
        {
            RunMark.PLANNED_NEXT,
            RunMark.SCHEDULE_MISSED,
            RunMark.SLA_VERDICT,
            RunMark.SLA_BREACH,
            RunMark.SLA_WARNING,
        },
    ),
    ("late", NEXT): (RunState.PENDING, OpenedBy.CRON, None, set()),
    ("silver", DAY): (
        RunState.FAILED,
        OpenedBy.TRIGGER,
        FailureCategory.PERMANENT,
        {RunMark.PLANNED_NEXT},
    ),
    ("infra", DAY): (
        RunState.FAILED,
        OpenedBy.TRIGGER,
        FailureCategory.UNKNOWN,
        {RunMark.PLANNED_NEXT, RunMark.OUTCOME_UNKNOWN},
    ),
    ("stuck", DAY): (
        RunState.FAILED,
        OpenedBy.TRIGGER,
        FailureCategory.TIMEOUT,
        {RunMark.PLANNED_NEXT, RunMark.OUTCOME_UNKNOWN},
    ),
    ("adhoc", DAY): (RunState.RUNNING, OpenedBy.MANUAL, None, {RunMark.PLANNED_NEXT}),
}

SLA_EVENTS = {"SLA_WARNING", "SLA_BREACH", "SLA_MET", "SCHEDULE_MISSED"}


def at(clock: str) -> datetime:
    """``at("11:00")`` → 2026-11-23T11:00Z."""
    return datetime.fromisoformat(f"{DAY}T{clock}:00+00:00").astimezone(UTC)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A scratch copy: opening a database may migrate it, and the committed file must stay."""
    target = tmp_path / "v1.db"
    shutil.copyfile(V1, target)
    return target


@pytest.fixture
def stored(copy: Path) -> dict[tuple[str, str], str]:
    """Each run's JSON body exactly as the old code stored it, read before the new code runs."""
    with sqlite3.connect(copy) as conn:
        rows = conn.execute("SELECT pipeline_id, partition, body FROM runs").fetchall()
    return {(pipeline, partition): body for pipeline, partition, body in rows}


@pytest.fixture
def il(copy: Path, stored: dict[tuple[str, str], str]) -> Iterator[Interlock]:  # noqa: ARG001 - read first
    """The new code on the old database (its pipelines as stored, the day after the writes)."""
    app = Interlock(db=f"sqlite:///{copy}", clock=FakeClock(at("11:00")))
    yield app
    app.close()


def get(il: Interlock, pipeline: str, partition: str = DAY) -> Run:
    """The stored run, read by the new store."""
    run = il.store.get_run(pipeline, partition)
    assert run is not None
    return run


def continue_run(
    il: Interlock, run: Run, clock: str, *signals: JobReported
) -> tuple[Decision, set[str]]:
    """``decide()`` the run at ``clock`` with the stored readings; the decision and its events."""
    spec = il.spec(run.pipeline_id)
    readings = il.store.load_readings(spec, run.partition)
    decision = decide(spec, run, readings, now=at(clock), signals=signals)
    return decision, set(decision.event_types)


def test_the_database_holds_every_run_the_generator_wrote(stored: dict[Any, str]) -> None:
    """The fixture is the file the tests below assume (nothing lost or regenerated)."""
    assert set(stored) == set(EXPECTED)


def test_every_run_decodes_to_exactly_the_stored_vocabulary(il: Interlock) -> None:
    """State, opened_by, failure category and marks come back as the right members."""
    for (pipeline, partition), (state, opened_by, category, marks) in EXPECTED.items():
        run = get(il, pipeline, partition)
        assert (run.state, run.opened_by, run.failure_category, run.marks) == (
            state,
            opened_by,
            category,
            marks,
        ), (pipeline, partition)
        assert type(run.opened_by) is OpenedBy
        assert category is None or type(run.failure_category) is FailureCategory
        assert all(mark in set(RunMark) for mark in run.marks)


def test_re_encoding_gives_the_stored_json_text(stored: dict[tuple[str, str], str]) -> None:
    """Decoded and encoded again, each body is the same text, byte for byte."""
    for key, body in stored.items():
        assert json.dumps(run_to_json(run_from_json(json.loads(body)))) == body, key


def test_enum_values_are_the_strings_stored_before(stored: dict[tuple[str, str], str]) -> None:
    """Every string the old code stored is a member's value; the report list is unchanged."""
    bodies = [json.loads(body) for body in stored.values()]
    assert {b["opened_by"] for b in bodies} <= {m.value for m in OpenedBy}
    assert {b["failure_category"] for b in bodies} - {None} <= {m.value for m in FailureCategory}
    assert {m for b in bodies for m in b["marks"]} <= {m.value for m in RunMark}
    assert FAILURE_CATEGORIES == ("TRANSIENT", "PERMANENT", "TIMEOUT", "CANCELLED", "AUTH")


def test_finished_runs_do_not_alert_again(il: Interlock) -> None:
    """Their once-only marks hold: no second SLA verdict, breach, missed schedule or plan."""
    for pipeline in ("gold", "late"):
        decision, events = continue_run(il, get(il, pipeline), "12:00")
        assert decision.run.state is RunState.SUCCEEDED
        assert not events & SLA_EVENTS, pipeline
        assert not decision.actions, pipeline  # planned-next: the successor is not planned twice
    gold, events = continue_run(il, get(il, "gold"), "12:00")
    assert not {"POST_RUN_PASSED", "POST_RUN_FAILED", "POST_RUN_DRIFT"} & events
    assert gold.run.baseline == get(il, "gold").baseline != {}


def test_failed_runs_stay_failed_and_unknown_outcomes_can_be_settled(il: Interlock) -> None:
    """PERMANENT stays failed; a report settles UNKNOWN and TIMEOUT (``outcome-unknown``)."""
    silver, events = continue_run(il, get(il, "silver"), "12:00")
    assert silver.run.state is RunState.FAILED
    assert not events
    for pipeline in ("infra", "stuck"):
        run = get(il, pipeline)
        report = JobReported(attempt=run.attempt, status="succeeded", at=at("12:00"))
        settled, events = continue_run(il, run, "12:00", report)
        assert settled.run.state is RunState.SUCCEEDED, pipeline
        assert RunMark.OUTCOME_UNKNOWN not in settled.run.marks
        assert settled.run.failure_category is None
        assert "JOB_COMPLETED" in events


def test_a_manual_run_continues_to_its_outcome(il: Interlock) -> None:
    """The run a rerun request opened is still polled: a failure report fails it, categorised."""
    run = get(il, "adhoc")
    report = JobReported(attempt=run.attempt, status="failed", category="AUTH", at=at("12:00"))
    failed, events = continue_run(il, run, "12:00", report)
    assert failed.run.state is RunState.FAILED
    assert failed.run.failure_category is FailureCategory.AUTH
    assert failed.run.opened_by is OpenedBy.MANUAL
    assert "JOB_FAILED" in events


def test_the_first_versions_hyphenated_sla_marks_are_honoured(
    il: Interlock, stored: dict[tuple[str, str], str]
) -> None:
    """A run that said its SLA alerts under ``sla-warning``/``sla-breach`` does not repeat them.

    The first versions spelled these marks with hyphens; a later refactor named them after
    their event types (``sla_breach``), so such a run, still running past its breach, would
    have been told ``SLA_BREACH`` again. The codec reads the old spellings as today's.
    """
    body = json.loads(stored["late", DAY])
    old = {"planned-next", "schedule-missed", "sla-warning", "sla-breach"}
    body.update(state="RUNNING", marks=sorted(old), finished_at=None)
    run = run_from_json(body)
    assert run.marks == {
        RunMark.PLANNED_NEXT,
        RunMark.SCHEDULE_MISSED,
        RunMark.SLA_WARNING,
        RunMark.SLA_BREACH,
    }
    decision, events = continue_run(il, replace(run, version=0), "10:30")
    assert decision.run.state is RunState.RUNNING
    assert not events & SLA_EVENTS
    succeeded, events = continue_run(
        il, run, "10:40", JobReported(attempt=run.attempt, status="succeeded", at=at("10:40"))
    )
    assert succeeded.run.state is RunState.SUCCEEDED
    assert "SLA_BREACH" not in events  # the late success does not say the breach twice
