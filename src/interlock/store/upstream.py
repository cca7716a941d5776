"""What a downstream decision knows of its upstreams: ``UpstreamState`` loaded from ``runs``.

``decide()`` is pure, so the controller loads, for a run of a pipeline with ``dependsOn``,
what each upstream's runs of the mapped partitions are doing (one query per upstream, the
partitions in one ``IN`` list, found by the decision core's own rule
:func:`~interlock.decide.dependencies.needed_partitions`, which the wake index inverts),
the upstream's latest final run for a ``latest`` entry, and — for the SLA-at-risk
prediction only, since it costs queries no other decision needs — expected durations and
the same view one level further up, recursively, for upstreams that have not started.

Pipelines without ``dependsOn`` never come here (the caller checks ``spec.depends_on``), so
they pay nothing.

One upstream success can wake a thousand downstreams, all decided in the same few rounds
and all asking for the same upstream rows. An :class:`~interlock.abc.UpstreamCache` kept
for one controller round answers them from one query. Reusing it is safe because the round
is short and a change cannot slip past it: the controller forgets a pipeline's entries as
soon as it applies one of that pipeline's decisions, and when another process settles an
upstream run, it wakes the downstream runs in that same transaction. That moves their
version, so a decision taken on the cached view is dropped at ``apply`` and taken again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from interlock.abc import UpstreamCache
from interlock.decide.cascade import cascades_downstream
from interlock.decide.dependencies import needed_partitions
from interlock.model import RunState
from interlock.model.dependencies import FINAL_UPSTREAM_STATES, UpstreamRun, UpstreamState
from interlock.model.desired import listed_values
from interlock.model.durations import median_duration
from interlock.model.specs import PipelineSpec
from interlock.store import schema as t

__all__ = ["EXPECTED_DURATION_SAMPLES", "MAX_DEPTH", "load_upstream"]

MAX_DEPTH = 20
"""How many levels up the recursive view goes at most (a guard; cycles are refused at load)."""

EXPECTED_DURATION_SAMPLES = 10
"""Successful attempts whose median is a pipeline's expected duration."""

_NOT_STARTED = frozenset({RunState.PENDING, RunState.WAITING})

_r = t.runs.c
_a = t.attempts.c
_RUN_COLUMNS = (_r.partition, _r.state, _r.attempt, _r.body, _r.explanation)

_MAPPED_RUNS = sa.select(*_RUN_COLUMNS).where(
    _r.pipeline_id == sa.bindparam("b_pipeline"),
    _r.partition.in_(sa.bindparam("b_partitions", expanding=True)),
)

_UNDATED_READINGS = sa.select(t.readings.c.scope, t.readings.c.key, t.readings.c.data).where(
    t.readings.c.key.in_(sa.bindparam("b_keys", expanding=True)),
    t.readings.c.scope.in_(sa.bindparam("b_scopes", expanding=True)),
    t.readings.c.partition == "",
)
"""The lists dynamic dimensions read: the undated readings of their sensors, the upstreams'
own and shared ones, for every upstream of one level in one query."""

_LATEST_FINAL = (
    sa.select(*_RUN_COLUMNS)
    .where(
        _r.pipeline_id == sa.bindparam("b_pipeline"),
        _r.state.in_([s.value for s in sorted(FINAL_UPSTREAM_STATES)]),
    )
    .order_by(_r.partition.desc())
    .limit(1)
)
"""``latest``: the newest partition whose run is in a final state (not the most recently
finished one: an old partition rerun does not become the upstream's latest data)."""

_LAST_SUCCESSES = (
    sa.select(_a.launched_at, _a.finished_at)
    .where(
        _a.pipeline_id == sa.bindparam("b_pipeline"),
        _a.state == "succeeded",
        _a.finished_at.is_not(None),
        _a.launched_at.is_not(None),
    )
    .order_by(_a.finished_at.desc())
    .limit(EXPECTED_DURATION_SAMPLES)
)


