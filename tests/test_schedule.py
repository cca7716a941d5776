"""Tests for interlock.timing.schedule: cron fires across DST, partitions, schedule deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.errors import InputError
from interlock.timing import calendar, schedule
from interlock.timing.schedule import (
    cron_problem,
    fire_for_partition,
    fires_hourly,
    next_fire,
    partition_for_fire,
    previous_fire,
    schedule_time_at,
    trigger_deadline_at,
)

NY = "America/New_York"
BERLIN = "Europe/Berlin"
CRONS = [
    "0 8 * * *",
    "30 2 * * *",
    "30 1 * * *",
    "0 2 * * *",
    "30 * * * *",
    "*/20 * * * *",
    "15,45 1-3 * * *",
    "0 9 * * mon-fri",
    "0 0 1 * *",
    "*/15 8 * * *",
]
ZONES = ["UTC", NY, BERLIN, "Australia/Lord_Howe", "Asia/Kolkata"]
NAIVE = datetime(2026, 3, 3)  # noqa: DTZ001 - deliberately naive, to be rejected
MOMENTS = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2030, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Build an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def z(text: str) -> datetime:
    """Parse ``YYYY-MM-DDTHH:MM`` as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def fires_between(cron: str, tz: str, start: datetime, end: datetime) -> list[datetime]:
    """List every fire in (start, end] by walking next_fire."""
    fires: list[datetime] = []
    moment = next_fire(cron, tz, start)
    while moment <= end:
        fires.append(moment)
        moment = next_fire(cron, tz, moment)
    return fires


def test_all_is_exported() -> None:
    """Every name in __all__ exists, and the re-exported helpers are calendar's."""
    for name in schedule.__all__:
        assert hasattr(schedule, name)
    assert schedule.zone is calendar.zone
    assert schedule.parse_clock is calendar.parse_clock
    assert schedule.local_time is calendar.local_time


@pytest.mark.parametrize(
    "cron",
    [
        pytest.param("0 8 * * *", id="daily"),
        pytest.param("*/15 * * * *", id="every-15-minutes"),
        pytest.param("0 9 * * mon-fri", id="weekday-names"),
        pytest.param("0 8 29 2 *", id="leap-day"),
        pytest.param("0  8 * *  *", id="extra-spaces"),
        pytest.param("0 23-1 * * *", id="wrapping-range"),
    ],
)
def test_cron_problem_accepts(cron: str) -> None:
    """Valid 5-field crons that fire have no problem."""
    assert cron_problem(cron) is None


@pytest.mark.parametrize(
    ("cron", "fragment"),
    [
        pytest.param("", "has 0 field(s)", id="empty"),
        pytest.param("@daily", "has 1 field(s)", id="nickname"),
        pytest.param("0 0 8 * * *", "has 6 field(s)", id="seconds-field"),
        pytest.param("0 8 * *", "has 4 field(s)", id="four-fields"),
        pytest.param("61 * * * *", "not a valid cron expression", id="minute-out-of-range"),
        pytest.param("0 8 * * 9", "not a valid cron expression", id="weekday-out-of-range"),
        pytest.param("a b c d e", "not a valid cron expression", id="garbage"),
        pytest.param("0 8 31 2 *", "never fires", id="february-31"),
        pytest.param("0 8-8 * * *", "whole cycle", id="equal-range-hour"),
        pytest.param("5-5 8 * * *", "minute range '5-5'", id="equal-range-minute"),
        pytest.param("0 8 * * mon-MON", "whole cycle", id="equal-range-names"),
    ],
)
def test_cron_problem_rejects(cron: str, fragment: str) -> None:
    """Invalid, non-firing and croniter-trap expressions are reported with a reason."""
    problem = cron_problem(cron)
    assert problem is not None
    assert fragment in problem


