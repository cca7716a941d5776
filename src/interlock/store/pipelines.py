"""The ``pipelines``, ``pipeline_versions`` tables and the indexes derived from the configs.

Configs are stored so every process sharing the database sees the same pipelines; every
changed version is kept for audit. A pipeline's pause (``interlock pause``) lives in its
``pipelines`` row too, apart from the config: ``apply`` never touches it. ``sensor_index``
(sensor key → pipelines) is what a reading write consults to find the runs it wakes, and
``dependency_index`` (upstream → its ``dependsOn`` entries) what an upstream run coming to
rest consults, and ``complete_index`` (sensor key → the ``complete`` conditions reading it)
what a dated reading consults to re-check one partition; all are cached in
:class:`Pipelines`, and refreshed together.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from interlock.abc import StoredPipeline, SyncReport
from interlock.errors import UnknownPipelineError
from interlock.events import EventType
from interlock.model import Event, RunState
from interlock.model.dependencies import MappingKind, PartitionMapping
from interlock.model.specs import Pause, PipelineSpec
from interlock.store import events as event_log
from interlock.store import schema as t
from interlock.store._prepared import Prepared
from interlock.store._routing import DependencyRoute, Route
from interlock.store.partitions import CompleteReader, index_complete, load_complete_readers

__all__ = [
    "CONFIG_RECHECK_SECONDS",
    "Dependents",
    "Pipelines",
    "is_paused",
    "set_pause",
    "stored",
    "token",
]

CONFIG_RECHECK_SECONDS = 1.0
"""How stale this process's view of pipeline configs may get when another process applies."""


Dependents = Mapping[str, tuple[DependencyRoute, ...]]
"""Upstream pipeline id → the ``dependsOn`` entries that name it."""


class Pipelines:
    """Pipeline configs, and this process's cache of how readings and final states route."""

    def __init__(self) -> None:
        self._routes: dict[str, list[Route]] | None = None
        self._routes_token: tuple[Any, ...] = ()
        self._known: frozenset[str] = frozenset()
        self._dependents: Dependents = {}
        self._complete: dict[str, list[CompleteReader]] = {}
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
        zones = {i: r.timezone for i, r in current.items() if r.timezone}
        zones.update({spec.id: spec.schedule.timezone for spec in specs})
        index = _DependencyIndex(zones)
        for spec in specs:
            row = current.get(spec.id)
            if row is not None and row.config_hash == spec.config_hash:
                if row.timezone is None:  # stored before 0004: learn its zone once
                    _set_timezone(conn, spec)
                unchanged.append(spec.id)
                continue
            _store_version(conn, spec, row, documents[spec.id], now)
            (added if row is None else changed).append(spec.id)
            _index_sensors(conn, spec)
            index_complete(conn, spec)
            index.add(spec, stored=row)
        index.write(conn)
        self._routes = None
        return SyncReport(added=tuple(added), changed=tuple(changed), unchanged=tuple(unchanged))

    def routes(self, conn: Connection) -> tuple[dict[str, list[Route]], frozenset[str]]:
        """Sensor key → pipelines, and the known pipeline ids; cached.

        Changes applied through this store invalidate the cache at once; changes applied by
        another process are picked up within :data:`CONFIG_RECHECK_SECONDS`.
        """
        routes = self._refresh(conn)
        return routes, self._known

    def complete_readers(self, conn: Connection) -> Mapping[str, list[CompleteReader]]:
        """Sensor key → the pipelines whose ``complete`` reads it; cached like :meth:`routes`."""
        self._refresh(conn)
        return self._complete

    def dependents(self, conn: Connection) -> Dependents:
        """Upstream id → the ``dependsOn`` entries naming it; cached like :meth:`routes`."""
        self._refresh(conn)
        return self._dependents

    def _refresh(self, conn: Connection) -> dict[str, list[Route]]:
        """Reload both indexes if the configs changed (checked at most once a recheck period)."""
        fresh = time.monotonic() - self._routes_checked < CONFIG_RECHECK_SECONDS
        if self._routes is not None and fresh:
            return self._routes
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
            self._dependents = _load_dependents(conn)
            self._complete = load_complete_readers(conn)
        self._routes_checked = time.monotonic()
        return self._routes


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
            paused=_pause(r),
        )
        for r in rows
    ]


