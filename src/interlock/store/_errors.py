"""Database errors become :class:`StoreError` / :class:`TemporaryStoreError` at the engine.

Callers of the store only ever catch Interlock types (see :mod:`interlock.errors`), and only
the ``Temporary`` family is worth retrying. The mapping is one SQLAlchemy ``handle_error``
listener on the store's engine rather than a wrapper around each store method: every
statement — from the store's methods, the run bookkeeping in ``_runs.py``, the prepared hot
path and the migrations, and every connection attempt — passes through that hook, so a method
added later cannot forget it. The new error is raised ``from`` the driver's exception, so the
traceback still shows the original.

Inputs are checked before the database (:mod:`interlock.model.limits`), so what arrives here is a
real failure of the database: busy, unreachable, full, or a bug. Errors that are not the
database's (a programming error in a bind value, an interrupt) pass through unchanged.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine, ExceptionContext

from interlock.errors import StoreError, TemporaryStoreError

__all__ = ["is_temporary", "map_errors", "store_error"]

_TEMPORARY_SQLSTATE_CLASSES = ("08", "40", "53", "57")
"""PostgreSQL: connection exception, transaction rollback (serialization failure, deadlock),
insufficient resources (too many connections, disk full, out of memory: may clear),
operator intervention (shutdown, statement timeout). https://www.postgresql.org/docs/current/errcodes-appendix.html"""

_TEMPORARY_SQLSTATES = frozenset({"55P03"})
"""PostgreSQL ``lock_not_available`` (a ``lock_timeout`` expired)."""

_TEMPORARY_SQLITE = ("SQLITE_BUSY", "SQLITE_LOCKED")
"""SQLite: another connection holds the lock for longer than the busy timeout."""


def map_errors(engine: Engine) -> None:
    """Make every database error raised through ``engine`` a :class:`StoreError`."""
    sa.event.listen(engine, "handle_error", _translate)


def _translate(context: ExceptionContext) -> StoreError | None:
    """The replacement SQLAlchemy raises instead of its own exception, or None to keep it.

    A failed pre-ping is left alone: SQLAlchemy handles it by reconnecting.
    """
    error = context.sqlalchemy_exception
    if context.is_pre_ping or not isinstance(error, sa.exc.DBAPIError):
        return None
    return store_error(error, disconnect=context.is_disconnect)


def store_error(error: sa.exc.DBAPIError, *, disconnect: bool = False) -> StoreError:
    """The Interlock error for one database error, with a one-line message.

    Only the driver's first line is kept (PostgreSQL adds ``DETAIL`` lines that may quote
    stored values); the SQL and its parameters are never included.
    """
    original = error.orig
    lines = str(original).strip().splitlines()
    detail = f"{type(original).__name__}: {lines[0] if lines else 'no message'}"
    if disconnect or is_temporary(error):
        return TemporaryStoreError(f"database busy or unreachable, worth retrying ({detail})")
    if getattr(original, "sqlite_errorname", "").startswith("SQLITE_READONLY"):
        return StoreError(
            "the database is read-only here (file or directory permissions, or a read-only"
            f" mount): writing needs write access to the file and its directory ({detail})"
        )
    return StoreError(f"database error ({detail})")


def is_temporary(error: sa.exc.DBAPIError) -> bool:
    """True when retrying the same operation later can succeed."""
    original = error.orig
    sqlite_name = getattr(original, "sqlite_errorname", None)
    if isinstance(sqlite_name, str):
        return sqlite_name.startswith(_TEMPORARY_SQLITE)
    sqlstate = getattr(original, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate.startswith(_TEMPORARY_SQLSTATE_CLASSES) or sqlstate in _TEMPORARY_SQLSTATES
    # No SQL state: the client failed before the server answered (refused, reset, timed out).
    return isinstance(error, sa.exc.OperationalError)
