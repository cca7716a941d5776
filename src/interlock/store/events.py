"""The ``events`` table: the append-only audit log every decision writes to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from interlock.model import Event
from interlock.store import schema as t
from interlock.store._statements import INSERT_EVENTS

__all__ = ["list_events", "record"]


def record(conn: Connection, events: Sequence[Event]) -> None:
    """Append a decision's events, in order."""
    if events:
        INSERT_EVENTS.execute(
            conn,
            [
                {
                    "type": e.type,
                    "pipeline_id": e.pipeline_id,
                    "partition": e.partition,
                    "at": e.at,
                    "message": e.message,
                    "detail": dict(e.detail),
                }
                for e in events
            ],
        )


def list_events(  # noqa: PLR0913 - every filter is keyword-only
    conn: Connection,
    *,
    types: Sequence[str],
    pipeline_id: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[Event]:
    """Events in time order (then write order), filtered."""
    e = t.events.c
    query = sa.select(t.events).order_by(e.at, e.id).limit(limit)
    if types:
        query = query.where(e.type.in_(list(types)))
    if pipeline_id is not None:
        query = query.where(e.pipeline_id == pipeline_id)
    if since is not None:
        query = query.where(e.at >= since)
    if until is not None:
        query = query.where(e.at < until)
    return [
        Event(
            type=row.type,
            pipeline_id=row.pipeline_id,
            partition=row.partition,
            at=row.at,
            message=row.message,
            detail=row.detail,
        )
        for row in conn.execute(query)
    ]
