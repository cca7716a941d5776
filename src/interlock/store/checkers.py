"""The ``checker_status`` table, and the readings a checker compares its observations with.

The checker runner (:mod:`interlock.controller.checks`) records a reading only when what it
observed changed; after a restart it compares with what is stored, read here in one query
per check (36,500 partitions must not cost 36,500 queries).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from interlock.model import Event
from interlock.model.checkers import CheckerStatus
from interlock.store import events
from interlock.store import schema as t

__all__ = ["CheckerTables"]

_IN_CHUNK = 500
"""Partitions per ``IN (...)`` list: under every database's bound-parameter limit."""


class CheckerTables:
    """The checker runner's side of :class:`~interlock.store.sqlalchemy.SqlStore`."""

    engine: Engine

    def _writing(self) -> AbstractContextManager[Connection]:  # pragma: no cover - SqlStore's
        raise NotImplementedError

    def record_check(self, status: CheckerStatus, failed: Sequence[Event] = ()) -> None:
        """Store a checker's status (replacing the previous one) and its events, together."""
        row = {
            "label": status.label,
            "last_run_at": status.last_run_at,
            "last_ok_at": status.last_ok_at,
            "duration_ms": status.duration_ms,
            "last_error": status.last_error,
            "failures": status.failures,
        }
        table = t.checker_status
        with self._writing() as conn:
            conn.execute(table.delete().where(table.c.label == status.label))
            conn.execute(table.insert(), [row])
            events.record(conn, failed)

    def checker_statuses(self) -> dict[str, CheckerStatus]:
        """Every checker's last status, by label (checkers that never ran have none)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.checker_status)).mappings().all()
        return {row["label"]: CheckerStatus(**row) for row in rows}

    def stored_observations(
        self, key: str, pipeline_id: str | None, partitions: Sequence[str | None]
    ) -> dict[str | None, tuple[Mapping[str, Any], datetime]]:
        """The latest stored data of ``key`` in ``pipeline_id``'s scope, and when it came.

        One entry per partition of ``partitions`` that has a reading (None: undated).
        """
        found: dict[str | None, tuple[Mapping[str, Any], datetime]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks([p or "" for p in partitions]):
                for partition, data, at in conn.execute(_latest(key, pipeline_id, chunk)):
                    found[partition or None] = (data, at)
        return found


def _latest(key: str, pipeline_id: str | None, partitions: list[str]) -> sa.Select[Any]:
    rd = t.readings.c
    return sa.select(rd.partition, rd.data, rd.updated_at).where(
        rd.scope == (pipeline_id or ""), rd.key == key, rd.partition.in_(partitions)
    )


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]
