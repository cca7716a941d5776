"""``interlock backfill`` as a user types it, against a real SQLite file and a fixed clock.

``report`` keeps four days by two campaigns done (eight partitions, three of them without
their output yet); ``summary`` depends on it day by day and campaign by campaign, and
``digest`` on the summary, so a backfill of the report lists both as the cascade.
"""

from __future__ import annotations

import importlib
import json
import sqlite3
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from interlock.abc import ReadingInput
from interlock.app import Interlock
from interlock.cli import main
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import MockBackend
from interlock.model import OpenedBy, RunMark, RunState

CLI_MODULE = importlib.import_module("interlock.cli.backfill")  # the name is the command's
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAYS = ["2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30"]
MISSING = ["2026-11-28|campaign=b", "2026-11-30|campaign=a", "2026-11-30|campaign=b"]
PARTITIONED = """
partitions:
  time: {start: 2026-11-27, end: 2026-11-30}
  dimensions:
    campaign: {values: [a, b]}
job: {type: mock, maxRetries: 0, pollInterval: 1m}
"""
PIPELINES = {
    "report": "pipeline: {id: report}\n"
    + PARTITIONED
    + "complete:\n  rules: [{key: output, check: gte, field: rows, value: 1}]\n"
    + "backfill: {maxConcurrent: 2, order: oldest-first}\n",
    "summary": "pipeline: {id: summary}\ndependsOn: [report]\n" + PARTITIONED,
    "digest": "pipeline: {id: digest}\ndependsOn: [summary]\n" + PARTITIONED,
    "plain": """
        pipeline: {id: plain}
        schedule: {cron: "0 8 * * *", timezone: UTC}
        job: {type: mock}
        """,
}


class Installed:
    """The database file, its clock and backend; ``cli(...)`` runs a command on it."""

    def __init__(self, tmp_path: Path) -> None:
        folder = tmp_path / "pipelines"
        folder.mkdir()
        for name, text in PIPELINES.items():
            (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
        self.path = tmp_path / "interlock.db"
        self.clock = FakeClock(NOW)
        self.statuses: dict[str, str] = {}
        self.backend = MockBackend(lambda r: self.statuses.get(r.attempt_id, "running"))
        self.il = self.open(folder)
        self.il.apply()

    def open(self, folder: Path | None = None) -> Interlock:
        """An installation on the file, as a command opens it (the fixed clock)."""
        return Interlock(
            db=f"sqlite:///{self.path}",
            pipelines=folder,
            clock=self.clock,
            backends=lambda _t: self.backend,
        )

    def cli(self, *args: str, answer: str | None = None) -> Result:
        """``interlock ARGS`` (``answer`` typed at the prompt)."""
        return CliRunner().invoke(main, list(args), input=answer)

    def dump(self) -> list[str]:
        """Every row of every table: what "nothing changed" is checked against."""
        with sqlite3.connect(self.path) as conn:
            return list(conn.iterdump())


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Installed]:
    """The four pipelines applied; the report's outputs in, but for the three ``MISSING``."""
    world = Installed(tmp_path)
    world.il.put_readings(
        [
            ReadingInput(key="output", data={"rows": 5}, pipeline_id="report", partition=p)
            for p in (f"{d}|campaign={c}" for d in DAYS for c in "ab")
            if p not in MISSING
        ]
    )
    monkeypatch.setattr(CLI_MODULE, "open_db", lambda _db: world.open())
    yield world
    world.il.close()


BACKFILL = ("backfill", "report", "--from", "2026-11-28", "--to", "2026-11-30")


def test_the_plan_lists_each_partition_its_state_and_the_cascade(installed: Installed) -> None:
    """Missing partitions planned in order, done ones skipped, both downstreams listed."""
    result = installed.cli(*BACKFILL, "--dry-run")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "backfill report 2026-11-28 to 2026-11-30: 3 to queue, 3 skipped"
    assert lines[1:4] == [f"  missing  {p}  (backfill)" for p in MISSING]
    assert "  done     2026-11-29|campaign=a  done (--include-done reruns it)" in lines
    assert "2026-11-27|campaign=a" not in result.output  # before --from
    assert "downstream, to follow once these succeed (6):" in lines
    assert "  summary 2026-11-30|campaign=a" in lines
    assert "  digest 2026-11-28|campaign=b" in lines
    assert lines[-1] == "dry run: nothing queued"


