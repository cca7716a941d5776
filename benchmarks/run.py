"""Interlock benchmarks; prints one JSON object with every figure.

    .venv/bin/python benchmarks/run.py            # full sizes (the issue's targets)
    .venv/bin/python benchmarks/run.py --quick    # small sizes, a smoke run

Figures:
- ``write_to_launch_ms``: sensor write → launch decision committed, in process, with 1,000
  pipelines loaded (target p50 ≤ 2 ms, p99 ≤ 10 ms);
- ``write_to_launch_served_ms``: the same with the controller serving in its own thread
  (wake-up and worker hand-off included; no target, for reference);
- ``ingest_readings_per_s``: batch API on SQLite (target ≥ 20,000/s);
- ``idle``: controller CPU share and RSS with 10,000 pipelines and 100,000 runs waiting on
  future times (targets ≤ 2 % of one core, ≤ 300 MB);
- ``simulate_stream``: ``interlock simulate`` over 10k, 100k and 1M timeline lines, seconds
  and peak RSS (targets linear time, < 200 MB at 1M); see ``simulate_stream.py``.
- ``dependencies``: ``dependsOn`` woken on status — a 10-pipeline chain per hop (target p99
  ≤ 3 ms in process), one success fanning out to 1,000 downstreams (≤ 0.5 s) and an idle
  controller over 10,000 pipelines in chains (≤ 2 % of a core); see ``dependencies.py``.
- ``desired_state``: W1 — one pipeline, 365 days by 100 (and 1,000) campaigns, 1 % missing:
  ingest of the outputs, a cold start until every missing partition is queued (≤ 0.1 s; ≤ 1 s
  and ≤ 500 MB at 365,000) and one changed reading re-checked (≤ 1 ms); see ``desired.py``.
- ``checkers``: one bulk ``sql`` checker over a 365-day by 100-campaign table, on SQLite and
  PostgreSQL: the first pass records 36,500 readings (≤ 2 s with the query), the pass after
  10 changed rows records exactly 10 (≤ 0.5 s); see ``checkers.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dependencies import bench_dependencies
from desired import bench_desired
from serving import idle_cost
from simulate_stream import QUICK_SIZES, SIZES, bench_simulate_stream

from checkers import bench_checkers
from interlock.app import Interlock
from interlock.controller.clock import FakeClock, SystemClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import MockBackend
from interlock.model import OpenRun
from interlock.store.base import ReadingInput

PIPELINE = """
pipeline: {{id: p{i:05d}}}
schedule:
  trigger: {{key: ready-{i}, check: equals, field: status, value: ready}}
validation:
  rules:
    - {{key: ready-{i}, check: equals, field: status, value: ready}}
    - {{key: rows-{i}, check: gte, field: count, value: 10}}
