"""Helpers for the store's ``dependsOn`` tests: specs built in code, runs put in any state.

The store never parses YAML (it indexes the specs it is given), so these tests build
:class:`PipelineSpec` values directly and store a placeholder document. A run is put in a
state with the store's own insert (and ``watch_until`` set like ``apply`` would), and an
upstream run is brought to rest by applying a settled decision, exactly as the controller does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from interlock.model import Decision, Explanation, OpenedBy, Run, RunState
from interlock.model.conditions import Rule
from interlock.model.dependencies import (
    Dependency,
    DependsOnSpec,
    MappingKind,
    PartitionMapping,
)
from interlock.model.specs import JobSpec, PipelineSpec, ScheduleSpec, SlaSpec, TriggerSpec
from interlock.store import schema as t
from interlock.store.sqlalchemy import SqlStore

BEFORE = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
"""When the runs were planned: a woken run is due at the apply time, not at this."""
LATER = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
"""Every planned run's own timer: far enough that only a wake makes it due now."""
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

SAME = PartitionMapping()
LATEST = PartitionMapping(kind=MappingKind.LATEST)
ALL_HOURS = PartitionMapping(kind=MappingKind.ALL)


def offset(hours: int) -> PartitionMapping:
    """``{offset: ...}`` in hours (``-24`` is ``-1d``)."""
    return PartitionMapping(kind=MappingKind.OFFSET, offset=timedelta(hours=hours))


def pipeline(
    pipeline_id: str,
    *needs: str | tuple[str, PartitionMapping],
    cron: str | None = "0 8 * * *",
    trigger: bool = False,
    timezone: str = "UTC",
    version: int = 1,
    sla: SlaSpec | None = None,
) -> PipelineSpec:
    """A pipeline with ``allOf`` on ``needs`` (an id, or an id and its mapping)."""
    entries = tuple(
        Dependency(pipeline=n, partition=SAME)
        if isinstance(n, str)
        else Dependency(pipeline=n[0], partition=n[1])
        for n in needs
    )
    schedule = ScheduleSpec(
        cron=cron,
        timezone=timezone,
        trigger=TriggerSpec(condition=Rule(key="go", check="exists")) if trigger else None,
    )
    return PipelineSpec(
        id=pipeline_id,
        schedule=schedule,
        job=JobSpec(type="mock"),
        depends_on=DependsOnSpec(all_of=entries) if entries else None,
        sla=sla,
        config_hash=f"{pipeline_id}-v{version}",
        source=f"{pipeline_id}.yaml",
    )


def sync(store: SqlStore, *specs: PipelineSpec, now: datetime = BEFORE) -> None:
    """Store ``specs`` as ``interlock apply`` would (the document is not read by the store)."""
    store.sync_pipelines(list(specs), {s.id: f"# {s.id}" for s in specs}, now)


def put_run(
    store: SqlStore,
    pipeline_id: str,
    partition: str,
    state: RunState = RunState.PENDING,
    *,
    watch_until: datetime | None = None,
    attempt: int = 0,
    summary: str = "",
    waiting_for: str = "",
    launched_at: datetime | None = None,
    finished_at: datetime | None = None,
) -> None:
    """A run in ``state``, next due at :data:`LATER` (a wake is what makes it due sooner)."""
    run = Run(
        pipeline_id=pipeline_id,
        partition=partition,
        state=state,
        created_at=BEFORE,
        opened_by=OpenedBy.SCHEDULE,
        next_check_at=LATER,
        attempt=attempt,
        launched_at=launched_at,
        finished_at=finished_at,
    )
    with store.engine.begin() as conn:
        store._runs.insert(conn, [run], BEFORE)
        values: dict[str, object] = {"watch_until": watch_until}
        if summary:
            explained = Explanation(summary=summary, waiting_for=waiting_for)
            values["explanation"] = explained.to_dict()
        conn.execute(
            t.runs.update()
            .where(t.runs.c.pipeline_id == pipeline_id, t.runs.c.partition == partition)
            .values(**values)
        )


def settle(
    store: SqlStore,
    spec: PipelineSpec,
    partition: str,
    state: RunState = RunState.SUCCEEDED,
    *,
    now: datetime = NOW,
    settled: bool = True,
) -> bool:
    """Bring ``spec``'s run of ``partition`` to ``state`` with a decision, as the loop does."""
    run = store.get_run(spec.id, partition)
    if run is None:
        put_run(store, spec.id, partition, RunState.RUNNING, attempt=1)
        run = store.get_run(spec.id, partition)
        assert run is not None
    done = replace(run, state=state, attempt=max(run.attempt, 1), finished_at=now)
    decision = Decision(
        run=done, explanation=Explanation(summary=state.value.lower()), settled=settled
    )
    return store.apply(decision, spec, owner="test", now=now)


def due_now(store: SqlStore, now: datetime = NOW) -> set[tuple[str, str]]:
    """Every run due exactly at ``now``: the ones a wake at ``now`` made due."""
    r = t.runs.c
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(r.pipeline_id, r.partition).where(r.next_check_at == now))
        return {(row.pipeline_id, row.partition) for row in rows}
