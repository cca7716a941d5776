"""The ``events`` table: the append-only audit log every decision writes to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from interlock.model import Event
from interlock.store import schema as t
from interlock.store._statements import INSERT_EVENTS

__all__ = ["count_events", "list_events", "record"]


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
    newest: bool = False,
) -> list[Event]:
    """Events in time order (then write order), filtered: the oldest ``limit``, or the newest.

    ``newest`` picks the newest ``limit`` (by time, then write order) and still returns them
    oldest first, so a page of recent events reads like the log it is cut from.
    """
    e = t.events.c
    order = (e.at.desc(), e.id.desc()) if newest else (e.at, e.id)
    query = _filtered(
        sa.select(t.events), types=types, pipeline_id=pipeline_id, since=since, until=until
    )
    found = [
        Event(
            type=row.type,
            pipeline_id=row.pipeline_id,
            partition=row.partition,
            at=row.at,
            message=row.message,
            detail=row.detail,
        )
        for row in conn.execute(query.order_by(*order).limit(limit))
    ]
    return found[::-1] if newest else found


def count_events(
    conn: Connection,
    *,
    types: Sequence[str],
    pipeline_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> int:
    """How many events the filters of :func:`list_events` match (before any limit)."""
    query = _filtered(
        sa.select(sa.func.count()).select_from(t.events),
        types=types,
        pipeline_id=pipeline_id,
        since=since,
        until=until,
    )
    return int(conn.execute(query).scalar_one())


def _filtered(
    query: sa.Select[Any],
    *,
    types: Sequence[str],
    pipeline_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> sa.Select[Any]:
    """``query`` restricted to the event filters (any of ``types``, one pipeline, a span)."""
    e = t.events.c
    if types:
        query = query.where(e.type.in_(list(types)))
    if pipeline_id is not None:
        query = query.where(e.pipeline_id == pipeline_id)
    if since is not None:
        query = query.where(e.at >= since)
    if until is not None:
        query = query.where(e.at < until)
    return query
