"""The SQLAlchemy Core store: SQLite (embedded default, one controller) or PostgreSQL.

SQLite runs in WAL mode with a busy timeout and is documented as single-controller (its
writers serialise anyway). PostgreSQL supports several controllers: due runs are claimed
with ``FOR UPDATE SKIP LOCKED`` and a lease, and every decision is applied with an
optimistic version check, so two controllers can never both apply a decision for the same
run — which, with the ``attempts`` primary key, is what makes "at most one launch per
attempt" hold across controllers.

Runs, attempts, signals and events live in :mod:`interlock.store._runs`; this module owns
the engine, pipelines and readings.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from interlock.errors import InputError, UnknownPipelineError
from interlock.limits import check_pipeline_id, check_reading
from interlock.model import Reading, ReadingSet
from interlock.specs import PipelineSpec
from interlock.store import schema as t
from interlock.store._errors import map_errors
from interlock.store._prepared import Prepared
from interlock.store._routing import Route, plan_wakes
from interlock.store._runs import RunsMixin
from interlock.store._sqlite import Checkpointer, ControllerLock, sqlite_pragmas
from interlock.store._statements import INSERT_HISTORY, LOAD_READINGS, upsert_latest_reading
from interlock.store.base import Broker, ReadingInput, StoredPipeline, SyncReport

__all__ = ["CONFIG_RECHECK_SECONDS", "SqlStore", "default_url"]

CONFIG_RECHECK_SECONDS = 1.0
"""How stale this process's view of pipeline configs may get when another process applies."""


def default_url() -> str:
    """``sqlite:///./interlock.db`` — the embedded default."""
    return "sqlite:///" + str(Path("interlock.db").resolve())


def _create_engine(url: str, *, pre_ping: bool) -> Engine:
    """The engine for ``url``; pre-ping guards against dropped server connections.

    :raises InputError: for a URL SQLAlchemy cannot use (never echoed: it may hold a password).
    """
    try:
        return sa.create_engine(url, pool_pre_ping=pre_ping)
    except sa.exc.ArgumentError as exc:  # unparsable, or an unknown dialect or driver
        raise InputError(
            f"not a usable database URL ({type(exc).__name__}); use sqlite:///path.db or "
            "postgresql+psycopg://user@host/db",
            field="db",
        ) from exc


