"""The database schema, one definition for SQLite (embedded default) and PostgreSQL.

Tables (docs/architecture.md):

- ``pipelines`` / ``pipeline_versions``: the current YAML of each pipeline and every version
  ever applied (hash, time, source file), for audit.
- ``sensor_index``: which pipelines read which sensor key, so a write wakes exactly them.
- ``dependency_index``: which pipelines depend on which (``dependsOn``), with what a wake
  needs (mapping, time zones, whether the downstream's runs are opened by its upstreams), so
  an upstream run coming to rest wakes exactly the downstream runs it may unblock.
- ``readings`` (latest per scope, key, partition) and ``reading_history`` (append-only, every
  accepted reading with its arrival time). ``attempts.inputs`` names the history rows each
  launch consumed, so provenance is recorded once, with the launch. ``scope`` is the
  pipeline id, or ``""`` for a shared reading; ``partition`` is ``""`` for an undated one.
- ``runs``: one row per pipeline and partition. ``state`` and ``next_check_at`` are columns
  (the controller's due-work index); the rest of the run is its JSON ``body``. ``lease_*``
  let several controllers share the work.
- ``attempts``: the job log, one row per launch, keyed by the idempotency key.
- ``signals``: an inbox of job reports, rerun requests and cancels, consumed by the next
  decision of their run, so none is lost if the controller is down.
- ``events``: every event, append-only.
- ``checker_status``: what each state checker did last (run, duration, error, streak).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = [
    "attempts",
    "checker_status",
    "dependency_index",
    "events",
    "metadata",
    "pipeline_versions",
    "pipelines",
    "reading_history",
    "readings",
    "runs",
    "sensor_index",
    "signals",
]


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on both SQLite and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            msg = f"naive datetime {value!r} cannot be stored"
            raise ValueError(msg)
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if isinstance(value, str):  # pragma: no cover - raw SQL paths on SQLite
            value = datetime.fromisoformat(value)
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


metadata = sa.MetaData()

pipelines = sa.Table(
    "pipelines",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("config_hash", sa.String(64), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # Operational state, not config: ``interlock pause`` (kept across applies; 0003).
    sa.Column("paused_at", UtcDateTime, nullable=True),
    sa.Column("paused_reason", sa.Text, nullable=True),
    sa.Column("paused_by", sa.Text, nullable=True),
    sa.Column("pause_serial", sa.Integer, nullable=False, server_default="0"),
    # The schedule's time zone (0004), for the dependency index of pipelines applied later.
    sa.Column("timezone", sa.String(64), nullable=True),
)

pipeline_versions = sa.Table(
    "pipeline_versions",
    metadata,
    sa.Column("pipeline_id", sa.String(200), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("config_hash", sa.String(64), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("applied_at", UtcDateTime, nullable=False),
)

sensor_index = sa.Table(
    "sensor_index",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("pipeline_id", sa.String(200), primary_key=True),
    sa.Column("is_trigger", sa.Boolean, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Index("ix_sensor_index_pipeline", "pipeline_id", "key"),
)

dependency_index = sa.Table(
    "dependency_index",
    metadata,
    sa.Column("upstream_id", sa.String(200), primary_key=True),
    sa.Column("downstream_id", sa.String(200), primary_key=True),
    sa.Column("label", sa.String(500), primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("offset_seconds", sa.Integer, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("upstream_timezone", sa.String(64), nullable=False),
    sa.Column("opens_runs", sa.Boolean, nullable=False),
    sa.Column("all_dimension", sa.String(200), nullable=True),
    sa.Column("downstream_dimensions", sa.JSON, nullable=True),
    sa.Index("ix_dependency_index_downstream", "downstream_id"),
)
"""One row per ``dependsOn`` entry (0004): ``kind``/``offset_seconds`` are its partition
mapping, ``timezone`` the downstream's schedule zone and ``upstream_timezone`` the
upstream's (``{all: hour}`` needs both); ``opens_runs`` is true for a downstream with no cron
and no trigger, whose runs its upstreams' final states create. ``all_dimension`` (0006) is
the dimension of ``{all: campaign}`` and ``downstream_dimensions`` the downstream's declared
dimensions in order (NULL: it declares no ``partitions``), which a wake projects onto."""

complete_index = sa.Table(
    "complete_index",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("pipeline_id", sa.String(200), primary_key=True),
    sa.Column("condition", sa.JSON, nullable=False),
    sa.Index("ix_complete_index_pipeline", "pipeline_id"),
)
"""Sensor key → the pipelines whose ``complete`` condition reads it, with that condition
(0005): a dated reading of such a key re-checks that one partition's completeness in the
write's transaction, without the YAML."""

