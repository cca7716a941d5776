"""Cron fires, the partitions they open, and the wall-clock deadlines of a schedule.

Unlike the Go version, a ``schedule.cron`` fire opens a run by itself (docs/go-compatibility.md,
Gaps closed), so fire times must be exact in the schedule's zone across DST. croniter (7.x) computes
them in the zone of the start time we hand it; on top of it this module fixes two things:

* **Spring forward.** croniter moves a fire whose wall time does not exist to the first
  minute that does: ``30 2 * * *`` in Berlin fires once on 2026-03-29, at 03:00 CEST
  (01:00Z). An hourly ``30 * * * *`` simply has no 02:30 that day (01:30 CET, then 03:30
  CEST). We keep both behaviours; they match :func:`interlock.timing.calendar.resolve_wall_time`.
* **Fall back.** croniter fires a repeated wall time *twice* (``30 2 * * *`` in Berlin fires at
  02:30 CEST and again at 02:30 CET on 2026-10-25), which would open the same daily partition
  twice. Interlock fires each wall-clock time once, at its first occurrence, as Vixie cron
  does for fixed-time jobs. :func:`next_fire` and :func:`previous_fire` skip the repeats.

Two croniter traps are rejected by :func:`cron_problem` instead of being silently accepted:
an equal range such as ``8-8``, which croniter reads as the *whole* cycle (every hour), and
an expression that never fires (``0 8 31 2 *``). Six-field (seconds) and ``@daily``-style
expressions are rejected too: Interlock cron, like Go's, is exactly 5 fields.

A cron is *hourly* (:func:`fires_hourly`) when it can fire in more than one hour of the day;
its fires open ``YYYY-MM-DDTHH`` partitions, other crons open ``YYYY-MM-DD`` ones, both on the
local date and hour of the fire. Pure: no I/O, no clock, no logging.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from croniter import CroniterBadDateError, CroniterError, croniter

from interlock.model.partitions import parse_partition, partition_for_time
from interlock.timing.calendar import (
    hour_after,
    local_time,
    parse_clock,
    require_aware,
    resolve_wall_time,
    zone,
)

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from interlock.model.specs import ScheduleSpec, SlaSpec

__all__ = [
    "cron_problem",
    "fire_for_partition",
    "fires_hourly",
    "local_time",
    "next_fire",
    "parse_clock",
    "partition_for_fire",
    "partition_granularity",
    "previous_fire",
    "schedule_time_at",
    "trigger_deadline_at",
    "zone",
]

_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_CRON_HINT = "use 5 fields: minute hour day-of-month month day-of-week, e.g. '0 8 * * *'"
_EQUAL_RANGE = re.compile(r"^([0-9a-z]+)-([0-9a-z]+)(?:/\d+)?$", re.IGNORECASE)
_REFERENCE = datetime(2000, 1, 1, tzinfo=UTC)
_MAX_REPEATS = 24 * 60  # more repeated fires than minutes in a day cannot happen
_TICK = timedelta(microseconds=1)


def cron_problem(cron: str) -> str | None:
    """Check a cron expression: None if it is valid, has 5 fields and fires; else why not."""
    fields = cron.split() if isinstance(cron, str) else []
    if len(fields) != len(_FIELDS):
        return f"{cron!r} has {len(fields)} field(s): {_CRON_HINT}"
    for name, text in zip(_FIELDS, fields, strict=True):
        for part in text.split(","):
            match = _EQUAL_RANGE.match(part)
            if match and match.group(1).lower() == match.group(2).lower():
                return (
                    f"{cron!r}: the {name} range {part!r} starts and ends on the same value, "
                    f"which croniter reads as the whole cycle (write {match.group(1)!r} instead)"
                )
    try:
        croniter(" ".join(fields), _REFERENCE).get_next(datetime)
    except CroniterBadDateError:
        return f"{cron!r} never fires: no date matches its day-of-month and month fields"
    except (CroniterError, ValueError, TypeError, KeyError) as exc:
        return f"{cron!r} is not a valid cron expression ({exc}): {_CRON_HINT}"
    return None


@lru_cache(maxsize=1024)
def _checked(cron: str) -> str:
    """Normalise ``cron`` to single spaces; ValueError with :func:`cron_problem`'s text."""
    problem = cron_problem(cron)
    if problem is not None:
        raise ValueError(problem)
    return " ".join(cron.split())


def next_fire(cron: str, tz: str, after: datetime) -> datetime:
    """Return the first fire of ``cron`` in ``tz`` strictly after ``after``, in UTC.

    :raises ValueError: for an invalid cron or zone, or a naive ``after``.
    """
    tzinfo = zone(tz)
    start = require_aware(after, "after").astimezone(tzinfo)
    fires = croniter(_checked(cron), start)
    for _ in range(_MAX_REPEATS):
        fire: datetime = fires.get_next(datetime)
        if not _is_repeat(fire, tzinfo):
            return fire.astimezone(UTC)
    msg = f"{cron!r} in {tz}: no fire outside a repeated hour after {after}"  # pragma: no cover
    raise ValueError(msg)  # pragma: no cover


