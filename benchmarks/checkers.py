"""State checker benchmarks (issue 9): one bulk ``sql`` checker over 36,500 partitions.

A warehouse table of 365 days by 100 campaigns (one row per partition) and a pipeline
partitioned the same way. Each pass is what the check runner does for one check:

- the checker's one query, mapped to one observation per partition (``query_s``);
- change-only filtering against the previous pass's observations, held in a dict keyed by
  partition, as the runner (controller/checks.py) keeps them (``filter_s``);
- recording the changed ones as readings through ``Interlock.put_readings`` in batches of
  1,000, i.e. the store (``record_s``).

``first``: nothing seen yet, so every partition is recorded (target <= 2 s in all). Then 10
rows change in the warehouse; ``changed``: the next pass records exactly those 10 (target
<= 0.5 s). The same on PostgreSQL (the warehouse table in a fresh database of the server at
``INTERLOCK_BENCH_POSTGRES_URL``, default 127.0.0.1:5432; the Interlock store stays SQLite):
``{"skipped": reason}`` when the server is not there. ``--quick``: 30 days by 20 campaigns.

    .venv/bin/python benchmarks/checkers.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from interlock.abc import ReadingInput
from interlock.app import Interlock
from interlock.checkers.base import CheckRequest, Observation
from interlock.checkers.sql import SqlChecker
from interlock.controller.clock import FakeClock

NOW = datetime(2026, 12, 31, 9, 0, tzinfo=UTC)
ADMIN_URL = os.environ.get(
    "INTERLOCK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PIPELINE = """pipeline: {{id: report}}
partitions:
  time: {{granularity: daily, start: {start}, end: today, lag: 1d}}
  dimensions:
    campaign: {{values: [{values}]}}
complete:
  rules: [{{key: output, check: gte, field: rows, value: 1}}]
job: {{type: mock}}
"""
QUERY = (
    'select day, campaign, rows, loaded_at as "updatedAt" from results '
    "where day between :from_date and :to_date"
)
BATCH = 1000
CHANGED = 10


def _warehouse(url: str, days: list[str], campaigns: list[str]) -> None:
    """Create and fill ``results``: one row per (day, campaign)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("create table results (day text, campaign text, rows integer, loaded_at text)")
        )
        conn.execute(
            sa.text("insert into results values (:d, :c, 10, :l)"),
            [{"d": d, "c": c, "l": f"{d}T23:00:00Z"} for d in days for c in campaigns],
        )
        conn.execute(sa.text("create index results_day on results (day)"))
    engine.dispose()


def _change_rows(url: str, days: list[str], campaigns: list[str]) -> list[str]:
    """Change :data:`CHANGED` rows, spread over the table; return their partitions."""
    picked = [
        (days[(i * 37) % len(days)], campaigns[(i * 13) % len(campaigns)]) for i in range(CHANGED)
    ]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("update results set rows = rows + 1 where day = :d and campaign = :c"),
            [{"d": d, "c": c} for d, c in picked],
        )
    engine.dispose()
    return [f"{d}|campaign={c}" for d, c in picked]


def _pipeline(root: Path, days: list[str], campaigns: list[str]) -> Interlock:
    """The partitioned pipeline whose ``output`` readings the checker records."""
    folder = root / "pipelines"
    folder.mkdir()
    text = PIPELINE.format(start=days[0], values=", ".join(campaigns))
    (folder / "report.yaml").write_text(text, encoding="utf-8")
    il = Interlock(db=f"sqlite:///{root}/interlock.db", pipelines=folder, clock=FakeClock(NOW))
    il.apply()
    return il


def one_pass(
    il: Interlock,
    checker: SqlChecker,
    request: CheckRequest,
    previous: dict[str | None, Mapping[str, Any]],
) -> dict[str, Any]:
    """Check, keep what changed since ``previous`` (updated in place), record it; timed."""
    began = time.perf_counter()
    observations = checker.check(request).observations
    queried = time.perf_counter()
    changed: list[Observation] = []
    for observation in observations:
        if previous.get(observation.partition) != observation.data:
            previous[observation.partition] = observation.data
            changed.append(observation)
    filtered = time.perf_counter()
    for start in range(0, len(changed), BATCH):
        il.put_readings(
            [
                ReadingInput(key="output", data=o.data, pipeline_id="report", partition=o.partition)
                for o in changed[start : start + BATCH]
            ]
        )
    done = time.perf_counter()
    return {
        "observed": len(observations),
        "recorded": len(changed),
        "query_s": round(queried - began, 3),
        "filter_s": round(filtered - queried, 3),
        "record_s": round(done - filtered, 3),
        "total_s": round(done - began, 3),
    }


def bench_sql(root: Path, url: str, days_count: int, campaign_count: int) -> dict[str, Any]:
    """First pass and the pass after :data:`CHANGED` changed rows, on the warehouse ``url``."""
    first_day = NOW.date() - timedelta(days=days_count)
    days = [(first_day + timedelta(days=d)).isoformat() for d in range(days_count)]
    campaigns = [f"c{i:04d}" for i in range(campaign_count)]
    _warehouse(url, days, campaigns)
    il = _pipeline(root, days, campaigns)
    partitions = [f"{d}|campaign={c}" for d in days for c in campaigns]
    config = {"url": url, "query": QUERY, "partition": {"date": "day", "campaign": "campaign"}}
    request = CheckRequest(
        key="output",
        pipeline_id="report",
        partitions=partitions,
        configs=dict.fromkeys(partitions, config),
        timeout_seconds=60,
    )
    checker = SqlChecker(config)
    previous: dict[str | None, Mapping[str, Any]] = {}
    try:
        first = one_pass(il, checker, request, previous)
        changed_partitions = _change_rows(url, days, campaigns)
        second = one_pass(il, checker, request, previous)
    finally:
        checker.close()
        il.close()
    return {
        "partitions": len(partitions),
        "first": first,
        "changed": {**second, "expected": len(set(changed_partitions))},
    }


@contextlib.contextmanager
def postgres_warehouse() -> Iterator[str | None]:
    """A fresh PostgreSQL database URL (dropped on exit), or None when there is no server."""
    name = f"interlock_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        admin.dispose()
        yield None
        return
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_checkers(root: Path, *, quick: bool) -> dict[str, Any]:
    """The sql checker figures on SQLite and PostgreSQL warehouses."""
    days, campaigns = (30, 20) if quick else (365, 100)
    size = f"{days}x{campaigns}"
    (root / "sqlite").mkdir(parents=True)
    report: dict[str, Any] = {
        "sqlite": {
            size: bench_sql(root / "sqlite", f"sqlite:///{root}/warehouse.db", days, campaigns)
        }
    }
    with postgres_warehouse() as url:
        if url is None:
            report["postgres"] = {"skipped": f"no PostgreSQL server at {ADMIN_URL}"}
        else:
            (root / "postgres").mkdir()
            report["postgres"] = {size: bench_sql(root / "postgres", url, days, campaigns)}
    return report


def main() -> None:
    """Print the checker benchmarks as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(bench_checkers(Path(tmp), quick=args.quick), indent=2))


if __name__ == "__main__":
    main()
