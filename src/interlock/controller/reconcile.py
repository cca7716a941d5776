"""The reconciler: keep every desired partition done by giving the ones that are not a run.

For a pipeline with ``partitions``, the controller compares what is desired (the range at
``now`` crossed with the dimension values, :func:`~interlock.model.desired.desired_partitions`)
with what the store knows (which partitions are complete, which have runs and in which
state, :class:`~interlock.abc.PartitionRows`). The pure planner
(:func:`~interlock.decide.partitions.plan_reconcile`) says which partitions need work and why.
Then this module opens the runs: new ones with ``opened_by: backfill``, and a rerun request
for a partition whose run exists (one failed long enough ago, or one whose output went
missing). Each run then goes through ``decide()`` like any other: its own rules and
upstreams first, a launch only within ``backfill.maxConcurrent``.

When it runs: at start, when the range can have grown (the next day or hour, see
:func:`next_range_change`), when a pipeline's config changed, and when the reading a dynamic
dimension comes from changed. A reading that changes one partition's completeness never
needs a full pass: the store re-checks that partition in the write's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from interlock.abc import PartitionRows
from interlock.decide.partitions import (
    BackfillOpen,
    PartitionFacts,
    backfill_due,
    backfill_run,
    dynamic_values,
    next_range_change,
    next_retry,
    plan_reconcile,
    reconcile_facts,
)
from interlock.model import ReadingSet, RerunRequested, Run
from interlock.model.desired import desired_partitions
from interlock.model.specs import PipelineSpec

__all__ = ["ReconcileReport", "Reconciler", "dynamic_values", "next_range_change"]

log = logging.getLogger("interlock.controller")


class ReconcileStore(Protocol):
    """What the reconciler needs of the store."""

    def partition_rows(self, pipeline_id: str) -> PartitionRows:
        """Completeness and run states of one pipeline's partitions."""
        ...

    def load_readings(self, pipeline: PipelineSpec, partition: str) -> ReadingSet:
        """The readings a run of ``pipeline`` for ``partition`` may see."""
        ...

    def latest_reading_ref(self, keys: Iterable[str]) -> int | None:
        """The history id of the newest undated reading of any of ``keys``."""
        ...

    def ensure_runs(self, opens: Sequence[Any], now: datetime) -> None:
        """Create runs unless they exist."""
        ...

    def add_signal(self, pipeline_id: str, partition: str, signal: Any, now: datetime) -> None:
        """Queue a signal for a run and make it due now."""
        ...


@dataclass(frozen=True)
class ReconcileReport:
    """What one pass did for one pipeline (the serve log and the benchmarks print it)."""

    pipeline_id: str
    desired: int
    opened: tuple[BackfillOpen, ...]
    retry_at: datetime | None = None
    """When the next failed partition becomes eligible again (``retryFailedAfter``)."""


class Reconciler:
    """Runs the reconcile passes for a controller."""

    def __init__(self, store: ReconcileStore) -> None:
        self.store = store

    def reconcile(self, spec: PipelineSpec, now: datetime) -> ReconcileReport:
        """One pass over ``spec``'s desired partitions: open what is missing."""
        if spec.partitions is None:
            return ReconcileReport(spec.id, 0, ())
        dynamic = self.dynamic(spec)
        rows = self.store.partition_rows(spec.id)
        desired = 0
        facts: dict[str, PartitionFacts] = {}
        for partition in desired_partitions(spec.partitions, now, dynamic):
            desired += 1
            known = _facts(partition, rows)
            if known is not None:
                facts[partition] = known
        opens = plan_reconcile(spec, facts.keys(), facts, now)
        self.queue(spec, opens, now)
        if opens:
            log.info("%s: %d partition(s) queued of %d desired", spec.id, len(opens), desired)
        return ReconcileReport(
            spec.id, desired, tuple(opens), next_retry(spec, facts.values(), now)
        )

    def dynamic(self, spec: PipelineSpec) -> dict[str, list[str]]:
        """The current values of ``spec``'s dynamic dimensions (a query; none if static)."""
        if spec.partitions is None or not spec.partitions.sensor_keys:
            return {}
        return dynamic_values(spec, self.store.load_readings(spec, ""))

    def queue(self, spec: PipelineSpec, opens: Iterable[BackfillOpen], now: datetime) -> None:
        """Give each planned partition its run, in order; nothing is launched here.

        A partition with a run gets a rerun request with the planned reason (decide() applies
        its verdict); one without gets a PENDING run opened by ``backfill``, due in the
        planned order, so the launch slots (``backfill.maxConcurrent``) go to the first
        ones. ``interlock backfill`` queues through here too.
        """
        new: list[Run] = []
        opens = list(opens)
        for planned in opens:
            if planned.existing_run:
                rerun = RerunRequested(reason=planned.reason, at=now)
                self.store.add_signal(spec.id, planned.partition, rerun, now)
                continue
            new.append(backfill_run(spec, planned, now, backfill_due(spec, planned.partition, now)))
        if new:
            self.store.ensure_runs(new, now)


def _facts(partition: str, rows: PartitionRows) -> PartitionFacts | None:
    """The facts of one desired partition from the store's rows (the shared rule)."""
    return reconcile_facts(
        partition,
        complete=partition in rows.complete,
        incomplete_once=partition in rows.incomplete_once,
        run_state=rows.runs.get(partition),
        run=rows.timed.get(partition),
    )
