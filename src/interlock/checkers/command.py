"""The ``command`` checker: run a program (no shell), read one JSON object from its stdout.

::

    sensors:
      - key: custom
        every: 10m
        command: ["./check.sh", "${partition}"]

The config is the argv list as written (or ``{"argv": [...]}``); the runner expands
templates per partition into ``request.configs[p]["command"]``. The program's stdout must
be exactly one JSON object: that object is the reading's data. Anything else — a non-zero
exit, a timeout, output that is not one JSON object — is a :class:`CheckError`, never a
reading: a broken script must not look like "the data is there".
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

from interlock.checkers.base import CheckError, CheckRequest, CheckResult, Observation
from interlock.errors import InputError

__all__ = ["CommandChecker"]

_STDERR_CHARS = 200
"""How much of the first stderr line an error message quotes."""


class CommandChecker:
    """Runs the configured argv once per partition; its stdout JSON object is the reading."""

    bulk = False

    def __init__(self, config: Mapping[str, Any]) -> None:
        argv = _argv_of(config)
        if not argv or not all(isinstance(part, str) for part in argv):
            raise InputError(
                "expected a non-empty list of strings (argv, no shell),"
                f' e.g. ["./check.sh", "${{partition}}"]; got {argv!r}',
                field="command",
            )

    def check(self, request: CheckRequest) -> CheckResult:
        """Run the command for each partition asked (the runner asks one at a time)."""
        return CheckResult(
            tuple(
                Observation(partition, self._run(request, request.configs[partition]))
                for partition in request.partitions
            )
        )

    def close(self) -> None:
        """Nothing to release: each check is its own process."""

    def _run(self, request: CheckRequest, config: Mapping[str, Any]) -> dict[str, Any]:
        argv = [str(part) for part in _argv_of(config)]
        try:
            done = subprocess.run(  # noqa: S603 - argv from the operator's config, no shell
                argv,
                capture_output=True,
                text=True,
                timeout=request.timeout_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise _error(request, f"timed out after {exc.timeout:g}s") from None
        except OSError as exc:
            raise _error(request, f"cannot run {argv[0]!r}: {exc.strerror or exc}") from None
        if done.returncode != 0:
            detail = _first_line(done.stderr)
            raise _error(
                request, f"exit code {done.returncode}" + (f": {detail}" if detail else "")
            )
        return _json_object(request, done.stdout)


def _argv_of(config: Mapping[str, Any]) -> Sequence[Any]:
    """The argv in a config: ``command: [...]`` as parsed, or ``argv:`` in a mapping."""
    argv = config.get("command", config.get("argv"))
    if isinstance(argv, str) or not isinstance(argv, Sequence):
        return []
    return argv


def _json_object(request: CheckRequest, stdout: str) -> dict[str, Any]:
    try:
        value = json.loads(stdout)
    except ValueError:
        shown = _first_line(stdout) or "(empty)"
        raise _error(request, f"stdout is not one JSON object: {shown}") from None
    if not isinstance(value, dict):
        raise _error(request, f"stdout is JSON but not an object: {type(value).__name__}")
    return value


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:_STDERR_CHARS]
    return ""


def _error(request: CheckRequest, message: str) -> CheckError:
    """A one-line, redacted error (secrets from ``${env:...}`` can reach stderr)."""
    line = " ".join(message.split())
    return CheckError(f"command check {request.key}: {request.redact(line)}")
