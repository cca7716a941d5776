"""The backend contract, run for ``command`` with a real (short) process."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from backend_contract import SECRET, BackendContract, MakeBackend

from interlock.jobs import CommandBackend


class TestCommandContract(BackendContract):
    """``command`` keeps its attempts on disk, so a new backend finds them."""

    @pytest.fixture
    def make_backend(self, tmp_path: Path) -> MakeBackend:
        """Backends sharing one state directory, as a restarted controller does."""
        return lambda: CommandBackend(tmp_path / "state")

    @pytest.fixture
    def job_config(self) -> dict[str, Any]:
        """A job that exits at once, with a credential in its environment."""
        return {"command": [sys.executable, "-c", "pass"], "env": {"TOKEN": SECRET}}
