"""The runtime commands of the ``interlock`` CLI: apply, serve, sensors, simulate and more.

Registered on the click group of :mod:`interlock.cli`; the read commands (status, explain,
runs, events), each with ``--json`` for scripts, are in :mod:`interlock.cli.read`, which
shares this module's options and helpers. ``--db`` (``INTERLOCK_DATABASE_URL``) picks the
database, default ``./interlock.db``; ``--pipelines`` (``INTERLOCK_PIPELINES``) the YAML folder.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, NoReturn, cast

import click
from rich.console import Console

from interlock.app import Interlock
from interlock.controller.loop import ControllerSettings
from interlock.errors import ConfigError, InputError, InterlockError
from interlock.events import severity
from interlock.model import FAILURE_CATEGORIES
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
    "register",
    "time_arg",
]

console = Console()
COLOURS = {"error": "red", "warning": "yellow", "ok": "green", "info": "cyan"}

db_option = click.option(
    "--db",
    envvar="INTERLOCK_DATABASE_URL",
    default=None,
    help="Database URL (default sqlite ./interlock.db).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def open_db(db: str | None, pipelines: Path | None = None) -> Interlock:
    """The installation a command works on: ``--db`` (or its default), ``--pipelines``."""
    return Interlock(db=db, pipelines=pipelines)


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


def register(main: click.Group) -> None:
    """Add the runtime commands to ``main`` (the read commands: :mod:`interlock.cli.read`)."""
    for command in (
        apply,
        serve,
        rerun,
        cancel,
        simulate,
        demo,
        init,
    ):
        main.add_command(command)
    main.add_command(sensor)
    main.add_command(job)


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path), envvar="INTERLOCK_PIPELINES")
@db_option
def apply(path: Path, db: str | None) -> None:
    """Load pipeline YAML into the database (all or nothing), keeping every version."""
    try:
        report = open_db(db).apply(path)
    except InterlockError as exc:
        fail(exc)
        return
    click.echo(
        f"added {len(report.added)}, changed {len(report.changed)}, "
        f"unchanged {len(report.unchanged)}"
    )


@click.command()
@click.option(
    "--pipelines",
    type=click.Path(exists=True, path_type=Path),
    envvar="INTERLOCK_PIPELINES",
    default=None,
)
@db_option
@click.option("--workers", default=4, show_default=True, help="Threads for job-backend calls.")
def serve(pipelines: Path | None, db: str | None, workers: int) -> None:
    """Run the controller until SIGTERM/SIGINT (applies --pipelines first if given)."""
    il = open_db(db, pipelines)
    try:
        if pipelines is not None:
            il.apply()
    except InterlockError as exc:
        fail(exc)
    controller = il.controller(ControllerSettings(workers=workers))

    def stop(_signum: int, _frame: object) -> None:
        controller.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"interlock serving {len(il.specs())} pipelines on {il.database}", err=True)
    controller.serve()  # a refused start (another SQLite controller) is one line, from main()
    click.echo("interlock stopped cleanly", err=True)
    il.close()


@click.command()
@click.argument("pipeline")
@click.argument("partition")
@click.option("--reason", default="manual", show_default=True)
@db_option
def rerun(pipeline: str, partition: str, reason: str, db: str | None) -> None:
    """Ask for a partition to run again (budgets and the freshness breaker apply)."""
    _signal(lambda il: il.rerun(pipeline, partition, reason=reason), db)
    click.echo(f"rerun of {pipeline} {partition} requested ({reason}); see `interlock events`")


@click.command()
@click.argument("pipeline")
@click.argument("partition")
@click.option("--reason", default="", help="Why (kept in the RUN_CANCELLED event).")
@db_option
def cancel(pipeline: str, partition: str, reason: str, db: str | None) -> None:
    """Cancel a partition's run."""
    _signal(lambda il: il.cancel(pipeline, partition, reason=reason), db)
    click.echo(f"cancel of {pipeline} {partition} requested")


def _signal(action: Callable[[Interlock], None], db: str | None) -> None:
    try:
        action(open_db(db))
    except InterlockError as exc:
        fail(exc)


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
        il = open_db(db)
        if shared:
            il.put_shared(target, data, partition=partition)
        else:
            il.put_reading(target, cast("str", key), data, partition=partition)
    except InterlockError as exc:
        fail(exc)
    click.echo("ok")


