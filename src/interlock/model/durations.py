"""Duration strings: Go's ``time.ParseDuration`` syntax plus days and weeks.

Pipeline configs written for the Go Interlock use ``300ms``, ``30s``, ``5m``, ``1h30m`` and
``1.5h``; we accept all of them unchanged and add ``d`` (24h) and ``w`` (7d), which the Go version
rejects (docs/go-compatibility.md, Gaps closed). A well-formed duration too long for a ``timedelta``
(more than 999999999 days) is a :class:`DurationTooLargeError`, a ``ValueError`` like every other
unusable duration, so callers need no second except clause. :func:`parse_moment` reads the
moments a person gives a filter (``-2h``, ``2026-12-01``, an ISO time). Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

__all__ = [
    "TIME_FORMS",
    "DurationTooLargeError",
    "format_duration",
    "parse_duration",
    "parse_moment",
]

_UNITS_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}
_DATE_ONLY = re.compile(r"\d{4}-?\d{2}-?\d{2}")
TIME_FORMS = (
    "an ISO time with a zone (2026-12-01T08:00:00Z, 2026-12-01T09:00+01:00), "
    "an ISO date (2026-12-01: midnight UTC), or a duration from now (-2h, -30m, -1w, 1d)"
)
"""What ``--since``/``--until`` accept, for their ``--help`` and their error."""
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)")


class DurationTooLargeError(ValueError):
    """A well-formed duration longer than a ``timedelta`` holds (``99999999999999999d``)."""


def parse_duration(text: str) -> timedelta:
    """Parse ``1h30m``-style text into a timedelta.

    A leading sign is allowed (as in Go); ``0`` alone means zero. Every part needs a unit.

    :raises ValueError: with a message that shows the accepted forms.
    """
    if not isinstance(text, str):
        msg = f"{text!r} is not a duration string (use e.g. 30s, 5m, 1h30m, 2d)"
        raise TypeError(msg)
    raw = text.strip()
    sign = -1.0 if raw.startswith("-") else 1.0
    body = raw.lstrip("+-")
    if body == "0":
        return timedelta(0)
    pos = 0
    total = 0.0
    while pos < len(body):
        match = _PART.match(body, pos)
        if match is None:
            break
        total += float(match.group(1)) * _UNITS_SECONDS[match.group(2)]
        pos = match.end()
    if not body or pos != len(body):
        msg = f"{text!r} is not a valid duration (use e.g. 300ms, 30s, 5m, 1h30m, 1.5h, 2d, 1w)"
        raise ValueError(msg)
    try:
        return timedelta(seconds=sign * total)
    except OverflowError:  # past 999999999 days, or infinite: float("1e400")
        msg = f"{text!r} is too large (a duration is at most 999999999d)"
        raise DurationTooLargeError(msg) from None


def format_duration(delta: timedelta) -> str:
    """Render a timedelta the way Go prints durations (``1h30m0s``), for event details."""
    total = delta.total_seconds()
    if total == 0:
        return "0s"
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    secs = f"{seconds:g}s"
    if hours:
        return f"{sign}{int(hours)}h{int(minutes)}m{secs}"
    if minutes:
        return f"{sign}{int(minutes)}m{secs}"
    return f"{sign}{secs}"


def parse_moment(text: str, now: datetime) -> datetime:
    """A moment as a person writes it for ``--since``/``--until``, in UTC (:data:`TIME_FORMS`).

    An ISO date is midnight UTC of that day; a duration is relative to ``now`` with its sign
    as written (``-2h`` two hours before ``now``). A time without a zone is refused, not
    guessed: the machine's zone and the controller's may differ.

    :raises ValueError: for a naive time or text of none of these forms.
    :raises OverflowError: for a time beyond what ``datetime`` holds.
    """
    if _DATE_ONLY.fullmatch(text):
        return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        offset = parse_duration(text)  # a ValueError (incl. too large) when not a duration
        return now.astimezone(UTC) + offset
    if moment.utcoffset() is None:
        raise ValueError(text)
    return moment.astimezone(UTC)


def median_duration(values: Iterable[timedelta]) -> timedelta | None:
    """The median of ``values`` (the mean of the middle two for an even count); None if empty.

    A pipeline's expected duration is the median of its last successful attempts: one slow
    run does not move it, as a mean would.
    """
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
