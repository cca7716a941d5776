"""``interlock backfill``, planned: which partitions of a date range get a run, and what cascades.

Pure over what the partitions report already knows (:class:`PartitionEntry`: each desired
partition with the state :func:`~interlock.decide.partitions.partition_state` gives it), so
``backfill`` and ``partitions`` never disagree about a partition's state. By default only
``missing``, ``failed`` and ``stale`` partitions are planned; ``done`` ones with
``--include-done``; ``waiting`` and ``running`` ones never (a run is working on them).

The downstream partitions listed are those the planned ones feed, through every pipeline
whose ``dependsOn`` names the backfilled one, recursively (the inverse mapping the
controller's own wake-ups use, :func:`~interlock.model.dependencies.downstream_partitions`).
They rerun by themselves when the upstream succeeds again (``onUpstreamRerun: rerun``);
``--no-downstream`` queues with a reason the cascade honours, so they do not, and none are
listed. (A downstream run still *waiting* for a partition never produced runs when it
arrives: that is its first run, not a rerun.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from interlock.app.graph import DependencyGraph, dependency_graph
from interlock.app.partitions import PartitionEntry
from interlock.decide.partitions import BACKFILL, BACKFILL_NO_DOWNSTREAM, MANUAL_BACKFILL
from interlock.errors import InputError
from interlock.model import RunState
from interlock.model.dependencies import downstream_partitions
from interlock.model.desired import BackfillOrder, PartitionState, date_range
from interlock.model.specs import PipelineSpec

__all__ = [
    "BackfillPlan",
    "BackfillRequest",
    "DownstreamPartition",
    "PlannedPartition",
    "SkippedPartition",
    "cascade",
    "check_range",
    "plan_backfill",
    "refuse",
]

_PLANNED_BY_DEFAULT = frozenset(
    {PartitionState.MISSING, PartitionState.FAILED, PartitionState.STALE}
)
_WHY_SKIPPED = {
    PartitionState.DONE: "done (--include-done reruns it)",
    PartitionState.WAITING: "a run is open for it, waiting for its rules, upstreams or a slot",
    PartitionState.RUNNING: "its job is running",
}


@dataclass(frozen=True, kw_only=True)
class BackfillRequest:
    """What ``interlock backfill`` was asked: the dates (inclusive) and its flags."""

    first: date
    last: date
    where: Mapping[str, str] = field(default_factory=dict)
    include_done: bool = False
    downstream: bool = True
    """False for ``--no-downstream``: the downstream runs are not rerun."""


@dataclass(frozen=True)
class PlannedPartition:
    """A partition that gets a run: a rerun request of its run, or a new run."""

    partition: str
    state: PartitionState
    reason: str
    """The attempt's reason: ``backfill`` (a new run), ``manual-backfill`` or
    ``backfill-no-downstream`` (a rerun, or a done partition redone)."""
    existing_run: bool


@dataclass(frozen=True)
class SkippedPartition:
    """A partition of the range left alone, and why."""

    partition: str
    state: PartitionState
    why: str


@dataclass(frozen=True)
class DownstreamPartition:
    """A partition of a downstream pipeline fed by a planned one."""

    pipeline_id: str
    partition: str


@dataclass(frozen=True, kw_only=True)
class BackfillPlan:
    """The plan ``interlock backfill`` prints, and queues once confirmed."""

    pipeline_id: str
    request: BackfillRequest
    planned: tuple[PlannedPartition, ...] = ()
    """In ``backfill.order``: the order the runs are due, so the slots go to the first."""
    skipped: tuple[SkippedPartition, ...] = ()
    downstream: tuple[DownstreamPartition, ...] = ()


def check_range(spec: PipelineSpec, first: date, last: date, now: datetime) -> None:
    """Refuse a pipeline without partitions, ``--from`` after ``--to``, dates out of range.

    :raises InputError: one line naming the flag and the declared range.
    """
    if spec.partitions is None:
        raise InputError(f"{spec.id} declares no partitions to backfill", field="pipeline")
    if first > last:
        raise InputError(f"{first} is after --to {last}", field="--from")
    bounds = date_range(spec.partitions.time, now)
    if bounds is None:
        raise InputError(f"{spec.id} desires no partitions yet", field="--from")
    start, end = bounds
    for flag, day in (("from", first), ("to", last)):
        if not start <= day <= end:
            msg = f"{day} is outside {spec.id}'s partitions ({start} to {end})"
            raise InputError(msg, field=f"--{flag}")


def plan_backfill(
    spec: PipelineSpec,
    entries: Iterable[PartitionEntry],
    request: BackfillRequest,
    runs: Mapping[str, RunState],
) -> BackfillPlan:
    """The partitions of ``entries`` in the request's dates, planned or skipped.

    ``entries`` come from the partitions report (already filtered by ``--where``); ``runs``
    is the state of every run of the pipeline by partition (which ones exist).
    """
    first, last = request.first.isoformat(), request.last.isoformat()
    planned: list[PlannedPartition] = []
    skipped: list[SkippedPartition] = []
    for entry in entries:
        if not first <= entry.partition[:10] <= last:
            continue
        if entry.state in _PLANNED_BY_DEFAULT or (
            request.include_done and entry.state is PartitionState.DONE
        ):
            planned.append(_planned(entry, request, has_run=entry.partition in runs))
        else:
            skipped.append(
                SkippedPartition(entry.partition, entry.state, _WHY_SKIPPED[entry.state])
            )
    return BackfillPlan(
        pipeline_id=spec.id,
        request=request,
        planned=tuple(_in_order(spec, planned)),
        skipped=tuple(skipped),
    )


def _planned(entry: PartitionEntry, request: BackfillRequest, *, has_run: bool) -> PlannedPartition:
    """A rerun request for a partition with a run; else a new run.

    A new run's reason is the reconciler's ``backfill``, unless the partition is done (loaded
    by hand, redone with ``--include-done``): its reason then says to rebuild it.
    """
    asked = MANUAL_BACKFILL if request.downstream else BACKFILL_NO_DOWNSTREAM
    if has_run or entry.state is PartitionState.DONE:
        return PlannedPartition(entry.partition, entry.state, asked, has_run)
    return PlannedPartition(entry.partition, entry.state, BACKFILL, existing_run=False)


def _in_order(spec: PipelineSpec, planned: list[PlannedPartition]) -> list[PlannedPartition]:
    """``backfill.order``: newest date first keeps each date's partitions in their order."""
    ordered = sorted(planned, key=lambda p: p.partition)
    if spec.backfill.order is BackfillOrder.NEWEST_FIRST:
        ordered.sort(key=lambda p: p.partition.split("|", 1)[0], reverse=True)  # stable
    return ordered


