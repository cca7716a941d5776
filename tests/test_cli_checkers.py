"""``interlock sensor check``, ``interlock sensors`` and ``explain``'s note on failing checkers.

Over a real SQLite store. ``sensors:`` parsing lands with the config work of issue 9, so
these tests attach the checkers to the loaded specs in code (as a parsed config would).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from interlock.app import Interlock
from interlock.app.checks import stale_note
from interlock.cli import main
from interlock.model.checkers import CheckerStatus, SensorCheckSpec
from interlock.model.specs import PipelineSpec
from interlock.schemas import CheckerOut, ExplainOut, SensorCheckOut

GATE = """
pipeline: {id: gate}
schedule: {trigger: {key: landed, check: equals, field: exists, value: true}}
job: {type: mock}
"""
SAYS = "import json,sys; print(json.dumps({'exists': True, 'day': sys.argv[1]}))"


def _landed(argv: list[str]) -> SensorCheckSpec:
    return SensorCheckSpec(
        key="landed",
        kind="command",
        every=timedelta(minutes=2),
        config={"command": argv},
        pipeline_id="gate",
        timeout=timedelta(seconds=10),
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A database with the ``gate`` pipeline applied."""
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "gate.yaml").write_text(GATE)
    url = f"sqlite:///{tmp_path}/il.db"
    il = Interlock(db=url, pipelines=tmp_path / "pipelines")
    il.apply()
    il.close()
    return url


@pytest.fixture
def checker(monkeypatch: pytest.MonkeyPatch) -> list[SensorCheckSpec]:
    """``gate``'s checkers, attached to the specs every Interlock loads (edit the list)."""
    attached = [_landed([sys.executable, "-c", SAYS, "${date}"])]
    loaded = Interlock.specs

    def specs(self: Interlock) -> Mapping[str, PipelineSpec]:
        found = loaded(self)
        return {**found, "gate": replace(found["gate"], sensors=tuple(attached))}

    monkeypatch.setattr(Interlock, "specs", specs)
    return attached


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.mark.usefixtures("checker")
def test_sensor_check_prints_what_it_would_record_and_records_nothing(db: str) -> None:
    """The observed reading is printed as ``changed``; the ledger stays empty."""
    result = _cli("sensor", "check", "gate", "landed", "--partition", "2026-11-30", "--db", db)
    assert result.exit_code == 0, result.output
    assert result.output == '2026-11-30  changed  {"day": "2026-11-30", "exists": true}\n'
    il = Interlock(db=db)
    assert il.store.reading_history("landed", pipeline_id="gate") == []
    il.close()


@pytest.mark.usefixtures("checker")
def test_sensor_check_json_is_the_sensor_check_shape(db: str) -> None:
    """``--json`` is ``SensorCheckOut``: the checker, its kind, each reading."""
    result = _cli(
        "sensor", "check", "gate", "landed", "--partition", "2026-11-30", "--json", "--db", db
    )
    shown = SensorCheckOut.model_validate_json(result.output)
    assert (shown.checker, shown.kind) == ("gate/landed", "command")
    assert [(r.partition, r.data["day"], r.changed) for r in shown.readings] == [
        ("2026-11-30", "2026-11-30", True)
    ]


def test_a_failing_check_is_one_line_and_exit_2(db: str, checker: list[SensorCheckSpec]) -> None:
    """A command exiting 3 prints its exit code and first stderr line, nothing else."""
    failing = "import sys; sys.stderr.write('boom: no bucket\\n'); sys.exit(3)"
    checker[:] = [_landed([sys.executable, "-c", failing])]
    result = CliRunner().invoke(main, ["sensor", "check", "gate", "landed", "--db", db])
    assert result.exit_code == 2
    assert result.output == "error: command check landed: exit code 3: boom: no bucket\n"


@pytest.mark.usefixtures("checker")
def test_an_unknown_checker_key_names_the_ones_there_are(db: str) -> None:
    """A typo in KEY gets a did-you-mean and the pipeline's checkers."""
    result = _cli("sensor", "check", "gate", "landd", "--db", db)
    assert result.exit_code == 2
    assert "gate has no checker for 'landd'; did you mean 'landed'?" in result.output


def _fail_once(db: str) -> None:
    """The controller's runner checks ``gate/landed`` once, and it fails."""
    il = Interlock(db=db)
    outcome = il.check_runner().run_due()
    il.close()
    assert outcome[0].error is not None


def test_sensors_lists_each_checker_with_its_last_error(
    db: str, checker: list[SensorCheckSpec]
) -> None:
    """After a failed check ``sensors`` says FAILING with the error; --json is CheckerOut."""
    checker[:] = [_landed([sys.executable, "-c", "print('not json')"])]
    assert "never" in _cli("sensors", "--db", db).output
    _fail_once(db)
    text = _cli("sensors", "--db", db).output
    assert text.startswith("gate/landed  command  every 2m0s  last run ")
    assert "FAILING (1): command check landed: stdout is not one JSON object: not json" in text
    rows = [
        CheckerOut.model_validate(row)
        for row in json.loads(_cli("sensors", "--json", "--db", db).output)
    ]
    assert [(r.checker, r.failures, r.duration_ms is not None) for r in rows] == [
        ("gate/landed", 1, True)
    ]


def test_explain_says_the_key_comes_from_a_failing_checker(
    db: str, checker: list[SensorCheckSpec]
) -> None:
    """``explain`` names the stale key, how long ago it was checked and why it failed."""
    checker[:] = [_landed([sys.executable, "-c", "import sys; sys.exit(4)"])]
    _fail_once(db)
    text = _cli("explain", "gate", "--db", db).output
    assert "checker failing landed: last checked 0 s ago, command check landed: exit code 4" in text
    shown = ExplainOut.model_validate_json(_cli("explain", "gate", "--json", "--db", db).output)
    assert shown.explanation.checkers[0].startswith("landed: last checked 0 s ago")


@pytest.mark.usefixtures("checker")
def test_explain_has_no_checker_note_while_checks_work(db: str) -> None:
    """A working checker adds nothing to ``explain`` (and the JSON key stays empty)."""
    il = Interlock(db=db)
    assert il.check_runner().run_due()[0].ok
    il.close()
    shown = ExplainOut.model_validate_json(_cli("explain", "gate", "--json", "--db", db).output)
    assert shown.explanation.checkers == []


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ran", "ok", "expected"),
    [
        (
            timedelta(minutes=40),
            timedelta(hours=3),
            "output: last checked 40 min ago, connection refused (last good 3 h ago)",
        ),
        (
            timedelta(seconds=5),
            None,
            "output: last checked 5 s ago, connection refused (never worked)",
        ),
        (
            timedelta(days=2),
            timedelta(days=9),
            "output: last checked 2 d ago, connection refused (last good 9 d ago)",
        ),
    ],
)
def test_stale_note_reads_like_a_person_wrote_it(
    ran: timedelta, ok: timedelta | None, expected: str
) -> None:
    """How long ago the failing check ran, its error, and when it last worked."""
    status = CheckerStatus(
        label="report/output",
        last_run_at=NOW - ran,
        last_ok_at=None if ok is None else NOW - ok,
        last_error="connection refused",
        failures=2,
    )
    assert stale_note("output", status, NOW) == expected
