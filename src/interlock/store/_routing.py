"""Which runs a batch of readings makes due: the write half of "one write wakes them all".

Pure given the routing table (sensor key → pipelines that read it): computes the run keys
to create (trigger readings open runs) and the wake targets, so ``put_readings`` can apply
them with a few set-based statements in the same transaction as the readings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from interlock.decide.plan import local_partition

__all__ = ["Route", "WakePlan", "plan_wakes"]


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