def test_a_dry_run_changes_nothing_in_the_store(installed: Installed) -> None:
    """No run, signal, event or anything else is written by --dry-run (even with --yes)."""
    before = installed.dump()

    result = installed.cli(*BACKFILL, "--dry-run", "--yes", "--include-done")

    assert result.exit_code == 0, result.output
    assert installed.dump() == before


def test_refusing_the_prompt_queues_nothing_and_exits_non_zero(installed: Installed) -> None:
    """Answering no at the prompt: exit 1, "nothing queued", the store as it was."""
    before = installed.dump()

    result = installed.cli(*BACKFILL, answer="n\n")

    assert result.exit_code == 1
    assert "Queue 3 partition(s) of report?" in result.output
    assert "nothing queued" in result.output
    assert installed.dump() == before


def test_confirming_queues_new_runs_opened_by_backfill_none_launched(
    installed: Installed,
) -> None:
    """Yes at the prompt: three PENDING runs opened by backfill, due in the plan's order."""
    result = installed.cli(*BACKFILL, answer="y\n")

    assert result.exit_code == 0, result.output
    assert "queued 3 partition(s)" in result.output
    runs = [installed.il.run("report", p) for p in MISSING]
    assert all(r is not None for r in runs)
    assert {(r.state, r.opened_by, r.attempt_reason) for r in runs if r is not None} == {
        (RunState.PENDING, OpenedBy.BACKFILL, "backfill")
    }
    due = [r.next_check_at for r in runs if r is not None]
    assert due == sorted(due)  # oldest-first: the first partition takes the first slot
    assert installed.backend.launches == []


def test_include_done_redoes_done_partitions_with_manual_backfill(installed: Installed) -> None:
    """--include-done plans the done ones too, with reason manual-backfill."""
    result = installed.cli(*BACKFILL, "--include-done", "--where", "campaign=a", "--yes")

    assert result.exit_code == 0, result.output
    assert "  done     2026-11-28|campaign=a  (manual-backfill)" in result.output
    assert "  missing  2026-11-30|campaign=a  (backfill)" in result.output
    assert "queued 3 partition(s)" in result.output
    redone = installed.il.run("report", "2026-11-29|campaign=a")
    assert redone is not None
    assert redone.attempt_reason == "manual-backfill"
    assert installed.il.run("report", "2026-11-28|campaign=b") is None  # --where


def test_a_manual_backfill_of_a_partition_loaded_by_hand_is_not_satisfied_away(
    installed: Installed,
) -> None:
    """The run --include-done opens for a done partition launches instead of ending done."""
    installed.cli(*BACKFILL, "--include-done", "--where", "campaign=a", "--yes")
    controller = installed.il.controller(ControllerSettings(workers=0))
    controller.bootstrap()
    controller.run_until_idle()

    run = installed.il.run("report", "2026-11-28|campaign=a")
    assert run is not None
    assert run.state in (RunState.WAITING, RunState.RUNNING)
    assert RunMark.SATISFIED not in run.marks
    satisfied = installed.il.store.list_events(types=("PARTITION_SATISFIED",))
    assert [e.partition for e in satisfied] == []


def test_no_downstream_lists_no_cascade_and_queues_quiet_reruns(installed: Installed) -> None:
    """--no-downstream: the downstream is not rerun; the reruns carry the reason saying so."""
    result = installed.cli(*BACKFILL, "--include-done", "--no-downstream", "--yes")

    assert result.exit_code == 0, result.output
    assert "downstream: not rerun (--no-downstream)" in result.output
    assert "summary" not in result.output
    redone = installed.il.run("report", "2026-11-29|campaign=a")
    assert redone is not None
    assert redone.attempt_reason == "backfill-no-downstream"


