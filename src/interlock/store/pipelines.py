"""The ``pipelines``, ``pipeline_versions`` and ``sensor_index`` tables.

Configs are stored so every process sharing the database sees the same pipelines; every
changed version is kept for audit. ``sensor_index`` (sensor key → pipelines) is what a
reading write consults to find the runs it wakes; it is cached in :class:`Pipelines`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from interlock.abc import StoredPipeline, SyncReport
from interlock.model.specs import PipelineSpec
from interlock.store import schema as t
from interlock.store._routing import Route

__all__ = ["CONFIG_RECHECK_SECONDS", "Pipelines"]

CONFIG_RECHECK_SECONDS = 1.0
"""How stale this process's view of pipeline configs may get when another process applies."""


class Pipelines:
    """Pipeline configs, and this process's cache of how readings route to them."""

    def __init__(self) -> None:
        self._routes: dict[str, list[Route]] | None = None
        self._routes_token: tuple[Any, ...] = ()
        self._known: frozenset[str] = frozenset()
        self._routes_checked = 0.0

    def sync(
        self,
        conn: Connection,
        specs: Sequence[PipelineSpec],
        documents: Mapping[str, str],
        now: datetime,
    ) -> SyncReport:
        """Store each changed config as a new version; see :meth:`PipelineStore.sync_pipelines`."""
        added: list[str] = []
        changed: list[str] = []
        unchanged: list[str] = []
        current = {r.id: r for r in conn.execute(sa.select(t.pipelines))}
        for spec in specs:
            row = current.get(spec.id)
            if row is not None and row.config_hash == spec.config_hash:
                unchanged.append(spec.id)
                continue
            values = {
                "version": 1 if row is None else row.version + 1,
                "config_hash": spec.config_hash,
                "source": spec.source,
                "document": documents[spec.id],
            }
            if row is None:
                conn.execute(t.pipelines.insert().values(id=spec.id, updated_at=now, **values))
                added.append(spec.id)
            else:
                conn.execute(
                    t.pipelines.update()
                    .where(t.pipelines.c.id == spec.id)
                    .values(updated_at=now, **values)
                )
                changed.append(spec.id)
            conn.execute(
                t.pipeline_versions.insert().values(pipeline_id=spec.id, applied_at=now, **values)
            )
            _index_sensors(conn, spec)
        self._routes = None
        return SyncReport(added=tuple(added), changed=tuple(changed), unchanged=tuple(unchanged))

    def routes(self, conn: Connection) -> tuple[dict[str, list[Route]], frozenset[str]]:
        """Sensor key → pipelines, and the known pipeline ids; cached.

        Changes applied through this store invalidate the cache at once; changes applied by
        another process are picked up within :data:`CONFIG_RECHECK_SECONDS`.
        """
        fresh = time.monotonic() - self._routes_checked < CONFIG_RECHECK_SECONDS
        if self._routes is not None and fresh:
            return self._routes, self._known
        current = token(conn)
        if self._routes is None or current != self._routes_token:
            routes: dict[str, list[Route]] = defaultdict(list)
            for row in conn.execute(sa.select(t.sensor_index)):
                route = Route(
                    pipeline_id=row.pipeline_id, is_trigger=row.is_trigger, timezone=row.timezone
                )
                routes[row.key].append(route)
            self._routes, self._routes_token = dict(routes), current
            self._known = frozenset(conn.execute(sa.select(t.pipelines.c.id)).scalars())
        self._routes_checked = time.monotonic()
        return self._routes, self._known


def stored(conn: Connection) -> list[StoredPipeline]:
    """Every stored pipeline, sorted by id."""
    rows = conn.execute(sa.select(t.pipelines).order_by(t.pipelines.c.id))
    return [
        StoredPipeline(
            id=r.id,
            version=r.version,
            config_hash=r.config_hash,
            source=r.source,
            document=r.document,
            updated_at=r.updated_at,
        )
        for r in rows
    ]


def token(conn: Connection) -> tuple[Any, ...]:
    """Changes whenever any pipeline config changes (one aggregate query)."""
    p = t.pipelines.c
    return tuple(
        conn.execute(
            sa.select(sa.func.count(), sa.func.max(p.updated_at), sa.func.sum(p.version))
        ).one()
    )


def _index_sensors(conn: Connection, spec: PipelineSpec) -> None:
    conn.execute(t.sensor_index.delete().where(t.sensor_index.c.pipeline_id == spec.id))
    trigger_keys = spec.schedule.trigger.keys if spec.schedule.trigger else frozenset()
    rows = [
        {
            "key": key,
            "pipeline_id": spec.id,
            "is_trigger": key in trigger_keys,
            "timezone": spec.schedule.timezone,
        }
        for key in sorted(spec.sensor_keys)
    ]
    if rows:
        conn.execute(t.sensor_index.insert(), rows)
