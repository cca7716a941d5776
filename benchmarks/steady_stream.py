"""A steady sensor stream against ``interlock serve``: nothing may grow but the ledger.

    .venv/bin/python benchmarks/steady_stream.py              # 10 readings/s for 10 minutes
    .venv/bin/python benchmarks/steady_stream.py --seconds 30  # a shorter run

Starts the real controller (``interlock serve``, SQLite, the ``gold-revenue`` example) as a
separate process and writes undated readings of one of its sensor keys at a steady rate
from this process, as a sensor would. Prints one JSON object: the size of the runs table and
the controller's CPU share over the first and the last window of the run. A controller
whose planning runs away shows both growing (as a fixed defect once did: one future run
per controller round, CPU 0.8 % → 11.9 % in 81 s).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from interlock.app import Interlock

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "pipelines" / "gold-revenue.yaml"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def runs_count(db: str) -> int:
    """Rows in the runs table."""
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        count = int(conn.execute(sa.text("SELECT count(*) FROM runs")).scalar_one())
    engine.dispose()
    return count


def start_controller(work: Path, db: str) -> subprocess.Popen[bytes]:
    """``interlock serve`` on the example pipeline, in its own process."""
    folder = work / "pipelines"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / EXAMPLE.name)
    cli = Path(sys.executable).with_name("interlock")
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [str(cli), "serve", "--pipelines", str(folder), "--db", db],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stream(il: Interlock, rate: float, seconds: float, window: float, pid: int) -> dict[str, float]:
    """Write readings at ``rate`` per second; CPU share of ``pid`` in the first/last window."""
    start = time.monotonic()
    first_cpu = cpu_seconds(pid)
    figures: dict[str, float] = {}
    last_window_cpu: float | None = None
    n = 0
    while (elapsed := time.monotonic() - start) < seconds:
        il.put_reading("gold-revenue", "row-count", {"count": n})
        n += 1
        if "first_window_cpu_percent" not in figures and elapsed >= window:
            figures["first_window_cpu_percent"] = 100 * (cpu_seconds(pid) - first_cpu) / elapsed
        if last_window_cpu is None and elapsed >= seconds - window:
            last_window_cpu, last_start = cpu_seconds(pid), elapsed
        time.sleep(max(0.0, start + n / rate - time.monotonic()))
    if last_window_cpu is not None:
        span = time.monotonic() - start - last_start
        figures["last_window_cpu_percent"] = 100 * (cpu_seconds(pid) - last_window_cpu) / span
    figures["readings"] = n
    return figures


def main() -> None:
    """Run the stream and print the figures as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=600.0, help="length of the stream")
    parser.add_argument("--rate", type=float, default=10.0, help="readings per second")
    args = parser.parse_args()
    window = min(60.0, args.seconds / 4)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = f"sqlite:///{work}/interlock.db"
        controller = start_controller(work, db)
        try:
            time.sleep(3.0)  # let it apply the pipeline and plan its runs
            runs_at_start = runs_count(db)
            il = Interlock(db=db)
            figures = stream(il, args.rate, args.seconds, window, controller.pid)
            runs_at_end = runs_count(db)
            il.close()
        finally:
            controller.send_signal(signal.SIGTERM)
            controller.wait(30)
    report = {
        "steady_stream": {
            "seconds": args.seconds,
            "rate_per_s": args.rate,
            "window_s": window,
            "runs_at_start": runs_at_start,
            "runs_at_end": runs_at_end,
            **{k: round(v, 2) for k, v in figures.items()},
        }
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
