"""The http checker under the real runner and store, against a real server on 127.0.0.1.

The status endpoint answers 500 twice, then says the feed is ready: one
``SENSOR_CHECK_FAILED`` for the streak, back-off between tries, nothing recorded while it
fails, and on recovery the reading that opens and launches the pipeline's run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from runtime_support import World

from interlock.controller.checks import CheckRunner
from interlock.model.checkers import SensorCheckSpec
from interlock.model.specs import PipelineSpec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "jobs"))
from http_server import serving

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
GATE = """
pipeline: {id: gate}
schedule: {trigger: {key: feed, check: equals, field: state, value: ready}}
job: {type: mock}
"""


def test_a_failing_endpoint_is_said_once_backed_off_and_its_recovery_launches(
    make_world: Callable[..., World],
) -> None:
    """500, 500, then ready: one failure event, waits of 10 and 20 min, then a launch."""
    world = make_world(GATE, start=START)
    with serving() as server:
        server.answer("/feed", (500, {"error": "db down"}), (500, {}), (200, {"state": "ready"}))
        check = SensorCheckSpec(
            key="feed",
            kind="http",
            every=timedelta(minutes=5),
            config={"url": f"{server.url}/feed", "fields": {"state": "$.state"}},
            pipeline_id="gate",
        )

        def specs() -> Mapping[str, PipelineSpec]:
            return {p: replace(s, sensors=(check,)) for p, s in world.il.specs().items()}

        runner = CheckRunner(world.il.store, specs, world.clock)
        tried = []
        for _ in range(40):
            if runner.run_due():
                tried.append(world.clock.now() - START)
            world.controller.run_until_idle()
            world.clock.advance(timedelta(minutes=1))
    assert tried[:3] == [timedelta(0), timedelta(minutes=10), timedelta(minutes=30)]
    failures = world.il.store.list_events(types=["SENSOR_CHECK_FAILED"])
    assert len(failures) == 1
    assert "500" in failures[0].message
    readings = world.il.store.reading_history("feed", pipeline_id="gate")
    assert [r["data"]["state"] for r in readings] == ["ready"]  # nothing while failing
    assert [r.attempt_id for r in world.backend.launches] == ["gate/2026-12-01/1"]
