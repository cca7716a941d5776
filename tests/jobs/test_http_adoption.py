"""The http backend keeps one server run per attempt: 409 adoption, find(), refusals, states.

Against the scripted real HTTP server on 127.0.0.1 (``tests/jobs/http_server.py``). The
status URLs name the attempt by its own id, ``${runKey}``, as an Airflow DAG run would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from http_server import Server

from interlock.errors import JobOutcomeUnknownError, JobPermanentError, JobRefusedError
from interlock.jobs import HttpBackend, JobRequest
from interlock.jobs.templates import run_key

ATTEMPT_ID = "export/2026-11-22/1"
KEY = run_key(ATTEMPT_ID)


@pytest.fixture
def backend() -> Iterator[HttpBackend]:
    """A backend without retry delays and a client that ignores proxy settings."""
    client = httpx.Client(trust_env=False)
    yield HttpBackend(client=client, retries=0)
    client.close()


def request(server: Server, **config: Any) -> JobRequest:
    """An attempt whose run is ``/runs/<runKey>`` on the server."""
    base: dict[str, Any] = {
        "url": f"{server.url}/runs",
        "body": {"run_id": KEY},
        "headers": {"Authorization": "Bearer t0ken"},
        "statusUrl": f"{server.url}/runs/{KEY}",
        "statusField": "state",
        "successValues": ["success"],
        "failureValues": ["failed"],
    }
    return JobRequest(
        pipeline_id="export",
        partition="2026-11-22",
        attempt=1,
        attempt_id=ATTEMPT_ID,
        config={**base, **config},
    )


def test_a_409_on_the_attempts_own_id_is_adopted_and_polled(server, backend):
    """The run already exists (a crash, or a 5xx that still created it): poll it, no 2nd run."""
    server.answer("/runs", (409, {"detail": "already exists"}))
    server.answer(f"/runs/{KEY}", (200, {"state": "success"}))
    job = request(server)
    handle = backend.launch(job)
    assert handle.data["adopted"] is True
    assert backend.status(handle, job).state == "succeeded"
    assert [s.method for s in server.seen] == ["POST", "GET"]


def test_a_409_is_a_failure_when_configured_so(server, backend):
    """``onConflict: fail`` keeps the old reading of a 409."""
    server.answer("/runs", (409, {"detail": "already exists"}))
    with pytest.raises(JobPermanentError, match="HTTP 409"):
        backend.launch(request(server, onConflict="fail"))


def test_a_409_that_cannot_be_followed_is_an_unknown_outcome(server, backend):
    """A status URL that needs the launch response cannot follow an adopted run: raise."""
    server.answer("/runs", (409, {"detail": "already exists"}))
    job = request(server, statusUrl=f"{server.url}/runs/${{response:id}}")
    with pytest.raises(JobOutcomeUnknownError, match="put \\$\\{runKey\\} in it"):
        backend.launch(job)


@pytest.mark.parametrize(
    ("answer", "found"),
    [
        pytest.param((404, {"detail": "not found"}), False, id="never-launched-404"),
        pytest.param((200, {"state": "running"}), True, id="launched-before-the-crash"),
    ],
)
def test_find_looks_the_attempt_up_by_its_status_url(server, backend, answer, found):
    """After a restart: 404 means launch it now (same attempt), 2xx means adopt that run."""
    server.answer(f"/runs/{KEY}", answer)
    handle = backend.find(request(server))
    assert (handle is not None) is found
    assert server.seen[0].headers["authorization"] == "Bearer t0ken"


def test_find_with_an_idempotent_launch_resends(server, backend):
    """``idempotentLaunch``: the server deduplicates, so find() says launch again."""
    assert backend.find(request(server, idempotentLaunch=True)) is None
    assert server.seen == []


def test_find_cannot_tell_when_only_the_launch_response_names_the_run(server, backend):
    """Neither lookup nor a safe resend: the controller raises INFRA_FAILURE."""
    job = request(server, statusUrl=f"{server.url}/runs/${{response:id}}")
    with pytest.raises(NotImplementedError, match="runKey"):
        backend.find(job)


def test_refused_launch_names_the_credential(server, backend):
    """A 401 on launch is JobRefusedError (AUTH: never retried with the same credentials)."""
    server.answer("/runs", (401, {"detail": "bad token"}))
    with pytest.raises(JobRefusedError, match=r"check job\.config\.headers\.Authorization"):
        backend.launch(request(server))


def test_refused_poll_is_a_refusal_not_running(server, backend):
    """A 403 on a status poll is JobRefusedError; the controller reports and counts it."""
    server.answer("/runs", (200, {}))
    server.answer(f"/runs/{KEY}", (403, {"detail": "forbidden"}))
    job = request(server)
    handle = backend.launch(job)
    with pytest.raises(JobRefusedError, match="HTTP 403"):
        backend.status(handle, job)


@pytest.mark.parametrize(
    ("config", "value", "expected"),
    [
        pytest.param({}, "cancelled", ("failed", "CANCELLED", "", False), id="cancelled-default"),
        pytest.param(
            {"failureValues": {"failed": "TRANSIENT", "upstream_failed": "PERMANENT"}},
            "upstream_failed",
            ("failed", "PERMANENT", "", False),
            id="failure-value-with-its-category",
        ),
        pytest.param(
            {"queuedValues": ["queued"], "runningValues": ["running"]},
            "queued",
            ("running", None, "queued", False),
            id="queued-is-running-in-phase-queued",
        ),
        pytest.param(
            {"queuedValues": ["queued"], "runningValues": ["running"]},
            "deferred",
            ("running", None, "", True),
            id="a-state-no-list-names-is-unrecognised",
        ),
        pytest.param({}, "deferred", ("running", None, "", False), id="lenient-without-lists"),
    ],
)
def test_status_values_map_to_states_categories_and_phases(
    server, backend, config, value, expected
):
    """Each configured status value means a state, a failure category or a phase."""
    server.answer("/runs", (200, {}))
    server.answer(f"/runs/{KEY}", (200, {"state": value}))
    job = request(server, **config)
    status = backend.status(backend.launch(job), job)
    assert (status.state, status.category, status.phase, status.unrecognised) == expected
    assert status.value == value


def test_a_5xx_that_still_created_the_run_then_a_409_is_one_run(server):
    """The retried launch meets its own run (409): adopted, not failed, not relaunched."""
    client = httpx.Client(trust_env=False)
    retrying = HttpBackend(client=client, retries=1, base_delay=0.01, max_delay=0.01)
    server.answer("/runs", (502, "gateway timeout, but the run was created"), (409, {}))
    server.answer(f"/runs/{KEY}", (200, {"state": "success"}))
    job = request(server)
    handle = retrying.launch(job)
    assert handle.data["adopted"] is True
    assert retrying.status(handle, job).state == "succeeded"
    assert [s.method for s in server.seen] == ["POST", "POST", "GET"]
    client.close()