job: {{type: mock}}
"""


def make_folder(root: Path, count: int) -> Path:
    """Write ``count`` pipeline files."""
    folder = root / f"pipelines-{count}"
    if folder.exists():
        return folder
    folder.mkdir()
    for i in range(count):
        (folder / f"p{i:05d}.yaml").write_text(
            textwrap.dedent(PIPELINE.format(i=i)), encoding="utf-8"
        )
    return folder


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def bench_write_to_launch(root: Path, pipelines: int, samples: int) -> dict[str, float]:
    """Time from the start of ``put_reading`` to the backend's launch call.

    The launch call comes right after the launch decision is committed, so this measures
    write + wake + claim + decide + commit, one pipeline at a time, with ``pipelines`` loaded.
    """
    clock = FakeClock(datetime(2026, 11, 23, 8, tzinfo=UTC))
    launched: list[float] = []
    backend = MockBackend(
        lambda _r: "running", on_launch=lambda _r: launched.append(time.perf_counter())
    )
    il = Interlock(
        db=f"sqlite:///{root}/latency.db",
        pipelines=make_folder(root, pipelines),
        clock=clock,
        backends=lambda _t: backend,
    )
    il.apply()
    for i in range(pipelines):
        il.put_reading(f"p{i:05d}", f"rows-{i}", {"count": 100})
    controller = il.controller(ControllerSettings(workers=0))
    controller.run_until_idle()
    timings: list[float] = []
    samples = min(samples, pipelines)  # one fresh run per sample
    for i in range(samples):
        clock.advance(timedelta(seconds=1))
        controller.run_until_idle()  # untimed: polls that fell due, as the loop would do anyway
        start = time.perf_counter()
        il.put_reading(f"p{i:05d}", f"ready-{i}", {"status": "ready"})
        controller.run_once()
        timings.append((launched[-1] - start) * 1000)
        controller.run_until_idle()  # untimed: record the launch, as the worker pool would
    il.close()
    warm = timings[
        min(20, len(timings) // 10) :
    ]  # the first calls fill SQLAlchemy's statement cache
    return {
        "p50": round(statistics.median(warm), 3),
        "p99": round(percentile(warm, 99), 3),
        "max": round(max(warm), 3),
        "samples": len(warm),
        "pipelines": pipelines,
    }


def bench_write_to_launch_served(root: Path, pipelines: int, samples: int) -> dict[str, float]:
    """The same figure with the controller serving in its own thread, as ``interlock serve``.

    Adds what the sequential figure leaves out: waking the sleeping controller (the store's
    broker) and handing the launch to the worker pool.
    """
    launched = threading.Event()
    stamps: list[float] = []

    def on_launch(_request: object) -> None:
        stamps.append(time.perf_counter())
        launched.set()

    backend = MockBackend(lambda _r: "running", on_launch=on_launch)
    il = Interlock(
        db=f"sqlite:///{root}/served.db",
        pipelines=make_folder(root, pipelines),
        clock=SystemClock(),
        backends=lambda _t: backend,
    )
    il.apply()
    for i in range(pipelines):
        il.put_reading(f"p{i:05d}", f"rows-{i}", {"count": 100})
    controller = il.controller()
    thread = threading.Thread(target=controller.serve, daemon=True)
    thread.start()
    controller.ready.wait()
    timings: list[float] = []
    for i in range(min(samples, pipelines)):
        launched.clear()
        time.sleep(0.02)  # the controller settles (records the last launch) and sleeps
        start = time.perf_counter()
        il.put_reading(f"p{i:05d}", f"ready-{i}", {"status": "ready"})
        if not launched.wait(5):
            msg = f"pipeline p{i:05d} did not launch"
            raise RuntimeError(msg)
        timings.append((stamps[-1] - start) * 1000)
    controller.stop()
    thread.join()
    il.close()
    warm = timings[min(20, len(timings) // 10) :]
    return {
        "p50": round(statistics.median(warm), 3),
        "p99": round(percentile(warm, 99), 3),
        "samples": len(warm),
        "pipelines": pipelines,
    }


def bench_ingest(root: Path, pipelines: int, total: int, batch: int) -> dict[str, float]:
    """Readings per second through ``put_readings`` in batches."""
    il = Interlock(
        db=f"sqlite:///{root}/ingest.db",
        pipelines=make_folder(root, pipelines),
        clock=FakeClock(datetime(2026, 11, 23, 8, tzinfo=UTC)),
    )
    il.apply()
    batches = [
        [
            ReadingInput(
                key=f"rows-{(b * batch + j) % pipelines}",
                data={"count": j, "note": "x" * 20},
                pipeline_id=f"p{(b * batch + j) % pipelines:05d}",
            )
            for j in range(batch)
        ]
        for b in range(total // batch)
    ]
    start = time.perf_counter()
    for readings in batches:
        il.put_readings(readings)
    elapsed = time.perf_counter() - start
    il.close()
    return {"readings_per_s": round(total / elapsed), "total": total, "batch": batch}


def bench_idle(root: Path, pipelines: int, runs: int, seconds: float) -> dict[str, float]:
    """CPU share and peak RSS of a controller with only future work."""
    folder = make_folder(root, pipelines)
    il = Interlock(
        db=f"sqlite:///{root}/idle.db",
        pipelines=folder,
        clock=SystemClock(),
        backends=lambda _t: MockBackend(),
    )
    il.apply()
    future = datetime.now(UTC) + timedelta(days=30)
    per = runs // pipelines
    opens = [
        OpenRun(
            pipeline_id=f"p{i:05d}",
            partition=f"2027-{1 + d // 28:02d}-{1 + d % 28:02d}",
            check_at=future + timedelta(minutes=i),
            opened_by="schedule",
        )
        for i in range(pipelines)
        for d in range(per)
    ]
    for start in range(0, len(opens), 5000):
        il.store.ensure_runs(opens[start : start + 5000], datetime.now(UTC))
    cost = idle_cost(il.controller(), seconds)
    il.close()
    return {
        **cost,
        "pipelines": pipelines,
        "runs": per * pipelines,
        "seconds": seconds,
    }


def main() -> None:
    """Run every benchmark and print the JSON report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    args = parser.parse_args()
    q = args.quick
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        report = {
            "write_to_launch_ms": bench_write_to_launch(root, 50 if q else 1000, 50 if q else 2000),
            "write_to_launch_served_ms": bench_write_to_launch_served(
                root, 50 if q else 1000, 50 if q else 1000
            ),
            "ingest": bench_ingest(
                root, 50 if q else 1000, 2000 if q else 100_000, 500 if q else 1000
            ),
            "idle": bench_idle(root, 50 if q else 10_000, 500 if q else 100_000, 2 if q else 20),
            "simulate_stream": bench_simulate_stream(root, QUICK_SIZES if q else SIZES),
            "dependencies": bench_dependencies(root, quick=q),
            "desired_state": bench_desired(root, quick=q),
            "checkers": bench_checkers(root / "checkers", quick=q),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
