"""An in-memory Interlock on a virtual clock: the same ``decide()``, no store, no sleeping.

:class:`Simulation` holds one pipeline's runs and readings in memory and replays inputs in
time order, firing every timer in between exactly when it is due. It powers
``interlock simulate`` (what-if analysis and offline shadow mode), :mod:`interlock.testing`
and the scenario tests, so all three exercise the code path the controller runs.

The simulated job backend accepts every launch at once; job outcomes are inputs
(:meth:`Simulation.job_outcome`). Given :class:`Neighbours` (the multi-pipeline
:class:`~interlock.simulation.graph.GraphSimulation` is one), a Simulation is one member of a
dependency graph: its timers go onto the graph's one heap, its ``dependsOn`` decisions see
the upstreams' runs, and a run coming to rest wakes the downstreams.

Cost follows the work, not the clock or the history, so a replay of years of input is
linear in its decisions: due timers come off a heap (an idle gap with nothing due costs
nothing, however long), a reading looks only at the runs it can wake, and each decision sees
only the readings of its own partition plus the undated ones. With ``record=False`` events
go to ``on_event`` and nothing grows with the length of the replay but the runs themselves.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol

from interlock.decide import decide, planned_runs, trigger_partition
from interlock.decide.partitions import backfill_due, backfill_run, heal_run
from interlock.decide.plan import local_partition
from interlock.decide.wake import watch_until, woken_by_reading
from interlock.model import (
    CancelRequested,
    Decision,
    Event,
    Explanation,
    JobReported,
    LaunchJob,
    LaunchRecorded,
    OpenedBy,
    OpenRun,
    Reading,
    ReadingSet,
    RerunRequested,
    Run,
    RunState,
    Signal,
)
from interlock.model.dependencies import UpstreamState
from interlock.model.partitions import partition_from_fields, split_key
from interlock.model.specs import PipelineSpec
from interlock.simulation.desired import SimulatedDesired

__all__ = ["Neighbours", "Simulation"]

_LIVE = frozenset({RunState.LAUNCHING, RunState.RUNNING, RunState.SHADOWED})
"""States whose job a ``job`` outcome without a partition may be about (the latest launch)."""

_WATCHED = frozenset({RunState.SUCCEEDED, RunState.SHADOWED})

UPSTREAM_WAKE_STATES = frozenset(
    {RunState.PENDING, RunState.WAITING, RunState.EXHAUSTED} | _WATCHED
)
"""States in which a run is woken by an upstream coming to rest (as the store wakes them)."""

UNDATED_WAKE_STATES = frozenset({RunState.WAITING}) | _WATCHED
"""States in which an undated reading may wake a run (besides today's PENDING run).

A superset of what :func:`~interlock.decide.wake.woken_by_reading` wakes, used only to pick
the candidates that rule is then asked about; ``tests/test_simulate_robustness.py`` checks
that it stays a superset if the rule changes."""


class Neighbours(Protocol):
    """The rest of a dependency graph, as one member :class:`Simulation` sees it."""

    def timer(self, sim: Simulation, due: datetime, partition: str) -> None:
        """``sim``'s run of ``partition`` is due at ``due``: put it on the one shared heap."""

    def upstream(self, sim: Simulation, partition: str) -> Mapping[str, UpstreamState]:
        """What ``sim``'s run of ``partition`` needs to know of its upstreams' runs."""

    def settled(self, sim: Simulation, run: Run) -> None:
        """``run`` of ``sim`` came to rest: wake the downstream runs it may unblock."""


@dataclass(frozen=True, slots=True)
class _Launch:
    """A max-heap entry for "the latest launched run": heapq pops the smallest, so invert."""

    launched_at: datetime
    partition: str

    def __lt__(self, other: _Launch) -> bool:
        return (self.launched_at, self.partition) > (other.launched_at, other.partition)


@dataclass
class Simulation:
    """One pipeline on a virtual clock starting at ``start``.

    ``runs`` and ``readings`` are its state: read them, change them through the inputs
    (:meth:`put_reading`, :meth:`job_outcome`, ...), which keep the indexes below in step.
    ``on_event`` is called with every event as it happens; ``record=False`` keeps
    ``events`` and ``decisions`` empty, for replays too long to hold in memory.
    """

    pipeline: PipelineSpec
    start: datetime
    runs: dict[str, Run] = field(default_factory=dict)
    readings: dict[tuple[str, str | None], Reading] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    on_event: Callable[[Event], None] | None = None
    record: bool = True
    neighbours: Neighbours | None = None
    """The graph this pipeline is a member of (None: it is simulated alone)."""
    explanations: dict[str, Explanation] = field(default_factory=dict, init=False, repr=False)
    """A graph member's latest explanation per partition (what ``explain`` would show)."""
    _timers: list[tuple[datetime, str]] = field(default_factory=list, init=False, repr=False)
    _launches: list[_Launch] = field(default_factory=list, init=False, repr=False)
    _rank: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _wakeable: set[str] = field(default_factory=set, init=False, repr=False)
    _undated: dict[str, Reading] = field(default_factory=dict, init=False, repr=False)
    _dated: dict[str, dict[str, Reading]] = field(default_factory=dict, init=False, repr=False)
    _signals: dict[str, list[Signal]] = field(default_factory=dict, init=False, repr=False)
    """Signals queued for a run and delivered at its next decision (a reconcile's reruns)."""

    def __post_init__(self) -> None:
        self.now = self.start
        self.desired = (
            SimulatedDesired(self.pipeline) if self.pipeline.partitions is not None else None
        )
        """Desired state (completeness, slots, reconcile passes); None without partitions."""
        given, self.runs = self.runs, {}
        for run in given.values():
            self._put(run)
        for reading in self.readings.values():
            self._index(reading)
        for planned in planned_runs(self.pipeline, self.start):
            self._open(planned)
        if self.desired is not None:
            self.desired.next_pass = self.start  # after the lines at the start, see pass_due
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
        self._index(reading)
        reconciled = self._desired_reading(base, part, at)
        trigger = self.pipeline.schedule.trigger
        if trigger is not None and base in trigger.keys:
            target = trigger_partition(self.pipeline, reading, at)
            if target not in self.runs:
                self._put(
                    Run(
                        pipeline_id=self.pipeline.id,
                        partition=target,
                        created_at=at,
                        opened_by=OpenedBy.TRIGGER,
                    )
                )
        for woken in self._woken_by(base, part, at):
            self._decide(woken)
        if reconciled:
            self.advance_to(at)  # the pass's runs are due by now

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
        """Fire every timer due up to ``until``, in time order, then set the clock there.

        Timers come off a heap of ``(next_check_at, partition)``, the order the controller
        claims due runs in; an entry whose run has since been rescheduled is skipped.
        """
        timers = self._timers
        while True:
            passing = self.pass_due(until)
            if passing is not None and (not timers or passing <= timers[0][0]):
                self.now = max(self.now, passing)
                self.reconcile()
                continue
            if not timers or timers[0][0] > until:
                break
            due, partition = heapq.heappop(timers)
            self.fire(partition, due)
        self.now = max(self.now, until)

    def pass_due(self, until: datetime) -> datetime | None:
        """When the next reconcile pass is due, if by ``until`` (None: not by then).

        The first pass, due at the start, waits for the lines at the start time: they are
        what the controller would find in its store when it starts (outputs already there
        are done, not backfilled).
        """
        desired = self.desired
        if desired is None or desired.next_pass is None:
            return None
        due = desired.next_pass
        if due > until or (due == until and not desired.passes):
            return None
        return due

    def reconcile(self) -> None:
        """A reconcile pass now, as the controller's: open or rerun what is not done.

        New runs are due a microsecond apart in the backfill order, just before now; a
        rerun is a queued :class:`RerunRequested` with the run due now, as the store queues it.
        """
        desired = self.desired
        if desired is None:
            return
        now = self.now
        opens = desired.plan(self.runs, ReadingSet(tuple(self._undated.values())), now)
        for planned in opens:
            if planned.existing_run:
                rerun = RerunRequested(reason=planned.reason, at=now)
                self._signals.setdefault(planned.partition, []).append(rerun)
                self._put(replace(self.runs[planned.partition], next_check_at=now))
            else:
                due = backfill_due(self.pipeline, planned.partition, now)
                self._put(backfill_run(self.pipeline, planned, now, due))

    def fire(self, partition: str, due: datetime) -> None:
        """A timer of ``partition`` set for ``due`` comes off the heap: decide the run."""
        if self.runs[partition].next_check_at != due:
            return  # stale: the run was decided since and has a newer entry
        self.now = max(self.now, due)
        self._decide(partition)

    def wake(self, partition: str, *, open_run: bool) -> None:
        """An upstream came to rest for ``partition``: decide its run, the store's wake rule.

        PENDING, WAITING, EXHAUSTED, SUCCEEDED and SHADOWED runs are woken (a late upstream
        may still unblock an exhausted run; a succeeded one may have to rerun). With
        ``open_run`` (a pipeline with no cron and no trigger) a missing run is created,
        opened by the upstream.
        """
        run = self.runs.get(partition)
        if run is None:
            if not open_run:
                return
            self._put(
                Run(
                    pipeline_id=self.pipeline.id,
                    partition=partition,
                    created_at=self.now,
                    opened_by=OpenedBy.UPSTREAM,
                )
            )
        elif run.state not in UPSTREAM_WAKE_STATES:
            return
        self._decide(partition)

    # Indexes ----------------------------------------------------------------------------

    def _put(self, run: Run) -> None:
        """Store ``run`` and keep every index in step with it (the one place runs change)."""
        partition = run.partition
        old = self.runs.get(partition)
        if old is None:
            self._rank[partition] = len(self._rank)  # creation order: the order runs wake in
        self.runs[partition] = run
        due = run.next_check_at
        if due is not None and (old is None or old.next_check_at != due):
            if self.neighbours is None:
                heapq.heappush(self._timers, (due, partition))
            else:
                self.neighbours.timer(self, due, partition)
        if self.desired is not None:
            self.desired.track(run)
        if run.state in UNDATED_WAKE_STATES:
            self._wakeable.add(partition)
        else:
            self._wakeable.discard(partition)
        launched = run.launched_at or self.start
        if run.state in _LIVE and (
            old is None or old.state not in _LIVE or (old.launched_at or self.start) != launched
        ):
            heapq.heappush(self._launches, _Launch(launched, partition))

    def _desired_reading(self, key: str, partition: str | None, at: datetime) -> bool:
        """Completeness and dynamic lists after a reading; True when a pass ran.

        A partition done without a run whose output went missing gets a run that heals it,
        as the store opens one in the reading's write.
        """
        desired = self.desired
        if desired is None:
            return False
        if partition is not None:
            own = self._dated.get(partition, {})
            if desired.record(key, partition, own, at) and partition not in self.runs:
                self._put(heal_run(self.pipeline.id, partition, at))
            return False
        undated = ReadingSet(tuple(self._undated.values()))
        if desired.passes and desired.lists_changed(key, undated):  # the first reads them
            self.reconcile()
            return True
        return False

    def _index(self, reading: Reading) -> None:
        if reading.partition is None:
            self._undated[reading.key] = reading
        else:
            self._dated.setdefault(reading.partition, {})[reading.key] = reading

    def _readings_for(self, partition: str) -> ReadingSet:
        """What a run of ``partition`` can see: its own dated readings and the undated ones."""
        own = self._dated.get(partition)
        undated = tuple(self._undated.values())
        return ReadingSet(undated + tuple(own.values()) if own else undated)

    def _woken_by(self, key: str, partition: str | None, at: datetime) -> list[str]:
        """The runs a reading wakes, in creation order, by the one wake rule of ``decide``."""
        if partition is not None:
            candidates = [partition] if partition in self.runs else []
        else:
            candidates = self._undated_candidates(at)
        return [
            p
            for p in candidates
            if woken_by_reading(self.pipeline, self.runs[p], key=key, partition=partition, now=at)
        ]

    def _undated_candidates(self, at: datetime) -> list[str]:
        """Runs an undated reading at ``at`` may wake; finished runs past their watch leave.

        The clock only moves forward, so a run whose watch has ended is never woken by an
        undated reading again until it changes (a rerun puts it back).
        """
        found: set[str] = set()
        for partition in list(self._wakeable):
            run = self.runs[partition]
            if run.state in _WATCHED:
                watch = watch_until(self.pipeline, run)
                if watch is None or watch <= at:
                    self._wakeable.discard(partition)
                    continue
            found.add(partition)
        today = local_partition(self.pipeline.schedule.timezone, at)
        if today in self.runs:
            found.add(today)
        return sorted(found, key=self._rank.__getitem__)

    def _launched(self, partition: str | None) -> Run | None:
        """The live run of ``partition``, or the latest launched live run (a max-heap)."""
        if partition is not None:
            run = self.runs.get(partition)
            return run if run is not None and run.state in _LIVE else None
        heap = self._launches
        while heap:
            top = heap[0]
            run = self.runs[top.partition]
            if run.state in _LIVE and (run.launched_at or self.start) == top.launched_at:
                return run
            heapq.heappop(heap)  # stale: finished, or launched again since (a newer entry)
        return None

    # Internals --------------------------------------------------------------------------

    def _ensure(self, partition: str, at: datetime) -> None:
        if partition not in self.runs:
            self._put(Run(pipeline_id=self.pipeline.id, partition=partition, created_at=at))

    def _open(self, planned: OpenRun) -> None:
        if planned.partition not in self.runs:
            self._put(
                Run(
                    pipeline_id=self.pipeline.id,
                    partition=planned.partition,
                    created_at=self.now,
                    opened_by=planned.opened_by,
                    next_check_at=max(planned.check_at, self.now),
                )
            )

    def explain(self, partition: str) -> Decision:
        """What would be decided for ``partition``'s run now, not applied (``explain``)."""
        return self._decision(partition, ())

    def _decision(self, partition: str, signals: Iterable[Signal]) -> Decision:
        neighbours = self.neighbours
        upstream = (
            neighbours.upstream(self, partition)
            if neighbours is not None and self.pipeline.depends_on is not None
            else None
        )
        desired = self.desired
        return decide(
            self.pipeline,
            self.runs[partition],
            self._readings_for(partition),
            upstream=upstream,
            now=self.now,
            signals=signals,
            slots=desired.free_slots() if desired is not None else None,
        )

    def _decide(self, partition: str, signals: Iterable[Signal] = ()) -> Decision:
        neighbours = self.neighbours
        queued = self._signals.pop(partition, None)
        decision = self._decision(partition, (*queued, *signals) if queued else signals)
        self._put(decision.run)
        if neighbours is not None:
            self.explanations[partition] = decision.explanation
        self._emit(decision)
        for action in decision.actions:
            if isinstance(action, OpenRun):
                self._open(action)
            elif isinstance(action, LaunchJob):
                accepted = LaunchRecorded(
                    attempt=action.attempt, at=self.now, handle={"simulated": True}
                )
                self._decide(partition, (accepted,))
        if decision.settled and self.desired is not None:  # a slot may be free
            for woken in self.desired.to_wake():
                due = backfill_due(self.pipeline, woken, self.now)
                self._put(replace(self.runs[woken], next_check_at=due))
        if decision.settled and neighbours is not None:
            neighbours.settled(self, decision.run)
        return decision

    def _emit(self, decision: Decision) -> None:
        if self.on_event is not None:
            for event in decision.events:
                self.on_event(event)
        if self.record:
            self.events.extend(decision.events)
            self.decisions.append(decision)
