"""SLA deadlines: when a run gets an ``SLA_WARNING`` and when it is in ``SLA_BREACH``.

Two kinds, as in the Go version (docs/go-compatibility.md, SLA):

* **absolute** (``sla.deadline``, ``HH:MM`` or ``:MM`` in ``sla.timezone``): a wall-clock
  deadline tied to the partition, with Go's rules — an ``HH:MM`` breach already before ``now``
  moves to the next day once (so a run opened late for yesterday is due today); ``:MM`` for an
  hourly partition ``THH`` is minute MM of hour H+1 (data for hour H is processed in H+1);
  ``:MM`` for a daily partition or none is minute MM of ``now``'s hour, or of the next hour
  if that has passed.
* **relative** (``sla.maxDuration``): counted from the first trigger reading of the run.

The warning comes ``expectedDuration`` before the breach; a relative SLA without
``expectedDuration`` warns at 75 % of ``maxDuration``.

**Compute once, store.** The caller computes the absolute window ONCE, when a run opens (``now`` =
the opening time), and stores it on the run. The Go version recomputed it when the run ended, and
the "next day if already past" rule then pushed the breach of a late daily run to tomorrow, so the
run reported ``SLA_MET`` (docs/go-compatibility.md, SLA). Storing the window fixes that: a late run
reports ``SLA_BREACH``.

One deliberate refinement: Go adds 24 hours to a past ``HH:MM`` breach; we take ``HH:MM``
on the next local day. The two differ only across a DST change, where +24h would land an
hour away from the configured wall time.

Pure: no I/O, no clock (``now`` is passed in), no logging. Results are in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from interlock.model.partitions import parse_partition
from interlock.timing.calendar import (
    hour_after,
    local_day,
    local_time,
    parse_clock,
    require_aware,
    zone,
)

if TYPE_CHECKING:
    from datetime import date

    from interlock.model.specs import SlaSpec

__all__ = ["SlaWindow", "absolute_deadline", "relative_deadline", "sla_window"]

_ZERO = timedelta(0)


@dataclass(frozen=True, kw_only=True)
class SlaWindow:
    """When a run is warned about (``warning_at``) and when it is in breach (``breach_at``)."""

    warning_at: datetime
    breach_at: datetime

    def __post_init__(self) -> None:
        """Reject naive datetimes and a warning after the breach."""
        require_aware(self.warning_at, "warning_at")
        require_aware(self.breach_at, "breach_at")
        if self.warning_at > self.breach_at:
            msg = f"SLA warning {self.warning_at} is after its breach {self.breach_at}"
            raise ValueError(msg)


def absolute_deadline(
    partition: str | None,
    deadline: str,
    expected_duration: timedelta,
    tz: str,
    now: datetime,
) -> SlaWindow:
    """Compute the absolute SLA window of ``partition``; ``now`` is the opening.

    As in Go (docs/go-compatibility.md, SLA). ``partition`` None (or empty) means ``now``'s
    local date in ``tz``.

    :raises ValueError: for an unknown zone, a deadline that is not ``HH:MM`` / ``:MM``, a
        negative ``expected_duration``, a malformed partition or a naive ``now``.
    """
    zone(tz)
    require_aware(now, "now")
    _require_not_negative(expected_duration, "expected_duration")
    hour, minute = parse_clock(deadline)
    parsed = parse_partition(partition) if partition else None
    if hour is not None:
        day = parsed.day if parsed is not None else local_day(now, tz)
        breach = _clock_breach(day, f"{hour:02d}:{minute:02d}", tz, now)
    elif parsed is not None and parsed.hour is not None:
        breach = hour_after(parsed.day, parsed.hour, minute, tz)
    else:
        breach = _minute_breach(minute, tz, now)
    return SlaWindow(warning_at=breach - expected_duration, breach_at=breach)


def _clock_breach(day: date, hhmm: str, tz: str, now: datetime) -> datetime:
    """Return ``HH:MM`` on ``day``, or on the next day (once) when that is before ``now``."""
    breach = local_time(day, hhmm, tz)
    if breach < now:
        breach = local_time(day + timedelta(days=1), hhmm, tz)
    return breach


def _minute_breach(minute: int, tz: str, now: datetime) -> datetime:
    """Return minute ``minute`` of ``now``'s local hour, or an hour later if that is past."""
    local = now.astimezone(zone(tz))
    breach = local.replace(minute=minute, second=0, microsecond=0).astimezone(UTC)
    if breach < now:
        breach += timedelta(hours=1)
    return breach


def relative_deadline(
    arrival: datetime,
    max_duration: timedelta,
    expected_duration: timedelta | None,
) -> SlaWindow:
    """Compute the relative SLA window: breach ``max_duration`` after ``arrival``.

    As in Go (docs/go-compatibility.md, SLA). The warning is ``expected_duration`` before the
    breach, or at 75 % of ``max_duration`` (breach - max/4) when ``expected_duration`` is None.

    :raises ValueError: for a naive ``arrival``, a non-positive ``max_duration`` or a
        negative ``expected_duration``.
    """
    require_aware(arrival, "arrival")
    if max_duration <= _ZERO:
        msg = f"max_duration must be positive, got {max_duration}"
        raise ValueError(msg)
    lead = max_duration / 4 if expected_duration is None else expected_duration
    _require_not_negative(lead, "expected_duration")
    breach = arrival.astimezone(UTC) + max_duration
    return SlaWindow(warning_at=breach - lead, breach_at=breach)


def sla_window(
    sla: SlaSpec,
    partition: str,
    opened_at: datetime,
    first_reading_at: datetime | None,
) -> tuple[SlaWindow | None, SlaWindow | None]:
    """Compute the ``(absolute, relative)`` SLA windows of a run opened at ``opened_at``.

    Absolute when ``sla.deadline`` is set (``expected_duration`` defaults to zero); relative
    when ``sla.max_duration`` is set and the run has a first trigger reading. Compute this
    when the run opens and store the result (see the module docstring).
    """
    absolute = None
    if sla.deadline is not None:
        expected = sla.expected_duration if sla.expected_duration is not None else _ZERO
        absolute = absolute_deadline(partition, sla.deadline, expected, sla.timezone, opened_at)
    relative = None
    if sla.max_duration is not None and first_reading_at is not None:
        relative = relative_deadline(first_reading_at, sla.max_duration, sla.expected_duration)
    return absolute, relative


def _require_not_negative(duration: timedelta, name: str) -> None:
    """Raise ValueError when ``duration`` is negative (a warning after its breach)."""
    if duration < _ZERO:
        msg = f"{name} must not be negative, got {duration}"
        raise ValueError(msg)
