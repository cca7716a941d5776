"""Crash injection into the ``http`` backend's launch: never a second server run.

The ``http`` backend cannot look an attempt up after a crash when its status URL needs the
launch response (``${response:id}``, as here): ``find`` can build a URL only from the
request (``${runKey}``), and this server does not deduplicate launches. So the honest
outcome of a controller killed mid-launch is "unknown": the restarted controller raises
``INFRA_FAILURE`` and does not launch again. What this pins: whatever the moment of the
kill, the server sees at most one launch for the attempt, and the restart resolves the run
at once instead of waiting out a lease.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from http_server import Server

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.controller.loop import Controller, ControllerSettings
from interlock.jobs import HttpBackend
from interlock.jobs import http as http_module
from interlock.model import RunState

PIPELINE = """
pipeline: {{id: export}}
schedule:
  trigger: {{key: ready, check: equals, field: status, value: ready}}
job:
  type: http
  pollInterval: 1m
  config:
    url: {url}/run
    statusUrl: "{url}/runs/${{response:id}}"
"""
NOW = datetime(2026, 11, 23, 8, tzinfo=UTC)


class Crash(BaseException):
    """Stands for the controller process dying at this point."""


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A client that ignores proxy settings of the machine."""
    with httpx.Client(trust_env=False) as client:
        yield client


def die_before_post(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies just before the launch request is sent."""

    def dying(*_: object, **__: object) -> object:
        raise Crash

    monkeypatch.setattr(HttpBackend, "_send", dying)


def die_after_post(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server answered the launch; the process dies before recording it."""

    def dying(*_: object, **__: object) -> object:
        raise Crash

    monkeypatch.setattr(http_module, "_launch_handle", dying)


def crash_then_restart(
    server: Server,
    client: httpx.Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kill: Callable[[pytest.MonkeyPatch], None],
) -> tuple[Interlock, Controller]:
    """Controller A decides the launch and dies at ``kill``; B starts and settles at once."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "export.yaml").write_text(PIPELINE.format(url=server.url), encoding="utf-8")
    db = f"sqlite:///{tmp_path}/i.db"
    clock = FakeClock(NOW)
    backend = HttpBackend(client=client, retries=0)
    first = Interlock(db=db, pipelines=folder, clock=clock, backends=lambda _t: backend)
    first.apply()
    first.put_reading("export", "ready", {"status": "ready"})
    dying = first.controller(ControllerSettings(workers=0, owner="A"))
    with monkeypatch.context() as patched:
        kill(patched)
        with pytest.raises(Crash):
            dying.run_until_idle()
    first.close()
    second = Interlock(db=db, clock=clock, backends=lambda _t: backend)
    controller = second.controller(ControllerSettings(workers=0, owner="B"))
    controller.bootstrap()
    controller.run_until_idle()
    return second, controller


@pytest.mark.parametrize(
    ("kill", "server_runs"),
    [
        pytest.param(die_before_post, 0, id="killed-before-the-launch-request"),
        pytest.param(die_after_post, 1, id="killed-after-the-server-answered"),
    ],
)
def test_kill_mid_launch_never_launches_twice(  # noqa: PLR0917 - fixtures and the table row
    server: Server,
    client: httpx.Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kill: Callable[[pytest.MonkeyPatch], None],
    server_runs: int,
) -> None:
    """One server run at most; the restart raises the unknown outcome at once."""
    server.answer("/run", (200, {"id": "r-1"}))
    server.answer("/runs/r-1", (200, {"status": "SUCCEEDED"}))
    second, _ = crash_then_restart(server, client, tmp_path, monkeypatch, kill)
    run = second.store.get_run("export", "2026-11-23")
    types = [e.type for e in second.store.list_events(pipeline_id="export")]
    second.close()
    assert [s.method for s in server.seen] == ["POST"] * server_runs
    assert run is not None
    assert run.state is RunState.FAILED
    assert "INFRA_FAILURE" in types
    assert "JOB_TRIGGERED" not in types


def test_the_recovery_the_event_suggests_works(
    server: Server, client: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After INFRA_FAILURE, ``job report RUN succeeded`` (what the event says to do) settles it."""
    server.answer("/run", (200, {"id": "r-1"}))
    second, controller = crash_then_restart(server, client, tmp_path, monkeypatch, die_after_post)
    infra = second.store.list_events(types=["INFRA_FAILURE"])
    assert "job report" in infra[0].detail["actionHint"]
    second.report_job("export/2026-11-23/1", "succeeded", message="checked by hand: it ran")
    controller.run_until_idle()
    run = second.store.get_run("export", "2026-11-23")
    types = [e.type for e in second.store.list_events(pipeline_id="export")]
    second.close()
    assert run is not None
    assert run.state is RunState.SUCCEEDED
    assert types[-1] == "JOB_COMPLETED"
    assert [s.method for s in server.seen] == ["POST"]
