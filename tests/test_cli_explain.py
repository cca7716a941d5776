"""``explain`` as a user reads it: the rules before the run opens, and the run status shows."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from interlock.app import Interlock
from interlock.cli import main
from interlock.controller.clock import FakeClock

TRIGGERED = """
pipeline: {id: orders}
schedule:
  trigger: {key: landed, check: equals, field: status, value: ready}
validation:
  rules:
    - {key: landed, check: equals, field: status, value: ready}
    - {key: rows, check: gte, field: count, value: 1000}
job: {type: command, config: {command: ["true"]}}
"""

CRON = """
pipeline: {id: P}
schedule:
  cron: "0 8 * * *"
  timezone: UTC
  evaluation: {window: 1h, interval: 5m}
validation:
  rules: [{key: rows, check: gte, field: count, value: 1000}]
job: {type: command, config: {command: ["true"]}}
"""


def _folder(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def test_explain_before_the_trigger_shows_the_rules_not_yet_checked(tmp_path: Path) -> None:
    """The trigger has not held: the rules are shown too, against the current readings."""
    folder = _folder(tmp_path, "orders", TRIGGERED)
    db = ["--db", f"sqlite:///{tmp_path}/i.db"]
    runner = CliRunner()
    assert runner.invoke(main, ["apply", str(folder), *db]).exit_code == 0
    assert runner.invoke(main, ["sensor", "put", "orders", "rows", "count=12", *db]).exit_code == 0

    result = runner.invoke(main, ["explain", "orders", *db])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())  # the console wraps long lines
    assert "trigger: landed.status equals 'ready'" in shown
    assert "rules: ALL — 0 of 2 rules passed" in shown
    assert "(not yet checked: waiting for the trigger condition)" in shown
    assert "FAIL rows.count gte 1000: count 12 gte 1000 is false" in shown

    result = runner.invoke(main, ["explain", "orders", "--json", *db])
    explanation = json.loads(result.output)["explanation"]
    assert explanation["validationNote"] == "not yet checked: waiting for the trigger condition"
    assert explanation["validation"]["passed"] is False
    assert explanation["trigger"]["passed"] is False


def test_explain_of_a_cron_pipeline_applied_after_its_window_is_the_run_status_shows(
    tmp_path: Path,
) -> None:
    """Applied at 10:00 with an 08:00 cron: status and explain both describe tomorrow 08:00."""
    clock = FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    il = Interlock(
        db=f"sqlite:///{tmp_path}/i.db", pipelines=_folder(tmp_path, "p", CRON), clock=clock
    )
    try:
        il.apply()
        [shown] = il.runs("P")  # what `interlock status` lists
        decision = il.explain("P")
        assert (shown.partition, shown.next_check_at) == (
            "2026-11-24",
            datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
        )
        assert decision.run.partition == shown.partition
        assert decision.explanation.until == shown.next_check_at
        assert "2026-11-24T08:00" in decision.explanation.summary
    finally:
        il.close()
