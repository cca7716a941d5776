"""Store fixtures: the same tests run on SQLite and on a real PostgreSQL.

PostgreSQL is the server at 127.0.0.1:5432 (tests/postgres_support.py; ``postgres_url`` is
in tests/conftest.py). Each test gets a fresh database, dropped afterwards. Set
``INTERLOCK_TEST_POSTGRES=skip`` to skip those tests on a machine without the server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from postgres_support import ADMIN_URL, postgres_database


@pytest.fixture(scope="module")
def postgres_module_url() -> Iterator[str]:
    """One fresh PostgreSQL database shared by a module (hypothesis tests reuse it)."""
    with postgres_database() as url:
        yield url


@pytest.fixture
def postgres_admin() -> Iterator[sa.Engine]:
    """A superuser engine on the server's ``postgres`` database, to break things from outside."""
    if os.environ.get("INTERLOCK_TEST_POSTGRES") == "skip":
        pytest.skip("INTERLOCK_TEST_POSTGRES=skip")
    engine = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for each backend of the contract suite."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/interlock.db"
    url: str = request.getfixturevalue("postgres_url")
    return url
