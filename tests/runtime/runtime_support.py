"""Support for end-to-end tests: a real SQLite store, the real controller, a fake clock.

The job backend is the public :class:`interlock.jobs.MockBackend` unless a test needs a
real process; nothing sleeps: tests move the :class:`FakeClock` and run the controller until
nothing is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.controller.loop import Controller
from interlock.jobs import MockBackend
from interlock.model import Event, Run

GOLD = """
pipeline: {id: gold-revenue}
schedule:
  cron: "0 8 * * *"
  timezone: UTC
  trigger: {key: upstream-complete, check: equals, field: status, value: ready}
  evaluation: {window: 1h, interval: 5m}
sla: {deadline: "10:00", expectedDuration: 30m}
validation:
  trigger: ALL
  rules:
    - {key: upstream-complete, check: equals, field: status, value: ready}
    - {key: row-count, check: gte, field: count, value: 1000}
job:
  type: mock
  maxRetries: 1
  pollInterval: 1m
  jobPollWindowSeconds: 7200
postRun:
  rules: [{key: row-count, check: gte, field: count, value: 1000}]
  driftField: count
  driftThreshold: 10
"""


def at(clock: str, day: str = "2026-11-23") -> datetime:
    """``at("08:05")`` → 2026-11-23T08:05Z."""
    return datetime.fromisoformat(f"{day}T{clock}:00+00:00").astimezone(UTC)


@dataclass
class World:
    """One Interlock installation under test."""

    il: Interlock
    clock: FakeClock
    backend: MockBackend
    controller: Controller
    statuses: dict[str, str]

    def step(self, clock: str | datetime, day: str = "2026-11-23") -> None:
        """Move the clock (firing every timer on the way, in order) and settle."""
        target = clock if isinstance(clock, datetime) else at(clock, day)
        while True:
            self.controller.run_until_idle()
            due = self.il.store.next_due_at()
            if due is None or due > target:
                break
            self.clock.set(max(due, self.clock.now()))
        self.clock.set(target)
        self.controller.run_until_idle()

    def put(self, key: str, pipeline: str = "gold-revenue", **data: object) -> None:
        """A sensor writes ``data`` now, then the controller settles."""
        self.il.put_reading(pipeline, key, data)
        self.controller.run_until_idle()

    def events(self, pipeline: str | None = None) -> list[Event]:
        """Every stored event, in time order."""
        return self.il.store.list_events(pipeline_id=pipeline)

    def types(self, pipeline: str | None = None) -> list[str]:
        """Stored event types in order, without RUN_OPENED."""
        return [e.type for e in self.events(pipeline) if e.type != "RUN_OPENED"]

    def run(self, partition: str = "2026-11-23", pipeline: str = "gold-revenue") -> Run:
        """The stored run."""
        run = self.il.store.get_run(pipeline, partition)
        assert run is not None
        return run


def finish(world: World, attempt_id: str, state: str, when: str) -> None:
    """The mock job ``attempt_id`` reaches ``state``; the next poll at ``when`` sees it."""
    world.statuses[attempt_id] = state
    world.step(when)
