"""``simulate`` and the real runtime agree on what the reconciler backfills.

For a random small set of missing outputs (and a random ``maxConcurrent`` and order), the
same pipeline is started twice: once in the simulation, once through the real SQLite store
and controller with a mock job backend, each with every other output reported at the start.
Both must open backfill runs for exactly the missing partitions and, their jobs finishing
one a minute, launch the same partitions in the same order within ``maxConcurrent``.

Only one job finishes per controller round here: when several settle in one round, the
store wakes the next ``maxConcurrent`` queued runs per settled run, all due at once, which
the simulation (one decision at a time) does not reproduce run for run.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.abc import ReadingInput
from interlock.app import Interlock
from interlock.config import parse_pipeline
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import MockBackend
from interlock.model import OpenedBy, RunState
from interlock.simulation import Simulation

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PARTITIONS = [f"2026-11-{d}|campaign={c}" for d in range(26, 31) for c in "ab"]
"""The range at ``START``: 26 to 30 November by two campaigns."""
_FLYING = frozenset({RunState.LAUNCHING, RunState.RUNNING})


def document(limit: int, order: str) -> str:
    """The pipeline: daily since 26 November, two campaigns, done when the output has rows."""
    return f"""
pipeline: {{id: report}}
partitions:
  time: {{start: 2026-11-26, lag: 1d}}
  dimensions:
    campaign: {{values: [a, b]}}
complete:
  rules: [{{key: output, check: gte, field: rows, value: 1}}]
job: {{type: mock, maxRetries: 0, pollInterval: 1m}}
backfill: {{maxConcurrent: {limit}, order: {order}}}
"""


Outcome = tuple[set[str], list[str]]
"""The partitions given a backfill run, and every launch in order."""
MINUTE = timedelta(minutes=1)


def simulated(text: str, missing: set[str]) -> Outcome:
    """What the simulation backfills and launches, its jobs finishing one a minute."""
    sim = Simulation(parse_pipeline(text), start=START)
    for partition in sorted(set(PARTITIONS) - missing):
        sim.put_reading("output", {"rows": 1}, at=START, partition=partition)
    sim.advance_to(START + timedelta(seconds=1))
    now = START
    while flying := sorted(p for p, r in sim.runs.items() if r.state in _FLYING):
        now += MINUTE
        sim.job_outcome("succeeded", at=now, partition=flying[0])
        sim.advance_to(now + timedelta(seconds=1))
    launches = [e.partition for e in sim.events if e.type == "JOB_TRIGGERED"]
    backfilled = {p for p, r in sim.runs.items() if r.opened_by is OpenedBy.BACKFILL}
    return backfilled, launches


def in_runtime(text: str, missing: set[str], folder: Path) -> Outcome:
    """The same through the real store and controller (a mock job backend, polled each minute)."""
    (folder / "pipelines").mkdir()
    (folder / "pipelines" / "report.yaml").write_text(text, encoding="utf-8")
    statuses: dict[str, str] = {}
    backend = MockBackend(lambda request: statuses.get(request.attempt_id, "running"))
    clock = FakeClock(START)
    il = Interlock(
        db=f"sqlite:///{folder}/interlock.db",
        pipelines=folder / "pipelines",
        clock=clock,
        backends=lambda _t: backend,
    )
    try:
        il.apply()
        present = sorted(set(PARTITIONS) - missing)
        il.put_readings(
            [
                ReadingInput(key="output", data={"rows": 1}, pipeline_id="report", partition=p)
                for p in present
            ]
        )
        controller = il.controller(ControllerSettings(workers=0))
        controller.bootstrap()
        controller.run_until_idle()
        while flying := sorted(
            (r.partition, r.attempt_id) for r in backend.launches if r.attempt_id not in statuses
        ):
            statuses[flying[0][1]] = "succeeded"
            clock.advance(MINUTE)
            controller.run_until_idle()
        runs = il.store.list_runs("report", limit=1_000)
    finally:
        il.close()
    backfilled = {r.partition for r in runs if r.opened_by is OpenedBy.BACKFILL}
    return backfilled, [r.partition for r in backend.launches]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    missing=st.sets(st.sampled_from(PARTITIONS), max_size=7),
    limit=st.integers(min_value=1, max_value=3),
    order=st.sampled_from(["newest-first", "oldest-first"]),
)
def test_simulate_and_the_runtime_backfill_and_launch_the_same_partitions(
    missing: set[str], limit: int, order: str
) -> None:
    """Same backfill runs (exactly the missing outputs), same launches in the same order."""
    text = document(limit, order)
    with tempfile.TemporaryDirectory() as folder:
        runtime = in_runtime(text, missing, Path(folder))
    simulation = simulated(text, missing)
    assert simulation == runtime
    assert simulation[0] == missing
    assert sorted(simulation[1]) == sorted(missing)  # each launched once, none done again
