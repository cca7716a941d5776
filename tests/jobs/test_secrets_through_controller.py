"""A secret from ``${env:...}`` reaches the job and nothing else: not the database, not the logs.

The real controller, a real SQLite store, the CLI, and real jobs: an ``http`` job against the
test server with the token in its URL query (the server echoes it back in every answer), and
a ``command`` job with the token in its argv (the job prints its argv). Each goes through a
launch, polls and a failure; then every place Interlock stores or renders is searched for the
token's value: every table of the database (attempts, events, signals, runs ...), the log
records, the process's stderr, ``interlock runs --json`` / ``events --json``, and each file
of the command job's directory other than the job's own stdout and stderr.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import stat
import sys
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from http_server import Server

from interlock.app import Interlock
from interlock.cli import main
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import HttpBackend
from interlock.model import RunState

TOKEN = "tok-Sup3rS3cret-42"  # noqa: S105 - the secret that must not leak
START = datetime(2026, 11, 23, 8, tzinfo=UTC)

HTTP_PIPELINE = """
pipeline: {{id: export}}
schedule:
  trigger: {{key: ready, check: equals, field: status, value: ready}}
validation:
  rules: [{{key: ready, check: equals, field: status, value: ready}}]
job:
  type: http
  pollInterval: 1m
  maxRetries: 1
  maxCodeRetries: 0
  config:
    url: "{url}/run?token=${{env:EXPORT_TOKEN}}"
    statusUrl: "{url}/runs/${{response:id}}?token=${{env:EXPORT_TOKEN}}"
"""

COMMAND_PIPELINE = """
pipeline: {{id: etl}}
schedule:
  trigger: {{key: ready, check: equals, field: status, value: ready}}
validation:
  rules: [{{key: ready, check: equals, field: status, value: ready}}]
job:
  type: command
  pollInterval: 1m
  config:
    command: ["{python}", "{script}", "--token=${{env:EXPORT_TOKEN}}", "--day", "${{date}}"]
"""

JOB_SCRIPT = """
import json, sys
print(json.dumps(sys.argv[1:]))
print("auth failed for", sys.argv[1], file=sys.stderr)
sys.exit(3)
"""


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A client that ignores proxy settings of the machine."""
    with httpx.Client(trust_env=False) as client:
        yield client


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty pipelines folder, with the token in the controller's environment."""
    monkeypatch.setenv("EXPORT_TOKEN", TOKEN)
    path = tmp_path / "pipelines"
    path.mkdir()
    return path


