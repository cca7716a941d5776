"""What ``interlock serve`` tells its operator, and how it picks up changed pipeline files.

In process (fake clock, mock backend): the entries the controller hands its sink for a
launch, a success, a failure with its retry, and an attempt adopted after a crash. As a
real program (``interlock serve`` on a tmp SQLite file with a ``command`` job): the text and
JSON lines on stderr, ``--watch`` keeping the previous config on an invalid edit and
applying a valid one, and SIGHUP re-applying without ``--watch``. The subprocess tests
poll stderr (a file) against a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from runtime_support import GOLD, World, at, finish

from interlock.app import Interlock
from interlock.cli.serve_log import Renderer, bridge_logging, format_json, format_text
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.controller.observe import LogEntry
from interlock.jobs import JobBackend, JobHandle, JobRequest, JobStatus, MockBackend
from interlock.model import RunState
from interlock.schemas import ServeLogOut

CLI = Path(sys.executable).with_name("interlock")
ATTEMPT_1 = "gold-revenue/2026-11-23/1"
JSON_KEYS = ["at", "level", "event", "pipeline", "partition", "attempt", "message", "detail"]


class Collect:
    """A sink that keeps what it is told."""

    def __init__(self) -> None:
        self.entries: list[LogEntry] = []
        self._lock = threading.Lock()

    def emit(self, entry: LogEntry) -> None:
        """Keep ``entry``."""
        with self._lock:
            self.entries.append(entry)

    def events(self) -> list[str]:
        """The entries' event names, in order."""
        return [e.event for e in self.entries]


def ready(world: World) -> None:
    """Both gold-revenue sensors are healthy now."""
    world.put("row-count", count=1500)
    world.put("upstream-complete", status="ready")


# Renderers -------------------------------------------------------------------------------


def test_text_lines_name_the_run_the_attempt_and_what_happened() -> None:
    """Launch: job type and handle; outcome: duration and message; one line whatever."""
    launch = LogEntry(
        at=at("08:00"),
        level="info",
        event="launch",
        pipeline="orders-daily",
        partition="2026-12-01",
        attempt=1,
        message="attempt 1 launched",
        detail={"jobType": "command", "reason": "initial", "handle": {"data": {"pid": 42}}},
    )
    failed = LogEntry(
        at=at("08:01"),
        level="error",
        event="failed",
        pipeline="orders-daily",
        partition="2026-12-01",
        attempt=1,
        message="job failed: exit 3\nTraceback",
        detail={"durationSeconds": 75.5, "category": "TRANSIENT"},
    )
    assert format_text(launch) == (
        "2026-11-23T08:00:00Z launch    orders-daily 2026-12-01 attempt 1 (command) pid=42"
    )
    assert format_text(failed) == (
        "2026-11-23T08:01:00Z failed    orders-daily 2026-12-01 attempt 1"
        " after 1m15s: job failed: exit 3\\nTraceback"
    )
    retry_launch = LogEntry(**{**launch.__dict__, "detail": {"jobType": "http", "reason": "x"}})
    assert format_text(retry_launch).endswith("attempt 1 (http) for x")


def test_json_lines_have_every_field_in_order_and_match_the_schema() -> None:
    """Compact, one object, keys in the documented order, valid as ``ServeLogOut``."""
    entry = LogEntry(
        at=at("08:00"),
        level="warning",
        event="SLA_WARNING",
        pipeline="p",
        partition="2026-11-23",
        message="SLA deadline in 30m",
        detail={"type": "SLA_WARNING", "deadline": "10:00"},
    )
    line = format_json(entry)
    assert "\n" not in line
    parsed = json.loads(line)
    assert list(parsed) == JSON_KEYS
    assert parsed["at"] == "2026-11-23T08:00:00Z"
    assert parsed["attempt"] is None
    assert parsed["detail"] == {"type": "SLA_WARNING", "deadline": "10:00"}
    assert ServeLogOut.model_validate(parsed).event == "SLA_WARNING"


