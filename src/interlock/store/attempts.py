"""The ``attempts`` table: the job log, one row per launch attempt.

A launch is recorded as a ``launching`` row in the same transaction as the run's LAUNCHING
state; the primary key is the attempt id, the idempotency key, so no attempt can be recorded
— and so launched — twice. Later facts arrive typed (:class:`~interlock.abc.AttemptLaunched`,
:class:`~interlock.abc.AttemptOutcome`) and are mapped to columns only here.

An attempt ends when a decision says so in its events (``JOB_COMPLETED``, ``JOB_FAILED``,
``RUN_CANCELLED``, ``INFRA_FAILURE``, ``JOB_POLL_EXHAUSTED``, each naming its ``attempt``),
whatever brought the news: a poll, ``job report``, a cancel, a timeout. :func:`settle`
records exactly those endings in the same transaction, so the job log cannot disagree with
the events — a failed attempt that is retried is closed although the decision has already
moved the run to the next attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from interlock.abc import (
    AttemptInputs,
    AttemptLaunched,
    AttemptOutcome,
    AttemptRecord,
    AttemptUpdate,
)
from interlock.events import EventType
from interlock.model import Decision, Event, LaunchJob
from interlock.model.specs import PipelineSpec
from interlock.store import schema as t
from interlock.store._statements import (
    ATTEMPT_FINISHED,
    ATTEMPT_RUNNING,
    INSERT_ATTEMPT,
    RECORD_LAUNCH,
)

__all__ = ["get", "list_attempts", "record_launch", "record_launches", "settle"]

ENDINGS: Mapping[str, str] = {
    EventType.JOB_COMPLETED: "succeeded",
    EventType.JOB_FAILED: "failed",
    EventType.RUN_CANCELLED: "cancelled",
    EventType.INFRA_FAILURE: "unknown",
    EventType.JOB_POLL_EXHAUSTED: "unknown",
}
"""The events that end an attempt, and the attempt's final state in the job log."""


def record_launches(
    conn: Connection,
    decision: Decision,
    pipeline: PipelineSpec,
    now: datetime,
    inputs: AttemptInputs,
) -> None:
    """One ``launching`` row per launch the decision makes (a duplicate id raises)."""
    for launch in (a for a in decision.actions if isinstance(a, LaunchJob)):
        INSERT_ATTEMPT.execute(
            conn,
            {
                "attempt_id": launch.attempt_id,
                "pipeline_id": launch.pipeline_id,
                "partition": launch.partition,
                "attempt": launch.attempt,
                "reason": decision.run.attempt_reason,
                "state": "launching",
                "backend": pipeline.job.type if pipeline.job else "",
                "inputs": dict(inputs),
                "decided_at": now,
            },
        )


def record_launch(
    conn: Connection,
    attempt_id: str,
    handle: Mapping[str, Any] | None,
    message: str | None,
    now: datetime,
) -> None:
    """After the backend call: ``running`` with its handle, or ``launch-failed``."""
    RECORD_LAUNCH.execute(
        conn,
        {
            "b_attempt_id": attempt_id,
            "b_state": "running" if handle is not None else "launch-failed",
            "b_handle": dict(handle) if handle is not None else None,
            "b_now": now,
            "b_message": message,
        },
    )


def settle(conn: Connection, decision: Decision, fact: AttemptUpdate | None) -> None:
    """Record ``fact`` and end every attempt the decision's events end (see the module doc).

    An ending the poll observed takes the poll's time, message and output; one without (a
    report, a cancel, a timeout) takes its event's.
    """
    if isinstance(fact, AttemptLaunched):
        ATTEMPT_RUNNING.execute(
            conn, {"b_attempt_id": fact.attempt_id, "b_handle": dict(fact.handle), "b_at": fact.at}
        )
    ended = dict(_endings(decision.events))
    for attempt_id, event in ended.items():
        polled = (
            fact if isinstance(fact, AttemptOutcome) and fact.attempt_id == attempt_id else None
        )
        state = ENDINGS[event.type]
        _finish(conn, attempt_id, state=state, at=event.at, message=event.message, polled=polled)
    if isinstance(fact, AttemptOutcome) and fact.attempt_id not in ended:
        _finish(
            conn,
            fact.attempt_id,
            state=fact.state,
            at=fact.at,
            message=fact.message or "",
            polled=fact,
        )


def list_attempts(conn: Connection, pipeline_id: str, partition: str | None) -> list[AttemptRecord]:
    """The job log of a pipeline (or one partition), oldest first."""
    a = t.attempts.c
    query = (
        sa.select(t.attempts).where(a.pipeline_id == pipeline_id).order_by(a.partition, a.attempt)
    )
    if partition is not None:
        query = query.where(a.partition == partition)
    return [AttemptRecord(**dict(row._mapping)) for row in conn.execute(query)]  # noqa: SLF001 - public SQLAlchemy API


def get(conn: Connection, attempt_id: str) -> AttemptRecord | None:
    """One job-log row by its idempotency key."""
    row = conn.execute(sa.select(t.attempts).where(t.attempts.c.attempt_id == attempt_id)).first()
    return AttemptRecord(**dict(row._mapping)) if row is not None else None  # noqa: SLF001


def _endings(events: tuple[Event, ...]) -> list[tuple[str, Event]]:
    """``(attempt id, event)`` for each event that ends an attempt, last one per attempt wins."""
    found: list[tuple[str, Event]] = []
    for event in events:
        attempt = event.detail.get("attempt")
        if event.type in ENDINGS and isinstance(attempt, int) and event.partition is not None:
            found.append((f"{event.pipeline_id}/{event.partition}/{attempt}", event))
    return found


def _finish(  # noqa: PLR0913 - one row's final values
    conn: Connection,
    attempt_id: str,
    *,
    state: str,
    at: datetime,
    message: str,
    polled: AttemptOutcome | None,
) -> None:
    ATTEMPT_FINISHED.execute(
        conn,
        {
            "b_attempt_id": attempt_id,
            "b_state": state,
            "b_at": polled.at if polled is not None else at,
            "b_message": (polled.message if polled is not None else None) or message,
            "b_output": polled.output if polled is not None else None,
        },
    )
