"""The ``http`` backend through the real controller against a real Airflow 3.

Every case counts the DAG runs Airflow holds for the attempt (target: exactly one per
attempt) and prints the latencies: trigger reading → Airflow run created, and Airflow run
finished → Interlock's event.
"""

from __future__ import annotations

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
  queuedTimeout: {queued}
  config:
    url: "{api}/dags/{dag}/dagRuns"
    headers: {{Authorization: "Bearer ${{env:AIRFLOW_TOKEN}}"}}
    body: {{dag_run_id: "${{runKey}}", logical_date: null, conf: {{seconds: {seconds}}}}}
    statusUrl: "{api}/dags/{dag}/dagRuns/${{runKey}}"
    statusField: state
    successValues: [success]
    failureValues: [failed]
    queuedValues: [queued]
    runningValues: [running]
"""


@pytest.fixture
def token(airflow_server: harness.AirflowServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A JWT from ``POST /auth/token``, in the environment the job config reads."""
    value = airflow_server.token()
    monkeypatch.setenv("AIRFLOW_TOKEN", value)
    return value


def document(server: harness.AirflowServer, pipeline: str, dag: str, **extra: object) -> str:
    """The pipeline YAML for ``dag``."""
    values = {"retries": 0, "queued": "30m", "seconds": 1, **extra}
    return PIPELINE.format(pipeline=pipeline, api=server.api_url, dag=dag, **values)


def dag_runs(server: harness.AirflowServer, dag: str, pipeline: str) -> list[dict[str, object]]:
    """Airflow's runs of ``dag`` made for ``pipeline`` (their ids start with its run key)."""
    response = httpx.get(
        f"{server.api_url}/dags/{dag}/dagRuns", headers=server.headers(), params={"limit": 100}
    )
    response.raise_for_status()
    prefix = f"il-{pipeline}-"
    return [run for run in response.json()["dag_runs"] if run["dag_run_id"].startswith(prefix)]


def key(world: Installation, attempt: int = 1) -> str:
    """The attempt's ``${runKey}``: the Airflow ``dag_run_id``."""
    return templates.run_key(f"{world.pipeline}/{world.partition}/{attempt}")


def seconds(value: object) -> float:
    """An Airflow timestamp as epoch seconds."""
    return datetime.fromisoformat(str(value)).timestamp()


def latencies(world: Installation, run: dict[str, object], written: float, final: str) -> None:
    """Print reading → Airflow run created, and Airflow finished → our event."""
    event = next(e for e in world.events() if e.type == final)
    report(
        world.pipeline,
        reading_to_server_run=seconds(run["queued_at"]) - written,
        server_end_to_event=event.at.timestamp() - seconds(run["end_date"]),
    )


def test_success_one_airflow_run(airflow_server, token, tmp_path: Path) -> None:
    """Reading → one Airflow run named by ${runKey} → success → SUCCEEDED."""
    del token
    with installation(tmp_path, "af-ok", document(airflow_server, "af-ok", "interlock_ok")) as w:
        written = w.go()
        run = w.settle(until={"SUCCEEDED", "FAILED"})
        assert run.state.value == "SUCCEEDED", w.types()
        (server_run,) = dag_runs(airflow_server, "interlock_ok", "af-ok")
        assert server_run["dag_run_id"] == key(w)
        assert w.types() == ["VALIDATION_PASSED", "JOB_TRIGGERED", "JOB_COMPLETED"]
        latencies(w, server_run, written, "JOB_COMPLETED")


def test_failure_with_retries_one_airflow_run_per_attempt(airflow_server, token, tmp_path):
    """MaxRetries 1 on a failing DAG: two attempts, two Airflow runs, then RETRY_EXHAUSTED."""
    del token
    text = document(airflow_server, "af-fail", "interlock_fail", retries=1)
    with installation(tmp_path, "af-fail", text) as w:
        w.go()
        run = w.settle(until={"FAILED", "SUCCEEDED"}, timeout=120)
        assert run.state.value == "FAILED"
        ids = sorted(r["dag_run_id"] for r in dag_runs(airflow_server, "interlock_fail", "af-fail"))
        assert ids == sorted([key(w, 1), key(w, 2)])
        assert w.types().count("JOB_FAILED") == 2
        assert w.types()[-1] == "RETRY_EXHAUSTED"


