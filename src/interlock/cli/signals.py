"""Commands that ask the controller for something: ``rerun``, ``cancel``, ``job report``.

Each one records a signal on the run; the controller acts on it in its next turn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, cast

import click

from interlock.app import Interlock
from interlock.cli._common import db_option, fail, open_db
from interlock.errors import InterlockError
from interlock.model import FAILURE_CATEGORIES

__all__ = ["cancel", "job", "rerun"]


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
