"""The backend contract, run for ``mock``: the smallest example of reusing it."""

from __future__ import annotations

from typing import Any

import pytest
from backend_contract import SECRET, BackendContract, MakeBackend

from interlock.jobs import MockBackend


class TestMockContract(BackendContract):
    """``mock`` keeps its attempts in memory and takes any config key."""

    survives_restart = False
    accepts_any_key = True

    @pytest.fixture
    def make_backend(self) -> MakeBackend:
        """A mock backend whose jobs stay running."""
        return MockBackend

    @pytest.fixture
    def job_config(self) -> dict[str, Any]:
        """Any config; mock launches whatever it is given."""
        return {"token": SECRET, "rows": 3}
