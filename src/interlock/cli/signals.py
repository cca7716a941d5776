"""Commands that ask the controller for something: ``rerun``, ``cancel``, ``job report``.

Each one first checks, with the verdict the controller applies
(:mod:`interlock.decide.verdicts`), that the request can take effect, and refuses it (exit 1,
nothing recorded) when it cannot. An accepted request is recorded as a signal on the run;
the command then waits up to ``--wait`` for a controller to act on it and prints what
happened: accepted (exit 0), rejected after all (exit 1), or still queued because no
controller took it in time (exit 0: it stays recorded). Bad input exits 2.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, cast

import click

from interlock.app import Interlock, SignalOutcome, SignalReceipt
from interlock.cli._common import db_option, fail, json_option, open_db
from interlock.errors import InputError, InterlockError, RequestRefusedError
from interlock.model import FAILURE_CATEGORIES
from interlock.model.durations import parse_duration

__all__ = ["cancel", "job", "rerun"]

DEFAULT_WAIT = "5s"

wait_option = click.option(
    "--wait",
    default=DEFAULT_WAIT,
    show_default=True,
    help="How long to wait for the controller's answer (Go duration; 0 returns at once).",
)


@click.command()
@click.argument("pipeline")
@click.argument("partition")
@click.option(
    "--reason",
    default="manual",
    show_default=True,
    help="Why: the attempt's reason and the rerun budget it counts against.",
)
@click.option(
    "--force",
    is_flag=True,
    help=(
        "Operators: skip the 'succeeded and no sensor data has changed' breaker and the"
        " future / unproducible partition and calendar checks (never the rerun budget)."
        " Recorded as forced."
    ),
)
@wait_option
@json_option
@db_option
def rerun(
    pipeline: str,
    partition: str,
    reason: str,
    *,
    force: bool,
    wait: str,
    as_json: bool,
    db: str | None,
) -> None:
    """Ask for a partition to run again (budgets and the freshness breaker apply)."""
    _request(
        lambda il: il.rerun(pipeline, partition, reason=reason, force=force),
        db,
        wait,
        as_json=as_json,
    )


@click.command()
@click.argument("pipeline")
@click.argument("partition")
@click.option("--reason", default="", help="Why (kept in the RUN_CANCELLED event).")
@wait_option
@json_option
@db_option
def cancel(
    pipeline: str, partition: str, reason: str, wait: str, db: str | None, *, as_json: bool
) -> None:
    """Cancel a partition's run (refused when it has none or it is already final)."""
    _request(lambda il: il.cancel(pipeline, partition, reason=reason), db, wait, as_json=as_json)


@click.group()
def job() -> None:
    """Talk to Interlock from a job."""


@job.command("report")
@click.argument("run_id")
@click.argument("outcome", type=click.Choice(["succeeded", "failed", "running"]))
@click.option("--message", default="", help="What happened, kept with the attempt and event.")
@click.option(
    "--category",
    type=click.Choice(FAILURE_CATEGORIES),
    default=None,
    help=(
        "For failed: which retry budget applies (TRANSIENT, TIMEOUT: maxRetries; PERMANENT:"
        " maxCodeRetries; CANCELLED, AUTH: never retried). Default TRANSIENT."
    ),
)
@wait_option
@json_option
@db_option
def job_report(
    run_id: str,
    outcome: str,
    message: str,
    category: str | None,
    wait: str,
    db: str | None,
    *,
    as_json: bool,
) -> None:
    """An external job reports its outcome; RUN_ID is PIPELINE/PARTITION[/ATTEMPT].

    Refused (exit 1) when the run has no launched attempt, the attempt does not exist or
    has already ended.
    """
    state = cast("Literal['succeeded', 'failed', 'running']", outcome)
    _request(
        lambda il: il.report_job(run_id, state, message=message, category=category),
        db,
        wait,
        as_json=as_json,
    )


def _request(
    action: Callable[[Interlock], SignalReceipt], db: str | None, wait: str, *, as_json: bool
) -> None:
    """Check and record one request, wait for the controller, print the outcome, exit."""
    try:
        timeout = _wait_seconds(wait)
        il = open_db(db)
    except InterlockError as exc:
        fail(exc)
    try:
        try:
            receipt = action(il)
        except RequestRefusedError as exc:
            _show(SignalOutcome.of_refusal(exc), as_json=as_json)
            raise SystemExit(1) from None
        except InterlockError as exc:
            fail(exc)
        result = il.await_outcome(receipt, timeout=timeout)
    finally:
        il.close()
    _show(result, as_json=as_json)
    if result.outcome == "refused":
        raise SystemExit(1)


def _wait_seconds(text: str) -> float:
    try:
        return parse_duration(text.strip()).total_seconds()
    except ValueError as exc:
        raise InputError(
            f"{text!r} is not a duration such as 5s or 1m ({exc})", field="--wait"
        ) from None


def _show(outcome: SignalOutcome, *, as_json: bool) -> None:
    """One JSON object (``SignalOutcomeOut``) on stdout, or one line (refusals on stderr)."""
    if as_json:
        from interlock.schemas import SignalOutcomeOut, dumps  # noqa: PLC0415 - fast start

        click.echo(dumps(SignalOutcomeOut.of(outcome)))
    elif outcome.outcome == "refused":
        click.echo(f"error: {outcome.message}", err=True)
    else:
        click.echo(outcome.message)