def refuse(plan: BackfillPlan, rejections: Mapping[str, str]) -> BackfillPlan:
    """Move the planned partitions whose rerun the controller would reject to ``skipped``.

    :param rejections: partition → the verdict's words (``backfill rerun limit exceeded``).
    """
    kept = tuple(p for p in plan.planned if p.partition not in rejections)
    refused = tuple(
        SkippedPartition(p.partition, p.state, f"rerun refused: {rejections[p.partition]}")
        for p in plan.planned
        if p.partition in rejections
    )
    skipped = tuple(sorted((*plan.skipped, *refused), key=lambda s: s.partition))
    return replace(plan, planned=kept, skipped=skipped)


def cascade(plan: BackfillPlan, specs: Mapping[str, PipelineSpec]) -> BackfillPlan:
    """``plan`` with the downstream partitions its planned ones feed, recursively, once each.

    None with ``--no-downstream``: nothing will cascade.
    """
    if not plan.request.downstream:
        return plan
    graph = dependency_graph(specs)
    seen: dict[tuple[str, str], None] = {}
    todo = deque((plan.pipeline_id, p.partition) for p in plan.planned)
    while todo:
        upstream_id, partition = todo.popleft()
        for target in _fed_by(graph, specs, upstream_id, partition):
            if target not in seen and target[0] != plan.pipeline_id:
                seen[target] = None
                todo.append(target)
    found = [DownstreamPartition(pipeline, part) for pipeline, part in seen]
    return replace(plan, downstream=tuple(found))


def _fed_by(
    graph: DependencyGraph, specs: Mapping[str, PipelineSpec], upstream_id: str, partition: str
) -> Sequence[tuple[str, str]]:
    """The ``(pipeline, partition)`` pairs one upstream partition feeds directly.

    A ``latest`` dependency names no partition (any open run may wait for it): none listed.
    """
    upstream = specs.get(upstream_id)
    found: list[tuple[str, str]] = []
    for edge in graph.downstream_of(upstream_id):
        spec = specs.get(edge.downstream)
        if spec is None or spec.depends_on is None or upstream is None:
            continue
        for dependency in spec.depends_on.dependencies:
            if dependency.pipeline != upstream_id or dependency.label != edge.label:
                continue
            parts = downstream_partitions(
                dependency,
                partition,
                timezone=spec.schedule.timezone,
                upstream_timezone=upstream.schedule.timezone,
            )
            found.extend((spec.id, part) for part in parts or ())
    return found