def test_the_attempts_run_already_on_the_server_is_adopted(airflow_server, token, tmp_path):
    """Airflow already has this attempt's run: the 409 is adopted; one Airflow run.

    (A crash after Airflow created it, or a 5xx that still created it.)
    """
    text = document(airflow_server, "af-409", "interlock_ok")
    with installation(tmp_path, "af-409", text) as w:
        created = httpx.post(
            f"{airflow_server.api_url}/dags/interlock_ok/dagRuns",
            headers={"Authorization": f"Bearer {token}"},
            json={"dag_run_id": key(w), "logical_date": None, "conf": {"seconds": 1}},
        )
        assert created.status_code == 200, created.text
        w.go()
        run = w.settle(until={"SUCCEEDED", "FAILED"})
        assert run.state.value == "SUCCEEDED", w.types()
        assert len(dag_runs(airflow_server, "interlock_ok", "af-409")) == 1
        triggered = next(e for e in w.events() if e.type == "JOB_TRIGGERED")
        assert triggered.detail["handle"]["data"]["adopted"] is True


def test_a_controller_killed_mid_launch_recovers_the_outcome(
    airflow_server, token, tmp_path, monkeypatch
):
    """Killed after Airflow created the run: the restart finds it by its id and follows it."""
    del token
    text = document(airflow_server, "af-kill", "interlock_ok")
    with installation(tmp_path, "af-kill", text) as w:
        w.go()
        w.die_after_the_server_answered_then_restart(monkeypatch)
        run = w.settle(until={"SUCCEEDED", "FAILED"})
        assert run.state.value == "SUCCEEDED", w.types()
        assert len(dag_runs(airflow_server, "interlock_ok", "af-kill")) == 1
        assert "INFRA_FAILURE" not in w.types()


def test_a_bad_token_on_polls_is_reported_then_fails_for_good(
    airflow_server, token, tmp_path, monkeypatch
):
    """The token stops working after launch: reported once, then fails for good (AUTH).

    JOB_STATUS_UNAVAILABLE once, JOB_FAILED after three refusals in a row, never retried;
    the Airflow run itself is not touched.
    """
    del token
    text = document(airflow_server, "af-auth", "interlock_ok", retries=2, seconds=20)
    with installation(tmp_path, "af-auth", text) as w:
        w.go()
        w.settle(until={"RUNNING"})
        monkeypatch.setenv("AIRFLOW_TOKEN", "not-a-valid-jwt")
        run = w.settle(until={"FAILED", "SUCCEEDED"})
        assert run.state.value == "FAILED"
        assert run.failure_category == "AUTH"
        types = w.types()
        assert types.count("JOB_STATUS_UNAVAILABLE") == 1
        assert types[-1] == "JOB_FAILED"
        failed = w.events()[-1]
        assert "job.config.headers.Authorization" in failed.message
        assert len(dag_runs(airflow_server, "interlock_ok", "af-auth")) == 1  # no retry


def test_a_run_queued_on_a_paused_dag_is_reported(airflow_server, token, tmp_path) -> None:
    """A paused DAG keeps the run queued: JOB_QUEUED_TOO_LONG ("is the DAG paused?")."""
    del token
    text = document(airflow_server, "af-paused", "interlock_ok", queued="3s")
    airflow_server.set_paused("interlock_ok", paused=True)
    try:
        with installation(tmp_path, "af-paused", text) as w:
            w.go()
            deadline_types: list[str] = []
            for _ in range(100):
                w.settle(until={"RUNNING"})
                deadline_types = w.types()
                if "JOB_QUEUED_TOO_LONG" in deadline_types:
                    break
                import time  # noqa: PLC0415 - only this test waits on the wall clock

                time.sleep(0.2)
            assert "JOB_QUEUED_TOO_LONG" in deadline_types
            queued = next(e for e in w.events() if e.type == "JOB_QUEUED_TOO_LONG")
            assert "paused" in queued.detail["actionHint"]
            assert w.run().state.value == "RUNNING"
    finally:
        airflow_server.set_paused("interlock_ok", paused=False)


def test_the_shipped_example_runs_as_documented(airflow_server, token, tmp_path) -> None:
    """examples/orchestrators/airflow-dag-run.yaml, pointed at this Airflow, runs once."""
    del token
    text = (
        example(
            "airflow-dag-run.yaml",
            **{
                "http://airflow.internal:8080": airflow_server.base_url,
                "daily_sales": "interlock_ok",
            },
        )
        .replace("daily-sales", "af-example")
        .replace("pollInterval: 30s", "pollInterval: 1s")
    )
    with installation(tmp_path, "af-example", text) as w:
        w.go("sales-landed", status="ready")
        run = w.settle(until={"SUCCEEDED", "FAILED"})
        assert run.state.value == "SUCCEEDED", w.types()
        assert len(dag_runs(airflow_server, "interlock_ok", "af-example")) == 1
