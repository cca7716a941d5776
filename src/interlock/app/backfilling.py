"""``backfill_plan`` and ``queue_backfill``: the facade's side of ``interlock backfill``.

The plan itself is pure (:mod:`interlock.app.backfill`); this part reads what it needs from
the store (the partitions report, each planned run and its readings) and queues through the
reconciler's own :meth:`~interlock.controller.reconcile.Reconciler.queue`, so a backfill's
runs are opened, ordered and limited to ``backfill.maxConcurrent`` exactly like the
reconciler's. A rerun of an existing run is first checked with the verdict the controller
applies (:func:`~interlock.decide.verdicts.rerun_verdict`): a partition it would reject is
listed as skipped with its words, not queued to be rejected later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from interlock.abc import Store
from interlock.app.backfill import (
    BackfillPlan,
    BackfillRequest,
    cascade,
    check_range,
    plan_backfill,
    refuse,
)
from interlock.app.partitions import parse_where, partitions_report
from interlock.controller.clock import Clock
from interlock.controller.reconcile import Reconciler
from interlock.decide.partitions import BackfillOpen
from interlock.decide.verdicts import rerun_verdict
from interlock.model.specs import PipelineSpec

__all__ = ["Backfills"]


class _Installation(Protocol):
    """What the backfill needs of the facade it is part of."""

    store: Store
    clock: Clock

    def spec(self, pipeline_id: str) -> PipelineSpec: ...

    def specs(self) -> Mapping[str, PipelineSpec]: ...


def _rejections(
    store: Store, spec: PipelineSpec, plan: BackfillPlan, now: datetime
) -> dict[str, str]:
    """Partition → why the controller would reject its rerun, for the planned reruns only."""
    rejections: dict[str, str] = {}
    for planned in plan.planned:
        run = store.get_run(spec.id, planned.partition) if planned.existing_run else None
        if run is None:
            continue
        view = store.load_readings(spec, planned.partition).view(planned.partition)
        verdict = rerun_verdict(spec, run, view, now, reason=planned.reason)
        if verdict.rejection is not None:
            rejections[planned.partition] = verdict.rejection
    return rejections


class Backfills:
    """``backfill_plan`` and ``queue_backfill`` (a part of :class:`~interlock.app.Interlock`)."""

    def backfill_plan(  # noqa: PLR0913 - the command's flags, by keyword
        self: _Installation,
        pipeline_id: str,
        *,
        first: date,
        last: date,
        where: Sequence[str] = (),
        include_done: bool = False,
        downstream: bool = True,
    ) -> BackfillPlan:
        """What ``interlock backfill`` would queue for ``first``..``last`` (nothing changes).

        :raises UnknownPipelineError: when the pipeline is not stored (with a did-you-mean).
        :raises InputError: no partitions, ``first`` after ``last``, dates outside the
            declared range, a bad ``where`` pair.
        """
        spec = self.spec(pipeline_id)
        now = self.clock.now()
        check_range(spec, first, last, now)
        request = BackfillRequest(
            first=first,
            last=last,
            where=parse_where(where, spec),
            include_done=include_done,
            downstream=downstream,
        )
        rows = self.store.partition_rows(spec.id)
        dynamic = Reconciler(self.store).dynamic(spec)
        report = partitions_report(
            spec, rows, rows.timed, now, dynamic=dynamic, where=request.where
        )
        plan = plan_backfill(spec, report.entries, request, rows.runs)
        return cascade(refuse(plan, _rejections(self.store, spec, plan, now)), self.specs())

    def queue_backfill(self: _Installation, plan: BackfillPlan) -> int:
        """Queue every planned partition (nothing launches here); how many were queued.

        The controller launches them in the plan's order as ``backfill.maxConcurrent``
        slots free up; each still passes its own rules and upstreams first.
        """
        spec = self.spec(plan.pipeline_id)
        opens = [BackfillOpen(p.partition, p.reason, p.existing_run) for p in plan.planned]
        Reconciler(self.store).queue(spec, opens, self.clock.now())
        return len(opens)
