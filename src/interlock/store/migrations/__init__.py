"""Alembic migrations for the store, applied automatically when a store opens.

``upgrade(engine)`` brings any database to the newest schema. Opening a store is frequent
(every CLI command, every worker), so the common case — already at the newest revision —
costs one ``SELECT`` on ``alembic_version`` and takes no lock. Only when an upgrade is due
does it take the migration lock (:mod:`interlock.store.migrations._lock`) and read the
revision again under it, so processes starting together migrate exactly once.

A busy database while opening is retried a few times (:data:`OPEN_ATTEMPTS`): SQLite's own
wait covers most lock conflicts, but a fresh file that several processes switch to WAL and
read at the same moment can still answer "locked" at once, and starting over is SQLite's
documented remedy.

New migrations go in ``versions/`` (``alembic revision --autogenerate`` with
``script_location`` pointing here).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
import tenacity
from sqlalchemy.engine import Engine

from interlock.errors import StoreError, TemporaryStoreError
from interlock.store.migrations._lock import migration_lock

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

__all__ = ["Upgrade", "alembic_config", "current_revision", "head_revision", "upgrade"]

HERE = Path(__file__).parent

OPEN_ATTEMPTS = 5
"""How often :func:`upgrade` tries before a busy database is reported."""


@dataclass(frozen=True)
class Upgrade:
    """What :func:`upgrade` did: the revision before (None: empty database) and after."""

    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        """True when migrations ran."""
        return self.before != self.after


def alembic_config(engine: Engine) -> Config:
    """An in-memory Alembic config bound to ``engine``."""
    from alembic.config import Config  # noqa: PLC0415 - only a migration needs Alembic

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["engine"] = engine
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    """The shipped revisions, parsed once per process (they do not change while it runs)."""
    from alembic.config import Config  # noqa: PLC0415 - only a migration needs Alembic
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(HERE))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    """The newest revision this version of Interlock ships.

    Read from the file names (``versions/0005_partition_status.py`` is revision ``0005``)
    rather than by Alembic, whose import costs a process 80 ms it needs only to migrate. A
    test pins that this is Alembic's head.
    """
    revisions = sorted(f.name.split("_", 1)[0] for f in (HERE / "versions").glob("[0-9]*_*.py"))
    if not revisions:  # pragma: no cover - versions/ always holds the initial schema
        raise StoreError("no migrations found in " + str(HERE / "versions"))
    return revisions[-1]


def alembic_head() -> str | None:
    """Alembic's own idea of the head (what :func:`head_revision` must agree with)."""
    return _scripts().get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database Interlock never migrated."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    return found[0] if len(found) == 1 else None if not found else ",".join(sorted(found))


def upgrade(engine: Engine) -> Upgrade:
    """Migrate the database behind ``engine`` to the newest schema, at most once at a time.

    :raises StoreError: if the database is at a revision this Interlock does not ship (it
        was migrated by a newer version), or the database fails.
    :raises TemporaryStoreError: if it stayed busy for :data:`OPEN_ATTEMPTS` tries.
    """
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(OPEN_ATTEMPTS),
        wait=tenacity.wait_random_exponential(multiplier=0.05, max=1.0),
        retry=tenacity.retry_if_exception_type(TemporaryStoreError),
        reraise=True,
    )
    return retrying(_upgrade_once, engine)


def _upgrade_once(engine: Engine) -> Upgrade:
    """One try of :func:`upgrade`: read the revision, migrate under the lock if behind."""
    head = head_revision()
    before = current_revision(engine)
    if before == head:
        return Upgrade(before, head)
    with migration_lock(engine):
        before = current_revision(engine)  # another process may have migrated meanwhile
        if before != head:
            _check_known(before)
            _run_alembic_upgrade(engine)
    return Upgrade(before, head)


def _run_alembic_upgrade(engine: Engine) -> None:
    """Alembic's ``upgrade head``; its own errors become one-line StoreErrors."""
    from alembic import command  # noqa: PLC0415 - only a migration needs Alembic
    from alembic.util import CommandError  # noqa: PLC0415

    try:
        command.upgrade(alembic_config(engine), "head")
    except CommandError as exc:
        raise StoreError(f"migration failed: {exc}") from exc


def _check_known(revision: str | None) -> None:
    """Refuse a database migrated by a newer Interlock instead of failing inside Alembic."""
    if revision is None:
        return
    known = {script.revision for script in _scripts().walk_revisions()}
    if revision not in known:
        raise StoreError(
            f"the database is at schema revision {revision!r}, which this Interlock does not "
            f"know (its newest is {head_revision()!r}): it was migrated by a newer Interlock; "
            "upgrade Interlock"
        )
