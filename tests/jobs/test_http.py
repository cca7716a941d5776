"""Tests for interlock.jobs.http against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from interlock.errors import (
    JobOutcomeUnknownError,
    JobPermanentError,
    JobTemporaryError,
)
from interlock.jobs import HttpBackend, JobRequest

ATTEMPT_ID = "gold/2026-11-22T08/1"


@pytest.fixture
def backend() -> Iterator[HttpBackend]:
    """A backend with fast retries and a client that ignores proxy settings."""
    client = httpx.Client(trust_env=False)
    yield HttpBackend(client=client, retries=2, base_delay=0.01, max_delay=0.02)
    client.close()


def request(partition: str = "2026-11-22T08", **config: Any) -> JobRequest:
    """A launch request with ``config`` as the job config."""
    return JobRequest(
        pipeline_id="gold", partition=partition, attempt=1, attempt_id=ATTEMPT_ID, config=config
    )


def test_retries_a_5xx_then_succeeds_synchronously(server, backend):
    """A 500 is retried; the 200 makes the synchronous job succeeded, keyed on the attempt."""
    server.answer("/run", (500, "busy"), (200, {"accepted": True}))
    job = request(url=f"{server.url}/run")
    handle = backend.launch(job)
    assert [s.headers["idempotency-key"] for s in server.seen] == [ATTEMPT_ID, ATTEMPT_ID]
    status = backend.status(handle, job)
    assert status.state == "succeeded"
    assert status.output["response"] == '{"accepted": true}'


def test_default_body_carries_par_day_and_par_hour(server, backend):
    """An empty body becomes the Go date body, sent as JSON."""
    server.answer("/run", (200, {}))
    backend.launch(request(url=f"{server.url}/run", body={}))
    seen = server.seen[0]
    assert (seen.method, seen.body) == ("POST", {"par_day": "20261122", "par_hour": "08"})
    assert seen.headers["content-type"] == "application/json"


def test_daily_partition_body_has_no_hour(server, backend):
    """A daily partition sends only par_day."""
    server.answer("/run", (200, {}))
    backend.launch(request(partition="2026-11-22", url=f"{server.url}/run"))
    assert server.seen[0].body == {"par_day": "20261122"}


def test_configured_method_headers_and_body_are_sent(server, backend):
    """method, headers and a JSON body from the config reach the server."""
    server.answer("/run", (201, {}))
    config: dict[str, Any] = {
        "method": "put",
        "headers": {"X-Team": "gold"},
        "body": {"full": [1, 2]},
    }
    backend.launch(request(url=f"{server.url}/run", **config))
    seen = server.seen[0]
    assert (seen.method, seen.body, seen.headers["x-team"]) == ("PUT", {"full": [1, 2]}, "gold")


def test_persistent_5xx_is_a_temporary_error_after_the_retries(server, backend):
    """After 1 + retries attempts a 5xx becomes JobTemporaryError."""
    server.answer("/run", (503, "maintenance"))
    with pytest.raises(JobTemporaryError, match=r"HTTP 503 after 3 tries: maintenance"):
        backend.launch(request(url=f"{server.url}/run"))
    assert len(server.seen) == 3


def test_4xx_is_permanent_and_not_retried(server, backend):
    """A 404 fails the launch permanently with the code and a body excerpt, in one request."""
    server.answer("/run", (404, {"error": "no such job"}))
    with pytest.raises(JobPermanentError, match=r"HTTP 404: .*no such job"):
        backend.launch(request(url=f"{server.url}/run"))
    assert len(server.seen) == 1


def test_429_is_temporary_with_the_retry_after_delay(server, backend):
    """Throttling is temporary, and Retry-After becomes the error's delay."""
    server.answer("/run", (429, "slow down"))
    with pytest.raises(JobTemporaryError) as caught:
        backend.launch(request(url=f"{server.url}/run"))
    assert caught.value.delay == 7.0


