"""The ``signals`` table: a run's inbox (launch outcomes, job reports, operator requests).

A signal is queued in the same transaction that flags its run as due
(:func:`interlock.store.runs.signal_waiting`), and marked processed in the transaction that
applies the decision which consumed it, so none is lost or consumed twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from interlock.model import Run, Signal
from interlock.store._statements import INSERT_SIGNAL, MARK_SIGNAL_PROCESSED, PENDING_SIGNALS
from interlock.store.codec import signal_from_json

__all__ = ["insert", "mark_processed", "pending"]


def insert(  # noqa: PLR0913, PLR0917 - the full address and payload of a signal
    conn: Connection,
    pipeline_id: str,
    partition: str,
    kind: str,
    payload: Mapping[str, Any],
    now: datetime,
) -> None:
    """Queue one encoded signal (see :func:`interlock.store.codec.signal_to_json`)."""
    INSERT_SIGNAL.execute(
        conn,
        {
            "pipeline_id": pipeline_id,
            "partition": partition,
            "kind": kind,
            "payload": dict(payload),
            "created_at": now,
        },
    )


def pending(conn: Connection, run: Run) -> list[tuple[int, Signal]]:
    """Unprocessed signals of ``run``, oldest first."""
    rows = conn.execute(
        PENDING_SIGNALS, {"b_pipeline": run.pipeline_id, "b_partition": run.partition}
    )
    return [(row.id, signal_from_json(row.kind, row.payload)) for row in rows]


def mark_processed(conn: Connection, ids: Sequence[int], now: datetime) -> None:
    """Mark signals consumed by a decision."""
    if ids:
        MARK_SIGNAL_PROCESSED.execute(conn, [{"b_id": i, "b_now": now} for i in ids])
