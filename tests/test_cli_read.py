"""The read commands as a new user meets them: honest times, names, limits and line output.

Before: ``--since tomorrow`` was a traceback; ``runs ordrs`` and ``events --type SLA_BRECH``
printed nothing and exited 0; ``events`` kept the oldest 1000 events, so recent ones were
never shown; through a pipe every line wrapped at 80 columns and table cells were cut.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from interlock.app import Interlock
from interlock.cli import main
from interlock.cli._common import time_arg
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import MockBackend
from interlock.model import Event
from interlock.schemas import SHAPES, EventOut, MigrationOut, RevisionOut, dump

PIPELINE = """
pipeline: {id: orders}
schedule:
  trigger: {key: landed, check: equals, field: status, value: ready}
validation:
  rules: [{key: rows, check: gte, field: count, value: 1000}]
job: {type: mock}
"""
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CAMPAIGN = "2026-11-22|campaign=" + "c" * 100
FAILURE = "disk full [/x] " + "x" * 150  # markup-like and longer than any terminal


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Interlock]:
    """``orders`` with a failed run (a long, markup-like message) and a long-partition run."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "orders.yaml").write_text(textwrap.dedent(PIPELINE), encoding="utf-8")
    clock = FakeClock(datetime(2026, 11, 23, 7, tzinfo=UTC))
    backend = MockBackend(lambda _request: "running")
    il = Interlock(
        db=f"sqlite:///{tmp_path}/i.db", pipelines=folder, clock=clock, backends=lambda _t: backend
    )
    il.apply()
    controller = il.controller(ControllerSettings(workers=0))
    for partition in (None, CAMPAIGN):
        il.put_reading("orders", "rows", {"count": 1500}, partition=partition)
        il.put_reading("orders", "landed", {"status": "ready"}, partition=partition)
        controller.run_until_idle()
        clock.set(clock.now() + timedelta(minutes=10))
    il.report_job("orders/2026-11-23", "failed", message=FAILURE)
    controller.run_until_idle()
    yield il
    il.close()


@pytest.fixture
def db(installation: Interlock) -> list[str]:
    """``--db`` for the installation."""
    return ["--db", str(installation.store.engine.url)]


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """The CLI as a pipe sees it (CliRunner's stdout is not a terminal)."""
    return CliRunner().invoke(main, list(args), env=env)


