"""Helpers for users to unit-test their pipeline configs, with the controller's own logic.

Example::

    from interlock.testing import evaluate

    decision = evaluate(
        "pipelines/gold-revenue.yaml",
        {"upstream-complete": {"status": "ready"}, "row-count": {"count": 50}},
        at="2026-11-22T08:05:00Z",
    )
    assert not decision.launches
    assert "count 50 gte 1000 is false" in decision.explanation.waiting_for

:func:`evaluate` answers "would Interlock launch this pipeline now, given these readings?":
it opens the run's evaluation window at ``at`` and calls the same ``decide()`` the
controller calls. For whole timelines (windows, retries, SLA timers) use
:class:`interlock.simulation.Simulation`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from interlock.config import load_pipeline_file, parse_pipeline
from interlock.decide import decide
from interlock.decide.plan import local_partition
from interlock.model import Decision, OpenedBy, Reading, ReadingSet, Run, RunMark, RunState
from interlock.model.specs import PipelineSpec

__all__ = ["evaluate", "load", "parse_time"]


def parse_time(value: datetime | str) -> datetime:
    """An aware datetime from a datetime or an ISO 8601 string (``Z`` allowed)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.utcoffset() is None:
        msg = f"{value!r} has no time zone; add Z or an offset"
        raise ValueError(msg)
    return moment


def load(pipeline: PipelineSpec | Path | str) -> PipelineSpec:
    """A spec from a spec, a YAML file path, or YAML text."""
    if isinstance(pipeline, PipelineSpec):
        return pipeline
    if isinstance(pipeline, Path) or (isinstance(pipeline, str) and "\n" not in pipeline):
        return load_pipeline_file(Path(pipeline))
    return parse_pipeline(pipeline, source="<testing>")


def evaluate(
    pipeline: PipelineSpec | Path | str,
    readings: Mapping[str, Mapping[str, Any]] | Iterable[Reading],
    *,
    at: datetime | str,
    partition: str | None = None,
) -> Decision:
    """Decide whether ``pipeline`` launches at ``at`` given ``readings``.

    :param readings: key → reading data (each taken as arrived at ``at``), or
        :class:`~interlock.model.Reading` values with their own times and partitions.
    :param partition: the run's partition; defaults to today's in the schedule zone.
    """
    spec = load(pipeline)
    now = parse_time(at)
    part = partition or local_partition(spec.schedule.timezone, now)
    if isinstance(readings, Mapping):
        values = [
            Reading(key=k, data=dict(v), updated_at=now, pipeline_id=spec.id)
            for k, v in readings.items()
        ]
    else:
        values = list(readings)
    window = spec.schedule.evaluation.window
    run = Run(
        pipeline_id=spec.id,
        partition=part,
        state=RunState.WAITING,
        created_at=now,
        opened_by=OpenedBy.TESTING,
        opened_at=now,
        window_closes_at=now + window,
        marks=frozenset({RunMark.PLANNED_NEXT}),
    )
    return decide(spec, run, ReadingSet.of(values), now=now)
