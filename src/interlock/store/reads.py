"""The reading side of :class:`~interlock.store.sqlalchemy.SqlStore`: runs, job log, events.

Every method here opens a connection of its own and only reads, so :class:`SqlReads` needs
nothing of the store but its engine. It is a base of ``SqlStore``, kept apart so the store's
module stays about what it writes and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from interlock.abc import AttemptRecord, PartitionRows
from interlock.model import Event, Run
from interlock.store import attempts, events, partitions
from interlock.store import runs as run_table
from interlock.store import schema as table

__all__ = ["SqlReads"]


class SqlReads:
    """What a store answers without writing (the ReadStore protocol, and desired state's)."""

    engine: Engine

    # Desired state -------------------------------------------------------------------------

    def count_active(self, pipeline_id: str) -> int:
        """How many of the pipeline's runs are LAUNCHING or RUNNING (``maxConcurrent``)."""
        with self.engine.connect() as conn:
            return partitions.count_active(conn, pipeline_id)

    def partition_rows(self, pipeline_id: str) -> PartitionRows:
        """What is stored about ``pipeline_id``'s partitions: completeness and run states."""
        with self.engine.connect() as conn:
            return partitions.load_partition_rows(conn, pipeline_id)

    def latest_reading_ref(self, keys: Iterable[str]) -> int | None:
        """The history id of the newest undated reading of any of ``keys`` (None: none)."""
        wanted = sorted(set(keys))
        if not wanted:
            return None
        rd = table.readings.c
        query = sa.select(sa.func.max(rd.history_id)).where(rd.key.in_(wanted), rd.partition == "")
        with self.engine.connect() as conn:
            latest: int | None = conn.execute(query).scalar()
        return latest

    # ReadStore ---------------------------------------------------------------------------

    def get_run(self, pipeline_id: str, partition: str) -> Run | None:
        """One run, or None."""
        with self.engine.connect() as conn:
            return run_table.get(conn, pipeline_id, partition)

    def run_explanation(self, pipeline_id: str, partition: str) -> Mapping[str, Any] | None:
        """The explanation stored with the run's latest decision."""
        with self.engine.connect() as conn:
            return run_table.explanation(conn, pipeline_id, partition)

    def list_runs(
        self, pipeline_id: str | None = None, *, limit: int = 50, states: Sequence[str] = ()
    ) -> list[Run]:
        """Runs, newest partition first."""
        with self.engine.connect() as conn:
            return run_table.list_runs(conn, pipeline_id, limit=limit, states=states)

    def list_attempts(self, pipeline_id: str, partition: str | None = None) -> list[AttemptRecord]:
        """The job log of a pipeline (or one partition), oldest first."""
        with self.engine.connect() as conn:
            return attempts.list_attempts(conn, pipeline_id, partition)

    def get_attempt(self, attempt_id: str) -> AttemptRecord | None:
        """One job-log row by its idempotency key."""
        with self.engine.connect() as conn:
            return attempts.get(conn, attempt_id)

    def list_events(  # noqa: PLR0913 - every filter is keyword-only
        self,
        *,
        types: Sequence[str] = (),
        pipeline_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
        newest: bool = False,
    ) -> list[Event]:
        """Events in time order, filtered: the oldest ``limit``, or with ``newest`` the newest."""
        with self.engine.connect() as conn:
            return events.list_events(
                conn,
                types=types,
                pipeline_id=pipeline_id,
                since=since,
                until=until,
                limit=limit,
                newest=newest,
            )

    def count_events(
        self,
        *,
        types: Sequence[str] = (),
        pipeline_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many events the filters of :meth:`list_events` match."""
        with self.engine.connect() as conn:
            return events.count_events(
                conn, types=types, pipeline_id=pipeline_id, since=since, until=until
            )
