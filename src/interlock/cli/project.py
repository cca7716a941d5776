"""Commands that work without a database: ``simulate``, ``demo`` and ``init``."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import click

from interlock.cli._common import COLOURS, console, fail, json_option, print_line
from interlock.errors import InputError, InterlockError
from interlock.events import severity

__all__ = ["demo", "init", "simulate"]


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
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
def simulate(path: Path, readings_file: Path, until: str | None, *, as_json: bool) -> None:
    """Replay a timeline through a pipeline file, or a directory of them, and print every event.

    A directory's pipelines run together on one virtual clock, their dependsOn included;
    lines then name their pipeline ("pipeline": ID). Events are printed as they happen, in
    constant memory. The first bad line stops the
    replay with one error naming it (the events of the lines before it are already
    printed) and a non-zero exit.
    """
    from rich.markup import escape  # noqa: PLC0415 - keeps CLI start fast

    from interlock.config import load_pipeline_file, load_pipelines  # noqa: PLC0415
    from interlock.model import Event  # noqa: PLC0415
    from interlock.simulation.replay import (  # noqa: PLC0415
        event_json,
        iter_timeline,
        parse_time,
        read_lines,
        run_timeline,
    )

    several = path.is_dir()

    def show(event: Event) -> None:
        line = event_json(event)
        if as_json:  # the byte-pinned JSONL contract: compact json.dumps of the EventOut form
            click.echo(json.dumps(line, default=str))
        else:  # partitions and messages are user text: printed as is, never as markup
            colour = COLOURS[severity(event.type)]
            whose = f"{line['pipeline']} " if several else ""  # one file: as it always was
            text = escape(f"{whose}{line['partition']} {event.message}")
            print_line(f"{line['at']} [{colour}]{event.type:<26}[/] {text}")

    try:
        specs = load_pipelines(path) if path.is_dir() else (load_pipeline_file(path),)
        if not specs:
            raise InputError(f"{path} holds no pipeline files (*.yaml, *.yml)")
        end = parse_time(until, "--until") if until is not None else None
        # surrogateescape: a byte that is not UTF-8 is reported with its own line number
        with readings_file.open(encoding="utf-8", errors="surrogateescape") as handle:
            run_timeline(specs, iter_timeline(read_lines(handle)), on_event=show, until=end)
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
    help="Pipelines, database and job logs; recreated on every run. A directory the demo did "
    "not make is refused unless empty.",
)
@click.option("--seconds", default=45.0, show_default=True, help="How long the scripted day plays.")
@click.option("--forever", is_flag=True, help="Keep running after the script (Ctrl-C to stop).")
def demo(workdir: Path, seconds: float, *, forever: bool) -> None:
    """Watch Interlock work: readiness, a blocked run, a retry, an SLA warning, late data."""
    from interlock.demo import run_demo  # noqa: PLC0415 - only this command needs it

    try:
        run_demo(workdir=workdir, duration=seconds, forever=forever, console=console).close()
    except InterlockError as exc:
        fail(exc)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@click.command()
@click.argument("directory", type=click.Path(path_type=Path), default=Path())
def init(directory: Path) -> None:
    """Scaffold a project: starter pipelines (runnable command jobs) and a timeline to simulate.

    DIRECTORY/pipelines/ gets the pipelines, DIRECTORY/timelines/orders-day.jsonl a timeline
    for ``interlock simulate``. Nothing is overwritten: a non-empty pipelines/ or an existing
    timeline is refused before anything is written.
    """
    from interlock.demo import (  # noqa: PLC0415
        TIMELINE_FILE,
        path_hint,
        write_demo_pipelines,
        write_demo_timeline,
    )

    pipelines, timelines = directory / "pipelines", directory / "timelines"
    if pipelines.exists() and (not pipelines.is_dir() or any(pipelines.iterdir())):
        fail(InputError(f"{pipelines} already exists; choose a new or empty directory"))
    if (timelines / TIMELINE_FILE).exists():
        fail(InputError(f"{timelines / TIMELINE_FILE} already exists; choose a new directory"))
    write_demo_pipelines(pipelines)
    timeline = write_demo_timeline(timelines)
    count = len(list(pipelines.glob("*.yaml")))
    click.echo(f"wrote {count} pipelines to {pipelines}/ and a timeline to {timeline}")
    for line in _init_hints(directory, path_hint()):
        click.echo(line)


def _init_hints(directory: Path, path_hint: str | None) -> list[str]:
    """What to type next, in one shell, runnable as printed where ``init`` was run."""
    enter = "" if directory == Path() else f"cd {shlex.quote(str(directory))} && "
    put = "interlock sensor put orders-daily"
    steps = [
        f"{enter}interlock validate pipelines/ && interlock apply pipelines/",
        "interlock serve &",
        f"{put} orders-rows count=5200 && {put} orders-landed status=ready",
        "sleep 8 && interlock runs orders-daily",
        "interlock simulate pipelines/orders-daily.yaml --readings timelines/orders-day.jsonl",
    ]
    return [*([path_hint] if path_hint else []), *(f"next: {step}" for step in steps)]
