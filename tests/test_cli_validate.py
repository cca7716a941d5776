"""``interlock validate``: exit codes, the ok lines, and every problem on stderr or as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from interlock.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "pipelines"
BAD = """\
pipeline:
  id: bad
sla:
  expectedDurration: 30m
job:
  type: command
  maxRetries: 11
"""


@pytest.fixture
def runner() -> CliRunner:
    """A click runner with stdout and stderr kept apart."""
    return CliRunner()


@pytest.fixture
def bad_file(tmp_path) -> Path:
    """A pipeline file with two problems."""
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    return path


def test_examples_validate(runner):
    """The shipped examples pass with one ``ok`` line per pipeline, exit 0."""
    result = runner.invoke(main, ["validate", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 6
    assert all(line.startswith("ok  ") for line in lines)
    gold = next(line for line in lines if "  gold-revenue  " in line)
    assert gold.split(None, 2)[2] == (
        'cron "0 8 * * *" UTC · trigger upstream-complete · 3 rules (ALL) · job command · sla 10:00'
    )
    month_end = next(line for line in lines if "month-end-close" in line)
    assert month_end.endswith(
        "3 dates UTC · trigger month-end-ready · 0 rules (ALL) · job command · sla max 4h"
    )
    assert result.stderr == ""


def test_problems_go_to_stderr_with_exit_1(runner, bad_file):
    """Every problem is printed as ``file:line: field: message (fix)``, then a count."""
    result = runner.invoke(main, ["validate", str(bad_file)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        (
            f"{bad_file}:4: sla.expectedDurration: unknown key `expectedDurration`"
            " (did you mean `expectedDuration`?)"
        ),
        (
            f"{bad_file}:7: job.maxRetries: job.maxRetries 11 out of range [0,10]"
            " (use a value from 0 to 10)"
        ),
        "2 problems found",
    ]


def test_several_paths_report_all_problems(runner, bad_file):
    """Problems from every path are reported, even when other paths are valid."""
    result = runner.invoke(main, ["validate", str(EXAMPLES / "gold-revenue.yaml"), str(bad_file)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "2 problems found"


def test_json_problems(runner, bad_file):
    """``--json`` prints the problems as a JSON list on stdout, exit 1."""
    result = runner.invoke(main, ["validate", "--json", str(bad_file)])
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert [(p["line"], p["field"]) for p in problems] == [
        (4, "sla.expectedDurration"),
        (7, "job.maxRetries"),
    ]
    assert problems[1] == {
        "file": str(bad_file),
        "line": 7,
        "field": "job.maxRetries",
        "message": "job.maxRetries 11 out of range [0,10]",
        "fix": "use a value from 0 to 10",
    }


def test_json_pipelines(runner):
    """``--json`` on success lists each pipeline with its source, hash and summary."""
    result = runner.invoke(main, ["validate", "--json", str(EXAMPLES / "gold-revenue.yaml")])
    assert result.exit_code == 0
    (item,) = json.loads(result.stdout)
    assert item["id"] == "gold-revenue"
    assert item["source"] == str(EXAMPLES / "gold-revenue.yaml")
    assert len(item["configHash"]) == 64
    assert item["summary"].startswith('cron "0 8 * * *" UTC')


def test_empty_directory_is_an_error(runner, tmp_path):
    """Validating a directory with no pipeline files fails rather than passing vacuously."""
    result = runner.invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "no pipeline files found" in result.stderr


def test_missing_path_is_a_usage_error(runner, tmp_path):
    """A path that does not exist is a usage error (exit 2)."""
    result = runner.invoke(main, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_validate_needs_a_path(runner):
    """``validate`` without a path is a usage error."""
    assert runner.invoke(main, ["validate"]).exit_code == 2


def test_main_is_a_group_with_validate(runner):
    """``interlock --help`` lists the validate command."""
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "validate" in result.stdout
