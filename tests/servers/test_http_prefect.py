"""The ``http`` backend through the real controller against a real Prefect 3.

Prefect deduplicates flow runs by ``idempotency_key``: with ``${runKey}`` there and
``idempotentLaunch: true``, a launch sent again after a crash returns the same flow run.
Every case counts the flow runs Prefect holds for the pipeline's attempts (one each).
"""

from __future__ import annotations

import base64
import time
from datetime import datetime
from pathlib import Path

import harness
import httpx
import pytest
from interlock_support import Installation, example, installation, report

from interlock.jobs import templates

pytestmark = pytest.mark.servers

PIPELINE = """
pipeline: {{id: {pipeline}}}
schedule:
  trigger: {{key: go, check: equals, field: ok, value: true}}
job:
  type: http
  pollInterval: 1s
  maxRetries: {retries}
  config:
    url: "{api}/deployments/{deployment}/create_flow_run"
    headers: {{Authorization: "Basic ${{env:PREFECT_BASIC}}"}}
    body: {{idempotency_key: "${{runKey}}", parameters: {{seconds: {seconds}}}}}
    idempotentLaunch: true
    statusUrl: "{api}/flow_runs/${{response:id}}"
    statusField: state_type
    successValues: [COMPLETED]
    failureValues: {{FAILED: TRANSIENT, CRASHED: TRANSIENT}}
    cancelledValues: [CANCELLED]
    queuedValues: [SCHEDULED, PENDING]
    runningValues: [RUNNING, CANCELLING]
"""


@pytest.fixture(autouse=True)
def basic_auth(prefect_server: harness.PrefectServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The basic-auth credential, in the environment the job config reads."""
    encoded = base64.b64encode(prefect_server.auth_string.encode()).decode()
    monkeypatch.setenv("PREFECT_BASIC", encoded)
    monkeypatch.setenv("PREFECT_BASIC_AUTH", encoded)


def document(server: harness.PrefectServer, pipeline: str, deployment: str, **extra: object) -> str:
    """The pipeline YAML for ``deployment``."""
    values = {"retries": 0, "seconds": 1, **extra}
    return PIPELINE.format(pipeline=pipeline, api=server.api_url, deployment=deployment, **values)


def flow_runs(server: harness.PrefectServer, world: Installation) -> list[dict[str, object]]:
    """Prefect's flow runs whose idempotency key is one of the pipeline's first attempts."""
    keys = {templates.run_key(f"{world.pipeline}/{world.partition}/{n}") for n in range(1, 6)}
    response = httpx.post(
        f"{server.api_url}/flow_runs/filter", auth=server.auth, json={"limit": 200}
    )
    response.raise_for_status()
    return [run for run in response.json() if run.get("idempotency_key") in keys]


def seconds(value: object) -> float:
    """A Prefect timestamp as epoch seconds."""
    return datetime.fromisoformat(str(value)).timestamp()


def test_success_one_flow_run(prefect_server, tmp_path: Path) -> None:
    """Reading → one flow run keyed by ${runKey} → COMPLETED → SUCCEEDED."""
    text = document(prefect_server, "pf-ok", prefect_server.deployment_ok)
    with installation(tmp_path, "pf-ok", text) as w:
        written = w.go()
        run = w.settle(until={"SUCCEEDED", "FAILED"})
        assert run.state.value == "SUCCEEDED", w.types()
        (server_run,) = flow_runs(prefect_server, w)
        done = next(e for e in w.events() if e.type == "JOB_COMPLETED")
        report(
            "pf-ok",
            reading_to_server_run=seconds(server_run["created"]) - written,
            server_end_to_event=done.at.timestamp() - seconds(server_run["end_time"]),
        )


def test_failure_with_retries_one_flow_run_per_attempt(prefect_server, tmp_path) -> None:
    """MaxRetries 1 on a failing flow: two attempts, two flow runs, then RETRY_EXHAUSTED."""
    text = document(prefect_server, "pf-fail", prefect_server.deployment_fail, retries=1)
    with installation(tmp_path, "pf-fail", text) as w:
        w.go()
        run = w.settle(until={"FAILED", "SUCCEEDED"}, timeout=120)
        assert run.state.value == "FAILED"
        assert len(flow_runs(prefect_server, w)) == 2
        assert w.types().count("JOB_FAILED") == 2
        assert w.types()[-1] == "RETRY_EXHAUSTED"


def test_a_controller_killed_mid_launch_resends_and_gets_the_same_run(
    prefect_server, tmp_path, monkeypatch
) -> None:
    """Killed after Prefect created the run: the resent launch gets the same flow run.

    The restart sends the launch again with the same key; Prefect answers with the flow run
    it already has, and Interlock follows it to COMPLETED.
    """
    text = document(prefect_server, "pf-kill", prefect_server.deployment_ok)
    with installation(tmp_path, "pf-kill", text) as w:
        w.go()
        w.die_after_the_server_answered_then_restart(monkeypatch)
        run = w.settle(until={"SUCCEEDED", "FAILED"})
        assert run.state.value == "SUCCEEDED", w.types()
        assert len(flow_runs(prefect_server, w)) == 1
        assert "INFRA_FAILURE" not in w.types()


def test_a_flow_run_cancelled_in_prefect_is_not_retried(prefect_server, tmp_path) -> None:
    """An operator cancels the flow run: the run ends CANCELLED, no new attempt."""
    deployment = prefect_server.deployment_ok
    text = document(prefect_server, "pf-cancel", deployment, retries=2, seconds=60)
    with installation(tmp_path, "pf-cancel", text) as w:
        w.go()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            w.settle(until={"RUNNING"})
            (server_run,) = flow_runs(prefect_server, w)
            if server_run["state_type"] == "RUNNING":
                break
            time.sleep(0.3)
        cancelled = httpx.post(
            f"{prefect_server.api_url}/flow_runs/{server_run['id']}/set_state",
            auth=prefect_server.auth,
            json={"state": {"type": "CANCELLING"}},
        )
        assert cancelled.status_code == 201, cancelled.text
        run = w.settle(until={"CANCELLED", "FAILED", "SUCCEEDED", "WAITING"})
        assert run.state.value == "CANCELLED", w.types()
        assert len(flow_runs(prefect_server, w)) == 1
        assert "JOB_FAILED" not in w.types()
        assert w.events()[-1].detail["source"] == "job"


def test_the_shipped_example_runs_as_documented(prefect_server, tmp_path) -> None:
    """examples/orchestrators/prefect-flow-run.yaml, pointed at this Prefect, runs once."""
    text = example(
        "prefect-flow-run.yaml",
        **{
            "http://prefect.internal:4200": prefect_server.base_url,
            "DEPLOYMENT-ID": prefect_server.deployment_ok,
            "nightly-export": "pf-example",
            "pollInterval: 30s": "pollInterval: 1s",
            'parameters: {date: "${date}"}': "parameters: {seconds: 1}",  # the test flow's own
        },
    )
    with installation(tmp_path, "pf-example", text) as w:
        w.go("warehouse-closed", status="closed")
        run = w.settle(until={"SUCCEEDED", "FAILED"})
        assert run.state.value == "SUCCEEDED", w.types()
        assert len(flow_runs(prefect_server, w)) == 1
