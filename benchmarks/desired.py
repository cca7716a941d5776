"""Desired-state benchmarks (W1 of the issue): one pipeline, a daily axis by one dimension.

1 % of the partitions are missing; the output readings of the other 99 % are present,
ingested through the batch API (timed: ``ingest``). Then:

- ``cold``: a fresh process opens the database and starts a controller, until every missing
  partition has its run queued (``cold_s``; ``reconcile_s`` is the reconcile pass alone), and
  its peak RSS. A fresh process, so nothing is cached and the RSS is the controller's own.
- ``recheck_ms``: one changed output reading, until its partition has been re-checked (the
  re-check happens in the write's own transaction, so this is the write).

Sizes: 365 days by 100 campaigns (36,500 partitions; targets cold <= 0.1 s, recheck <= 1 ms)
and 365 days by 1,000 campaigns (365,000; cold <= 1 s, <= 500 MB). ``--quick``: 30 by 20.

    .venv/bin/python benchmarks/desired.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from interlock.abc import ReadingInput
from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings

NOW = datetime(2026, 12, 31, 9, 0, tzinfo=UTC)
FIRST = date(2026, 1, 1)
PIPELINE = """pipeline: {{id: report}}
partitions:
  time: {{granularity: daily, start: {start}, end: today, lag: 1d}}
  dimensions:
    campaign: {{values: [{values}]}}
complete:
  rules: [{{key: output, check: gte, field: rows, value: 1}}]
backfill: {{maxConcurrent: 4}}
job: {{type: mock}}
"""


def _install(root: Path, days: int, campaigns: int) -> tuple[str, Path, list[str]]:
    """Write the pipeline, apply it; return the database URL, the folder, the partitions."""
    folder = root / "pipelines"
    folder.mkdir()
    names = [f"c{i:04d}" for i in range(campaigns)]
    start = NOW.date() - timedelta(days=days)
    text = PIPELINE.format(start=start.isoformat(), values=", ".join(names))
    (folder / "report.yaml").write_text(text, encoding="utf-8")
    db = f"sqlite:///{root}/desired.db"
    il = Interlock(db=db, pipelines=folder, clock=FakeClock(NOW))
    il.apply()
    il.close()
    dates = [(start + timedelta(days=d)).isoformat() for d in range(days)]
    return db, folder, [f"{d}|campaign={c}" for d in dates for c in names]


def _ingest(db: str, partitions: list[str]) -> dict[str, Any]:
    """Every partition's output but each hundredth, in batches of 1,000: the ingest rate."""
    present = [p for i, p in enumerate(partitions) if i % 100 != 0]
    il = Interlock(db=db, clock=FakeClock(NOW))
    started = time.perf_counter()
    for start in range(0, len(present), 1000):
        batch = [
            ReadingInput(key="output", data={"rows": 10}, pipeline_id="report", partition=p)
            for p in present[start : start + 1000]
        ]
        il.put_readings(batch)
    elapsed = time.perf_counter() - started
    il.close()
    return {
        "readings": len(present),
        "seconds": round(elapsed, 2),
        "readings_per_s": round(len(present) / elapsed),
    }


def cold_start(db: str) -> dict[str, Any]:
    """In this (fresh) process: open, start a controller, reconcile; time and peak RSS."""
    began = time.perf_counter()
    il = Interlock(db=db, clock=FakeClock(NOW))
    controller = il.controller(ControllerSettings(workers=0))
    controller.specs()
    opened = time.perf_counter()
    controller.bootstrap()
    done = time.perf_counter()
    queued = len(il.store.list_runs("report", limit=1_000_000))
    il.close()
    return {
        "cold_s": round(done - began, 3),
        "open_s": round(opened - began, 3),
        "reconcile_s": round(done - opened, 3),
        "queued": queued,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _cold_in_fresh_process(db: str) -> dict[str, Any]:
    out = subprocess.run(  # noqa: S603 - this very script, on a database it created
        [sys.executable, __file__, "--cold", db], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def _recheck(db: str, partitions: list[str], samples: int) -> dict[str, Any]:
    """One changed output reading → its partition re-checked (in the write), per sample."""
    il = Interlock(db=db, clock=FakeClock(NOW))
    took: list[float] = []
    present = [p for i, p in enumerate(partitions) if i % 100 != 0]
    for n in range(samples):
        partition = present[(n * 7919) % len(present)]
        started = time.perf_counter()
        il.put_reading("report", "output", {"rows": 11 + n}, partition=partition)
        took.append((time.perf_counter() - started) * 1000)
    il.close()
    warm = sorted(took[10:])
    return {
        "p50": round(statistics.median(warm), 3),
        "p99": round(warm[int(len(warm) * 0.99) - 1], 3),
        "samples": len(warm),
    }


def bench_w1(root: Path, days: int, campaigns: int) -> dict[str, Any]:
    """Ingest, cold start and re-check at one size."""
    db, _folder, partitions = _install(root, days, campaigns)
    ingest = _ingest(db, partitions)
    cold = _cold_in_fresh_process(db)
    return {
        "partitions": len(partitions),
        "missing": len(partitions) - ingest["readings"],
        "ingest": ingest,
        "cold": cold,
        "recheck_ms": _recheck(db, partitions, 300),
    }


def bench_desired(root: Path, *, quick: bool) -> dict[str, Any]:
    """Every desired-state figure, at the issue's sizes (or small ones with ``quick``)."""
    sizes = [(30, 20)] if quick else [(365, 100), (365, 1000)]
    report = {}
    for days, campaigns in sizes:
        folder = root / f"w1-{days}x{campaigns}"
        folder.mkdir()
        report[f"{days}x{campaigns}"] = bench_w1(folder, days, campaigns)
    return report


def main() -> None:
    """Print the desired-state benchmarks as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--cold", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold:
        print(json.dumps(cold_start(args.cold)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(bench_desired(Path(tmp), quick=args.quick), indent=2))


if __name__ == "__main__":
    main()
