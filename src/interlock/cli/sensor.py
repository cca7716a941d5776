"""``interlock sensor put``: record a reading from the command line."""

from __future__ import annotations

from typing import cast

import click

from interlock.cli._common import db_option, fail, open_db, reading_data
from interlock.errors import InterlockError

__all__ = ["sensor"]


@click.group()
def sensor() -> None:
    """Write sensor readings, or run a state checker now (``sensor check``)."""


@sensor.command("put")
@click.argument("target")
@click.argument("key", required=False)
@click.argument("fields", nargs=-1)
@click.option("--shared", is_flag=True, help="TARGET is the key of a shared reading (no pipeline).")
@click.option("--partition", default=None, help="YYYY-MM-DD, YYYY-MM-DDTHH or with |name=value.")
@click.option(
    "--json",
    "raw_json",
    default=None,
    help="The reading (or more fields) as a JSON object, e.g. '{\"count\": 5}'.",
)
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
    """Record a reading: PIPELINE KEY field=value ..., or --shared KEY field=value ...

    A value that parses as JSON is typed, anything else is a string: n=5 is the number 5,
    n=1e3 the number 1000.0, ok=true a boolean, x=null null and meta='{"a":1}' an object;
    n=05 is the string "05" (05 is not JSON), and status=ready, n= (empty) and
    note='two words' are strings. Quote values with spaces or shell characters.

    Each field may be given once (as an argument or in --json), and at least one field or
    --json is required (--json '{}' writes an empty reading).
    """
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