# id: (cron, zone, after, expected first fire), instants in UTC.
NEXT_FIRES = {
    "ny-summer-12z": ("0 8 * * *", NY, "2026-07-01T00:00", "2026-07-01T12:00"),
    "ny-winter-13z": ("0 8 * * *", NY, "2026-01-05T00:00", "2026-01-05T13:00"),
    "ny-spring-day": ("0 8 * * *", NY, "2026-03-07T14:00", "2026-03-08T12:00"),
    "ny-fall-day": ("0 8 * * *", NY, "2026-10-31T13:00", "2026-11-01T13:00"),
    "ny-gap-to-03": ("0 2 * * *", NY, "2026-03-07T12:00", "2026-03-08T07:00"),
    "ny-fold-first": ("30 1 * * *", NY, "2026-10-31T12:00", "2026-11-01T05:30"),
    "ny-fold-once": ("30 1 * * *", NY, "2026-11-01T05:30", "2026-11-02T06:30"),
    "berlin-gap-03": ("30 2 * * *", BERLIN, "2026-03-28T12:00", "2026-03-29T01:00"),
    "berlin-after-gap": ("30 2 * * *", BERLIN, "2026-03-29T01:00", "2026-03-30T00:30"),
    "berlin-fold-first": ("30 2 * * *", BERLIN, "2026-10-24T12:00", "2026-10-25T00:30"),
    "berlin-fold-once": ("30 2 * * *", BERLIN, "2026-10-25T00:30", "2026-10-26T01:30"),
    "berlin-inside-fold": ("30 2 * * *", BERLIN, "2026-10-25T01:00", "2026-10-26T01:30"),
    "strictly-after": ("*/15 * * * *", "UTC", "2026-03-03T12:15", "2026-03-03T12:30"),
    "empty-zone-utc": ("0 8 * * *", "", "2026-03-03T07:59", "2026-03-03T08:00"),
}


@pytest.mark.parametrize(
    ("cron", "tz", "after", "expected"), list(NEXT_FIRES.values()), ids=list(NEXT_FIRES)
)
def test_next_fire(cron: str, tz: str, after: str, expected: str) -> None:
    """next_fire follows the wall clock of the zone across DST, in UTC."""
    result = next_fire(cron, tz, z(after))
    assert result == z(expected)
    assert result.tzinfo is UTC


def test_next_fire_sub_minute_after() -> None:
    """A fire one microsecond after `after` is found (seconds are not rounded away)."""
    after = utc(2026, 3, 3, 12, 14) + timedelta(seconds=59, microseconds=999_999)
    assert next_fire("*/15 * * * *", "UTC", after) == utc(2026, 3, 3, 12, 15)


def test_next_fire_accepts_any_aware_zone() -> None:
    """`after` may be in any zone; the result is the same instant in UTC."""
    after = utc(2026, 7, 1).astimezone(calendar.zone("Asia/Tokyo"))
    assert next_fire("0 8 * * *", NY, after) == utc(2026, 7, 1, 12)


# id: (cron, zone, at, expected last fire), instants in UTC.
PREVIOUS_FIRES = {
    "at-fire": ("0 8 * * *", NY, "2026-07-01T12:00", "2026-07-01T12:00"),
    "before-fire": ("0 8 * * *", NY, "2026-07-01T11:59", "2026-06-30T12:00"),
    "winter": ("0 8 * * *", NY, "2026-01-05T20:00", "2026-01-05T13:00"),
    "berlin-gap": ("30 2 * * *", BERLIN, "2026-03-29T06:00", "2026-03-29T01:00"),
    "berlin-fold": ("30 2 * * *", BERLIN, "2026-10-25T03:00", "2026-10-25T00:30"),
    "hourly-fold": ("30 * * * *", BERLIN, "2026-10-25T01:45", "2026-10-25T00:30"),
    "before-epoch": ("0 8 * * *", "UTC", "1970-01-01T00:00", "1969-12-31T08:00"),
}


@pytest.mark.parametrize(
    ("cron", "tz", "at", "expected"), list(PREVIOUS_FIRES.values()), ids=list(PREVIOUS_FIRES)
)
def test_previous_fire(cron: str, tz: str, at: str, expected: str) -> None:
    """previous_fire is the last fire at or before `at`, skipping repeated fold times."""
    assert previous_fire(cron, tz, z(at)) == z(expected)


def test_previous_fire_none_when_out_of_range() -> None:
    """Before any representable fire there is none."""
    assert previous_fire("0 8 * * *", "UTC", datetime.min.replace(tzinfo=UTC)) is None


def test_berlin_spring_forward_fires_once() -> None:
    """30 2 * * * on 2026-03-29 (02:00-03:00 does not exist) fires once, at 03:00 CEST.

    croniter moves the non-existent wall time to the first minute that exists.
    """
    fires = fires_between("30 2 * * *", BERLIN, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))
    assert fires == [utc(2026, 3, 29, 1)]


def test_berlin_fall_back_fires_once() -> None:
    """30 2 * * * on 2026-10-25 (02:00-03:00 happens twice) fires once.

    croniter alone fires it twice, at 02:30 CEST and again at 02:30 CET.
    """
    fires = fires_between("30 2 * * *", BERLIN, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12))
    assert fires == [utc(2026, 10, 25, 0, 30)]


def test_hourly_fall_back_skips_repeated_hour() -> None:
    """An hourly cron fires each local hour once on the fall-back night."""
    fires = fires_between("30 * * * *", BERLIN, utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))
    assert fires == [utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 30)]
    assert [partition_for_fire("30 * * * *", BERLIN, f) for f in fires] == [
        "2026-10-25T01",
        "2026-10-25T02",
        "2026-10-25T03",
    ]


