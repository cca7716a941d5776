"""The job backend registry: every ``job.type`` Interlock can launch, as import paths only.

One table, consulted by two layers that must not import each other's heavy parts: the
config loader (``interlock validate`` refuses a type that is not here, and checks a job's
``config`` against the model the backend declares) and :func:`interlock.jobs.backend_for`
(which builds the backend at launch). Everything here is a string until asked for, so
``import interlock.config`` and ``import interlock.jobs`` never import a backend, its HTTP
client or an optional SDK (boto3 would otherwise break every command that loads a config).

Adding a backend (say ``airflow``) touches:

- ``src/interlock/jobs/airflow.py``: ``AirflowConfig(JobConfig)`` with one described field
  per key (:mod:`interlock.jobs.schema`) and ``AirflowBackend(JobBackend)`` with
  ``type = "airflow"`` (and ``from_settings`` if it needs the state directory). Its SDK is
  imported inside the backend (not at the module top) when the config model sits in the
  same module, because ``interlock validate`` imports the model;
- one line in :data:`JOB_BACKENDS` below;
- ``tests/jobs/test_airflow_contract.py``: a ``BackendContract`` subclass with two fixtures
  (``tests/jobs/backend_contract.py``), plus the backend's own behaviour tests;
- for an SDK, its name in the import-linter contract "A job backend's client library or
  SDK is imported by that backend's module only" (``pyproject.toml``), with one
  ``ignore_imports`` line letting ``interlock.jobs.airflow`` import it.

Pure: no I/O, no third-party imports (an import-linter contract keeps it so).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

__all__ = [
    "JOB_BACKENDS",
    "BackendEntry",
    "ConfigModel",
    "JobConfigIssue",
    "check_job_config",
    "job_types",
    "load_backend_class",
    "load_config_model",
]


@dataclass(frozen=True)
class BackendEntry:
    """Where one backend lives: ``"module:Name"`` for the backend class and its config model.

    ``config`` is imported by ``interlock validate``, so it must name a module that imports
    nothing heavy (pydantic and Interlock's pure core only); ``backend`` is imported at launch
    only, and is where an SDK may be imported. Both may name the same module when that module
    imports its SDK inside the backend rather than at the top.
    """

    backend: str
    config: str


JOB_BACKENDS: Mapping[str, BackendEntry] = {
    "command": BackendEntry(
        "interlock.jobs.command:CommandBackend", "interlock.jobs.command:CommandConfig"
    ),
    "http": BackendEntry(
        "interlock.jobs.http:HttpBackend", "interlock.jobs._http_config:HttpConfig"
    ),
    "mock": BackendEntry("interlock.jobs.mock:MockBackend", "interlock.jobs.mock:MockConfig"),
}
"""``job.type`` → where its backend and config model live. Adding a backend adds one line."""


@dataclass(frozen=True)
class JobConfigIssue:
    """One problem in a ``job.config``, for the config loader to report with file and line.

    ``path`` is relative to ``job.config``. When ``unknown`` is set (a misspelt key or
    placeholder) and ``fix`` is empty, the loader words the fix: "did you mean" one of
    ``known``, else ``listing`` and all of them, so every suggestion in Interlock is worded
    by one function.
    """

    path: tuple[str | int, ...]
    message: str
    fix: str = ""
    at_key: bool = False
    unknown: str | None = None
    known: tuple[str, ...] = ()
    listing: str = "allowed keys"


class ConfigModel(Protocol):
    """What a backend's config model offers the loader: every problem in a config, at once."""

    @classmethod
    def issues(cls, config: Mapping[str, Any]) -> list[JobConfigIssue]:
        """Every problem ``config`` has, or ``[]`` when the backend can launch it."""
        ...


def job_types() -> tuple[str, ...]:
    """The registered ``job.type`` values, sorted."""
    return tuple(sorted(JOB_BACKENDS))


def load_backend_class(job_type: str) -> type[Any]:
    """The backend class of ``job_type``, imported now.

    :raises KeyError: ``job_type`` is not registered.
    """
    return cast("type[Any]", _load(JOB_BACKENDS[job_type].backend))


def load_config_model(job_type: str) -> type[ConfigModel]:
    """The config model of ``job_type``, imported now.

    :raises KeyError: ``job_type`` is not registered.
    """
    return cast("type[ConfigModel]", _load(JOB_BACKENDS[job_type].config))


def check_job_config(job_type: str, config: Mapping[str, Any]) -> list[JobConfigIssue]:
    """Every problem ``config`` has for a ``job_type`` job (``[]`` for an unknown type)."""
    if job_type not in JOB_BACKENDS:
        return []
    return load_config_model(job_type).issues(config)


def _load(target: str) -> object:
    module_name, _, name = target.partition(":")
    return getattr(importlib.import_module(module_name), name)