def test_renderer_drops_entries_below_its_level_and_bridges_stdlib_logging() -> None:
    """``--log-level warning`` hides info; a controller ``log.warning`` becomes a line."""
    stream = io.StringIO()
    sink = Renderer(stream, json_lines=True, level="warning")
    sink.emit(LogEntry(at=at("08:00"), level="info", event="open", message="opened"))
    with bridge_logging(sink, "warning"):
        logging.getLogger("interlock.controller").info("not shown")
        logging.getLogger("interlock.controller").warning("run %s left alone", "p/1")
    logging.getLogger("interlock.controller").warning("after the block: not ours")
    (line,) = stream.getvalue().splitlines()
    parsed = json.loads(line)
    assert (parsed["level"], parsed["event"], parsed["message"]) == (
        "warning",
        "log",
        "run p/1 left alone",
    )
    assert parsed["detail"] == {"logger": "interlock.controller"}


# What the controller reports -------------------------------------------------------------


def test_controller_reports_open_launch_failure_retry_and_success(make_world) -> None:
    """The sink hears each step of a run, with attempt numbers, job type and duration."""
    world: World = make_world(GOLD)
    sink = Collect()
    world.controller.sink = sink
    world.step("08:00")
    ready(world)
    finish(world, ATTEMPT_1, "failed", "08:10")
    finish(world, "gold-revenue/2026-11-23/2", "succeeded", "08:30")
    assert world.run().state is RunState.SUCCEEDED
    shown = [(e.event, e.attempt) for e in sink.entries if e.level != "debug"]
    assert shown == [
        ("open", None),
        ("launch", 1),
        ("failed", 1),
        ("retry", 2),
        ("launch", 2),
        ("succeeded", 2),
    ]
    by_event = {e.event: e for e in sink.entries}
    assert by_event["launch"].detail["jobType"] == "mock"
    assert by_event["failed"].level == "error"
    # The first poll after the status changed (pollInterval 1m) sees the outcome.
    assert by_event["failed"].detail["durationSeconds"] == 60.0  # launched 08:00, seen 08:01
    assert by_event["retry"].level == "warning"
    assert by_event["retry"].message.startswith("retry 1 of 1 scheduled as attempt 2")
    assert by_event["succeeded"].detail["durationSeconds"] == 600.0  # 08:01 → 08:11
    assert by_event["succeeded"].at == at("08:11")
    assert "SLA_MET" in sink.events()  # quiet events are there, at debug


def test_warning_and_error_events_are_reported_at_their_severity(make_world) -> None:
    """A job still running past its SLA: a warning entry at 09:30, an error at 10:00."""
    world: World = make_world(GOLD)
    sink = Collect()
    world.controller.sink = sink
    world.step("08:00")
    ready(world)
    world.step("11:00")
    sla = [(e.event, e.level, e.at) for e in sink.entries if e.event.startswith("SLA_")]
    assert sla == [("SLA_WARNING", "warning", at("09:30")), ("SLA_BREACH", "error", at("10:00"))]


class CrashAfterLaunch(JobBackend):
    """Starts the job on the real mock backend, then dies (the process is gone)."""

    type = "mock"

    def __init__(self, inner: MockBackend) -> None:
        self.inner = inner

    def launch(self, request: JobRequest) -> JobHandle:
        """Launch, then die before the handle is recorded."""
        self.inner.launch(request)
        raise KeyboardInterrupt

    def status(self, handle: JobHandle, request: JobRequest) -> JobStatus:  # noqa: ARG002
        """Never reached: the process is dead."""
        raise AssertionError


