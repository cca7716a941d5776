"""The benchmark suite still runs and reports every figure the issues name.

Times are not asserted here (performance is measured by ``benchmarks/run.py`` itself, on a
quiet machine); this keeps the suite from rotting between the sessions that quote it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_run_reports_every_figure() -> None:
    """``benchmarks/run.py --quick`` prints one JSON object with positive figures."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = json.loads(done.stdout)
    for figure in ("write_to_launch_ms", "write_to_launch_served_ms"):
        assert 0 < report[figure]["p50"] <= report[figure]["p99"]
    assert report["ingest"]["readings_per_s"] > 0
    assert report["idle"]["cpu_percent_of_one_core"] >= 0
    assert report["idle"]["peak_rss_mb"] > 0
    assert report["idle"]["runs"] == 500
    deps = report["dependencies"]
    for figure in ("per_hop", "first_hop", "total"):
        assert 0 < deps["chain_ms"][figure]["p50"] <= deps["chain_ms"][figure]["p99"]
    assert (
        0 < deps["chain_served_ms"]["per_hop"]["p50"] <= deps["chain_served_ms"]["per_hop"]["p99"]
    )
    assert deps["chain_ms"]["pipelines"] == 10
    assert deps["fan_out"]["downstreams"] == 100
    assert deps["fan_out"]["settle_and_wake_ms"] > 0
    assert deps["fan_out"]["decided_s"] > 0
    assert deps["idle"]["cpu_percent_of_one_core"] >= 0
    assert deps["idle"]["pipelines"] == 50
    w1 = report["desired_state"]["30x20"]
    assert (w1["partitions"], w1["missing"], w1["cold"]["queued"]) == (600, 6, 6)
    assert 0 < w1["cold"]["reconcile_s"] <= w1["cold"]["cold_s"]
    assert w1["ingest"]["readings"] == 594
    assert 0 < w1["recheck_ms"]["p50"] <= w1["recheck_ms"]["p99"]
    for warehouse in ("sqlite", "postgres"):
        sql = report["checkers"][warehouse]
        if "skipped" in sql:
            continue
        first, changed = sql["30x20"]["first"], sql["30x20"]["changed"]
        assert (first["observed"], first["recorded"]) == (600, 600)
        assert (changed["observed"], changed["recorded"]) == (600, changed["expected"]) == (600, 10)
        assert 0 < first["query_s"] <= first["total_s"]