def refused(result: Result) -> str:
    """Stderr of a command that exited 2 without a traceback and printed nothing on stdout."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return result.stderr


def every_event(il: Interlock) -> list[Event]:
    """All stored events, oldest first."""
    return il.events(limit=100_000)


# --since / --until ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("20261201", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01T08:00:00Z", datetime(2026, 12, 1, 8, tzinfo=UTC)),
        ("2026-12-01T09:00+01:00", datetime(2026, 12, 1, 8, tzinfo=UTC)),
        ("-2h", NOW - timedelta(hours=2)),
        ("-30m", NOW - timedelta(minutes=30)),
        ("-1w", NOW - timedelta(weeks=1)),
        ("1d", NOW + timedelta(days=1)),
        ("-1h30m", NOW - timedelta(minutes=90)),
        (" -2h ", NOW - timedelta(hours=2)),
    ],
)
def test_time_arg_accepts_zoned_times_dates_and_durations(text: str, expected: datetime) -> None:
    """Dates are midnight UTC; durations count from now with their sign as written."""
    moment = time_arg(text, now=NOW)
    assert moment == expected
    assert moment is not None
    assert moment.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("tomorrow", "'tomorrow' is not a time; use an ISO time with a zone"),
        ("yesterday", "or a duration from now (-2h, -30m, -1w, 1d)"),
        ("2026-12-01T08:00", "has no time zone; write one, e.g. 2026-12-01T08:00:00Z for UTC"),
        ("2026-13-01", "is not a time"),
        ("", "is not a time"),
        ("99999999999d", "is outside the years 1 to 9999"),
        ("9999-12-31T23:00-05:00", "is outside the years 1 to 9999"),
    ],
)
def test_time_arg_refuses_in_one_sentence(text: str, words: str) -> None:
    """Anything else is one line saying what is accepted (click prints it, exit 2)."""
    with pytest.raises(click.BadParameter) as caught:
        time_arg(text, now=NOW)
    assert words in caught.value.message
    assert "\n" not in caught.value.message


OFFSETS = st.builds(
    timezone,
    st.integers(min_value=-23 * 3600, max_value=23 * 3600).map(lambda s: timedelta(seconds=s)),
)
"""Offsets in whole seconds, as zones have them: Python 3.11's ``fromisoformat`` drops the
microseconds of an offset such as ``+00:00:00.000001``, which no zone and no person writes."""


@given(st.datetimes(timezones=OFFSETS))
def test_time_arg_reads_back_every_aware_iso_time(moment: datetime) -> None:
    """An aware time prints and parses back as the same instant, in UTC (or is refused)."""
    try:
        expected = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        with pytest.raises(click.BadParameter):
            time_arg(moment.isoformat(), now=NOW)
        return
    assert time_arg(moment.isoformat(), now=NOW) == expected


@given(st.dates())
def test_time_arg_reads_a_date_as_its_midnight_utc(day: date) -> None:
    """``YYYY-MM-DD`` is that day's start in UTC, never the machine's zone."""
    assert time_arg(day.isoformat(), now=NOW) == datetime.combine(day, time(), tzinfo=UTC)


@given(
    st.integers(min_value=-100_000, max_value=100_000),
    st.sampled_from([("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800)]),
)
def test_time_arg_reads_a_duration_from_now(amount: int, unit: tuple[str, int]) -> None:
    """``-2h`` is two hours before ``now``, ``3d`` three days after."""
    expected = NOW + timedelta(seconds=amount * unit[1])
    assert time_arg(f"{amount}{unit[0]}", now=NOW) == expected


@given(st.text(max_size=40))
def test_time_arg_answers_any_text_with_a_time_or_one_line(text: str) -> None:
    """Never a traceback: an aware UTC time, or a one-line BadParameter."""
    refusal = ""
    try:
        moment = time_arg(text, now=NOW)
    except click.BadParameter as exc:
        refusal = exc.message
    if refusal:
        assert "\n" not in refusal
    else:
        assert moment is not None
        assert moment.tzinfo is UTC


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_events_refuses_a_bad_time_naming_the_option(db: list[str], option: str) -> None:
    """``--since tomorrow`` was a ValueError traceback."""
    stderr = refused(run("events", option, "tomorrow", *db))
    assert f"Invalid value for '{option}': 'tomorrow' is not a time" in stderr


def test_events_takes_dates_and_relative_times(installation: Interlock, db: list[str]) -> None:
    """A date is midnight UTC; ``-1000w`` reaches back past every event, ``1d`` is ahead."""
    total = len(every_event(installation))
    assert len(run("events", "--since", "2026-11-23", *db).stdout.splitlines()) == total
    assert run("events", "--until", "2026-11-23", *db).stdout == ""
    assert len(run("events", "--since", "-1000w", *db).stdout.splitlines()) == total
    assert run("events", "--since", "1d", *db).stdout == ""


def test_events_help_says_what_a_date_means() -> None:
    """The forms are documented where they are used."""
    text = " ".join(run("events", "--help").stdout.split())
    assert "ISO date (2026-12-01: midnight UTC)" in text
    assert "duration from now (-2h, -30m, -1w, 1d)" in text


# Unknown names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["runs", "ordrs"],
        ["status", "ordrs"],
        ["events", "--pipeline", "ordrs"],
        ["explain", "ordrs"],
        ["sensor", "put", "ordrs", "rows", "count=1"],
    ],
    ids=["runs", "status", "events", "explain", "sensor-put"],
)
def test_an_unknown_pipeline_is_an_error_with_a_suggestion(
    db: list[str], command: list[str]
) -> None:
    """Every command that names a pipeline says so, in the same words."""
    assert refused(run(*command, *db)) == (
        "error: pipeline: no pipeline 'ordrs' is loaded; did you mean 'orders'?\n"
    )


@pytest.mark.parametrize("command", [["runs", "nope"], ["events", "--pipeline", "nope"]])
def test_an_unknown_pipeline_with_nothing_close_has_no_suggestion(
    db: list[str], command: list[str]
) -> None:
    """No far-fetched guess."""
    assert refused(run(*command, *db)) == "error: pipeline: no pipeline 'nope' is loaded\n"


def test_an_unknown_event_type_is_an_error_with_a_suggestion(db: list[str]) -> None:
    """``--type SLA_BRECH`` printed nothing and exited 0."""
    stderr = refused(run("events", "--type", "SLA_BRECH", *db))
    assert stderr.startswith("error: --type: no event type 'SLA_BRECH'; did you mean 'SLA_BREACH'")
    assert stderr.count("\n") == 1
    assert "names are upper case" in refused(run("events", "--type", "whatever", *db))


def test_event_types_are_matched_ignoring_case(db: list[str]) -> None:
    """``--type job_failed`` is JOB_FAILED, not an error and not nothing."""
    result = run("events", "--type", "job_failed", "--json", *db)
    assert result.exit_code == 0, result.output
    assert [e["type"] for e in json.loads(result.stdout)] == ["JOB_FAILED"]


# --limit: the newest N -------------------------------------------------------------------


def test_events_shows_the_newest_in_time_order_and_says_how_many_more(
    installation: Interlock, db: list[str]
) -> None:
    """The newest is the last line; the notice goes to stderr, stdout stays the events."""
    stored = every_event(installation)
    assert len(stored) > 3
    result = run("events", "--limit", "2", *db)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[1] for line in lines] == [e.type for e in stored[-2:]]
    assert result.stderr == f"{len(stored) - 2} more events; use --limit or --since\n"
    everything = run("events", "--limit", str(len(stored)), *db)
    assert len(everything.stdout.splitlines()) == len(stored)
    assert everything.stderr == ""  # all shown: no notice


def test_events_json_is_the_newest_n_in_time_order(installation: Interlock, db: list[str]) -> None:
    """A JSON list of EventOut, as before, now the newest N; no notice in JSON mode."""
    stored = every_event(installation)
    result = run("events", "--limit", "3", "--json", *db)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert json.loads(result.stdout) == dump([EventOut.of(e) for e in stored[-3:]])


def test_events_refuses_a_limit_below_one(db: list[str]) -> None:
    """``--limit 0`` is a usage error, not an empty answer."""
    assert "Invalid value for '--limit'" in refused(run("events", "--limit", "0", *db))


def test_the_facade_keeps_the_oldest_first_by_default(installation: Interlock) -> None:
    """Old callers of ``events(limit=...)`` still page from the start."""
    stored = every_event(installation)
    assert installation.events(limit=2) == stored[:2]
    assert installation.events(limit=2, newest=True) == stored[-2:]
    assert installation.count_events() == len(stored)
    assert installation.count_events(types=["JOB_FAILED"]) == 1


# Output through a pipe --------------------------------------------------------------------


def test_events_through_a_pipe_are_one_line_each_and_printed_as_written(
    installation: Interlock, db: list[str]
) -> None:
    """Even at COLUMNS=40 nothing wraps; a message with ``[/x]`` is text, not markup."""
    result = run("events", *db, env={"COLUMNS": "40"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(every_event(installation))
    (failed,) = [line for line in lines if " JOB_FAILED " in line]
    assert failed.endswith(f"orders 2026-11-23 job failed: {FAILURE}")


@pytest.mark.parametrize("command", [["status"], ["status", "orders"], ["runs", "orders"]])
def test_tables_through_a_pipe_keep_every_cell_whole(db: list[str], command: list[str]) -> None:
    """A 120-character partition is printed whole, on one row, even at COLUMNS=40."""
    result = run(*command, *db, env={"COLUMNS": "40"})
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "campaign=" in line]
    assert len(rows) == 1
    assert CAMPAIGN in rows[0]


# db --json ---------------------------------------------------------------------------------


def test_db_json_outputs_are_schema_models(tmp_path: Path) -> None:
    """``db upgrade``/``db current --json`` are shapes of interlock.schemas, same bytes."""
    assert SHAPES["migration"] is MigrationOut
    assert SHAPES["revision"] is RevisionOut
    url = f"sqlite:///{tmp_path}/fresh.db"
    upgraded = run("db", "upgrade", "--db", url, "--json")
    done = MigrationOut.model_validate_json(upgraded.stdout)
    assert done.from_ is None
    assert done.changed
    assert upgraded.stdout == f'{{"from": null, "to": "{done.to}", "changed": true}}\n'
    current = run("db", "current", "--db", url, "--json")
    assert RevisionOut.model_validate_json(current.stdout).is_head
    assert current.stdout == f'{{"revision": "{done.to}", "head": "{done.to}", "is_head": true}}\n'