def test_network_error_is_temporary(backend):
    """A refused connection is retried, then reported as JobTemporaryError."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(JobTemporaryError, match="after 3 tries"):
        backend.launch(request(url=f"http://127.0.0.1:{port}/run"))


def test_status_url_polls_until_succeeded_with_auth_headers(server, backend):
    """The statusUrl is filled from the launch response and polled with the configured headers."""
    server.answer("/run", (200, {"run": {"id": "r 42"}}))
    server.answer("/runs/r%2042", (200, {"status": "RUNNING"}), (200, {"status": "SUCCEEDED"}))
    config: dict[str, Any] = {
        "url": f"{server.url}/run",
        "headers": {"Authorization": "Bearer t0ken"},
        "statusUrl": f"{server.url}/runs/${{response:run.id}}",
    }
    job = request(**config)
    handle = backend.launch(job)
    running = backend.status(handle, job)
    done = backend.status(handle, job)
    assert (running.state, running.message) == ("running", "status='RUNNING'")
    assert done.state == "succeeded"
    polls = server.seen[1:]
    assert [p.method for p in polls] == ["GET", "GET"]
    assert {p.headers["authorization"] for p in polls} == {"Bearer t0ken"}


def test_plain_field_placeholder_in_status_url(server, backend):
    """``${id}`` works as a short form of ``${response:id}``."""
    server.answer("/run", (200, {"id": 7}))
    server.answer("/runs/7", (200, {"status": "done"}))
    job = request(url=f"{server.url}/run", statusUrl=f"{server.url}/runs/${{id}}")
    handle = backend.launch(job)
    assert backend.status(handle, job).state == "succeeded"


def test_failure_value_fails_the_job(server, backend):
    """A status value in failureValues is a TRANSIENT failure."""
    server.answer("/run", (200, {}))
    server.answer("/status", (200, {"state": {"phase": "ERROR"}}))
    config = {"statusUrl": f"{server.url}/status", "statusField": "state.phase"}
    job = request(url=f"{server.url}/run", **config)
    handle = backend.launch(job)
    status = backend.status(handle, job)
    assert (status.state, status.category, status.message) == (
        "failed",
        "TRANSIENT",
        "state.phase='ERROR'",
    )


def test_custom_success_values(server, backend):
    """A successValues list replaces the default list."""
    server.answer("/run", (200, {}))
    server.answer("/status", (200, {"status": "GREEN"}))
    config: dict[str, Any] = {"statusUrl": f"{server.url}/status", "successValues": ["GREEN"]}
    job = request(url=f"{server.url}/run", **config)
    handle = backend.launch(job)
    assert backend.status(handle, job).state == "succeeded"


def test_status_url_field_missing_from_the_launch_response_is_an_unknown_outcome(server, backend):
    """A 2xx launch without the field statusUrl needs: the job may run, so never relaunch."""
    server.answer("/run", (200, {"other": 1}))
    job = request(url=f"{server.url}/run", statusUrl=f"{server.url}/r/${{id}}")
    with pytest.raises(JobOutcomeUnknownError, match="needs id from the launch response"):
        backend.launch(job)


def test_a_launch_response_that_is_not_json_is_said_at_launch(server, backend):
    """Gzip without Content-Encoding (or HTML) at launch: said then, not at the first poll."""
    server.answer("/run", (200, "\x1f\x8b not json"))
    job = request(url=f"{server.url}/run", statusUrl=f"{server.url}/r/${{response:id}}")
    with pytest.raises(JobOutcomeUnknownError, match="the response is not JSON"):
        backend.launch(job)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param((502, "bad gateway"), "HTTP 502", id="5xx"),
        pytest.param((404, "no such run"), "HTTP 404", id="4xx"),
        pytest.param((200, "<html>"), "not JSON", id="not-json"),
    ],
)
def test_unreadable_poll_is_temporary(server, backend, answer, message):
    """A poll that cannot be read leaves the state unknown: JobTemporaryError, not a failure."""
    server.answer("/run", (200, {}))
    server.answer("/status", answer)
    job = request(url=f"{server.url}/run", statusUrl=f"{server.url}/status")
    handle = backend.launch(job)
    with pytest.raises(JobTemporaryError, match=message):
        backend.status(handle, job)


def test_relaunch_and_find_in_the_same_process(server, backend):
    """A known attempt is answered from memory: one request, find returns the handle."""
    server.answer("/run", (200, {}))
    job = request(url=f"{server.url}/run")
    handle = backend.launch(job)
    assert backend.launch(job) == handle
    assert backend.find(job) == handle
    assert len(server.seen) == 1


def test_find_unknown_attempt_cannot_tell(backend):
    """After a restart an http backend cannot know; it says so with NotImplementedError."""
    with pytest.raises(NotImplementedError):
        backend.find(request(url="http://127.0.0.1:1/run"))


def test_handle_data_is_json(server, backend):
    """Handle data survives a JSON round trip (it is stored with the attempt)."""
    server.answer("/run", (200, {"id": 1}))
    config = {"url": f"{server.url}/run", "statusUrl": f"{server.url}/s/${{id}}"}
    job = request(**config)
    handle = backend.launch(job)
    assert json.loads(json.dumps(dict(handle.data))) == dict(handle.data)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param({}, "job.config.url", id="no-url"),
        pytest.param({"url": "ftp://x"}, "job.config.url", id="not-http"),
        pytest.param({"url": "http://x", "timeout": "soon"}, "job.config.timeout", id="timeout"),
        pytest.param({"url": "http://x", "headers": ["a"]}, "job.config.headers", id="headers"),
        pytest.param({"url": "http://x", "statusUrl": 5}, "job.config.statusUrl", id="status-url"),
        pytest.param(
            {"url": "http://x", "statusUrl": "http://x", "successValues": "ok"},
            "job.config.successValues",
            id="values",
        ),
    ],
)
def test_invalid_config_is_permanent(backend, config, message):
    """Config mistakes fail the launch with the key named, before any request."""
    with pytest.raises(JobPermanentError, match=message):
        backend.launch(request(**config))


def test_default_client_is_owned_and_closed():
    """Without a client the backend creates one and closes it in close()."""
    backend = HttpBackend()
    backend.close()
    assert backend._client.is_closed


def test_configured_idempotency_key_is_replaced_by_the_attempt_id(server, backend):
    """The attempt id is always the Idempotency-Key, whatever the config says."""
    server.answer("/run", (200, {}))
    backend.launch(request(url=f"{server.url}/run", headers={"idempotency-key": "mine"}))
    assert server.seen[0].headers["idempotency-key"] == ATTEMPT_ID


@pytest.mark.parametrize(
    "partition",
    [
        pytest.param("2026-11-22|campaign=a\r\nX-Injected: 1", id="crlf"),
        pytest.param("2026-11-22|campaign=a\nb", id="lf"),
        pytest.param("2026-11-22|campaign=a\x00b", id="nul"),
        pytest.param("2026-11-22|campaign=café", id="non-ascii"),
    ],
)
def test_an_illegal_idempotency_key_is_permanent_and_never_sent(server, backend, partition):
    """A partition no header may carry fails the launch for good, naming the header, unsent."""
    server.answer("/run", (200, {}))
    job = JobRequest(
        pipeline_id="gold",
        partition=partition,
        attempt=1,
        attempt_id=f"gold/{partition}/1",
        config={"url": f"{server.url}/run"},
    )
    with pytest.raises(JobPermanentError, match=r"^Idempotency-Key \(the attempt id .*\): holds "):
        backend.launch(job)
    assert server.seen == []


def test_a_configured_header_with_crlf_is_permanent_and_names_the_header(server, backend):
    """A header value expanded to hold CR/LF is a permanent launch error; the value is not shown."""
    server.answer("/run", (200, {}))
    job = request(url=f"{server.url}/run", headers={"X-Partition": "s3cret\r\nX-Injected: 1"})
    with pytest.raises(
        JobPermanentError, match=r"^job\.config\.headers\.X-Partition: holds '\\r'"
    ) as caught:
        backend.launch(job)
    assert "s3cret" not in str(caught.value)
    assert server.seen == []


def test_an_invalid_header_name_is_permanent(server, backend):
    """A header name that is not an HTTP token fails the launch before any request."""
    with pytest.raises(JobPermanentError, match="'X Team' is not a valid header name"):
        backend.launch(request(url=f"{server.url}/run", headers={"X Team": "gold"}))
    assert server.seen == []


def test_a_poll_whose_headers_became_illegal_fails_permanently(server, backend):
    """A poll that can never be sent (its header now holds LF) fails the job instead of retrying."""
    server.answer("/run", (200, {"id": 1}))
    config: dict[str, Any] = {"url": f"{server.url}/run", "statusUrl": f"{server.url}/s/${{id}}"}
    handle = backend.launch(request(**config))
    status = backend.status(handle, request(**config, headers={"Authorization": "a\nb"}))
    assert (status.state, status.category) == ("failed", "PERMANENT")
    assert "job.config.headers.Authorization" in status.message
    assert len(server.seen) == 1


def secret_request(token: str, url: str, **config: Any) -> JobRequest:
    """A request whose config holds ``token`` as a value expanded from the environment."""
    return JobRequest(
        pipeline_id="gold",
        partition="2026-11-22",
        attempt=1,
        attempt_id=ATTEMPT_ID,
        config={"url": url, **config},
        secrets=frozenset({token}),
    )


def test_the_handle_masks_secrets_and_a_poll_uses_the_current_real_url(server, backend):
    """The stored handle shows ``***``; the poll rebuilds statusUrl with the rotated token."""
    server.answer("/run?key=first-k3y", (200, {"id": "r1"}))
    server.answer("/runs/r1?key=second-k3y", (200, {"status": "done"}))
    status_url = f"{server.url}/runs/${{response:id}}?key="
    first = secret_request("first-k3y", f"{server.url}/run?key=first-k3y")
    handle = backend.launch(
        replace(first, config={**first.config, "statusUrl": f"{status_url}first-k3y"})
    )
    stored = json.dumps(dict(handle.data))
    assert "first-k3y" not in stored
    assert "?key=***" in stored
    second = secret_request(
        "second-k3y", f"{server.url}/run?key=second-k3y", statusUrl=f"{status_url}second-k3y"
    )
    assert backend.status(handle, second).state == "succeeded"
    assert [s.path for s in server.seen] == ["/run?key=first-k3y", "/runs/r1?key=second-k3y"]


def test_httpx_log_lines_mask_the_secrets_of_the_request(server, backend, caplog):
    """The httpx logger shows every URL at INFO; while we send, the secrets are masked."""
    caplog.set_level(logging.INFO, logger="httpx")
    server.answer("/run?key=l0g-k3y", (200, {}))
    backend.launch(secret_request("l0g-k3y", f"{server.url}/run?key=l0g-k3y"))
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(lines) == 1
    assert "/run?key=*** " in lines[0]
