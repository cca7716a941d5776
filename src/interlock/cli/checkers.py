"""``interlock sensor check`` and ``interlock sensors``: state checkers from the command line.

``sensor check`` runs one checker now and prints what it would record, recording nothing;
``sensors`` lists every checker with its last check as the controller stored it.
"""

from __future__ import annotations

import json

import click

from interlock.cli._common import db_option, fail, json_option, open_db, print_line
from interlock.errors import InterlockError

__all__ = ["sensor_check", "sensors"]


@click.command("check")
@click.argument("pipeline")
@click.argument("key")
@click.option(
    "--partition", default=None, help="Check this partition only (default: those that matter now)."
)
@db_option
@json_option
def sensor_check(
    pipeline: str, key: str, partition: str | None, db: str | None, *, as_json: bool
) -> None:
    """Run PIPELINE's checker of KEY now and print the readings it would record.

    Nothing is recorded. PIPELINE ``shared`` names a shared checker. Each line is a
    partition (``-`` undated) and the observed data; ``changed`` marks the ones the
    running controller would record now (the others wait for their heartbeat). A failed
    check prints one line and exits 2.
    """
    il = open_db(db)
    try:
        seen = il.sensor_check(pipeline, key, partition)
        label = f"{pipeline}/{key}"
        check = il.check_runner().find(None if pipeline == "shared" else pipeline, key)
    except InterlockError as exc:
        fail(exc)
    finally:
        il.close()
    if as_json:
        from interlock.schemas import CheckedReadingOut, SensorCheckOut, dumps  # noqa: PLC0415

        shown = SensorCheckOut(
            checker=label,
            kind=check.kind if check else "",
            readings=[
                CheckedReadingOut(partition=s.partition, data=dict(s.data), changed=s.changed)
                for s in seen
            ],
        )
        click.echo(dumps(shown, indent=2))
        return
    if not seen:
        click.echo(f"{label}: no partition to check now (no open run within the horizon)")
    for item in seen:
        mark = "changed" if item.changed else "same"
        click.echo(
            f"{item.partition or '-'}  {mark:7}  {json.dumps(dict(item.data), sort_keys=True)}"
        )


@click.command("sensors")
@db_option
@json_option
def sensors(db: str | None, *, as_json: bool) -> None:
    """List the state checkers: label, kind, every, last run, duration and last error."""
    il = open_db(db)
    try:
        rows = il.sensors()
    except InterlockError as exc:
        fail(exc)
    finally:
        il.close()
    from interlock.schemas import CheckerOut, dumps  # noqa: PLC0415

    shapes = [
        CheckerOut.of(
            label=r.label,
            pipeline=r.pipeline_id,
            key=r.key,
            kind=r.kind,
            every=r.every,
            status=r.status,
        )
        for r in rows
    ]
    if as_json:
        click.echo(dumps(shapes, indent=2))
        return
    if not shapes:
        click.echo("no state checkers (add a sensors: section to a pipeline)")
    for shape in shapes:
        ran = shape.last_run_at.isoformat(timespec="seconds") if shape.last_run_at else "never"
        took = f"{shape.duration_ms} ms" if shape.duration_ms is not None else "-"
        error = f"  FAILING ({shape.failures}): {shape.last_error}" if shape.failures else ""
        print_line(
            f"{shape.checker}  {shape.kind}  every {shape.every}  last run {ran}  {took}{error}"
        )