def load_upstream(  # noqa: PLR0913 - the run, the loaded pipelines, two keyword options
    conn: Connection,
    spec: PipelineSpec,
    partition: str,
    specs: Mapping[str, PipelineSpec],
    *,
    recursive: bool | None = None,
    cache: UpstreamCache | None = None,
) -> dict[str, UpstreamState]:
    """One :class:`UpstreamState` per upstream of ``spec``, for its run of ``partition``.

    ``specs`` are the loaded pipelines (an upstream missing from it gets ``spec`` None and
    costs no query). ``recursive`` None goes further up (and loads expected durations) only
    when ``spec`` has an SLA deadline, the one decision that predicts along the chain; True
    always does. Then ``spec``'s own expected duration comes too, under its own id (the
    decision core's convention: a pipeline never depends on itself). ``cache`` shares the
    rows read with the other decisions of a round.
    """
    if spec.depends_on is None:
        return {}
    deep = recursive if recursive is not None else bool(spec.sla and spec.sla.deadline)
    loader = _Loader(conn=conn, specs=specs, deep=deep, cache=cache or UpstreamCache())
    found = dict(loader.load(spec, (partition,), 0, frozenset()))
    if deep and spec.id not in found:
        found[spec.id] = UpstreamState(spec=spec, expected_duration=loader.expected(spec))
    return found