partition_status = sa.Table(
    "partition_status",
    metadata,
    sa.Column("pipeline_id", sa.String(200), primary_key=True),
    sa.Column("partition", sa.String(200), primary_key=True),
    sa.Column("complete", sa.Boolean, nullable=False),
    sa.Column("was_complete", sa.Boolean, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index("ix_partition_status_complete", "pipeline_id", "complete"),
)
"""Whether a partition's ``complete`` condition holds on its own dated readings (0005), and
whether it ever did. Kept so that the reconciler of a pipeline with 365,000 partitions
reads one column instead of evaluating 365,000 conditions; partitions with no dated
reading have no row (their completeness is decided when their run is)."""

readings = sa.Table(
    "readings",
    metadata,
    sa.Column("scope", sa.String(200), primary_key=True),
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("partition", sa.String(200), primary_key=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("history_id", sa.BigInteger, nullable=False),
)

reading_history = sa.Table(
    "reading_history",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("scope", sa.String(200), nullable=False),
    sa.Column("key", sa.String(300), nullable=False),
    sa.Column("partition", sa.String(200), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Index("ix_reading_history_scope_key", "scope", "key", "received_at"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("pipeline_id", sa.String(200), primary_key=True),
    sa.Column("partition", sa.String(200), primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("next_check_at", UtcDateTime, nullable=True),
    sa.Column("watch_until", UtcDateTime, nullable=True),
    sa.Column("attempt", sa.Integer, nullable=False, default=0),
    sa.Column("version", sa.Integer, nullable=False, default=0),
    sa.Column("has_signals", sa.Boolean, nullable=False, default=False),
    sa.Column("lease_owner", sa.String(100), nullable=True),
    sa.Column("lease_until", UtcDateTime, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("explanation", sa.JSON, nullable=True),
    sa.Index("ix_runs_due", "next_check_at"),
    sa.Index("ix_runs_state", "pipeline_id", "state"),
)

attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("attempt_id", sa.String(500), primary_key=True),
    sa.Column("pipeline_id", sa.String(200), nullable=False),
    sa.Column("partition", sa.String(200), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(100), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("backend", sa.String(50), nullable=False),
    sa.Column("handle", sa.JSON, nullable=True),
    sa.Column("inputs", sa.JSON, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
    sa.Column("launched_at", UtcDateTime, nullable=True),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("output", sa.JSON, nullable=True),
    sa.Index("ix_attempts_run", "pipeline_id", "partition", "attempt"),
    # The last successful attempts of a pipeline, for its expected duration (0004).
    sa.Index("ix_attempts_finished", "pipeline_id", "state", "finished_at"),
)

signals = sa.Table(
    "signals",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("pipeline_id", sa.String(200), nullable=False),
    sa.Column("partition", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("processed_at", UtcDateTime, nullable=True),
    sa.Index("ix_signals_run", "pipeline_id", "partition", "processed_at"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("type", sa.String(60), nullable=False),
    sa.Column("pipeline_id", sa.String(200), nullable=False),
    sa.Column("partition", sa.String(200), nullable=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Index("ix_events_pipeline_at", "pipeline_id", "at"),
    sa.Index("ix_events_type_at", "type", "at"),
    sa.Index("ix_events_at", "at"),
)

checker_status = sa.Table(
    "checker_status",
    metadata,
    sa.Column("label", sa.String(500), primary_key=True),
    sa.Column("last_run_at", UtcDateTime, nullable=False),
    sa.Column("last_ok_at", UtcDateTime, nullable=True),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("failures", sa.Integer, nullable=False),
)
"""What each state checker did last (0007), written by the checker runner after every check:
``interlock sensors`` and ``explain`` read it from any process. ``failures`` is the length of
the current failure streak (0: the last check succeeded)."""
