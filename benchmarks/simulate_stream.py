"""``interlock simulate`` over long timelines: wall time and peak memory; prints JSON.

    .venv/bin/python benchmarks/simulate_stream.py            # 10k, 100k and 1M lines
    .venv/bin/python benchmarks/simulate_stream.py --quick    # 2k and 10k lines (smoke run)

The issue's target: time linear in the number of lines, and under 200 MB at 1 million. Each
size is a fresh ``interlock simulate --json`` subprocess over a generated timeline for
``examples/pipelines/gold-revenue.yaml`` (a daily cron with a trigger, three rules, an SLA
and retries): per simulated day, a row count every 15 minutes, the (dated) trigger and the
freshness readings, a dated row count, the job's outcome (every 7th day a failure, then the
retry's success) and, every 10th day, a rerun. So the replay opens, evaluates, launches,
retries, watches for late data and checks the SLA every day, for 27 years at 1M lines.
Peak RSS is the child's own (``os.wait4`` in a bare interpreter), so neither the generator's
memory nor this process's counts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / "examples" / "pipelines" / "gold-revenue.yaml"
START = datetime(2026, 1, 1, tzinfo=UTC)
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (2_000, 10_000)


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def day_lines(index: int) -> list[dict[str, object]]:
    """The lines of simulated day ``index`` (about 100), in time order."""
    day = START + timedelta(days=index)
    partition = day.date().isoformat()

    def at(hours: int, minutes: int) -> datetime:
        return day + timedelta(hours=hours, minutes=minutes)

    ready = {"status": "ready"}
    lines: list[tuple[datetime, dict[str, object]]] = [
        (day + timedelta(minutes=15 * k), {"key": "row-count", "data": {"count": 1000 + k}})
        for k in range(96)
    ]
    lines += [
        (at(8, 10), {"key": "upstream-complete", "partition": partition, "data": ready}),
        (at(8, 10), {"key": "freshness", "data": {"updatedAt": _z(at(8, 10))}}),
        (at(12, 1), {"key": "row-count", "partition": partition, "data": {"count": 9000}}),
    ]
    if index % 7 == 3:  # a transient failure, then the retry succeeds
        lines.append((at(8, 40), {"job": "failed", "category": "TRANSIENT", "message": "flaky"}))
        lines.append((at(9, 20), {"job": "succeeded"}))
    else:
        lines.append((at(8, 40), {"job": "succeeded"}))
    if index % 10 == 5:  # accepted (newer readings), relaunched, never reported: poll exhausted
        lines.append((at(13, 1), {"rerun": partition, "reason": "backfill"}))
    lines.sort(key=lambda pair: pair[0])  # stable: equal times keep their order
    return [{"at": _z(moment), **item} for moment, item in lines]


def write_timeline(path: Path, count: int) -> int:
    """Write the first ``count`` lines of the generated timeline; returns the line count."""
    written = 0
    with path.open("w", encoding="utf-8") as handle:
        index = 0
        while written < count:
            for item in day_lines(index):
                if written == count:
                    break
                handle.write(json.dumps(item) + "\n")
                written += 1
            index += 1
    return written


_MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write(f"{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}\\n")
"""
"""A bare interpreter that forks, execs the command and reports its peak RSS (KiB) and exit.

On Linux a child's ``ru_maxrss`` includes the image it was forked from, so measuring
``simulate`` straight from this (large) process would report this process's size; the
bare interpreter adds only its own few MB."""


def run_simulate(timeline: Path, output: Path) -> dict[str, float]:
    """One ``interlock simulate --json`` subprocess: seconds, its own peak RSS, events."""
    interlock = Path(sys.executable).with_name("interlock")
    command = [str(interlock), "simulate", str(PIPELINE), "--readings", str(timeline), "--json"]
    with output.open("wb") as sink:
        started = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - our own interpreter and CLI, fixed arguments
            [sys.executable, "-I", "-S", "-c", _MEASURE, *command],
            stdout=sink,
            stderr=subprocess.PIPE,
            check=False,
        )
        seconds = time.perf_counter() - started
    maxrss_kb, code = done.stderr.decode().split()[-2:]
    if done.returncode != 0 or code != "0":
        msg = f"interlock simulate exited {code}: {done.stderr.decode()[-500:]}"
        raise RuntimeError(msg)
    with output.open("rb") as handle:
        events = sum(1 for _ in handle)
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(int(maxrss_kb) / 1024, 1),
        "events": events,
    }


def bench_simulate_stream(root: Path, sizes: tuple[int, ...]) -> dict[str, object]:
    """Time and peak memory of ``simulate`` at each size, and microseconds per line."""
    figures = []
    for size in sizes:
        timeline = root / f"timeline-{size}.jsonl"
        lines = write_timeline(timeline, size)
        result = run_simulate(timeline, root / f"events-{size}.jsonl")
        us_per_line = round(result["seconds"] / lines * 1e6, 1)
        figures.append({"lines": lines, **result, "us_per_line": us_per_line})
        timeline.unlink()
    return {"pipeline": PIPELINE.name, "sizes": figures}


def main() -> None:
    """Run every size and print the JSON report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    args = parser.parse_args()
    sizes = QUICK_SIZES if args.quick else SIZES
    with tempfile.TemporaryDirectory() as tmp:
        report = {"simulate_stream": bench_simulate_stream(Path(tmp), sizes)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