@click.group()
def job() -> None:
    """Talk to Interlock from a job."""


@job.command("report")
@click.argument("run_id")
@click.argument("outcome", type=click.Choice(["succeeded", "failed", "running"]))
@click.option("--message", default="")
@click.option("--category", type=click.Choice(FAILURE_CATEGORIES), default=None)
@db_option
def job_report(
    run_id: str, outcome: str, message: str, category: str | None, db: str | None
) -> None:
    """An external job reports its outcome; RUN_ID is PIPELINE/PARTITION[/ATTEMPT]."""
    state = cast("Literal['succeeded', 'failed', 'running']", outcome)
    _signal(lambda il: il.report_job(run_id, state, message=message, category=category), db)
    click.echo("ok")


@click.command()
@click.argument("pipeline_file", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--readings",
    "readings_file",
    type=click.Path(exists=True, path_type=Path),
    required=True,
    help="JSONL timeline (see interlock.simulation.replay).",
)
@click.option(
    "--until", default=None, help="Stop the virtual clock here (default: last line + 1 day)."
)
@json_option
def simulate(pipeline_file: Path, readings_file: Path, until: str | None, *, as_json: bool) -> None:
    """Replay a timeline through one pipeline on a virtual clock and print every event.

    Events are printed as they happen, in constant memory. The first bad line stops the
    replay with one error naming it (the events of the lines before it are already
    printed) and a non-zero exit.
    """
    from rich.markup import escape  # noqa: PLC0415 - keeps CLI start fast

    from interlock.config import load_pipeline_file  # noqa: PLC0415
    from interlock.model import Event  # noqa: PLC0415
    from interlock.simulation.replay import (  # noqa: PLC0415
        event_json,
        iter_timeline,
        parse_time,
        read_lines,
        run_timeline,
    )

    def show(event: Event) -> None:
        line = event_json(event)
        if as_json:  # the byte-pinned JSONL contract: compact json.dumps of the EventOut form
            click.echo(json.dumps(line, default=str))
        else:  # partitions and messages are user text: printed as is, never as markup
            colour = COLOURS[severity(event.type)]
            text = escape(f"{line['partition']} {event.message}")
            console.print(f"{line['at']} [{colour}]{event.type:<26}[/] {text}")

    try:
        spec = load_pipeline_file(pipeline_file)
        end = parse_time(until, "--until") if until is not None else None
        # surrogateescape: a byte that is not UTF-8 is reported with its own line number
        with readings_file.open(encoding="utf-8", errors="surrogateescape") as handle:
            run_timeline(spec, iter_timeline(read_lines(handle)), on_event=show, until=end)
    except InterlockError as exc:
        sys.stdout.flush()
        fail(exc)
    sys.stdout.flush()


@click.command()
@click.option(
    "--workdir",
    type=click.Path(path_type=Path),
    default=Path(".interlock-demo"),
    show_default=True,
    help="Recreated on every run: pipelines, database and job logs.",
)
@click.option("--seconds", default=45.0, show_default=True, help="How long the scripted day plays.")
@click.option("--forever", is_flag=True, help="Keep running after the script (Ctrl-C to stop).")
def demo(workdir: Path, seconds: float, *, forever: bool) -> None:
    """Watch Interlock work: readiness, a blocked run, a retry, an SLA warning, late data."""
    from interlock.demo import run_demo  # noqa: PLC0415 - only this command needs it

    try:
        run_demo(workdir=workdir, duration=seconds, forever=forever, console=console).close()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@click.command()
@click.argument("directory", type=click.Path(path_type=Path), default=Path())
def init(directory: Path) -> None:
    """Scaffold a project: starter pipelines (runnable command jobs) under DIRECTORY/pipelines."""
    from interlock.demo import write_demo_pipelines  # noqa: PLC0415

    target = directory / "pipelines"
    if target.exists() and any(target.iterdir()):
        raise click.UsageError(f"{target} already has files; choose an empty directory")
    write_demo_pipelines(target)
    click.echo(f"wrote {len(list(target.glob('*.yaml')))} pipelines to {target}")
    click.echo(f"next: interlock validate {target} && interlock serve --pipelines {target}")
