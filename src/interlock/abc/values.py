"""The value types that cross the store interfaces (:mod:`interlock.abc`).

Frozen dataclasses and aliases, no behaviour beyond what a value needs; the protocols that
use them are in the package's ``__init__``. Kept apart so that the contracts read as a list
of methods.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from interlock.model import Decision, Run, RunState, Signal
from interlock.model.specs import Pause, PipelineSpec

__all__ = [
    "AttemptInputs",
    "AttemptLaunched",
    "AttemptOutcome",
    "AttemptRecord",
    "AttemptUpdate",
    "Claim",
    "DecisionToApply",
    "LaunchAnswer",
    "PartitionRows",
    "ReadingInput",
    "StoredPipeline",
    "SyncReport",
    "UpstreamCache",
]

_T = TypeVar("_T")


@dataclass(frozen=True, kw_only=True)
class ReadingInput:
    """One reading as a sensor sends it (not yet validated).

    ``pipeline_id`` None means a shared reading: visible to every pipeline whose rules name
    ``key``. ``partition`` may also come from a key suffix or the ``date``/``hour`` fields.
    """

    key: str
    data: Any
    pipeline_id: str | None = None
    partition: str | None = None


@dataclass(frozen=True, kw_only=True)
class StoredPipeline:
    """The current config of one pipeline as stored."""

    id: str
    version: int
    config_hash: str
    source: str
    document: str
    updated_at: datetime
    paused: Pause | None = None
    """Operational state kept beside the config (``interlock pause``); None when running."""


@dataclass(frozen=True, kw_only=True)
class SyncReport:
    """What ``sync_pipelines`` changed."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AttemptRecord:
    """One row of the job log."""

    attempt_id: str
    pipeline_id: str
    partition: str
    attempt: int
    reason: str
    state: str
    backend: str
    decided_at: datetime
    handle: Mapping[str, Any] | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    launched_at: datetime | None = None
    finished_at: datetime | None = None
    message: str | None = None
    output: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Claim:
    """A leased run, and whether signals wait for it (saves a query when none do)."""

    run: Run
    has_signals: bool


@dataclass(frozen=True, kw_only=True)
class AttemptLaunched:
    """The job log learns a launch's handle late (recovery found it): the attempt runs."""

    attempt_id: str
    """The attempt the fact is about (the claimed run's current one)."""
    handle: Mapping[str, Any]
    at: datetime


@dataclass(frozen=True, kw_only=True)
class AttemptOutcome:
    """A poll found the attempt finished: its final ``state`` and what the backend said.

    ``attempt_id`` names the attempt that was polled. It is not the decided run's current
    attempt when the failure is retried (the decision has moved the run to the next one),
    which is why the fact carries it.
    """

    attempt_id: str
    state: str
    at: datetime
    message: str | None = None
    output: Any = None


AttemptUpdate = AttemptLaunched | AttemptOutcome
"""What :meth:`RunStore.apply` records on the run's current attempt with the decision."""

AttemptInputs = Mapping[str, int | list[str] | None]
"""What a launch consumed, recorded on its attempt (``attempts.inputs``): sensor key → the
reading history id it saw (None: none), and ``upstream:<label>`` → the upstream attempt ids
a ``dependsOn`` entry matched (``listings/2026-11-22/1``)."""


@dataclass(frozen=True)
class PartitionRows:
    """What the store holds about one pipeline's partitions, as the reconciler needs it.

    ``complete`` is the set of partitions whose condition holds (the bulk, kept as bare
    strings); ``incomplete_once`` those that held once and no longer do; ``runs`` the state
    of every run of the pipeline, by partition, and ``timed`` the runs whose times or
    budgets matter (failed ones, for ``retryFailedAfter``; running ones, for
    staleness; succeeded ones whose output went missing, for the heal budget).
    """

    complete: frozenset[str]
    incomplete_once: frozenset[str]
    runs: Mapping[str, RunState]
    timed: Mapping[str, Run]


@dataclass(frozen=True)
class LaunchAnswer:
    """What a backend said to one launch, for :meth:`RunStore.finish_launches`."""

    run: Run
    signal: Signal
    handle: Mapping[str, Any] | None
    """The stored handle; None when the launch failed (``message`` says why)."""
    message: str | None


@dataclass(frozen=True)
class DecisionToApply:
    """One decision for :meth:`RunStore.apply_many`, with what :meth:`RunStore.apply` takes."""

    decision: Decision
    pipeline: PipelineSpec
    signal_ids: Sequence[int] = ()
    launch_lease: timedelta | None = None
    attempt_update: AttemptUpdate | None = None
    inputs: AttemptInputs | None = None


class UpstreamCache:
    """Upstream rows already read in one controller round, by pipeline.

    Why reuse is safe: :mod:`interlock.store.upstream`.
    """

    def __init__(self) -> None:
        self._entries: dict[str, dict[tuple[str, ...], Any]] = {}

    def get(self, pipeline_id: str, key: tuple[str, ...], load: Callable[[], _T]) -> _T:
        """The cached answer for ``key`` of ``pipeline_id``'s rows, else ``load()`` kept."""
        entries = self._entries.setdefault(pipeline_id, {})
        if key not in entries:
            entries[key] = load()
        answer: _T = entries[key]
        return answer

    def forget(self, pipeline_id: str) -> None:
        """``pipeline_id``'s runs changed (a decision of it was applied): read them again."""
        self._entries.pop(pipeline_id, None)
