"""The pause flag in the store, on SQLite and PostgreSQL: kept beside the config, never in it."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from store_support import ETL, NOW

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.errors import UnknownPipelineError
from interlock.jobs import MockBackend
from interlock.model.specs import Pause


@pytest.fixture
def il(db_url: str, tmp_path: Path) -> Iterator[Interlock]:
    """An installation with the ``etl`` pipeline applied, on each engine."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "etl.yaml").write_text(textwrap.dedent(ETL), encoding="utf-8")
    installation = Interlock(
        db=db_url, pipelines=folder, clock=FakeClock(NOW), backends=lambda _t: MockBackend()
    )
    installation.apply()
    yield installation
    installation.close()


def paused_as_another_process_sees_it(db_url: str) -> Pause | None:
    """Open the database afresh, read the pause, close it."""
    other = Interlock(db=db_url)
    try:
        return other.spec("etl").paused
    finally:
        other.close()


def test_pause_is_stored_for_every_process_and_survives_a_changed_config(
    il: Interlock, db_url: str
) -> None:
    """Another process sees the pause; applying a new version of the YAML keeps it."""
    assert il.pause("etl", reason="migration", by="ops")
    assert paused_as_another_process_sees_it(db_url) == Pause(at=NOW, reason="migration", by="ops")
    source = Path(il.spec("etl").source)
    source.write_text(source.read_text().replace("value: 10", "value: 20"), encoding="utf-8")
    assert il.apply().changed == ("etl",)
    assert paused_as_another_process_sees_it(db_url) == Pause(at=NOW, reason="migration", by="ops")


def test_pause_twice_changes_nothing_and_resume_clears_it(il: Interlock) -> None:
    """The second pause is a no-op (no event); resume clears it; a second resume is too."""
    assert il.pause("etl", reason="first")
    assert not il.pause("etl", reason="second")
    assert il.spec("etl").paused == Pause(at=NOW, reason="first")
    assert il.resume("etl")
    assert not il.resume("etl")
    assert il.spec("etl").paused is None
    types = [e.type for e in il.events(pipeline_id="etl")]
    assert types == ["PIPELINE_PAUSED", "PIPELINE_RESUMED"]


def test_pause_of_an_unknown_pipeline_is_an_error(il: Interlock) -> None:
    """Nothing is stored for a pipeline that is not."""
    with pytest.raises(UnknownPipelineError):
        il.store.set_pause("nope", Pause(at=NOW), NOW)
    with pytest.raises(UnknownPipelineError):
        il.pause("nope")


def test_resume_makes_waiting_runs_due_now(il: Interlock) -> None:
    """A waiting run is decided at once after a resume, not at its next interval."""
    il.put_reading("etl", "upstream", {"status": "ready"})
    controller = il.controller()
    controller.run_until_idle()
    il.pause("etl")
    controller.run_until_idle()
    waiting = il.runs("etl", states=["WAITING"])
    assert len(waiting) == 1
    assert waiting[0].next_check_at is not None
    assert waiting[0].next_check_at > NOW
    assert il.resume("etl")
    assert il.store.next_due_at() == NOW


def test_a_launch_decided_before_the_pause_is_not_applied(il: Interlock) -> None:
    """A decision on a spec that did not know of the pause is dropped; the run waits a moment."""
    il.put_reading("etl", "upstream", {"status": "ready"})
    il.put_reading("etl", "rows", {"count": 50})
    il.controller().bootstrap()
    stale_spec = il.spec("etl")  # taken before the pause
    il.store.set_pause("etl", Pause(at=NOW), NOW)
    from interlock.decide import decide  # noqa: PLC0415

    run = il.store.claim_due(NOW, owner="c", limit=10)[0].run
    decision = decide(stale_spec, run, il.store.load_readings(stale_spec, run.partition), now=NOW)
    assert decision.launches
    assert not il.store.apply(decision, stale_spec, owner="c", now=NOW)
    assert il.attempts("etl") == []
    assert il.store.next_due_at() == NOW + timedelta(seconds=1)
