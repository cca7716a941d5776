"""``interlock backfill``: plan a range of partitions, confirm, queue.

It prints the plan first (each partition, its state and the reason its run gets; what is
skipped and why; the downstream partitions that will rerun after it), then asks before it
queues anything (``--yes`` does not ask, ``--dry-run`` never queues). Queued partitions are
not launched here: the controller launches them as ``backfill.maxConcurrent`` allows, each
after its own rules and upstreams. ``--json`` prints :class:`interlock.schemas.BackfillPlanOut`
(``--json`` cannot ask: it needs ``--yes`` or ``--dry-run``).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import click

from interlock.app.backfill import BackfillPlan
from interlock.cli._common import db_option, fail, json_option, open_db
from interlock.errors import InputError, InterlockError

__all__ = ["backfill", "plan_lines"]

LISTED = 20
"""Skipped or downstream partitions listed one by one; beyond this they are summarised."""

_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.command()
@click.argument("pipeline")
@click.option(
    "--from", "first", required=True, type=_DAY, metavar="DATE", help="First date, YYYY-MM-DD."
)
@click.option(
    "--to", "last", required=True, type=_DAY, metavar="DATE", help="Last date, inclusive."
)
@click.option(
    "--where", multiple=True, metavar="NAME=VALUE", help="Only this dimension value (repeatable)."
)
@click.option("--include-done", is_flag=True, help="Rerun done partitions too.")
@click.option(
    "--no-downstream", is_flag=True, help="Do not rerun the downstream partitions they feed."
)
@click.option("--dry-run", is_flag=True, help="Print the plan; queue nothing.")
@click.option("--yes", "-y", is_flag=True, help="Queue without asking.")
@db_option
@json_option
def backfill(
    pipeline: str,
    first: datetime,
    last: datetime,
    where: tuple[str, ...],
    db: str | None,
    *,
    include_done: bool,
    no_downstream: bool,
    dry_run: bool,
    yes: bool,
    as_json: bool,
) -> None:
    """Queue PIPELINE's missing, failed and stale partitions from --from to --to."""
    try:
        if as_json and not (yes or dry_run):
            msg = "cannot ask for confirmation: add --yes or --dry-run"
            raise InputError(msg, field="--json")
        il = open_db(db)
        plan = il.backfill_plan(
            pipeline,
            first=first.date(),
            last=last.date(),
            where=where,
            include_done=include_done,
            downstream=not no_downstream,
        )
    except InterlockError as exc:
        fail(exc)
    if not as_json:
        for line in plan_lines(plan):
            click.echo(line)
    queue = bool(plan.planned) and not dry_run and (yes or _confirmed(plan))
    queued = il.queue_backfill(plan) if queue else 0
    if as_json:
        _print_json(plan, queued, dry_run=dry_run)
    elif queued:
        click.echo(f"queued {queued} partition(s); the controller launches them as slots free up")
    elif dry_run:
        click.echo("dry run: nothing queued")
    else:
        click.echo("nothing to queue")


def _confirmed(plan: BackfillPlan) -> bool:
    """Ask; a refusal exits 1 saying nothing was queued."""
    if click.confirm(f"Queue {len(plan.planned)} partition(s) of {plan.pipeline_id}?"):
        return True
    click.echo("nothing queued", err=True)
    raise SystemExit(1)


def plan_lines(plan: BackfillPlan) -> list[str]:
    """The plan as text: a header, each planned partition, then skipped and downstream."""
    request = plan.request
    head = f"backfill {plan.pipeline_id} {request.first} to {request.last}"
    lines = [f"{head}: {len(plan.planned)} to queue, {len(plan.skipped)} skipped"]
    lines.extend(f"  {p.state.value:8} {p.partition}  ({p.reason})" for p in plan.planned)
    if plan.skipped:
        lines.append("skipped:")
        lines.extend(_skipped_lines(plan))
    lines.extend(_downstream_lines(plan))
    return lines


def _skipped_lines(plan: BackfillPlan) -> list[str]:
    if len(plan.skipped) <= LISTED:
        return [f"  {s.state.value:8} {s.partition}  {s.why}" for s in plan.skipped]
    counts = Counter((s.state.value, s.why) for s in plan.skipped)
    return [f"  {n:,} {state}: {why}" for (state, why), n in sorted(counts.items())]


def _downstream_lines(plan: BackfillPlan) -> list[str]:
    if not plan.request.downstream:
        return ["downstream: not rerun (--no-downstream)"]
    if not plan.downstream:
        return ["downstream: none"]
    lines = [f"downstream, to follow once these succeed ({len(plan.downstream)}):"]
    if len(plan.downstream) <= LISTED:
        return lines + [f"  {d.pipeline_id} {d.partition}" for d in plan.downstream]
    counts = Counter(d.pipeline_id for d in plan.downstream)
    return lines + [f"  {pipeline}: {n:,} partition(s)" for pipeline, n in sorted(counts.items())]


def _print_json(plan: BackfillPlan, queued: int, *, dry_run: bool) -> None:
    from interlock.schemas import (  # noqa: PLC0415 - fast start
        BackfillDownstreamOut,
        BackfillPartitionOut,
        BackfillPlanOut,
        BackfillSkippedOut,
        dumps,
    )

    out = BackfillPlanOut(
        pipeline=plan.pipeline_id,
        from_=_day(plan.request.first),
        to=_day(plan.request.last),
        planned=[
            BackfillPartitionOut(partition=p.partition, state=p.state.value, reason=p.reason)
            for p in plan.planned
        ],
        skipped=[
            BackfillSkippedOut(partition=s.partition, state=s.state.value, why=s.why)
            for s in plan.skipped
        ],
        downstream=[
            BackfillDownstreamOut(pipeline=d.pipeline_id, partition=d.partition)
            for d in plan.downstream
        ],
        queued=queued,
        dry_run=dry_run,
    )
    click.echo(dumps(out, indent=2))


def _day(day: date) -> str:
    return day.isoformat()
