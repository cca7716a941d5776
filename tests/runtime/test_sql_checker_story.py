"""The issue's ``sql`` story through the real store and controller, on real warehouse tables.

Two bulk ``sql`` checkers watch a warehouse (a SQLite file, or a fresh PostgreSQL database):
``upstream`` counts the raw rows a partition's job reads, ``output`` the rows it wrote. A
sweep is one round of the real check runner (controller/checks.py): one check per checker
over the partitions that matter, change-only, recorded as readings. Rows appear → the run
launches; rows deleted after success → ``complete`` stops holding → a self-heal rerun of
exactly that partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from runtime_support import World

from interlock.controller.checks import CheckRunner
from interlock.model.checkers import SensorCheckSpec
from interlock.model.specs import PipelineSpec

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAYS = ["2026-11-28", "2026-11-29", "2026-11-30"]
PARTITIONS = [f"{d}|campaign={c}" for d in DAYS for c in ("a", "b")]
LATE = "2026-11-30|campaign=b"
REPORT = """
pipeline: {id: report}
partitions:
  time: {granularity: daily, start: 2026-11-28, end: today, lag: 1d, timezone: UTC}
  dimensions:
    campaign: {values: [a, b]}
validation:
  rules: [{key: upstream, check: gte, field: rows, value: 1}]
complete:
  rules: [{key: output, check: gte, field: rows, value: 1}]
job: {type: mock, pollInterval: 1m}
"""


QUERIES = {
    key: f"select day, campaign, count(*) as rows from {table} "  # noqa: S608 - constants
    "where day between :from_date and :to_date group by day, campaign"
    for key, table in (("upstream", "raw"), ("output", "results"))
}


class Sweeper:
    """The real check runner over the report pipeline, its two sql checkers attached."""

    def __init__(self, world: World, url: str) -> None:
        """One sql checker per key over the warehouse ``url``, every 5 minutes."""
        self.world = world
        parts = {"date": "day", "campaign": "campaign"}
        checks = tuple(
            SensorCheckSpec(
                key=key,
                kind="sql",
                every=EVERY,
                config={"url": url, "query": query, "partition": parts},
                pipeline_id="report",
                horizon=timedelta(days=400),
            )
            for key, query in QUERIES.items()
        )

        def specs() -> Mapping[str, PipelineSpec]:
            return {p: replace(s, sensors=checks) for p, s in world.il.specs().items()}

        self.runner = CheckRunner(world.il.store, specs, world.clock)

    def sweep(self) -> list[tuple[str, str | None]]:
        """The next round of checks (every 5 minutes): the (key, partition) recorded."""
        outcomes = self.runner.run_due()
        self.world.controller.run_until_idle()
        self.world.clock.advance(EVERY)
        assert all(o.ok for o in outcomes), [o.error for o in outcomes]
        label = {o.label: o for o in outcomes}
        return [
            (key, observed.partition)
            for key in QUERIES
            for observed in (label[f"report/{key}"].recorded if f"report/{key}" in label else ())
        ]

    def close(self) -> None:
        """Stop the runner (its checkers' engines are closed with it)."""
        self.runner.stop()


EVERY = timedelta(minutes=5)


def execute(url: str, statement: str, partitions: list[str] | None = None) -> None:
    """Run SQL against the warehouse (once per partition, bound to its day and campaign)."""
    params = [{"day": p[:10], "campaign": p.split("=")[1]} for p in partitions or []]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(statement), params or None)
    engine.dispose()


INSERT_RAW = "insert into raw (day, campaign) values (:day, :campaign)"
INSERT_RESULTS = "insert into results (day, campaign) values (:day, :campaign)"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A warehouse with ``raw`` and ``results``: every partition built but :data:`LATE`."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/warehouse.db"
    else:
        url = request.getfixturevalue("postgres_url")
    built = [p for p in PARTITIONS if p != LATE]
    execute(url, "create table raw (day text, campaign text)")
    execute(url, "create table results (day text, campaign text)")
    execute(url, INSERT_RAW, built)
    execute(url, INSERT_RESULTS, built)
    return url


def launched(world: World) -> list[str]:
    """Every attempt launched so far."""
    return [r.attempt_id for r in world.backend.launches]


def test_rows_appear_launch_the_run_and_deleted_rows_heal_one_partition(
    make_world, warehouse: str
) -> None:
    """The sql checkers' readings drive the controller: launch on upstream rows, heal on delete."""
    world: World = make_world(REPORT, start=START)
    sweeper = Sweeper(world, warehouse)
    try:
        first = sweeper.sweep()
        world.controller.bootstrap()
        world.controller.run_until_idle()
        assert len(first) == 2 * len(PARTITIONS)  # nothing seen before: every observation
        assert launched(world) == []  # LATE's upstream is absent: its run waits

        execute(warehouse, INSERT_RAW, [LATE])
        assert sweeper.sweep() == [("upstream", LATE)]  # change-only: just the new rows
        assert launched(world) == [f"report/{LATE}/1"]

        world.statuses[f"report/{LATE}/1"] = "succeeded"
        world.clock.advance(timedelta(minutes=1))
        world.controller.run_until_idle()
        execute(warehouse, INSERT_RESULTS, [LATE])
        assert sweeper.sweep() == [("output", LATE)]
        assert sweeper.sweep() == []  # nothing changed: nothing recorded

        gone = "2026-11-29|campaign=a"
        delete = "delete from results where day = :day and campaign = :campaign"
        execute(warehouse, delete, [gone])
        assert sweeper.sweep() == [("output", gone)]
        healed = world.run(gone, pipeline="report")
        assert healed.attempt_reason == "missing-output"
        assert launched(world) == [f"report/{LATE}/1", f"report/{gone}/1"]
        missing = [e for e in world.events("report") if e.type == "PARTITION_MISSING"]
        assert [e.partition for e in missing] == [gone]
    finally:
        sweeper.close()
