"""Operating pipelines: ``pipelines``, ``logs``, ``pause`` and ``resume``.

``pipelines`` shows what is stored and how it is doing, ``logs`` a job's output, ``pause``
stops a pipeline launching and ``resume`` lets it launch again.

``--state-dir`` (``INTERLOCK_STATE_DIR``, default ``.interlock``) is where ``serve`` keeps
the ``command`` backend's job files; ``logs`` reads them there, so both must agree.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from interlock.app import STATE_DIR_ENV, PipelineState
from interlock.cli._common import db_option, fail, json_option, open_db, print_table
from interlock.errors import InterlockError

__all__ = ["logs", "pause", "pipelines", "resume", "state_dir_option"]

state_dir_option = click.option(
    "--state-dir",
    envvar=STATE_DIR_ENV,
    default=".interlock",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where job backends keep their files (serve and logs must agree).",
)


@click.command()
@db_option
@json_option
def pipelines(db: str | None, *, as_json: bool) -> None:
    """Every stored pipeline: its config in a line, paused or not, latest run, next check."""
    states = open_db(db).pipelines_state()
    if as_json:
        click.echo(_states_json(states))
        return
    table = Table("pipeline", "state", "latest run", "next check", "summary", "source")
    for state in states:
        run = state.latest
        paused = state.spec.paused
        table.add_row(
            escape(state.spec.id),
            f"[yellow]{escape(paused.describe())}[/]" if paused else "active",
            escape(f"{run.partition} {run.state.value} #{run.attempt}") if run else "",
            state.next_check_at.isoformat(timespec="seconds") if state.next_check_at else "",
            escape(_summary(state)),
            escape(state.spec.source),
        )
    print_table(table)


def _summary(state: PipelineState) -> str:
    from interlock.cli import summary  # noqa: PLC0415 - the package imports this module

    return summary(state.spec)


def _states_json(states: list[PipelineState]) -> str:
    """``pipelines --json``: a list of :class:`~interlock.schemas.PipelineStateOut`."""
    from interlock.schemas import (  # noqa: PLC0415 - pydantic only for --json
        LatestRunOut,
        PauseOut,
        PipelineStateOut,
        dumps,
    )

    shown = []
    for state in states:
        paused, run = state.spec.paused, state.latest
        shown.append(
            PipelineStateOut(
                id=state.spec.id,
                summary=_summary(state),
                source=state.spec.source,
                paused=PauseOut(at=paused.at, by=paused.by, reason=paused.reason)
                if paused
                else None,
                latest_run=LatestRunOut(
                    partition=run.partition, state=run.state.value, attempt=run.attempt
                )
                if run
                else None,
                next_check_at=state.next_check_at,
            )
        )
    return dumps(shown, indent=2, ensure_ascii=False)


@click.command()
@click.argument("run_id")
@click.option(
    "--stream",
    type=click.Choice(["both", "stdout", "stderr"]),
    default="both",
    show_default=True,
    help="Which output of the job to print.",
)
@state_dir_option
@db_option
def logs(run_id: str, stream: str, state_dir: Path, db: str | None) -> None:
    """A job's output, secrets masked; RUN_ID is PIPELINE/PARTITION[/ATTEMPT] (default latest).

    Exits 1 when the attempt's backend keeps no logs (``http``: see the job system's own).
    """
    try:
        record, found = open_db(db, state_dir=state_dir).logs(run_id)
    except InterlockError as exc:
        fail(exc)
    if found is None:
        click.echo(
            f"error: no logs kept by the {record.backend} backend for {record.attempt_id}",
            err=True,
        )
        raise SystemExit(1)
    shown = [("stdout", found.stdout), ("stderr", found.stderr)]
    for name, text in shown:
        if stream not in ("both", name):
            continue
        if stream == "both":
            click.echo(f"==> {name} of {record.attempt_id} <==")
        click.echo(text, nl=bool(text) and not text.endswith("\n"))


@click.command()
@click.argument("pipeline")
@click.option("--reason", default="", help="Why (shown by explain, status and pipelines).")
@click.option("--by", default=None, help="Who pauses it (default: your user name).")
@db_option
def pause(pipeline: str, reason: str, by: str | None, db: str | None) -> None:
    """Launch nothing for PIPELINE (no first launches, retries or reruns) until resumed.

    Its runs are still evaluated, explained and watched: SLA alerts still fire.
    """
    try:
        changed = open_db(db).pause(pipeline, reason=reason, by=by or _user())
    except InterlockError as exc:
        fail(exc)
    if not changed:
        click.echo(f"{pipeline} is already paused")
        return
    why = f" ({reason})" if reason else ""
    click.echo(f"{pipeline} paused{why}: nothing launches until `interlock resume {pipeline}`")


@click.command()
@click.argument("pipeline")
@db_option
def resume(pipeline: str, db: str | None) -> None:
    """Let PIPELINE launch again; its waiting runs are decided at once."""
    try:
        changed = open_db(db).resume(pipeline)
    except InterlockError as exc:
        fail(exc)
    click.echo(f"{pipeline} resumed" if changed else f"{pipeline} is not paused")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return ""
