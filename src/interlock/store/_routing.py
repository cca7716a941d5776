"""Which runs a write makes due: the write half of "one write wakes them all".

Pure given a routing table. Readings: sensor key → pipelines that read it
(:func:`plan_wakes`; trigger readings open runs). Dependencies: upstream pipeline → the
``dependsOn`` entries naming it (:func:`plan_dependency_wakes`; an upstream run coming to
rest wakes the downstream runs it may unblock, and opens them for a downstream with no
schedule of its own). Either plan is applied with a few set-based statements in the same
transaction as the write that caused it, so no wake-up is lost to a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from interlock.decide.plan import local_partition
from interlock.model.dependencies import (
    WILDCARD,
    Dependency,
    MappingKind,
    PartitionMapping,
    downstream_partitions,
)

__all__ = [
    "DependencyRoute",
    "DependencyWakePlan",
    "Route",
    "WakePlan",
    "plan_dependency_wakes",
    "plan_wakes",
]


@dataclass(frozen=True, kw_only=True)
class Route:
    """A pipeline that reads a sensor key; ``is_trigger`` when the key is in its trigger."""

    pipeline_id: str
    is_trigger: bool
    timezone: str


@dataclass(frozen=True, kw_only=True)
class WakePlan:
    """Runs to open (pipeline, partition) and runs to wake (pipeline, partition or None = all)."""

    open_runs: frozenset[tuple[str, str]]
    wake: frozenset[tuple[str, str | None]]


def plan_wakes(
    written: Iterable[tuple[str | None, str, str | None]],
    routes: Mapping[str, list[Route]],
    now: datetime,
) -> WakePlan:
    """Plan for readings given as ``(scope pipeline or None for shared, key, partition)``."""
    open_runs: set[tuple[str, str]] = set()
    wake: set[tuple[str, str | None]] = set()
    for scope, key, partition in written:
        for route in routes.get(key, ()):
            if scope is not None and route.pipeline_id != scope:
                continue
            wake.add((route.pipeline_id, partition))
            if route.is_trigger:
                target = partition or local_partition(route.timezone, now)
                open_runs.add((route.pipeline_id, target))
                wake.add((route.pipeline_id, target))  # the one PENDING run it may open
    return WakePlan(open_runs=frozenset(open_runs), wake=frozenset(wake))


@dataclass(frozen=True, kw_only=True)
class DependencyRoute:
    """One ``dependsOn`` entry seen from its upstream: a row of ``dependency_index``."""

    downstream_id: str
    label: str
    mapping: PartitionMapping
    timezone: str
    """The downstream's schedule zone (whose day ``{all: hour}`` covers)."""
    upstream_timezone: str
    """The upstream's schedule zone (whose wall clock its hourly partitions name)."""
    opens_runs: bool
    """The downstream has no cron and no trigger: its upstreams' final states open its runs."""
    downstream_dimensions: tuple[str, ...] | None = None
    """The downstream's declared dimensions in order (None: no ``partitions``, they pass)."""


@dataclass(frozen=True, kw_only=True)
class DependencyWakePlan:
    """Runs to open (pipeline, partition), runs to wake, pipelines whose open runs to wake."""

    open_runs: frozenset[tuple[str, str]] = frozenset()
    wake: frozenset[tuple[str, str]] = frozenset()
    """Dated: the downstream runs of the partitions the upstream one maps to."""
    wake_latest: frozenset[str] = frozenset()
    """Downstreams with a ``latest`` entry: any of their open runs may be waiting for it."""
    wake_matching: frozenset[tuple[str, str]] = frozenset()
    """(pipeline, pattern): its runs of every partition the pattern's ``*`` values fill in
    (a downstream dimension the upstream partition does not carry: every value of it)."""

    def __bool__(self) -> bool:
        return bool(self.open_runs or self.wake or self.wake_latest or self.wake_matching)


def _targets(route: DependencyRoute, upstream_partition: str) -> tuple[str, ...]:
    """The downstream partitions (or ``name=*`` patterns) one entry routes a final state to."""
    if route.mapping.kind is MappingKind.LATEST:  # its open runs are woken by pipeline
        return (upstream_partition,) if route.opens_runs else ()
    dependency = Dependency(pipeline="", partition=route.mapping)
    found = downstream_partitions(
        dependency,
        upstream_partition,
        timezone=route.timezone,
        upstream_timezone=route.upstream_timezone,
        downstream_dimensions=route.downstream_dimensions,
    )
    return found or ()


def plan_dependency_wakes(
    upstream_partition: str, routes: Iterable[DependencyRoute]
) -> DependencyWakePlan:
    """Plan for one upstream run of ``upstream_partition`` that came to rest.

    ``routes`` are the entries naming that upstream. The partitions come from
    :func:`~interlock.model.dependencies.downstream_partitions`, the inverse of the rule a
    downstream decision uses to find its upstream runs, so the two cannot disagree.
    """
    open_runs: set[tuple[str, str]] = set()
    wake: set[tuple[str, str]] = set()
    matching: set[tuple[str, str]] = set()
    latest: set[str] = set()
    for route in routes:
        if route.mapping.kind is MappingKind.LATEST:
            latest.add(route.downstream_id)
        for partition in _targets(route, upstream_partition):
            if f"={WILDCARD}" in partition:  # no run to open: its values are the downstream's
                matching.add((route.downstream_id, partition))
                continue
            wake.add((route.downstream_id, partition))
            if route.opens_runs:
                open_runs.add((route.downstream_id, partition))
    return DependencyWakePlan(
        open_runs=frozenset(open_runs),
        wake=frozenset(wake),
        wake_latest=frozenset(latest),
        wake_matching=frozenset(matching),
    )