def test_hourly_spring_forward_has_no_missing_hour_fire() -> None:
    """An hourly cron has no fire in the non-existent hour (croniter does not move it)."""
    fires = fires_between("30 * * * *", BERLIN, utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))
    assert fires == [utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30)]


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: next_fire("0 8 * * *", "UTC", NAIVE), id="naive-after"),
        pytest.param(lambda: previous_fire("0 8 * * *", "UTC", NAIVE), id="naive-at"),
        pytest.param(lambda: next_fire("@daily", "UTC", utc(2026, 3, 3)), id="bad-cron"),
        pytest.param(
            lambda: next_fire("0 8 * * *", "Mars/Olympus_Mons", utc(2026, 3, 3)), id="bad-zone"
        ),
        pytest.param(lambda: fires_hourly("0 8-8 * * *"), id="hourly-bad-cron"),
    ],
)
def test_schedule_errors(call: object) -> None:
    """Invalid crons, zones and naive datetimes raise ValueError."""
    assert callable(call)
    with pytest.raises(ValueError, match=r"."):
        call()


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        pytest.param("0 8 * * *", False, id="single-hour"),
        pytest.param("*/15 8 * * *", False, id="many-minutes-one-hour"),
        pytest.param("0 08 * * mon-fri", False, id="zero-padded"),
        pytest.param("0 * * * *", True, id="every-hour"),
        pytest.param("0 */2 * * *", True, id="every-2-hours"),
        pytest.param("0 8,20 * * *", True, id="two-hours"),
        pytest.param("0 8-10 * * *", True, id="hour-range"),
    ],
)
def test_fires_hourly(cron: str, expected: bool) -> None:
    """A cron is hourly when its hour field allows more than one hour."""
    assert fires_hourly(cron) is expected


@pytest.mark.parametrize(
    ("cron", "tz", "fire", "expected"),
    [
        pytest.param("0 22 * * *", NY, utc(2026, 7, 2, 2), "2026-07-01", id="ny-local-date"),
        pytest.param(
            "0 1 * * *", BERLIN, utc(2026, 7, 1, 23), "2026-07-02", id="berlin-local-date"
        ),
        pytest.param("0 * * * *", NY, utc(2026, 7, 2, 2), "2026-07-01T22", id="hourly-local-hour"),
        pytest.param("30 2 * * *", BERLIN, utc(2026, 3, 29, 1), "2026-03-29", id="moved-gap-fire"),
    ],
)
def test_partition_for_fire(cron: str, tz: str, fire: datetime, expected: str) -> None:
    """A fire opens the partition of its local date (or local hour when hourly)."""
    assert partition_for_fire(cron, tz, fire) == expected


@pytest.mark.parametrize(
    ("cron", "tz", "partition", "expected"),
    [
        pytest.param("0 8 * * *", NY, "2026-07-01", utc(2026, 7, 1, 12), id="daily-summer"),
        pytest.param("0 8 * * *", NY, "2026-01-05", utc(2026, 1, 5, 13), id="daily-winter"),
        pytest.param("0 22 * * *", NY, "2026-07-01", utc(2026, 7, 2, 2), id="fire-on-next-utc-day"),
        pytest.param("0 9 * * mon-fri", "UTC", "2026-03-07", None, id="no-fire-on-saturday"),
        pytest.param("30 2 * * *", BERLIN, "2026-03-29", utc(2026, 3, 29, 1), id="gap-day"),
        pytest.param("0 * * * *", "UTC", "2026-03-03T07", utc(2026, 3, 3, 7), id="hourly"),
        pytest.param("0 * * * *", BERLIN, "2026-03-29T02", None, id="hour-that-does-not-exist"),
        pytest.param(
            "0 * * * *", BERLIN, "2026-10-25T02", utc(2026, 10, 25, 0), id="repeated-hour"
        ),
        pytest.param("0 8 * * *", "UTC", "2026-03-03T09", None, id="hour-without-fire"),
        pytest.param(
            "*/15 * * * *", "UTC", "2026-03-03T07|region=eu", utc(2026, 3, 3, 7), id="dims"
        ),
        pytest.param("0 * * * *", "UTC", "2026-03-03", utc(2026, 3, 3, 0), id="daily-of-hourly"),
    ],
)
def test_fire_for_partition(cron: str, tz: str, partition: str, expected: datetime | None) -> None:
    """The fire that opens a partition is the first fire within its local day or hour."""
    assert fire_for_partition(cron, tz, partition) == expected


