"""Every ``--db`` a new user might type: it works, or it is one line and exit 2.

A plain path is a SQLite file; ``sqlite:///`` and ``postgresql[+psycopg]://`` URLs work;
anything else, and every SQLite path that cannot be used (a directory, a missing parent
directory, a read-only file or directory, a file that is not a database), is refused in one
line naming the problem, never with a traceback. Commands that only read never create a
database. Read-only cases use ``chmod`` and are skipped where it does not restrict (root).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from interlock.app import Interlock
from interlock.cli import main

PIPELINE = """
pipeline: {id: orders}
schedule:
  trigger: {key: landed, check: equals, field: status, value: ready}
validation:
  rules: [{key: rows, check: gte, field: count, value: 1000}]
job: {type: command, config: {command: ["true"]}}
"""
SUPPORTED = "use a file path (SQLite), sqlite:///path.db or postgresql+psycopg://user@host/db"
READ_COMMANDS = [
    ["status"],
    ["explain", "orders"],
    ["runs", "orders"],
    ["events"],
    ["events", "--json"],
    ["db", "current"],
]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty working directory holding a ``pipelines/`` folder with one pipeline."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERLOCK_DATABASE_URL", raising=False)
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "orders.yaml").write_text(textwrap.dedent(PIPELINE), encoding="utf-8")
    yield tmp_path
    for path in tmp_path.rglob("*"):  # let pytest clean up what a test made read-only
        path.chmod(path.stat().st_mode | stat.S_IWUSR | stat.S_IXUSR)


def run(*args: str) -> Result:
    """``interlock ARGS`` through the real command group."""
    return CliRunner().invoke(main, list(args))


def refused(result: Result) -> str:
    """The one stderr line of a refused command: exit 2, no traceback, nothing on stdout."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def files(folder: Path) -> list[str]:
    """What is in ``folder``, besides the pipelines, relative to it."""
    found = (p.relative_to(folder) for p in folder.rglob("*"))
    return sorted(str(p) for p in found if p.parts[0] != "pipelines")


def no_database_at(path: Path) -> str:
    """What a command that only reads says about a database that is not there."""
    return f"error: no database at {path} (run `interlock apply` or `interlock serve` first)"


def needs_chmod(path: Path) -> None:
    """Skip when ``chmod`` does not stop this process writing ``path`` (root ignores modes)."""
    if os.geteuid() == 0:
        pytest.skip("running as root: file modes do not restrict writing")
    probe = path / "probe" if path.is_dir() else path
    try:
        with probe.open("ab"):
            pass
    except PermissionError:
        return
    pytest.skip("chmod does not restrict writing here")


# Plain paths and supported URLs work -------------------------------------------------


@pytest.mark.parametrize("spelling", ["interlock.db", "./x/y.db", "{here}/abs.db"])
def test_a_plain_path_is_a_sqlite_file(here: Path, spelling: str) -> None:
    """``--db interlock.db`` is what a new user types first: it is a SQLite file."""
    (here / "x").mkdir()
    db = spelling.format(here=here)

    applied = run("apply", "pipelines", "--db", db)
    put = run("sensor", "put", "--shared", "landed", "status=ready", "--db", db)  # opens a run
    status = run("status", "--db", db)

    assert (applied.exit_code, applied.stdout) == (0, "added 1, changed 0, unchanged 0\n")
    assert (put.exit_code, put.stdout) == (0, "ok\n")
    assert status.exit_code == 0
    assert "orders" in status.stdout
    assert (here / db).resolve().is_file()
    assert run("status", "--db", f"sqlite:///{(here / db).resolve()}").stdout == status.stdout


def test_sqlite_urls_keep_working(here: Path) -> None:
    """A relative ``sqlite:///`` URL is the same file as the plain path."""
    assert run("apply", "pipelines", "--db", "sqlite:///rel.db").exit_code == 0
    assert (
        run("sensor", "put", "--shared", "landed", "status=ready", "--db", "rel.db").exit_code == 0
    )
    assert "orders" in run("status", "--db", f"sqlite:///{here}/rel.db").stdout


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_urls_use_psycopg(scheme: str) -> None:
    """``postgresql://`` is psycopg, the driver Interlock ships with (not psycopg2)."""
    result = run("status", "--db", f"{scheme}://nobody@127.0.0.1:1/x?connect_timeout=2")

    assert refused(result).startswith("error: database busy or unreachable")


