"""``interlock simulate`` on bad input, through the real CLI: one error line, never a traceback.

Each bad line is refused with ``error: line N.field: ...`` (or ``line N: ...`` for the line
as a whole) and exit status 2, whatever came before it; the events of the lines before it
are already printed, because the replay streams.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from interlock.cli import main
from interlock.simulation.replay import MAX_LINE_CHARS, read_lines

PIPELINE = """
pipeline: {id: orders}
schedule:
  trigger: {key: landed, check: equals, field: status, value: ready}
validation:
  rules:
    - {key: landed, check: equals, field: status, value: ready}
    - {key: rows, check: gte, field: count, value: 1000}
job: {type: command, config: {command: ["true"]}}
"""
ROWS = '{"at": "2026-11-22T08:00:00Z", "key": "rows", "data": {"count": 5000}}'
LANDED = '{"at": "2026-11-22T08:05:00Z", "key": "landed", "data": {"status": "ready"}}'
T = '"at": "2026-11-22T09:00:00Z"'
DEEP = 100_000


@pytest.fixture
def pipeline_file(tmp_path: Path) -> Path:
    """The trigger pipeline of the CLI tests."""
    path = tmp_path / "orders.yaml"
    path.write_text(textwrap.dedent(PIPELINE), encoding="utf-8")
    return path


def simulate(pipeline_file: Path, timeline: bytes | list[str], *options: str) -> Result:
    """Run ``interlock simulate --json`` over ``timeline`` (lines, or the file's bytes)."""
    path = pipeline_file.with_name("timeline.jsonl")
    if isinstance(timeline, bytes):
        path.write_bytes(timeline)
    else:
        path.write_text("\n".join(timeline) + "\n", encoding="utf-8")
    return CliRunner().invoke(
        main, ["simulate", str(pipeline_file), "--readings", str(path), "--json", *options]
    )


def assert_one_error(result: Result, prefix: str, words: str) -> None:
    """Exit 2, no traceback, and exactly one stderr line: ``error: <prefix>...<words>...``."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {prefix}"), lines[0]
    assert words in lines[0], lines[0]


BAD_SECOND_LINES = [
    pytest.param(
        '{"at": "0001-01-01T00:00:00Z", "key": "rows", "data": {}}',
        "line 2.at: ",
        "outside the simulated years 1900 to 8999",
        id="year-1",
    ),
    pytest.param(
        '{"at": "0001-01-01T00:00:00+05:00", "key": "rows", "data": {}}',
        "line 2.at: ",
        "outside the simulated years",
        id="year-1-with-an-offset",
    ),
    pytest.param(
        '{"at": "9999-06-01T00:00:00Z", "key": "rows", "data": {}}',
        "line 2.at: ",
        "outside the simulated years",
        id="year-9999",
    ),
    pytest.param(
        '{"at": "9999-12-31T12:00:00Z", "job": "succeeded"}',
        "line 2.at: ",
        "outside the simulated years",
        id="plus-one-day-overflows",
    ),
    pytest.param(
        '{"at": "soon", "key": "rows", "data": {}}',
        "line 2.at: ",
        "'soon' is not an ISO 8601 time",
        id="not-a-time",
    ),
    pytest.param(
        '{"at": "2026-11-22T09:00:00", "key": "rows", "data": {}}',
        "line 2.at: ",
        "has no time zone",
        id="naive-time",
    ),
    pytest.param(
        '{"at": "2026-11-22T07:00:00Z", "key": "rows", "data": {}}',
        "line 2.at: ",
        "lines must be in time order",
        id="out-of-order",
    ),
    pytest.param(
        "{" + T + ', "key": "rows", "data": {"count": NaN}}',
        "line 2.data: ",
        "NaN and Infinity are not JSON numbers",
        id="nan",
    ),
    pytest.param(
        "{" + T + ', "key": "rows", "data": {"count": [1, {"x": -Infinity}]}}',
        "line 2.data: ",
        "NaN and Infinity",
        id="nested-minus-infinity",
    ),
    pytest.param(
        "{" + T + ', "key": "rows", "data": {"count": 1e400}}',
        "line 2.data: ",
        "such as 1e400, reads as Infinity",
        id="1e400",
    ),
    pytest.param(
        "{" + T + ', "key": "rows", "data": {"count": 1}, "partition": "2026-13-45"}',
        "line 2.partition: ",
        "'2026-13-45' is not a partition",
        id="partition-2026-13-45",
    ),
    pytest.param(
        "{" + T + ', "key": "rows", "data": {"count": 1}, "partition": 20261122}',
        "line 2.partition: ",
        "must be a string",
        id="partition-a-number",
    ),
    pytest.param(
        "{" + T + ', "job": "failed", "category": "WHATEVER"}',
        "line 2.category: ",
        "'WHATEVER' is not a failure category"
        " (use one of TRANSIENT, PERMANENT, TIMEOUT, CANCELLED, AUTH)",
        id="category-WHATEVER",
    ),
    pytest.param(
        "{" + T + ', "job": "failed", "category": "permanent"}',
        "line 2.category: ",
        "not a failure category",
        id="category-lower-case",
    ),
    pytest.param(
        "{" + T + ', "job": "done"}',
        "line 2.job: ",
        "must be one of succeeded, failed, running",
        id="job-state",
    ),
    pytest.param(
        "{" + T + ', "job": "failed", "message": 7}',
        "line 2.message: ",
        "must be a string, got int",
        id="message-not-a-string",
    ),
    pytest.param(
        "{" + T + ', "rerun": "2026-02-30"}',
        "line 2.rerun: ",
        "is not a partition",
        id="rerun-bad-partition",
    ),
    pytest.param(
        "{" + T + ', "rerun": null}',
        "line 2.rerun: ",
        "must be a string",
        id="rerun-null",
    ),
    pytest.param(
        "{" + T + ', "rerun": "2026-11-22", "reason": ""}',
        "line 2.reason: ",
        "must not be empty",
        id="rerun-empty-reason",
    ),
    pytest.param(
        "{" + T + ', "key": "rows", "data": {}, "extra": 1}',
        "line 2: ",
        "unknown field 'extra' (a reading has at, data, key, partition)",
        id="unknown-field",
    ),
    pytest.param(
        "{" + T + ', "key": "rows", "data": {}, "extra": null}',
        "line 2: ",
        "unknown field 'extra'",
        id="unknown-null-field",
    ),
    pytest.param(
        "{" + T + ', "job": "succeeded", "key": "rows", "data": {}}',
        "line 2: ",
        "unknown field 'job'",
        id="reading-and-job-in-one-line",
    ),
    pytest.param(
        "{" + T + ', "rerun": "2026-11-22", "category": "PERMANENT"}',
        "line 2: ",
        "unknown field 'category' (a rerun line has at, reason, rerun)",
        id="rerun-with-a-job-field",
    ),
    pytest.param(
        "{" + T + ', "key": "", "data": {}}',
        "line 2.key: ",
        "sensor key must not be empty",
        id="empty-key",
    ),
    pytest.param(
        "{" + T + ', "key": "rows", "data": [1]}',
        "line 2: ",
        "a reading needs a string 'key' and an object 'data'",
        id="data-not-an-object",
    ),
    pytest.param("{" + T + "}", "line 2: ", "a line needs 'key'", id="no-kind"),
    pytest.param("[1, 2]", "line 2: ", "each line must be a JSON object", id="not-an-object"),
    pytest.param('{"at": ', "line 2: ", "not JSON", id="not-json"),
    pytest.param(
        "{" + T + ', "key": "rows", "data": {"n": ' + "9" * 5000 + "}}",
        "line 2: ",
        "not JSON Interlock can read",
        id="5000-digit-integer",
    ),
    pytest.param(
        "{" + T + ', "key": "rows", "data": ' + "[" * DEEP + "]" * DEEP + "}",
        "line 2: ",
        "nested deeper than 65 levels (reading data may nest 64)",
        id="100000-deep",
    ),
    pytest.param(
        "{" + T + ', "key": "rows", "data": {"a": ' + "{" * DEEP,
        "line 2: ",
        "nested deeper than 65 levels",
        id="100000-deep-unclosed",
    ),
]


@pytest.mark.parametrize(("line", "prefix", "words"), BAD_SECOND_LINES)
def test_a_bad_line_is_one_error_naming_its_number_and_field(
    pipeline_file: Path, line: str, prefix: str, words: str
) -> None:
    """Every listed bad input: exit 2, one line naming line 2 and the field, no traceback."""
    assert_one_error(simulate(pipeline_file, [ROWS, line]), prefix, words)


def test_a_byte_that_is_not_utf8_names_its_line(pipeline_file: Path) -> None:
    """A 0xff byte is reported on its own line, not as a UnicodeDecodeError."""
    timeline = f"{ROWS}\n{ROWS}\n".encode() + b'{"at": "2026-11-22T09:00:00Z", "key": "r\xffs"}\n'
    assert_one_error(
        simulate(pipeline_file, timeline), "line 3: ", "not UTF-8 text: byte 0xff at character 41"
    )


def test_an_overlong_line_is_refused_without_reading_it_whole(pipeline_file: Path) -> None:
    """A line past MAX_LINE_CHARS is one error; nothing after it is read."""
    huge = "{" + T + ', "key": "rows", "data": {"s": "' + "x" * MAX_LINE_CHARS + '"}}'
    result = simulate(pipeline_file, [ROWS, huge, "not even JSON"])
    assert_one_error(result, "line 2: ", f"longer than {MAX_LINE_CHARS:,} characters")


def test_read_lines_stops_after_cutting_an_overlong_line() -> None:
    """The reader never holds more than one bounded line and stops at an overlong one."""
    text = "a\n" + "b" * (MAX_LINE_CHARS + 5) + "\nc\n"
    lines = list(read_lines(io.StringIO(text)))
    assert lines[0] == "a\n"
    assert len(lines) == 2
    assert len(lines[1]) == MAX_LINE_CHARS + 2


def test_brackets_inside_strings_do_not_count_as_nesting(pipeline_file: Path) -> None:
    """The depth pre-scan skips JSON strings: a note full of brackets is a valid reading."""
    note = "[{" * 200 + '\\"' + "]}" * 10
    result = simulate(
        pipeline_file, [ROWS, "{" + T + ', "key": "rows", "data": {"s": "' + note + '"}}']
    )
    assert result.exit_code == 0, result.output


def test_data_nested_64_levels_is_accepted_65_is_not(pipeline_file: Path) -> None:
    """The line may nest 65 levels: the line object and data nested as deep as the store allows."""

    def line(depth: int) -> str:
        data = '{"a": ' * (depth - 1) + "{}" + "}" * (depth - 1)  # depth levels of objects
        return "{" + T + f', "key": "rows", "data": {data}}}'

    assert simulate(pipeline_file, [ROWS, line(64)]).exit_code == 0
    assert_one_error(simulate(pipeline_file, [ROWS, line(65)]), "line 2: ", "nested deeper")


@pytest.mark.parametrize(
    ("until", "words"),
    [
        ("garbage", "--until: 'garbage' is not an ISO 8601 time"),
        ("2026-11-23T00:00:00", "--until: '2026-11-23T00:00:00' has no time zone"),
        ("9999-12-31T00:00:00Z", "--until: '9999-12-31T00:00:00Z' is outside the simulated years"),
    ],
    ids=["garbage", "naive", "year-9999"],
)
def test_a_bad_until_is_one_error(pipeline_file: Path, until: str, words: str) -> None:
    """``--until`` is checked like ``at``, before any line is read."""
    assert_one_error(simulate(pipeline_file, [ROWS, LANDED], "--until", until), "", words)


def test_the_last_representable_time_is_accepted(pipeline_file: Path) -> None:
    """Up to 8999-12-31T23:59:59Z; the day after the last line is still a date."""
    last = '{"at": "8999-12-31T23:59:59Z", "key": "landed", "data": {"status": "ready"}}'
    result = simulate(pipeline_file, [ROWS, last])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[-1])["at"].startswith("9000-01-01T00:59:59")


def test_a_window_too_long_to_replay_is_refused_at_load(tmp_path: Path) -> None:
    """A window of 3,000,000 days would overflow datetime: the config is refused first."""
    path = tmp_path / "long.yaml"
    path.write_text(
        textwrap.dedent(PIPELINE).replace(
            "validation:", "  evaluation: {window: 3000000d, interval: 5m}\nvalidation:"
        ),
        encoding="utf-8",
    )
    result = simulate(path, [ROWS, LANDED])
    assert result.exit_code == 1
    assert "schedule.evaluation.window: 3000000d is too large" in result.output
    assert "Traceback" not in result.output


def test_events_before_a_bad_line_are_printed_then_the_error(pipeline_file: Path) -> None:
    """Streaming: the launch of lines 1-2 is on stdout, the error about line 3 on stderr."""
    result = simulate(
        pipeline_file, [ROWS, LANDED, "{" + T + ', "job": "failed", "category": "X"}']
    )
    assert_one_error(result, "line 3.category: ", "not a failure category")
    printed = [json.loads(line)["type"] for line in result.stdout.splitlines()]
    assert printed == ["RUN_OPENED", "VALIDATION_PASSED", "JOB_TRIGGERED"]


def test_null_optional_fields_are_absent(pipeline_file: Path) -> None:
    """``category``/``message``/``partition``/``reason`` given as null mean "not given"."""
    with_nulls = simulate(
        pipeline_file,
        [
            ROWS.replace("}}", '}, "partition": null}'),
            LANDED,
            "{" + T + ', "job": "failed", "category": null, "message": null}',
        ],
    )
    without = simulate(pipeline_file, [ROWS, LANDED, "{" + T + ', "job": "failed"}'])
    assert with_nulls.exit_code == 0, with_nulls.output
    assert with_nulls.stdout == without.stdout
    assert '"category": "TRANSIENT"' in with_nulls.stdout


def test_partitions_are_canonical_as_in_the_store(pipeline_file: Path) -> None:
    """A compact ``20261122`` partition is the same partition as ``2026-11-22``."""
    dated = ROWS.replace("}}", '}, "partition": "PART"}')
    landed = LANDED.replace("}}", '}, "partition": "PART"}')
    canonical = simulate(
        pipeline_file, [dated.replace("PART", "2026-11-22"), landed.replace("PART", "2026-11-22")]
    )
    compact = simulate(
        pipeline_file, [dated.replace("PART", "20261122"), landed.replace("PART", " 20261122 ")]
    )
    assert canonical.exit_code == 0, canonical.output
    assert compact.stdout == canonical.stdout
    assert '"partition": "2026-11-22"' in compact.stdout


def test_a_job_line_may_name_its_partition(pipeline_file: Path) -> None:
    """With ``partition`` the outcome is that run's, not the latest launch's."""
    later = LANDED.replace("08:05", "08:10").replace("}}", '}, "partition": "2026-11-23"}')
    rows = ROWS.replace("}}", '}, "partition": "2026-11-23"}').replace("08:00", "08:06")
    outcome = '{"at": "2026-11-22T08:20:00Z", "job": "succeeded", "partition": "2026-11-22"}'
    result = simulate(pipeline_file, [ROWS, LANDED, rows, later, outcome])
    assert result.exit_code == 0, result.output
    completed = [json.loads(x) for x in result.stdout.splitlines() if "JOB_COMPLETED" in x]
    assert [e["partition"] for e in completed] == ["2026-11-22"]


def test_the_real_cli_refuses_deep_and_binary_lines(pipeline_file: Path) -> None:
    """The installed ``interlock`` process: one error line on stderr, exit 2, no traceback."""
    interlock = Path(sys.executable).with_name("interlock")
    timeline = pipeline_file.with_name("t.jsonl")
    for content, words in [
        (f"{ROWS}\n".encode() + b"{" + b"[" * DEEP + b"]" * DEEP + b"}\n", "line 2: nested deeper"),
        (f"{ROWS}\n".encode() + b"\xff\n", "line 2: not UTF-8 text: byte 0xff"),
    ]:
        timeline.write_bytes(content)
        done = subprocess.run(
            [str(interlock), "simulate", str(pipeline_file), "--readings", str(timeline)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2
        assert len(done.stderr.splitlines()) == 1, done.stderr
        assert done.stderr.startswith(f"error: {words}")
        assert "Traceback" not in done.stderr