def _pause(row: Any) -> Pause | None:
    if row.paused_at is None:
        return None
    return Pause(at=row.paused_at, reason=row.paused_reason or "", by=row.paused_by or "")


def token(conn: Connection) -> tuple[Any, ...]:
    """Changes whenever any pipeline config, or any pause, changes (one aggregate query)."""
    p = t.pipelines.c
    return tuple(
        conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.max(p.updated_at),
                sa.func.sum(p.version),
                sa.func.sum(p.pause_serial),
            )
        ).one()
    )


_PAUSED = Prepared(
    sa.select(t.pipelines.c.id).where(
        t.pipelines.c.id == sa.bindparam("b_id"), t.pipelines.c.paused_at.is_not(None)
    )
)
"""Prepared: it runs in the transaction of every launch decision (the write → launch path)."""


def is_paused(conn: Connection, pipeline_id: str) -> bool:
    """Whether the pipeline is paused as of this transaction (False when it is unknown)."""
    return _PAUSED.execute(conn, {"b_id": pipeline_id}).first() is not None


def set_pause(
    conn: Connection, pipeline_id: str, pause: Pause | None, now: datetime
) -> Event | None:
    """Pause (``pause`` given) or resume the pipeline; the event recorded, None if no change.

    Either way its WAITING runs move version (a decision taken before this commit is
    dropped, not applied) and become due now: after a resume they launch at once if
    their rules hold, after a pause they are explained as paused. So do the WAITING runs
    of its downstreams (``dependsOn``): a paused required upstream blocks them, which they
    say (and an SLA deadline counts as at risk) now, not at their next timer.

    :raises UnknownPipelineError: the pipeline is not stored.
    """
    p = t.pipelines.c
    row = conn.execute(sa.select(p.paused_at).where(p.id == pipeline_id)).first()
    if row is None:
        raise UnknownPipelineError(pipeline_id)
    if (row.paused_at is not None) == (pause is not None):
        return None
    conn.execute(
        t.pipelines.update()
        .where(p.id == pipeline_id)
        .values(
            paused_at=pause.at if pause else None,
            paused_reason=pause.reason if pause else None,
            paused_by=pause.by if pause else None,
            pause_serial=p.pause_serial + 1,
        )
    )
    r, d = t.runs.c, t.dependency_index.c
    downstreams = sa.select(d.downstream_id).where(d.upstream_id == pipeline_id)
    conn.execute(
        t.runs.update()
        .where(
            sa.or_(r.pipeline_id == pipeline_id, r.pipeline_id.in_(downstreams)),
            r.state == RunState.WAITING.value,
        )
        .values(next_check_at=now, version=r.version + 1)
    )
    event = _pause_event(pipeline_id, pause, now)
    event_log.record(conn, [event])
    return event


