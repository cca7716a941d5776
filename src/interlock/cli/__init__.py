"""The ``interlock`` command line: a thin click group over the library.

Each command parses its arguments, calls one library function and renders the result; no
behaviour lives here. Problems go to stderr as ``file:line: field: message (fix)``, the
format editors and CI annotators understand, and the exit code says whether there were any.
``--json`` gives the same information to scripts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from interlock.checkers.project import check_project_checkers
from interlock.config import PipelineSpec, check_dependency_graph, load_pipelines
from interlock.errors import ConfigError, ConfigProblem, InterlockError
from interlock.model.checkers import SensorCheckSpec
from interlock.model.conditions import AnyOf, Condition, Rule
from interlock.model.desired import PartitionsSpec
from interlock.model.durations import format_duration

__all__ = ["checkers_summary", "main", "summary"]


class _Main(click.Group):
    """The ``interlock`` group: an Interlock error no command caught is still one line.

    Commands catch the errors they expect; a database that is down or locked
    (:class:`~interlock.errors.StoreError`) can surface from any of them, and a user should
    see ``error: database ...`` and a non-zero exit, never a traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InterlockError as exc:
            fail(exc)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="interlock")
def main() -> None:
    """Interlock: launch a pipeline's job only when its safety conditions hold."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of text.")
def validate(paths: tuple[Path, ...], *, as_json: bool) -> None:
    """Check pipeline files or directories (with their calendars/) and report every problem.

    A directory's dependsOn graph is checked as a whole; several paths are checked as one
    graph (a single file is not: its upstreams are elsewhere). Exits 0 when every pipeline
    is valid, 1 otherwise.
    """
    pipelines: list[PipelineSpec] = []
    problems: list[ConfigProblem] = []
    for path in paths:
        try:
            loaded = load_pipelines(path, check_graph=len(paths) == 1)
            check_project_checkers(path, loaded)
            pipelines.extend(loaded)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if len(paths) > 1:
        problems.extend(check_dependency_graph(pipelines, complete=not problems))
    if not problems and not pipelines:
        problems.append(
            ConfigProblem(
                file=", ".join(str(p) for p in paths),
                line=None,
                field="",
                message="no pipeline files found",
                fix="pass *.yaml files or a directory that holds them",
            )
        )
    if as_json:
        _print_json(pipelines, problems)
    else:
        _print_text(pipelines, problems)
    if problems:
        raise SystemExit(1)


def _print_text(pipelines: list[PipelineSpec], problems: list[ConfigProblem]) -> None:
    """One ``ok`` line per pipeline, or every problem on stderr and a count."""
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        count = len(problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found", err=True)
        return
    width = max(len(spec.id) for spec in pipelines)
    for spec in pipelines:
        click.echo(f"{click.style('ok', fg='green')}  {spec.id:<{width}}  {summary(spec)}")


def _print_json(pipelines: list[PipelineSpec], problems: list[ConfigProblem]) -> None:
    """Problems (``file``, ``line``, ``field``, ``message``, ``fix``), or the pipelines."""
    from interlock.schemas import PipelineOut, ProblemOut, dumps  # noqa: PLC0415 - fast start

    if problems:
        items = [
            ProblemOut(file=p.file, line=p.line, field=p.field, message=p.message, fix=p.fix)
            for p in problems
        ]
        click.echo(dumps(items, indent=2, ensure_ascii=False))
        return
    shown = [
        PipelineOut(
            id=spec.id, source=spec.source, config_hash=spec.config_hash, summary=summary(spec)
        )
        for spec in pipelines
    ]
    click.echo(dumps(shown, indent=2, ensure_ascii=False))


def summary(spec: PipelineSpec) -> str:
    """``cron "0 8 * * *" UTC · trigger upstream-complete · 3 rules (ALL) · job command``."""
    schedule = spec.schedule
    parts: list[str] = []
    if schedule.cron:
        parts.append(f'cron "{schedule.cron}" {schedule.timezone}')
    elif schedule.include_dates:
        parts.append(f"{len(schedule.include_dates)} dates {schedule.timezone}")
    if schedule.trigger is not None:
        parts.append("trigger " + ", ".join(sorted(schedule.trigger.keys)))
    if spec.depends_on is not None:
        parts.append("after " + ", ".join(dep.label for dep in spec.depends_on.dependencies))
    if spec.partitions is not None:
        parts.append(_partitions_summary(spec.partitions))
    if spec.complete is not None:
        parts.append(f"complete {_rules_summary(spec.complete)}")
    parts.append(_rules_summary(spec.validation))
    parts.append(f"job {spec.job.type}" if spec.job is not None else "no job")
    parts.extend(_sla_parts(spec))
    if spec.sensors:
        parts.append(checkers_summary(spec.sensors))
    if spec.dry_run:
        parts.append("dry run")
    return " · ".join(parts)


def _sla_parts(spec: PipelineSpec) -> list[str]:
    """``sla 10:00`` and ``sla max 4h``, for the SLAs the pipeline has."""
    parts: list[str] = []
    if spec.sla is not None and spec.sla.deadline:
        parts.append(f"sla {spec.sla.deadline}")
    if spec.sla is not None and spec.sla.max_duration is not None:
        parts.append(f"sla max {_short(spec.sla.max_duration)}")
    return parts


def checkers_summary(checks: Sequence[SensorCheckSpec]) -> str:
    """``checks output every 5m (sql), raw-landed every 2m (path)``: key, pace and kind."""
    return "checks " + ", ".join(f"{c.key} every {_short(c.every)} ({c.kind})" for c in checks)


def _rules_summary(condition: Condition) -> str:
    """``3 rules (ALL)``: how many leaf rules, and how the top level combines them."""
    count = _rule_count(condition)
    mode = "ANY" if isinstance(condition, AnyOf) else "ALL"
    return f"{count} rule{'s' if count != 1 else ''} ({mode})"


_TIMES = "\u00d7"
"""The multiplication sign between the time axis and each dimension: one per combination."""


def _partitions_summary(partitions: PartitionsSpec) -> str:
    """``partitions daily 2026-01-01..today`` then, per dimension, ``\u00d7 campaign(3)``.

    The zone and the lag are shown when they are not UTC and zero; a dynamic dimension
    shows where its values come from, as its size is not known before the reading.
    """
    axis = partitions.time
    if axis.start is not None:
        start = axis.start.isoformat()
    else:
        start = f"-{(axis.start_ago or timedelta(0)).days}d"
    end = axis.end.isoformat() if axis.end is not None else "today"
    text = f"partitions {axis.granularity.value} {start}..{end}"
    if axis.timezone != "UTC":
        text += f" {axis.timezone}"
    if axis.lag:
        whole_days = not axis.lag % timedelta(days=1)
        text += f" lag {axis.lag.days}d" if whole_days else f" lag {_short(axis.lag)}"
    for dimension in partitions.dimensions:
        size = f"{dimension.sensor}.{dimension.field}" if dimension.is_dynamic else None
        text += f" {_TIMES} {dimension.name}({size or len(dimension.values)})"
    return text


def _rule_count(condition: Condition) -> int:
    """The number of leaf rules in a condition tree."""
    if isinstance(condition, Rule):
        return 1
    return sum(_rule_count(child) for child in condition.children)


def _short(delta: timedelta) -> str:
    """``4h``, ``1h30m``, ``45s``: Go's rendering without trailing zero units."""
    return re.sub(r"(?<=h)0m$", "", re.sub(r"(?<=[hm])0s$", "", format_duration(delta)))


# The commands live in one module per group: read (status, explain, runs, events), serve
# (apply, serve), signals (rerun, cancel, job report), sensor, project (simulate, demo,
# init), db (the schema), graph (dependsOn), partitions, backfill and manage (pipelines,
# logs, pause, resume); _common holds what they share.
from interlock.cli import manage, project, serve, signals  # noqa: E402
from interlock.cli._common import fail  # noqa: E402
from interlock.cli.backfill import backfill  # noqa: E402
from interlock.cli.checkers import sensor_check, sensors  # noqa: E402
from interlock.cli.db import db  # noqa: E402
from interlock.cli.graph import graph  # noqa: E402
from interlock.cli.partitions import partitions  # noqa: E402
from interlock.cli.read import register as register_read  # noqa: E402
from interlock.cli.sensor import sensor  # noqa: E402

for _command in (
    serve.apply,
    serve.serve,
    signals.rerun,
    signals.cancel,
    signals.job,
    sensor,
    sensors,
    project.simulate,
    project.demo,
    project.init,
    db,
    graph,
    partitions,
    backfill,
    manage.pipelines,
    manage.logs,
    manage.pause,
    manage.resume,
):
    main.add_command(_command)
register_read(main)
sensor.add_command(sensor_check)
