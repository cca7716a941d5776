"""Tests for interlock.timing.calendar: zones, wall-clock resolution across DST, exclusions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from interlock.model.specs import CalendarSpec, ExcludeSpec, ScheduleSpec
from interlock.timing import calendar
from interlock.timing.calendar import (
    exclusion_reason,
    holiday_set_problem,
    hour_after,
    local_day,
    local_time,
    parse_clock,
    resolve_wall_time,
    zone,
)

US_FEDERAL = CalendarSpec(
    name="us-federal",
    weekdays=frozenset({5, 6}),
    dates=frozenset({"2026-01-01", "2026-01-19", "2026-11-26", "2026-12-25"}),
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Build an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_all_is_exported() -> None:
    """Every name in __all__ exists in the module."""
    for name in calendar.__all__:
        assert hasattr(calendar, name)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        pytest.param("UTC", "UTC", id="utc"),
        pytest.param("", "UTC", id="empty-is-utc-as-in-go"),
        pytest.param("Europe/Berlin", "Europe/Berlin", id="berlin"),
    ],
)
def test_zone_known(name: str, key: str) -> None:
    """Known zone names resolve; the empty name means UTC."""
    assert zone(name).key == key


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Mars/Olympus_Mons", id="unknown"),
        pytest.param("America", id="directory"),
        pytest.param("/etc/passwd", id="absolute-path"),
        pytest.param("..", id="dot-dot"),
    ],
)
def test_zone_unknown(name: str) -> None:
    """Unknown zone names raise ValueError naming the zone and how to fix it."""
    with pytest.raises(ValueError, match="unknown time zone") as info:
        zone(name)
    assert "IANA" in str(info.value)


@pytest.mark.parametrize(
    ("moment", "tz", "expected"),
    [
        pytest.param(utc(2026, 3, 3, 2, 0), "America/New_York", date(2026, 3, 2), id="ny-evening"),
        pytest.param(utc(2026, 3, 3, 23, 30), "Europe/Berlin", date(2026, 3, 4), id="berlin-night"),
        pytest.param(utc(2026, 3, 3, 12, 0), "UTC", date(2026, 3, 3), id="utc"),
    ],
)
def test_local_day(moment: datetime, tz: str, expected: date) -> None:
    """local_day is the wall-clock date in the zone, not the UTC date."""
    assert local_day(moment, tz) == expected


def test_local_day_rejects_naive() -> None:
    """A naive datetime is an error, never silently taken as UTC."""
    with pytest.raises(ValueError, match="timezone-aware"):
        local_day(datetime(2026, 3, 3, 12, 0), "UTC")  # noqa: DTZ001


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("08:00", (8, 0), id="hh-mm"),
        pytest.param("8:05", (8, 5), id="one-digit-hour"),
        pytest.param("23:59", (23, 59), id="last-minute"),
        pytest.param("00:00", (0, 0), id="midnight"),
        pytest.param(":30", (None, 30), id="minute-only"),
        pytest.param(" 10:15 ", (10, 15), id="surrounding-space"),
    ],
)
def test_parse_clock(text: str, expected: tuple[int | None, int]) -> None:
    """HH:MM and :MM parse into (hour, minute)."""
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("8pm", id="am-pm"),
        pytest.param("24:00", id="hour-24"),
        pytest.param("12:60", id="minute-60"),
        pytest.param(":75", id="minute-only-75"),
        pytest.param("12", id="no-colon"),
        pytest.param("12:5", id="one-digit-minute"),
        pytest.param("", id="empty"),
        pytest.param("123:00", id="three-digit-hour"),
    ],
)
def test_parse_clock_rejects(text: str) -> None:
    """Anything but HH:MM or :MM is a ValueError with the accepted forms."""
    with pytest.raises(ValueError, match="use HH:MM or :MM"):
        parse_clock(text)


@pytest.mark.parametrize(
    ("day", "hhmm", "tz", "expected"),
    [
        pytest.param(
            date(2026, 7, 1), "08:00", "America/New_York", utc(2026, 7, 1, 12), id="ny-summer"
        ),
        pytest.param(
            date(2026, 1, 5), "08:00", "America/New_York", utc(2026, 1, 5, 13), id="ny-winter"
        ),
        pytest.param(
            date(2026, 3, 8), "02:30", "America/New_York", utc(2026, 3, 8, 7), id="ny-gap"
        ),
        pytest.param(
            date(2026, 11, 1), "01:30", "America/New_York", utc(2026, 11, 1, 5, 30), id="ny-fold"
        ),
        pytest.param(
            date(2026, 3, 29), "02:30", "Europe/Berlin", utc(2026, 3, 29, 1), id="berlin-gap"
        ),
        pytest.param(
            date(2026, 10, 25), "02:30", "Europe/Berlin", utc(2026, 10, 25, 0, 30), id="berlin-fold"
        ),
        pytest.param(
            date(2026, 3, 29), "03:00", "Europe/Berlin", utc(2026, 3, 29, 1), id="berlin-gap-end"
        ),
        pytest.param(date(2026, 3, 3), "10:00", "", utc(2026, 3, 3, 10), id="empty-zone-utc"),
    ],
)
def test_local_time(day: date, hhmm: str, tz: str, expected: datetime) -> None:
    """Gap times move forward to the first existing minute; fold times take the first occurrence."""
    result = local_time(day, hhmm, tz)
    assert result == expected
    assert result.tzinfo is UTC


def test_local_time_needs_hour() -> None:
    """:MM has no hour, so it cannot name a time of day."""
    with pytest.raises(ValueError, match="needs an hour"):
        local_time(date(2026, 3, 3), ":30", "UTC")


def test_resolve_wall_time_ignores_tzinfo_of_input() -> None:
    """Only the wall-clock fields of the input are used."""
    naive = datetime(2026, 3, 29, 2, 45, 30)  # noqa: DTZ001
    assert resolve_wall_time(naive, "Europe/Berlin") == utc(2026, 3, 29, 1)


@pytest.mark.parametrize(
    ("day", "hour", "minute", "tz", "expected"),
    [
        pytest.param(date(2026, 3, 28), 10, 30, "UTC", utc(2026, 3, 28, 11, 30), id="next-hour"),
        pytest.param(date(2026, 3, 3), 23, 30, "UTC", utc(2026, 3, 4, 0, 30), id="t23-rolls-over"),
        pytest.param(date(2026, 3, 29), 1, 30, "Europe/Berlin", utc(2026, 3, 29, 1), id="into-gap"),
        pytest.param(date(2026, 3, 7), 9, 0, "America/New_York", utc(2026, 3, 7, 15), id="ny"),
    ],
)
def test_hour_after(day: date, hour: int, minute: int, tz: str, expected: datetime) -> None:
    """Minute MM of hour H+1 on the wall clock; H=23 rolls into the next day."""
    assert hour_after(day, hour, minute, tz) == expected


@pytest.mark.parametrize(
    ("schedule", "day", "expected"),
    [
        pytest.param(ScheduleSpec(), date(2026, 3, 7), None, id="nothing-excluded"),
        pytest.param(
            ScheduleSpec(exclude=ExcludeSpec(weekends=True)),
            date(2026, 3, 7),
            "Saturday is excluded (exclude.weekends)",
            id="weekend-saturday",
        ),
        pytest.param(
            ScheduleSpec(exclude=ExcludeSpec(weekends=True)),
            date(2026, 3, 8),
            "Sunday is excluded (exclude.weekends)",
            id="weekend-sunday",
        ),
        pytest.param(
            ScheduleSpec(exclude=ExcludeSpec(weekends=True)), date(2026, 3, 9), None, id="weekday"
        ),
        pytest.param(
            ScheduleSpec(exclude=ExcludeSpec(dates=frozenset({"2026-12-25"}))),
            date(2026, 12, 25),
            "2026-12-25 is in exclude.dates",
            id="exact-date",
        ),
        pytest.param(
            ScheduleSpec(exclude=ExcludeSpec(holidays=("US",))),
            date(2026, 11, 26),
            "2026-11-26 is a holiday in US: Thanksgiving Day (exclude.holidays)",
            id="us-thanksgiving",
        ),
        pytest.param(
            ScheduleSpec(exclude=ExcludeSpec(holidays=("US",))),
            date(2026, 2, 12),
            None,
            id="us-federal-not-lincoln",
        ),
        pytest.param(
            ScheduleSpec(exclude=ExcludeSpec(holidays=("US-NY",))),
            date(2026, 2, 12),
            "2026-02-12 is a holiday in US-NY: Lincoln's Birthday (exclude.holidays)",
            id="us-ny-lincoln",
        ),
        pytest.param(
            ScheduleSpec(exclude=ExcludeSpec(holidays=("US", "GB"))),
            date(2026, 12, 26),
            "2026-12-26 is a holiday in GB: Boxing Day (exclude.holidays)",
            id="second-holiday-set",
        ),
        pytest.param(
            ScheduleSpec(calendar=US_FEDERAL),
            date(2026, 1, 19),
            "2026-01-19 is excluded by calendar us-federal",
            id="calendar-date",
        ),
        pytest.param(
            ScheduleSpec(calendar=US_FEDERAL),
            date(2026, 1, 17),
            "Saturday is excluded by calendar us-federal",
            id="calendar-weekday",
        ),
        pytest.param(ScheduleSpec(calendar=US_FEDERAL), date(2026, 1, 20), None, id="calendar-ok"),
        pytest.param(
            ScheduleSpec(
                exclude=ExcludeSpec(weekends=True, dates=frozenset({"2026-03-07"})),
                calendar=US_FEDERAL,
            ),
            date(2026, 3, 7),
            "Saturday is excluded (exclude.weekends)",
            id="first-reason-wins",
        ),
    ],
)
def test_exclusion_reason(schedule: ScheduleSpec, day: date, expected: str | None) -> None:
    """Each exclusion source gives its own short reason; a runnable day gives None."""
    assert exclusion_reason(schedule, day) == expected


def test_exclusion_reason_unknown_holiday_code() -> None:
    """An unsupported holiday code is an error, not a silently runnable day."""
    schedule = ScheduleSpec(exclude=ExcludeSpec(holidays=("XX",)))
    with pytest.raises(ValueError, match="not a country"):
        exclusion_reason(schedule, date(2026, 3, 9))


def test_holiday_sets_are_cached() -> None:
    """The holiday set of one (code, year) is computed once and reused."""
    assert calendar._holiday_set("US", 2026) is calendar._holiday_set("US", 2026)


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("US", id="us"),
        pytest.param("US-NY", id="us-ny"),
        pytest.param("GB", id="gb"),
        pytest.param("GB-ENG", id="gb-eng"),
        pytest.param("DE-BY", id="de-by"),
        pytest.param("de-by", id="lower-case"),
    ],
)
def test_holiday_set_problem_accepts(code: str) -> None:
    """Supported countries and subdivisions have no problem."""
    assert holiday_set_problem(code) is None


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        pytest.param("XX", "not a country supported", id="unknown-country"),
        pytest.param("", "not a country supported", id="empty"),
        pytest.param("US-ZZ", "not a subdivision of US", id="unknown-subdivision"),
        pytest.param("US-ZZ", "use one of: AK, AL", id="subdivision-hint"),
    ],
)
def test_holiday_set_problem_rejects(code: str, fragment: str) -> None:
    """Unsupported codes get a message with a fix hint."""
    problem = holiday_set_problem(code)
    assert problem is not None
    assert fragment in problem


def test_local_time_is_wall_clock_next_day() -> None:
    """The same local time on consecutive days can be 23 hours apart across spring forward."""
    before = local_time(date(2026, 3, 28), "08:00", "Europe/Berlin")
    after = local_time(date(2026, 3, 29), "08:00", "Europe/Berlin")
    assert after - before == timedelta(hours=23)
