"""Support for checker-runner tests: test-only checker kinds, registered like a package's.

:func:`register_kinds` puts a real ``.dist-info`` with an ``interlock.checkers`` entry point
on a tmp ``sys.path`` entry, so the runner finds ``fake-bulk`` and ``fake-each`` through
the same registry path as a third-party kind. The checkers answer from :data:`WORLD`.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.checkers.base import CheckError, CheckRequest, CheckResult, Observation


@dataclass
class FakeWorld:
    """What the fake checkers see, and what they were asked."""

    data: dict[str | None, dict[str, Any]] = field(default_factory=dict)
    default: dict[str, Any] | None = None
    """Data for partitions asked that are not in ``data`` (None: leave them out)."""
    fail: str | None = None
    """When set, every check raises a CheckError with this text."""
    delay: float = 0.0
    calls: list[tuple[str | None, ...]] = field(default_factory=list)
    configs: list[Mapping[str | None, Mapping[str, Any]]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: CheckRequest) -> CheckResult:
        """Observe ``request``'s partitions from :attr:`data`."""
        with self.lock:
            self.calls.append(tuple(request.partitions))
            self.configs.append(request.configs)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            if self.fail is not None:
                raise CheckError(self.fail)
            return CheckResult([self._seen(p) for p in request.partitions if self._knows(p)])
        finally:
            with self.lock:
                self.in_flight -= 1

    def _knows(self, partition: str | None) -> bool:
        return partition in self.data or self.default is not None

    def _seen(self, partition: str | None) -> Observation:
        return Observation(partition, self.data.get(partition, self.default or {}))


WORLD = FakeWorld()


class FakeBulkChecker:
    """A bulk kind: one call answers every partition asked."""

    bulk = True

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    def check(self, request: CheckRequest) -> CheckResult:
        """Answer from the shared fake world."""
        return WORLD.answer(request)

    def close(self) -> None:
        """Nothing to release."""


class FakeEachChecker(FakeBulkChecker):
    """A per-partition kind: called once per partition."""

    bulk = False


@contextmanager
def register_kinds(folder: Path) -> Iterator[FakeWorld]:
    """Register ``fake-bulk`` and ``fake-each`` through a real entry point; reset the world."""
    dist = folder / "fake_checks-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-checks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[interlock.checkers]\n"
        "fake-bulk = checks_support:FakeBulkChecker\n"
        "fake-each = checks_support:FakeEachChecker\n"
    )
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    global WORLD  # noqa: PLW0603 - the checkers are built by the registry, not by the test
    WORLD = FakeWorld()
    try:
        yield WORLD
    finally:
        sys.path.remove(str(folder))
        importlib.invalidate_caches()
