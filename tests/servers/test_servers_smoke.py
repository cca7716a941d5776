"""The real Airflow 3 and Prefect 3 behave as Interlock's backends will assume, via plain httpx.

These pin down the REST facts a backend depends on (auth, trigger bodies, status codes,
state names, idempotency, cancellation), so a server upgrade that changes one fails here,
not inside a backend test. Each test prints its run's timeline (``pytest -s`` shows it):
state@seconds since the trigger request.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import harness
import httpx
import pytest
from servers_support import observe_for, poll_all, poll_until

pytestmark = pytest.mark.servers

AIRFLOW_TERMINAL = {"success", "failed"}
PREFECT_TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


# --------------------------------------------------------------------------- Airflow


@pytest.fixture
def airflow(airflow_server: harness.AirflowServer) -> Iterator[httpx.Client]:
    """A client of the REST API v2 holding a JWT from ``POST /auth/token``."""
    response = httpx.post(
        airflow_server.token_url,
        json={"username": airflow_server.username, "password": airflow_server.password},
    )
    assert response.status_code == 201, response.text
    token = response.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=airflow_server.api_url, headers=headers, timeout=10) as client:
        yield client


def trigger(client: httpx.Client, dag_id: str, run_id: str, **extra: object) -> httpx.Response:
    """``POST /dags/{dag_id}/dagRuns`` as Interlock will: our run id, no logical date."""
    return client.post(
        f"/dags/{dag_id}/dagRuns", json={"dag_run_id": run_id, "logical_date": None, **extra}
    )


def dag_run_state(client: httpx.Client, dag_id: str, run_id: str) -> str:
    """The run's ``state``: queued, running, success or failed."""
    response = client.get(f"/dags/{dag_id}/dagRuns/{run_id}")
    assert response.status_code == 200, response.text
    return str(response.json()["state"])


def new_run_id(label: str) -> str:
    """A run id (or idempotency key) no earlier test used: the server keeps every run."""
    return f"interlock-smoke-{label}-{uuid.uuid4().hex[:8]}"


def test_airflow_token_is_required_and_issued(airflow_server: harness.AirflowServer) -> None:
    """No token: 401. Wrong password: 401. Right one: 201 and a JWT (three dot-separated parts)."""
    print(f"\nairflow ready in {airflow_server.startup_seconds:.1f}s")  # noqa: T201 - measured
    assert httpx.get(f"{airflow_server.api_url}/dags").status_code == 401
    wrong = httpx.post(
        airflow_server.token_url, json={"username": airflow_server.username, "password": "x"}
    )
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "Invalid credentials"}
    token = airflow_server.token()
    assert token.count(".") == 2
    listed = httpx.get(f"{airflow_server.api_url}/dags", headers=airflow_server.headers())
    assert listed.status_code == 200
    assert {d["dag_id"] for d in listed.json()["dags"]} >= set(airflow_server.dag_ids)


