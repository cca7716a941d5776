"""The ``command`` checker: argv without a shell, stdout is one JSON object or it failed."""

from __future__ import annotations

import sys
import time

import pytest

from interlock.checkers.base import CheckError, CheckRequest, Observation
from interlock.checkers.command import CommandChecker
from interlock.errors import InputError

PY = sys.executable


def _request(
    argv: list[str], *, timeout: float = 10.0, secrets: frozenset[str] = frozenset()
) -> CheckRequest:
    return CheckRequest(
        key="custom",
        pipeline_id="p",
        partitions=("2026-03-25",),
        configs={"2026-03-25": {"command": argv}},
        timeout_seconds=timeout,
        secrets=secrets,
    )


def _script(code: str) -> list[str]:
    return [PY, "-c", code]


def test_stdout_json_object_is_the_reading_of_the_partition() -> None:
    """The object the program prints becomes the observation of the partition asked."""
    checker = CommandChecker({"command": ["x"]})
    result = checker.check(_request(_script('print(\'{"rows": 3, "ok": true}\')')))
    assert list(result.observations) == [Observation("2026-03-25", {"rows": 3, "ok": True})]


def test_arguments_are_passed_without_a_shell() -> None:
    """Shell metacharacters reach the program literally: nothing is interpreted."""
    argv = [*_script("import json,sys; print(json.dumps({'arg': sys.argv[1]}))"), "$(rm -rf /); *"]
    result = CommandChecker({"command": argv}).check(_request(argv))
    assert result.observations[0].data == {"arg": "$(rm -rf /); *"}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "import sys; sys.stderr.write('boom: db down\\nmore\\n'); sys.exit(3)",
            "exit code 3: boom: db down",
        ),
        ("print('not json')", "not one JSON object: not json"),
        ("print('[1, 2]')", "JSON but not an object: list"),
        ("pass", "not one JSON object: (empty)"),
    ],
)
def test_failures_are_check_errors_with_one_line(code: str, expected: str) -> None:
    """Non-zero exit, non-JSON and non-object output fail the check, in one readable line."""
    with pytest.raises(CheckError) as caught:
        CommandChecker({"command": ["x"]}).check(_request(_script(code)))
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_timeout_is_a_check_error_and_does_not_wait_for_the_program() -> None:
    """A program that hangs past the timeout fails the check after the timeout, not later."""
    started = time.monotonic()
    with pytest.raises(CheckError, match=r"timed out after 0\.3s"):
        CommandChecker({"command": ["x"]}).check(_request(["sleep", "5"], timeout=0.3))
    assert time.monotonic() - started < 3


def test_missing_program_is_a_check_error() -> None:
    """A program that does not exist is a failed check naming it, not a crash."""
    with pytest.raises(CheckError, match=r"cannot run '/no/such/check\.sh'"):
        CommandChecker({"command": ["x"]}).check(_request(["/no/such/check.sh"]))


def test_secrets_in_stderr_are_redacted() -> None:
    """An environment value expanded into the argv never appears in the error text."""
    code = "import sys; sys.stderr.write('auth failed for hunter2-token\\n'); sys.exit(1)"
    with pytest.raises(CheckError) as caught:
        CommandChecker({"command": ["x"]}).check(
            _request(_script(code), secrets=frozenset({"hunter2-token"}))
        )
    assert "hunter2-token" not in str(caught.value)
    assert "***" in str(caught.value)


@pytest.mark.parametrize(
    "config", [{}, {"command": "./check.sh"}, {"command": []}, {"command": [1]}]
)
def test_unusable_config_is_an_input_error_naming_the_field(config: dict[str, object]) -> None:
    """A missing, empty, string or non-string argv is refused when the checker is built."""
    with pytest.raises(InputError, match=r"^command: expected a non-empty list of strings"):
        CommandChecker(config)
