"""``interlock partitions``: counts by state, a heat-map of date by dimension, who works on what.

The heat-map has one line per date and one column per dimension value (the combinations,
for several dimensions) when they fit in the terminal; otherwise each date line says how many
of its partitions are in each state. Below it, the partitions that are not done are listed
with the run working on them and what that run waits for: "what is missing and who is working
on it", in one screen. ``--json`` prints :class:`interlock.schemas.PartitionsOut`.
"""

from __future__ import annotations

import shutil
from collections import Counter, defaultdict
from collections.abc import Sequence

import click
from rich.markup import escape

from interlock.app import Interlock
from interlock.app.partitions import PartitionEntry, PartitionsReport
from interlock.cli._common import db_option, fail, json_option, open_db, print_line
from interlock.errors import InterlockError
from interlock.model.desired import PartitionState

__all__ = ["CELLS", "heat_map", "partitions"]

CELLS = {
    PartitionState.DONE: "#",
    PartitionState.MISSING: ".",
    PartitionState.WAITING: "w",
    PartitionState.RUNNING: "r",
    PartitionState.FAILED: "x",
    PartitionState.STALE: "s",
}
"""One character per state in the heat-map (plain ASCII: it survives any terminal and log)."""

_STATES = [s.value for s in PartitionState]


@click.command()
@click.argument("pipeline")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(_STATES, case_sensitive=False),
    help="Only partitions in this state (repeat for several).",
)
@click.option(
    "--where", multiple=True, metavar="NAME=VALUE", help="Only this dimension value (repeatable)."
)
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many partitions to list (0: all of them).",
)
@db_option
@json_option
def partitions(
    pipeline: str,
    states: tuple[str, ...],
    where: tuple[str, ...],
    limit: int,
    db: str | None,
    *,
    as_json: bool,
) -> None:
    """What PIPELINE's desired partitions do: done, missing, waiting, running, failed, stale."""
    il = open_db(db)
    try:
        wanted = [PartitionState(s.lower()) for s in states]
        report = il.partitions(pipeline, states=wanted, where=where)
    except InterlockError as exc:
        fail(exc)
    listed = [e for e in report.entries if e.state is not PartitionState.DONE or wanted]
    shown = listed if limit == 0 else listed[:limit]
    if as_json:
        _print_json(il, report, shown, truncated=len(shown) < len(listed))
        return
    for line in summary_lines(report):
        print_line(escape(line))
    for line in heat_map(report, width=shutil.get_terminal_size((100, 24)).columns):
        click.echo(line)
    for entry in shown:
        print_line(escape(_entry_line(il, report.pipeline_id, entry)))
    if len(shown) < len(listed):
        click.echo(f"… {len(listed) - len(shown)} more (--limit 0 lists them all)")


def summary_lines(report: PartitionsReport) -> list[str]:
    """The header: how many partitions, and how many in each state."""
    dims = f" by {', '.join(report.dimensions)}" if report.dimensions else ""
    counts = " · ".join(f"{s.value} {report.counts.get(s, 0):,}" for s in PartitionState)
    return [f"{report.pipeline_id}: {report.total:,} partitions (date{dims})", f"  {counts}"]


def heat_map(report: PartitionsReport, *, width: int = 100) -> list[str]:
    """One line per date: a cell per dimension value, or the counts when they do not fit."""
    by_date: dict[str, list[PartitionEntry]] = defaultdict(list)
    for entry in report.entries:
        by_date[entry.partition.split("|", 1)[0]].append(entry)
    if not by_date:
        return []
    columns = sorted({_suffix(e.partition) for e in report.entries})
    label = max(len(d) for d in by_date)
    lines = [""]
    if report.dimensions and label + 2 + 2 * len(columns) <= width:
        lines.append(" " * (label + 2) + " ".join(_initial(c) for c in columns))
        for day, entries in by_date.items():
            cells = {_suffix(e.partition): CELLS[e.state] for e in entries}
            lines.append(f"{day}  " + " ".join(cells.get(c, " ") for c in columns))
    else:
        for day, entries in by_date.items():
            counts = Counter(e.state for e in entries)
            row = " ".join(f"{CELLS[s]}{counts[s]}" for s in PartitionState if counts[s])
            bar = "".join(CELLS[e.state] for e in entries) if len(entries) <= width // 2 else ""
            lines.append(f"{day}  {bar}  {row}".rstrip())
    lines.append("  ".join(f"{cell} {state.value}" for state, cell in CELLS.items()))
    lines.append("")
    return lines


def _suffix(partition: str) -> str:
    return partition.split("|", 1)[1] if "|" in partition else ""


def _initial(column: str) -> str:
    """A column's one-character heading: the first letter of its (last) dimension value."""
    value = column.rsplit("=", 1)[-1]
    return value[:1] or " "


def _entry_line(il: Interlock, pipeline_id: str, entry: PartitionEntry) -> str:
    run = il.store.get_run(pipeline_id, entry.partition)
    if run is None:
        return f"{entry.state.value:8} {entry.partition}  no run yet"
    why = _why(il, pipeline_id, entry.partition)
    reason = f" ({run.attempt_reason})" if run.attempt_reason else ""
    return f"{entry.state.value:8} {entry.partition}  run {run.state.value}{reason}: {why}"


def _why(il: Interlock, pipeline_id: str, partition: str) -> str:
    stored = il.store.run_explanation(pipeline_id, partition) or {}
    return str(stored.get("waitingFor") or stored.get("summary") or "")


def _print_json(
    il: Interlock, report: PartitionsReport, shown: Sequence[PartitionEntry], *, truncated: bool
) -> None:
    from interlock.schemas import PartitionOut, PartitionRunOut, PartitionsOut, dumps  # noqa: PLC0415

    items = []
    for entry in shown:
        run = il.store.get_run(report.pipeline_id, entry.partition)
        run_out = (
            PartitionRunOut.of(run, _why(il, report.pipeline_id, entry.partition))
            if run is not None
            else None
        )
        items.append(PartitionOut(partition=entry.partition, state=entry.state.value, run=run_out))
    out = PartitionsOut(
        pipeline=report.pipeline_id,
        dimensions=list(report.dimensions),
        total=report.total,
        counts={s.value: report.counts.get(s, 0) for s in PartitionState},
        partitions=items,
        truncated=truncated,
    )
    click.echo(dumps(out, indent=2))