def test_an_attempt_found_after_a_restart_is_reported_adopted(tmp_path: Path) -> None:
    """Controller B finds A's launched attempt: ``adopted`` (no relaunch), then its outcome."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "gold.yaml").write_text(GOLD, encoding="utf-8")
    db, clock = f"sqlite:///{tmp_path}/interlock.db", FakeClock(at("08:00"))
    backend = MockBackend(lambda _request: "succeeded")
    crashing = CrashAfterLaunch(backend)
    first = Interlock(db=db, pipelines=folder, clock=clock, backends=lambda _t: crashing)
    first.apply()
    first.put_reading("gold-revenue", "row-count", {"count": 1500})
    first.put_reading("gold-revenue", "upstream-complete", {"status": "ready"})
    with pytest.raises(KeyboardInterrupt):
        first.controller(ControllerSettings(workers=0, owner="A")).run_until_idle()
    first.close()
    second = Interlock(db=db, clock=clock, backends=lambda _t: backend)
    sink = Collect()
    controller = second.controller(ControllerSettings(workers=0, owner="B"), sink=sink)
    controller.bootstrap()
    controller.run_until_idle()
    clock.advance(timedelta(minutes=1))
    controller.run_until_idle()
    second.close()
    adopted = next(e for e in sink.entries if e.event == "adopted")
    assert (adopted.pipeline, adopted.attempt) == ("gold-revenue", 1)
    assert adopted.detail["jobType"] == "mock"
    assert [e.event for e in sink.entries if e.level == "info"][:3] == [
        "adopted",
        "launch",
        "succeeded",
    ]
    assert len(backend.launches) == 1


# As a real program -----------------------------------------------------------------------

JOB = """
pipeline: {{id: {id}}}
schedule:
  trigger: {{key: go, check: equals, field: ok, value: true}}
job:
  type: command
  pollInterval: {poll}
  config: {{command: {command}}}
"""


def write_pipeline(
    folder: Path, pipeline_id: str = "orders-daily", *, poll: str = "1s", command: str = '["true"]'
) -> Path:
    """One trigger-opened pipeline with a command job."""
    path = folder / f"{pipeline_id}.yaml"
    path.write_text(JOB.format(id=pipeline_id, poll=poll, command=command), encoding="utf-8")
    return path


class Served:
    """A running ``interlock serve`` whose stderr goes to a file that tests poll."""

    def __init__(self, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.db = f"sqlite:///{tmp_path}/interlock.db"
        self.log = tmp_path / "serve.log"
        self._out = self.log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [str(CLI), "serve", "--db", self.db, "--workers", "1", *args],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=self._out,
            env={**os.environ, **(env or {})},
        )

    def lines(self) -> list[str]:
        """Every complete stderr line so far."""
        text = self.log.read_text(encoding="utf-8")
        return text.splitlines() if text.endswith("\n") else text.splitlines()[:-1]

    def wait_for(self, found: Callable[[list[str]], bool], timeout: float = 30.0) -> list[str]:
        """Poll stderr until ``found(lines)`` holds; fail with what was seen at the deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.lines()
            if found(lines):
                return lines
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail("not seen in serve's stderr:\n" + "\n".join(self.lines()))

    def wait_for_text(self, text: str, after: int = 0) -> list[str]:
        """Poll until a line (after the first ``after``) contains ``text``."""
        return self.wait_for(lambda lines: any(text in line for line in lines[after:]))

    def stop(self) -> list[str]:
        """SIGTERM, wait, and the whole stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)
        self._out.close()
        return self.lines()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start ``interlock serve`` (stopped at the end of the test)."""
    started: list[Served] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Served:
        served = Served(tmp_path, *args, env=env)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def go(db: str) -> None:
    """The trigger reading every test pipeline waits for."""
    il = Interlock(db=db)
    il.put_shared("go", {"ok": True})
    il.close()


