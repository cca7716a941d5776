"""Migrations on open: exactly once when processes start together, free when at head.

The race test starts real processes: each imports Interlock, signals that it is ready, waits
for one shared "go" file, then opens a store on the same fresh database. Without the
migration lock they all see an empty database and run ``CREATE TABLE`` together.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from interlock.errors import StoreError, TemporaryStoreError
from interlock.store import migrations
from interlock.store.migrations import _lock
from interlock.store.sqlalchemy import SqlStore

PROCESSES = 6

_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from interlock.store.sqlalchemy import SqlStore
    url, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    ready.touch()
    while not go.exists():
        time.sleep(0.001)
    SqlStore(url).close()
    print("opened")
    """
)


def _open_together(url: str, tmp_path: Path, n: int) -> list[subprocess.CompletedProcess[str]]:
    """Open a store on ``url`` from ``n`` processes released at the same moment."""
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{i}" for i in range(n)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, url, str(r), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in ready
    ]
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    results = []
    for child in children:
        out, err = child.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(child.args, child.returncode, out, err))
    return results


def test_processes_opening_a_fresh_database_together_migrate_it_once(db_url, tmp_path):
    """A deploy that starts several workers at once: every one opens, the schema is built once."""
    results = _open_together(db_url, tmp_path, PROCESSES)

    failures = [r.stderr.strip().splitlines()[-12:] for r in results if r.returncode != 0]
    assert failures == [], f"{len(failures)} of {PROCESSES} processes failed: {failures}"
    assert all(r.stdout.strip() == "opened" for r in results)
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert versions == [(migrations.head_revision(),)]
    assert {"pipelines", "runs", "attempts"} <= tables


def test_a_database_busy_while_opening_is_tried_again(db_url, monkeypatch):
    """A "locked" answer while a deploy's processes open a fresh file together is not fatal."""
    real = migrations.current_revision
    answers: list[str] = []

    def busy_once(engine):
        answers.append("busy" if not answers else "read")
        if answers[-1] == "busy":
            raise TemporaryStoreError("database busy or unreachable, worth retrying")
        return real(engine)

    monkeypatch.setattr(migrations, "current_revision", busy_once)
    SqlStore(db_url).close()
    assert answers[0] == "busy"
    engine = sa.create_engine(db_url)
    try:
        assert real(engine) == migrations.head_revision()
    finally:
        engine.dispose()


def test_a_database_that_stays_busy_is_reported_after_a_few_tries(db_url, monkeypatch):
    """Retrying has a bound: a database locked for good is said, not waited on forever."""
    tries: list[int] = []

    def always_busy(_engine):
        tries.append(1)
        raise TemporaryStoreError("database busy or unreachable, worth retrying")

    monkeypatch.setattr(migrations, "current_revision", always_busy)
    with pytest.raises(TemporaryStoreError, match="busy"):
        SqlStore(db_url)
    assert len(tries) == migrations.OPEN_ATTEMPTS


def test_opening_a_store_at_head_takes_no_lock(db_url, monkeypatch):
    """Opens are frequent: at head they must not wait behind a process that migrates."""
    SqlStore(db_url).close()

    def no_lock(engine):
        raise AssertionError(f"took the migration lock on {engine.url!r} at head")

    monkeypatch.setattr(migrations, "migration_lock", no_lock)
    store = SqlStore(db_url)
    store.close()


def test_upgrade_reports_the_revisions_before_and_after(db_url):
    """What ``interlock db upgrade`` prints comes from here."""
    engine = sa.create_engine(db_url)
    try:
        assert migrations.current_revision(engine) is None
        first = migrations.upgrade(engine)
        again = migrations.upgrade(engine)
    finally:
        engine.dispose()
    head = migrations.head_revision()
    assert (first.before, first.after, first.changed) == (None, head, True)
    assert (again.before, again.after, again.changed) == (head, head, False)


