"""``interlock apply`` and ``interlock serve``: load pipelines, run the controller.

``--pipelines`` (``INTERLOCK_PIPELINES``) names the YAML folder; ``--state-dir``
(``INTERLOCK_STATE_DIR``, default ``.interlock``) is where job backends keep their files,
where ``interlock logs`` reads them. ``serve`` logs to stderr (rendered by ``serve_log``)
and re-applies the folder on SIGHUP or, with ``--watch``, when its files change
(``serve_watch``).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from interlock.app import Interlock
from interlock.cli._common import db_option, fail, open_db
from interlock.cli.manage import state_dir_option
from interlock.cli.serve_log import FORMATS, LogFormat, bridge_logging, renderer
from interlock.cli.serve_watch import PipelineReloader
from interlock.controller.loop import Controller, ControllerSettings
from interlock.controller.observe import LEVELS, Level, LogEntry, Sink
from interlock.errors import InputError, InterlockError

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
    help="A folder (or file) of pipeline YAML to apply before serving (INTERLOCK_PIPELINES).",
)
@db_option
@click.option("--workers", default=4, show_default=True, help="Threads for job-backend calls.")
@click.option(
    "--log-format",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="stderr log: text lines, or one JSON object per line (auto: text).",
)
@click.option(
    "--log-level",
    type=click.Choice(LEVELS),
    default="info",
    show_default=True,
    help="debug also logs every quiet event.",
)
@click.option(
    "--watch", is_flag=True, help="Re-apply --pipelines when its files change (polled every 2 s)."
)
@state_dir_option
def serve(
    pipelines: Path | None,
    db: str | None,
    workers: int,
    state_dir: Path,
    log_format: LogFormat,
    log_level: Level,
    *,
    watch: bool,
) -> None:
    """Run the controller until SIGTERM/SIGINT (applies --pipelines first if given).

    Logs each run opened, launch, outcome, retry and warning to stderr. SIGHUP re-applies
    --pipelines; an invalid change is logged and the previous config kept.
    """
    if watch and pipelines is None:
        fail(InputError("needs --pipelines (the folder to watch)", field="--watch"))
    il = open_db(db, pipelines, create=True, state_dir=state_dir)
    try:
        if pipelines is not None:
            il.apply()
    except InterlockError as exc:
        fail(exc)
    sink = renderer(sys.stderr, log_format, log_level)
    controller = il.controller(ControllerSettings(workers=workers), sink=sink)
    reloader = PipelineReloader(il, pipelines, sink, watch=watch)
    _install_signals(controller, reloader)
    count = len(il.specs())
    watching = f", watching {pipelines}" if watch else ""
    plural = "s" if count != 1 else ""
    with bridge_logging(sink, log_level):
        controller.take_over()  # a second SQLite controller is refused before "serving"
        _say(sink, il, f"interlock serving {count} pipeline{plural} on {il.database}{watching}")
        reloader.start()
        try:
            controller.serve()  # a refused start (another SQLite controller): one line, main()
        finally:
            reloader.stop()
    _say(sink, il, "interlock stopped cleanly")
    il.close()


def _install_signals(controller: Controller, reloader: PipelineReloader) -> None:
    """SIGTERM/SIGINT stop the controller; SIGHUP re-applies (it no longer ends the process)."""
    signal.signal(signal.SIGTERM, lambda _signum, _frame: controller.stop())
    signal.signal(signal.SIGINT, lambda _signum, _frame: controller.stop())
    signal.signal(signal.SIGHUP, lambda _signum, _frame: reloader.request())


def _say(sink: Sink, il: Interlock, message: str) -> None:
    """A line about the controller itself (start, stop)."""
    sink.emit(LogEntry(at=il.clock.now(), level="info", event="serve", message=message))