def test_serve_logs_open_launch_and_success_as_text(tmp_path: Path, serve) -> None:
    """A command job (``true``) run by the real program: one line for each step."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    write_pipeline(folder)
    served = serve("--pipelines", str(folder))
    served.wait_for_text("interlock serving 1 pipeline on")
    go(served.db)
    served.wait_for_text(" succeeded ")
    lines = served.stop()
    body = [line.split(" ", 1)[1] for line in lines]  # without the time stamp
    assert body[1] == "open      orders-daily " + _today(lines[1]) + " opened by trigger"
    assert body[2].startswith(f"launch    orders-daily {_today(lines[1])} attempt 1 (command) pid=")
    assert body[3].startswith(f"succeeded orders-daily {_today(lines[1])} attempt 1 after ")
    assert body[3].endswith("s: exit code 0")
    assert body[-1] == "serve     interlock stopped cleanly"
    assert all(line[:20].endswith("Z") and line[10] == "T" for line in lines)


def test_serve_json_lines_parse_and_keep_secrets_out(tmp_path: Path, serve) -> None:
    """``--log-format json``: every stderr line is an object with the fields; no secret."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    command = '["sh", "-c", "echo ${env:IL_TEST_TOKEN}; exit 3"]'
    write_pipeline(folder, command=command)
    (folder / "orders-daily.yaml").write_text(
        (folder / "orders-daily.yaml").read_text(encoding="utf-8") + "  maxRetries: 0\n",
        encoding="utf-8",
    )
    env = {"IL_TEST_TOKEN": "s3cr3t-value"}
    served = serve("--pipelines", str(folder), "--log-format", "json", env=env)
    served.wait_for_text('"event": "serve"')
    go(served.db)
    served.wait_for_text('"event": "RETRY_EXHAUSTED"')
    lines = served.stop()
    records = [json.loads(line) for line in lines]
    assert all(list(r) == JSON_KEYS for r in records)
    events = [r["event"] for r in records]
    assert events[:4] == ["serve", "open", "launch", "failed"]
    launch, failed = records[2], records[3]
    assert (launch["pipeline"], launch["attempt"], launch["level"]) == ("orders-daily", 1, "info")
    assert launch["detail"]["jobType"] == "command"
    assert launch["detail"]["handle"]["data"]["pid"] > 0
    assert failed["level"] == "error"
    assert failed["detail"]["category"] == "TRANSIENT"
    assert failed["detail"]["durationSeconds"] >= 0
    assert "s3cr3t-value" not in "\n".join(lines)


def test_watch_keeps_the_old_config_on_an_invalid_edit_then_applies_a_valid_one(
    tmp_path: Path, serve
) -> None:
    """``--watch``: every problem and "kept the previous config"; then "applied: 1 changed"."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    path = write_pipeline(folder)
    served = serve("--pipelines", str(folder), "--watch")
    served.wait_for_text("interlock serving 1 pipeline on")
    seen = len(served.lines())
    path.write_text(path.read_text(encoding="utf-8").replace("command\n", "nosuch\n"))
    lines = served.wait_for_text("kept the previous config", after=seen)
    problem = next(line for line in lines[seen:] if "orders-daily.yaml:" in line)
    assert 'job.type: unknown job type "nosuch"' in problem
    assert _poll_interval(served.db) == timedelta(seconds=1)
    seen = len(lines)
    write_pipeline(folder, poll="5s")
    served.wait_for_text("changed files: applied: 1 changed", after=seen)
    assert _poll_interval(served.db) == timedelta(seconds=5)


def test_sighup_reapplies_without_watch(tmp_path: Path, serve) -> None:
    """SIGHUP re-applies --pipelines at once, watching or not."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    write_pipeline(folder)
    served = serve("--pipelines", str(folder))
    served.wait_for_text("interlock serving 1 pipeline on")
    write_pipeline(folder, "second")
    served.process.send_signal(signal.SIGHUP)
    served.wait_for_text("SIGHUP: applied: 1 added")
    assert served.process.poll() is None  # SIGHUP no longer ends the controller
    stored = Interlock(db=served.db)
    assert set(stored.specs()) == {"orders-daily", "second"}
    stored.close()


def test_watch_without_pipelines_is_one_line(tmp_path: Path) -> None:
    """Nothing to watch: refused with one line and exit 2, before anything starts."""
    result = subprocess.run(
        [str(CLI), "serve", "--db", f"sqlite:///{tmp_path}/i.db", "--watch"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == "error: --watch: needs --pipelines (the folder to watch)\n"


def _today(line: str) -> str:
    """The UTC date of a log line (the partition a trigger opens today)."""
    return line[:10]


def _poll_interval(db: str) -> timedelta | None:
    il = Interlock(db=db)
    try:
        job = il.spec("orders-daily").job
        return job.poll_interval if job else None
    finally:
        il.close()