def test_upgrade_from_an_older_revision_runs_the_remaining_migrations(db_url):
    """A database left by an older Interlock is brought forward, not rebuilt."""
    engine = sa.create_engine(db_url)
    try:
        from alembic import command  # noqa: PLC0415 - only this test drives alembic directly

        command.upgrade(migrations.alembic_config(engine), "0001")
        done = migrations.upgrade(engine)
        now = migrations.current_revision(engine)
    finally:
        engine.dispose()
    assert (done.before, done.after) == ("0001", migrations.head_revision())
    assert now == migrations.head_revision()


def test_a_database_from_a_newer_interlock_is_refused_with_the_revision_named(db_url):
    """A rollback of Interlock must say why it cannot open the database, not crash in Alembic."""
    SqlStore(db_url).close()
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()

    with pytest.raises(StoreError, match=r"revision '0099'.*newer Interlock"):
        SqlStore(db_url)


def test_the_sqlite_lock_file_sits_beside_the_database(tmp_path):
    """Operators see (and .gitignore hides) ``<db>-migrate.lock``; memory databases need none."""
    store = SqlStore(f"sqlite:///{tmp_path}/interlock.db")
    store.close()

    assert (tmp_path / "interlock.db-migrate.lock").exists()
    assert _lock.lock_path(sa.create_engine("sqlite://")) is None


def test_the_sqlite_lock_excludes_a_second_holder(tmp_path):
    """Another process cannot take the file lock while it is held, and can once it is not."""
    engine = sa.create_engine(f"sqlite:///{tmp_path}/interlock.db")
    probe = _CHILD_TRY_LOCK.format(path=str(tmp_path / "interlock.db-migrate.lock"))
    with _lock.migration_lock(engine):
        held = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
    free = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    engine.dispose()
    assert (held.stdout.strip(), free.stdout.strip()) == ("busy", "free")


_CHILD_TRY_LOCK = """
import fcntl, os
fd = os.open({path!r}, os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("free")
except BlockingIOError:
    print("busy")
"""


@pytest.mark.postgres
def test_the_postgres_lock_excludes_a_second_session(postgres_url):
    """Another session cannot take the advisory lock while it is held, and can afterwards."""
    engine = sa.create_engine(postgres_url)
    try_lock = sa.select(sa.func.pg_try_advisory_lock(_lock.ADVISORY_LOCK_KEY))
    try:
        with _lock.migration_lock(engine), engine.connect() as other:
            held = other.execute(try_lock).scalar()
        with engine.connect() as other:
            free = other.execute(try_lock).scalar()
    finally:
        engine.dispose()
    assert (held, free) == (False, True)


def test_a_lock_file_that_cannot_be_created_is_a_store_error_naming_it(tmp_path):
    """A database that needs migrating in a directory Interlock cannot write to: one line."""
    engine = sa.create_engine(f"sqlite:///{tmp_path}/missing-dir/interlock.db")
    lock = _lock.migration_lock(engine)
    with pytest.raises(StoreError, match=r"cannot create the migration lock .*migrate\.lock"):
        lock.__enter__()
    engine.dispose()


def test_the_head_read_from_file_names_is_alembics_head() -> None:
    """Opening a store reads the head from the file names (no Alembic import): it must agree."""
    assert migrations.head_revision() == migrations.alembic_head()


def test_opening_a_store_at_head_does_not_import_alembic(tmp_path) -> None:
    """80 ms of every CLI command and controller start went to importing Alembic at head."""
    url = f"sqlite:///{tmp_path}/x.db"
    SqlStore(url).close()
    probe = (
        "import sys; from interlock.store.sqlalchemy import SqlStore; "
        f"SqlStore({url!r}).close(); print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_cli_does_not_import_alembic_until_a_migration_runs() -> None:
    """Every ``interlock`` command paid 60 ms to import Alembic for ``db upgrade``'s errors."""
    probe = "import sys, interlock.cli; print('alembic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
