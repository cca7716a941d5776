"""The read commands of the ``interlock`` CLI: status, explain, runs and events.

They read through the :class:`~interlock.app.Interlock` facade (never the store) and print
JSON through :mod:`interlock.schemas`, the shapes the HTTP API serves too. The schemas are
imported inside the commands, and only for ``--json``: pydantic costs every ``interlock``
start tens of milliseconds otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from interlock.app import Interlock
from interlock.app.upstreams import UpstreamNode
from interlock.cli._common import (
    COLOURS,
    TIME_FORMS,
    add_plain_row,
    db_option,
    fail,
    json_option,
    open_db,
    print_line,
    print_table,
    time_option,
)
from interlock.errors import InterlockError
from interlock.events import catalog_names, severity
from interlock.model import Decision

__all__ = ["register", "render_decision"]


def register(main: click.Group) -> None:
    """Add the read commands to ``main``."""
    for command in (status, explain, runs, events):
        main.add_command(command)


@click.command()
@click.argument("pipeline", required=False)
@db_option
@json_option
def status(pipeline: str | None, db: str | None, *, as_json: bool) -> None:
    """The latest runs (at most 200), newest partition first; PIPELINE: only its runs."""
    il = open_db(db)
    if pipeline is not None:
        il.spec(pipeline)  # an unknown id is an error with a did-you-mean, not an empty table
    runs_list = il.runs(pipeline, limit=200)
    specs = il.specs()
    upstreams = {spec.id: sorted(spec.upstream_ids) for spec in specs.values()}
    if as_json:
        from interlock.schemas import StatusRunOut, dumps  # noqa: PLC0415 - keeps CLI start fast

        shown = [
            StatusRunOut.with_upstreams(r, upstreams.get(r.pipeline_id, ())) for r in runs_list
        ]
        click.echo(dumps(shown, indent=2))
        return
    paused = {spec.id for spec in specs.values() if spec.paused is not None}
    table = Table("pipeline", "partition", "state", "attempt", "next check", "upstreams")
    for run in runs_list:
        held = run.pipeline_id in paused and not run.is_terminal
        add_plain_row(
            table,
            run.pipeline_id,
            run.partition,
            f"{run.state.value} (paused)" if held else run.state.value,
            str(run.attempt),
            run.next_check_at.isoformat(timespec="seconds") if run.next_check_at else "",
            ", ".join(upstreams.get(run.pipeline_id, ())),
        )
    print_table(table)


def render_decision(decision: Decision) -> None:
    """Rich view of an explanation: summary, waiting-for, and each rule.

    Ids, partitions, reasons and readings are user text: escaped, never read as markup.
    """
    exp = decision.explanation
    run = decision.run
    print_line(f"[bold]{escape(run.pipeline_id)}[/] {escape(run.partition)}: {run.state.value}")
    print_line(f"  {escape(exp.summary)}")
    if exp.waiting_for:
        print_line(f"  waiting for: {escape(exp.waiting_for)}")
    if exp.until:
        print_line(f"  next check: {exp.until.isoformat(timespec='seconds')}")
    for title, evaluation in (("trigger", exp.trigger), ("rules", exp.validation)):
        if evaluation is None:
            continue
        note = exp.validation_note if title == "rules" else ""
        heading = f"  {title}: {evaluation.label} — {evaluation.reason}"
        print_line(escape(heading + (f" ({note})" if note else "")))
        for leaf in evaluation.children or (evaluation,):
            mark = "[green]pass[/]" if leaf.passed else "[red]FAIL[/]"
            seen = (
                f" (reading at {leaf.reading_at.isoformat(timespec='seconds')})"
                if leaf.reading_at
                else ""
            )
            print_line(f"    {mark} " + escape(f"{leaf.label}: {leaf.reason}{seen}"))
    for note in exp.checkers:
        print_line("  [yellow]checker failing[/] " + escape(note))


@click.command()
@click.argument("pipeline")
@click.argument("partition_arg", metavar="[PARTITION]", required=False)
@click.option(
    "--partition", default=None, help="Default: today's partition in the schedule's zone."
)
@db_option
@json_option
def explain(
    pipeline: str,
    partition_arg: str | None,
    partition: str | None,
    db: str | None,
    *,
    as_json: bool,
) -> None:
    """Each rule: pass/fail, the reading it saw, why; what the run waits for and until when.

    For a pipeline with dependsOn, each unmet dependency is followed upstream: what the
    upstream run is doing and, recursively, why (from the explanations stored with those
    runs). ``--json`` puts that tree in ``dependencies.checks[i].upstream``.
    """
    if partition_arg is not None and partition is not None and partition_arg != partition:
        raise click.UsageError("give the partition once: as PARTITION or as --partition")
    il = open_db(db)
    try:
        decision = il.explain(pipeline, partition_arg or partition)
    except InterlockError as exc:
        fail(exc)
        return
    nodes = il.explain_upstreams(decision)
    if as_json:
        from interlock.app.upstreams import with_upstreams  # noqa: PLC0415
        from interlock.schemas import ExplainOut, ExplanationOut, RunOut, dumps  # noqa: PLC0415

        stored = dict(decision.explanation.to_dict())
        stored["dependencies"] = with_upstreams(stored["dependencies"], nodes)
        shown = ExplainOut(
            run=RunOut.of(decision.run), explanation=ExplanationOut.model_validate(stored)
        )
        click.echo(dumps(shown, indent=2))
        return
    render_decision(decision)
    render_dependencies(decision.explanation.dependencies, nodes)


_VERDICT = (("FAILED", "failed"), ("BLOCKED", "blocked"), ("WAITING", "waiting"))


def render_dependencies(
    dependencies: Mapping[str, Any] | None, nodes: Mapping[str, UpstreamNode]
) -> None:
    """``dependencies: waiting`` and each dependency's reason, its upstreams' below it.

    The verdict word is the worst status among the checks (failed, blocked, waiting), or
    ``met``; each line is user text (ids, messages), escaped.
    """
    if dependencies is None:
        return
    statuses = {check["status"] for check in dependencies["checks"]}
    worst = next((word for status, word in _VERDICT if status in statuses), "waiting")
    print_line(f"  dependencies: {'met' if dependencies['passed'] else worst}")
    for line in dependency_lines(dependencies, nodes, depth=2):
        print_line(escape(line))


def dependency_lines(
    dependencies: Mapping[str, Any], nodes: Mapping[str, UpstreamNode], *, depth: int
) -> list[str]:
    """Each check's reason at ``depth`` (two spaces a level), its upstream's unmet ones below."""
    lines: list[str] = []
    for check in dependencies["checks"]:
        lines.append("  " * depth + check["reason"])
        node = nodes.get(check["label"])
        if node is None:
            continue
        if node.cut:
            lines.append("  " * (depth + 1) + f"{node.pipeline} {node.partition}: ({node.cut})")
            continue
        below = (node.explanation or {}).get("dependencies")
        if below is not None:
            unmet = [c for c in below["checks"] if c["status"] in ("WAITING", "FAILED", "BLOCKED")]
            lines.extend(
                dependency_lines({**below, "checks": unmet}, node.upstreams, depth=depth + 1)
            )
    return lines


@click.command()
@click.argument("pipeline")
@db_option
@json_option
def runs(pipeline: str, db: str | None, *, as_json: bool) -> None:
    """A pipeline's runs and their attempts (the job log)."""
    il = open_db(db)
    il.spec(pipeline)  # an unknown id is an error with a did-you-mean, not an empty table
    attempts = il.attempts(pipeline)
    if as_json:
        from interlock.schemas import AttemptOut, JobLogOut, RunOut, dumps  # noqa: PLC0415

        log = JobLogOut(
            runs=[RunOut.of(r) for r in il.runs(pipeline)],
            attempts=[AttemptOut.of(a) for a in attempts],
        )
        click.echo(dumps(log, indent=2))
        return
    table = Table("partition", "attempt", "reason", "state", "launched", "finished", "message")
    for a in attempts:
        add_plain_row(
            table,
            a.partition,
            str(a.attempt),
            a.reason,
            a.state,
            a.launched_at.isoformat(timespec="seconds") if a.launched_at else "",
            a.finished_at.isoformat(timespec="seconds") if a.finished_at else "",
            a.message or "",
        )
    print_table(table)


