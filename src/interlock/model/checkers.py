"""State checkers: sensors Interlock runs itself (``sensors:`` in a pipeline, or shared).

A checker looks at the world — a SQL table, an object in storage, an HTTP endpoint, a
command — and turns what it sees into ordinary readings: the same ledger, wake-ups and rules
as readings a producer pushes; the decision core cannot tell them apart. This module is the
configuration as data (pure); the checkers themselves are in :mod:`interlock.checkers` and
the scheduling in :mod:`interlock.controller.checks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "DEFAULT_HEARTBEAT",
    "DEFAULT_HORIZON",
    "DEFAULT_TIMEOUT",
    "CheckerStatus",
    "SensorCheckSpec",
]

DEFAULT_TIMEOUT = timedelta(seconds=30)
"""How long one check may take before it counts as failed (and is abandoned)."""

DEFAULT_HEARTBEAT = timedelta(hours=1)
"""An unchanged observation is recorded again this often, so its reading does not age out."""

DEFAULT_HORIZON = timedelta(days=35)
"""How far back done partitions are still looked at (self-healing sees deletions there)."""


@dataclass(frozen=True, kw_only=True)
class SensorCheckSpec:
    """One checker: which key it reports, how often, and the kind-specific settings.

    ``kind`` names the checker (``sql``, ``path``, ``http``, ``command``, or one registered
    through the ``interlock.checkers`` entry point); ``config`` is that kind's mapping as
    written (templates such as ``${date}`` and ``${env:NAME}`` are expanded per check).
    ``pipeline_id`` None is a shared checker (``sensors/*.yaml``): its readings are shared
    readings, visible to every pipeline whose rules name ``key``.
    """

    key: str
    kind: str
    every: timedelta
    config: Mapping[str, Any] = field(default_factory=dict)
    pipeline_id: str | None = None
    timeout: timedelta = DEFAULT_TIMEOUT
    heartbeat: timedelta = DEFAULT_HEARTBEAT
    horizon: timedelta = DEFAULT_HORIZON
    concurrency: int = 4
    """Checks of this checker running at once (one per partition, for per-partition kinds)."""
    source: str = ""
    line: int = 0

    @property
    def label(self) -> str:
        """``pipeline/key`` (or ``shared/key``): how CLI output and events name the checker."""
        return f"{self.pipeline_id or 'shared'}/{self.key}"


@dataclass(frozen=True, kw_only=True)
class CheckerStatus:
    """What one checker did last, as ``interlock sensors`` and ``explain`` show it.

    ``failures`` is the length of the current failure streak (0: the last check worked);
    ``last_error`` is the redacted one-line error of the last failed check, kept after a
    recovery so the history of a flaky checker stays visible.
    """

    label: str
    last_run_at: datetime
    last_ok_at: datetime | None = None
    duration_ms: int = 0
    last_error: str | None = None
    failures: int = 0

    @property
    def failing(self) -> bool:
        """True while the last check failed (its key's last good reading ages normally)."""
        return self.failures > 0
