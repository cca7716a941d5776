"""Bad input and database failures at the command line: one line on stderr, exit 2, no traceback.

Before, deep ``--json`` crashed with a RecursionError traceback, a field given twice was
silently overwritten, a call without any field stored an empty reading, and a database that
could not be opened printed SQLAlchemy's traceback.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
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
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    """``--db`` for a fresh database with the ``orders`` pipeline applied."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "orders.yaml").write_text(textwrap.dedent(PIPELINE), encoding="utf-8")
    args = ["--db", f"sqlite:///{tmp_path}/i.db"]
    assert CliRunner().invoke(main, ["apply", str(folder), *args]).exit_code == 0
    return args


def one_line_error(result: Result) -> str:
    """The single stderr line of a refused command (asserting exit 2 and no traceback)."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert result.stdout == ""
    return lines[0]


def history(db: list[str], key: str = "rows") -> list[object]:
    """Every stored reading of ``key`` for ``orders``."""
    il = Interlock(db=db[1])
    try:
        return list(il.store.reading_history(key, pipeline_id="orders"))
    finally:
        il.close()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--json", DEEP], "--json: JSON is nested deeper than the limit of 64 levels"),
        (["--json", '{"a": ' * 1_000 + "1" + "}" * 1_000], "deeper than the limit of 64"),
        (["--json", '{"count": NaN}'], "--json: NaN is not a JSON number"),
        (["--json", '{"count": 1, "count": 2}'], "--json: JSON object has the key 'count' twice"),
        (["--json", "[1, 2]"], "--json: must be a JSON object"),
        (["--json", "{nope"], "--json: not JSON"),
        (["--json", '{"blob": "' + "x" * 2_000_000 + '"}'], "the limit is 1,048,576 bytes"),
        (["count=1", "count=2"], "field 'count' is given twice"),
        (["count=1", "--json", '{"count": 2}'], "field 'count' is given twice"),
        (["meta=" + DEEP], "meta: JSON is nested deeper than the limit of 64 levels"),
        (["=1"], "'=1' is not field=value"),
        (["count=1", "--partition", "2026-11-22|a=" + "x" * 200], "the limit is 200"),
        (["count=1", "--partition", "2026-11-22|a=\x01"], "U+0001"),
        ([], "fields: give at least one field=value (or --json OBJECT)"),
        (["--partition", "2026-11-22"], "give at least one field=value"),
    ],
    ids=[
        "deep-json-100000",
        "deep-json-1000",
        "nan",
        "duplicate-key",
        "not-an-object",
        "not-json",
        "2-mb",
        "field-twice",
        "field-and-json",
        "deep-field",
        "no-name",
        "long-partition",
        "control-in-partition",
        "no-fields",
        "no-fields-with-partition",
    ],
)
def test_sensor_put_refuses_bad_input_in_one_line(
    db: list[str], args: list[str], words: str
) -> None:
    """Each refusal names what to fix; nothing is stored."""
    result = CliRunner().invoke(main, ["sensor", "put", "orders", "rows", *args, *db])
    assert words in one_line_error(result)
    assert history(db) == []


def test_a_reading_without_fields_is_refused_unless_json_says_so(db: list[str]) -> None:
    """``sensor put --shared KEY`` alone stored an empty reading; ``--json '{}'`` still does."""
    result = CliRunner().invoke(main, ["sensor", "put", "--shared", "upstream-complete", *db])
    assert "give at least one field=value" in one_line_error(result)
    result = CliRunner().invoke(main, ["sensor", "put", "orders", "rows", "--json", "{}", *db])
    assert result.exit_code == 0, result.output
    assert [row["data"] for row in history(db)] == [{}]  # type: ignore[index]


def test_field_values_are_typed_as_help_documents(db: list[str]) -> None:
    """JSON values are typed; anything that is not JSON (05, words, nothing) is a string."""
    text = " ".join(CliRunner().invoke(main, ["sensor", "put", "--help"]).stdout.split())
    for words in ("n=5 is the number 5", 'n=05 is the string "05"', "1e3", "null", "Quote"):
        assert words in text
    fields = ["n=5", "z=05", "f=1e3", "b=true", "x=null", 'o={"a":1}', "s=ready", "e=", 'q="5"']
    result = CliRunner().invoke(main, ["sensor", "put", "orders", "rows", *fields, *db])
    assert result.exit_code == 0, result.output
    (row,) = history(db)
    assert row["data"] == {  # type: ignore[index]
        "n": 5,
        "z": "05",
        "f": 1000.0,
        "b": True,
        "x": None,
        "o": {"a": 1},
        "s": "ready",
        "e": "",
        "q": "5",
    }


def test_a_key_over_the_limit_is_refused(db: list[str]) -> None:
    """The key limit holds from the command line as from the API."""
    result = CliRunner().invoke(main, ["sensor", "put", "orders", "k" * 301, "count=1", *db])
    assert "key is 301 characters; the limit is 300" in one_line_error(result)


def test_good_input_next_to_the_limits_still_works(db: list[str]) -> None:
    """Brackets inside strings, 64 levels and a field plus --json are accepted."""
    nested = '{"a": ' * 63 + "1" + "}" * 63
    args = ["note=[[[[", "--json", '{"count": 1500, "deep": ' + nested + ', "s": "]]]"}']
    result = CliRunner().invoke(main, ["sensor", "put", "orders", "rows", *args, *db])
    assert result.exit_code == 0, result.output
    (row,) = history(db)
    assert row["data"]["note"] == "[[[["  # type: ignore[index]
    assert row["data"]["count"] == 1500  # type: ignore[index]


@pytest.mark.parametrize(
    ("db_url", "words"),
    [
        ("sqlite:////nonexistent/dir/i.db", "error: cannot open /nonexistent/dir/i.db: the"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/x", "error: database busy or unreachable"),
        ("no-such-scheme://x", "error: db: unsupported database scheme 'no-such-scheme'"),
    ],
    ids=["sqlite-unopenable", "postgres-unreachable", "unsupported-scheme"],
)
@pytest.mark.parametrize(
    "command", [["status"], ["events", "--json"], ["sensor", "put", "p", "k", "n=1"]]
)
def test_a_database_that_cannot_be_used_is_one_line_from_any_command(
    command: list[str], db_url: str, words: str
) -> None:
    """Store errors escaping any command are printed, not raised."""
    result = CliRunner().invoke(main, [*command, "--db", db_url])
    assert one_line_error(result).startswith(words)


def test_the_installed_command_prints_one_line_and_no_traceback(db: list[str]) -> None:
    """The real entry point, in its own process, as a shell user sees it."""
    deep = "[" * 5_000 + "]" * 5_000  # an argument may hold at most 128 KiB
    command = Path(sys.executable).parent / "interlock"
    result = subprocess.run(
        [command, "sensor", "put", "orders", "rows", "--json", deep, *db],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: --json: JSON is nested deeper than the limit of 64 levels"
    ]
