"""The contract every job backend keeps, as tests a backend's test module inherits.

To run it for a backend, subclass :class:`BackendContract` in ``tests/jobs/test_<type>_contract.py``
and define two fixtures (see ``test_mock_contract.py`` for the smallest example)::

    class TestAirflowContract(BackendContract):
        @pytest.fixture
        def make_backend(self, ...):   # () -> a new backend; call it twice for a "restart"
        @pytest.fixture
        def job_config(self, ...):     # a config that launches, holding SECRET in a credential

Set ``survives_restart = False`` for a backend that keeps attempts in memory only, and
``accepts_any_key = True`` for one whose config is free-form.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from interlock.backends import JOB_BACKENDS, load_backend_class, load_config_model
from interlock.jobs import BackendSettings, JobBackend, JobRequest, backend_for

SECRET = "s3cr3t-token-value"  # noqa: S105 - a fake credential, to prove it is never stored
ATTEMPT_ID = "contract/2026-11-22/1"

MakeBackend = Callable[[], JobBackend]


def contract_request(config: Mapping[str, Any], attempt_id: str = ATTEMPT_ID) -> JobRequest:
    """A request for ``config`` (templates already expanded) whose secret is :data:`SECRET`."""
    return JobRequest(
        pipeline_id="contract",
        partition="2026-11-22",
        attempt=1,
        attempt_id=attempt_id,
        config=config,
        secrets=frozenset({SECRET}),
    )


class BackendContract:
    """What the controller relies on from any backend; each test states one promise."""

    survives_restart: ClassVar[bool] = True
    """A new backend instance finds what an earlier one launched (state outside memory)."""
    accepts_any_key: ClassVar[bool] = False
    """The config model takes any key (``mock``); every real backend refuses strangers."""

    @pytest.fixture
    def backend(self, make_backend: MakeBackend) -> Iterator[JobBackend]:
        """One backend, closed after the test."""
        made = make_backend()
        yield made
        made.close()

    def test_is_registered_under_its_type(self, backend: JobBackend) -> None:
        """The registry's entry for ``backend.type`` imports this very class."""
        assert backend.type in JOB_BACKENDS
        assert load_backend_class(backend.type) is type(backend)

    def test_a_working_config_passes_validation(
        self, backend: JobBackend, job_config: dict[str, Any]
    ) -> None:
        """The declared config model accepts a config the backend really launches with."""
        assert load_config_model(backend.type).issues(job_config) == []

    def test_a_misspelt_key_fails_validation(
        self, backend: JobBackend, job_config: dict[str, Any]
    ) -> None:
        """The model refuses a key it does not know, naming it for "did you mean"."""
        issues = load_config_model(backend.type).issues({**job_config, "timeuot": "1m"})
        if self.accepts_any_key:
            assert issues == []
        else:
            assert [(i.path, i.at_key, i.unknown) for i in issues] == [
                (("timeuot",), True, "timeuot")
            ]

    def test_is_built_from_settings(self, backend: JobBackend, tmp_path: Path) -> None:
        """``backend_for`` builds it from the application's settings, no options needed."""
        built = backend_for(backend.type, BackendSettings(state_dir=tmp_path))
        try:
            assert type(built) is type(backend)
        finally:
            built.close()

    def test_launch_is_idempotent_per_attempt(
        self, backend: JobBackend, job_config: dict[str, Any]
    ) -> None:
        """Launching the same attempt again returns the same handle."""
        request = contract_request(job_config)
        assert backend.launch(request) == backend.launch(request)

    def test_handle_is_json_and_names_its_attempt(
        self, backend: JobBackend, job_config: dict[str, Any]
    ) -> None:
        """The handle is stored as JSON with the attempt, so it must round-trip."""
        handle = backend.launch(contract_request(job_config))
        assert (handle.backend, handle.attempt_id) == (backend.type, ATTEMPT_ID)
        assert json.loads(json.dumps(dict(handle.data))) == dict(handle.data)

    def test_secrets_never_reach_the_handle(
        self, backend: JobBackend, job_config: dict[str, Any]
    ) -> None:
        """A credential from the environment is used, never stored in the handle."""
        assert SECRET in json.dumps(job_config)
        handle = backend.launch(contract_request(job_config))
        assert SECRET not in json.dumps(dict(handle.data))

    def test_status_after_launch_is_a_known_state(
        self, backend: JobBackend, job_config: dict[str, Any]
    ) -> None:
        """Right after a launch the job is running, or already finished."""
        request = contract_request(job_config)
        status = backend.status(backend.launch(request), request)
        assert status.state in {"running", "succeeded", "failed"}

    def test_find_after_launch_returns_the_handle(
        self, backend: JobBackend, job_config: dict[str, Any]
    ) -> None:
        """The same backend finds an attempt it launched."""
        request = contract_request(job_config)
        handle = backend.launch(request)
        assert backend.find(request) == handle

    def test_a_new_backend_finds_what_the_old_one_launched(
        self, make_backend: MakeBackend, backend: JobBackend, job_config: dict[str, Any]
    ) -> None:
        """After a controller restart, the attempt is found, not launched a second time."""
        if not self.survives_restart:
            pytest.skip(f"{backend.type} keeps its attempts in memory")
        request = contract_request(job_config)
        handle = backend.launch(request)
        restarted = make_backend()
        try:
            found = restarted.find(request)
        finally:
            restarted.close()
        assert found is not None
        assert (found.backend, found.attempt_id) == (handle.backend, handle.attempt_id)
