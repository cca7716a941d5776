"""Wall-clock calendar math: which local days may run, and which instant a local time names.

Pipelines think in wall-clock time ("08:00 in New York, never on Thanksgiving"); the store,
the controller and every event think in UTC instants. This module is the one place that
crosses between the two, so that DST rules are decided once:

* a local time that does not exist (the spring-forward gap) moves forward to the first
  wall-clock minute that does (02:30 → 03:00 in Berlin), which is also where croniter puts
  a cron fire at that time, so ``schedule.time`` and ``schedule.cron`` agree;
* a local time that happens twice (the fall-back fold) means its first occurrence.

Exclusions follow docs/go-compatibility.md, Calendars, and close the Go gaps: ``exclude.holidays``
(country holiday sets from the ``holidays`` package) and named calendars (``schedule.calendar``)
work.

Pure: no I/O, no clock, no logging. The holiday sets are computed by the ``holidays``
package and cached per (code, year), which is memoisation, not state.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

if TYPE_CHECKING:
    from interlock.model.specs import CalendarSpec, ScheduleSpec

__all__ = [
    "exclusion_reason",
    "holiday_set_problem",
    "hour_after",
    "local_day",
    "local_time",
    "parse_clock",
    "require_aware",
    "resolve_wall_time",
    "zone",
]

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKEND = frozenset({5, 6})
_CLOCK = re.compile(r"^(\d{1,2})?:(\d{2})$")
_CLOCK_HINT = "use HH:MM or :MM"
_MAX_GAP_MINUTES = 2 * 24 * 60  # the largest real gap is Samoa's skipped day in 2011


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """Look up the IANA zone ``name``; ``""`` means UTC, as in Go's ``time.LoadLocation``.

    :raises ValueError: for a name the tz database does not know, with a fix hint.
    """
    if name in {"", "UTC"}:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin or UTC)"
        raise ValueError(msg) from exc


def require_aware(moment: datetime, name: str = "datetime") -> datetime:
    """Return ``moment`` unchanged, or raise ValueError when it is naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"{name} must be timezone-aware, got naive {moment.isoformat()}"
        raise ValueError(msg)
    return moment


def local_day(moment: datetime, tz: str) -> date:
    """Return the wall-clock date of ``moment`` in ``tz``."""
    return require_aware(moment, "moment").astimezone(zone(tz)).date()


def parse_clock(text: str) -> tuple[int | None, int]:
    """Parse ``"HH:MM"`` into ``(HH, MM)`` and ``":MM"`` into ``(None, MM)``.

    One-digit hours (``8:00``) are accepted, as Go's ``15:04`` layout does.

    :raises ValueError: for any other text or an out-of-range hour or minute.
    """
    match = _CLOCK.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        msg = f"{text!r} is not a clock time: {_CLOCK_HINT}"
        raise ValueError(msg)
    hour = int(match.group(1)) if match.group(1) is not None else None
    minute = int(match.group(2))
    if hour is not None and hour > 23:
        msg = f"{text!r} has hour {hour} outside 00-23: {_CLOCK_HINT}"
        raise ValueError(msg)
    if minute > 59:
        msg = f"{text!r} has minute {minute} outside 00-59: {_CLOCK_HINT}"
        raise ValueError(msg)
    return hour, minute


def resolve_wall_time(naive: datetime, tz: str) -> datetime:
    """Return the UTC instant of the wall-clock time ``naive`` in ``tz``.

    A time inside a spring-forward gap moves forward to the first wall-clock minute that
    exists; a time in a fall-back fold takes its first occurrence.
    """
    tzinfo = zone(tz)
    wall = naive.replace(tzinfo=None)
    for _ in range(_MAX_GAP_MINUTES):
        if _exists(wall, tzinfo):
            return wall.replace(tzinfo=tzinfo, fold=0).astimezone(UTC)
        wall = wall.replace(second=0, microsecond=0) + timedelta(minutes=1)
    msg = f"{naive.isoformat()} is in a gap of more than two days in {tz}"  # pragma: no cover
    raise ValueError(msg)  # pragma: no cover


def local_time(day: date, hhmm: str, tz: str) -> datetime:
    """Return ``"HH:MM"`` on the local ``day`` in ``tz`` as a UTC instant.

    Gaps and folds are resolved as in :func:`resolve_wall_time`.

    :raises ValueError: for a malformed time, or ``":MM"`` (which needs an hour).
    """
    hour, minute = parse_clock(hhmm)
    if hour is None:
        msg = f"{hhmm!r} needs an hour here: use HH:MM"
        raise ValueError(msg)
    return resolve_wall_time(datetime.combine(day, time(hour, minute)), tz)


