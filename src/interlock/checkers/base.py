"""The checker boundary: look at the world for some partitions, say what was observed.

A checker kind is tiny, like a job backend::

    check(request) -> CheckResult     observe, for the partitions asked (or undated)

``request.partitions`` lists the partitions that matter now (open runs, the desired range
within the horizon), each with its template variables already expanded into
``request.configs[partition]``. A *bulk* kind (``sql``) answers many partitions from one
query and may return observations for partitions not asked (they are recorded too); a
*per-partition* kind (``path``, ``http``, ``command``) is called once per partition by the
runner, with one entry in ``partitions``. ``partitions == (None,)`` means an undated check.

Errors: raise :class:`CheckError` with a one-line message (secrets redacted by the caller
through ``request.redact``); anything else raised is a bug and is reported as one. A check
never raises for "not there yet": that is an observation (``exists: false``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from interlock.errors import InterlockError
from interlock.jobs.templates import redact

__all__ = ["CheckError", "CheckRequest", "CheckResult", "Checker", "CheckerFactory", "Observation"]


class CheckError(InterlockError):
    """A check could not observe (connection refused, timeout, bad output): not a pass."""


@dataclass(frozen=True)
class Observation:
    """What a checker saw for one partition (None: undated), as a reading's data."""

    partition: str | None
    data: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class CheckRequest:
    """One check: the checker's key, the partitions asked, and each one's expanded config."""

    key: str
    pipeline_id: str | None
    partitions: Sequence[str | None]
    configs: Mapping[str | None, Mapping[str, Any]]
    """The checker's config with templates expanded, per partition asked."""
    timeout_seconds: float
    secrets: frozenset[str] = frozenset()

    def redact(self, value: Any) -> Any:
        """``value`` with the environment values expanded into the config masked."""
        return redact(value, self.secrets)


@dataclass(frozen=True)
class CheckResult:
    """The observations of one check (partitions with nothing to say may be left out)."""

    observations: Sequence[Observation] = field(default=())


@runtime_checkable
class Checker(Protocol):
    """A checker kind's instance, built once per :class:`SensorCheckSpec` config."""

    bulk: bool
    """True when one call answers every partition asked (``sql``); False: one per partition."""

    def check(self, request: CheckRequest) -> CheckResult:
        """Observe; raise :class:`CheckError` when the world cannot be looked at."""
        ...

    def close(self) -> None:
        """Release connections and clients."""
        ...


CheckerFactory = Callable[[Mapping[str, Any]], Checker]
"""Builds a checker from its config as written; raises ``ConfigError``/``InputError`` for a
config it cannot use (checked at ``validate``/``apply`` time, not at the first check)."""
