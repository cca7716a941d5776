"""Database failures reach callers as StoreError / TemporaryStoreError, never raw SQLAlchemy.

Each test makes the real database fail (a held lock, a killed connection, a missing table,
an unreachable server) and checks what a caller of the store sees: an Interlock error, the
right family for retrying, a one-line message without SQL, and the driver's error as cause.
"""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import psycopg
import psycopg.errors
import pytest
import sqlalchemy as sa
from store_support import ETL, NOW

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.errors import InputError, StoreError, TemporaryStoreError
from interlock.store._errors import is_temporary
from interlock.store.base import ReadingInput
from interlock.store.sqlalchemy import SqlStore

READING = ReadingInput(key="rows", data={"count": 5}, pipeline_id="etl")


def install(db_url: str, tmp_path: Path) -> Interlock:
    """An installation with one pipeline applied."""
    folder = tmp_path / "pipelines"
    folder.mkdir(exist_ok=True)
    (folder / "etl.yaml").write_text(textwrap.dedent(ETL), encoding="utf-8")
    il = Interlock(db=db_url, pipelines=folder, clock=FakeClock(NOW))
    il.apply()
    return il


def assert_one_clear_line(error: StoreError) -> None:
    """What a person reads: one line, the driver's words, no SQL."""
    text = str(error)
    assert "\n" not in text
    assert text.startswith("database ")
    assert "INSERT" not in text
    assert "SELECT" not in text


