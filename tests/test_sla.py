"""Tests for interlock.timing.sla: the Go Interlock's SLA vectors, errors, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.model.specs import SlaSpec
from interlock.timing import sla
from interlock.timing.calendar import local_day, resolve_wall_time, zone
from interlock.timing.sla import SlaWindow, absolute_deadline, relative_deadline, sla_window

NY = "America/New_York"
BERLIN = "Europe/Berlin"
ZONES = ["UTC", NY, BERLIN, "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Apia"]
MOMENTS = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2030, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
NAIVE = datetime(2026, 3, 28, 10)  # noqa: DTZ001 - deliberately naive, to be rejected
# "now" for the rows of the Go SLA table whose now column is empty (Go used the real clock).
GO_NOW = "2026-03-28T06:00"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Build an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def minutes(count: int) -> timedelta:
    """Build a duration of `count` minutes."""
    return timedelta(minutes=count)


def test_all_is_exported() -> None:
    """Every name in __all__ exists in the module."""
    for name in sla.__all__:
        assert hasattr(sla, name)


# The Go Interlock's SLA table, column for column (expected duration in minutes, instants in UTC).
GO_SLA_TABLE = [
    ("2026-03-28", "08:00", 30, "UTC", "2026-03-28T06:00", "2026-03-28T08:00", "2026-03-28T07:30"),
    ("2026-03-28T10", ":30", 15, "UTC", "2026-03-28T10:00", "2026-03-28T11:30", "2026-03-28T11:15"),
    ("2026-03-28", "09:00", 60, NY, "2026-03-28T06:00", "2026-03-28T13:00", "2026-03-28T12:00"),
    ("2030-03-01", "00:30", 60, "", GO_NOW, "2030-03-01T00:30", "2030-02-28T23:30"),
    ("2024-01-15", "02:00", 30, "", GO_NOW, "2024-01-16T02:00", "2024-01-16T01:30"),
    ("2026-03-03T23", ":30", 10, "", GO_NOW, "2026-03-04T00:30", "2026-03-04T00:20"),
    ("2026-03-03T10", "11:00", 15, "", "2026-03-03T10:00", "2026-03-03T11:00", "2026-03-03T10:45"),
]
GO_SLA_TABLE_IDS = [
    "daily-hh-mm",
    "hourly-mm",
    "new-york",
    "warning-on-previous-day",
    "past-date-adds-one-day-once",
    "t23-rolls-over",
    "hh-mm-on-hourly-date",
]


def z(text: str) -> datetime:
    """Parse ``YYYY-MM-DDTHH:MM`` as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("partition", "deadline", "expected", "tz", "now", "breach", "warning"),
    GO_SLA_TABLE,
    ids=GO_SLA_TABLE_IDS,
)
def test_absolute_deadline_go_table(
    *,
    partition: str,
    deadline: str,
    expected: int,
    tz: str,
    now: str,
    breach: str,
    warning: str,
) -> None:
    """Every vector of the Go SLA table gives its breach and warning, in UTC."""
    window = absolute_deadline(partition, deadline, minutes(expected), tz, z(now))
    assert window == SlaWindow(warning_at=z(warning), breach_at=z(breach))
    assert window.breach_at.tzinfo is UTC
    assert window.warning_at.tzinfo is UTC


MORE_ABSOLUTE = {
    "daily-mm-this-hour": ("2026-03-28", ":30", "UTC", "2026-03-28T10:10", "2026-03-28T10:30"),
    "daily-mm-next-hour": ("2026-03-28", ":30", "UTC", "2026-03-28T10:45", "2026-03-28T11:30"),
    "daily-mm-at-now": ("2026-03-28", ":30", "UTC", "2026-03-28T10:30", "2026-03-28T10:30"),
    "no-date-half-hour-tz": (None, ":05", "Asia/Kolkata", "2026-03-28T10:10", "2026-03-28T10:35"),
    "no-date-local-date": (None, "09:00", NY, "2026-03-28T02:00", "2026-03-28T13:00"),
    "empty-date-uses-now": ("", "09:00", "UTC", "2026-03-28T02:00", "2026-03-28T09:00"),
    "breach-at-now": ("2026-03-28", "08:00", "UTC", "2026-03-28T08:00", "2026-03-28T08:00"),
    "next-day-dst": ("2026-03-28", "08:00", BERLIN, "2026-03-28T09:00", "2026-03-29T06:00"),
    "in-gap": ("2026-03-29", "02:30", BERLIN, "2026-03-28T00:00", "2026-03-29T01:00"),
    "in-fold": ("2026-10-25", "02:30", BERLIN, "2026-10-24T00:00", "2026-10-25T00:30"),
    "dims": ("2026-03-28|k=v", "08:00", "UTC", "2026-03-28T00:00", "2026-03-28T08:00"),
}


@pytest.mark.parametrize(
    ("partition", "deadline", "tz", "now", "breach"),
    list(MORE_ABSOLUTE.values()),
    ids=list(MORE_ABSOLUTE),
)
def test_absolute_deadline_more(
    partition: str | None, deadline: str, tz: str, now: str, breach: str
) -> None:
    """:MM on a daily date follows now's hour; a past HH:MM moves to the next local day."""
    assert absolute_deadline(partition, deadline, timedelta(0), tz, z(now)).breach_at == z(breach)


