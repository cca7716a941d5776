"""Fixtures every test folder may use: a fresh PostgreSQL database (see postgres_support)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from postgres_support import postgres_database


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    with postgres_database() as url:
        yield url
