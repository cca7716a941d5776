"""``interlock pipelines``, ``logs``, ``pause`` and ``resume`` as a user types them."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from interlock import schemas
from interlock.app import Interlock
from interlock.cli import main
from interlock.cli._common import console
from interlock.controller.loop import ControllerSettings

PIPELINE = """
pipeline: {id: orders}
schedule:
  trigger: {key: landed, check: equals, field: status, value: ready}
validation:
  rules: [{key: landed, check: equals, field: status, value: ready}]
job:
  type: command
  config:
    command: ["sh", "-c", "echo out-$TOKEN; echo oops >&2"]
    env: {TOKEN: "${env:ORDERS_TOKEN}"}
"""
MOCK = """
pipeline: {id: mocked}
validation:
  rules: [{key: landed, check: exists, field: status}]
job: {type: mock}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CliRunner, list[str]]:
    """Two applied pipelines (command and mock) on a fresh database."""
    monkeypatch.setenv("ORDERS_TOKEN", "s3cr3t-value")
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "orders.yaml").write_text(textwrap.dedent(PIPELINE), encoding="utf-8")
    (folder / "mocked.yaml").write_text(textwrap.dedent(MOCK), encoding="utf-8")
    db = ["--db", f"sqlite:///{tmp_path}/i.db"]
    runner = CliRunner()
    assert runner.invoke(main, ["apply", str(folder), *db]).exit_code == 0
    return runner, db


def test_pause_twice_resume_and_unknown(project: tuple[CliRunner, list[str]]) -> None:
    """Pause says so, a second pause says already (exit 0), unknown is one error line."""
    runner, db = project
    first = runner.invoke(main, ["pause", "orders", "--reason", "migration", "--by", "ops", *db])
    assert (first.exit_code, first.output) == (
        0, "orders paused (migration): nothing launches until `interlock resume orders`\n"
    )  # fmt: skip
    again = runner.invoke(main, ["pause", "orders", *db])
    assert (again.exit_code, again.output) == (0, "orders is already paused\n")
    unknown = runner.invoke(main, ["pause", "nope", *db])
    assert unknown.exit_code == 2
    assert unknown.output.startswith("error: ")
    assert unknown.output.count("\n") == 1
    assert runner.invoke(main, ["resume", "orders", *db]).output == "orders resumed\n"
    assert runner.invoke(main, ["resume", "orders", *db]).output == "orders is not paused\n"


def test_pipelines_json_lists_state_and_pause(project: tuple[CliRunner, list[str]]) -> None:
    """A list of PipelineStateOut, by id; the paused one says since when, by whom, why."""
    runner, db = project
    runner.invoke(main, ["pause", "orders", "--reason", "migration", "--by", "ops", *db])
    runner.invoke(main, ["sensor", "put", "orders", "landed", "status=ready", *db])
    result = runner.invoke(main, ["pipelines", "--json", *db])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    for item in shown:
        schemas.PipelineStateOut.model_validate(item)
    assert [p["id"] for p in shown] == ["mocked", "orders"]
    mocked, orders = shown
    assert list(orders) == [
        "id", "summary", "source", "paused", "latestRun", "nextCheckAt"
    ]  # fmt: skip
    assert mocked["paused"] is None
    assert mocked["latestRun"] is None
    assert orders["summary"] == "trigger landed · 1 rule (ALL) · job command"
    assert orders["source"].endswith("orders.yaml")
    assert orders["paused"]["by"] == "ops"
    assert orders["paused"]["reason"] == "migration"
    assert orders["latestRun"] == {
        "partition": orders["latestRun"]["partition"],
        "state": "PENDING",
        "attempt": 0,
    }


