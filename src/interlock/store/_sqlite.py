"""SQLite specifics of the embedded default: connection pragmas and WAL checkpoints.

SQLite in WAL mode appends commits to a log and, by default, the writer whose commit pushes
the log past 1,000 pages copies it back into the database file and ``fsync``s it — about
10 ms on an ordinary disk, paid by whichever sensor write or decision happens to be that
writer. That was the whole p99 of the write → launch path (``benchmarks/run.py``).

So writers here never checkpoint on the hot path: :class:`Checkpointer` runs a ``PASSIVE``
checkpoint from a background thread every second (it never blocks readers or writers, and
the ``sqlite3`` module releases the GIL while SQLite works), and once more on close. The
automatic checkpoint stays as a backstop at :data:`BACKSTOP_PAGES`, so the log stays bounded
even in a process whose checkpointer is not running.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from interlock.errors import StoreError

__all__ = [
    "BACKSTOP_PAGES",
    "CHECKPOINT_INTERVAL",
    "Checkpointer",
    "ControllerLock",
    "sqlite_pragmas",
]

log = logging.getLogger("interlock.store")

CHECKPOINT_INTERVAL = 1.0
"""Seconds between background checkpoints."""

BUSY_TIMEOUT_MS = 10_000
"""How long a connection waits for another one's lock before SQLite says "locked"."""

BACKSTOP_PAGES = 20_000
"""Log size (pages of 4 KiB, ~80 MB) at which a writer checkpoints after all."""


def sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """Per-connection settings: WAL, no fsync per commit, wait for locks, late checkpoints.

    ``synchronous=NORMAL`` in WAL mode loses no committed data on a process crash (only, at
    worst, the last commits on a power loss), which is the documented trade-off here.

    The busy timeout is set first: switching a fresh file to WAL needs a lock another
    process opening it at the same moment may hold.
    """
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
    cursor.close()


class Checkpointer:
    """A daemon thread that checkpoints the write-ahead log off the hot path."""

    def __init__(self, engine: Engine, interval: float = CHECKPOINT_INTERVAL) -> None:
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="interlock-wal-checkpoint", daemon=True
        )
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.checkpoint()

    def checkpoint(self) -> None:
        """Copy committed log pages into the database file (``PASSIVE``: never blocks)."""
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").close()
        except Exception:  # a failed checkpoint is retried next interval
            log.warning("WAL checkpoint failed; retried in %.0f s", self._interval, exc_info=True)

    def close(self) -> None:
        """Stop the thread and checkpoint what is left.

        Still ``PASSIVE``: a stronger mode would wait for other processes' readers.
        """
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join()
        self.checkpoint()


class ControllerLock:
    """An exclusive lock that makes one process the only controller of a SQLite file.

    SQLite serves one controller (several need PostgreSQL). Holding this lock is what lets a
    controller treat every lease it finds at start as left by a dead process and resolve
    those runs at once. ``flock`` is released by the kernel when the holder dies, so a
    ``kill -9`` never leaves the database locked.
    """

    def __init__(self, database: str) -> None:
        self._database = database
        self.path = Path(f"{database}-controller.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`StoreError` naming the database if it is held."""
        if self._fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            msg = (
                f"another controller is already serving {self._database}"
                " (SQLite takes one controller; use PostgreSQL for several)"
            )
            raise StoreError(msg) from exc
        self._fd = fd

    def release(self) -> None:
        """Let go of the lock (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
