"""An in-memory Interlock on a virtual clock: the same ``decide()``, no store, no sleeping.

:class:`Simulation` holds one pipeline's runs and readings in memory and replays inputs in
time order, firing every timer in between exactly when it is due. It powers
``interlock simulate`` (what-if analysis and offline shadow mode), :mod:`interlock.testing`
and the scenario tests, so all three exercise the code path the controller runs.

The simulated job backend accepts every launch at once; job outcomes are inputs
(:meth:`Simulation.job_outcome`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from interlock.decide import decide, planned_runs, trigger_partition
from interlock.decide.wake import woken_by_reading
from interlock.model import (
    CancelRequested,
    Decision,
    Event,
    JobReported,
    LaunchJob,
    LaunchRecorded,
    OpenRun,
    Reading,
    ReadingSet,
    RerunRequested,
    Run,
    RunState,
    Signal,
)
from interlock.partitions import partition_from_fields, split_key
from interlock.specs import PipelineSpec

__all__ = ["Simulation"]


@dataclass
class Simulation:
    """One pipeline on a virtual clock starting at ``start``."""

    pipeline: PipelineSpec
    start: datetime
    runs: dict[str, Run] = field(default_factory=dict)
    readings: dict[tuple[str, str | None], Reading] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.now = self.start
        for planned in planned_runs(self.pipeline, self.start):
            self._open(planned)
        self.advance_to(self.start)

    # Inputs -----------------------------------------------------------------------------

    def put_reading(
        self, key: str, data: Mapping[str, Any], *, at: datetime, partition: str | None = None
    ) -> None:
        """A sensor reports ``data`` under ``key`` at ``at``; affected runs are decided."""
        self.advance_to(at)
        base, from_key = split_key(key)
        part = partition or from_key or partition_from_fields(data)
        reading = Reading(
            key=base, data=dict(data), updated_at=at, partition=part, pipeline_id=self.pipeline.id
        )
        self.readings[(base, part)] = reading
        trigger = self.pipeline.schedule.trigger
        if trigger is not None and base in trigger.keys:
            target = trigger_partition(self.pipeline, reading, at)
            if target not in self.runs:
                self.runs[target] = Run(
                    pipeline_id=self.pipeline.id,
                    partition=target,
                    created_at=at,
                    opened_by="trigger",
                )
        for run in list(self.runs.values()):
            if woken_by_reading(self.pipeline, run, key=base, partition=part, now=at):
                self._decide(run.partition)

    def job_outcome(
        self,
        status: Literal["succeeded", "failed", "running"],
        *,
        at: datetime,
        category: str | None = None,
        message: str = "",
        partition: str | None = None,
    ) -> None:
        """The latest launched job (or the one for ``partition``) reports ``status``."""
        self.advance_to(at)
        run = self._launched(partition)
        if run is None:
            return
        signal = JobReported(
            attempt=run.attempt, status=status, at=at, category=category, message=message
        )
        self._decide(run.partition, (signal,))

    def rerun(self, partition: str, *, at: datetime, reason: str = "manual") -> None:
        """A person asks to run ``partition`` again."""
        self.advance_to(at)
        self._ensure(partition, at)
        self._decide(partition, (RerunRequested(reason=reason, at=at),))

    def cancel(self, partition: str, *, at: datetime, reason: str = "") -> None:
        """A person cancels the run of ``partition``."""
        self.advance_to(at)
        if partition in self.runs:
            self._decide(partition, (CancelRequested(at=at, reason=reason),))

    def advance_to(self, until: datetime) -> None:
        """Fire every timer due up to ``until``, in time order, then set the clock there."""
        while True:
            due = [
                r
                for r in self.runs.values()
                if r.next_check_at is not None and r.next_check_at <= until
            ]
            if not due:
                break
            first = min(due, key=lambda r: (r.next_check_at or until, r.partition))
            self.now = max(self.now, first.next_check_at or until)
            self._decide(first.partition)
        self.now = max(self.now, until)

    # Internals --------------------------------------------------------------------------

    def _launched(self, partition: str | None) -> Run | None:
        live = [
            r
            for r in self.runs.values()
            if r.state in (RunState.LAUNCHING, RunState.RUNNING, RunState.SHADOWED)
            and (partition is None or r.partition == partition)
        ]
        return max(live, key=lambda r: (r.launched_at or self.start, r.partition), default=None)

    def _ensure(self, partition: str, at: datetime) -> None:
        if partition not in self.runs:
            self.runs[partition] = Run(
                pipeline_id=self.pipeline.id, partition=partition, created_at=at
            )

    def _open(self, planned: OpenRun) -> None:
        if planned.partition not in self.runs:
            self.runs[planned.partition] = Run(
                pipeline_id=self.pipeline.id,
                partition=planned.partition,
                created_at=self.now,
                opened_by=planned.opened_by,
                next_check_at=max(planned.check_at, self.now),
            )

    def _decide(self, partition: str, signals: Iterable[Signal] = ()) -> Decision:
        run = self.runs[partition]
        decision = decide(
            self.pipeline, run, ReadingSet.of(self.readings.values()), now=self.now, signals=signals
        )
        self.runs[partition] = decision.run
        self.events.extend(decision.events)
        self.decisions.append(decision)
        for action in decision.actions:
            if isinstance(action, OpenRun):
                self._open(action)
            elif isinstance(action, LaunchJob):
                accepted = LaunchRecorded(
                    attempt=action.attempt, at=self.now, handle={"simulated": True}
                )
                self._decide(partition, (accepted,))
        return decision
