"""The backend registry: every entry resolves, declares its config, and imports lazily."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from interlock.backends import JOB_BACKENDS, job_types, load_backend_class, load_config_model
from interlock.config import JOB_TYPES
from interlock.jobs import JobBackend, JobRequest
from interlock.jobs._http_config import HttpConfig, parse_call
from interlock.jobs.command import CommandConfig
from interlock.jobs.command import _job_spec as job_spec
from interlock.jobs.schema import JobConfig


def test_validate_and_launch_know_the_same_job_types():
    """``config`` accepts exactly the types ``backend_for`` can build: one table, not two."""
    assert JOB_TYPES == job_types() == ("command", "http", "mock")


@pytest.mark.parametrize("job_type", sorted(JOB_BACKENDS))
def test_each_entry_names_a_backend_of_its_type(job_type):
    """The backend path imports a :class:`JobBackend` whose ``type`` is the registry key."""
    backend_class = load_backend_class(job_type)
    assert issubclass(backend_class, JobBackend)
    assert backend_class.type == job_type


@pytest.mark.parametrize("job_type", sorted(JOB_BACKENDS))
def test_each_entry_declares_a_described_config(job_type):
    """Every config key has a description: it is the fix ``interlock validate`` prints."""
    model = load_config_model(job_type)
    assert issubclass(model, JobConfig)
    undescribed = [name for name, field in model.model_fields.items() if not field.description]
    assert undescribed == []


_BACKEND_MODULES = ("interlock.jobs.http", "interlock.jobs.command", "interlock.jobs.mock")


def imported_by(statement: str, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` a fresh interpreter has imported after ``statement``."""
    found = f"[name for name in {names!r} if name in sys.modules]"
    code = f"import json, sys\n{statement}\nprint(json.dumps({found}))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(run.stdout)
    return loaded


def test_loading_config_or_jobs_imports_no_backend():
    """A config can be read, and ``interlock.jobs`` imported, without any backend or SDK."""
    heavy = ("httpx", "pydantic", "interlock.jobs.schema", *_BACKEND_MODULES)
    assert imported_by("import interlock.config, interlock.jobs", heavy) == []


def test_the_cli_starts_without_httpx():
    """``interlock --help`` and ``validate`` do not pay for the http backend's client."""
    assert imported_by("import interlock.cli", ("httpx", *_BACKEND_MODULES)) == []


def test_a_backend_class_is_imported_on_first_use():
    """``interlock.jobs.HttpBackend`` still works: the re-export is resolved lazily."""
    import interlock.jobs  # noqa: PLC0415 - the attribute access under test

    assert interlock.jobs.HttpBackend is load_backend_class("http")
    with pytest.raises(AttributeError, match="no attribute 'GlueBackend'"):
        _ = interlock.jobs.GlueBackend


class RecordingConfig(dict[str, Any]):
    """A job config that remembers every key the backend asked for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        """Note ``key``, then look it up."""
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        """Note ``key``, then look it up."""
        self.read.add(key)
        return super().__getitem__(key)


def test_the_http_model_declares_exactly_the_keys_a_launch_reads():
    """``HttpConfig`` and ``parse_call`` cannot drift apart: same keys, both ways."""
    config = RecordingConfig(url="https://o/run", statusUrl="https://o/runs/${response:id}")
    request = JobRequest(
        pipeline_id="p", partition="2026-11-22", attempt=1, attempt_id="a", config=config
    )
    parse_call(request)
    assert config.read == set(HttpConfig.keys())


def test_the_command_model_declares_exactly_the_keys_a_launch_reads(tmp_path):
    """``CommandConfig`` and the launch's parsing cannot drift apart: same keys, both ways."""
    config = RecordingConfig(command=[sys.executable, "-c", "pass"], cwd=str(tmp_path))
    job_spec(config)
    assert config.read == set(CommandConfig.keys())
