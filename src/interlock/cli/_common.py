"""What every ``interlock`` command shares: the console, ``--db``/``--json``, one-line errors.

``--db`` (``INTERLOCK_DATABASE_URL``) picks the database, default ``./interlock.db``: a
SQLite file path, ``sqlite:///path.db`` or ``postgresql+psycopg://...``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console

from interlock.app import Interlock
from interlock.errors import ConfigError, InputError, InterlockError
from interlock.model.limits import parse_json

__all__ = [
    "COLOURS",
    "console",
    "db_option",
    "fail",
    "json_option",
    "open_db",
    "parse_field",
    "reading_data",
    "time_arg",
]

console = Console()
COLOURS = {"error": "red", "warning": "yellow", "ok": "green", "info": "cyan"}

db_option = click.option(
    "--db",
    envvar="INTERLOCK_DATABASE_URL",
    default=None,
    help="SQLite file path or database URL (sqlite:///path.db, postgresql+psycopg://...; "
    "default ./interlock.db).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def open_db(
    db: str | None,
    pipelines: Path | None = None,
    *,
    create: bool = False,
    state_dir: Path | None = None,
) -> Interlock:
    """The installation a command works on: ``--db`` (or its default), ``--pipelines``.

    ``create``: only the commands that put data in (``apply``, ``serve``, ``sensor put``)
    may create a SQLite database; every other one refuses a path with no database, so a
    typo in ``--db`` never leaves an empty file behind.
    """
    return Interlock(db=db, pipelines=pipelines, create=create, state_dir=state_dir)


def fail(exc: InterlockError) -> NoReturn:
    """Print an Interlock error for a person (one line; a config error: one per problem), exit.

    Exit 1 for an invalid config (as ``validate``), 2 for every other error.
    """
    if isinstance(exc, ConfigError):
        for problem in exc.problems:
            click.echo(str(problem), err=True)
    else:
        click.echo(f"error: {exc}", err=True)
    raise SystemExit(1 if isinstance(exc, ConfigError) else 2)


def parse_field(text: str) -> tuple[str, Any]:
    """``count=1500`` → ("count", 1500); JSON values (numbers, true, null, objects) are typed.

    A value that is not JSON stays a string; a JSON value beyond the reading limits is refused.

    :raises InputError: for text without ``=``, or a value over a limit of
        :mod:`interlock.model.limits`.
    """
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise InputError(f"{text!r} is not field=value", field="fields")
    try:
        return name, parse_json(raw, field=name)
    except json.JSONDecodeError:
        return name, raw


def reading_data(fields: tuple[str, ...], raw_json: str | None) -> dict[str, Any]:
    """The data of ``sensor put``: ``field=value`` arguments plus the ``--json`` object.

    A field named twice (or both ways) is refused rather than one value silently winning.
    """
    data: dict[str, Any] = {}
    pairs = [parse_field(f) for f in fields]
    if raw_json is not None:
        try:
            loaded = parse_json(raw_json, field="--json")
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON: {exc}", field="--json") from exc
        if not isinstance(loaded, dict):
            raise InputError("must be a JSON object", field="--json")
        pairs.extend(loaded.items())
    for name, value in pairs:
        if name in data:
            raise InputError(f"field {name!r} is given twice", field="fields")
        data[name] = value
    return data


def time_arg(value: str | None) -> datetime | None:
    """An ``--since``/``--until`` value; a time without a zone is refused, not guessed."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.utcoffset() is None:
        raise click.BadParameter(f"{value!r} needs a time zone (Z or +00:00)")
    return moment
