"""The backend contract, run for ``http`` against the scripted server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from backend_contract import ATTEMPT_ID, SECRET, BackendContract, MakeBackend
from http_server import Server

from interlock.jobs import HttpBackend
from interlock.jobs.templates import run_key


class TestHttpContract(BackendContract):
    """``http`` finds an attempt after a restart by polling a URL keyed on ``${runKey}``."""

    @pytest.fixture
    def make_backend(self) -> Iterator[MakeBackend]:
        """Backends with no retries and clients that ignore proxy settings."""
        clients: list[httpx.Client] = []

        def make() -> HttpBackend:
            clients.append(httpx.Client(trust_env=False))
            return HttpBackend(client=clients[-1], retries=0)

        yield make
        for client in clients:
            client.close()

    @pytest.fixture
    def job_config(self, server: Server) -> dict[str, Any]:
        """A launch answered 200 and a status URL of the attempt's own, behind a bearer token."""
        status_path = f"/runs/{run_key(ATTEMPT_ID)}"
        server.answer("/run", (200, {"id": 7}))
        server.answer(status_path, (200, {"status": "running"}))
        return {
            "url": f"{server.url}/run",
            "headers": {"Authorization": f"Bearer {SECRET}"},
            "statusUrl": f"{server.url}{status_path}",
        }
