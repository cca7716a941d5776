"""``Interlock``: the Python API over one store, used by the CLI, tests and your own code.

::

    from interlock.app import Interlock

    il = Interlock(db="sqlite:///interlock.db", pipelines="pipelines/")
    il.apply()                                   # load YAML, keep every version, plan runs
    il.put_reading("gold-revenue", "row-count", {"count": 1500})
    il.put_shared("upstream-complete", {"status": "ready"})   # every pipeline that reads it
    il.serve()                                   # the controller loop (blocks)

Pipelines are stored in the database (YAML text plus the named calendar it uses), so every
process sharing the database — controllers, the CLI, the API — sees the same configs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from interlock.abc import AttemptRecord, ReadingInput, Store, StoredPipeline, SyncReport
from interlock.app.backfilling import Backfills
from interlock.app.checks import Checks
from interlock.app.documents import may_depend, pack_document, unpack_document
from interlock.app.partitions import PartitionsReport, parse_where, partitions_report
from interlock.app.requests import SignalRequests
from interlock.app.upstreams import UpstreamNode, explain_upstreams
from interlock.checkers.project import check_project_checkers
from interlock.config import check_dependency_graph, load_pipelines
from interlock.controller.clock import Clock, SystemClock
from interlock.controller.desired import Slots
from interlock.controller.jobs import JobRunner
from interlock.controller.loop import Controller, ControllerSettings
from interlock.controller.observe import Sink
from interlock.controller.reconcile import Reconciler
from interlock.decide import decide, planned_runs
from interlock.decide.plan import local_partition
from interlock.decide.verdicts import SignalOutcome, SignalReceipt
from interlock.errors import ConfigError, InputError, UnknownPipelineError
from interlock.jobs import BackendSettings, JobBackend, JobLogs, backend_for
from interlock.model import Decision, Event, Run, RunState
from interlock.model.desired import PartitionChecker, PartitionState
from interlock.model.limits import check_message, check_partition
from interlock.model.specs import Pause, PipelineSpec
from interlock.store.sqlalchemy import CONFIG_RECHECK_SECONDS, SqlStore, default_url

__all__ = [
    "DATABASE_ENV",
    "STATE_DIR_ENV",
    "Interlock",
    "PipelineState",
    "SignalOutcome",
    "SignalReceipt",
    "pack_document",
    "unpack_document",
]

DATABASE_ENV = "INTERLOCK_DATABASE_URL"
STATE_DIR_ENV = "INTERLOCK_STATE_DIR"
"""Where job backends keep their files (default ``.interlock``): ``serve`` and ``logs``."""


@dataclass(frozen=True, kw_only=True)
class PipelineState:
    """One stored pipeline as ``interlock pipelines`` shows it."""

    spec: PipelineSpec
    """The stored config, with its pause (``spec.paused``) laid over it."""
    latest: Run | None
    """The newest run that has opened (else the newest planned one); None before any."""
    next_check_at: datetime | None
    """The earliest timer of its recent runs: when the controller looks at it next."""


class Interlock(SignalRequests, Backfills, Checks):
    """One Interlock installation: a database, optionally a folder of pipeline YAML."""

    def __init__(  # noqa: PLR0913 - keyword options of one installation
        self,
        db: str | None = None,
        pipelines: Path | str | None = None,
        *,
        clock: Clock | None = None,
        backends: Callable[[str], JobBackend] | None = None,
        state_dir: Path | str | None = None,
        create: bool = True,
    ) -> None:
        """Open the installation on ``db`` (a URL or a SQLite file path; see ``--db``).

        ``create=False`` is for commands that only look: a SQLite database that does not
        exist is refused (:class:`~interlock.errors.StoreError`) rather than created empty.
        """
        url = db or os.environ.get(DATABASE_ENV) or default_url()
        self.store: Store = SqlStore(url, create=create)
        self.pipelines_path = Path(pipelines) if pipelines is not None else None
        self.clock = clock or SystemClock()
        self.state_dir = Path(state_dir) if state_dir is not None else Path(".interlock")
        self._backends = backends or self._default_backend
        self._specs: dict[str, PipelineSpec] = {}
        self._parsed: dict[tuple[str, int, str], PipelineSpec] = {}
        self._checkers: dict[tuple[str, str], PartitionChecker] = {}
        self._token: Any = None
        self._checked = 0.0

    def _default_backend(self, job_type: str) -> JobBackend:
        return backend_for(job_type, BackendSettings(state_dir=self.state_dir))

    def close(self) -> None:
        """Release the database connections."""
        self.store.close()

    # Pipelines ---------------------------------------------------------------------------

    def apply(self, path: Path | str | None = None) -> SyncReport:
        """Load pipeline YAML (all or nothing), store changed versions, plan expected runs.

        :raises ConfigError: listing every problem in every file (shared ``sensors/``
            included, each checker's config checked by its kind), and in the dependency
            graph the files would join (:meth:`_check_graph`); nothing is stored then.
        """
        source = Path(path) if path is not None else self.pipelines_path
        if source is None:
            raise InputError("no pipelines folder given", field="pipelines")
        specs = load_pipelines(source, check_graph=False)
        check_project_checkers(source, specs)
        self._check_graph(specs)
        documents = {
            spec.id: pack_document(spec, Path(spec.source).read_text(encoding="utf-8"))
            for spec in specs
        }
        now = self.clock.now()
        report = self.store.sync_pipelines(specs, documents, now)
        self._checked = 0.0
        for spec in specs:
            self.store.ensure_runs(planned_runs(spec, now), now)
        return report

    def _check_graph(self, specs: Sequence[PipelineSpec]) -> None:
        """Refuse ``specs`` unless the ``dependsOn`` graph they would join is sound.

        That graph is the stored pipelines with ``specs`` laid over them: a file applied on
        its own may name stored upstreams, and a changed upstream may break a stored
        downstream's mapping. Of the stored pipelines ``specs`` do not replace, only those
        that may have dependencies (:func:`may_depend`) and their upstreams are parsed: the
        others have no edge out, and no edge in from anything checked, so their ids suffice.

        :raises ConfigError: listing the graph's problems.
        """
        new = {spec.id for spec in specs}
        stored = {p.id: p for p in self.store.stored_pipelines() if p.id not in new}
        graph = {spec.id: spec for spec in specs}
        graph.update((pid, self._spec_of(p)) for pid, p in stored.items() if may_depend(p.document))
        needed = {up for spec in graph.values() for up in spec.upstream_ids} & stored.keys()
        graph.update((pid, self._spec_of(stored[pid])) for pid in needed - graph.keys())
        problems = check_dependency_graph(graph.values(), known_ids=stored.keys())
        if problems:
            raise ConfigError(problems)

    def specs(self) -> Mapping[str, PipelineSpec]:
        """Every stored pipeline's spec (re-parsed only when a config changed)."""
        if self._specs and time.monotonic() - self._checked < CONFIG_RECHECK_SECONDS:
            return self._specs
        self._checked = time.monotonic()
        token = self.store.config_token()
        if token != self._token:
            self._specs = {p.id: self._spec_of(p) for p in self.store.stored_pipelines()}
            self._token = token
        return self._specs

    def _spec_of(self, stored: StoredPipeline) -> PipelineSpec:
        """The parsed config (parsed once per version: a pause re-parses nothing) + its pause."""
        key = (stored.id, stored.version, stored.config_hash)
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = self._parsed[key] = unpack_document(stored.document)
        return replace(parsed, paused=stored.paused) if stored.paused is not None else parsed

    def spec(self, pipeline_id: str) -> PipelineSpec:
        """One pipeline's spec.

        :raises UnknownPipelineError: when it is not stored.
        """
        specs = self.specs()
        try:
            return specs[pipeline_id]
        except KeyError:
            raise UnknownPipelineError(pipeline_id, known=specs) from None

    def pause(self, pipeline_id: str, *, reason: str = "", by: str = "") -> bool:
        """Pause a pipeline: it launches nothing (no first launch, retry or rerun) until resumed.

        Its runs are still evaluated, explained and watched (SLA alerts still fire). Kept in
        the store for every controller and across ``apply``. False when it already was paused
        (nothing changes).

        :raises UnknownPipelineError: when it is not stored.
        """
        reason = check_message(reason, field="reason")
        by = check_message(by, field="by")
        self.spec(pipeline_id)
        now = self.clock.now()
        changed = self.store.set_pause(pipeline_id, Pause(at=now, reason=reason, by=by), now)
        self._checked = 0.0  # this process's controller sees it in its next round
        return changed is not None

    def resume(self, pipeline_id: str) -> bool:
        """Resume a paused pipeline; its waiting runs are decided at once (and may launch).

        False when it was not paused.

        :raises UnknownPipelineError: when it is not stored.
        """
        self.spec(pipeline_id)
        changed = self.store.set_pause(pipeline_id, None, self.clock.now())
        self._checked = 0.0
        return changed is not None

    def pipelines_state(self) -> list[PipelineState]:
        """Every stored pipeline by id, with its pause, latest run and next check."""
        states = []
        for spec in sorted(self.specs().values(), key=lambda s: s.id):
            recent = self.store.list_runs(spec.id, limit=5)
            opened = [r for r in recent if r.state is not RunState.PENDING]
            timers = [r.next_check_at for r in recent if r.next_check_at is not None]
            states.append(
                PipelineState(
                    spec=spec,
                    latest=next(iter(opened or recent), None),
                    next_check_at=min(timers, default=None),
                )
            )
        return states

    def logs(self, run_id: str) -> tuple[AttemptRecord, JobLogs | None]:
        """An attempt's job output (``run_id`` is ``pipeline/partition[/attempt]``), masked.

        Read from the job backend that ran it (``command``: files under :attr:`state_dir`);
        its secrets are masked as ``***`` as everywhere else. The logs are None when that
        backend keeps none (``http``, ``mock``).

        :raises InputError: a malformed run id, or an attempt that was never launched.
        :raises JobPermanentError: the backend has no files for it, or the config does not
            expand in this environment (its secrets could not be masked).
        """
        pipeline_id, partition, attempt = self._parse_run_id(run_id)
        run = self.store.get_run(pipeline_id, partition)
        latest = run.attempt if run is not None else 0
        if attempt is None and latest == 0:
            raise InputError(f"{pipeline_id}/{partition} has no launched attempt", field="run_id")
        attempt_id = f"{pipeline_id}/{partition}/{latest if attempt is None else attempt}"
        record = self.store.get_attempt(attempt_id)
        if record is None or run is None:
            raise InputError(f"{attempt_id} was never launched", field="run_id")
        spec = self.spec(pipeline_id)
        return record, JobRunner(self.store, self._backends).logs(spec, run, record)

    # Inputs ------------------------------------------------------------------------------

    def put_reading(
        self, pipeline_id: str, key: str, data: Mapping[str, Any], *, partition: str | None = None
    ) -> None:
        """Record one sensor reading for one pipeline; affected runs become due at once."""
        reading = ReadingInput(key=key, data=data, pipeline_id=pipeline_id, partition=partition)
        self.store.put_readings(self._declared([reading]), self.clock.now())

    def put_shared(
        self, key: str, data: Mapping[str, Any], *, partition: str | None = None
    ) -> None:
        """Record a shared reading, visible to (and waking) every pipeline that reads ``key``."""
        self.store.put_readings(
            [ReadingInput(key=key, data=data, partition=partition)], self.clock.now()
        )

    def put_readings(self, batch: Sequence[ReadingInput]) -> int:
        """Record many readings in one transaction (all or nothing)."""
        return self.store.put_readings(self._declared(batch), self.clock.now())

    def _declared(self, batch: Sequence[ReadingInput]) -> Sequence[ReadingInput]:
        """A pipeline's readings with their partitions in its declared, canonical form.

        A pipeline with ``partitions`` names its partitions ``DATE|name=value`` in the order it
        declares them; a reading may give the dimensions in any order (or the compact date),
        and one naming a partition the pipeline cannot have is refused, naming the reading.

        :raises InputError: on ``readings[i].partition``, with the declared form.
        """
        specs = self.specs()
        out: list[ReadingInput] = []
        for index, item in enumerate(batch):
            spec = specs.get(item.pipeline_id or "")
            if spec is None or spec.partitions is None or item.partition is None:
                out.append(item)
                continue
            try:
                canonical = self._checker(spec).check(item.partition)
            except InputError as exc:
                where = f"readings[{index}].partition" if len(batch) > 1 else "partition"
                message = str(exc).removeprefix(f"{exc.field}: ")
                raise InputError(message, field=where) from None
            out.append(item if canonical == item.partition else replace(item, partition=canonical))
        return out

    def _checker(self, spec: PipelineSpec) -> PartitionChecker:
        key = (spec.id, spec.config_hash)
        checker = self._checkers.get(key)
        if checker is None and spec.partitions is not None:
            checker = self._checkers[key] = PartitionChecker(spec.partitions)
        assert checker is not None  # noqa: S101 - only called for partitioned pipelines
        return checker

    # Reading back ------------------------------------------------------------------------

    def default_partition(self, pipeline_id: str, now: datetime | None = None) -> str:
        """Today's partition in the pipeline's schedule zone."""
        spec = self.spec(pipeline_id)
        return local_partition(spec.schedule.timezone, now or self.clock.now())

    def partitions(
        self,
        pipeline_id: str,
        *,
        states: Sequence[PartitionState] = (),
        where: Sequence[str] = (),
    ) -> PartitionsReport:
        """Every desired partition of a pipeline with ``partitions``, and its state now.

        :raises UnknownPipelineError: when the pipeline is not stored.
        :raises InputError: when it declares no partitions, or for a bad ``where`` pair.
        """
        spec = self.spec(pipeline_id)
        selected = parse_where(where, spec)
        rows = self.store.partition_rows(spec.id)
        dynamic = Reconciler(self.store).dynamic(spec)
        return partitions_report(
            spec, rows, rows.timed, self.clock.now(), dynamic=dynamic, states=states, where=selected
        )

    def explain(self, pipeline_id: str, partition: str | None = None) -> Decision:
        """What the controller would decide for the partition right now (nothing is applied).

        ``partition`` defaults to today's in the schedule's zone; a partition without a run
        is explained as the run that would open.

        :raises UnknownPipelineError: when the pipeline is not stored.
        :raises InputError: for a malformed partition.
        """
        spec = self.spec(pipeline_id)
        now = self.clock.now()
        part = check_partition(partition) if partition else self._explained_partition(spec, now)
        run = self.store.get_run(pipeline_id, part) or Run(
            pipeline_id=pipeline_id, partition=part, created_at=now
        )
        upstream = self.store.load_upstream(spec, part, self.specs())
        readings = self.store.load_readings(spec, part)
        decision = decide(
            spec, run, readings, upstream, now=now, slots=Slots(self.store).free(spec)
        )
        notes = self.failing_checks(spec)
        if not notes:
            return decision
        return replace(decision, explanation=replace(decision.explanation, checkers=tuple(notes)))

    def explain_upstreams(self, decision: Decision) -> dict[str, UpstreamNode]:
        """For each unmet dependency of an :meth:`explain` decision: the upstream, recursively.

        Dependency label → the blocking upstream run with the explanation stored with its
        latest decision and, below, the same for its own unmet dependencies
        (:func:`interlock.app.upstreams.explain_upstreams`). Empty without ``dependsOn``.
        """
        return explain_upstreams(decision.explanation, self._stored_run)

    def _stored_run(
        self, pipeline_id: str, partition: str
    ) -> tuple[Run | None, Mapping[str, Any] | None]:
        run = self.store.get_run(pipeline_id, partition)
        explained = self.store.run_explanation(pipeline_id, partition) if run else None
        return run, explained

    def _explained_partition(self, spec: PipelineSpec, now: datetime) -> str:
        """Today's partition if it has a run, else the next planned one (what status shows).

        A cron pipeline applied after today's window plans tomorrow's run; explaining a
        today's run that will never exist would contradict ``status``.
        """
        today = self.default_partition(spec.id, now)
        if self.store.get_run(spec.id, today) is not None:
            return today
        planned = planned_runs(spec, now)
        return planned[0].partition if planned else today

    def runs(
        self, pipeline_id: str | None = None, *, states: Sequence[str] = (), limit: int = 50
    ) -> list[Run]:
        """Runs, newest partition first (ties by pipeline id), at most ``limit``.

        ``states`` keeps only runs in those states. An unknown pipeline has no runs (an
        empty list: this answers what the store holds); the CLI asks :meth:`spec` first, so
        ``interlock runs ordrs`` is refused with a did-you-mean instead of an empty table.
        """
        return self.store.list_runs(pipeline_id, limit=limit, states=states)

    def run(self, pipeline_id: str, partition: str) -> Run | None:
        """One run, or None when the partition has none (or the pipeline is unknown)."""
        return self.store.get_run(pipeline_id, partition)

    def run_explanation(self, pipeline_id: str, partition: str) -> Mapping[str, Any] | None:
        """The explanation stored with the run's latest decision (what the controller saw).

        In the form of :meth:`Explanation.to_dict <interlock.model.Explanation.to_dict>`
        (:class:`interlock.schemas.ExplanationOut`); None when there is no such run or it
        was never decided. :meth:`explain` instead decides afresh, now.
        """
        return self.store.run_explanation(pipeline_id, partition)

    def attempts(self, pipeline_id: str, partition: str | None = None) -> list[AttemptRecord]:
        """The job log of a pipeline (or one partition): by partition, then attempt number.

        An unknown pipeline has an empty log, not an error.
        """
        return self.store.list_attempts(pipeline_id, partition)

    def events(  # noqa: PLR0913 - every filter is keyword-only
        self,
        *,
        types: Sequence[str] = (),
        pipeline_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
        newest: bool = False,
    ) -> list[Event]:
        """Events in time order (ties in the order they were recorded), the first ``limit``.

        ``newest`` takes the last ``limit`` instead (still returned oldest first): what a
        person reading the log wants, while the default keeps paging from the start working.
        Filters: ``types`` (any of them), one pipeline, ``since`` (inclusive) and ``until``
        (exclusive). Unknown types or pipelines match nothing here; the CLI refuses them
        first (:func:`interlock.events.catalog_names`, :meth:`spec`).
        """
        return self.store.list_events(
            types=types,
            pipeline_id=pipeline_id,
            since=since,
            until=until,
            limit=limit,
            newest=newest,
        )

    def count_events(
        self,
        *,
        types: Sequence[str] = (),
        pipeline_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many events :meth:`events` would find with these filters and no limit."""
        return self.store.count_events(
            types=types, pipeline_id=pipeline_id, since=since, until=until
        )

    def readings(
        self, key: str, *, pipeline_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The newest accepted readings of ``key``, newest first, at most ``limit``.

        ``pipeline_id`` None means the shared readings of ``key``. Each row is the stored
        history row (:class:`interlock.schemas.ReadingOut`); unknown keys have none.
        """
        return self.store.reading_history(key, pipeline_id=pipeline_id, limit=limit)

    @property
    def database(self) -> str:
        """The database URL with any password hidden, for messages."""
        return self.store.display_url

    # Running -----------------------------------------------------------------------------

    def controller(
        self, settings: ControllerSettings | None = None, *, sink: Sink | None = None
    ) -> Controller:
        """A controller over this installation's store and job backends.

        ``sink`` is told what each applied decision did (``serve`` renders it as its log).
        """
        return Controller(
            self.store,
            self.specs,
            JobRunner(self.store, self._backends),
            clock=self.clock,
            settings=settings,
            sink=sink,
            checks=self.check_runner(),
        )

    def serve(self, settings: ControllerSettings | None = None) -> Controller:
        """Run the controller loop until it is stopped (returns the stopped controller)."""
        controller = self.controller(settings)
        controller.serve()
        return controller
