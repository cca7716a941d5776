"""What every ``interlock`` command shares: the console, ``--db``/``--json``, one-line errors.

``--db`` (``INTERLOCK_DATABASE_URL``) picks the database, default ``./interlock.db``: a
SQLite file path, ``sqlite:///path.db`` or ``postgresql+psycopg://...``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from interlock.app import Interlock
from interlock.errors import ConfigError, InputError, InterlockError
from interlock.model.durations import TIME_FORMS, DurationTooLargeError, parse_moment
from interlock.model.limits import parse_json

__all__ = [
    "COLOURS",
    "TIME_FORMS",
    "add_plain_row",
    "console",
    "db_option",
    "fail",
    "json_option",
    "open_db",
    "parse_field",
    "print_line",
    "print_table",
    "reading_data",
    "time_arg",
    "time_option",
]

console = Console()
"""Where commands print for people: rich markup and colours on a terminal, plain through a pipe.

Print lines with :func:`print_line` and tables with :func:`print_table`: on a terminal they
fit its width, through a pipe or into a file nothing is wrapped or cut (one event, one line,
for ``grep``), where rich alone would wrap at 80 columns.
"""
_UNBOUNDED = 1_000_000
"""The width a table may take when stdout is not a terminal (its columns fit their cells)."""
COLOURS = {"error": "red", "warning": "yellow", "ok": "green", "info": "cyan"}

db_option = click.option(
    "--db",
    envvar="INTERLOCK_DATABASE_URL",
    default=None,
    help="SQLite file path or database URL (sqlite:///path.db, postgresql+psycopg://...; "
    "default ./interlock.db).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def print_line(markup: str) -> None:
    """One line of rich markup: wrapped on a terminal, never through a pipe (see ``console``)."""
    console.print(markup, soft_wrap=not console.is_terminal)


def add_plain_row(table: Table, *cells: str) -> None:
    """A table row of user text (ids, partitions, messages): shown as is, never as markup."""
    table.add_row(*(Text(cell) for cell in cells))


def print_table(table: Table) -> None:
    """A table: fitted to a terminal; through a pipe every cell whole, however wide the row."""
    if console.is_terminal:
        console.print(table)
        return
    unbounded = console.options.update_width(_UNBOUNDED)
    table.width = Measurement.get(console, unbounded, table).maximum  # each cell whole
    console.print(table, soft_wrap=True)


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
    """``name=value`` → ``(name, value)``: a value that is JSON is typed, anything else a string.

    ``n=5`` is the number 5, ``n=1e3`` the float 1000.0, ``ok=true`` a boolean, ``x=null``
    None and ``meta='{"a":1}'`` an object; ``n=05`` is the string ``"05"`` (05 is not JSON),
    and so are ``status=ready`` and ``n=`` (the empty string). Sensors compare numbers with
    ``gte``/``lt``, so typing them here is what makes ``count=1500`` pass ``gte 1000``.

    :raises InputError: for text without ``=`` or a name, or a JSON value over a limit of
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

    A field named twice (or both ways) is refused rather than one value silently winning,
    and so is an empty call (no field and no ``--json``): it is a forgotten argument far more
    often than a wish to store an empty reading, which ``--json '{}'`` still writes.
    """
    if not fields and raw_json is None:
        raise InputError("give at least one field=value (or --json OBJECT)", field="fields")
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


def time_arg(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """An ``--since``/``--until`` value as an aware UTC time; None stays None.

    Accepted: an ISO time with a zone; an ISO date (midnight UTC of that day); a Go-style
    duration (:mod:`interlock.model.durations`) relative to ``now`` (default: the current
    time), with its sign as written: ``-2h`` is two hours ago, ``1d`` a day from now. A time
    without a zone is refused, not guessed: the machine's zone and the controller's may differ.

    :raises click.BadParameter: one line saying what is accepted.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        return parse_moment(text, now or datetime.now(UTC))
    except (OverflowError, DurationTooLargeError):
        raise click.BadParameter(f"{value!r} is outside the years 1 to 9999") from None
    except ValueError:
        pass
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time; use {TIME_FORMS}") from None
    raise click.BadParameter(
        f"{value!r} has no time zone; write one, e.g. {naive.isoformat()}Z for UTC"
    )


def time_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    """:func:`time_arg` as a click callback, so its error names the option (exit 2)."""
    return time_arg(value)
