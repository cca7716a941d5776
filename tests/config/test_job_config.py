"""``interlock validate`` refuses a job that cannot launch: unknown type, bad config, placeholders.

Each case is a file a person could write; the assertion is the line ``interlock validate``
prints for it (``file:line: field: message (fix)``), so a config that cannot launch fails
when it is validated, like every other config error, instead of at its first launch.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from interlock.cli import main

HEAD = "pipeline:\n  id: p\njob:\n"


def validate(tmp_path: Path, job: str) -> tuple[int, list[str]]:
    """Run ``interlock validate`` on a pipeline whose ``job:`` section is ``job``."""
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + textwrap.indent(textwrap.dedent(job), "  "), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    prefix = f"{path}:"
    lines = [line.removeprefix(prefix) for line in result.stderr.splitlines()]
    return result.exit_code, lines


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        pytest.param(
            "type: airflow\nconfig: {dagId: etl}\n",
            '4: job.type: unknown job type "airflow" (use one of: `command`, `http`, `mock`)',
            id="unknown-type",
        ),
        pytest.param(
            "type: comand\n",
            '4: job.type: unknown job type "comand" (did you mean `command`?)',
            id="misspelt-type",
        ),
        pytest.param(
            "type: command\nconfig: {}\n",
            "5: job.config.command: missing required field (add `command:` under `job.config`)",
            id="command-without-command",
        ),
        pytest.param(
            'type: command\nconfig:\n  command: ["etl", "--day", "${dat}"]\n',
            "6: job.config.command[2]: unknown placeholder ${dat} (did you mean `${date}`?)",
            id="misspelt-placeholder",
        ),
        pytest.param(
            "type: command\nconfig:\n  command: etl\n  shell: true\n",
            "7: job.config.shell: unknown key `shell` (allowed keys: `command`, `env`, `cwd`,"
            " `timeout`)",
            id="command-unknown-key",
        ),
        pytest.param(
            "type: command\nconfig:\n  command: 'etl \"--day ${date}'\n",
            "6: job.config.command: No closing quotation in 'etl \"--day ${date}'"
            ' (write an argv list such as ["python3", "etl.py", "${date}"] or a command line)',
            id="unclosed-quote",
        ),
        pytest.param(
            "type: command\nconfig:\n  command: etl\n  timeout: -5\n",
            "7: job.config.timeout: -5 must be positive (write a duration such as 10m, or seconds)",
            id="negative-timeout",
        ),
        pytest.param(
            "type: http\nconfig:\n  urll: https://orchestrator/run\n",
            "6: job.config.urll: unknown key `urll` (did you mean `url`?)",
            id="http-misspelt-url",
        ),
        pytest.param(
            "type: http\nconfig:\n  url: orchestrator/run\n",
            "6: job.config.url: 'orchestrator/run' is not an http(s) URL"
            " (write an http(s) URL such as https://orchestrator/api/run)",
            id="http-not-a-url",
        ),
        pytest.param(
            "type: http\nconfig:\n  url: https://o/run\n  onConflict: maybe\n",
            "7: job.config.onConflict: must be adopt or fail, got 'maybe' (write adopt or fail)",
            id="http-bad-choice",
        ),
        pytest.param(
            "type: http\nconfig:\n  url: https://o/run\n  failureValues: {boom: EXPLODED}\n",
            "7: job.config.failureValues: 'EXPLODED' is not a failure category"
            " (TRANSIENT, PERMANENT, TIMEOUT, CANCELLED, AUTH) (write a list of status values,"
            " or a mapping of value to failure category)",
            id="http-bad-category",
        ),
        pytest.param(
            "type: mock\nconfig:\n  note: 'unclosed ${date'\n",
            "6: job.config.note: unterminated '${' (close it with `}`, or write `$${` for a"
            " literal `${`)",
            id="unterminated-placeholder",
        ),
    ],
)
def test_a_job_that_cannot_launch_fails_validation(tmp_path, job, expected):
    """The problem is printed with its line, field and fix; the exit code is 1."""
    code, lines = validate(tmp_path, job)
    assert code == 1
    assert lines == [expected, "1 problem found"]


def test_every_problem_in_a_job_config_is_reported_at_once(tmp_path):
    """One pass finds them all, each at its own line."""
    code, lines = validate(
        tmp_path,
        """\
        type: http
        config:
          urll: https://orchestrator/run
          timeout: soon
          statusUrl: https://orchestrator/runs/${runkey}
        """,
    )
    assert code == 1
    assert [line.split(": ", 2)[:2] for line in lines[:-1]] == [
        ["6", "job.config.urll"],
        ["7", "job.config.timeout"],
        ["8", "job.config.statusUrl"],
    ]
    assert lines[-2].endswith("unknown placeholder ${runkey} (did you mean `${runKey}`?)")
    assert lines[-1] == "3 problems found"


@pytest.mark.parametrize(
    "job",
    [
        pytest.param('type: command\nconfig:\n  command: "etl --day ${date}"\n', id="line"),
        pytest.param(
            "type: command\nconfig:\n"
            "  command: [etl, '${dim:region}', '${env:TOKEN}', $INTERLOCK_RUN, '$${literal}']\n"
            "  env: {MODE: full}\n  cwd: /srv/etl\n  timeout: 10m\n",
            id="every-key",
        ),
        pytest.param(
            "type: http\nconfig:\n  url: ${env:ORCHESTRATOR}/run\n  timeout: ${env:TIMEOUT}\n"
            "  headers: {Authorization: 'Bearer ${env:TOKEN}', X-Retries: 3}\n"
            "  statusUrl: 'https://o/runs/${response:id}'\n"
            "  failureValues: {error: PERMANENT, lost: transient}\n"
            "  successValues: [done, 0]\n  onConflict: fail\n  idempotentLaunch: true\n",
            id="http-templates",
        ),
        pytest.param("type: mock\nconfig: {anything: [1, 2]}\n", id="mock"),
        pytest.param("type: command\n", id="no-config-at-all"),
    ],
)
def test_a_job_that_can_launch_passes(tmp_path, job):
    """Templates go where strings go; ``${env:...}`` waits for launch; mock takes any key."""
    code, lines = validate(tmp_path, job)
    assert (code, lines) == (0, [])


def test_a_misspelt_required_key_in_another_case_is_reported_once(tmp_path):
    """``URL`` for ``url`` is one mistake: "did you mean", not also "missing"."""
    code, lines = validate(tmp_path, "type: http\nconfig:\n  URL: https://o/run\n")
    assert (code, lines) == (
        1,
        ["6: job.config.URL: unknown key `URL` (did you mean `url`?)", "1 problem found"],
    )


def test_a_backend_whose_package_is_missing_is_reported(tmp_path, monkeypatch):
    """A backend that cannot be imported on this machine fails validation, not the CLI."""
    from interlock import backends  # noqa: PLC0415 - patched for this test only

    entry = backends.BackendEntry("interlock.jobs.mock:MockBackend", "no_such_sdk.models:Config")
    monkeypatch.setitem(backends.JOB_BACKENDS, "mock", entry)
    code, lines = validate(tmp_path, "type: mock\nconfig: {a: 1}\n")
    assert code == 1
    assert lines == [
        (
            "4: job.type: the mock backend cannot be loaded here: No module named 'no_such_sdk'"
            " (install the package the backend needs)"
        ),
        "1 problem found",
    ]
