"""An asynchronous ``http`` job driven by the real controller and store, against a real server.

The job log (``attempts.handle``) lives in the database, so it must not hold the bearer
token the job config sends; polls read the token from the config each time, so a rotated
``${env:...}`` secret is used from the next poll on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from http_server import Server

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import HttpBackend

PIPELINE = """
pipeline: {{id: export}}
schedule:
  trigger: {{key: ready, check: equals, field: status, value: ready}}
validation:
  rules: [{{key: ready, check: equals, field: status, value: ready}}]
job:
  type: http
  pollInterval: 1m
  config:
    url: {url}/run
    headers: {{Authorization: "Bearer ${{env:EXPORT_TOKEN}}"}}
    statusUrl: "{url}/runs/${{response:id}}"
"""


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A client that ignores proxy settings of the machine."""
    with httpx.Client(trust_env=False) as client:
        yield client


def test_polls_use_the_current_token_and_the_database_never_holds_it(
    server: Server, client: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Launch with one token, rotate it, poll to success: no token in the job log."""
    server.answer("/run", (200, {"id": "r-7"}))
    server.answer("/runs/r-7", (200, {"status": "RUNNING"}), (200, {"status": "SUCCEEDED"}))
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "export.yaml").write_text(PIPELINE.format(url=server.url), encoding="utf-8")
    monkeypatch.setenv("EXPORT_TOKEN", "first-s3cret")
    clock = FakeClock(datetime(2026, 11, 23, 8, tzinfo=UTC))
    backend = HttpBackend(client=client, retries=0)
    il = Interlock(
        db=f"sqlite:///{tmp_path}/i.db", pipelines=folder, clock=clock, backends=lambda _t: backend
    )
    try:
        il.apply()
        controller = il.controller(ControllerSettings(workers=0))
        il.put_reading("export", "ready", {"status": "ready"})
        controller.run_until_idle()
        monkeypatch.setenv("EXPORT_TOKEN", "rotated-s3cret")
        for _ in range(2):
            clock.advance(timedelta(minutes=1))
            controller.run_until_idle()
        run = il.store.get_run("export", "2026-11-23")
        attempts = il.store.list_attempts("export")
    finally:
        il.close()
    assert run is not None
    assert run.state.value == "SUCCEEDED"
    assert [(s.method, s.headers["authorization"]) for s in server.seen] == [
        ("POST", "Bearer first-s3cret"),
        ("GET", "Bearer rotated-s3cret"),
        ("GET", "Bearer rotated-s3cret"),
    ]
    stored = json.dumps([a.handle for a in attempts])
    assert "r-7" in stored  # the handle keeps what polling needs ...
    assert "s3cret" not in stored  # ... and never the credentials