def test_a_failed_partition_is_rerun_and_a_running_one_skipped(installed: Installed) -> None:
    """A failed run gets a rerun request (manual-backfill); a running one is left alone."""
    installed.statuses["report/2026-11-28|campaign=b/1"] = "failed"
    controller = installed.il.controller(ControllerSettings(workers=0))
    controller.bootstrap()
    controller.run_until_idle()
    installed.clock.advance(timedelta(minutes=2))
    controller.run_until_idle()
    failed = installed.il.run("report", "2026-11-28|campaign=b")
    assert failed is not None
    assert failed.state is RunState.FAILED

    result = installed.cli(*BACKFILL, "--yes")

    assert result.exit_code == 0, result.output
    assert "  failed   2026-11-28|campaign=b  (manual-backfill)" in result.output
    assert "  running  2026-11-30|campaign=a  its job is running" in result.output
    assert "queued 1 partition(s)" in result.output
    controller.run_until_idle()
    rerun = installed.il.run("report", "2026-11-28|campaign=b")
    assert rerun is not None
    assert (rerun.attempt_reason, rerun.rerun_count("manual-backfill")) == ("manual-backfill", 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("reprot", "--from", "2026-11-28", "--to", "2026-11-29"), "did you mean 'report'?"),
        (("plain", "--from", "2026-11-28", "--to", "2026-11-29"), "plain declares no partitions"),
        (
            ("report", "--from", "2026-11-29", "--to", "2026-11-28"),
            "--from: 2026-11-29 is after --to 2026-11-28",
        ),
        (
            ("report", "--from", "2026-11-01", "--to", "2026-11-28"),
            "--from: 2026-11-01 is outside report's partitions (2026-11-27 to 2026-11-30)",
        ),
        (
            ("report", "--from", "2026-11-28", "--to", "2026-12-05"),
            "--to: 2026-12-05 is outside report's partitions (2026-11-27 to 2026-11-30)",
        ),
        (
            ("report", "--from", "2026-11-28", "--to", "2026-11-29", "--where", "region=eu"),
            "report has no dimension 'region' (its dimensions: campaign)",
        ),
        (
            ("report", "--from", "2026-11-28", "--to", "2026-11-29", "--where", "campaign"),
            "--where takes NAME=VALUE, got 'campaign'",
        ),
        (
            ("report", "--from", "2026-11-28", "--to", "2026-11-29", "--json"),
            "--json: cannot ask for confirmation: add --yes or --dry-run",
        ),
    ],
)
def test_bad_requests_are_one_line_errors(
    installed: Installed, args: tuple[str, ...], message: str
) -> None:
    """Each mistake: exit 2, one line saying what is wrong, nothing written."""
    before = installed.dump()

    result = installed.cli("backfill", *args)

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert installed.dump() == before


def test_json_is_the_backfill_plan_shape(installed: Installed) -> None:
    """``--json``: BackfillPlanOut's keys in order, with their types; queued counts."""
    result = installed.cli(*BACKFILL, "--json", "--yes")

    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert list(out) == [
        "pipeline",
        "from",
        "to",
        "planned",
        "skipped",
        "downstream",
        "queued",
        "dryRun",
    ]
    assert (out["pipeline"], out["from"], out["to"]) == ("report", "2026-11-28", "2026-11-30")
    assert out["planned"][0] == {
        "partition": "2026-11-28|campaign=b",
        "state": "missing",
        "reason": "backfill",
    }
    assert list(out["skipped"][0]) == ["partition", "state", "why"]
    assert out["downstream"][0] == {"pipeline": "summary", "partition": "2026-11-28|campaign=b"}
    assert (out["queued"], out["dryRun"]) == (3, False)


def test_json_of_a_dry_run_queues_nothing(installed: Installed) -> None:
    """``--json --dry-run``: dryRun true, queued 0, the downstream empty with --no-downstream."""
    result = installed.cli(*BACKFILL, "--json", "--dry-run", "--no-downstream")

    out = json.loads(result.output)
    assert (out["queued"], out["dryRun"], out["downstream"]) == (0, True, [])
    assert len(out["planned"]) == 3


def test_backfill_plan_out_is_pinned() -> None:
    """The published JSON Schema: the keys in order, each one's type (scripts rely on both)."""
    from interlock.schemas import SHAPES  # noqa: PLC0415 - the lazily imported module

    schema = SHAPES["backfill-plan"].model_json_schema(mode="serialization", by_alias=True)
    types = {key: spec.get("type") for key, spec in schema["properties"].items()}
    assert list(types.items()) == [
        ("pipeline", "string"),
        ("from", "string"),
        ("to", "string"),
        ("planned", "array"),
        ("skipped", "array"),
        ("downstream", "array"),
        ("queued", "integer"),
        ("dryRun", "boolean"),
    ]
    assert list(types) == list(schema["required"])
    items = {
        name: list(schema["$defs"][name]["properties"])
        for name in ("BackfillPartitionOut", "BackfillSkippedOut", "BackfillDownstreamOut")
    }
    assert items == {
        "BackfillPartitionOut": ["partition", "state", "reason"],
        "BackfillSkippedOut": ["partition", "state", "why"],
        "BackfillDownstreamOut": ["pipeline", "partition"],
    }