def test_http_token_in_the_url_reaches_the_server_and_is_stored_nowhere(
    *,
    server: Server,
    client: httpx.Client,
    folder: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Launch, an unreadable poll, a failed job, a refused relaunch: the token never leaks."""
    caplog.set_level(logging.DEBUG)
    query = f"?token={TOKEN}"
    server.answer(f"/run{query}", (200, {"id": "r-7", "echo": query}), (403, f"bad {query}"))
    server.answer(
        f"/runs/r-7{query}",
        (502, f"gateway timeout for {query}"),
        (200, {"status": "FAILED", "detail": f"rejected {TOKEN}"}),
    )
    (folder / "export.yaml").write_text(HTTP_PIPELINE.format(url=server.url), encoding="utf-8")
    db = f"sqlite:///{tmp_path}/i.db"
    clock = FakeClock(START)
    backend = HttpBackend(client=client, retries=0)
    il = Interlock(db=db, pipelines=folder, clock=clock, backends=lambda _t: backend)
    try:
        il.apply()
        controller = il.controller(ControllerSettings(workers=0))
        il.put_reading("export", "ready", {"status": "ready"})
        controller.run_until_idle()
        for _ in range(10):
            clock.advance(timedelta(minutes=1))
            controller.run_until_idle()
        run = il.store.get_run("export", "2026-11-23")
    finally:
        il.close()
    assert run is not None
    assert run.state is RunState.FAILED
    assert [s.method for s in server.seen] == ["POST", "GET", "GET", "POST"]
    assert all(s.path.endswith(query) for s in server.seen)  # the real URL was used
    assert "status of export/2026-11-23/1 unavailable" in caplog.text
    dump = _database_dump(tmp_path / "i.db")
    assert "r-7" in dump  # the handle still holds what a poll needs ...
    assert "HTTP 403" in dump  # ... and the messages what a person needs
    _assert_nowhere(dump, caplog, capfd, _cli_output(db, "export"))


def test_command_token_in_argv_reaches_the_job_and_is_stored_nowhere(
    folder: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The job gets the token as an argument and prints it; only its own output files hold it."""
    caplog.set_level(logging.DEBUG)
    script = tmp_path / "job.py"
    script.write_text(JOB_SCRIPT, encoding="utf-8")
    document = COMMAND_PIPELINE.format(python=sys.executable, script=script)
    (folder / "etl.yaml").write_text(document, encoding="utf-8")
    db = f"sqlite:///{tmp_path}/i.db"
    clock = FakeClock(START)
    il = Interlock(db=db, pipelines=folder, clock=clock, state_dir=tmp_path / "state")
    try:
        il.apply()
        controller = il.controller(ControllerSettings(workers=0))
        il.put_reading("etl", "ready", {"status": "ready"})
        controller.run_until_idle()
        run = _poll_until_final(il, controller, clock, "etl")
    finally:
        il.close()
    assert run.state is RunState.FAILED
    (job_dir,) = (tmp_path / "state" / "jobs").iterdir()
    assert json.loads((job_dir / "stdout").read_text()) == [
        f"--token={TOKEN}",
        "--day",
        "2026-11-23",
    ]
    launch = json.loads((job_dir / "launch.json").read_text())
    assert launch["argv"][2:] == ["--token=***", "--day", "2026-11-23"]
    for path in job_dir.iterdir():
        if path.name not in {"stdout", "stderr"}:
            assert TOKEN not in path.read_text(encoding="utf-8", errors="replace"), path.name
    assert stat.S_IMODE(job_dir.stat().st_mode) == 0o700
    files = ("launch.json", "lock", "pid.json", "stdout", "stderr", "exit.json")
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in job_dir.iterdir()}
    assert modes == dict.fromkeys(files, 0o600)
    dump = _database_dump(tmp_path / "i.db")
    assert "--token=***" in dump  # the job's output tail is kept, masked
    _assert_nowhere(dump, caplog, capfd, _cli_output(db, "etl"))


def _poll_until_final(il: Interlock, controller, clock: FakeClock, pipeline: str):
    """Advance a minute at a time until the run is final (bounded: a real process runs)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        run = il.store.get_run(pipeline, "2026-11-23")
        assert run is not None
        if run.is_terminal:
            return run
        time.sleep(0.05)
        clock.advance(timedelta(minutes=1))
        controller.run_until_idle()
    pytest.fail("the job did not finish in time")


def _database_dump(path: Path) -> str:
    """Every row of every table, as SQL text."""
    with warnings.catch_warnings(), sqlite3.connect(path) as connection:
        dump = "\n".join(connection.iterdump())
    connection.close()
    return dump


def _cli_output(db: str, pipeline: str) -> str:
    runner = CliRunner()
    outputs = []
    for args in (["runs", pipeline, "--json"], ["events", "--json"]):
        result = runner.invoke(main, [*args, "--db", db])
        assert result.exit_code == 0, result.output
        assert len(result.output) > 100
        outputs.append(result.output)
    return "\n".join(outputs)


def _assert_nowhere(
    dump: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], cli: str
) -> None:
    captured = capfd.readouterr()
    places = {
        "database": dump,
        "log records": caplog.text,
        "stdout/stderr": captured.out + captured.err,
        "interlock runs/events --json": cli,
    }
    leaks = [name for name, text in places.items() if TOKEN in text]
    assert leaks == []
    assert "***" in dump  # the token was there to leak, and was masked
