"""A string ``command`` is split before its templates are expanded: values never add arguments.

The config goes the controller's way (``JobRunner.request``: the backend's ``prepare``, then
expansion) and the job is a real process printing its argv as JSON, so the assertion is on
what the job received.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from interlock.config import parse_pipeline
from interlock.controller.jobs import JobRunner
from interlock.errors import JobPermanentError
from interlock.jobs import CommandBackend
from interlock.model import Run
from interlock.store.sqlalchemy import SqlStore

PIPELINE = """
pipeline: {{id: etl}}
schedule:
  trigger: {{key: ready, check: equals, field: status, value: ready}}
job:
  type: command
  config:
    command: '{command}'
"""


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[JobRunner]:
    """The controller's job runner with a real command backend."""
    store = SqlStore(f"sqlite:///{tmp_path}/i.db")
    backend = CommandBackend(tmp_path / "state")
    yield JobRunner(store, lambda _type: backend)
    store.close()


def received_argv(runner: JobRunner, command: str, partition: str) -> list[str]:
    """Launch ``command`` for ``partition`` as the controller would; the job's argv[1:]."""
    spec = parse_pipeline(PIPELINE.format(command=command.replace("'", "''")))  # YAML quoting
    run = Run(pipeline_id="etl", partition=partition, created_at=datetime(2026, 11, 22, tzinfo=UTC))
    request = runner.request(spec, run, 1, run.attempt_id)
    backend = runner.backend("command")
    handle = backend.launch(request)
    deadline = time.monotonic() + 10
    status = backend.status(handle, request)
    while status.state == "running" and time.monotonic() < deadline:
        time.sleep(0.02)
        status = backend.status(handle, request)
    assert status.state == "succeeded", status
    argv: list[str] = json.loads(status.output["stdout"])
    return argv


PRINT_ARGV = f'{sys.executable} -c "import json, sys; print(json.dumps(sys.argv[1:]))"'


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("x --evil-flag", id="space-and-flag"),
        pytest.param("a \"quoted\" 'word'", id="quotes"),
        pytest.param("tab\tand  two spaces", id="whitespace"),
        pytest.param("$(rm -rf ~); `id`", id="shell-syntax"),
    ],
)
def test_a_dimension_value_is_exactly_one_argument(runner, value):
    """``--campaign ${dim:campaign}`` reaches the job as two arguments, whatever the value."""
    command = f"{PRINT_ARGV} --campaign ${{dim:campaign}} --day=${{date}}"
    argv = received_argv(runner, command, f"2026-11-22|campaign={value}")
    assert argv == ["--campaign", value, "--day=2026-11-22"]


def test_quotes_in_the_command_group_words_and_still_expand(runner):
    """Quoting in the command line as written groups words; templates inside are filled."""
    command = f"{PRINT_ARGV} \"--label=run of ${{date}}\" '${{dim:campaign}}'"
    argv = received_argv(runner, command, "2026-11-22|campaign=x --evil-flag")
    assert argv == ["--label=run of 2026-11-22", "x --evil-flag"]


def test_an_unclosed_quote_is_a_permanent_error(runner):
    """A command line that cannot be split fails the launch, naming the key.

    ``interlock validate`` refuses such a file (tests/config/test_job_config.py), so the bad
    command is put into a loaded spec, as a spec stored before that check existed would be.
    """
    loaded = parse_pipeline(PIPELINE.format(command="run"))
    assert loaded.job is not None
    bad_job = replace(loaded.job, config={"command": 'run "--day ${date}'})
    spec = replace(loaded, job=bad_job)
    run = Run(
        pipeline_id="etl", partition="2026-11-22", created_at=datetime(2026, 11, 22, tzinfo=UTC)
    )
    with pytest.raises(JobPermanentError, match=r"job\.config\.command: No closing quotation"):
        runner.request(spec, run, 1, run.attempt_id)
