"""Duration strings: Go's ``time.ParseDuration`` syntax plus days and weeks.

Pipeline configs written for the Go Interlock use ``300ms``, ``30s``, ``5m``, ``1h30m`` and
``1.5h``; we accept all of them unchanged and add ``d`` (24h) and ``w`` (7d), which the Go version
rejects (docs/go-compatibility.md, Gaps closed). A well-formed duration too long for a ``timedelta``
(more than 999999999 days) is a :class:`DurationTooLargeError`, a ``ValueError`` like every other
unusable duration, so callers need no second except clause. Pure: no I/O.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["DurationTooLargeError", "format_duration", "parse_duration"]

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
