"""The broker interface: a counter of notifications that a controller can sleep on.

A counter, not an event, so a notification sent while the controller was busy (between
reading :attr:`Broker.count` and calling :meth:`Broker.wait`) is not lost. A broker only
shortens sleeps: the controller also wakes at least every ``max_sleep`` seconds and at the
next due time, so a lost or late notification delays work, never loses it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["Broker"]


@runtime_checkable
class Broker(Protocol):
    """Wake-ups from writers to the controller loop.

    Usage, in the loop::

        seen = broker.count      # before looking for work
        ...                      # claim, decide, apply
        broker.wait(seen, timeout)

    Implementations are thread-safe: writers call :meth:`notify` from any thread.
    """

    @property
    def count(self) -> int:
        """Notifications seen so far by this broker; pass it to :meth:`wait` as ``seen``.

        Only compared for inequality: it may start anywhere and is never reset.
        """
        ...

    def notify(self) -> None:
        """Wake every waiter; called after a write that made work due has committed.

        Never blocks and never raises for lack of waiters. Called after the commit, so a
        woken controller always sees the write.
        """
        ...

    def wait(self, seen: int, timeout: float | None) -> bool:
        """Block until a notification after ``seen`` arrives, or ``timeout`` seconds pass.

        :param seen: a :attr:`count` read earlier; returns at once if it has moved since.
        :param timeout: seconds to wait at most; None waits for a notification.
        :returns: True if notified, False on timeout.
        """
        ...
