"""The in-process broker: writers and the controller share one Python process.

Writes from other processes (the CLI, another API worker) cannot reach it; the controller
sees them by its ``max_sleep`` poll. That is the scale-out gap a PostgreSQL ``LISTEN/NOTIFY``
broker closes.
"""

from __future__ import annotations

import threading

__all__ = ["LocalBroker"]


class LocalBroker:
    """A counter plus a condition variable (see :class:`interlock.brokers.base.Broker`)."""

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
