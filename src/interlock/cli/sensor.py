"""``interlock sensor put``: record a reading from the command line."""

from __future__ import annotations

from typing import cast

import click

from interlock.cli._common import db_option, fail, open_db, reading_data
from interlock.errors import InterlockError

__all__ = ["sensor"]


@click.group()
def sensor() -> None:
    """Write sensor readings."""


@sensor.command("put")
@click.argument("target")
@click.argument("key", required=False)
@click.argument("fields", nargs=-1)
@click.option("--shared", is_flag=True, help="TARGET is the key of a shared reading (no pipeline).")
@click.option("--partition", default=None, help="YYYY-MM-DD, YYYY-MM-DDTHH or with |name=value.")
@click.option("--json", "raw_json", default=None, help="The whole reading as a JSON object.")
@db_option
def sensor_put(
    target: str,
    key: str | None,
    fields: tuple[str, ...],
    *,
    shared: bool,
    partition: str | None,
    raw_json: str | None,
    db: str | None,
) -> None:
    """Record a reading: ``PIPELINE KEY field=value ...``, or ``--shared KEY field=value ...``."""
    if shared:
        fields = ((key,) if key else ()) + fields
    elif key is None:
        raise click.UsageError("KEY is required (or use --shared KEY)")
    try:
        data = reading_data(fields, raw_json)
        il = open_db(db, create=True)
        if shared:
            il.put_shared(target, data, partition=partition)
        else:
            il.put_reading(target, cast("str", key), data, partition=partition)
    except InterlockError as exc:
        fail(exc)
    click.echo("ok")
