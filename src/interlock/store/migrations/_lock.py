"""The lock that makes one process at a time migrate a database.

Every ``SqlStore(...)`` brings its database to the newest schema when it opens. Two processes
opening a fresh database together (a controller and ``interlock apply`` started by the same
deploy script, or several workers) would otherwise both see an empty database and both run
``CREATE TABLE``: one of them fails with "table already exists", or both stamp
``alembic_version``. So the upgrade runs under a lock that lives as long as the upgrade:

* SQLite: an exclusive ``flock`` on ``<database>-migrate.lock`` beside the file. The kernel
  drops it when the holder dies, so a ``kill -9`` mid-migration never wedges later opens.
  An in-memory database is private to its process and needs none.
* PostgreSQL: a session-level ``pg_advisory_lock`` on a connection held for the upgrade.
  Advisory locks are scoped to one database, so stores on different databases of the same
  server never wait for each other; a dead holder's session ends and frees it.

Taking the lock blocks until the other process is done; the caller then re-reads the
revision, which is usually already the newest.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from interlock.errors import StoreError

__all__ = ["ADVISORY_LOCK_KEY", "lock_path", "migration_lock"]

ADVISORY_LOCK_KEY = 0x1A7E_C0C4_0001
"""The PostgreSQL advisory-lock key Interlock's migrations take (a fixed 64-bit constant).

Any other application sharing the database must not use this key.
"""


def lock_path(engine: Engine) -> Path | None:
    """The lock file beside a SQLite database file; None for in-memory or other dialects."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in {None, "", ":memory:"}:
        return None
    if database is not None and database.startswith("file:"):  # URI filenames: no sibling path
        return None
    return Path(f"{database}-migrate.lock")


@contextlib.contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the migration lock of ``engine``'s database for the body of the ``with``."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine):
            yield
        return
    path = lock_path(engine)
    if path is None:
        yield
        return
    with _file_lock(path):
        yield


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive, blocking ``flock`` on ``path`` (created if missing, never deleted).

    The file is left in place: deleting it while another process waits on the old inode
    would let a third process lock a new file and migrate alongside the first.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:  # e.g. a read-only directory: say which file, in one line
        raise StoreError(f"cannot create the migration lock {path}: {exc.strerror}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


@contextlib.contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    """``pg_advisory_lock`` on a connection of its own, held until the body is done.

    The connection is in autocommit mode so the lock is not tied to a transaction and the
    migration's own transaction (on another connection) can commit while it is held.
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.select(sa.func.pg_advisory_lock(ADVISORY_LOCK_KEY)))
        try:
            yield
        finally:
            conn.execute(sa.select(sa.func.pg_advisory_unlock(ADVISORY_LOCK_KEY)))
