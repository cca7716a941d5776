"""What the loop gathers and keeps for one claimed run: signals read, provenance, a batch.

Small pure helpers of :mod:`interlock.controller.loop`, kept apart so the loop reads as
the round it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from interlock.abc import AttemptLaunched, DecisionToApply
from interlock.model import (
    JobReported,
    LaunchFailed,
    LaunchRecorded,
    LaunchUnknown,
    ReadingSet,
    Run,
    Signal,
)

__all__ = [
    "Decided",
    "answers_job",
    "answers_launch",
    "consumed",
    "earliest",
    "recorded_launch",
]


@dataclass(frozen=True)
class Decided:
    """A decision taken this round, waiting for its batch to commit."""

    item: DecisionToApply
    run: Run
    """The run as claimed (what the serve log compares the decision with)."""
    exit_heard: bool
    """An exit notice for its attempt was among the inputs: forgotten once this commits."""


def earliest(*moments: datetime | None) -> datetime | None:
    """The first of the moments that are known; None if none is."""
    known = [m for m in moments if m is not None]
    return min(known) if known else None


def consumed(run: Run, readings: ReadingSet, partition: str) -> dict[str, int | list[str] | None]:
    """A launch's provenance: the reading history rows it saw, the upstream attempts matched.

    ``upstream_seen`` is frozen at launch (the decision core sets it), so this is exactly
    what the attempt consumed: what a later rerun of one of them is compared against.
    """
    inputs: dict[str, int | list[str] | None] = {
        k: r.ref for k, r in readings.view(partition).items()
    }
    for label, attempts in run.upstream_seen.items():
        inputs[f"upstream:{label}"] = list(attempts)
    return inputs


def recorded_launch(signals: list[Signal], run: Run) -> AttemptLaunched | None:
    """The job-log update for a launch handle among ``signals`` (e.g. found by recovery)."""
    recorded = next(
        (s for s in signals if isinstance(s, LaunchRecorded) and s.attempt == run.attempt), None
    )
    if recorded is None:
        return None
    return AttemptLaunched(attempt_id=run.attempt_id, handle=recorded.handle, at=recorded.at)


def answers_launch(signals: list[Signal], run: Run) -> bool:
    """Whether ``signals`` say what became of the current attempt's launch."""
    kinds = (LaunchRecorded, LaunchFailed, LaunchUnknown, JobReported)
    return any(isinstance(s, kinds) and s.attempt == run.attempt for s in signals)


def answers_job(signals: list[Signal], run: Run) -> bool:
    """Whether ``signals`` already tell how the current attempt's job ended (no poll needed)."""
    return any(
        isinstance(s, JobReported) and s.attempt == run.attempt and s.status != "running"
        for s in signals
    )