def test_pipelines_text_and_explain_say_paused(
    project: tuple[CliRunner, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table row per pipeline; explain leads with the pause."""
    monkeypatch.setattr(console, "width", 250)  # one line per row
    runner, db = project
    runner.invoke(main, ["pause", "orders", "--reason", "migration", "--by", "ops", *db])
    table = runner.invoke(main, ["pipelines", *db])
    assert table.exit_code == 0
    lines = {line.split()[1]: line for line in table.output.splitlines() if "│" in line}
    assert "paused since" in lines["orders"]
    assert "by ops: migration" in lines["orders"]
    assert "active" in lines["mocked"]
    explain = runner.invoke(main, ["explain", "orders", *db])
    assert "paused since" in explain.output


def test_status_marks_the_open_runs_of_a_paused_pipeline(
    project: tuple[CliRunner, list[str]],
) -> None:
    """``status`` shows a paused pipeline's open run as held, and not once resumed."""
    runner, db = project
    Interlock(db=db[1]).rerun("orders", "2026-11-23", force=True)  # an open run to show
    runner.invoke(main, ["pause", "orders", *db])
    held = runner.invoke(main, ["status", "orders", *db])
    assert held.exit_code == 0
    assert "PENDING (paused)" in held.output or "WAITING (paused)" in held.output
    runner.invoke(main, ["resume", "orders", *db])
    assert "(paused)" not in runner.invoke(main, ["status", "orders", *db]).output


def _run_the_job(db: list[str], state_dir: Path) -> str:
    """Serve once with the real command backend until the job has finished; its run id."""
    il = Interlock(db=db[1], state_dir=state_dir)
    il.put_reading("orders", "landed", {"status": "ready"})
    controller = il.controller(ControllerSettings(workers=0))
    controller.run_until_idle()
    run = il.runs("orders", states=["RUNNING", "SUCCEEDED"])[0]
    for _ in range(200):  # a real process: wait for its exit record
        if il.attempts("orders")[0].handle and list(state_dir.rglob("exit.json")):
            break
        time.sleep(0.02)
    il.close()
    return f"orders/{run.partition}"


def test_logs_prints_both_streams_masked(
    project: tuple[CliRunner, list[str]], tmp_path: Path
) -> None:
    """The job's own stdout and stderr; the secret it printed is ***."""
    runner, db = project
    state = tmp_path / "state"
    run_id = _run_the_job(db, state)
    both = runner.invoke(main, ["logs", run_id, "--state-dir", str(state), *db])
    assert both.exit_code == 0, both.output
    assert both.output == (
        f"==> stdout of {run_id}/1 <==\nout-***\n==> stderr of {run_id}/1 <==\noops\n"
    )
    only = runner.invoke(
        main, ["logs", f"{run_id}/1", "--stream", "stderr", "--state-dir", str(state), *db]
    )
    assert only.output == "oops\n"
    elsewhere = runner.invoke(main, ["logs", run_id, "--state-dir", str(tmp_path / "x"), *db])
    assert elsewhere.exit_code == 2
    assert elsewhere.output.startswith("error: no job files for")
    assert "--state-dir" in elsewhere.output


def test_logs_of_a_backend_without_logs_and_bad_ids(project: tuple[CliRunner, list[str]]) -> None:
    """Mock keeps no logs (exit 1, one line); a never-launched run is an error (exit 2)."""
    runner, db = project
    il = Interlock(db=db[1])
    il.rerun("mocked", "2026-11-23")
    il.put_reading("mocked", "landed", {"status": "x"}, partition="2026-11-23")
    il.controller(ControllerSettings(workers=0)).run_until_idle()
    il.close()
    mock = runner.invoke(main, ["logs", "mocked/2026-11-23", *db])
    assert (mock.exit_code, mock.output) == (
        1, "error: no logs kept by the mock backend for mocked/2026-11-23/1\n"
    )  # fmt: skip
    never = runner.invoke(main, ["logs", "orders/2026-11-23", *db])
    assert never.exit_code == 2
    assert "has no launched attempt" in never.output
    bad = runner.invoke(main, ["logs", "orders", *db])
    assert bad.exit_code == 2
    assert "PIPELINE/PARTITION[/ATTEMPT]" in bad.output