@dataclass
class _Loader:
    conn: Connection
    specs: Mapping[str, PipelineSpec]
    deep: bool
    cache: UpstreamCache
    _memo: dict[tuple[str, tuple[str, ...]], dict[str, UpstreamState]] = field(default_factory=dict)

    def load(
        self, spec: PipelineSpec, partitions: Sequence[str], depth: int, path: frozenset[str]
    ) -> dict[str, UpstreamState]:
        """The upstreams of ``spec``'s runs of ``partitions`` (one partition at the top)."""
        key = (spec.id, tuple(partitions))
        if key in self._memo:  # a diamond reaches the same pipeline twice
            return self._memo[key]
        needed: dict[str, tuple[list[str], bool]] = {}
        dynamic = self._dynamic_values(spec)
        for partition in partitions:  # the decision core's own rule, for each partition
            for upstream_id, (parts, latest) in needed_partitions(
                spec, partition, self.specs, dynamic
            ).items():
                wanted, wants_latest = needed.setdefault(upstream_id, ([], False))
                wanted.extend(p for p in parts if p not in wanted)
                needed[upstream_id] = (wanted, wants_latest or latest)
        found = {
            upstream_id: replace(
                self._one(spec, upstream_id, wanted, wants_latest=latest, depth=depth, path=path),
                dimension_values=dynamic.get(upstream_id, {}),
            )
            for upstream_id, (wanted, latest) in sorted(needed.items())
        }
        self._memo[key] = found
        return found

    def _dynamic_values(self, spec: PipelineSpec) -> dict[str, dict[str, list[str]]]:
        """Upstream id → its dynamic dimensions' values, for ``{all: X}`` entries that need them.

        Only entries whose dimension is dynamic in the upstream cost anything: one query for
        every such upstream of ``spec``. An upstream's own reading of the list wins over a
        shared one, as in the reconciler's view of the same list.
        """
        wanted: dict[str, dict[str, tuple[str, str]]] = {}  # upstream → dimension → (key, field)
        for dep in spec.depends_on.dependencies if spec.depends_on else ():
            upstream = self.specs.get(dep.pipeline)
            name = dep.partition.dimension
            declared = upstream.partitions if upstream is not None else None
            dimension = declared.dimension(name) if declared and name else None
            if dimension is not None and dimension.sensor is not None:
                wanted.setdefault(dep.pipeline, {})[name or ""] = (
                    dimension.sensor,
                    dimension.field or "",
                )
        if not wanted:
            return {}
        keys = sorted({key for dims in wanted.values() for key, _ in dims.values()})
        params = {"b_keys": keys, "b_scopes": ["", *sorted(wanted)]}
        rows = self.conn.execute(_UNDATED_READINGS, params)
        data = {(row.scope, row.key): row.data for row in rows}
        return {
            upstream_id: {
                name: listed_values(
                    data.get((upstream_id, key), data.get(("", key), {})).get(field)
                )
                for name, (key, field) in dims.items()
            }
            for upstream_id, dims in wanted.items()
        }

    def _one(  # noqa: PLR0913 - one upstream of one level
        self,
        spec: PipelineSpec,
        upstream_id: str,
        wanted: list[str],
        *,
        wants_latest: bool,
        depth: int,
        path: frozenset[str],
    ) -> UpstreamState:
        upstream = self.specs.get(upstream_id)
        if upstream is None:
            return UpstreamState(spec=None)
        runs = self._runs(upstream_id, wanted) if wanted else {}
        latest = self._latest(upstream_id) if wants_latest else None
        further: dict[str, UpstreamState] = {}
        if (
            self.deep
            and upstream.depends_on is not None
            and depth + 1 < MAX_DEPTH
            and upstream_id not in path
            and any(p not in runs or runs[p].state in _NOT_STARTED for p in wanted)
        ):
            further = self.load(upstream, wanted, depth + 1, path | {spec.id})
        return UpstreamState(
            spec=upstream,
            runs=runs,
            latest=latest,
            expected_duration=self.expected(upstream) if self.deep else None,
            upstream=further,
        )

    def _runs(self, pipeline_id: str, partitions: list[str]) -> dict[str, UpstreamRun]:
        def read() -> dict[str, UpstreamRun]:
            params = {"b_pipeline": pipeline_id, "b_partitions": partitions}
            return {
                row.partition: _upstream_run(pipeline_id, row)
                for row in self.conn.execute(_MAPPED_RUNS, params)
            }

        return self.cache.get(pipeline_id, ("runs", *partitions), read)

    def _latest(self, pipeline_id: str) -> UpstreamRun | None:
        def read() -> UpstreamRun | None:
            row = self.conn.execute(_LATEST_FINAL, {"b_pipeline": pipeline_id}).first()
            return _upstream_run(pipeline_id, row) if row is not None else None

        return self.cache.get(pipeline_id, ("latest",), read)

    def expected(self, spec: PipelineSpec) -> timedelta | None:
        """Median of the last successful attempts, else ``sla.expectedDuration``, else None."""

        def read() -> timedelta | None:
            rows = self.conn.execute(_LAST_SUCCESSES, {"b_pipeline": spec.id}).all()
            took = [row.finished_at - row.launched_at for row in rows]
            declared = spec.sla.expected_duration if spec.sla else None
            return median_duration(took) if took else declared

        return self.cache.get(spec.id, ("expected",), read)


def _upstream_run(pipeline_id: str, row: Any) -> UpstreamRun:
    """An upstream run from its row: the columns, the body's two times, its stored words.

    The message is what it waits for if anything (``count 50 gte 1000 is false``), else
    its summary: the words ``explain`` shows for it, so both read the same.
    """
    body: Mapping[str, Any] = row.body
    explanation = row.explanation if isinstance(row.explanation, Mapping) else {}
    return UpstreamRun(
        pipeline_id=pipeline_id,
        partition=row.partition,
        state=RunState(row.state),
        attempt=row.attempt,
        launched_at=_time(body.get("launched_at")),
        finished_at=_time(body.get("finished_at")),
        message=str(explanation.get("waitingFor") or explanation.get("summary") or ""),
        cascades=cascades_downstream(
            str(body.get("attempt_reason") or ""),
            [str(r.get("reason", "")) for r in body.get("reruns") or () if isinstance(r, Mapping)],
        ),
    )


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None
