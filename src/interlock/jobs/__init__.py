"""Job backends: the code that starts and polls a pipeline's job, one module per ``job.type``.

The interface lives in :mod:`interlock.jobs.base`; each backend is a small module next to it,
registered by import path in :data:`interlock.backends.JOB_BACKENDS`, and
:func:`backend_for` builds the one a ``job.type`` names. Nothing here imports a backend until
it is asked for: ``import interlock.jobs`` stays cheap, and a backend whose SDK is not
installed breaks only the pipelines that use it. ``mock`` is public API: every controller
test, and every user testing a pipeline file, runs jobs through it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from interlock.backends import JOB_BACKENDS, load_backend_class
from interlock.errors import JobPermanentError
from interlock.jobs.base import (
    BackendSettings,
    JobBackend,
    JobHandle,
    JobLogs,
    JobRequest,
    JobStatus,
)
from interlock.jobs.templates import expand, expand_with_secrets, redact, template_variables

if TYPE_CHECKING:
    from interlock.jobs.command import CommandBackend
    from interlock.jobs.http import HttpBackend
    from interlock.jobs.mock import MockBackend, StatusHandler

__all__ = [
    "BackendSettings",
    "CommandBackend",
    "HttpBackend",
    "JobBackend",
    "JobHandle",
    "JobLogs",
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

_LAZY = {
    "CommandBackend": "interlock.jobs.command",
    "HttpBackend": "interlock.jobs.http",
    "MockBackend": "interlock.jobs.mock",
    "StatusHandler": "interlock.jobs.mock",
}
"""Names re-exported here, imported from their backend module on first use."""


def __getattr__(name: str) -> Any:
    """Import a backend class on first use (PEP 562), so importing this package stays cheap."""
    module = _LAZY.get(name)
    if module is None:
        message = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(message)
    return getattr(importlib.import_module(module), name)


def backend_for(
    job_type: str, settings: BackendSettings | None = None, **options: Any
) -> JobBackend:
    """A new backend for ``job_type``: from ``settings``, or built with ``options`` as given.

    ``options`` go to the backend's constructor (tests: ``state_dir=`` for command); without
    them the backend takes what it needs from ``settings``
    (:meth:`~interlock.jobs.base.JobBackend.from_settings`).

    :raises JobPermanentError: ``job_type`` is not a known backend; the message lists them.
    """
    if job_type not in JOB_BACKENDS:
        known = ", ".join(sorted(JOB_BACKENDS))
        raise JobPermanentError(f"job.type: unknown job type {job_type!r}; known: {known}")
    backend_class: type[JobBackend] = load_backend_class(job_type)
    if options:
        return backend_class(**options)
    return backend_class.from_settings(settings or BackendSettings())
