"""Fixtures for the state checker tests: the job tests' scripted HTTP server, reused."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "jobs"))  # http_server.py

from http_server import Server, serving


@pytest.fixture
def server() -> Iterator[Server]:
    """A real HTTP server on 127.0.0.1 and a free port, in a background thread."""
    with serving() as scripted:
        yield scripted