def test_fire_for_partition_bad_partition() -> None:
    """A malformed partition is an InputError naming the partition field."""
    with pytest.raises(InputError, match="partition"):
        fire_for_partition("0 8 * * *", "UTC", "yesterday")


@pytest.mark.parametrize(
    ("partition", "deadline", "tz", "expected"),
    [
        pytest.param("2026-03-03", "10:00", "UTC", utc(2026, 3, 3, 10), id="hh-mm"),
        pytest.param("2026-03-03T10", "11:00", "UTC", utc(2026, 3, 3, 11), id="hh-mm-hourly-date"),
        pytest.param("2026-03-03T10", ":30", "UTC", utc(2026, 3, 3, 11, 30), id="mm-next-hour"),
        pytest.param("2026-03-03T23", ":30", "UTC", utc(2026, 3, 4, 0, 30), id="mm-t23-rolls-over"),
        pytest.param(
            "2026-03-03", ":30", "UTC", utc(2026, 3, 4, 0, 30), id="mm-daily-next-midnight"
        ),
        pytest.param("2026-07-01", "09:00", NY, utc(2026, 7, 1, 13), id="ny-summer"),
        pytest.param("2026-03-29T01", ":15", BERLIN, utc(2026, 3, 29, 1), id="berlin-into-gap"),
        pytest.param(
            "2026-10-25T01", ":15", BERLIN, utc(2026, 10, 25, 0, 15), id="berlin-into-fold"
        ),
    ],
)
def test_trigger_deadline_at(partition: str, deadline: str, tz: str, expected: datetime) -> None:
    """HH:MM is on the partition date; :MM is in the hour after the partition's hour."""
    assert trigger_deadline_at(partition, deadline, tz) == expected


def test_trigger_deadline_rejects_bad_text() -> None:
    """A deadline such as 8pm is rejected with the accepted forms."""
    with pytest.raises(ValueError, match="use HH:MM or :MM"):
        trigger_deadline_at("2026-03-03", "8pm", "UTC")


@pytest.mark.parametrize(
    ("partition", "time", "tz", "expected"),
    [
        pytest.param("2026-03-03", "06:00", "UTC", utc(2026, 3, 3, 6), id="utc"),
        pytest.param("2026-03-03T10", "06:00", NY, utc(2026, 3, 3, 11), id="hourly-partition-ny"),
        pytest.param("2026-03-08", "02:30", NY, utc(2026, 3, 8, 7), id="ny-gap"),
    ],
)
def test_schedule_time_at(partition: str, time: str, tz: str, expected: datetime) -> None:
    """schedule.time is that local time on the partition's date."""
    assert schedule_time_at(partition, time, tz) == expected


def test_schedule_time_needs_hour() -> None:
    """schedule.time must be HH:MM."""
    with pytest.raises(ValueError, match="needs an hour"):
        schedule_time_at("2026-03-03", ":30", "UTC")


@settings(deadline=None)
@given(cron=st.sampled_from(CRONS), tz=st.sampled_from(ZONES), after=MOMENTS)
def test_next_fire_is_strictly_after(cron: str, tz: str, after: datetime) -> None:
    """next_fire(after) > after, always in UTC."""
    fire = next_fire(cron, tz, after)
    assert fire > after
    assert fire.tzinfo is UTC


@settings(deadline=None)
@given(cron=st.sampled_from(CRONS), tz=st.sampled_from(ZONES), after=MOMENTS)
def test_previous_of_next_is_itself(cron: str, tz: str, after: datetime) -> None:
    """previous_fire(next_fire(x)) == next_fire(x)."""
    fire = next_fire(cron, tz, after)
    assert previous_fire(cron, tz, fire) == fire


@settings(deadline=None)
@given(cron=st.sampled_from(CRONS), tz=st.sampled_from(ZONES), at=MOMENTS)
def test_previous_fire_is_a_next_fire(cron: str, tz: str, at: datetime) -> None:
    """Walking backwards and forwards sees the same fires, with none between them and `at`."""
    fire = previous_fire(cron, tz, at)
    assert fire is not None
    assert fire <= at
    assert next_fire(cron, tz, fire - timedelta(microseconds=1)) == fire
    assert next_fire(cron, tz, fire) > at


@settings(deadline=None)
@given(cron=st.sampled_from(CRONS), tz=st.sampled_from(ZONES), after=MOMENTS)
def test_fire_for_partition_round_trip(cron: str, tz: str, after: datetime) -> None:
    """The fire that opens a fire's partition is in the same partition, and not later."""
    fire = next_fire(cron, tz, after)
    partition = partition_for_fire(cron, tz, fire)
    opener = fire_for_partition(cron, tz, partition)
    assert opener is not None
    assert opener <= fire
    assert partition_for_fire(cron, tz, opener) == partition