@pytest.mark.parametrize(
    ("deadline", "tz", "expected", "fragment"),
    [
        pytest.param("8pm", "UTC", minutes(30), "use HH:MM or :MM", id="deadline-8pm"),
        pytest.param("25:00", "UTC", minutes(30), "use HH:MM or :MM", id="deadline-hour-25"),
        pytest.param(
            "08:00",
            "Mars/Olympus_Mons",
            minutes(30),
            "unknown time zone 'Mars/Olympus_Mons'",
            id="tz-mars",
        ),
        pytest.param("08:00", "UTC", minutes(-5), "must not be negative", id="negative-expected"),
    ],
)
def test_absolute_deadline_errors(
    deadline: str, tz: str, expected: timedelta, fragment: str
) -> None:
    """Bad deadlines and zones raise ValueError with text that says what to fix."""
    with pytest.raises(ValueError, match=fragment):
        absolute_deadline("2026-03-28", deadline, expected, tz, z(GO_NOW))


def test_absolute_deadline_rejects_naive_now() -> None:
    """`now` must be aware."""
    with pytest.raises(ValueError, match="timezone-aware"):
        absolute_deadline("2026-03-28", "08:00", minutes(30), "UTC", NAIVE)


def test_absolute_deadline_rejects_bad_partition() -> None:
    """A malformed partition is rejected, naming the partition field."""
    with pytest.raises(ValueError, match="partition"):
        absolute_deadline("28/03/2026", "08:00", minutes(30), "UTC", z(GO_NOW))


@pytest.mark.parametrize(
    ("arrival", "max_duration", "expected", "breach", "warning"),
    [
        pytest.param(
            utc(2026, 3, 28, 10),
            timedelta(hours=2),
            minutes(30),
            utc(2026, 3, 28, 12),
            utc(2026, 3, 28, 11, 30),
            id="spec-with-expected",
        ),
        pytest.param(
            utc(2026, 3, 28, 10),
            timedelta(hours=2),
            None,
            utc(2026, 3, 28, 12),
            utc(2026, 3, 28, 11, 30),
            id="spec-without-expected-75pct",
        ),
        pytest.param(
            utc(2026, 3, 28, 10),
            timedelta(hours=2),
            minutes(0),
            utc(2026, 3, 28, 12),
            utc(2026, 3, 28, 12),
            id="zero-expected",
        ),
        pytest.param(
            utc(2026, 3, 28, 10),
            timedelta(hours=1),
            minutes(90),
            utc(2026, 3, 28, 11),
            utc(2026, 3, 28, 9, 30),
            id="expected-longer-than-max",
        ),
    ],
)
def test_relative_deadline(
    arrival: datetime,
    max_duration: timedelta,
    expected: timedelta | None,
    breach: datetime,
    warning: datetime,
) -> None:
    """Breach is arrival + maxDuration; warning expectedDuration before, or at 75 %."""
    assert relative_deadline(arrival, max_duration, expected) == SlaWindow(
        warning_at=warning, breach_at=breach
    )


def test_relative_deadline_returns_utc() -> None:
    """An arrival in another zone gives the same instants, in UTC."""
    arrival = utc(2026, 3, 28, 10).astimezone(zone(NY))
    window = relative_deadline(arrival, timedelta(hours=2), None)
    assert window.breach_at == utc(2026, 3, 28, 12)
    assert window.breach_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("arrival", "max_duration", "expected", "fragment"),
    [
        pytest.param(NAIVE, timedelta(hours=2), None, "timezone-aware", id="naive"),
        pytest.param(utc(2026, 3, 28, 10), timedelta(0), None, "must be positive", id="zero-max"),
        pytest.param(
            utc(2026, 3, 28, 10),
            timedelta(hours=2),
            minutes(-1),
            "must not be negative",
            id="negative-expected",
        ),
    ],
)
def test_relative_deadline_errors(
    arrival: datetime, max_duration: timedelta, expected: timedelta | None, fragment: str
) -> None:
    """Naive arrivals and non-positive durations are rejected."""
    with pytest.raises(ValueError, match=fragment):
        relative_deadline(arrival, max_duration, expected)