def previous_fire(cron: str, tz: str, at: datetime) -> datetime | None:
    """Return the last fire of ``cron`` in ``tz`` at or before ``at`` (UTC), or None.

    :raises ValueError: for an invalid cron or zone, or a naive ``at``.
    """
    tzinfo = zone(tz)
    # croniter's get_prev is strictly before its start: nudge by 1 µs to include ``at``.
    start = (require_aware(at, "at").astimezone(UTC) + _TICK).astimezone(tzinfo)
    fires = croniter(_checked(cron), start)
    try:
        for _ in range(_MAX_REPEATS):
            fire: datetime = fires.get_prev(datetime)
            if not _is_repeat(fire, tzinfo):
                return fire.astimezone(UTC)
    except (CroniterBadDateError, OverflowError):
        return None
    return None  # pragma: no cover


def _is_repeat(fire: datetime, tzinfo: ZoneInfo) -> bool:
    """Tell whether ``fire`` is the second occurrence of a wall time repeated by a fall back."""
    local = fire.astimezone(tzinfo)
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


@lru_cache(maxsize=1024)
def fires_hourly(cron: str) -> bool:
    """Tell whether ``cron`` can fire in more than one hour of a day (hour field not one number).

    Several fires within one hour (``*/15 8 * * *``) still make a daily cron.
    """
    expanded, _ = croniter.expand(_checked(cron))
    hours = expanded[1]
    return "*" in hours or len(hours) > 1


def partition_granularity(
    schedule: ScheduleSpec, sla: SlaSpec | None
) -> Literal["hourly", "daily"] | None:
    """Whether a pipeline's own schedule names its runs by the hour or by the day; None: neither.

    The config loader needs it below the decision core: a dependency's partition mapping
    only makes sense for some pairs of granularities (``{all: hour}`` on an hourly upstream,
    ``offset: -1h`` on an hourly downstream). The rule is the one ``decide`` applies to the
    runs it plans and the reruns it accepts: a cron is hourly when it fires in more than one
    hour of a day; include dates are days; a trigger with a deadline (or an SLA deadline) is
    hourly for ``:MM`` deadlines, else daily. A pipeline whose partitions come only from its
    readings or its upstreams has no granularity of its own.
    """
    if schedule.cron:
        return "hourly" if fires_hourly(schedule.cron) else "daily"
    if schedule.include_dates:
        return "daily"
    if schedule.trigger is None:
        return None
    deadlines = [schedule.trigger.deadline, sla.deadline if sla is not None else None]
    present = [deadline for deadline in deadlines if deadline]
    if not present:
        return None
    return "hourly" if any(deadline.startswith(":") for deadline in present) else "daily"


def partition_for_fire(cron: str, tz: str, fire: datetime) -> str:
    """Name the partition a fire opens: its local date, or its local hour for an hourly cron."""
    local = require_aware(fire, "fire").astimezone(zone(tz))
    return partition_for_time(local, hourly=fires_hourly(cron))


def fire_for_partition(cron: str, tz: str, partition: str) -> datetime | None:
    """Return the fire that opens ``partition``: the first one within its local day or hour.

    A daily partition spans its local day, an hourly one its local hour (two real hours on a
    fall-back night, none in a spring-forward gap). None when ``cron`` does not fire in it.

    :raises InputError: for a malformed partition (dimensions are ignored).
    """
    parsed = parse_partition(partition)
    first = datetime.combine(parsed.day, datetime.min.time()).replace(hour=parsed.hour or 0)
    span = timedelta(hours=1) if parsed.hour is not None else timedelta(days=1)
    start = resolve_wall_time(first, tz)
    end = resolve_wall_time(first + span, tz)
    fire = next_fire(cron, tz, start - _TICK)
    return fire if fire < end else None


def trigger_deadline_at(partition: str, deadline: str, tz: str) -> datetime:
    """Return when ``schedule.trigger.deadline`` closes the trigger window of ``partition`` (UTC).

    ``HH:MM`` is that local time on the partition's date. ``:MM`` is minute MM of the hour
    after the partition's hour (``T23`` rolls into the next day, as in Go); for a daily
    partition, which has no hour, ``:MM`` means 00:MM of the next day (the hour after its
    last hour).

    :raises ValueError: for a malformed deadline, partition or zone.
    """
    parsed = parse_partition(partition)
    hour, minute = parse_clock(deadline)
    if hour is not None:
        return local_time(parsed.day, f"{hour:02d}:{minute:02d}", tz)
    last_hour = parsed.hour if parsed.hour is not None else 23
    return hour_after(parsed.day, last_hour, minute, tz)


def schedule_time_at(partition: str, time: str, tz: str) -> datetime:
    """Return ``schedule.time`` (``HH:MM``) on the partition's local date, in UTC.

    :raises ValueError: for a malformed time (``:MM`` included), partition or zone.
    """
    return local_time(parse_partition(partition).day, time, tz)