_SINCE_HELP = f"Inclusive. Accepts {TIME_FORMS}."
_UNTIL_HELP = "Exclusive; the same forms as --since."


@click.command()
@click.option("--type", "types", multiple=True, help="Only these event types (repeatable).")
@click.option("--pipeline", default=None, help="Only this pipeline's events.")
@click.option("--since", default=None, callback=time_option, help=_SINCE_HELP)
@click.option("--until", default=None, callback=time_option, help=_UNTIL_HELP)
@click.option(
    "--limit",
    default=1000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Show the newest N events.",
)
@db_option
@json_option
def events(
    types: tuple[str, ...],
    pipeline: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    db: str | None,
    *,
    as_json: bool,
) -> None:
    """The newest events (--limit), printed in time order: the newest is the last line.

    With more events than --limit, text output says on stderr how many were left out.
    ``--json`` prints a list of the same events, oldest first.
    """
    il = open_db(db)
    known = catalog_names(types, field="--type")
    if pipeline is not None:
        il.spec(pipeline)
    found = il.events(
        types=known, pipeline_id=pipeline, since=since, until=until, limit=limit, newest=True
    )
    if as_json:
        from interlock.schemas import EventOut, dumps  # noqa: PLC0415 - keeps CLI start fast

        click.echo(dumps([EventOut.of(e) for e in found], indent=2))
        return
    for e in found:
        colour = COLOURS[severity(e.type)]
        print_line(
            f"{e.at.isoformat(timespec='seconds')} [{colour}]{e.type:<26}[/] "
            + escape(f"{e.pipeline_id} {e.partition or ''} {e.message}")
        )
    if len(found) == limit:
        _note_the_rest(il, known, pipeline, since, until, shown=limit)


def _note_the_rest(
    il: Interlock,
    types: tuple[str, ...],
    pipeline: str | None,
    since: datetime | None,
    until: datetime | None,
    *,
    shown: int,
) -> None:
    """Say on stderr how many older events --limit left out (stdout stays the events)."""
    total = il.count_events(types=types, pipeline_id=pipeline, since=since, until=until)
    if total > shown:
        click.echo(f"{total - shown} more events; use --limit or --since", err=True)