def hour_after(day: date, hour: int, minute: int, tz: str) -> datetime:
    """Return minute ``minute`` of the local hour after hour ``hour`` of ``day``, in UTC.

    This is what ``":MM"`` deadlines mean for hour ``H`` (data for hour H is processed in
    H+1). Hour 23 rolls into 00:MM of the next day, as Go's ``time.Date`` normalises it.
    The arithmetic is on the wall clock, then resolved like :func:`resolve_wall_time`.
    """
    naive = datetime.combine(day, time()) + timedelta(hours=hour + 1, minutes=minute)
    return resolve_wall_time(naive, tz)


def exclusion_reason(schedule: ScheduleSpec, day: date) -> str | None:
    """Say why ``day`` (a local date in the schedule zone) may not run; None when it may.

    Checked in order: ``exclude.weekends``, ``exclude.dates``, ``exclude.holidays``, then the
    named ``calendar``; the first match is the reason.

    :raises ValueError: for a holiday code the ``holidays`` package does not support
        (the config loader rejects those first, through :func:`holiday_set_problem`).
    """
    exclude = schedule.exclude
    if exclude.weekends and day.weekday() in _WEEKEND:
        return f"{_WEEKDAY_NAMES[day.weekday()]} is excluded (exclude.weekends)"
    if day.isoformat() in exclude.dates:
        return f"{day.isoformat()} is in exclude.dates"
    for code in exclude.holidays:
        names = _holiday_set(code, day.year).get_list(day)
        if names:
            holiday = "; ".join(names)
            return f"{day.isoformat()} is a holiday in {code}: {holiday} (exclude.holidays)"
    if schedule.calendar is not None:
        return _calendar_reason(schedule.calendar, day)
    return None


def _calendar_reason(calendar: CalendarSpec, day: date) -> str | None:
    """Say why the named ``calendar`` excludes ``day``, or return None."""
    if day.weekday() in calendar.weekdays:
        return f"{_WEEKDAY_NAMES[day.weekday()]} is excluded by calendar {calendar.name}"
    if day.isoformat() in calendar.dates:
        return f"{day.isoformat()} is excluded by calendar {calendar.name}"
    return None


def holiday_set_problem(code: str) -> str | None:
    """Check a holiday set code (``US``, ``US-NY``, ``GB``, ``DE-BY``); None when supported.

    Otherwise a message saying what is wrong and how to fix it.
    """
    try:
        _resolve_holiday_code(code)
    except ValueError as exc:
        return str(exc)
    return None


def _resolve_holiday_code(code: str) -> tuple[str, str | None]:
    """Split ``"us-ny"`` into ``("US", "NY")`` as the package spells it; ValueError if unknown."""
    country, _, subdiv = code.strip().partition("-")
    supported = holidays.list_supported_countries()
    country = country.upper()
    if country not in supported:
        msg = (
            f"{code!r} is not a country supported by the holidays package "
            "(use an ISO 3166-1 code such as US, GB or DE, optionally with a subdivision: US-NY)"
        )
        raise ValueError(msg)
    if not subdiv:
        return country, None
    subdivisions: list[str] = list(supported[country])
    for known in subdivisions:
        if known.upper() == subdiv.upper():
            return country, known
    listed = ", ".join(subdivisions[:30]) + (", …" if len(subdivisions) > 30 else "")
    hint = f"use one of: {listed}" if subdivisions else f"use {country} alone"
    msg = f"{code!r}: {subdiv!r} is not a subdivision of {country} in the holidays package ({hint})"
    raise ValueError(msg)


@lru_cache(maxsize=256)
def _holiday_set(code: str, year: int) -> holidays.HolidayBase:
    """Compute the holidays of ``code`` in ``year``, once per (code, year)."""
    country, subdiv = _resolve_holiday_code(code)
    result: holidays.HolidayBase = holidays.country_holidays(country, subdiv=subdiv, years=year)
    return result


def _exists(wall: datetime, tzinfo: ZoneInfo) -> bool:
    """Tell whether the naive wall-clock time ``wall`` happens at least once in ``tzinfo``."""
    round_trip = wall.replace(tzinfo=tzinfo).astimezone(UTC).astimezone(tzinfo)
    return round_trip.replace(tzinfo=None) == wall