def test_sqlite_busy_is_temporary_and_the_write_works_once_the_lock_is_gone(
    tmp_path: Path,
) -> None:
    """Another process holding the write lock past the busy timeout: retry later."""
    il = install(f"sqlite:///{tmp_path}/i.db", tmp_path)
    sa.event.listen(
        il.store.engine, "connect", lambda conn, _rec: conn.execute("PRAGMA busy_timeout=50")
    )
    il.store.engine.dispose()  # new connections get the short timeout
    other = sqlite3.connect(tmp_path / "i.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(TemporaryStoreError) as excinfo:
        il.put_readings([READING])
    assert "database is locked" in str(excinfo.value)
    assert isinstance(excinfo.value.__cause__, sqlite3.OperationalError)
    assert_one_clear_line(excinfo.value)
    other.execute("ROLLBACK")
    other.close()
    assert il.put_readings([READING]) == 1
    il.close()


@pytest.mark.postgres
def test_postgres_lock_timeout_is_temporary(postgres_url: str, tmp_path: Path) -> None:
    """A lock held by another session past ``lock_timeout``: retry later, nothing stored."""
    il = install(postgres_url + "?options=-c%20lock_timeout%3D100", tmp_path)
    holder = sa.create_engine(postgres_url)
    with holder.connect() as conn:
        conn.execute(sa.text("LOCK TABLE readings IN ACCESS EXCLUSIVE MODE"))
        with pytest.raises(TemporaryStoreError) as excinfo:
            il.put_readings([READING])
        conn.rollback()
    holder.dispose()
    assert isinstance(excinfo.value.__cause__, psycopg.errors.LockNotAvailable)
    assert_one_clear_line(excinfo.value)
    assert il.store.reading_history("rows", pipeline_id="etl") == []
    assert il.put_readings([READING]) == 1
    il.close()


@pytest.mark.postgres
def test_a_connection_killed_mid_transaction_is_temporary_and_the_pool_recovers(
    postgres_url: str, tmp_path: Path, postgres_admin: sa.Engine
) -> None:
    """A server restart or a killed backend: the store's next call reconnects by itself."""
    il = install(postgres_url, tmp_path)

    def killed_mid_transaction() -> None:
        with il.store.engine.begin() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            with postgres_admin.connect() as killer:
                killer.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.exec_driver_sql("SELECT 1")

    with pytest.raises(TemporaryStoreError) as excinfo:
        killed_mid_transaction()
    assert isinstance(excinfo.value.__cause__, psycopg.OperationalError)
    assert il.put_readings([READING]) == 1  # the dead connection was not reused
    il.close()


@pytest.mark.postgres
def test_connections_killed_between_calls_are_replaced_silently(
    postgres_url: str, tmp_path: Path, postgres_admin: sa.Engine
) -> None:
    """Pre-ping still reconnects: mapping errors must not turn its probe into a failure."""
    il = install(postgres_url, tmp_path)
    name = postgres_url.rsplit("/", 1)[1]
    with postgres_admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
    assert il.put_readings([READING]) == 1
    il.close()


def test_a_broken_schema_is_a_store_error_not_worth_retrying(db_url: str, tmp_path: Path) -> None:
    """A missing table on either engine: StoreError, not the temporary kind, from the driver."""
    il = install(db_url, tmp_path)
    with il.store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE reading_history")
    with pytest.raises(StoreError) as excinfo:
        il.put_readings([READING])
    assert not isinstance(excinfo.value, TemporaryStoreError)
    assert "reading_history" in str(excinfo.value)
    assert isinstance(excinfo.value.__cause__, (sqlite3.Error, psycopg.Error))
    assert_one_clear_line(excinfo.value)
    il.close()


def test_an_unopenable_sqlite_file_is_a_store_error(tmp_path: Path) -> None:
    """A database path in a missing directory fails when the store opens, as StoreError."""
    with pytest.raises(StoreError, match=r"the directory .*/missing/dir does not exist"):
        SqlStore(f"sqlite:///{tmp_path}/missing/dir/i.db")


def test_an_unreachable_server_is_temporary() -> None:
    """Nothing listening on the port: worth retrying (the server may be starting)."""
    with pytest.raises(TemporaryStoreError, match=r"Connection refused|connection failed"):
        SqlStore("postgresql+psycopg://postgres@127.0.0.1:1/interlock")


@pytest.mark.parametrize("url", ["sqlite+nodriver:///x.db", "nosuchdb://user:pw@x/y"])
def test_an_unusable_url_is_an_input_error_that_does_not_echo_it(url: str) -> None:
    """A typo in --db is the user's to fix; the URL may hold a password, so it is not shown."""
    with pytest.raises(InputError) as excinfo:
        SqlStore(url)
    assert excinfo.value.field == "db"
    assert url not in str(excinfo.value)


@pytest.mark.parametrize(
    ("original", "temporary"),
    [
        (psycopg.errors.SerializationFailure(), True),
        (psycopg.errors.DeadlockDetected(), True),
        (psycopg.errors.LockNotAvailable(), True),
        (psycopg.errors.AdminShutdown(), True),
        (psycopg.errors.QueryCanceled(), True),
        (psycopg.errors.TooManyConnections(), True),
        (psycopg.OperationalError("connection failed"), True),
        (psycopg.errors.UniqueViolation(), False),
        (psycopg.errors.UndefinedTable(), False),
        (psycopg.errors.StringDataRightTruncation(), False),
        (psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_which_postgres_failures_are_worth_retrying(original: Exception, temporary: bool) -> None:
    """Transaction rollbacks, lock timeouts, shutdowns and lost connections are retried."""
    error = sa.exc.DBAPIError.instance(None, None, original, psycopg.Error)
    assert is_temporary(error) is temporary


def test_writing_a_read_only_sqlite_database_says_read_only(tmp_path: Path) -> None:
    """A read-only database (SQLite's ``mode=ro`` here; a read-only mount alike) says so.

    Not the driver's bare "attempt to write a readonly database", and never retried.
    """
    SqlStore(f"sqlite:///{tmp_path}/ro.db").close()
    store = SqlStore(f"sqlite:///file:{tmp_path}/ro.db?mode=ro&uri=true", migrate=False)
    try:
        with pytest.raises(StoreError, match=r"^the database is read-only here") as excinfo:
            store.put_readings([ReadingInput(key="k", data={"n": 1})], NOW)
        assert not isinstance(excinfo.value, TemporaryStoreError)  # retrying cannot help
    finally:
        store.close()
    assert SqlStore(f"sqlite:///{tmp_path}/ro.db").reading_history("k") == []  # nothing stored
