"""``rerun``, ``cancel`` and ``job report`` as a user types them: what really happened.

The commands run against the world's real SQLite store and fake clock; while a command
waits for the controller's answer, its wait steps the world's real controller (one round
per poll), so the outcome is deterministic. One test runs ``interlock serve``'s controller
in a thread on the real clock instead.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from runtime_support import GOLD, World, finish

import interlock.cli.signals as cli_signals
from interlock.app import Interlock, SignalOutcome, SignalReceipt
from interlock.cli import main
from interlock.controller.loop import ControllerSettings
from interlock.jobs import MockBackend

DAY = "2026-11-23"
RUN_ID = f"gold-revenue/{DAY}"
QUEUED = "no controller has acted on it yet (is `interlock serve` running?)"


class _Stepping(Interlock):
    """The command's installation: the world's database and clock; waiting steps its controller."""

    def __init__(self, world: World, url: str, *, controller_runs: bool) -> None:
        super().__init__(db=url, clock=world.clock)
        self.world = world
        self.controller_runs = controller_runs

    def await_outcome(self, receipt: SignalReceipt, **options: Any) -> SignalOutcome:
        def step(_seconds: float) -> None:
            if self.controller_runs:
                self.world.controller.run_until_idle()

        return super().await_outcome(receipt, sleep=step, **options)


@pytest.fixture
def cli(
    make_world: Callable[..., World], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """``cli("rerun", ...)`` runs a command on the world ``cli.world`` (a controller running)."""
    world = make_world(GOLD)
    url = f"sqlite:///{tmp_path}/interlock.db"
    state = {"controller_runs": True}
    monkeypatch.setattr(
        cli_signals,
        "open_db",
        lambda _db: _Stepping(world, url, controller_runs=state["controller_runs"]),
    )

    def invoke(*args: str, controller: bool = True) -> Result:
        state["controller_runs"] = controller
        return CliRunner().invoke(main, list(args))

    invoke.world = world  # type: ignore[attr-defined]
    return invoke


def _world(cli: Callable[..., Result]) -> World:
    world: World = cli.world  # type: ignore[attr-defined]
    return world


def _launch(world: World) -> None:
    """Attempt 1 of today's run is launched at 08:05 and running."""
    world.step("08:05")
    world.il.put_shared("upstream-complete", {"status": "ready"})
    world.put("row-count", count=5000)
    assert world.run().attempt == 1


def _succeed(world: World) -> None:
    _launch(world)
    finish(world, f"{RUN_ID}/1", "succeeded", "08:10")
    assert world.run().state.value == "SUCCEEDED"


def _nothing_recorded(world: World, partition: str = DAY) -> None:
    probe = world.run(partition) if world.il.run("gold-revenue", partition) else None
    if probe is not None:
        assert world.il.store.pending_signals(probe) == []


def test_job_report_without_a_launched_attempt_is_refused(cli: Callable[..., Result]) -> None:
    """The planned run has never launched: exit 1, one line, nothing recorded."""
    world = _world(cli)
    before = world.types()
    result = cli("job", "report", RUN_ID, "succeeded")
    assert result.exit_code == 1
    assert result.stderr == f"error: job report for {RUN_ID} refused: it has no launched attempt\n"
    assert result.stdout == ""
    _nothing_recorded(world)
    assert world.types() == before


def test_job_report_for_an_ended_or_missing_attempt_is_refused(
    cli: Callable[..., Result],
) -> None:
    """A finished run, an attempt beyond the latest: refused; a malformed id: bad input."""
    world = _world(cli)
    _succeed(world)
    ended = cli("job", "report", RUN_ID, "failed")
    assert ended.exit_code == 1
    assert ended.stderr == (
        f"error: job report for {RUN_ID} refused: attempt 1 has already ended: "
        "the run is SUCCEEDED\n"
    )
    missing = cli("job", "report", f"{RUN_ID}/5", "succeeded")
    assert missing.exit_code == 1
    assert "attempt 5 does not exist (the latest is 1)" in missing.stderr
    malformed = cli("job", "report", "gold-revenue", "succeeded")
    assert malformed.exit_code == 2
    assert malformed.stderr.startswith("error: run_id: ")
    assert world.run().state.value == "SUCCEEDED"
    _nothing_recorded(world)


