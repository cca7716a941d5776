"""Hearing of ``command`` job exits at once: a Unix datagram socket in the jobs folder.

The supervisor of a command job (:mod:`interlock.jobs._runner`) is a separate process that
outlives controllers, so it cannot call the controller; it sends the attempt id as one
datagram to :func:`~interlock.jobs._runner.exit_socket_address` after writing the exit
record. The serving controller binds that address (a restarted one binds it again; a socket
left by a dead one is replaced) and hands each id to a callback on a thread of its own.

A datagram proves nothing — anyone who can write to the folder can send one — so the
callback may only make the run due; the backend's ``status`` (the exit record) decides.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path

from interlock.jobs._runner import exit_socket_address

__all__ = ["ExitListener"]

log = logging.getLogger("interlock.jobs")

_MAX_MESSAGE = 4096
_IDLE_SECONDS = 30.0
"""The longest the listening thread sleeps without a datagram: :meth:`ExitListener.stop`
wakes it with one of its own, so this is only a bound should that datagram be lost."""


class ExitListener:
    """Listens for exit notices of the jobs under ``jobs_dir``; :meth:`stop` ends it."""

    def __init__(self, jobs_dir: Path, on_exit: Callable[[str], None]) -> None:
        self.address = exit_socket_address(jobs_dir)
        self._on_exit = on_exit
        self._stop = threading.Event()
        jobs_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        _remove_stale(self.address)
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._socket.bind(self.address)
        except OSError:
            self._socket.close()
            raise
        self._socket.settimeout(_IDLE_SECONDS)
        self._thread = threading.Thread(target=self._listen, name="interlock-exits", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and remove the socket file (jobs then wait for the next poll)."""
        self._stop.set()
        with (  # an empty datagram wakes the listening thread at once
            contextlib.suppress(OSError),
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as waker,
        ):
            waker.sendto(b"", self.address)
        self._thread.join()
        self._socket.close()
        _remove_stale(self.address)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._socket.recv(_MAX_MESSAGE)
            except TimeoutError:
                continue
            except OSError:  # pragma: no cover - the socket went away under us
                return
            attempt_id = data.decode("utf-8", errors="replace").strip()
            if not attempt_id:
                continue
            try:
                self._on_exit(attempt_id)
            except Exception:  # a failed wake-up only delays the run to its next poll
                log.exception("handling the exit notice of %s failed", attempt_id)


def _remove_stale(address: str) -> None:
    """Unlink a socket file left at ``address`` (never anything that is not a socket)."""
    if address.startswith("\0"):
        return
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(os.lstat(address).st_mode):
            Path(address).unlink()
