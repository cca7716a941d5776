"""An Interlock installation driving a real server: SQLite store, real controller, real clock.

The jobs are real runs on a real Airflow or Prefect, so these tests take real time: the
controller polls every second (``pollInterval: 1s``) and a test waits, with a deadline, for
the run to reach a final state. Latencies are printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from interlock.app import Interlock
from interlock.controller.loop import Controller, ControllerSettings
from interlock.jobs import HttpBackend, JobBackend
from interlock.jobs import http as http_module
from interlock.model import Event, Run

PARTITION_FORMAT = "%Y-%m-%d"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "orchestrators"


def example(name: str, **replacements: str) -> str:
    """A shipped example pipeline, with its placeholder host and names replaced."""
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


class Crash(BaseException):
    """Stands for the controller process dying at this point."""


@dataclass
class Installation:
    """One Interlock on a fresh SQLite file with one pipeline."""

    il: Interlock
    controller: Controller
    pipeline: str
    folder: Path
    db: str
    backends: Callable[[str], JobBackend]

    @property
    def partition(self) -> str:
        """Today's partition (UTC), which a trigger reading opens."""
        return datetime.now(UTC).strftime(PARTITION_FORMAT)

    def go(self, key: str = "go", **data: object) -> float:
        """Write the trigger reading; the wall time it was written."""
        written = time.time()
        self.il.put_reading(self.pipeline, key, data or {"ok": True})
        return written

    def run(self) -> Run:
        """The pipeline's one run."""
        (run,) = self.il.store.list_runs(self.pipeline)
        return run

    def settle(self, *, until: set[str], timeout: float = 90.0) -> Run:
        """Run the controller until the run is in one of ``until`` (fail after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.controller.run_until_idle()
            runs = self.il.store.list_runs(self.pipeline)
            if runs and runs[0].state.value in until:
                return runs[0]
            time.sleep(0.1)
        types = [e.type for e in self.events()]
        msg = f"{self.pipeline}: still {runs[0].state.value if runs else 'no run'}; {types}"
        raise AssertionError(msg)

    def events(self) -> list[Event]:
        """Every event of the pipeline, in order."""
        return self.il.store.list_events(pipeline_id=self.pipeline)

    def types(self) -> list[str]:
        """Event types, without RUN_OPENED."""
        return [e.type for e in self.events() if e.type != "RUN_OPENED"]

    def die_after_the_server_answered_then_restart(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Decide the launch, die once the server has answered it, start a new process."""

        def dying(*_: object, **__: object) -> object:
            raise Crash

        with monkeypatch.context() as patched:
            patched.setattr(http_module, "_launch_handle", dying)
            with pytest.raises(Crash):
                self.controller.run_until_idle()
        self.restart()

    def restart(self) -> None:
        """A new process on the same database: a new store, controller and backend."""
        self.il.close()
        self.il = Interlock(db=self.db, backends=self.backends)
        self.controller = self.il.controller(ControllerSettings(workers=0, owner="restarted"))
        self.controller.bootstrap()


@contextmanager
def installation(tmp_path: Path, pipeline: str, document: str) -> Iterator[Installation]:
    """Apply ``document`` (one pipeline YAML) to a fresh database and yield its installation."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / f"{pipeline}.yaml").write_text(textwrap.dedent(document), encoding="utf-8")
    db = f"sqlite:///{tmp_path}/interlock.db"
    client = httpx.Client(trust_env=False, timeout=10)
    # As a production config would: a busy server (Prefect answers 503 when its SQLite is
    # locked under load) is retried a few times before the attempt counts as failed.
    backend = HttpBackend(client=client, retries=4, base_delay=0.5, max_delay=2.0)

    def backends(_type: str) -> JobBackend:
        return backend

    il = Interlock(db=db, pipelines=folder, backends=backends)
    il.apply()
    controller = il.controller(ControllerSettings(workers=0, owner="first"))
    made = Installation(
        il=il, controller=controller, pipeline=pipeline, folder=folder, db=db, backends=backends
    )
    try:
        yield made
    finally:
        made.il.close()
        client.close()


def report(label: str, **figures: float) -> None:
    """Print one measured line (shown with ``pytest -s``)."""
    shown = ", ".join(f"{name}={value:.2f}s" for name, value in figures.items())
    print(f"\n[latency] {label}: {shown}")  # noqa: T201 - the measurement is the point
