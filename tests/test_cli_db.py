"""``interlock db upgrade`` and ``interlock db current``: what an operator reads, and the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner

from interlock.cli import main
from interlock.store.migrations import alembic_config, head_revision

HEAD = head_revision()


def _db(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, ["db", *args])
    return result.exit_code, result.stdout, result.stderr


def test_upgrade_prints_from_and_to_then_reports_already_current(tmp_path: Path) -> None:
    """A deploy log shows what the migration did, and that a second run did nothing."""
    url = f"sqlite:///{tmp_path}/interlock.db"
    runner = CliRunner()

    assert _db(runner, "upgrade", "--db", url) == (0, f"none → {HEAD} (head)\n", "")
    assert _db(runner, "upgrade", "--db", url) == (
        0,
        f"{HEAD} → {HEAD} (head, already current)\n",
        "",
    )


def test_upgrade_from_an_older_revision_names_both(tmp_path: Path) -> None:
    """An operator upgrading Interlock sees the schema move from the old revision."""
    url = f"sqlite:///{tmp_path}/interlock.db"
    engine = sa.create_engine(url)
    command.upgrade(alembic_config(engine), "0001")
    engine.dispose()

    code, out, _ = _db(CliRunner(), "upgrade", "--db", url, "--json")

    assert code == 0
    assert json.loads(out) == {"from": "0001", "to": HEAD, "changed": True}


def test_current_says_whether_the_database_is_at_head(tmp_path: Path) -> None:
    """Before and after an upgrade; ``--json`` carries the same facts for scripts."""
    url = f"sqlite:///{tmp_path}/interlock.db"
    engine = sa.create_engine(url)
    command.upgrade(alembic_config(engine), "0001")
    engine.dispose()
    runner = CliRunner()

    behind = _db(runner, "current", "--db", url)
    behind_json = json.loads(_db(runner, "current", "--db", url, "--json")[1])
    _db(runner, "upgrade", "--db", url)
    at_head = _db(runner, "current", "--db", url)
    at_head_json = json.loads(_db(runner, "current", "--db", url, "--json")[1])

    assert behind == (0, f"0001 (not head: {HEAD}; run interlock db upgrade)\n", "")
    assert behind_json == {"revision": "0001", "head": HEAD, "is_head": False}
    assert at_head == (0, f"{HEAD} (head)\n", "")
    assert at_head_json == {"revision": HEAD, "head": HEAD, "is_head": True}


def test_current_reads_the_database_url_from_the_environment(tmp_path: Path) -> None:
    """``INTERLOCK_DATABASE_URL`` works here as for every other command."""
    url = f"sqlite:///{tmp_path}/interlock.db"
    runner = CliRunner(env={"INTERLOCK_DATABASE_URL": url})
    _db(runner, "upgrade")

    assert _db(runner, "current") == (0, f"{HEAD} (head)\n", "")


def test_current_on_a_missing_sqlite_file_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    """A typo in the path must not leave an empty database behind."""
    path = tmp_path / "typo.db"

    code, out, err = _db(CliRunner(), "current", "--db", f"sqlite:///{path}")

    assert (code, out) == (2, "")
    hint = "(run `interlock apply` or `interlock serve` first)"
    assert err == f"error: no database at {path} {hint}\n"
    assert not path.exists()


def test_an_unreachable_server_is_one_line_and_exit_2() -> None:
    """No traceback for a database that is down: one line naming the problem."""
    url = "postgresql+psycopg://nobody@127.0.0.1:1/interlock?connect_timeout=2"

    code, out, err = _db(CliRunner(), "upgrade", "--db", url)

    assert (code, out) == (2, "")
    assert err.startswith("error: database busy or unreachable")
    assert err.count("\n") == 1


def test_a_database_from_a_newer_interlock_is_refused(tmp_path: Path) -> None:
    """Rolling Interlock back over a newer schema fails with the reason, not with Alembic's."""
    url = f"sqlite:///{tmp_path}/interlock.db"
    runner = CliRunner()
    _db(runner, "upgrade", "--db", url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()

    code, out, err = _db(runner, "upgrade", "--db", url)

    assert (code, out) == (2, "")
    assert err.startswith("error: the database is at schema revision '0099'")
    assert "upgrade Interlock" in err


def test_an_unsupported_scheme_is_an_input_error_that_does_not_echo_the_url() -> None:
    """The URL may hold a password: only its scheme is named, with what is supported."""
    code, _, err = _db(CliRunner(), "current", "--db", "mysql://admin:s3cret@db/x")

    assert code == 2
    assert err == (
        "error: db: unsupported database scheme 'mysql'; use a file path (SQLite), "
        "sqlite:///path.db or postgresql+psycopg://user@host/db\n"
    )
