"""Fixtures for end-to-end tests: a real SQLite store, the real controller, a fake clock."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from runtime_support import World, at

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import MockBackend


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[Callable[..., World]]:
    """Build a world from pipeline YAML documents, starting at ``start``."""
    made: list[World] = []

    def build(*documents: str, start: datetime | None = None) -> World:
        folder = tmp_path / "pipelines"
        folder.mkdir(exist_ok=True)
        for i, doc in enumerate(documents):
            (folder / f"p{i}.yaml").write_text(textwrap.dedent(doc), encoding="utf-8")
        clock = FakeClock(start or at("07:00"))
        statuses: dict[str, str] = {}
        backend = MockBackend(lambda request: statuses.get(request.attempt_id, "running"))
        il = Interlock(
            db=f"sqlite:///{tmp_path}/interlock.db",
            pipelines=folder,
            clock=clock,
            backends=lambda _t: backend,
        )
        il.apply()
        controller = il.controller(ControllerSettings(workers=0))
        world = World(il=il, clock=clock, backend=backend, controller=controller, statuses=statuses)
        made.append(world)
        return world

    yield build
    for world in made:
        world.il.close()
