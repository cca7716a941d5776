"""What ``--db`` names: one parse of a database URL or file path, and the checks on a SQLite file.

A new user types ``--db interlock.db``, ``--db data/`` or ``--db mysql://...``; each used to
end in a driver traceback (or, for ``serve``, in one after "serving N pipelines"). Here every
such value becomes either a URL SQLAlchemy can use or one line saying what is wrong, before
any engine exists:

- a plain path (``interlock.db``, ``./x/y.db``, ``/abs/path.db``) is a SQLite file;
- ``sqlite:///path.db`` (``sqlite://`` alone: in memory) and ``postgresql+psycopg://...``
  are used as given; ``postgresql://`` and ``postgres://`` mean psycopg, the one driver
  Interlock ships with (the ``postgres`` extra);
- any other scheme is refused with the list of supported ones. The URL itself is never
  echoed: it may hold a password.

A SQLite file is then checked as the filesystem stands (:func:`check_sqlite_file`), so the
error names the actual problem — a directory, a missing parent directory (never created
silently: a typo must not grow a tree), a read-only file or directory, a file that is not a
database, or (for commands that only read) no database at all — instead of SQLite's
"unable to open database file".
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from interlock.errors import InputError, StoreError

__all__ = ["SUPPORTED", "DatabaseTarget", "check_sqlite_file", "default_url", "parse_target"]

SUPPORTED = "a file path (SQLite), sqlite:///path.db or postgresql+psycopg://user@host/db"
"""What ``--db`` accepts, as error messages say it."""

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_POSTGRES_ALIASES = frozenset({"postgresql", "postgres"})
_SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class DatabaseTarget:
    """A parsed ``--db``: the URL to give SQLAlchemy and, for SQLite on disk, its file."""

    url: URL
    sqlite_file: Path | None
    """The absolute path of an on-disk SQLite database; None in memory and on PostgreSQL."""

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded engine (in memory or on disk)."""
        return self.url.get_backend_name() == "sqlite"


def default_url() -> str:
    """``sqlite:///./interlock.db`` (made absolute) — the embedded default."""
    return "sqlite:///" + str(Path("interlock.db").resolve())


def parse_target(text: str) -> DatabaseTarget:
    """The database ``text`` names: a URL with a supported scheme, or a SQLite file path.

    :raises InputError: (field ``db``) for another scheme or a URL SQLAlchemy cannot parse.
    :raises StoreError: for a path that ends in a slash (a directory).
    """
    match = _SCHEME.match(text)
    if match is None:  # no scheme: a path, as a person types it
        path = _absolute(text)
        return DatabaseTarget(URL.create("sqlite", database=str(path)), path)
    scheme = match.group(1).lower()
    if scheme in _POSTGRES_ALIASES:
        text = "postgresql+psycopg://" + text[match.end() :]
    elif scheme not in {"sqlite", "postgresql+psycopg"}:
        shown = scheme if scheme.isprintable() and len(scheme) <= 40 else "this one"
        raise InputError(f"unsupported database scheme {shown!r}; use {SUPPORTED}", field="db")
    try:
        url = sa.engine.make_url(text)
    except sa.exc.ArgumentError as exc:  # not echoed: it may hold a password
        raise InputError(f"not a usable database URL; use {SUPPORTED}", field="db") from exc
    return DatabaseTarget(url, _sqlite_file(url))


def _sqlite_file(url: URL) -> Path | None:
    """The file of a ``sqlite:///`` URL; None in memory or for a ``file:`` URI filename."""
    database = url.database
    if url.get_backend_name() != "sqlite" or database in {None, "", ":memory:"}:
        return None
    if str(database).startswith("file:") or url.query.get("uri") == "true":
        return None  # a URI filename (mode=ro, …): SQLite interprets it, nothing to check here
    return _absolute(str(database))


def _absolute(text: str) -> Path:
    """``text`` as an absolute path (symbolic links kept, as the user named them).

    :raises StoreError: for a path ending in a slash: a directory was meant, which ``Path``
        would silently turn into a file of that name.
    """
    path = Path(text).expanduser().absolute()
    if text.endswith(os.sep):
        raise _directory_error(path)
    return path


def _directory_error(path: Path) -> StoreError:
    """A directory given where the database file belongs, with the path that would work."""
    what = "is a directory" if path.is_dir() else "names a directory"
    return StoreError(f"{path} {what}; give a database file, e.g. {path / 'interlock.db'}")


def check_sqlite_file(path: Path, *, create: bool) -> bool:
    """Refuse, in one line, a SQLite file this process cannot use as asked; True if writable.

    ``create`` is for commands that write (``apply``, ``serve``, ``sensor put``): the file
    may be created, and it and its directory must be writable (SQLite in WAL mode keeps its
    log and index beside the file, and Interlock its lock files). Without it the database
    must already exist: a command that only reads never leaves an empty database behind, and
    one may read a read-only file (False is returned: the caller must not try to write it,
    not even a WAL checkpoint).

    :raises StoreError: naming the path and what is wrong with it.
    """
    if path.is_dir():
        raise _directory_error(path)
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"cannot open {path}: {folder} is not a directory")
    if not folder.exists():
        raise StoreError(
            f"cannot open {path}: the directory {folder} does not exist (create it first)"
        )
    if not path.exists():
        if not create:
            raise StoreError(
                f"no database at {path} (run `interlock apply` or `interlock serve` first)"
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StoreError(f"cannot create {path}: the directory {folder} is read-only")
        return True
    _check_existing(path, create=create)
    return os.access(path, os.W_OK)


def _check_existing(path: Path, *, create: bool) -> None:
    """An existing file: readable, a SQLite database, and writable where it must be."""
    try:
        with path.open("rb") as file:
            header = file.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if header and header != _SQLITE_HEADER:  # SQLite treats an empty file as an empty database
        raise StoreError(f"{path} is not a SQLite database")
    if create and not os.access(path, os.W_OK):
        raise StoreError(f"cannot write {path}: the file is read-only")
    if not os.access(path.parent, os.W_OK | os.X_OK) and (create or not _wal_files_usable(path)):
        raise StoreError(
            f"cannot {'write' if create else 'read'} {path}: the directory {path.parent} is "
            "read-only (SQLite keeps its -wal and -shm files beside the database)"
        )


def _wal_files_usable(path: Path) -> bool:
    """True when a reader can use the WAL files without creating them (both exist, writable)."""
    files = (Path(f"{path}-wal"), Path(f"{path}-shm"))
    return all(file.exists() and os.access(file, os.W_OK) for file in files)
