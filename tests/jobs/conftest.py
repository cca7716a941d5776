"""Fixtures for the job backend tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from http_server import Server, serving


@pytest.fixture
def server() -> Iterator[Server]:
    """A real HTTP server on 127.0.0.1 and a free port, in a background thread."""
    with serving() as scripted:
        yield scripted
