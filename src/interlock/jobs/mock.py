"""``MockBackend``: a public, in-memory job backend for tests (like ``httpx.MockTransport``).

Controller and end-to-end tests need a backend whose jobs finish when the test says so, and
users need the same thing to test their pipeline files. A handler function decides each
job's state::

    backend = MockBackend(lambda request: "failed" if request.attempt == 1 else "succeeded")

The handler gets the :class:`~interlock.jobs.base.JobRequest` that was launched and returns a
:class:`~interlock.jobs.base.JobStatus` or just its state string; it may raise
:class:`~interlock.errors.JobTemporaryError` to simulate an unreachable backend.
:meth:`MockBackend.set_status` overrides the handler for one attempt, and ``on_launch`` may
raise to simulate a failed launch. Launches are idempotent per attempt id, as the contract
demands, and every distinct launch is recorded in :attr:`MockBackend.launches`. Thread-safe,
because the controller calls backends from a thread pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pydantic import ConfigDict

from interlock.errors import JobPermanentError
from interlock.jobs.base import JobBackend, JobHandle, JobRequest, JobStatus
from interlock.jobs.schema import JobConfig

__all__ = ["MockBackend", "MockConfig", "StatusHandler"]

StatusHandler = Callable[[JobRequest], JobStatus | str]
"""Decides a mocked job's status from its launch request."""

_PLAIN = {
    "running": JobStatus(state="running"),
    "succeeded": JobStatus(state="succeeded"),
    "failed": JobStatus(state="failed"),
}


class MockConfig(JobConfig):
    """``job.config`` of a ``mock`` job: any keys, as tests like; placeholders are checked."""

    model_config = ConfigDict(extra="allow")


class MockBackend(JobBackend):
    """Records launches in memory; ``handler`` (default: always succeeded) gives statuses."""

    type = "mock"

    def __init__(
        self,
        handler: StatusHandler | None = None,
        *,
        on_launch: Callable[[JobRequest], None] | None = None,
    ) -> None:
        self.handler = handler
        self.on_launch = on_launch
        self.launches: list[JobRequest] = []
        self._requests: dict[str, JobRequest] = {}
        self._overrides: dict[str, JobStatus] = {}
        self._lock = threading.Lock()

    def launch(self, request: JobRequest) -> JobHandle:
        """Record the request, unless this attempt was already launched."""
        with self._lock:
            if request.attempt_id not in self._requests:
                if self.on_launch is not None:
                    self.on_launch(request)
                self._requests[request.attempt_id] = request
                self.launches.append(request)
        return _handle(request.attempt_id)

    def find(self, request: JobRequest) -> JobHandle | None:
        """The handle if the attempt was launched on this backend, else None."""
        with self._lock:
            launched = request.attempt_id in self._requests
        return _handle(request.attempt_id) if launched else None

    def status(self, handle: JobHandle, request: JobRequest) -> JobStatus:  # noqa: ARG002 - answers from what it launched
        """The status set with :meth:`set_status`, else the handler's answer."""
        with self._lock:
            override = self._overrides.get(handle.attempt_id)
            launched = self._requests.get(handle.attempt_id)
        if override is not None:
            return override
        if launched is None:
            raise JobPermanentError(f"attempt {handle.attempt_id!r} was never launched here")
        if self.handler is None:
            return JobStatus(state="succeeded")
        return _as_status(self.handler(launched))

    def set_status(self, attempt_id: str, status: JobStatus | str) -> None:
        """Make ``status`` report ``status`` for this attempt from now on."""
        with self._lock:
            self._overrides[attempt_id] = _as_status(status)


def _handle(attempt_id: str) -> JobHandle:
    return JobHandle(backend=MockBackend.type, attempt_id=attempt_id)


def _as_status(value: JobStatus | str) -> JobStatus:
    if isinstance(value, JobStatus):
        return value
    if value not in _PLAIN:
        raise ValueError(f"unknown job state {value!r}; use one of {', '.join(_PLAIN)}")
    return _PLAIN[value]
