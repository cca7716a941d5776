"""Desired state on the virtual clock: what the store and the reconciler do, kept in memory.

A pipeline with ``partitions`` is kept done by the controller's reconciler, by the store's
completeness table (``partition_status``) and by its launch slots. ``interlock simulate``
must do the same with no store, so :class:`SimulatedDesired` holds the same facts for one
simulated pipeline and answers through the same pure pieces:

- completeness of a partition is ``complete`` on that partition's own readings
  (:func:`~interlock.decide.partitions.evaluate_complete`), re-checked when one of them
  arrives, as the store re-checks it in the reading's write;
- a pass plans with :func:`~interlock.decide.partitions.reconcile_facts` and
  :func:`~interlock.decide.partitions.plan_reconcile`, as the controller's does, at the
  start, when the range grows, when a dynamic list changes and when a failure may be
  retried;
- ``maxConcurrent`` counts the runs launching or running, and a run coming to rest wakes
  the queued ones by :func:`~interlock.decide.partitions.queued_to_wake`.

The simulation (:class:`~interlock.simulation.engine.Simulation`) applies what this plans:
it owns the runs; this only indexes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from interlock.decide.partitions import (
    BackfillOpen,
    PartitionFacts,
    dynamic_values,
    evaluate_complete,
    next_range_change,
    next_retry,
    plan_reconcile,
    queued_to_wake,
    reconcile_facts,
)
from interlock.errors import InputError
from interlock.model import Reading, ReadingSet, Run, RunState
from interlock.model.conditions import condition_keys
from interlock.model.desired import canonical_partition, desired_partitions
from interlock.model.specs import PipelineSpec

__all__ = [
    "SimulatedDesired",
    "check_declared_partition",
]

_ACTIVE = frozenset({RunState.LAUNCHING, RunState.RUNNING})
"""Runs holding a ``maxConcurrent`` slot (the store's ``count_active``)."""


@dataclass
class SimulatedDesired:
    """The desired-state facts of one simulated pipeline with ``partitions``."""

    spec: PipelineSpec
    complete: dict[str, bool] = field(default_factory=dict)
    """Partition → its ``complete`` holds (only partitions with a dated reading it reads)."""
    was_complete: set[str] = field(default_factory=set)
    active: set[str] = field(default_factory=set)
    queued: set[str] = field(default_factory=set)
    """WAITING runs with no next check: waiting for a slot, woken when one frees."""
    next_pass: datetime | None = None
    """When the next reconcile pass is due (the range grows, a failure may be retried)."""
    lists: dict[str, list[str]] = field(default_factory=dict)
    """The dynamic dimensions' values the last pass saw."""
    passes: int = 0
    """Reconcile passes so far."""

    def __post_init__(self) -> None:
        complete = self.spec.complete
        self.complete_keys = condition_keys(complete) if complete is not None else frozenset()
        partitions = self.spec.partitions
        self.list_keys = partitions.sensor_keys if partitions is not None else frozenset()

    def track(self, run: Run) -> None:
        """Keep the slot and queue indexes in step with ``run`` (called on every change)."""
        partition = run.partition
        if run.state in _ACTIVE:
            self.active.add(partition)
        else:
            self.active.discard(partition)
        if run.state is RunState.WAITING and run.next_check_at is None:
            self.queued.add(partition)
        else:
            self.queued.discard(partition)

    def free_slots(self) -> int:
        """``maxConcurrent`` minus the runs launching or running (what ``decide`` gates on)."""
        return self.spec.backfill.max_concurrent - len(self.active)

    def to_wake(self) -> list[str]:
        """A run came to rest: the queued runs to make due now, in backfill order."""
        return queued_to_wake(self.spec, self.queued)

    def record(self, key: str, partition: str, own: Mapping[str, Reading], now: datetime) -> bool:
        """A dated reading of ``key`` arrived: re-check ``partition``'s completeness.

        :param own: the partition's own readings, key → reading.
        :returns: True when the partition was complete and no longer is (its output went
            missing), the moment the store gives a run-less partition a run that heals it.
        """
        if key not in self.complete_keys:
            return False
        result = evaluate_complete(self.spec, own, partition, now)
        if result is None:
            return False
        held = self.complete.get(partition, False)
        self.complete[partition] = result.passed
        if result.passed:
            self.was_complete.add(partition)
        return held and not result.passed

    def lists_changed(self, key: str, undated: ReadingSet) -> bool:
        """Whether an undated reading of ``key`` changed a dynamic dimension's list."""
        return key in self.list_keys and dynamic_values(self.spec, undated) != self.lists

    def plan(
        self, runs: Mapping[str, Run], undated: ReadingSet, now: datetime
    ) -> list[BackfillOpen]:
        """One reconcile pass at ``now``: the partitions that need a run, in backfill order.

        Also sets :attr:`next_pass` (the range's next growth, or a failure's retry moment).
        """
        declared = self.spec.partitions
        if declared is None:
            return []
        self.passes += 1
        self.lists = dynamic_values(self.spec, undated)
        facts: dict[str, PartitionFacts] = {}
        for partition in desired_partitions(declared, now, self.lists):
            run = runs.get(partition)
            found = reconcile_facts(
                partition,
                complete=self.complete.get(partition, False),
                incomplete_once=partition in self.was_complete
                and not self.complete.get(partition, False),
                run_state=run.state if run is not None else None,
                run=run,
            )
            if found is not None:
                facts[partition] = found
        opens = plan_reconcile(self.spec, facts.keys(), facts, now)
        moments = [
            m
            for m in (next_range_change(self.spec, now), next_retry(self.spec, facts.values(), now))
            if m is not None
        ]
        self.next_pass = min(moments) if moments else None
        return opens


_PARTITION_FIELDS = ("partition", "rerun")
"""The fields of a timeline line that name a partition (a reading's, a job's, a rerun's)."""


def check_declared_partition(
    line: Mapping[str, Any], specs: Sequence[PipelineSpec], where: str
) -> Mapping[str, Any]:
    """A line's partition, for a pipeline with ``partitions``: its canonical form, or an error.

    The line's pipeline is the one it names, or the only one simulated; a reading for
    several pipelines at once is left as written (each may declare other partitions). The
    dimensions may come in any order and are given back in declaration order; a static
    dimension's value must be one of its values.

    :returns: the line, with its partition canonical.
    :raises InputError: naming ``where`` and the field, with an example of the declared form.
    """
    named = line.get("pipeline")
    target = [s for s in specs if s.id == named] if named is not None else list(specs)
    declared = target[0].partitions if len(target) == 1 else None
    if declared is None:
        return line
    checked = dict(line)
    for name in _PARTITION_FIELDS:
        value = line.get(name)
        if isinstance(value, str):
            try:
                checked[name] = canonical_partition(declared, value)
            except InputError as exc:
                message = str(exc).removeprefix("partition: ")
                raise InputError(message, field=f"{where}.{name}") from exc
    return checked