class SqlStore(RunsMixin):
    """Interlock's persistence on one SQLAlchemy engine."""

    def __init__(
        self, url: str | None = None, *, broker: Broker | None = None, migrate: bool = True
    ) -> None:
        self.url = url or default_url()
        self.broker = broker or Broker()
        sqlite = self.url.startswith("sqlite")
        self.engine: Engine = _create_engine(self.url, pre_ping=not sqlite)
        map_errors(self.engine)
        if sqlite:
            sa.event.listen(self.engine, "connect", sqlite_pragmas)
        if migrate:
            from interlock.store.migrations import upgrade  # noqa: PLC0415 - alembic is slow to import

            try:
                upgrade(self.engine)  # one SELECT at head; locked and re-checked otherwise
            except BaseException:
                self.engine.dispose()  # a refused or failed migration leaves no connection open
                raise
        on_disk = sqlite and self.engine.url.database not in {None, "", ":memory:"}
        self._checkpointer = Checkpointer(self.engine) if on_disk else None
        database = self.engine.url.database
        self._controller_lock = ControllerLock(database) if on_disk and database else None
        self._routes: dict[str, list[Route]] | None = None
        self._routes_token: tuple[Any, ...] = ()
        self._known: frozenset[str] = frozenset()
        self._routes_checked = 0.0

    def __repr__(self) -> str:
        return f"SqlStore({self.engine.url!r})"  # SQLAlchemy masks the password

    @property
    def is_sqlite(self) -> bool:
        """True on the embedded default (single controller)."""
        return self.engine.dialect.name == "sqlite"

    def close(self) -> None:
        """Checkpoint SQLite's log, then dispose of every pooled connection."""
        if self._checkpointer is not None:
            self._checkpointer.close()
        if self._controller_lock is not None:
            self._controller_lock.release()
        self.engine.dispose()

    def start_controller(self, now: datetime) -> int:
        """Make ready for a controller to start on this store; returns leases released.

        On SQLite the controller must be the only one: it takes the database's controller
        lock (:class:`StoreError` if another process holds it), then drops every lease
        left by a previous, dead controller, so its LAUNCHING runs are resolved at once. On
        PostgreSQL leases stay: other controllers may be alive, and a dead one's short
        leases expire by themselves (they are renewed only while it lives).
        """
        if not self.is_sqlite:
            return 0
        if self._controller_lock is not None:
            self._controller_lock.acquire()
        return self.release_stale_leases(now)

    # Pipelines ---------------------------------------------------------------------------

    def sync_pipelines(
        self, specs: Sequence[PipelineSpec], documents: Mapping[str, str], now: datetime
    ) -> SyncReport:
        """Store the current config of each pipeline, keeping every changed version.

        ``documents`` maps pipeline id → the stored document (YAML plus calendars, see
        :func:`interlock.app.pack_document`). Pipelines missing from ``specs`` stay stored.
        """
        added: list[str] = []
        changed: list[str] = []
        unchanged: list[str] = []
        with self.engine.begin() as conn:
            current = {r.id: r for r in conn.execute(sa.select(t.pipelines))}
            for spec in specs:
                row = current.get(spec.id)
                if row is not None and row.config_hash == spec.config_hash:
                    unchanged.append(spec.id)
                    continue
                version = 1 if row is None else row.version + 1
                values = {
                    "version": version,
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
                    t.pipeline_versions.insert().values(
                        pipeline_id=spec.id, applied_at=now, **values
                    )
                )
                self._index_sensors(conn, spec)
        self._routes = None
        return SyncReport(added=tuple(added), changed=tuple(changed), unchanged=tuple(unchanged))

    def _index_sensors(self, conn: Connection, spec: PipelineSpec) -> None:
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

    def stored_pipelines(self) -> list[StoredPipeline]:
        """Every stored pipeline, sorted by id."""
        with self.engine.connect() as conn:
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

    def config_token(self) -> tuple[Any, ...]:
        """Changes whenever any pipeline config changes (cheap: one aggregate query)."""
        with self.engine.connect() as conn:
            return self._token(conn)

    @staticmethod
    def _token(conn: Connection) -> tuple[Any, ...]:
        p = t.pipelines.c
        return tuple(
            conn.execute(
                sa.select(sa.func.count(), sa.func.max(p.updated_at), sa.func.sum(p.version))
            ).one()
        )

    def _load_routes(self, conn: Connection) -> tuple[dict[str, list[Route]], frozenset[str]]:
        """Sensor key → pipelines, and the known pipeline ids; cached.

        Changes applied through this store invalidate the cache at once; changes applied by
        another process are picked up within :data:`CONFIG_RECHECK_SECONDS`.
        """
        fresh = time.monotonic() - self._routes_checked < CONFIG_RECHECK_SECONDS
        if self._routes is not None and fresh:
            return self._routes, self._known
        token = self._token(conn)
        if self._routes is None or token != self._routes_token:
            routes: dict[str, list[Route]] = defaultdict(list)
            for row in conn.execute(sa.select(t.sensor_index)):
                route = Route(
                    pipeline_id=row.pipeline_id, is_trigger=row.is_trigger, timezone=row.timezone
                )
                routes[row.key].append(route)
            self._routes, self._routes_token = dict(routes), token
            self._known = frozenset(conn.execute(sa.select(t.pipelines.c.id)).scalars())
        self._routes_checked = time.monotonic()
        return self._routes, self._known

    # Readings ----------------------------------------------------------------------------

    def put_readings(self, batch: Sequence[ReadingInput], now: datetime) -> int:
        """Validate and store readings, and make every affected run due, in one transaction.

        All or nothing: if any reading is invalid, :class:`InputError` names it (by index and
        field) and nothing is stored.
        """
        with self.engine.begin() as conn:
            routes, known = self._load_routes(conn)
            rows = [self._normalise(i, item, known) for i, item in enumerate(batch)]
            if not rows:
                return 0
            ids = self._append_history(conn, [{**r, "received_at": now} for r in rows])
            self._upsert_latest(conn, rows, ids, now)
            written = [(r["scope"] or None, r["key"], r["partition"] or None) for r in rows]
            plan = plan_wakes(written, routes, now)
            self.open_and_wake(conn, plan, now)
        self.broker.notify()
        return len(rows)

    def _append_history(self, conn: Connection, rows: list[dict[str, Any]]) -> Sequence[int]:
        """Append to the history and return the new ids, in order.

        SQLite: one ``executemany`` and ``last_insert_rowid()``; the ids are consecutive
        because this transaction holds SQLite's single write lock from its first insert.
        ``INSERT ... RETURNING`` would run row by row there, three times slower.
        """
        if self.is_sqlite:
            if len(rows) == 1:  # the common single write: no second statement for the id
                return [INSERT_HISTORY.execute(conn, rows[0]).lastrowid]
            INSERT_HISTORY.execute(conn, rows)
            last = int(conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
            return range(last - len(rows) + 1, last + 1)
        insert = t.reading_history.insert().returning(
            t.reading_history.c.id, sort_by_parameter_order=True
        )
        return conn.execute(insert, rows).scalars().all()

    @staticmethod
    def _normalise(index: int, item: ReadingInput, known: frozenset[str]) -> dict[str, Any]:
        """One row, or :class:`InputError` naming ``readings[index].<field>`` and the limit.

        Every limit is checked here, before the database (:mod:`interlock.limits`), so SQLite
        and PostgreSQL accept exactly the same readings.
        """
        where = f"readings[{index}]"
        if item.pipeline_id is not None:
            check_pipeline_id(item.pipeline_id, field=f"{where}.pipeline_id")
            if item.pipeline_id not in known:
                raise UnknownPipelineError(item.pipeline_id)
        reading = check_reading(item.key, item.partition, item.data, where=where)
        return {
            "scope": item.pipeline_id or "",
            "key": reading.key,
            "partition": reading.partition or "",
            "data": reading.data,
        }

    def _upsert_latest(
        self, conn: Connection, rows: list[dict[str, Any]], ids: Sequence[int], now: datetime
    ) -> None:
        latest: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row, history_id in zip(rows, ids, strict=True):
            latest[(row["scope"], row["key"], row["partition"])] = {
                **row,
                "updated_at": now,
                "history_id": history_id,
            }
        self._upsert_latest_statement.execute(conn, list(latest.values()))

    @functools.cached_property
    def _upsert_latest_statement(self) -> Prepared:
        return upsert_latest_reading(on_sqlite=self.is_sqlite)

    def load_readings(self, pipeline: PipelineSpec, partition: str) -> ReadingSet:
        """The readings a run of ``pipeline`` for ``partition`` may see (resolved by decide)."""
        if not pipeline.sensor_keys:
            return ReadingSet()
        params = {"b_pipeline": pipeline.id, "b_partition": partition}
        with self.engine.connect() as conn:
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

    def reading_history(
        self, key: str, *, pipeline_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The newest accepted readings of ``key`` (newest first), with who consumed them."""
        h = t.reading_history.c
        query = (
            sa.select(t.reading_history)
            .where(h.key == key, h.scope == (pipeline_id or ""))
            .order_by(h.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]  # noqa: SLF001 - public API