# Unsupported schemes ------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["status"], ["apply", "pipelines"], ["serve"], ["db", "upgrade"]]
)
@pytest.mark.parametrize("scheme", ["mysql", "postgresql+psycopg2", "oracle"])
def test_another_scheme_names_the_supported_ones_and_hides_the_url(
    here: Path, command: list[str], scheme: str
) -> None:
    """The URL may hold a password: the message names only the scheme."""
    line = refused(run(*command, "--db", f"{scheme}://admin:s3cret@dbhost/x"))

    assert line == f"error: db: unsupported database scheme '{scheme}'; {SUPPORTED}"
    assert files(here) == []


# SQLite paths that cannot be used ------------------------------------------------------


@pytest.mark.parametrize("command", [["status"], ["apply", "pipelines"], ["db", "upgrade"]])
@pytest.mark.parametrize("spelling", ["data", "data/", "sqlite:///data"])
def test_a_directory_is_refused_with_a_file_inside_it_suggested(
    here: Path, command: list[str], spelling: str
) -> None:
    """``--db data/`` is a folder, not a database; the fix is a file in it."""
    (here / "data").mkdir()

    line = refused(run(*command, "--db", spelling))

    expected = f"{here}/data is a directory; give a database file, e.g. {here}/data/interlock.db"
    assert line == f"error: {expected}"
    assert files(here) == ["data"]


def test_a_path_ending_in_a_slash_is_never_made_a_file(here: Path) -> None:
    """``newdir/`` meant a directory: no file named ``newdir`` appears."""
    line = refused(run("apply", "pipelines", "--db", "newdir/"))

    assert line == (
        f"error: {here}/newdir names a directory; give a database file, "
        f"e.g. {here}/newdir/interlock.db"
    )
    assert files(here) == []


@pytest.mark.parametrize("command", [["status"], ["apply", "pipelines"], ["serve"]])
def test_a_missing_parent_directory_is_named_and_not_created(
    here: Path, command: list[str]
) -> None:
    """A typo in the folder must not grow a tree of directories."""
    line = refused(run(*command, "--db", "missing/deeper/x.db"))

    assert line == (
        f"error: cannot open {here}/missing/deeper/x.db: "
        f"the directory {here}/missing/deeper does not exist (create it first)"
    )
    assert files(here) == []


def test_a_parent_that_is_a_file_is_named(here: Path) -> None:
    """``notes.txt/x.db``: the part that is in the way is named."""
    (here / "notes.txt").write_text("hello", encoding="utf-8")

    line = refused(run("apply", "pipelines", "--db", "notes.txt/x.db"))

    assert line == f"error: cannot open {here}/notes.txt/x.db: {here}/notes.txt is not a directory"


@pytest.mark.parametrize("command", [*READ_COMMANDS, ["apply", "pipelines"], ["serve"]])
def test_a_file_that_is_not_a_sqlite_database_is_refused(here: Path, command: list[str]) -> None:
    """``--db pipelines.yaml`` by mistake: said so, and the file is left as it was."""
    notes = here / "notes.txt"
    notes.write_text("not a database at all\n", encoding="utf-8")

    line = refused(run(*command, "--db", "notes.txt"))

    assert line == f"error: {notes} is not a SQLite database"
    assert notes.read_text(encoding="utf-8") == "not a database at all\n"
    assert files(here) == ["notes.txt"]


# Commands that only read never create a database ---------------------------------------


@pytest.mark.parametrize("command", READ_COMMANDS)
@pytest.mark.parametrize("spelling", ["typo.db", "sqlite:///typo.db"])
def test_a_read_only_command_refuses_a_missing_database_and_creates_nothing(
    here: Path, command: list[str], spelling: str
) -> None:
    """A typo in ``--db`` for ``status`` must not leave an empty database to find later."""
    assert refused(run(*command, "--db", spelling)) == no_database_at(here / "typo.db")
    assert files(here) == []


