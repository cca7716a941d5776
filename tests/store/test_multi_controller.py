"""Several controllers on one PostgreSQL database: every attempt launches exactly once."""

from __future__ import annotations

import textwrap
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import JobHandle, JobRequest, MockBackend
from interlock.store.base import ReadingInput

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PIPELINES = 40


class CountingBackend(MockBackend):
    """Counts every launch call, including duplicates the mock itself would absorb."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    def launch(self, request: JobRequest) -> JobHandle:
        """Count, then launch."""
        with self._count_lock:
            self.calls[request.attempt_id] += 1
        return super().launch(request)


@pytest.mark.postgres
def test_two_controllers_never_double_launch(postgres_url: str, tmp_path: Path) -> None:
    """Two controllers racing over 40 ready pipelines launch each attempt exactly once."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    for i in range(PIPELINES):
        text = f"""
        pipeline: {{id: p{i:02d}}}
        schedule: {{trigger: {{key: shared-ready, check: equals, field: ok, value: true}}}}
        job: {{type: mock}}
        """
        (folder / f"p{i:02d}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    clock = FakeClock(NOW)
    backend = CountingBackend()
    lock = threading.Lock()
    installs = [
        Interlock(db=postgres_url, pipelines=folder, clock=clock, backends=lambda _t: backend)
        for _ in range(2)
    ]
    installs[0].apply()
    installs[0].put_readings([ReadingInput(key="shared-ready", data={"ok": True})])
    controllers = [
        il.controller(ControllerSettings(workers=2, owner=f"c{n}", claim_limit=5))
        for n, il in enumerate(installs)
    ]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            controllers[index].run_until_idle()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for controller in controllers:
        controller.run_until_idle()
        controller.close()
    assert errors == []
    assert len(backend.calls) == PIPELINES
    assert set(backend.calls.values()) == {1}
    for il in installs:
        il.close()
