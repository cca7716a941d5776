"""The store interface: everything the controller, CLI and API need from persistence.

One implementation today (:class:`interlock.store.sqlalchemy.SqlStore`, SQLite or
PostgreSQL); the contract is written here so a contract test suite can run over every
backend. All methods are synchronous and thread-safe; every write that changes what is due
wakes the controller through :class:`Broker`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["AttemptRecord", "Broker", "ReadingInput", "StoredPipeline", "SyncReport"]


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


class Broker:
    """In-process wake-ups: a write that makes work due notifies the sleeping controller.

    A counter plus a condition variable, so a notification sent while the controller was
    busy is not lost: ``wait`` returns at once if anything was notified since ``seen``.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count = 0

    def notify(self) -> None:
        """Wake every waiter."""
        with self._cond:
            self._count += 1
            self._cond.notify_all()

    @property
    def count(self) -> int:
        """Notifications so far; pass it to :meth:`wait` as ``seen``."""
        with self._cond:
            return self._count

    def wait(self, seen: int, timeout: float | None) -> bool:
        """Block until a notification after ``seen`` or ``timeout`` seconds; True if notified."""
        with self._cond:
            return self._cond.wait_for(lambda: self._count != seen, timeout=timeout)
