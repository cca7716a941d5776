"""Fresh PostgreSQL databases for tests: the server at 127.0.0.1:5432 (user ``postgres``).

``.ci/run`` starts the server. Each database is created empty and dropped afterwards; set
``INTERLOCK_TEST_POSTGRES=skip`` to skip those tests on a machine without the server. Shared
by the store suite and the ``sql`` checker's tests (tests/ is on ``sys.path`` through
tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

ADMIN_URL = os.environ.get(
    "INTERLOCK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """Create a fresh, empty PostgreSQL database; drop it on exit."""
    if os.environ.get("INTERLOCK_TEST_POSTGRES") == "skip":
        pytest.skip("INTERLOCK_TEST_POSTGRES=skip")
    name = f"interlock_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