def test_job_report_is_recorded_and_says_so(cli: Callable[..., Result]) -> None:
    """A running attempt reported succeeded: the controller applies it, the command says so."""
    world = _world(cli)
    _launch(world)
    result = cli("job", "report", RUN_ID, "succeeded", "--message", "done by hand")
    assert (result.exit_code, result.stdout) == (0, "recorded: attempt 1 succeeded\n")
    assert world.run().state.value == "SUCCEEDED"


def test_cancel_of_a_finished_run_or_no_run_is_refused(cli: Callable[..., Result]) -> None:
    """No 'requested' for a cancel that cannot happen."""
    world = _world(cli)
    _succeed(world)
    final = cli("cancel", "gold-revenue", DAY)
    assert final.exit_code == 1
    assert (
        final.stderr == f"error: cannot cancel gold-revenue {DAY}: the run is already SUCCEEDED\n"
    )
    none = cli("cancel", "gold-revenue", "2026-11-01")
    assert none.exit_code == 1
    assert none.stderr == "error: cannot cancel gold-revenue 2026-11-01: it has no run\n"
    assert world.il.run("gold-revenue", "2026-11-01") is None
    _nothing_recorded(world)


def test_cancel_of_a_planned_run_cancels_it(cli: Callable[..., Result]) -> None:
    """The waiting run is cancelled by the controller before the command returns."""
    world = _world(cli)
    result = cli("cancel", "gold-revenue", DAY, "--reason", "holiday")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"cancel of gold-revenue {DAY} accepted: the run is cancelled\n"
    assert world.run().state.value == "CANCELLED"


def test_rerun_the_breaker_would_reject_is_refused_before_recording(
    cli: Callable[..., Result],
) -> None:
    """The rejection is the command's answer (exit 1), not an event found later."""
    world = _world(cli)
    _succeed(world)
    before = world.types()
    result = cli("rerun", "gold-revenue", DAY)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: rerun of gold-revenue {DAY} refused: previous run succeeded and no sensor "
        "data has changed (a forced rerun, --force, overrides this)\n"
    )
    assert world.types() == before  # no RERUN_REJECTED: nothing was recorded
    _nothing_recorded(world)


def test_rerun_of_a_future_partition_is_refused_and_launches_nothing(
    cli: Callable[..., Result],
) -> None:
    """``rerun orders-daily 2030-01-01`` used to launch a real job."""
    world = _world(cli)
    for partition, why in [
        ("2030-01-01", "2030-01-01 is in the future (today's is 2026-11-23 in UTC)"),
        ("2026-11-20T08", "gold-revenue has daily (YYYY-MM-DD) partitions, not 2026-11-20T08"),
    ]:
        result = cli("rerun", "gold-revenue", partition)
        assert result.exit_code == 1
        assert result.stderr == (
            f"error: rerun of gold-revenue {partition} refused: {why} "
            "(a forced rerun, --force, overrides this)\n"
        )
        assert world.il.run("gold-revenue", partition) is None
    assert world.il.attempts("gold-revenue") == []


def test_forced_rerun_launches_and_is_recorded_as_forced(cli: Callable[..., Result]) -> None:
    """--force passes the breaker; the event and the attempt say forced; --json is pinned."""
    world = _world(cli)
    _succeed(world)
    result = cli("rerun", "gold-revenue", DAY, "--force", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "pipeline": "gold-revenue",
        "partition": DAY,
        "request": "rerun",
        "outcome": "accepted",
        "message": f"rerun of gold-revenue {DAY} accepted: attempt 2 launched",
        "attempt": 2,
        "forced": True,
    }
    (accepted,) = [e for e in world.events() if e.type == "RERUN_ACCEPTED"]
    assert accepted.detail["forced"] is True
    assert accepted.message == "manual (forced) rerun accepted"
    assert [a.reason for a in world.il.attempts("gold-revenue", DAY)] == [
        "initial",
        "manual (forced)",
    ]


