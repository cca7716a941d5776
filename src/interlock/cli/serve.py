"""``interlock apply`` and ``interlock serve``: load pipelines, run the controller.

``--pipelines`` (``INTERLOCK_PIPELINES``) names the YAML folder.
"""

from __future__ import annotations

import signal
from pathlib import Path

import click

from interlock.cli._common import db_option, fail, open_db
from interlock.controller.loop import ControllerSettings
from interlock.errors import InterlockError

__all__ = ["apply", "serve"]


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path), envvar="INTERLOCK_PIPELINES")
@db_option
def apply(path: Path, db: str | None) -> None:
    """Load pipeline YAML into the database (all or nothing), keeping every version."""
    try:
        report = open_db(db, create=True).apply(path)
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
    il = open_db(db, pipelines, create=True)
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
