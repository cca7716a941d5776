"""The one exception tree of Interlock.

::

    InterlockError
    ├── ConfigError            a pipeline or calendar file is invalid (file:line: field: fix)
    ├── InputError             a reading, partition or request from a user is invalid (field named)
    │   └── UnknownPipelineError (also LookupError)
    ├── RequestRefusedError    a rerun, cancel or job report that cannot take effect
    ├── StoreError             the database failed
    │   └── TemporaryStoreError   worth retrying (lock timeout, lost connection)
    └── JobError               a job backend failed
        ├── JobTemporaryError     worth retrying after ``delay`` seconds
        ├── JobPermanentError     retrying the same request cannot help (4xx, bad config)
        │   └── JobRefusedError      the job system refused the credentials (401/403)
        └── JobOutcomeUnknownError   the job system may have started the job: never resend

Foreign exceptions (SQLAlchemy, httpx, subprocess, boto3) are mapped to this tree at the
boundary and re-raised ``from`` the original, so callers only ever catch Interlock types.
Only the ``Temporary`` family is retried.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "InputError",
    "InterlockError",
    "JobError",
    "JobOutcomeUnknownError",
    "JobPermanentError",
    "JobRefusedError",
    "JobTemporaryError",
    "RequestRefusedError",
    "StoreError",
    "TemporaryStoreError",
    "UnknownPipelineError",
    "did_you_mean",
]


class InterlockError(Exception):
    """Base of every error Interlock raises on purpose."""


@dataclass(frozen=True, kw_only=True)
class ConfigProblem:
    r"""One thing wrong in one config file, located precisely enough to fix it.

    ``line`` is 1-based and ``None`` when the problem has no single place (a duplicate id
    across files names the second file's ``pipeline.id`` line instead).

    The text fields are always one printable line: a value quoted from a file may hold a
    newline, a control character or a lone surrogate, and those are escaped on construction
    as ``repr`` does (``\n``, ``\x1b``, ``\ud800``). So ``str(problem)`` is one
    ``file:line: field: message (fix)`` line for editors and CI annotators, and every field
    encodes to UTF-8 for terminals and JSON. Backslashes are kept as written (paths, regexes).
    """

    file: str
    line: int | None
    field: str
    message: str
    fix: str = ""

    def __post_init__(self) -> None:
        for name in ("file", "field", "message", "fix"):
            text = getattr(self, name)
            if not text.isprintable():
                object.__setattr__(self, name, _one_line(text))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        text = f"{where}: {self.field or '<document>'}: {self.message}"
        return f"{text} ({self.fix})" if self.fix else text


def _one_line(text: str) -> str:
    """``text`` with each unprintable character (line breaks, controls, surrogates) escaped."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class ConfigError(InterlockError):
    """One or more config files are invalid; ``problems`` lists every one found.

    Configs are never silently skipped (the Go version logs and ignores them): loading
    collects every problem across every file and raises once.
    """

    def __init__(self, problems: list[ConfigProblem] | tuple[ConfigProblem, ...]) -> None:
        self.problems: tuple[ConfigProblem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid config")


class InputError(InterlockError, ValueError):
    """Input from a user or sensor is invalid; ``field`` names the offending part."""

    def __init__(self, message: str, *, field: str = "") -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class UnknownPipelineError(InputError, LookupError):
    """No pipeline with this id is loaded; ``known`` (the loaded ids) feeds a did-you-mean.

    Every command that names a pipeline raises this one error, so a typo gets the same
    ``pipeline: no pipeline 'ordrs' is loaded; did you mean 'orders'?`` everywhere.
    """

    def __init__(self, pipeline_id: str, *, known: Iterable[str] = ()) -> None:
        self.pipeline_id = pipeline_id
        super().__init__(
            f"no pipeline {pipeline_id!r} is loaded{did_you_mean(pipeline_id, known)}",
            field="pipeline",
        )


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``"; did you mean 'orders'?"`` for the known names close to ``word``, else ``""``.

    For the end of an error message: a near miss is usually a typo, and naming the intended
    word saves a look-up. Case is ignored in the comparison (``sla_brech`` → ``SLA_BREACH``).
    """
    by_folded = {name.casefold(): name for name in known}
    close = difflib.get_close_matches(word.casefold(), by_folded, n=3)
    names = [repr(by_folded[name]) for name in close]
    if not names:
        return ""
    choices = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"; did you mean {choices}?"


class RequestRefusedError(InterlockError):
    """A well-formed request that cannot take effect now, so nothing was recorded.

    A rerun the controller would reject, a cancel of a finished run, a job report for an
    attempt that is not running. Not bad input: the CLI exits 1 for it, 2 for an
    :class:`InputError`. ``request`` is ``rerun``, ``cancel`` or ``report``.
    """

    def __init__(
        self,
        message: str,
        *,
        request: str,
        pipeline_id: str,
        partition: str,
        attempt: int | None = None,
    ) -> None:
        self.request = request
        self.pipeline_id = pipeline_id
        self.partition = partition
        self.attempt = attempt
        super().__init__(message)


class StoreError(InterlockError):
    """The store could not complete an operation."""


class TemporaryStoreError(StoreError):
    """A store failure that is worth retrying (busy database, dropped connection)."""


class JobError(InterlockError):
    """A job backend could not launch or poll a job."""


class JobTemporaryError(JobError):
    """Retry the same call after ``delay`` seconds (5xx, network error, throttling)."""

    def __init__(self, message: str, *, delay: float = 0.0) -> None:
        self.delay = delay
        super().__init__(message)


class JobPermanentError(JobError):
    """The call cannot succeed as configured (4xx, missing executable, bad config)."""


class JobRefusedError(JobPermanentError):
    """The job system refused the credentials; sending them again cannot help."""


class JobOutcomeUnknownError(JobError):
    """The job system may have started the job, but what it answered cannot be used.

    Never relaunched: a new attempt could start the job a second time. The controller raises
    the run as ``INFRA_FAILURE`` for a person to check.
    """
