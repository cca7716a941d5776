"""How the ``sql`` checker turns result rows into readings: pure tables and properties."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interlock.checkers.base import CheckError, Observation
from interlock.checkers.sql_rows import ABSENT, json_value, partition_of, rows_to_observations
from interlock.model.partitions import parse_partition

PARTS = {"date": "day", "campaign": "campaign", "region": "region"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal(12), 12),
        (Decimal("12.000"), 12),
        (Decimal("1.25"), 1.25),
        (date(2026, 3, 25), "2026-03-25"),
        (datetime(2026, 3, 25, 2, 0, tzinfo=UTC), "2026-03-25T02:00:00+00:00"),
        (datetime(2026, 3, 25, 2, 0), "2026-03-25T02:00:00+00:00"),  # noqa: DTZ001 - naive: as UTC
        (
            datetime(2026, 3, 25, 2, 0, tzinfo=timezone(timedelta(hours=2))),
            "2026-03-25T02:00:00+02:00",
        ),
        (time(7, 30), "07:30:00"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (timedelta(minutes=2), 120.0),
        ({"a": [Decimal(1), None]}, {"a": [1, None]}),
        (True, True),
        ("text", "text"),
    ],
)
def test_result_values_become_json(value: Any, expected: Any) -> None:
    """Database types a warehouse returns become the JSON a rule can compare."""
    assert json_value(value, "col") == expected
    assert type(json_value(value, "col")) is type(expected)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (b"\x00", "'col' is binary"),
        (memoryview(b"x"), "'col' is binary"),
        (float("nan"), "not a JSON number"),
        (Decimal("Infinity"), "not a JSON number"),
        (object(), "holds a object, which has no JSON form"),
    ],
)
def test_values_without_a_json_form_are_refused(value: Any, says: str) -> None:
    """Refused, not stringified: a reading holding ``b'...'`` would match no rule."""
    with pytest.raises(CheckError, match=says):
        json_value(value, "col")


@pytest.mark.parametrize(
    ("row", "parts", "expected"),
    [
        (
            {"day": "2026-03-25", "c": "501"},
            {"date": "day", "campaign": "c"},
            "2026-03-25|campaign=501",
        ),
        (
            {"day": date(2026, 3, 25), "c": 501},
            {"date": "day", "campaign": "c"},
            "2026-03-25|campaign=501",
        ),
        (
            {"day": datetime(2026, 3, 25, 9, tzinfo=UTC), "h": 7},
            {"date": "day", "hour": "h"},
            "2026-03-25T07",
        ),
        ({"day": "20260325", "h": "07"}, {"date": "day", "hour": "h"}, "2026-03-25T07"),
        ({"day": "2026-03-25 00:00:00"}, {"date": "day"}, "2026-03-25"),
        (
            {"d": "2026-03-25", "r": "eu", "c": "b"},
            {"date": "d", "region": "r", "campaign": "c"},
            "2026-03-25|region=eu|campaign=b",  # the mapping's order, not sorted
        ),
    ],
)
def test_rows_map_to_canonical_partitions(
    row: dict[str, Any], parts: dict[str, str], expected: str
) -> None:
    """Date, hour and dimensions in the mapping's order: the pipeline's partition string."""
    assert partition_of(row, parts) == expected


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ({"day": None}, "'day' is NULL in a result row; add 'where day is not null'"),
        ({"day": "March 25"}, "'day' holds 'March 25', not a date"),
        ({"day": "2026-03-25", "h": 24}, "'h' holds 24, not an hour 0-23"),
        ({"day": "2026-03-25", "h": "x"}, "'h' holds 'x', not an hour"),
        ({"day": "2026-03-25", "c": "a|b"}, "without \\| or ="),
    ],
)
def test_unmappable_partition_columns_are_named(row: dict[str, Any], says: str) -> None:
    """A row whose partition columns cannot be read fails the check naming the column."""
    parts = {"date": "day"}
    parts.update({"hour": "h"} if "h" in row else {})
    parts.update({"c": "c"} if "c" in row else {})
    with pytest.raises(CheckError, match=says):
        partition_of(row, parts)


def test_asked_partitions_without_rows_are_absent_and_unasked_rows_kept() -> None:
    """Each row is observed; each asked partition with no row is :data:`ABSENT`, once."""
    rows = [{"day": "2026-03-25", "n": 3}, {"day": "2026-03-20", "n": 1}]
    asked = ["2026-03-25", "2026-03-26", "2026-03-26"]
    got = rows_to_observations(rows, {"date": "day"}, ["n"], asked)
    assert got == [
        Observation("2026-03-25", {"n": 3, "exists": True}),
        Observation("2026-03-20", {"n": 1, "exists": True}),
        Observation("2026-03-26", ABSENT),
    ]


def test_two_rows_of_one_partition_are_a_check_error() -> None:
    """An ungrouped query would make one reading win at random: refused, saying group by."""
    rows = [{"day": "2026-03-25", "n": 3}, {"day": "2026-03-25", "n": 4}]
    with pytest.raises(CheckError, match="two result rows for partition 2026-03-25; group by"):
        rows_to_observations(rows, {"date": "day"}, ["n"], [])


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12)


@given(
    day=st.dates(min_value=date(1970, 1, 1), max_value=date(2999, 12, 31)),
    hour=st.none() | st.integers(0, 23),
    values=st.dictionaries(st.sampled_from(["campaign", "region", "tier"]), names, max_size=3),
)
def test_every_mapped_row_is_a_partition_the_parser_reads_back(
    day: date, hour: int | None, values: dict[str, str]
) -> None:
    """Whatever the row holds (within the grammar), the partition parses to the same parts."""
    row: dict[str, Any] = {"d": day, "h": hour, **{f"col_{k}": v for k, v in values.items()}}
    parts = {"date": "d", **({"hour": "h"} if hour is not None else {})}
    parts.update({k: f"col_{k}" for k in values})
    parsed = parse_partition(partition_of(row, parts))
    assert (parsed.day, parsed.hour) == (day, hour)
    assert dict(parsed.dimensions) == values


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.decimals(allow_nan=False, allow_infinity=False, places=4)
    | st.datetimes(timezones=st.none() | st.timezones())
    | st.dates()
)


@given(value=st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6))
def test_every_converted_value_is_json_a_reading_can_hold(value: Any) -> None:
    """Whatever column value converts, the result survives a JSON round trip unchanged."""
    converted = json_value(value, "col")
    assert json.loads(json.dumps(converted)) == converted
