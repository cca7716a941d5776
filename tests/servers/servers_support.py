"""Polling a real server's run state with a deadline, keeping the timeline of what it showed."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

POLL_INTERVAL = 0.2


@dataclass
class Timeline:
    """The states a run showed, each with the seconds since ``started`` it was first seen."""

    started: float
    changes: list[tuple[float, str]] = field(default_factory=list)

    def saw(self, state: str) -> None:
        """Record ``state`` if it differs from the last one seen."""
        if not self.changes or self.changes[-1][1] != state:
            self.changes.append((time.monotonic() - self.started, state))

    @property
    def states(self) -> list[str]:
        """The distinct states in the order seen."""
        return [state for _, state in self.changes]

    @property
    def last(self) -> str:
        """The latest state seen."""
        return self.changes[-1][1]

    def at(self, state: str) -> float:
        """Seconds from ``started`` to the first sight of ``state``."""
        return next(seconds for seconds, seen in self.changes if seen == state)

    def __str__(self) -> str:
        return " -> ".join(f"{state}@{seconds:.2f}s" for seconds, state in self.changes)


def poll_until(
    read: Callable[[], str], until: Collection[str], *, started: float, timeout: float
) -> Timeline:
    """Poll ``read`` until it returns one of ``until``; fail with the timeline on timeout."""
    return poll_all({"run": read}, until, started=started, timeout=timeout)["run"]


def poll_all(
    reads: Mapping[str, Callable[[], str]],
    until: Collection[str],
    *,
    started: float,
    timeout: float,
) -> dict[str, Timeline]:
    """Poll several runs in one loop, so each one's latencies are measured, not queued."""
    timelines = {name: Timeline(started) for name in reads}
    deadline = time.monotonic() + timeout
    while True:
        for name, read in reads.items():
            if not timelines[name].changes or timelines[name].last not in until:
                timelines[name].saw(read())
        if all(timeline.last in until for timeline in timelines.values()):
            return timelines
        if time.monotonic() >= deadline:
            shown = "; ".join(f"{name}: {timeline}" for name, timeline in timelines.items())
            raise AssertionError(f"no {sorted(until)} within {timeout:g}s: {shown}")
        time.sleep(POLL_INTERVAL)


def observe_for(read: Callable[[], str], seconds: float, *, started: float) -> Timeline:
    """Every state ``read`` shows during ``seconds`` (to show that a run does not move)."""
    timeline = Timeline(started)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        timeline.saw(read())
        time.sleep(POLL_INTERVAL)
    return timeline
