"""The controller's side of desired state: when to reconcile, and launch slots per round.

:class:`DesiredState` decides when a pipeline with ``partitions`` needs a reconcile pass
(:mod:`interlock.controller.reconcile`): at start, when its config changed, when the range
grew by itself (the next day or hour), and when the list a dynamic dimension reads changed.
Between those moments it costs nothing but a comparison per partitioned pipeline and round.

:class:`Slots` keeps ``backfill.maxConcurrent`` within a round: the pipeline's active runs
are counted once per round and each launch decided in the round takes a slot, so two runs
decided in the same batch cannot both take the last one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

from interlock.controller.reconcile import (
    Reconciler,
    ReconcileReport,
    ReconcileStore,
    next_range_change,
)
from interlock.model.specs import PipelineSpec

__all__ = ["DIMENSION_RECHECK_SECONDS", "DesiredState", "Slots"]

DIMENSION_RECHECK_SECONDS = 1.0
"""How often the lists behind dynamic dimensions are read for a change (a new value there is
a new partition to backfill)."""


class DesiredState:
    """When each partitioned pipeline is reconciled; the passes themselves."""

    def __init__(self, store: ReconcileStore) -> None:
        self.reconciler = Reconciler(store)
        self._specs: Mapping[str, PipelineSpec] | None = None
        self._partitioned: list[PipelineSpec] = []
        self._reconciled: dict[str, str] = {}
        """Pipeline id → the config hash its last pass saw."""
        self._next: dict[str, datetime | None] = {}
        self._dimensions: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        self._dimensions_checked: datetime | None = None
        self._lists_seen: int | None = None
        """The newest reading of any dynamic dimension's list, at the last check."""

    def tick(self, specs: Mapping[str, PipelineSpec], now: datetime) -> list[ReconcileReport]:
        """Reconcile every partitioned pipeline that is due for a pass at ``now``."""
        if specs is not self._specs:
            self._specs = specs
            self._partitioned = [s for s in specs.values() if s.partitions is not None]
        if not self._partitioned:
            return []
        check_lists = self._lists_may_have_changed(now)
        return [
            self._pass(spec, now)
            for spec in self._partitioned
            if self._due(spec, now, check_lists=check_lists)
        ]

    def _lists_may_have_changed(self, now: datetime) -> bool:
        """Whether a list behind a dynamic dimension got a reading (checked once a second)."""
        last = self._dimensions_checked
        if last is not None and now - last < timedelta(seconds=DIMENSION_RECHECK_SECONDS):
            return False
        self._dimensions_checked = now
        keys = {k for s in self._partitioned if s.partitions for k in s.partitions.sensor_keys}
        if not keys:
            return False
        latest = self.reconciler.store.latest_reading_ref(keys)
        changed = latest != self._lists_seen
        self._lists_seen = latest
        return changed

    def next_at(self) -> datetime | None:
        """The earliest moment a range grows by itself (the loop sleeps no longer)."""
        moments = [m for m in self._next.values() if m is not None]
        return min(moments) if moments else None

    def _due(self, spec: PipelineSpec, now: datetime, *, check_lists: bool) -> bool:
        if self._reconciled.get(spec.id) != spec.config_hash:
            return True
        grows_at = self._next.get(spec.id)
        if grows_at is not None and now >= grows_at:
            return True
        if check_lists and spec.partitions is not None and spec.partitions.sensor_keys:
            return self._fingerprint(spec) != self._dimensions.get(spec.id)
        return False

    def _fingerprint(self, spec: PipelineSpec) -> tuple[tuple[str, tuple[str, ...]], ...]:
        values = self.reconciler.dynamic(spec)
        return tuple(sorted((name, tuple(v)) for name, v in values.items()))

    def _pass(self, spec: PipelineSpec, now: datetime) -> ReconcileReport:
        report = self.reconciler.reconcile(spec, now)
        self._reconciled[spec.id] = spec.config_hash
        grows = next_range_change(spec, now)
        moments = [m for m in (grows, report.retry_at) if m is not None]
        self._next[spec.id] = min(moments) if moments else None
        if spec.partitions is not None and spec.partitions.sensor_keys:
            self._dimensions[spec.id] = self._fingerprint(spec)
        return report


class SlotStore(ReconcileStore, Protocol):
    """The store as :class:`Slots` needs it."""

    def count_active(self, pipeline_id: str) -> int:
        """The pipeline's runs launching or running."""


class Slots:
    """``backfill.maxConcurrent`` within one round (see the module docstring)."""

    def __init__(self, store: SlotStore) -> None:
        self._store = store
        self._taken: dict[str, int] = {}

    def new_round(self) -> None:
        """Forget the counts: the next round counts the active runs afresh."""
        self._taken.clear()

    def free(self, spec: PipelineSpec) -> int | None:
        """Slots left for ``spec`` in this round; None for a pipeline without partitions."""
        if spec.partitions is None:
            return None
        if spec.id not in self._taken:
            self._taken[spec.id] = self._store.count_active(spec.id)
        return spec.backfill.max_concurrent - self._taken[spec.id]

    def take(self, spec: PipelineSpec, launches: int) -> None:
        """A decision of ``spec`` launches ``launches`` jobs: they hold slots from now on."""
        if spec.id in self._taken:
            self._taken[spec.id] += launches
