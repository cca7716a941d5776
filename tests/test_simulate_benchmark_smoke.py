"""``benchmarks/simulate_stream.py --quick`` still runs and reports every size.

No time is asserted (the full run, on a quiet machine, is the measurement); the smoke run
keeps the script from rotting and checks that each size really replayed its lines.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_simulate_benchmark_reports_each_size() -> None:
    """Two sizes, each with positive seconds, peak RSS and events that grow with the lines."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "simulate_stream.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    sizes = json.loads(done.stdout)["simulate_stream"]["sizes"]
    assert [s["lines"] for s in sizes] == [2_000, 10_000]
    for size in sizes:
        assert size["seconds"] > 0
        assert size["peak_rss_mb"] > 0
        assert size["us_per_line"] > 0
    assert 0 < sizes[0]["events"] < sizes[1]["events"]
