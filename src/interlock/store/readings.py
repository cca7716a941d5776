"""The ``reading_history`` and ``readings`` tables: every accepted reading, and the latest.

History is append-only (lineage: an attempt records the history ids it saw); ``readings``
holds the latest value per ``(scope, key, partition)`` and is what decisions read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from interlock.abc import ReadingInput
from interlock.errors import UnknownPipelineError
from interlock.model import Reading, ReadingSet
from interlock.model.limits import check_pipeline_id, check_reading
from interlock.model.specs import PipelineSpec
from interlock.store import schema as t
from interlock.store._statements import INSERT_HISTORY, LOAD_READINGS, upsert_latest_reading

__all__ = ["Readings", "history", "load", "normalise"]


class Readings:
    """Reading writes; holds the statements that differ by dialect."""

    def __init__(self, *, sqlite: bool) -> None:
        self._sqlite = sqlite
        self._upsert_latest = upsert_latest_reading(on_sqlite=sqlite)

    def write(self, conn: Connection, rows: list[dict[str, Any]], now: datetime) -> None:
        """Append normalised rows to the history and make each the latest of its key."""
        ids = self._append_history(conn, [{**r, "received_at": now} for r in rows])
        latest: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row, history_id in zip(rows, ids, strict=True):
            latest[(row["scope"], row["key"], row["partition"])] = {
                **row,
                "updated_at": now,
                "history_id": history_id,
            }
        self._upsert_latest.execute(conn, list(latest.values()))

    def _append_history(self, conn: Connection, rows: list[dict[str, Any]]) -> Sequence[int]:
        """Append to the history and return the new ids, in order.

        SQLite: one ``executemany`` and ``last_insert_rowid()``; the ids are consecutive
        because this transaction holds SQLite's single write lock from its first insert.
        ``INSERT ... RETURNING`` would run row by row there, three times slower.
        """
        if self._sqlite:
            if len(rows) == 1:  # the common single write: no second statement for the id
                return [INSERT_HISTORY.execute(conn, rows[0]).lastrowid]
            INSERT_HISTORY.execute(conn, rows)
            last = int(conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
            return range(last - len(rows) + 1, last + 1)
        insert = t.reading_history.insert().returning(
            t.reading_history.c.id, sort_by_parameter_order=True
        )
        return conn.execute(insert, rows).scalars().all()


def normalise(index: int, item: ReadingInput, known: frozenset[str]) -> dict[str, Any]:
    """One row, or :class:`InputError` naming ``readings[index].<field>`` and the limit.

    Every limit is checked here, before the database (:mod:`interlock.model.limits`), so SQLite
    and PostgreSQL accept exactly the same readings.
    """
    where = f"readings[{index}]"
    if item.pipeline_id is not None:
        check_pipeline_id(item.pipeline_id, field=f"{where}.pipeline_id")
        if item.pipeline_id not in known:
            raise UnknownPipelineError(item.pipeline_id, known=known)
    reading = check_reading(item.key, item.partition, item.data, where=where)
    return {
        "scope": item.pipeline_id or "",
        "key": reading.key,
        "partition": reading.partition or "",
        "data": reading.data,
    }


def load(conn: Connection, pipeline: PipelineSpec, partition: str) -> ReadingSet:
    """The readings a run of ``pipeline`` for ``partition`` may see (resolved by decide)."""
    params = {"b_pipeline": pipeline.id, "b_partition": partition}
    return ReadingSet.of(
        Reading(
            key=row.key,
            data=row.data,
            updated_at=row.updated_at,
            partition=row.partition or None,
            pipeline_id=row.scope or None,
            ref=row.history_id,
        )
        for row in conn.execute(LOAD_READINGS, params)
    )


def history(
    conn: Connection, key: str, *, pipeline_id: str | None, limit: int
) -> list[dict[str, Any]]:
    """The newest accepted readings of ``key`` (newest first), with who consumed them."""
    h = t.reading_history.c
    query = (
        sa.select(t.reading_history)
        .where(h.key == key, h.scope == (pipeline_id or ""))
        .order_by(h.id.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in conn.execute(query)]  # noqa: SLF001 - public API
