"""``interlock validate``: exit codes, the ok lines, and every problem on stderr or as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
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


def test_a_downstream_names_its_upstreams(runner):
    """``validate`` of the dependency example says what each pipeline runs after."""
    folder = EXAMPLES.parent / "dependencies"
    result = runner.invoke(main, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    lines = {line.split()[1]: line for line in result.stdout.splitlines()}
    assert "  after listings, searches · 0 rules" in lines["pipeline-x"]
    assert "after" not in lines["listings"]


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
        (f"{bad_file}:7: job.maxRetries: 11 out of range [0,10] (use a value from 0 to 10)"),
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
        "message": "11 out of range [0,10]",
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


FUZZED = {
    "huge-window.yaml": b"pipeline: {id: p}\nschedule: {evaluation: {window: 9999999999999999w}}\n",
    "huge-poll.yaml": b"pipeline: {id: p}\njob: {type: mock, pollInterval: 99999999999999999d}\n",
    "deep-groups.yaml": (
        b"pipeline: {id: p}\nvalidation:\n  rules:\n    - "
        + b"{allOf: [" * 244
        + b"{key: a, check: exists}"
        + b"]}" * 244
        + b"\n"
    ),
    "deep-flow.yaml": b"pipeline: {id: p}\nx: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
    "surrogate.yaml": b'pipeline:\n  id: "\\ud800"\n',
    "newline.yaml": b'pipeline: {id: p}\nschedule: {timezone: "Europe/\\nBerlin"}\n',
    "latin-1.yaml": b"pipeline: {id: p, owner: caf\xe9}\n",
    "huge.yaml": b"pipeline: {id: p}\n" + b"x: [\n" * 300_000,
}
"""Files like those a fuzzing run found crashing the loader, one per kind of crash."""


@pytest.fixture
def fuzzed(tmp_path) -> dict[str, Path]:
    """Each fuzzed file written on its own."""
    paths = {}
    for name, content in FUZZED.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(content)
    return paths


@pytest.mark.parametrize(
    ("name", "line", "field", "message"),
    [
        ("huge-window.yaml", 2, "schedule.evaluation.window", "is too large"),
        ("huge-poll.yaml", 2, "job.pollInterval", "is too large"),
        ("deep-groups.yaml", 4, "validation.rules[0]", "rule groups nest more than"),
        ("deep-flow.yaml", 2, "x", "levels deep"),
        ("surrogate.yaml", 2, "pipeline.id", "lone surrogate"),
        ("newline.yaml", 2, "schedule.timezone", 'unknown time zone "Europe/\\nBerlin"'),
        ("latin-1.yaml", 1, "<document>", "not UTF-8 text"),
        ("huge.yaml", None, "<document>", "the limit is 1,048,576 bytes"),
    ],
)
def test_fuzzed_files_are_problems_not_tracebacks(  # noqa: PLR0917 - a table row
    runner, fuzzed, name, line, field, message
):
    """``validate`` prints each problem on one line and exits 1; nothing escapes as a crash."""
    path = fuzzed[name]
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    *problems, count = result.stderr.splitlines()
    assert count.endswith(("problem found", "problems found"))
    where = f"{path}:{line}" if line is not None else str(path)
    first = next(p for p in problems if message in p)
    assert first.startswith(f"{where}: {field}")


def test_fuzzed_files_through_the_real_command(fuzzed, tmp_path):
    """The installed command on all of them at once: exit 1, UTF-8 output, no traceback."""
    result = subprocess.run(
        [sys.executable, "-c", "from interlock.cli import main; main()", "validate", str(tmp_path)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    stderr = result.stderr.decode("utf-8")
    assert "Traceback" not in stderr
    assert len(fuzzed) <= stderr.count(str(tmp_path))