def test_airflow_trigger_needs_logical_date_null(
    airflow: httpx.Client, airflow_server: harness.AirflowServer
) -> None:
    """Airflow 3 rejects a trigger body without ``logical_date`` (422); null is accepted."""
    response = airflow.post(f"/dags/{airflow_server.dag_ok}/dagRuns", json={"conf": {}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "logical_date"]


def test_airflow_run_succeeds_and_its_run_id_is_unique(
    airflow: httpx.Client, airflow_server: harness.AirflowServer
) -> None:
    """A triggered run goes queued -> running -> success; the same dag_run_id again is 409."""
    dag_id, run_id = airflow_server.dag_ok, new_run_id("ok")
    started = time.monotonic()
    response = trigger(airflow, dag_id, run_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["dag_run_id"], body["state"], body["logical_date"]) == (run_id, "queued", None)
    timeline = poll_until(
        lambda: dag_run_state(airflow, dag_id, run_id),
        AIRFLOW_TERMINAL,
        started=started,
        timeout=90,
    )
    print(f"\nairflow {dag_id}: {timeline}")  # noqa: T201 - the measured latencies
    assert timeline.last == "success", airflow_server.logs()
    assert "running" in timeline.states

    again = trigger(airflow, dag_id, run_id)
    assert again.status_code == 409
    assert again.json()["detail"]["reason"] == "Unique constraint violation"


def test_airflow_run_fails(airflow: httpx.Client, airflow_server: harness.AirflowServer) -> None:
    """interlock_fail's run ends ``failed`` (its task raised; no retries)."""
    dag_id, run_id = airflow_server.dag_fail, new_run_id("fail")
    started = time.monotonic()
    assert trigger(airflow, dag_id, run_id).status_code == 200
    timeline = poll_until(
        lambda: dag_run_state(airflow, dag_id, run_id),
        AIRFLOW_TERMINAL,
        started=started,
        timeout=90,
    )
    print(f"\nairflow {dag_id}: {timeline}")  # noqa: T201 - the measured latencies
    assert timeline.last == "failed", airflow_server.logs()


def test_airflow_run_of_a_paused_dag_stays_queued(
    airflow: httpx.Client, airflow_server: harness.AirflowServer
) -> None:
    """Triggering a paused DAG is accepted (200, queued) but nothing runs until unpaused."""
    dag_id, run_id = airflow_server.dag_ok, new_run_id("paused")
    airflow_server.set_paused(dag_id, paused=True)
    try:
        started = time.monotonic()
        response = trigger(airflow, dag_id, run_id)
        assert response.status_code == 200, response.text
        assert response.json()["state"] == "queued"
        held = observe_for(lambda: dag_run_state(airflow, dag_id, run_id), 4, started=started)
        print(f"\nairflow {dag_id} paused: {held}")  # noqa: T201 - what a paused run shows
        assert held.states == ["queued"]
    finally:
        airflow_server.set_paused(dag_id, paused=False)
    timeline = poll_until(
        lambda: dag_run_state(airflow, dag_id, run_id),
        AIRFLOW_TERMINAL,
        started=started,
        timeout=90,
    )
    assert timeline.last == "success", airflow_server.logs()


# --------------------------------------------------------------------------- Prefect


@pytest.fixture
def prefect(prefect_server: harness.PrefectServer) -> Iterator[httpx.Client]:
    """A client of the Prefect REST API with basic auth."""
    with httpx.Client(
        base_url=prefect_server.api_url, auth=prefect_server.auth, timeout=10
    ) as client:
        yield client


def flow_run_state(client: httpx.Client, flow_run_id: str) -> str:
    """The flow run's ``state_type``: SCHEDULED, PENDING, RUNNING, COMPLETED, FAILED, ..."""
    response = client.get(f"/flow_runs/{flow_run_id}")
    assert response.status_code == 200, response.text
    return str(response.json()["state_type"])


def post_through_busy(client: httpx.Client, url: str, body: object) -> httpx.Response:
    """POST, again after a moment if Prefect answers 503 (its SQLite is busy under load)."""
    for _ in range(10):
        response = client.post(url, json=body)
        if response.status_code != 503:
            return response
        time.sleep(0.5)
    return response


def test_prefect_requires_basic_auth(prefect_server: harness.PrefectServer) -> None:
    """Every route but the health check answers 401 without the auth string."""
    print(f"\nprefect ready in {prefect_server.startup_seconds:.1f}s")  # noqa: T201 - measured
    api = prefect_server.api_url
    health = httpx.get(f"{api}/health")
    assert (health.status_code, health.json()) == (200, True)
    url = f"{api}/deployments/{prefect_server.deployment_ok}"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, auth=(prefect_server.username, "wrong")).status_code == 401
    deployment = httpx.get(url, auth=prefect_server.auth)
    assert deployment.status_code == 200
    assert deployment.json()["status"] == "READY"


def test_prefect_runs_complete_and_fail_and_are_idempotent(
    prefect: httpx.Client, prefect_server: harness.PrefectServer
) -> None:
    """create_flow_run: 201 SCHEDULED; same idempotency_key again: 200, the same run."""
    started = time.monotonic()
    runs = {}
    for label, deployment_id in (
        ("ok", prefect_server.deployment_ok),
        ("fail", prefect_server.deployment_fail),
    ):
        key = new_run_id(label)
        url = f"/deployments/{deployment_id}/create_flow_run"
        created = post_through_busy(prefect, url, {"idempotency_key": key})
        assert created.status_code == 201, created.text
        assert created.json()["state_type"] == "SCHEDULED"
        repeated = post_through_busy(prefect, url, {"idempotency_key": key})
        assert repeated.status_code == 200
        assert repeated.json()["id"] == created.json()["id"]
        runs[label] = created.json()["id"]
    timelines = poll_all(
        {label: lambda run=run: flow_run_state(prefect, run) for label, run in runs.items()},
        PREFECT_TERMINAL,
        started=started,
        timeout=60,
    )
    for label, timeline in timelines.items():
        print(f"\nprefect interlock-{label}: {timeline}")  # noqa: T201 - measured latencies
    assert timelines["ok"].last == "COMPLETED", prefect_server.logs()
    assert timelines["fail"].last == "FAILED", prefect_server.logs()
    assert "RUNNING" in timelines["ok"].states
    failed = prefect.get(f"/flow_runs/{runs['fail']}").json()["state"]
    assert failed["name"] == "Failed"
    assert "interlock-fail fails on purpose" in failed["message"]


def test_prefect_cancel_a_running_run(
    prefect: httpx.Client, prefect_server: harness.PrefectServer
) -> None:
    """Setting CANCELLING on a running run is accepted; the serving process ends it CANCELLED."""
    created = post_through_busy(
        prefect,
        f"/deployments/{prefect_server.deployment_ok}/create_flow_run",
        {"parameters": {"seconds": 120}},
    )
    assert created.status_code == 201, created.text
    run = created.json()["id"]
    poll_until(
        lambda: flow_run_state(prefect, run), {"RUNNING"}, started=time.monotonic(), timeout=60
    )
    started = time.monotonic()
    cancel = prefect.post(f"/flow_runs/{run}/set_state", json={"state": {"type": "CANCELLING"}})
    assert cancel.status_code == 201, cancel.text
    assert cancel.json()["status"] == "ACCEPT"
    timeline = poll_until(
        lambda: flow_run_state(prefect, run), PREFECT_TERMINAL, started=started, timeout=60
    )
    print(f"\nprefect cancel: {timeline}")  # noqa: T201 - measured latencies
    assert timeline.last == "CANCELLED", prefect_server.logs()
    assert timeline.states[0] == "CANCELLING"
