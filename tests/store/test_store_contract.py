"""The store contract, run on SQLite and PostgreSQL alike."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from store_support import ETL, NOW

from interlock.abc import Store
from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.errors import InputError, UnknownPipelineError
from interlock.model import RunState
from interlock.store.base import ReadingInput


def install(db_url: str, tmp_path: Path, text: str = ETL) -> Interlock:
    """An installation with one pipeline applied."""
    folder = tmp_path / "pipelines"
    folder.mkdir(exist_ok=True)
    (folder / "etl.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    il = Interlock(db=db_url, pipelines=folder, clock=FakeClock(NOW))
    il.apply()
    return il


def contract(il: Interlock) -> Store:
    """The store under test, seen only through :class:`interlock.abc.Store`.

    The return is mypy-checked: ``SqlStore`` must satisfy every protocol for the suite to
    type-check, and the tests below can use nothing the protocols do not promise.
    """
    return il.store


def test_config_versions_are_kept_for_audit(db_url: str, tmp_path: Path) -> None:
    """Re-applying an unchanged config is a no-op; a change adds a version."""
    il = install(db_url, tmp_path)
    assert il.apply().unchanged == ("etl",)
    (tmp_path / "pipelines" / "etl.yaml").write_text(
        textwrap.dedent(ETL.replace("10}", "20}")), encoding="utf-8"
    )
    assert il.apply().changed == ("etl",)
    (stored,) = contract(il).stored_pipelines()
    assert stored.version == 2
    assert il.spec("etl").validation.children[0].value == 20  # type: ignore[union-attr]
    il.close()


def test_trigger_write_opens_a_due_run_in_the_same_transaction(db_url: str, tmp_path: Path) -> None:
    """A trigger reading creates today's run, due now; history keeps every reading."""
    il = install(db_url, tmp_path)
    il.put_reading("etl", "upstream", {"status": "waiting"})
    il.put_reading("etl", "upstream", {"status": "ready"})
    run = contract(il).get_run("etl", "2026-11-23")
    assert run is not None
    assert run.state is RunState.PENDING
    assert run.next_check_at == NOW
    history = contract(il).reading_history("upstream", pipeline_id="etl")
    assert [h["data"]["status"] for h in history] == ["ready", "waiting"]
    il.close()


def test_bad_batch_stores_nothing(db_url: str, tmp_path: Path) -> None:
    """One invalid reading in a batch rejects the whole batch, naming the field."""
    il = install(db_url, tmp_path)
    good = ReadingInput(key="rows", data={"count": 5}, pipeline_id="etl")
    cases = [
        (ReadingInput(key="rows", data=[1, 2], pipeline_id="etl"), "readings[1].data"),
        (
            ReadingInput(key="rows", data={"count": 5}, pipeline_id="etl", partition="2026-13-01"),
            "readings[1].partition",
        ),
        (ReadingInput(key="", data={}, pipeline_id="etl"), "readings[1].key"),
        (ReadingInput(key="rows", data={"x": float("nan")}, pipeline_id="etl"), "readings[1].data"),
    ]
    for bad, field in cases:
        with pytest.raises(InputError) as excinfo:
            il.put_readings([good, bad])
        assert excinfo.value.field == field
    with pytest.raises(UnknownPipelineError):
        il.put_readings([good, ReadingInput(key="rows", data={}, pipeline_id="nope")])
    assert contract(il).reading_history("rows", pipeline_id="etl") == []
    il.close()


def test_partition_from_key_suffix_and_fields(db_url: str, tmp_path: Path) -> None:
    """``key#20260303T07`` and ``date``/``hour`` fields both name the partition."""
    il = install(db_url, tmp_path)
    il.put_reading("etl", "upstream#20260303T07", {"status": "ready"})
    il.put_reading("etl", "upstream", {"status": "ready", "date": "20260304"})
    assert contract(il).get_run("etl", "2026-03-03T07") is not None
    assert contract(il).get_run("etl", "2026-03-04") is not None
    il.close()


def test_claims_are_leased(db_url: str, tmp_path: Path) -> None:
    """A claimed run is invisible to other claimers until its lease expires."""
    il = install(db_url, tmp_path)
    il.put_reading("etl", "upstream", {"status": "ready"})
    first = contract(il).claim_due(NOW, owner="a", lease=timedelta(seconds=30))
    assert [c.run.partition for c in first] == ["2026-11-23"]
    assert contract(il).claim_due(NOW, owner="b") == []
    later = contract(il).claim_due(NOW + timedelta(seconds=31), owner="b")
    assert [c.run.partition for c in later] == ["2026-11-23"]
    il.close()


def test_latest_readings_point_at_their_history_rows(db_url: str, tmp_path: Path) -> None:
    """Each latest reading names its own history row, so launches record true provenance."""
    il = install(db_url, tmp_path)
    il.put_readings(
        [ReadingInput(key="rows", data={"count": n}, pipeline_id="etl") for n in (1, 2, 3)]
    )
    il.put_readings([ReadingInput(key="upstream", data={"status": "x"}, pipeline_id="etl")])
    view = contract(il).load_readings(il.spec("etl"), "2026-11-23").view("2026-11-23")
    for key in ("rows", "upstream"):
        newest = contract(il).reading_history(key, pipeline_id="etl")[0]
        assert view[key].ref == newest["id"]
        assert view[key].data == newest["data"]
    il.close()


def test_events_newest_page_and_count(db_url: str, tmp_path: Path) -> None:
    """``newest`` is the last ``limit`` events (ties by write order), still oldest first.

    ``interlock events`` shows that page and ``count_events`` says how many it left out.
    """
    il = install(db_url, tmp_path)
    il.put_reading("etl", "rows", {"count": 50})
    il.put_reading("etl", "upstream", {"status": "ready"})
    il.controller(ControllerSettings(workers=0)).run_until_idle()
    store = contract(il)
    every = store.list_events(limit=1000)
    assert len(every) >= 3  # opened, validated, launched: all at NOW, so ties everywhere
    assert store.list_events(limit=2) == every[:2]
    assert store.list_events(limit=2, newest=True) == every[-2:]
    assert store.list_events(limit=1000, newest=True) == every
    assert store.count_events() == len(every)
    assert store.count_events(types=["JOB_TRIGGERED"], pipeline_id="etl") == 1
    assert store.count_events(since=NOW + timedelta(seconds=1)) == 0
    assert store.count_events(until=NOW) == 0
    il.close()