@pytest.mark.parametrize(
    ("spec", "first_reading_at", "absolute", "relative"),
    [
        pytest.param(
            SlaSpec(deadline="10:00", expected_duration=minutes(30)),
            None,
            SlaWindow(warning_at=utc(2026, 3, 28, 9, 30), breach_at=utc(2026, 3, 28, 10)),
            None,
            id="absolute-only",
        ),
        pytest.param(
            SlaSpec(deadline="10:00"),
            None,
            SlaWindow(warning_at=utc(2026, 3, 28, 10), breach_at=utc(2026, 3, 28, 10)),
            None,
            id="absolute-expected-defaults-to-zero",
        ),
        pytest.param(
            SlaSpec(max_duration=timedelta(hours=2)),
            utc(2026, 3, 28, 8, 15),
            None,
            SlaWindow(warning_at=utc(2026, 3, 28, 9, 45), breach_at=utc(2026, 3, 28, 10, 15)),
            id="relative-only-75pct",
        ),
        pytest.param(
            SlaSpec(max_duration=timedelta(hours=2)),
            None,
            None,
            None,
            id="relative-without-reading",
        ),
        pytest.param(
            SlaSpec(
                deadline="10:00",
                expected_duration=minutes(30),
                max_duration=timedelta(hours=1),
                timezone=NY,
            ),
            utc(2026, 3, 28, 8),
            SlaWindow(warning_at=utc(2026, 3, 28, 13, 30), breach_at=utc(2026, 3, 28, 14)),
            SlaWindow(warning_at=utc(2026, 3, 28, 8, 30), breach_at=utc(2026, 3, 28, 9)),
            id="both-sla-timezone",
        ),
        pytest.param(SlaSpec(), utc(2026, 3, 28, 8), None, None, id="no-sla"),
    ],
)
def test_sla_window(
    spec: SlaSpec,
    first_reading_at: datetime | None,
    absolute: SlaWindow | None,
    relative: SlaWindow | None,
) -> None:
    """sla_window gives the absolute window when a deadline is set, relative once a reading came."""
    opened_at = utc(2026, 3, 28, 8)
    assert sla_window(spec, "2026-03-28", opened_at, first_reading_at) == (absolute, relative)


def test_late_daily_run_is_a_breach_when_window_is_stored() -> None:
    """A window stored at opening makes a late finish a breach (Go recomputed it: SLA_MET).

    Go recomputed the deadline when the run ended; the "+1 day if past" rule then moved the
    breach to tomorrow. Interlock computes it once, when the run opens.
    """
    spec = SlaSpec(deadline="10:00", expected_duration=minutes(30))
    stored, _ = sla_window(spec, "2026-03-28", utc(2026, 3, 28, 8), None)
    finished = utc(2026, 3, 28, 10, 30)
    assert stored is not None
    assert finished >= stored.breach_at
    recomputed = absolute_deadline("2026-03-28", "10:00", minutes(30), "UTC", finished)
    assert finished < recomputed.breach_at  # the Go quirk, reproduced by recomputing late


@pytest.mark.parametrize(
    ("warning_at", "breach_at", "fragment"),
    [
        pytest.param(NAIVE, utc(2026, 3, 28, 11), "timezone-aware", id="naive-warning"),
        pytest.param(utc(2026, 3, 28, 9), NAIVE, "timezone-aware", id="naive-breach"),
        pytest.param(
            utc(2026, 3, 28, 11),
            utc(2026, 3, 28, 10),
            "after its breach",
            id="warning-after-breach",
        ),
    ],
)
def test_sla_window_validates(warning_at: datetime, breach_at: datetime, fragment: str) -> None:
    """SlaWindow rejects naive datetimes and a warning after the breach."""
    with pytest.raises(ValueError, match=fragment):
        SlaWindow(warning_at=warning_at, breach_at=breach_at)


CLOCK_DEADLINES = st.builds(
    lambda hour, minute: f"{hour:02d}:{minute:02d}",
    st.integers(0, 23),
    st.integers(0, 59),
)
MINUTE_DEADLINES = st.integers(0, 59).map(lambda minute: f":{minute:02d}")


@settings(deadline=None)
@given(
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    hour=st.none() | st.integers(0, 23),
    deadline=CLOCK_DEADLINES | MINUTE_DEADLINES,
    expected=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=12)),
    tz=st.sampled_from(ZONES),
    now=MOMENTS,
)
def test_absolute_deadline_properties(
    *, day: date, hour: int | None, deadline: str, expected: timedelta, tz: str, now: datetime
) -> None:
    """Warning <= breach, and the breach is on the partition's local day or the next one.

    That is within 48 h of the partition's local midnight (49 h across a fall-back day).
    A daily ``:MM`` deadline follows ``now`` instead: within the hour after ``now``.
    """
    partition = day.isoformat() if hour is None else f"{day.isoformat()}T{hour:02d}"
    window = absolute_deadline(partition, deadline, expected, tz, now)
    assert window.warning_at <= window.breach_at
    assert window.breach_at - window.warning_at == expected
    if deadline.startswith(":") and hour is None:
        assert now <= window.breach_at <= now + timedelta(hours=1)
        return
    midnight = resolve_wall_time(datetime.combine(day, datetime.min.time()), tz)
    assert local_day(window.breach_at, tz) in {day, day + timedelta(days=1)}
    assert timedelta(0) <= window.breach_at - midnight <= timedelta(hours=49)


@settings(deadline=None)
@given(
    arrival=MOMENTS,
    max_duration=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=24)),
    expected=st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=24)),
)
def test_relative_deadline_properties(
    arrival: datetime, max_duration: timedelta, expected: timedelta | None
) -> None:
    """Warning <= breach, and breach - arrival == maxDuration."""
    window = relative_deadline(arrival, max_duration, expected)
    assert window.warning_at <= window.breach_at
    assert window.breach_at - arrival == max_duration
