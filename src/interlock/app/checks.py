"""The facade's side of state checkers: ``sensor check``, ``sensors``, ``explain``'s note.

``explain`` adds a note when a key its rules read comes from a checker whose last check
failed.

Checks themselves run in the controller (:class:`~interlock.controller.checks.CheckRunner`,
started by ``serve``); this part only builds that runner, runs one check on request without
recording anything, and reads the status the runner stored (so it works from any process).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from interlock.abc import Store
from interlock.config import load_sensors, shared_sensors_dir
from interlock.controller.checks import CheckRunner
from interlock.controller.clock import Clock
from interlock.errors import InputError, did_you_mean
from interlock.model.checkers import CheckerStatus, SensorCheckSpec
from interlock.model.limits import check_partition
from interlock.model.specs import PipelineSpec

__all__ = ["CheckerRow", "Checks", "WouldRecord", "stale_note"]


@dataclass(frozen=True)
class WouldRecord:
    """One observation of ``interlock sensor check``, and whether the runner would record it."""

    partition: str | None
    data: Mapping[str, Any]
    changed: bool
    """True when it differs from the stored reading (or none is stored)."""


@dataclass(frozen=True)
class CheckerRow:
    """One checker as ``interlock sensors`` lists it: its config and its last check."""

    label: str
    pipeline_id: str | None
    key: str
    kind: str
    every: timedelta
    status: CheckerStatus | None
    """None: it never ran (against this database)."""


class _Installation(Protocol):
    """What the checker commands need of the facade they are part of."""

    store: Store
    clock: Clock

    @property
    def shared_checks(self) -> tuple[SensorCheckSpec, ...]: ...

    def spec(self, pipeline_id: str) -> PipelineSpec: ...

    def specs(self) -> Mapping[str, PipelineSpec]: ...

    def check_runner(self) -> CheckRunner: ...


class Checks:
    """``sensor check``, ``sensors`` and the checker part of ``explain``."""

    pipelines_path: Path | None = None

    @functools.cached_property
    def shared_checks(self) -> tuple[SensorCheckSpec, ...]:
        """Checkers of no pipeline (the project's ``sensors/*.yaml``); their readings are shared.

        Read from disk beside the pipelines folder this installation serves, as ``apply``
        validates them (they are not stored: a controller serves its own project's). Read
        once per installation: ``explain`` asks for them on every call.
        """
        if self.pipelines_path is None:
            return ()
        folder = shared_sensors_dir(self.pipelines_path)
        return load_sensors(folder) if folder is not None else ()

    def check_runner(self: _Installation) -> CheckRunner:
        """The runner of every checker of this installation (``serve`` starts it)."""
        return CheckRunner(self.store, self.specs, self.clock, shared=self.shared_checks)

    def sensor_check(
        self: _Installation, pipeline_id: str, key: str, partition: str | None = None
    ) -> list[WouldRecord]:
        """Run the checker of ``key`` in ``pipeline_id`` (``shared``: a shared one) now.

        Nothing is recorded: the result says what it saw and what the runner would record.
        ``partition`` asks that partition only; without it, the partitions that matter now.

        :raises InputError: no such checker (with the ones there are) or a bad partition.
        :raises CheckError: the check failed (one line, secrets masked).
        """
        runner = self.check_runner()
        owner = None if pipeline_id == "shared" else pipeline_id
        if owner is not None:
            self.spec(owner)  # an unknown pipeline says so, with a did-you-mean
        check = runner.find(owner, key)
        if check is None:
            known = [c.key for c in runner.checks() if c.pipeline_id == owner]
            raise InputError(
                f"{pipeline_id} has no checker for {key!r}{did_you_mean(key, known)}"
                f" (its checkers: {', '.join(known) or 'none'})",
                field="KEY",
            )
        now = self.clock.now()
        asked = None if partition is None else [check_partition(partition)]
        try:
            seen = runner.observe(check, now, asked)
            due = {id(o) for o in runner.changed(check, seen, now)}
        finally:
            runner.stop()  # closes the checker (connections, clients)
        return [WouldRecord(o.partition, o.data, id(o) in due) for o in seen]

    def sensors(self: _Installation) -> list[CheckerRow]:
        """Every checker with its last check, pipelines' first (by label), then shared ones."""
        statuses = self.store.checker_statuses()
        checks = self.check_runner().checks()
        return [
            CheckerRow(c.label, c.pipeline_id, c.key, c.kind, c.every, statuses.get(c.label))
            for c in sorted(checks, key=lambda c: (c.pipeline_id is None, c.label))
        ]

    def failing_checks(self: _Installation, spec: PipelineSpec) -> list[str]:
        """A note for each key ``spec``'s rules read whose checker's last check failed."""
        keys = spec.sensor_keys
        wanted = [c for c in (*spec.sensors, *self.shared_checks) if c.key in keys]
        if not wanted:
            return []
        statuses = self.store.checker_statuses()
        now = self.clock.now()
        notes = []
        for check in wanted:
            status = statuses.get(check.label)
            if status is not None and status.failing:
                notes.append(stale_note(check.key, status, now))
        return notes


def stale_note(key: str, status: CheckerStatus, now: datetime) -> str:
    """``output: last checked 40 min ago, connection refused`` (its last good check too)."""
    good = (
        "never worked" if status.last_ok_at is None else f"last good {_ago(status.last_ok_at, now)}"
    )
    error = status.last_error or "failed"
    return f"{key}: last checked {_ago(status.last_run_at, now)}, {error} ({good})"


def _ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"
