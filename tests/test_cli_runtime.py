"""The runtime CLI as a user types it: sensors, explain, events, simulate, bad input."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from interlock.cli import main
from interlock.cli._common import parse_field

PIPELINE = """
pipeline: {id: orders}
schedule:
  trigger: {key: landed, check: equals, field: status, value: ready}
validation:
  rules:
    - {key: landed, check: equals, field: status, value: ready}
    - {key: rows, check: gte, field: count, value: 1000}
job: {type: command, config: {command: ["true"]}}
"""


@pytest.fixture
def project(tmp_path: Path) -> tuple[CliRunner, list[str], Path]:
    """A folder with one pipeline, applied to a fresh database."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "orders.yaml").write_text(textwrap.dedent(PIPELINE), encoding="utf-8")
    db = ["--db", f"sqlite:///{tmp_path}/i.db"]
    runner = CliRunner()
    result = runner.invoke(main, ["apply", str(folder), *db])
    assert result.exit_code == 0, result.output
    return runner, db, folder


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("count=1500", ("count", 1500)),
        ("rate=0.5", ("rate", 0.5)),
        ("ok=true", ("ok", True)),
        ("gone=null", ("gone", None)),
        ("status=ready", ("status", "ready")),
        ('meta={"a": 1}', ("meta", {"a": 1})),
        ("note=a=b", ("note", "a=b")),
    ],
    ids=["int", "float", "bool", "null", "string", "json", "equals-in-value"],
)
def test_field_values_are_typed(text: str, expected: tuple[str, object]) -> None:
    """``field=value`` arguments become JSON-typed values."""
    assert parse_field(text) == expected


def test_sensor_put_then_explain_names_the_failing_rule(
    project: tuple[CliRunner, list[str], Path],
) -> None:
    """After a short row count, explain shows which rule fails and why."""
    runner, db, _ = project
    assert runner.invoke(main, ["sensor", "put", "orders", "rows", "count=12", *db]).exit_code == 0
    assert (
        runner.invoke(main, ["sensor", "put", "orders", "landed", "status=ready", *db]).exit_code
        == 0
    )
    result = runner.invoke(main, ["explain", "orders", "--json", *db])
    assert result.exit_code == 0, result.output
    explanation = json.loads(result.output)["explanation"]
    assert "count 12 gte 1000 is false" in explanation["waitingFor"]


def test_bad_reading_is_refused_and_nothing_stored(
    project: tuple[CliRunner, list[str], Path],
) -> None:
    """An unknown pipeline or a bad partition is a clear error; no reading is stored."""
    runner, db, _ = project
    unknown = runner.invoke(main, ["sensor", "put", "nope", "rows", "count=1", *db])
    assert unknown.exit_code == 2
    assert "no pipeline 'nope'" in unknown.output
    bad = runner.invoke(
        main, ["sensor", "put", "orders", "rows", "count=1", "--partition", "2026-02-30", *db]
    )
    assert bad.exit_code == 2
    assert "partition" in bad.output
    events = runner.invoke(main, ["events", "--json", *db])
    assert json.loads(events.output) == []


def test_shared_reading_from_the_cli(project: tuple[CliRunner, list[str], Path]) -> None:
    """``sensor put --shared KEY`` writes one reading for every pipeline."""
    runner, db, _ = project
    result = runner.invoke(main, ["sensor", "put", "--shared", "landed", "status=ready", *db])
    assert result.exit_code == 0, result.output
    status = runner.invoke(main, ["status", "--json", *db])
    assert [r["pipeline"] for r in json.loads(status.output)] == ["orders"]


def test_simulate_prints_json_events(
    project: tuple[CliRunner, list[str], Path], tmp_path: Path
) -> None:
    """Simulate replays a JSONL timeline and prints one JSON event per line."""
    runner, _, folder = project
    timeline = tmp_path / "day.jsonl"
    lines_in = [
        '{"at": "2026-11-22T08:00:00Z", "key": "rows", "data": {"count": 5000}}',
        '{"at": "2026-11-22T08:05:00Z", "key": "landed", "data": {"status": "ready"}}',
        '{"at": "2026-11-22T08:30:00Z", "job": "failed", "category": "PERMANENT"}',
    ]
    timeline.write_text("\n".join(lines_in), encoding="utf-8")
    result = runner.invoke(
        main, ["simulate", str(folder / "orders.yaml"), "--readings", str(timeline), "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["type"] for line in lines if line["type"] != "RUN_OPENED"] == [
        "VALIDATION_PASSED",
        "JOB_TRIGGERED",
        "JOB_FAILED",
        "VALIDATION_PASSED",  # PERMANENT: one retry (maxCodeRetries defaults to 1)
        "JOB_TRIGGERED",
        "JOB_POLL_EXHAUSTED",  # the retry never reports within jobPollWindowSeconds
    ]
    assert lines[0]["at"] == "2026-11-22T08:05:00Z"
    assert lines[0]["partition"] == "2026-11-22"
    assert set(lines[0]) == {"at", "type", "pipeline", "partition", "message", "detail"}


def test_simulate_rejects_a_bad_line_with_its_number(
    project: tuple[CliRunner, list[str], Path], tmp_path: Path
) -> None:
    """A malformed timeline line is reported with its line number."""
    runner, _, folder = project
    timeline = tmp_path / "bad.jsonl"
    timeline.write_text(
        '{"at": "2026-11-22T08:00:00Z", "key": "rows", "data": {"count": 1}}\n{"at": "soon"}\n'
    )
    result = runner.invoke(
        main, ["simulate", str(folder / "orders.yaml"), "--readings", str(timeline)]
    )
    assert result.exit_code == 2
    assert "line 2.at" in result.output
