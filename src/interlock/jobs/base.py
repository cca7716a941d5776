"""The job-backend boundary: start a job, ask how it is doing. Nothing else.

A backend is deliberately tiny (after httpx's ``BaseTransport``)::

    launch(request) -> JobHandle      start attempt ``request.attempt_id`` (idempotent)
    status(handle)  -> JobStatus      running / succeeded / failed (+ category, message)
    find(request)   -> JobHandle|None after a crash: was this attempt already launched?
    prepare(config) -> config         optional: reshape the config as written, before expansion
    logs(handle)    -> JobLogs|None   optional: the attempt's whole output, if kept locally
    close()

``attempt_id`` is the idempotency key: launching the same attempt twice must not start two
jobs. Backends whose remote API has such a key pass it on (Airflow ``dag_run_id``, Databricks
``idempotency_token``, an HTTP ``Idempotency-Key`` header); local backends record it.

Errors: raise :class:`~interlock.errors.JobTemporaryError` for what a retry may fix and
:class:`~interlock.errors.JobPermanentError` for what it cannot; map foreign exceptions at
this boundary and re-raise ``from`` them.

Secrets: ``JobRequest.secrets`` holds the environment values expanded into the config. A
backend uses the real values, but what it writes to disk passes through
:meth:`JobRequest.redact`; the controller redacts everything else a backend returns (handles,
messages, output, exception text) before storing, logging or signalling it.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Self, overload

from interlock.errors import JobPermanentError
from interlock.jobs.templates import redact
from interlock.model.durations import parse_duration

__all__ = [
    "BackendSettings",
    "JobBackend",
    "JobHandle",
    "JobLogs",
    "JobRequest",
    "JobStatus",
    "config_seconds",
]


def config_seconds(value: Any, path: str) -> float:
    """A positive duration from a job config: ``"10m"``, ``"300ms"`` or a number of seconds.

    :raises JobPermanentError: naming ``path``; a bad config cannot succeed on retry.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise JobPermanentError(f"{path}: {value!r} is not a duration or a number of seconds")
    try:
        seconds = parse_duration(value).total_seconds() if isinstance(value, str) else value
    except ValueError as exc:
        raise JobPermanentError(f"{path}: {exc}") from exc
    if seconds <= 0:
        raise JobPermanentError(f"{path}: {value!r} must be positive")
    return float(seconds)


@dataclass(frozen=True, kw_only=True, repr=False)
class JobRequest:
    """Everything a backend needs to start one attempt, with templates already expanded.

    ``secrets`` are the values that came from the environment (see
    :mod:`interlock.jobs.templates`); the repr is redacted, so logging a request is safe.
    """

    pipeline_id: str
    partition: str
    attempt: int
    attempt_id: str
    config: Mapping[str, Any]
    secrets: frozenset[str] = frozenset()

    @overload
    def redact(self, value: str) -> str: ...
    @overload
    def redact(self, value: Mapping[str, Any]) -> dict[str, Any]: ...
    @overload
    def redact(self, value: Any) -> Any: ...
    def redact(self, value: Any) -> Any:
        """``value`` (text or JSON-like data) with this request's secrets masked as ``***``."""
        return redact(value, self.secrets)

    def __repr__(self) -> str:
        return (
            f"JobRequest(pipeline_id={self.pipeline_id!r}, partition={self.partition!r}, "
            f"attempt={self.attempt!r}, attempt_id={self.attempt_id!r}, "
            f"config={self.redact(dict(self.config))!r}, secrets=<{len(self.secrets)}>)"
        )


@dataclass(frozen=True, kw_only=True)
class JobHandle:
    """What the backend needs to find the job again; stored with the attempt as JSON."""

    backend: str
    attempt_id: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class JobStatus:
    """A job's state as the backend sees it.

    ``category`` (failures only): one of :data:`~interlock.model.FAILURE_CATEGORIES` —
    ``TRANSIENT``, ``PERMANENT`` (a code or config problem; the run then uses
    ``maxCodeRetries``), ``TIMEOUT``, ``CANCELLED`` (stopped in the job system; never
    retried). ``output`` holds tails of logs or the response body, stored with the attempt
    for ``interlock runs``. For a running job, ``phase`` is ``queued`` while it waits to
    start; ``value`` is the state as the job system spelled it, and ``unrecognised`` says it
    matched none of the configured states.
    """

    state: Literal["running", "succeeded", "failed"]
    category: str | None = None
    message: str = ""
    output: Mapping[str, str] = field(default_factory=dict)
    phase: str = ""
    value: str = ""
    unrecognised: bool = False


@dataclass(frozen=True, kw_only=True)
class JobLogs:
    """An attempt's whole stdout and stderr as the backend kept them (``interlock logs``).

    Raw: they may hold secrets the job printed; the caller masks them before showing them.
    ``where`` names the place they were read from, for a person.
    """

    stdout: str
    stderr: str
    where: str = ""


@dataclass(frozen=True, kw_only=True)
class BackendSettings:
    """What the application tells every backend it builds, whatever the backend's type.

    Each backend takes what it needs in :meth:`JobBackend.from_settings`, so the code that
    builds backends never branches on ``job.type``.
    """

    state_dir: Path | None = None
    """The controller's state directory; a backend keeps its files in a folder of its own."""


class JobBackend(abc.ABC):
    """Starts and polls jobs of one ``job.type``."""

    type: str = ""

    @classmethod
    def from_settings(cls, settings: BackendSettings) -> Self:  # noqa: ARG003 - most need none
        """A backend built from the application's settings (default: no options)."""
        return cls()

    @abc.abstractmethod
    def launch(self, request: JobRequest) -> JobHandle:
        """Start the attempt, or return the existing handle if it was already started.

        :raises JobTemporaryError: the launch may succeed if retried later.
        :raises JobPermanentError: the launch cannot succeed as configured.
        """

    @abc.abstractmethod
    def status(self, handle: JobHandle, request: JobRequest) -> JobStatus:
        """Report the job's current state.

        ``request`` is the attempt's job config as of now (templates expanded), so
        credentials a poll needs come from the config, never from the stored handle.

        :raises JobTemporaryError: the status could not be read right now.
        """

    def prepare(self, config: Mapping[str, Any]) -> Mapping[str, Any]:
        """The job config as written, reshaped before its templates are expanded (default: as is).

        A template value must never change the config's shape (a partition holding spaces
        must not become extra arguments), so a backend that splits strings does it here, on
        the text as written, and expansion then fills each part on its own.

        :raises JobPermanentError: the config cannot be reshaped (e.g. an unclosed quote).
        """
        return config

    def find(self, request: JobRequest) -> JobHandle | None:
        """Return the handle of an attempt launched before a crash, or None if it never was.

        None also when sending the launch again is safe (the job system deduplicates it by
        a key in the request). Backends that cannot tell raise :class:`NotImplementedError`;
        the controller then raises the run as ``INFRA_FAILURE`` instead of relaunching it.

        :raises JobTemporaryError: the job system cannot be asked right now; the controller
            asks again later.
        """
        raise NotImplementedError

    def logs(self, handle: JobHandle) -> JobLogs | None:  # noqa: ARG002 - most keep none
        """The attempt's output, or None when this backend keeps no logs (the default).

        Only backends that own the job's output locally (``command``) return them; a remote
        job system keeps its own logs, which ``interlock logs`` cannot reach.

        :raises JobPermanentError: the backend keeps logs but has none for this attempt.
        """
        return None

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release connections and processes owned by the backend."""
