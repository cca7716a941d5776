"""Tests for interlock.jobs.mock and the backend registry in interlock.jobs."""

from __future__ import annotations

import pytest

import interlock.jobs
from interlock.errors import JobPermanentError, JobTemporaryError
from interlock.jobs import (
    CommandBackend,
    HttpBackend,
    JobRequest,
    JobStatus,
    MockBackend,
    backend_for,
)


def request(attempt: int = 1) -> JobRequest:
    """A launch request for attempt ``attempt`` of one daily run."""
    return JobRequest(
        pipeline_id="p",
        partition="2026-11-22",
        attempt=attempt,
        attempt_id=f"p/2026-11-22/{attempt}",
        config={},
    )


def test_default_handler_reports_succeeded():
    """Without a handler every launched job has succeeded."""
    backend = MockBackend()
    handle = backend.launch(request())
    assert backend.status(handle, request()) == JobStatus(state="succeeded")
    assert handle.backend == "mock"


def test_launch_is_idempotent_per_attempt():
    """Launching an attempt twice records it once and returns the same handle."""
    backend = MockBackend()
    first = backend.launch(request(1))
    again = backend.launch(request(1))
    backend.launch(request(2))
    assert first == again
    assert [r.attempt for r in backend.launches] == [1, 2]


def test_handler_may_return_a_plain_state_string():
    """A handler returning "failed" or "running" is accepted."""
    backend = MockBackend(lambda r: "failed" if r.attempt == 1 else "running")
    assert backend.status(backend.launch(request(1)), request(1)).state == "failed"
    assert backend.status(backend.launch(request(2)), request(2)).state == "running"


def test_handler_may_return_a_full_status():
    """A JobStatus from the handler is passed through unchanged."""
    status = JobStatus(state="failed", category="PERMANENT", message="bad code")
    backend = MockBackend(lambda _: status)
    assert backend.status(backend.launch(request()), request()) is status


def test_unknown_state_string_is_rejected():
    """A typo in a test's state string fails loudly."""
    backend = MockBackend(lambda _: "success")
    with pytest.raises(ValueError, match="unknown job state 'success'"):
        backend.status(backend.launch(request()), request())


def test_handler_errors_propagate():
    """A handler raising JobTemporaryError simulates an unreachable backend."""

    def unreachable(_: JobRequest) -> str:
        raise JobTemporaryError("down", delay=5)

    backend = MockBackend(unreachable)
    with pytest.raises(JobTemporaryError, match="down"):
        backend.status(backend.launch(request()), request())


def test_set_status_overrides_the_handler():
    """set_status changes one attempt's status; others still ask the handler."""
    backend = MockBackend(lambda _: "running")
    first = backend.launch(request(1))
    second = backend.launch(request(2))
    backend.set_status(first.attempt_id, "succeeded")
    assert backend.status(first, request(1)).state == "succeeded"
    assert backend.status(second, request(2)).state == "running"


def test_on_launch_may_fail_the_launch():
    """An on_launch hook that raises leaves no launch recorded."""

    def refuse(_: JobRequest) -> None:
        raise JobTemporaryError("throttled")

    backend = MockBackend(on_launch=refuse)
    with pytest.raises(JobTemporaryError):
        backend.launch(request())
    assert backend.launches == []
    assert backend.find(request()) is None


def test_find_returns_the_handle_only_after_launch():
    """Find answers None before the launch and the handle after it."""
    backend = MockBackend()
    assert backend.find(request()) is None
    handle = backend.launch(request())
    assert backend.find(request()) == handle


def test_status_of_an_unknown_attempt_is_an_error():
    """Polling a handle this backend never launched is a test bug, reported clearly."""
    other = MockBackend().launch(request())
    with pytest.raises(JobPermanentError, match="never launched"):
        MockBackend().status(other, request())


def test_backend_for_builds_each_known_type(tmp_path):
    """The registry maps command, http and mock to their backends, passing options on."""
    command = backend_for("command", state_dir=tmp_path)
    http = backend_for("http", retries=0)
    assert isinstance(command, CommandBackend)
    assert command.state_dir == tmp_path
    assert isinstance(http, HttpBackend)
    assert isinstance(backend_for("mock"), MockBackend)
    http.close()


def test_backend_for_unknown_type_lists_the_known_ones():
    """An unknown job.type is a permanent error naming every known type."""
    with pytest.raises(
        JobPermanentError, match="unknown job type 'glue'; known: command, http, mock"
    ):
        backend_for("glue")


def test_public_names_are_exported():
    """Every name in __all__ exists, and the backends are among them."""
    for name in interlock.jobs.__all__:
        assert hasattr(interlock.jobs, name), name
    assert {"CommandBackend", "HttpBackend", "MockBackend", "backend_for"} <= set(
        interlock.jobs.__all__
    )