def test_rerun_nobody_acts_on_is_queued_then_taken(cli: Callable[..., Result]) -> None:
    """Without a controller the command says so plainly and exits 0; the next one acts."""
    world = _world(cli)
    _succeed(world)
    world.step("09:00")
    world.put("row-count", count=5005)  # fresh data (below the drift threshold)
    result = cli("rerun", "gold-revenue", DAY, "--wait", "300ms", controller=False)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"rerun of gold-revenue {DAY} recorded; {QUEUED}\n"
    world.controller.run_until_idle()
    assert world.run().attempt == 2


def test_rerun_the_controller_rejects_after_all_exits_1(cli: Callable[..., Result]) -> None:
    """Two reruns pass the check; the controller takes the first, so the second is rejected."""
    world = _world(cli)
    _succeed(world)
    world.step("09:00")
    world.put("row-count", count=5005)
    first = cli("rerun", "gold-revenue", DAY, "--wait", "0", controller=False)
    assert first.exit_code == 0, first.output
    second = cli("rerun", "gold-revenue", DAY, "--json")
    assert second.exit_code == 1
    assert json.loads(second.stdout) == {
        "pipeline": "gold-revenue",
        "partition": DAY,
        "request": "rerun",
        "outcome": "refused",
        "message": (
            f"rerun of gold-revenue {DAY} rejected: run is LAUNCHING; a rerun needs a finished run"
        ),
        "attempt": None,
        "forced": False,
    }
    assert world.run().attempt == 2


def test_refusal_json_and_bad_wait(cli: Callable[..., Result]) -> None:
    """A refusal with --json is one object (exit 1); a bad --wait is bad input (exit 2)."""
    result = cli("cancel", "gold-revenue", "2026-11-01", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["outcome"] == "refused"
    bad = cli("rerun", "gold-revenue", DAY, "--wait", "soon")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: --wait: 'soon' is not a duration")
    assert len(bad.stderr.splitlines()) == 1


def test_a_serving_controller_answers_the_command(tmp_path: Path) -> None:
    """The real thing: `interlock serve`'s controller in a thread, the command on the real clock."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "adhoc.yaml").write_text(
        "pipeline: {id: adhoc}\n"
        "schedule: {trigger: {key: ready, check: exists, field: status}}\n"
        "validation: {rules: [{key: ready, check: exists, field: status}]}\n"
        "job: {type: mock}\n",
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path}/i.db"
    backend = MockBackend(lambda _request: "running")
    serving = Interlock(db=url, pipelines=folder, backends=lambda _t: backend)
    serving.apply()
    controller = serving.controller(ControllerSettings(workers=0))
    thread = threading.Thread(target=controller.serve, daemon=True)
    thread.start()
    try:
        partition = serving.default_partition("adhoc")
        serving.put_reading("adhoc", "ready", {"status": "x"})  # opens today's run too
        result = CliRunner().invoke(
            main, ["rerun", "adhoc", "2000-01-01", "--wait", "20s", "--db", url]
        )
        assert result.exit_code == 0, result.output
        assert result.stdout == "rerun of adhoc 2000-01-01 accepted: attempt 1 launched\n"
        future = CliRunner().invoke(main, ["rerun", "adhoc", "2999-01-01", "--db", url])
        assert future.exit_code == 1
        assert f"(today's is {partition} in UTC)" in future.stderr
    finally:
        controller.stop()
        thread.join(timeout=20)
        serving.close()
