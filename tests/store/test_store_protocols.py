"""``SqlStore`` satisfies every store protocol; brokers keep their contract.

The protocols of :mod:`interlock.abc` are what the controller, the API and the CLI depend
on, so a second backend only has to pass these checks and the contract suite.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from store_support import NOW

from interlock.abc import (
    Broker,
    ControllerStore,
    PipelineStore,
    ReadingStore,
    ReadStore,
    RunStore,
    Store,
)
from interlock.brokers import LocalBroker
from interlock.model import OpenRun, RerunRequested
from interlock.store.base import Broker as OldBroker
from interlock.store.sqlalchemy import SqlStore

PROTOCOLS = [RunStore, ReadingStore, PipelineStore, ReadStore, ControllerStore, Store]


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.__name__)
def test_sql_store_satisfies_each_protocol(db_url: str, protocol: type) -> None:
    """Checked at run time on both backends (and statically by the assignments below)."""
    store = SqlStore(db_url)
    try:
        assert isinstance(store, protocol)
        assert isinstance(store.broker, Broker)
    finally:
        store.close()


def _static_checks(store: SqlStore) -> None:  # pragma: no cover - only for mypy
    runs: RunStore = store
    readings: ReadingStore = store
    pipelines: PipelineStore = store
    reads: ReadStore = store
    controller: ControllerStore = store
    whole: Store = store
    broker: Broker = LocalBroker()
    del runs, readings, pipelines, reads, controller, whole, broker


def test_the_store_notifies_the_broker_it_was_given(db_url: str) -> None:
    """A broker passed in is the one every write that makes work due notifies."""
    broker = LocalBroker()
    store = SqlStore(db_url, broker=broker)
    try:
        assert store.broker is broker
        seen = broker.count
        store.release_stale_leases(NOW)  # makes nothing due
        assert broker.count == seen
        store.ensure_runs(
            [OpenRun(pipeline_id="etl", partition="d", check_at=NOW, opened_by="x")], NOW
        )
        store.add_signal("etl", "d", RerunRequested(reason="test", at=NOW), NOW)
        assert broker.count == seen + 2
        assert broker.wait(seen, timeout=0)
    finally:
        store.close()


def test_a_notification_before_wait_is_not_lost() -> None:
    """``wait`` returns at once when the count moved since ``seen``."""
    broker = LocalBroker()
    seen = broker.count
    broker.notify()
    assert broker.wait(seen, timeout=0)
    assert not broker.wait(broker.count, timeout=0.01)


def test_wait_wakes_on_a_notification_from_another_thread() -> None:
    """A writer thread's notify wakes a waiting controller before its timeout."""
    broker = LocalBroker()
    seen = broker.count
    timer = threading.Timer(0.01, broker.notify)
    timer.start()
    try:
        assert broker.wait(seen, timeout=timedelta(seconds=10).total_seconds())
    finally:
        timer.join()


def test_old_broker_import_is_the_local_broker() -> None:
    """``interlock.store.base.Broker`` still constructs the in-process broker."""
    assert OldBroker is LocalBroker
    assert isinstance(OldBroker(), Broker)
