"""Job backends: the code that starts and polls a pipeline's job, one module per ``job.type``.

The interface lives in :mod:`interlock.jobs.base`; each backend is a small module next to it,
and :func:`backend_for` maps a ``job.type`` string to a backend instance. Backends are passed
in, not discovered (no entry points until third parties need them). ``mock`` is public API:
every controller test, and every user testing a pipeline file, runs jobs through it.
"""

from __future__ import annotations

from typing import Any

from interlock.errors import JobPermanentError
from interlock.jobs.base import JobBackend, JobHandle, JobRequest, JobStatus
from interlock.jobs.command import CommandBackend
from interlock.jobs.http import HttpBackend
from interlock.jobs.mock import MockBackend, StatusHandler
from interlock.jobs.templates import expand, expand_with_secrets, redact, template_variables

__all__ = [
    "BACKENDS",
    "CommandBackend",
    "HttpBackend",
    "JobBackend",
    "JobHandle",
    "JobRequest",
    "JobStatus",
    "MockBackend",
    "StatusHandler",
    "backend_for",
    "expand",
    "expand_with_secrets",
    "redact",
    "template_variables",
]

BACKENDS: dict[str, type[JobBackend]] = {
    CommandBackend.type: CommandBackend,
    HttpBackend.type: HttpBackend,
    MockBackend.type: MockBackend,
}
"""``job.type`` → backend class, for :func:`backend_for`."""


def backend_for(job_type: str, **options: Any) -> JobBackend:
    """A new backend for ``job_type``, built with ``options`` (e.g. ``state_dir=`` for command).

    :raises JobPermanentError: ``job_type`` is not a known backend; the message lists them.
    """
    backend_class = BACKENDS.get(job_type)
    if backend_class is None:
        known = ", ".join(sorted(BACKENDS))
        raise JobPermanentError(f"job.type: unknown job type {job_type!r}; known: {known}")
    return backend_class(**options)
