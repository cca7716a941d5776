"""Prepared writes store exactly what ``Connection.execute`` stores, on both databases.

The hot write path compiles Core statements once and runs them as driver SQL; if its
parameter conversion drifted from SQLAlchemy's (datetime format on SQLite, JSON encoding),
time comparisons in the due-work index and JSON reads would silently break.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from interlock.store import schema as t
from interlock.store._prepared import Prepared
from interlock.store.sqlalchemy import SqlStore

EVENT_KEYS = ["type", "pipeline_id", "partition", "at", "message", "detail"]
BERLIN = timezone(timedelta(hours=1))


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    """A migrated store on each database."""
    store = SqlStore(db_url)
    yield store
    store.close()


def _event(kind: str, at: datetime, detail: object) -> dict[str, object]:
    return {
        "type": kind,
        "pipeline_id": "gold",
        "partition": None,
        "at": at,
        "message": "m",
        "detail": detail,
    }


def test_prepared_insert_reads_back_like_execute(store: SqlStore) -> None:
    """Offset datetimes come back in UTC and JSON round-trips, as through ``execute``."""
    at = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=BERLIN)
    detail = {"rows": 3, "ok": True, "nested": {"list": [1, "two", None]}, "text": "naïve ✓"}
    insert = Prepared(t.events.insert(), EVENT_KEYS)
    with store.engine.begin() as conn:
        insert.execute(conn, _event("VIA_PREPARED", at, detail))
        conn.execute(t.events.insert(), _event("VIA_EXECUTE", at, detail))
    with store.engine.connect() as conn:
        rows = {r.type: r for r in conn.execute(sa.select(t.events))}
    prepared, executed = rows["VIA_PREPARED"], rows["VIA_EXECUTE"]
    assert prepared.at == executed.at == at.astimezone(UTC)
    assert prepared.detail == executed.detail == detail


def test_prepared_datetimes_compare_like_execute_ones(store: SqlStore) -> None:
    """The due-work index compares stored times in SQL: both paths must sort together."""
    base = datetime(2026, 11, 23, 8, tzinfo=UTC)
    insert = Prepared(t.events.insert(), EVENT_KEYS)
    with store.engine.begin() as conn:
        insert.execute(conn, [_event("A", base + timedelta(seconds=s), {}) for s in (1, 3)])
        conn.execute(
            t.events.insert(), [_event("B", base + timedelta(seconds=s), {}) for s in (2, 4)]
        )
    with store.engine.connect() as conn:
        order = [r.type for r in conn.execute(sa.select(t.events).order_by(t.events.c.at))]
        later = conn.execute(
            sa.select(sa.func.count()).where(t.events.c.at > base + timedelta(seconds=2))
        ).scalar()
    assert order == ["A", "B", "A", "B"]
    assert later == 2


def test_prepared_update_reports_rowcount(store: SqlStore) -> None:
    """``apply`` relies on the row count to detect a stale decision."""
    insert = Prepared(t.events.insert(), EVENT_KEYS)
    rename = Prepared(
        t.events.update()
        .where(t.events.c.type == sa.bindparam("b_old"))
        .values(type=sa.bindparam("b_new"))
    )
    at = datetime(2026, 11, 23, 8, tzinfo=UTC)
    with store.engine.begin() as conn:
        insert.execute(conn, [_event("OLD", at, {}), _event("OLD", at, {})])
        assert rename.execute(conn, {"b_old": "OLD", "b_new": "NEW"}).rowcount == 2
        assert rename.execute(conn, {"b_old": "MISSING", "b_new": "X"}).rowcount == 0


def test_an_insert_missing_a_defaulted_column_is_refused(store: SqlStore) -> None:
    """Column defaults are not applied on this path, so leaving one out is a coding error."""
    insert = Prepared(t.runs.insert(), ["pipeline_id", "partition", "state", "updated_at", "body"])
    with store.engine.begin() as conn, pytest.raises(TypeError, match="has_signals"):
        insert.execute(conn, {})


def test_expanding_parameters_are_refused(store: SqlStore) -> None:
    """An ``IN`` list renders per call, which is what this path exists to avoid."""
    update = Prepared(t.events.update().where(t.events.c.type.in_(["A", "B"])).values(message="x"))
    with store.engine.begin() as conn, pytest.raises(TypeError, match="expanding"):
        update.execute(conn, {})


def test_a_batch_repeating_values_stores_each_row_right(store: SqlStore) -> None:
    """Repeated values are converted once per batch; changed ones are not mixed up."""
    first = datetime(2026, 11, 23, 8, tzinfo=UTC)
    second = first + timedelta(hours=1)
    shared = {"same": "object"}
    rows = [_event("R", at, shared) for at in (first, first, second, first)]
    with store.engine.begin() as conn:
        Prepared(t.events.insert(), EVENT_KEYS).execute(conn, rows)
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(t.events.c.at, t.events.c.detail).order_by(t.events.c.id))
        assert [(r.at, r.detail) for r in stored] == [(r["at"], shared) for r in rows]


def test_a_missing_parameter_is_named(store: SqlStore) -> None:
    """A coding error names the parameter instead of storing NULL."""
    row = _event("R", datetime(2026, 11, 23, 8, tzinfo=UTC), {})
    del row["message"]
    with store.engine.begin() as conn, pytest.raises(KeyError, match="message"):
        Prepared(t.events.insert(), EVENT_KEYS).execute(conn, row)
