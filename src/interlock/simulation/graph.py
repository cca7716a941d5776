"""Several pipelines on one virtual clock: ``dependsOn`` simulated through the same ``decide()``.

:class:`GraphSimulation` keeps one :class:`~interlock.simulation.engine.Simulation` per
pipeline and is their :class:`~interlock.simulation.engine.Neighbours`:

- every member's timers come off one heap of ``(due, pipeline order, partition)``, so the
  whole graph advances in one deterministic order (pipelines in the order given);
- a decision of a pipeline with ``dependsOn`` gets ``upstream=`` built from the members' runs
  in memory (:func:`~interlock.decide.dependencies.needed_partitions` says which), as the
  controller loads them from the store;
- a decision that comes to rest (``Decision.settled``) wakes, at once and in the same step,
  the downstream runs of the partitions it maps to
  (:func:`~interlock.model.dependencies.downstream_partitions`); a downstream with no cron
  and no trigger gets its run created, opened by the upstream.

So a scenario of many teams' pipelines (a chain, a diamond, a fallback) replays in process,
in microseconds per step, with what the controller would decide.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from interlock.decide.cascade import cascades_downstream
from interlock.decide.dependencies import needed_partitions
from interlock.errors import InputError, UnknownPipelineError
from interlock.model import Event, Explanation, Run, RunState
from interlock.model.dependencies import (
    FINAL_UPSTREAM_STATES,
    WILDCARD,
    Dependency,
    UpstreamRun,
    UpstreamState,
    downstream_partitions,
    matches,
)
from interlock.model.durations import median_duration
from interlock.model.partitions import split_key
from interlock.model.specs import PipelineSpec
from interlock.simulation.engine import Simulation

__all__ = ["GraphSimulation"]


@dataclass(frozen=True, slots=True)
class _Edge:
    """One ``dependsOn`` entry seen from its upstream: who to wake, by which mapping."""

    downstream: str
    dependency: Dependency


_NOT_STARTED = frozenset({RunState.PENDING, RunState.WAITING})
_MAX_DEPTH = 20


@dataclass
class GraphSimulation:
    """Every pipeline of ``pipelines`` on one virtual clock starting at ``start``.

    ``events`` holds every event of every pipeline in the order they happened (unless
    ``record=False``); ``on_event`` is called with each as it happens. Inputs name their
    pipeline; :meth:`explanation` is what ``explain`` would show for a run.
    """

    pipelines: Iterable[PipelineSpec]
    start: datetime
    on_event: Callable[[Event], None] | None = None
    record: bool = True
    events: list[Event] = field(default_factory=list)
    sims: dict[str, Simulation] = field(default_factory=dict, init=False)
    _specs: dict[str, PipelineSpec] = field(default_factory=dict, init=False, repr=False)
    _order: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _timers: list[tuple[datetime, int, str]] = field(default_factory=list, init=False)
    _edges: dict[str, list[_Edge]] = field(default_factory=dict, init=False, repr=False)
    _latest: dict[str, Run] = field(default_factory=dict, init=False, repr=False)
    _took: dict[str, deque[timedelta]] = field(default_factory=dict, init=False, repr=False)
    """Each pipeline's last successful attempts' durations: its expected duration."""
    _by_key: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False)
    _ids: list[str] = field(default_factory=list, init=False, repr=False)
    _partitioned: list[Simulation] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.now = self.start
        specs = list(self.pipelines)
        self._specs = {spec.id: spec for spec in specs}
        self._order = {spec.id: number for number, spec in enumerate(specs)}
        for spec in specs:
            for dep in spec.depends_on.dependencies if spec.depends_on else ():
                self._edges.setdefault(dep.pipeline, []).append(_Edge(spec.id, dep))
            for key in sorted(spec.sensor_keys):
                self._by_key.setdefault(key, []).append(spec.id)
        self._ids = [spec.id for spec in specs]
        for spec in specs:  # a member puts its timers on our heap: it decides nothing yet
            self.sims[spec.id] = Simulation(
                spec, start=self.start, on_event=self._event, record=False, neighbours=self
            )
        self._partitioned = [sim for sim in self.sims.values() if sim.desired is not None]
        self.advance_to(self.start)  # every member exists before any decides

    # Inputs -----------------------------------------------------------------------------

    def put_reading(
        self,
        key: str,
        data: Mapping[str, Any],
        *,
        at: datetime,
        partition: str | None = None,
        pipeline: str | None = None,
    ) -> None:
        """A reading: that pipeline's own (``pipeline``), or every pipeline naming the key."""
        self.advance_to(at)
        if pipeline is not None:
            targets = [self._member(pipeline).pipeline.id]
        elif len(self.sims) == 1:
            targets = list(self.sims)  # alone, a pipeline keeps every reading, as before
        else:
            targets = self._by_key.get(split_key(key)[0], [])
        for target in targets:
            self.sims[target].put_reading(key, data, at=at, partition=partition)

    def job_outcome(  # noqa: PLR0913 - the job line's fields
        self,
        status: Literal["succeeded", "failed", "running"],
        *,
        at: datetime,
        pipeline: str | None = None,
        category: str | None = None,
        message: str = "",
        partition: str | None = None,
    ) -> None:
        """The latest launch of ``pipeline`` (of its run of ``partition``) reports ``status``."""
        self.advance_to(at)
        self._member(pipeline).job_outcome(
            status, at=at, category=category, message=message, partition=partition
        )

    def rerun(
        self, partition: str, *, at: datetime, pipeline: str | None = None, reason: str = "manual"
    ) -> None:
        """A person asks to run ``pipeline``'s ``partition`` again."""
        self.advance_to(at)
        self._member(pipeline).rerun(partition, at=at, reason=reason)

    def cancel(
        self, partition: str, *, at: datetime, pipeline: str | None = None, reason: str = ""
    ) -> None:
        """A person cancels ``pipeline``'s run of ``partition``."""
        self.advance_to(at)
        self._member(pipeline).cancel(partition, at=at, reason=reason)

    def advance_to(self, until: datetime) -> None:
        """Fire every timer of every pipeline due up to ``until``, in one time order."""
        timers = self._timers
        while True:
            passing = self._pass_due(until)
            if passing is not None and (not timers or passing[0] <= timers[0][0]):
                self.now = max(self.now, passing[0])
                passing[1].now = max(passing[1].now, self.now)
                passing[1].reconcile()
                continue
            if not timers or timers[0][0] > until:
                break
            due, order, partition = heapq.heappop(timers)
            self.now = max(self.now, due)
            sim = self._at(order)
            sim.now = max(sim.now, self.now)
            sim.fire(partition, due)
        self.now = max(self.now, until)
        for sim in self.sims.values():
            sim.now = max(sim.now, self.now)

    def _pass_due(self, until: datetime) -> tuple[datetime, Simulation] | None:
        """The member whose reconcile pass is due first, by ``until`` (partitioned ones)."""
        due = [
            (moment, sim.pipeline.id)
            for sim in self._partitioned
            if (moment := sim.pass_due(until)) is not None
        ]
        if not due:
            return None
        moment, pipeline_id = min(due)
        return moment, self.sims[pipeline_id]

    # Reading the state ------------------------------------------------------------------

    def runs(self, pipeline: str) -> dict[str, Run]:
        """``pipeline``'s runs by partition."""
        return self._member(pipeline).runs

    def explain(self, pipeline: str, partition: str) -> Explanation | None:
        """What ``interlock explain`` would show for the run now (None: there is no run yet).

        Decided afresh at the graph's clock, nothing applied: a downstream is woken only
        when an upstream comes to rest, so its last decision may predate an upstream's start.
        """
        member = self._member(pipeline)
        if partition not in member.runs:
            return None
        member.now = max(member.now, self.now)
        return member.explain(partition).explanation

    # Neighbours (called by the members) -------------------------------------------------

    def timer(self, sim: Simulation, due: datetime, partition: str) -> None:
        """Put a member's timer on the one heap."""
        heapq.heappush(self._timers, (due, self._order[sim.pipeline.id], partition))

    def upstream(self, sim: Simulation, partition: str) -> Mapping[str, UpstreamState]:
        """The upstreams' runs a run of ``partition`` maps to, as the controller loads them.

        With an SLA deadline, also what the store loads for the at-risk prediction: expected
        durations (the median of the simulated successes, else ``sla.expectedDuration``), the
        pipeline's own under its id, and the view further up for upstreams not started.
        """
        sla = sim.pipeline.sla
        deep = sla is not None and bool(sla.deadline)
        found = self._upstream_of(sim, (partition,), deep=deep, path=frozenset({sim.pipeline.id}))
        if deep:
            found[sim.pipeline.id] = UpstreamState(spec=None, expected_duration=self._expected(sim))
        return found

    def _upstream_of(
        self, sim: Simulation, partitions: Iterable[str], *, deep: bool, path: frozenset[str]
    ) -> dict[str, UpstreamState]:
        found: dict[str, UpstreamState] = {}
        for partition in partitions:
            for upstream_id, (parts, latest) in needed_partitions(
                sim.pipeline, partition, self._specs
            ).items():
                member = self.sims.get(upstream_id)
                if member is None or upstream_id in found:
                    continue  # not loaded: decide() says the dependency is blocked
                found[upstream_id] = self._state(member, parts, latest, deep=deep, path=path)
        return found

    def _state(
        self,
        member: Simulation,
        parts: tuple[str, ...],
        latest: bool,  # noqa: FBT001 - mirrors needed_partitions' pair
        *,
        deep: bool,
        path: frozenset[str],
    ) -> UpstreamState:
        runs = {p: self._upstream_run(member, p) for p in parts if p in member.runs}
        last = self._latest.get(member.pipeline.id) if latest else None
        further: dict[str, UpstreamState] = {}
        not_started = any(p not in runs or runs[p].state in _NOT_STARTED for p in parts)
        if deep and not_started and member.pipeline.id not in path and len(path) < _MAX_DEPTH:
            further = self._upstream_of(member, parts, deep=True, path=path | {member.pipeline.id})
        return UpstreamState(
            spec=member.pipeline,
            runs=runs,
            latest=None if last is None else self._upstream_run(member, last.partition),
            expected_duration=self._expected(member) if deep else None,
            upstream=further,
        )

    def _expected(self, member: Simulation) -> timedelta | None:
        took = self._took.get(member.pipeline.id)
        if took:
            return median_duration(took)
        sla = member.pipeline.sla
        return sla.expected_duration if sla is not None else None

    def settled(self, sim: Simulation, run: Run) -> None:
        """Wake every downstream run ``run`` may unblock, downstreams in load order."""
        upstream = sim.pipeline
        if run.state in FINAL_UPSTREAM_STATES:
            self._latest[upstream.id] = run
        if run.state is RunState.SUCCEEDED and run.launched_at and run.finished_at:
            took = self._took.setdefault(upstream.id, deque(maxlen=10))
            took.append(run.finished_at - run.launched_at)
        for edge in self._edges.get(upstream.id, ()):
            member = self.sims[edge.downstream]
            spec = member.pipeline
            declared = spec.partitions
            parts = downstream_partitions(
                edge.dependency,
                run.partition,
                timezone=spec.schedule.timezone,
                upstream_timezone=upstream.schedule.timezone,
                downstream_dimensions=None
                if declared is None
                else [d.name for d in declared.dimensions],
            )
            opens = not spec.schedule.cron and spec.schedule.trigger is None
            if parts is None:  # ``latest``: every run of the downstream may wait for it
                parts, opens = tuple(member.runs), False
            elif any(f"={WILDCARD}" in part for part in parts):  # every value of a dimension
                parts = tuple(p for p in member.runs if any(matches(q, p) for q in parts))
                opens = False
            member.now = max(member.now, sim.now)
            for part in parts:
                member.wake(part, open_run=opens)

    # Internals --------------------------------------------------------------------------

    def _upstream_run(self, member: Simulation, partition: str) -> UpstreamRun:
        run = member.runs[partition]
        explanation = member.explanations.get(partition)
        return UpstreamRun(
            pipeline_id=run.pipeline_id,
            partition=run.partition,
            state=run.state,
            attempt=run.attempt,
            launched_at=run.launched_at,
            finished_at=run.finished_at,
            message=(explanation.waiting_for or explanation.summary) if explanation else "",
            cascades=cascades_downstream(run.attempt_reason, [r.reason for r in run.reruns]),
        )

    def _member(self, pipeline: str | None) -> Simulation:
        """The pipeline an input is for; without an id, the only one there is."""
        if pipeline is None:
            if len(self.sims) != 1:
                msg = f"name the pipeline: {len(self.sims)} are simulated"
                raise InputError(msg, field="pipeline")
            return next(iter(self.sims.values()))
        sim = self.sims.get(pipeline)
        if sim is None:
            raise UnknownPipelineError(pipeline, known=self.sims)
        return sim

    def _at(self, order: int) -> Simulation:
        return self.sims[self._ids[order]]

    def _event(self, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)
        if self.record:
            self.events.append(event)
