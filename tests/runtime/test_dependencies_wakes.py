"""Wake on status, end to end: no polling, no lost wake-up, nothing extra to pay.

The real SQLite store and controller on a fake clock that does not move: an upstream's
outcome is decided in one ``run_once`` and its downstream in the next, at the same instant.
A controller that dies between the two leaves the wake-up in the database for the next one.
``serve`` is notified and finds the downstream due: it decides it in its next loop turn.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from dependencies_support import DAY, Graph, at, build, depending, reopen, spec

from interlock.controller.loop import ControllerSettings
from interlock.model import OpenedBy, RunState

NEXT = "2026-11-24"
UP = spec("up", cron="0 6 * * *")
SCHEDULED = depending(spec("down", cron="0 6 * * *"), ["up"])
"""Opened by its own cron at 06:00: WAITING for ``up`` when it succeeds."""
UNSCHEDULED = depending(spec("down"), ["up"])
"""No cron, no trigger: the run is created by ``up``'s final state."""


def started(tmp_path: Path, down: object) -> Graph:
    """``up`` running since 06:00, ``down`` not decided since."""
    graph = build(tmp_path, [UP, down], at("05:00"))  # type: ignore[list-item]
    graph.step("06:00")
    assert graph.launches("up") == ["up/2026-11-23/1"]
    assert graph.launches("down") == []
    return graph


@pytest.mark.parametrize("down", [SCHEDULED, UNSCHEDULED], ids=["scheduled", "unscheduled"])
def test_a_status_change_wakes_the_downstream_in_the_next_round_without_time_passing(
    tmp_path: Path, down: object
) -> None:
    """One round decides ``up``'s success and makes ``down`` due now; the next launches it."""
    graph = started(tmp_path, down)
    graph.step("06:17")
    graph.report("up")
    assert graph.controller.run_once() == 1  # up, and only up: down was not due yet
    assert graph.state("up") is RunState.SUCCEEDED
    woken = graph.run("down")
    assert woken.next_check_at == at("06:17")
    assert graph.launches("down") == []
    graph.controller.run_once()
    assert graph.launches("down") == ["down/2026-11-23/1"]
    assert graph.clock.now() == at("06:17")
    if down is UNSCHEDULED:
        assert graph.run("down").opened_by is OpenedBy.UPSTREAM


@pytest.mark.parametrize("down", [SCHEDULED, UNSCHEDULED], ids=["scheduled", "unscheduled"])
def test_a_controller_crash_between_the_upstream_and_the_downstream_loses_no_wake_up(
    tmp_path: Path, down: object
) -> None:
    """The wake-up commits with ``up``'s decision: a new controller launches ``down`` at once."""
    graph = started(tmp_path, down)
    graph.step("06:17")
    graph.report("up")
    graph.controller.run_once()  # up's success is stored ... and then the process dies
    assert graph.launches("down") == []
    del graph.controller
    successor = reopen(graph, tmp_path)
    try:
        successor.controller.bootstrap()
        successor.controller.run_until_idle()
        assert successor.launches("down") == ["down/2026-11-23/1"]
        (triggered,) = successor.events("down", "JOB_TRIGGERED")
        assert triggered.at == at("06:17")
    finally:
        successor.il.close()
        graph.il.close()


def test_serve_decides_the_downstream_in_its_next_turn_without_sleeping(tmp_path: Path) -> None:
    """``serve`` on a clock that never moves, naps of a minute: the wake-up is what it acts on."""
    graph = started(tmp_path, UNSCHEDULED)
    launched = threading.Event()
    graph.backend.on_launch = lambda request: (
        launched.set() if request.pipeline_id == "down" else None
    )
    serving = graph.il.controller(ControllerSettings(workers=0, max_sleep=60))
    thread = threading.Thread(target=serving.serve, daemon=True)
    thread.start()
    try:
        assert serving.ready.wait(10)
        time.sleep(0.05)  # it settles and naps
        began = time.perf_counter()
        graph.report("up")
        assert launched.wait(10), "down was not launched"
        took = time.perf_counter() - began
    finally:
        serving.stop()
        thread.join(10)
    assert took < 5, f"down launched {took:.1f} s after up's report: the loop slept"
    assert graph.launches("down") == ["down/2026-11-23/1"]
    assert graph.run("down").partition == DAY


def test_an_sla_deadline_is_predicted_at_risk_from_the_upstreams_job_log(tmp_path: Path) -> None:
    """``up`` took 3 h yesterday: today at 06:00 the 08:00 deadline of ``down`` is at risk.

    The prediction needs what only the store knows: ``up``'s launch time and its median
    duration over its job log (its spec declares none). Yesterday there was no history,
    so no prediction: the figure is the store's, not a constant.
    """
    down = depending(
        spec("down", cron="0 6 * * *", extra='sla: {deadline: "08:00", expectedDuration: 30m}'),
        ["up"],
    )
    graph = build(tmp_path, [UP, down], at("05:00"))
    graph.step("06:00")
    graph.step("09:00")
    graph.report("up")
    graph.controller.run_until_idle()
    graph.report("down")
    graph.controller.run_until_idle()
    assert graph.events("down", "SLA_AT_RISK") == []
    graph.step(at("06:00", NEXT))
    (at_risk,) = graph.events("down", "SLA_AT_RISK")
    assert at_risk.at == at("06:00", NEXT)
    assert at_risk.partition == NEXT
    assert at_risk.detail["predictedFinish"] == at("09:30", NEXT).isoformat()
    assert at_risk.detail["criticalPath"] == ["up"]