def _pause_event(pipeline_id: str, pause: Pause | None, now: datetime) -> Event:
    if pause is None:
        return Event(
            type=EventType.PIPELINE_RESUMED,
            pipeline_id=pipeline_id,
            partition=None,
            at=now,
            message="resumed: waiting runs are decided again now",
        )
    detail = {"reason": pause.reason, "by": pause.by}
    return Event(
        type=EventType.PIPELINE_PAUSED,
        pipeline_id=pipeline_id,
        partition=None,
        at=now,
        message=pause.describe(),
        detail={k: v for k, v in detail.items() if v},
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


def _store_version(
    conn: Connection, spec: PipelineSpec, row: Any, document: str, now: datetime
) -> None:
    """Insert or update the ``pipelines`` row (``row`` None: new) and keep the version."""
    values = {
        "version": 1 if row is None else row.version + 1,
        "config_hash": spec.config_hash,
        "source": spec.source,
        "document": document,
    }
    current = {"updated_at": now, "timezone": spec.schedule.timezone, **values}
    if row is None:
        conn.execute(t.pipelines.insert().values(id=spec.id, **current))
    else:
        conn.execute(t.pipelines.update().where(t.pipelines.c.id == spec.id).values(**current))
    conn.execute(t.pipeline_versions.insert().values(pipeline_id=spec.id, applied_at=now, **values))


def _set_timezone(conn: Connection, spec: PipelineSpec) -> None:
    conn.execute(
        t.pipelines.update()
        .where(t.pipelines.c.id == spec.id)
        .values(timezone=spec.schedule.timezone)
    )


_d = t.dependency_index.c
_DROP_ENTRIES = t.dependency_index.delete().where(_d.downstream_id == sa.bindparam("b_id"))
_SET_UPSTREAM_ZONE = (
    t.dependency_index.update()
    .where(_d.upstream_id == sa.bindparam("b_id"))
    .values(upstream_timezone=sa.bindparam("b_zone"))
)


class _DependencyIndex:
    """The ``dependency_index`` changes of one apply, written together (``executemany``).

    Per changed pipeline: its own entries are replaced, and the zone its downstreams know
    it by is set when it is new or its zone changed (an upstream not stored yet is indexed
    under the downstream's zone until it is applied). Only what can have changed is
    written, in three statements, so applying 10,000 pipelines stays a matter of seconds.
    """

    def __init__(self, zones: Mapping[str, str]) -> None:
        self._zones = zones
        self._dropped: list[dict[str, str]] = []
        self._zoned: list[dict[str, str]] = []
        self._rows: list[dict[str, Any]] = []

    def add(self, spec: PipelineSpec, *, stored: Any) -> None:
        """Index ``spec``; ``stored`` is its ``pipelines`` row before this apply (None: new)."""
        zone = spec.schedule.timezone
        if stored is not None:
            self._dropped.append({"b_id": spec.id})
        if stored is None or stored.timezone != zone:
            self._zoned.append({"b_id": spec.id, "b_zone": zone})
        if spec.depends_on is None:
            return
        opens = spec.schedule.cron is None and spec.schedule.trigger is None
        declared = spec.partitions
        dimensions = None if declared is None else [d.name for d in declared.dimensions]
        self._rows.extend(
            {
                "upstream_id": dep.pipeline,
                "downstream_id": spec.id,
                "label": dep.label,
                "kind": dep.partition.kind.value,
                "offset_seconds": int(dep.partition.offset.total_seconds()),
                "timezone": zone,
                "upstream_timezone": self._zones.get(dep.pipeline, zone),
                "opens_runs": opens,
                "all_dimension": dep.partition.dimension,
                "downstream_dimensions": dimensions,
            }
            for dep in spec.depends_on.dependencies
        )

    def write(self, conn: Connection) -> None:
        """Drop the replaced entries, set the zones, insert the new entries."""
        if self._dropped:
            conn.execute(_DROP_ENTRIES, self._dropped)
        if self._zoned:
            conn.execute(_SET_UPSTREAM_ZONE, self._zoned)
        if self._rows:
            conn.execute(t.dependency_index.insert(), self._rows)


def _load_dependents(conn: Connection) -> Dependents:
    found: dict[str, list[DependencyRoute]] = defaultdict(list)
    order = (_d.upstream_id, _d.downstream_id, _d.label)
    for row in conn.execute(sa.select(t.dependency_index).order_by(*order)):
        mapping = PartitionMapping(
            kind=MappingKind(row.kind),
            offset=timedelta(seconds=row.offset_seconds),
            dimension=row.all_dimension,
        )
        dimensions = row.downstream_dimensions
        found[row.upstream_id].append(
            DependencyRoute(
                downstream_id=row.downstream_id,
                label=row.label,
                mapping=mapping,
                timezone=row.timezone,
                upstream_timezone=row.upstream_timezone,
                opens_runs=row.opens_runs,
                downstream_dimensions=None if dimensions is None else tuple(dimensions),
            )
        )
    return {upstream: tuple(routes) for upstream, routes in found.items()}
