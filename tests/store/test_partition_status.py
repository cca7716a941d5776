"""Completeness kept as readings arrive, on SQLite and PostgreSQL (``partition_status``).

A dated reading of a key that a ``complete`` condition reads re-checks that one partition
in the write's transaction; the reconciler then reads which partitions are complete instead
of evaluating 365,000 conditions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest
from store_support import NOW

from interlock.abc import ReadingInput
from interlock.config import parse_pipeline
from interlock.model import OpenedBy, Run, RunState
from interlock.model.conditions import AllOf, Rule
from interlock.model.desired import BackfillSpec, Dimension, PartitionsSpec, TimeAxis
from interlock.model.specs import PipelineSpec
from interlock.store.sqlalchemy import SqlStore

OUTPUT = Rule(key="output", check="gte", field="rows", value=1)


def partitioned(pipeline_id: str = "daily", **changes: object) -> PipelineSpec:
    """A daily pipeline over three campaigns, done when ``output.rows >= 1``."""
    spec = parse_pipeline(f"pipeline: {{id: {pipeline_id}}}\njob: {{type: mock}}\n")
    partitions = PartitionsSpec(
        time=TimeAxis(start=date(2026, 11, 1)),
        dimensions=(Dimension(name="campaign", values=("a", "b", "c")),),
    )
    spec = replace(spec, partitions=partitions, complete=OUTPUT, backfill=BackfillSpec())
    digest = hashlib.sha256(repr(sorted(changes.items())).encode()).hexdigest()
    return replace(spec, **changes, config_hash=digest)


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    """A store with the ``daily`` pipeline applied."""
    opened = SqlStore(db_url)
    opened.sync_pipelines([partitioned()], {"daily": "# daily"}, NOW)
    yield opened
    opened.close()


def put(store: SqlStore, partition: str, rows: int, *, key: str = "output") -> None:
    """The sensor reports ``rows`` for one partition."""
    reading = ReadingInput(key=key, data={"rows": rows}, pipeline_id="daily", partition=partition)
    store.put_readings([reading], NOW)


def test_a_dated_reading_that_meets_complete_marks_its_partition_complete(store) -> None:
    """One reading, one partition checked: the reconciler sees it done."""
    put(store, "2026-11-21|campaign=b", 12)
    rows = store.partition_rows("daily")
    assert rows.complete == {"2026-11-21|campaign=b"}
    assert rows.incomplete_once == frozenset()


def test_a_reading_that_does_not_meet_complete_is_not_done(store) -> None:
    """``rows: 0`` is a reading, and the condition does not hold on it."""
    put(store, "2026-11-21|campaign=b", 0)
    assert store.partition_rows("daily").complete == frozenset()


def test_output_that_shrinks_after_being_complete_is_missing_once(store) -> None:
    """Done once, then not: the partition is one the reconciler heals."""
    put(store, "2026-11-21|campaign=b", 12)
    put(store, "2026-11-21|campaign=b", 0)
    rows = store.partition_rows("daily")
    assert rows.complete == frozenset()
    assert rows.incomplete_once == {"2026-11-21|campaign=b"}
    put(store, "2026-11-21|campaign=b", 3)
    assert store.partition_rows("daily").complete == {"2026-11-21|campaign=b"}


def test_undated_readings_and_other_keys_leave_partitions_alone(store) -> None:
    """Only the partition's own readings of the condition's keys are materialized."""
    store.put_readings([ReadingInput(key="output", data={"rows": 5}, pipeline_id="daily")], NOW)
    put(store, "2026-11-21|campaign=b", 5, key="unrelated")
    assert store.partition_rows("daily").complete == frozenset()


def test_a_batch_checks_each_partition_it_touches(store) -> None:
    """The batch API re-checks every partition in the same transaction as the write."""
    batch = [
        ReadingInput(
            key="output",
            data={"rows": n},
            pipeline_id="daily",
            partition=f"2026-11-{d:02d}|campaign={c}",
        )
        for n, (d, c) in enumerate([(20, "a"), (20, "b"), (21, "a")])
    ]
    store.put_readings(batch, NOW)
    assert store.partition_rows("daily").complete == {
        "2026-11-20|campaign=b",
        "2026-11-21|campaign=a",
    }


def test_a_condition_over_two_keys_reads_the_partitions_other_reading(db_url) -> None:
    """``output`` and ``quality`` both for the partition: done only once both hold."""
    both = AllOf(children=(OUTPUT, Rule(key="quality", check="equals", field="ok", value=True)))
    store = SqlStore(db_url)
    try:
        store.sync_pipelines([partitioned(complete=both)], {"daily": "# daily"}, NOW)
        put(store, "2026-11-21|campaign=a", 9)
        assert store.partition_rows("daily").complete == frozenset()
        store.put_readings(
            [
                ReadingInput(
                    key="quality",
                    data={"ok": True},
                    pipeline_id="daily",
                    partition="2026-11-21|campaign=a",
                )
            ],
            NOW,
        )
        assert store.partition_rows("daily").complete == {"2026-11-21|campaign=a"}
    finally:
        store.close()


def test_runs_of_note_come_decoded_with_their_times(store) -> None:
    """Failed and running runs carry the times the reconciler compares against."""
    failed = Run(
        pipeline_id="daily",
        partition="2026-11-20|campaign=a",
        created_at=NOW,
        state=RunState.FAILED,
        opened_by=OpenedBy.CRON,
        finished_at=NOW - timedelta(days=2),
        attempt=1,
    )
    waiting = replace(failed, partition="2026-11-20|campaign=b", state=RunState.WAITING)
    store.ensure_runs([failed, waiting], NOW)
    rows = store.partition_rows("daily")
    assert rows.runs == {
        "2026-11-20|campaign=a": RunState.FAILED,
        "2026-11-20|campaign=b": RunState.WAITING,
    }
    assert set(rows.timed) == {"2026-11-20|campaign=a"}
    assert rows.timed["2026-11-20|campaign=a"].finished_at == NOW - timedelta(days=2)


def test_queued_runs_are_woken_in_backfill_order_when_a_slot_frees(store) -> None:
    """A run at rest frees a slot: the queued runs are due newest first, maxConcurrent of them."""
    spec = partitioned(backfill=BackfillSpec(max_concurrent=2))
    queued = [
        Run(
            pipeline_id="daily",
            partition=f"2026-11-{d:02d}|campaign=a",
            created_at=NOW,
            state=RunState.WAITING,
            opened_by=OpenedBy.BACKFILL,
        )
        for d in (18, 19, 20)
    ]
    store.ensure_runs(queued, NOW)
    from interlock.store import partitions  # noqa: PLC0415 - the store-internal step under test

    with store.engine.begin() as conn:
        assert partitions.wake_queued(conn, spec, NOW) == 2
    woken = sorted(
        (r.next_check_at, r.partition) for r in store.list_runs("daily") if r.next_check_at
    )
    assert [p for _, p in woken] == ["2026-11-20|campaign=a", "2026-11-19|campaign=a"]
    assert all(due <= NOW for due, _ in woken)  # due now, the newest first
    assert store.count_active("daily") == 0
