"""SQLite's write-ahead log is checkpointed off the hot path, and nothing is lost by it.

Writers no longer checkpoint (that ``fsync`` was the p99 of the write → launch path); a
background thread does, and ``close`` does a last one, so the database file alone holds
every committed write once the store is closed.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from interlock.store._sqlite import BACKSTOP_PAGES, Checkpointer
from interlock.store.base import ReadingInput
from interlock.store.sqlalchemy import SqlStore

NOW = datetime(2026, 11, 23, 8, tzinfo=UTC)


def _write(store: SqlStore, count: int) -> None:
    for i in range(count):
        store.put_readings([ReadingInput(key=f"k{i}", data={"i": i})], NOW)


def _rows_in_file_alone(db: Path, table: str) -> int:
    """Rows of ``table`` in a copy of the database file without its write-ahead log."""
    copy = db.with_name("copy.db")
    shutil.copy(db, copy)
    try:
        with sqlite3.connect(copy) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - test table names
    except sqlite3.OperationalError:  # the table itself is still only in the log
        return 0
    finally:
        copy.unlink()


def test_writers_leave_checkpoints_to_the_background(tmp_path: Path) -> None:
    """Every pooled connection checkpoints only past the backstop size."""
    store = SqlStore(f"sqlite:///{tmp_path}/i.db")
    try:
        with store.engine.connect() as conn:
            limit = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert limit == BACKSTOP_PAGES
    finally:
        store.close()


def test_a_checkpoint_moves_every_committed_write_into_the_database_file(tmp_path: Path) -> None:
    """Writes stay in the log until the checkpointer runs; then the file has them all."""
    db = tmp_path / "i.db"
    store = SqlStore(f"sqlite:///{db}")
    try:
        checkpointer = Checkpointer(store.engine, interval=3600)  # only explicit calls
        checkpointer.checkpoint()
        before = _rows_in_file_alone(db, "reading_history")
        _write(store, 50)
        assert _rows_in_file_alone(db, "reading_history") == before  # writers did not copy
        checkpointer.checkpoint()
        assert _rows_in_file_alone(db, "reading_history") == before + 50
        checkpointer.close()
    finally:
        store.close()


def test_closing_the_store_leaves_a_self_contained_database_file(tmp_path: Path) -> None:
    """A copied or backed-up database file after ``close`` holds every reading."""
    db = tmp_path / "i.db"
    store = SqlStore(f"sqlite:///{db}")
    _write(store, 20)
    store.close()
    assert _rows_in_file_alone(db, "readings") == 20
