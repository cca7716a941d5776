"""The ``attempts`` table: the job log, one row per launch attempt.

A launch is recorded as a ``launching`` row in the same transaction as the run's LAUNCHING
state; the primary key is the attempt id, the idempotency key, so no attempt can be recorded
— and so launched — twice. Later facts arrive typed (:class:`~interlock.abc.AttemptLaunched`,
:class:`~interlock.abc.AttemptOutcome`) and are mapped to columns only here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from interlock.abc import AttemptLaunched, AttemptRecord, AttemptUpdate
from interlock.model import Decision, LaunchJob
from interlock.model.specs import PipelineSpec
from interlock.store import schema as t
from interlock.store._statements import (
    ATTEMPT_FINISHED,
    ATTEMPT_RUNNING,
    INSERT_ATTEMPT,
    RECORD_LAUNCH,
)

__all__ = ["get", "list_attempts", "record_launch", "record_launches", "update"]


def record_launches(
    conn: Connection,
    decision: Decision,
    pipeline: PipelineSpec,
    now: datetime,
    inputs: Mapping[str, int | None],
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


def update(conn: Connection, attempt_id: str, fact: AttemptUpdate) -> None:
    """Record what was learnt about an attempt after its launch was recorded."""
    if isinstance(fact, AttemptLaunched):
        ATTEMPT_RUNNING.execute(
            conn, {"b_attempt_id": attempt_id, "b_handle": dict(fact.handle), "b_at": fact.at}
        )
        return
    ATTEMPT_FINISHED.execute(
        conn,
        {
            "b_attempt_id": attempt_id,
            "b_state": fact.state,
            "b_at": fact.at,
            "b_message": fact.message,
            "b_output": fact.output,
        },
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
