"""Partitions: what a run is for.

A partition is a date, optionally an hour, optionally dimensions::

    2026-11-22            daily
    2026-11-22T08         hourly
    2026-11-22|campaign=501

It is carried around as its canonical string (the form above) because it is a key in the
store, in events and in URLs; :class:`Partition` is the parsed view. A reading names its
partition explicitly, through its ``date`` (+ ``hour``) fields (the Go semantics), or through
a key suffix (``hourly-status#2026-03-03T07`` or the compact ``#20260303T07``). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from interlock.errors import InputError

__all__ = [
    "Partition",
    "normalize_date",
    "parse_partition",
    "partition_for_time",
    "partition_from_fields",
    "split_key",
]

_DASHED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_HOUR = re.compile(r"^\d{2}$")
_SUFFIX = re.compile(r"^(\d{4}-?\d{2}-?\d{2})(?:T(\d{2}))?$")
_DIMENSION = re.compile(r"^[A-Za-z0-9_.-]+=[^|]+$")


@dataclass(frozen=True, kw_only=True, order=True)
class Partition:
    """A parsed partition; ``str()`` gives the canonical form."""

    day: date
    hour: int | None = None
    dimensions: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        text = self.day.isoformat()
        if self.hour is not None:
            text += f"T{self.hour:02d}"
        for name, value in self.dimensions:
            text += f"|{name}={value}"
        return text

    @property
    def is_hourly(self) -> bool:
        """True for ``YYYY-MM-DDTHH`` partitions."""
        return self.hour is not None


def normalize_date(text: str) -> str | None:
    """``2026-03-03`` or ``20260303`` → ``2026-03-03``; anything else → None."""
    match = _DASHED.match(text) or _COMPACT.match(text)
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3))).isoformat()
    except ValueError:
        return None


def parse_partition(text: str) -> Partition:
    """Parse a partition string in canonical or compact form.

    :raises InputError: naming the ``partition`` field and the accepted forms (also for a
        non-string, which callers from Python may pass: ``20261122`` is an int).
    """
    if not isinstance(text, str):
        raise InputError(
            f"partition must be a string such as 2026-11-22, got {type(text).__name__}",
            field="partition",
        )
    head, *dims = text.strip().split("|")
    day_text, _, hour_text = head.partition("T")
    day = normalize_date(day_text)
    hint = "use YYYY-MM-DD, YYYY-MM-DDTHH or YYYY-MM-DD|name=value"
    if day is None:
        raise InputError(f"{text!r} is not a partition ({hint})", field="partition")
    hour: int | None = None
    if hour_text or "T" in head:
        if not _HOUR.match(hour_text) or int(hour_text) > 23:
            raise InputError(f"{text!r} has an invalid hour ({hint})", field="partition")
        hour = int(hour_text)
    dimensions: list[tuple[str, str]] = []
    for dim in dims:
        if not _DIMENSION.match(dim):
            raise InputError(
                f"{text!r} has an invalid dimension {dim!r} ({hint})", field="partition"
            )
        name, _, value = dim.partition("=")
        dimensions.append((name, value))
    return Partition(day=date.fromisoformat(day), hour=hour, dimensions=tuple(sorted(dimensions)))


def partition_from_fields(data: Mapping[str, object]) -> str | None:
    """The partition a reading names through its ``date`` and optional ``hour`` fields.

    As in the Go version: an invalid ``hour`` falls back to the daily partition; an invalid
    or missing ``date`` gives None (the reading is undated).
    """
    raw_date = data.get("date")
    if not isinstance(raw_date, str):
        return None
    day = normalize_date(raw_date)
    if day is None:
        return None
    raw_hour = data.get("hour")
    if isinstance(raw_hour, str) and _HOUR.match(raw_hour) and int(raw_hour) <= 23:
        return f"{day}T{raw_hour}"
    return day


def split_key(key: str) -> tuple[str, str | None]:
    """Split ``base#2026-03-03T07`` (or ``base#20260303T07``) into ``(base, partition)``.

    A key without a date suffix is returned whole with partition None.
    """
    base, sep, suffix = key.rpartition("#")
    if not sep or not base:
        return key, None
    match = _SUFFIX.match(suffix)
    if match is None:
        return key, None
    day = normalize_date(match.group(1))
    if day is None:
        return key, None
    return base, f"{day}T{match.group(2)}" if match.group(2) else day


def partition_for_time(moment: datetime, *, hourly: bool = False) -> str:
    """The daily (or hourly) partition of an aware datetime, in that datetime's own zone."""
    if moment.tzinfo is None:
        msg = "partition_for_time needs an aware datetime"
        raise ValueError(msg)
    day = moment.date().isoformat()
    return f"{day}T{moment.hour:02d}" if hourly else day
