"""Helpers for the multi-pipeline simulation tests: specs with ``dependsOn``, times, events.

``dependsOn`` is added with :func:`dataclasses.replace` on a spec parsed from YAML without
it, so these tests exercise the simulation and the decide core, not the YAML loader.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from interlock.config import parse_pipeline
from interlock.model import Event, RunState
from interlock.model.dependencies import (
    Dependency,
    DependsOnSpec,
    MappingKind,
    PartitionMapping,
)
from interlock.model.specs import PipelineSpec

JOB = (
    "job: {type: command, config: {command: ['true']}, maxRetries: 0, maxCodeRetries: 0, "
    "jobPollWindowSeconds: 43200}"
)
"""A job that is never retried and whose poll window outlasts a simulated day."""

DAY = "2026-11-23"
"""A Monday."""


def at(clock: str, day: str = DAY) -> datetime:
    """``08:05`` on ``day``, in UTC."""
    return datetime.fromisoformat(f"{day}T{clock}:00+00:00")


def spec(
    pipeline_id: str,
    *,
    cron: str | None = None,
    timezone: str = "UTC",
    extra: str = "",
    job: bool = True,
) -> PipelineSpec:
    """A pipeline with a command job, opened by ``cron`` (or, without one, by its upstreams)."""
    lines = [f"pipeline: {{id: {pipeline_id}}}"]
    if cron is not None:
        lines.append(f"schedule: {{cron: '{cron}', timezone: {timezone}}}")
    elif timezone != "UTC":
        lines.append(f"schedule: {{timezone: {timezone}}}")
    if job:
        lines.append(JOB)
    return parse_pipeline("\n".join([*lines, extra]) + "\n", source=f"{pipeline_id}.yaml")


def dep(
    pipeline_id: str,
    *,
    statuses: Iterable[RunState] = (RunState.SUCCEEDED,),
    offset: timedelta | None = None,
    all_hours: bool = False,
    optional: bool = False,
) -> Dependency:
    """One ``dependsOn`` entry."""
    if offset is not None:
        mapping = PartitionMapping(kind=MappingKind.OFFSET, offset=offset)
    elif all_hours:
        mapping = PartitionMapping(kind=MappingKind.ALL)
    else:
        mapping = PartitionMapping()
    return Dependency(
        pipeline=pipeline_id, statuses=frozenset(statuses), partition=mapping, optional=optional
    )


def depending(
    base: PipelineSpec,
    all_of: Sequence[Dependency | str] = (),
    any_of: Sequence[Dependency | str] = (),
) -> PipelineSpec:
    """``base`` with ``dependsOn`` (a string is a plain dependency on that id)."""

    def entry(item: Dependency | str) -> Dependency:
        return dep(item) if isinstance(item, str) else item

    return replace(
        base,
        depends_on=DependsOnSpec(
            all_of=tuple(entry(d) for d in all_of), any_of=tuple(entry(d) for d in any_of)
        ),
    )


def of(events: Iterable[Event], pipeline: str, kind: str | None = None) -> list[Event]:
    """The events of ``pipeline`` (of type ``kind``), in order."""
    return [e for e in events if e.pipeline_id == pipeline and (kind is None or e.type == kind)]


def launches(events: Iterable[Event], pipeline: str) -> list[Event]:
    """``pipeline``'s launches (JOB_TRIGGERED), in order."""
    return of(events, pipeline, "JOB_TRIGGERED")
