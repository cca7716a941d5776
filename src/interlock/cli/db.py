"""``interlock db``: the database schema commands, for deploys that migrate as a step.

Every store already migrates on open (under a lock, see
:mod:`interlock.store.migrations`), so these are for operators who want the migration to
be an explicit, visible step of a deploy — run ``interlock db upgrade`` once, then start the
controllers — and for checking which schema a database is at. Output is one line for a
person; ``--json`` prints one object for scripts::

    $ interlock db upgrade --db sqlite:///interlock.db
    none → 0003 (head)
    $ interlock db current --db sqlite:///interlock.db --json
    {"revision": "0003", "head": "0003", "is_head": true}

Errors (an unreachable server, a database migrated by a newer Interlock) are one line on
stderr and exit 2, as for every ``interlock`` command.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
import sqlalchemy as sa

from interlock.cli._common import db_option, json_option
from interlock.store.migrations import current_revision, head_revision, upgrade
from interlock.store.sqlalchemy import SqlStore

__all__ = ["db"]


@click.group()
def db() -> None:
    """Show or upgrade the database schema (stores also upgrade it when they open)."""


@db.command("upgrade")
@db_option
@json_option
def upgrade_command(db: str | None, *, as_json: bool) -> None:
    """Migrate the database to the newest schema; prints the revision before → after."""
    with _engine(db, must_exist=False) as engine:
        done = upgrade(engine)
    if as_json:
        from interlock.schemas import MigrationOut, dumps  # noqa: PLC0415 - keeps CLI start fast

        shown = MigrationOut(from_=done.before, to=done.after, changed=done.changed)
        click.echo(dumps(shown))
        return
    note = "head" if done.changed else "head, already current"
    click.echo(f"{done.before or 'none'} → {done.after} ({note})")


@db.command("current")
@db_option
@json_option
def current_command(db: str | None, *, as_json: bool) -> None:
    """Print the database's schema revision and whether it is the newest (exit 0 either way)."""
    with _engine(db, must_exist=True) as engine:
        revision = current_revision(engine)
    head = head_revision()
    if as_json:
        from interlock.schemas import RevisionOut, dumps  # noqa: PLC0415 - keeps CLI start fast

        click.echo(dumps(RevisionOut(revision=revision, head=head, is_head=revision == head)))
    elif revision == head:
        click.echo(f"{revision} (head)")
    else:
        click.echo(f"{revision or 'none'} (not head: {head}; run interlock db upgrade)")


@contextmanager
def _engine(url: str | None, *, must_exist: bool) -> Iterator[sa.Engine]:
    """The engine of an unmigrated store on ``url``, closed afterwards.

    ``must_exist``: refuse a SQLite path with no file rather than create an empty database
    just to report that it is empty. The URL or path is checked by the store
    (:mod:`interlock.store._url`); Alembic's own errors arrive as one-line StoreErrors
    (:mod:`interlock.store.migrations`).
    """
    store = SqlStore(url, migrate=False, create=not must_exist)
    try:
        yield store.engine
    finally:
        store.close()