@pytest.mark.parametrize("command", READ_COMMANDS)
def test_the_default_database_is_not_created_by_a_read_only_command(
    here: Path, command: list[str]
) -> None:
    """No ``--db`` in an empty folder: ``./interlock.db`` is named, not created."""
    assert refused(run(*command)) == no_database_at(here / "interlock.db")
    assert files(here) == []


@pytest.mark.parametrize(
    "command",
    [["apply", "pipelines"], ["sensor", "put", "--shared", "landed", "status=ready"]],
)
def test_commands_that_put_data_in_create_the_database(here: Path, command: list[str]) -> None:
    """The first ``apply`` (or a sensor's first reading) makes the database."""
    assert run(*command, "--db", "new.db").exit_code == 0
    assert (here / "new.db").is_file()


# Read-only files and directories -------------------------------------------------------

WRITE_COMMANDS = [
    ["apply", "pipelines"],
    ["serve"],
    ["sensor", "put", "orders", "rows", "count=5"],
    ["db", "upgrade"],
]


@pytest.fixture
def applied(here: Path) -> Path:
    """``data/i.db`` with the pipeline applied, a run open, and no files beside it."""
    (here / "data").mkdir()
    il = Interlock(db="data/i.db", pipelines=here / "pipelines")
    il.apply()
    il.put_shared("landed", {"status": "ready"})  # opens a run for status to show
    il.close()  # the last connection folds the log into the file and removes it
    for leftover in (here / "data").glob("i.db-*"):  # the migration's lock file
        leftover.unlink()
    return here / "data" / "i.db"


@pytest.mark.parametrize("command", WRITE_COMMANDS)
def test_a_read_only_file_is_refused_by_commands_that_write(
    applied: Path, command: list[str]
) -> None:
    """Said before anything is tried, instead of SQLite's "attempt to write a readonly database"."""
    applied.chmod(0o444)
    needs_chmod(applied)

    line = refused(run(*command, "--db", str(applied)))

    assert line == f"error: cannot write {applied}: the file is read-only"


def test_a_read_only_file_can_still_be_read(applied: Path) -> None:
    """An archived database is looked at without an error (or a failed checkpoint) on stderr."""
    applied.chmod(0o444)
    needs_chmod(applied)

    result = run("status", "--db", str(applied))

    assert (result.exit_code, result.stderr) == (0, "")
    assert "orders" in result.stdout


@pytest.mark.parametrize("command", [*WRITE_COMMANDS, ["status"]])
def test_a_read_only_directory_is_refused(applied: Path, command: list[str]) -> None:
    """SQLite in WAL mode creates files beside the database, even to read it."""
    folder = applied.parent
    folder.chmod(0o555)
    needs_chmod(folder)

    line = refused(run(*command, "--db", str(applied)))

    verb = "read" if command == ["status"] else "write"
    assert line == (
        f"error: cannot {verb} {applied}: the directory {folder} is read-only "
        "(SQLite keeps its -wal and -shm files beside the database)"
    )


def test_a_new_database_in_a_read_only_directory_is_refused(here: Path) -> None:
    """The file cannot be created there; the directory is named."""
    folder = here / "locked"
    folder.mkdir(mode=0o555)
    needs_chmod(folder)

    line = refused(run("apply", "pipelines", "--db", "locked/i.db"))

    assert line == f"error: cannot create {folder}/i.db: the directory {folder} is read-only"


# serve checks before it says it is serving ----------------------------------------------


def test_serve_refuses_a_bad_database_before_saying_it_serves(here: Path) -> None:
    """The installed command, as a shell user sees it: one line, no "serving" line first."""
    (here / "notes.txt").write_text("not a database\n", encoding="utf-8")
    command = Path(sys.executable).parent / "interlock"

    result = subprocess.run(
        [command, "serve", "--pipelines", "pipelines", "--db", "notes.txt"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=here,
    )

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [f"error: {here}/notes.txt is not a SQLite database"]


def test_serve_with_a_read_only_file_fails_before_saying_it_serves(applied: Path) -> None:
    """It used to print "interlock serving 1 pipelines" and then fail on its first write."""
    applied.chmod(0o444)
    needs_chmod(applied)

    result = run("serve", "--pipelines", "pipelines", "--db", str(applied))

    assert refused(result) == f"error: cannot write {applied}: the file is read-only"
    assert "serving" not in result.output
