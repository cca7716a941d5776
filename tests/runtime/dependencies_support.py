"""Support for the end-to-end ``dependsOn`` tests: the real store and controller, a fake clock.

The specs are built in code (a YAML pipeline plus ``dependsOn`` laid over it with
:func:`dataclasses.replace`), so these tests exercise the store's wake index, the
controller's upstream loading and the decision core, not the YAML loader. :class:`Installed`
is the ordinary facade with those specs in place of the parsed documents, so everything
else — ``report_job``, ``rerun``, ``explain``, the job log — is the real thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from interlock.app import Interlock
from interlock.config import parse_pipeline
from interlock.controller.clock import FakeClock
from interlock.controller.loop import Controller, ControllerSettings
from interlock.decide import planned_runs
from interlock.jobs import MockBackend
from interlock.model import Event, Run, RunState
from interlock.model.dependencies import Dependency, DependsOnSpec
from interlock.model.specs import PipelineSpec

DAY = "2026-11-23"
JOB = (
    "job: {type: mock, maxRetries: 0, maxCodeRetries: 0, pollInterval: 1m,"
    " jobPollWindowSeconds: 43200}"
)
"""A job never retried, polled every minute, whose poll window outlasts a working day."""


def at(clock: str, day: str = DAY) -> datetime:
    """``at("06:20")`` → 2026-11-23T06:20Z."""
    return datetime.fromisoformat(f"{day}T{clock}:00+00:00").astimezone(UTC)


def spec(pipeline_id: str, *, cron: str | None = None, extra: str = "") -> PipelineSpec:
    """A pipeline with a mock job, opened by ``cron`` (or, without one, by its upstreams)."""
    lines = [f"pipeline: {{id: {pipeline_id}}}", JOB]
    if cron is not None:
        lines.append(f"schedule: {{cron: '{cron}', timezone: UTC}}")
    return parse_pipeline("\n".join([*lines, extra]) + "\n", source=f"{pipeline_id}.yaml")


def depending(
    base: PipelineSpec,
    all_of: Sequence[Dependency | str] = (),
    any_of: Sequence[Dependency | str] = (),
) -> PipelineSpec:
    """``base`` with ``dependsOn`` (a string is a plain dependency on that id)."""

    def entry(item: Dependency | str) -> Dependency:
        return Dependency(pipeline=item) if isinstance(item, str) else item

    return replace(
        base,
        depends_on=DependsOnSpec(
            all_of=tuple(entry(d) for d in all_of), any_of=tuple(entry(d) for d in any_of)
        ),
        config_hash=f"{base.config_hash}+deps",
    )


class Installed(Interlock):
    """The facade over specs built in code (the stored documents are placeholders)."""

    def __init__(self, specs: Iterable[PipelineSpec], **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.code_specs = {s.id: s for s in specs}

    def specs(self) -> dict[str, PipelineSpec]:
        """The specs as built, never re-parsed."""
        return self.code_specs

    def install(self) -> None:
        """Store the specs and plan their expected runs, as ``apply`` does."""
        now = self.clock.now()
        specs = list(self.code_specs.values())
        self.store.sync_pipelines(specs, {s.id: f"# {s.id}, built in code" for s in specs}, now)
        for s in specs:
            self.store.ensure_runs(planned_runs(s, now), now)


@dataclass
class Graph:
    """One installation of several pipelines under test."""

    il: Installed
    clock: FakeClock
    backend: MockBackend
    controller: Controller

    def step(self, clock: str | datetime) -> None:
        """Move the clock to ``clock`` (firing every timer on the way, in order) and settle."""
        target = clock if isinstance(clock, datetime) else at(clock)
        while True:
            self.controller.run_until_idle()
            due = self.il.store.next_due_at()
            if due is None or due > target:
                break
            self.clock.set(max(due, self.clock.now()))
        self.clock.set(target)
        self.controller.run_until_idle()

    def report(self, pipeline: str, status: str = "succeeded", *, attempt: int = 1) -> None:
        """``interlock job report`` for the pipeline's run of :data:`DAY` (nothing decided yet)."""
        self.il.report_job(f"{pipeline}/{DAY}/{attempt}", status)  # type: ignore[arg-type]

    def run(self, pipeline: str, partition: str = DAY) -> Run:
        """The stored run."""
        run = self.il.store.get_run(pipeline, partition)
        assert run is not None, f"{pipeline}/{partition} has no run"
        return run

    def state(self, pipeline: str, partition: str = DAY) -> RunState | None:
        """The stored run's state, None when it does not exist."""
        run = self.il.store.get_run(pipeline, partition)
        return run.state if run is not None else None

    def events(self, pipeline: str, kind: str | None = None) -> list[Event]:
        """``pipeline``'s stored events (of type ``kind``), in time order."""
        return [
            e for e in self.il.store.list_events(pipeline_id=pipeline) if kind in (None, e.type)
        ]

    def launches(self, pipeline: str) -> list[str]:
        """The attempt ids the mock backend was asked to launch for ``pipeline``."""
        return [r.attempt_id for r in self.backend.launches if r.pipeline_id == pipeline]


def build(tmp_path: Path, specs: Iterable[PipelineSpec], start: datetime) -> Graph:
    """An installation of ``specs`` on a fresh SQLite file, its controller inline."""
    clock = FakeClock(start)
    backend = MockBackend(lambda _request: "running")
    il = Installed(
        specs, db=f"sqlite:///{tmp_path}/interlock.db", clock=clock, backends=lambda _t: backend
    )
    il.install()
    controller = il.controller(ControllerSettings(workers=0))
    return Graph(il=il, clock=clock, backend=backend, controller=controller)


def reopen(graph: Graph, tmp_path: Path) -> Graph:
    """A new process on the same database: a new facade, store and controller; same backend."""
    il = Installed(
        graph.il.code_specs.values(),
        db=f"sqlite:///{tmp_path}/interlock.db",
        clock=graph.clock,
        backends=lambda _t: graph.backend,
    )
    controller = il.controller(ControllerSettings(workers=0))
    return Graph(il=il, clock=graph.clock, backend=graph.backend, controller=controller)
