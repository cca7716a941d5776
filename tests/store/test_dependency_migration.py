"""Migration 0004 (the dependency index) on SQLite and PostgreSQL.

A database left by the previous Interlock is brought to head with the new table, and the
migrated schema is the one ``schema.py`` declares. Pipelines stored before 0004 have no
recorded time zone; the next ``apply`` learns it, so a downstream applied afterwards maps
``{all: hour}`` in the upstream's real zone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from dependency_support import ALL_HOURS, BEFORE, due_now, pipeline, put_run, settle, sync

from interlock.store import migrations
from interlock.store import schema as t
from interlock.store.sqlalchemy import SqlStore

NEW_TABLES = {"dependency_index"}


def _at_0003_with_one_pipeline(db_url: str) -> None:
    """A database as the previous Interlock left it, with an hourly pipeline in New York."""
    engine = sa.create_engine(db_url)
    try:
        command.upgrade(migrations.alembic_config(engine), "0003")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO pipelines (id, version, config_hash, source, document,"
                    " updated_at, pause_serial) VALUES ('hourly', 1, 'hourly-v1', 'h.yaml',"
                    " '# hourly', :at, 0)"
                ),
                {"at": BEFORE.replace(tzinfo=None)},
            )
    finally:
        engine.dispose()


def test_a_0003_database_is_upgraded_to_the_schema_py_declares(db_url: str) -> None:
    """At head, the migrated tables, columns and indexes match ``schema.py`` exactly."""
    _at_0003_with_one_pipeline(db_url)
    SqlStore(db_url).close()
    engine = sa.create_engine(db_url)
    try:
        assert migrations.current_revision(engine) == migrations.head_revision()
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) >= NEW_TABLES
            context = MigrationContext.configure(conn)
            diff = compare_metadata(context, t.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_a_pipeline_stored_before_0004_is_indexed_in_its_own_zone_after_apply(
    db_url: str,
) -> None:
    """Re-applying the unchanged upstream records its zone; the new downstream maps by it."""
    _at_0003_with_one_pipeline(db_url)
    store = SqlStore(db_url)
    try:
        hourly = pipeline("hourly", cron="0 * * * *", timezone="America/New_York")
        assert hourly.config_hash == "hourly-v1"  # unchanged: only its zone is learnt
        sync(store, hourly)
        sync(store, pipeline("daily", ("hourly", ALL_HOURS), timezone="UTC"))
        for day in ("2026-11-23", "2026-11-24"):
            put_run(store, "daily", day)
        # 21:00 in New York on the 23rd is 02:00 UTC on the 24th.
        settle(store, hourly, "2026-11-23T21")
        assert due_now(store) == {("daily", "2026-11-24")}
    finally:
        store.close()
