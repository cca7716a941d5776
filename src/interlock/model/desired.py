"""Desired state: the partitions a pipeline declares, and what each of them is doing.

A pipeline with ``partitions`` says which partitions must exist and be done — a date axis
(daily or hourly, from ``start`` to ``end`` minus ``lag``) crossed with any number of
dimensions —
and Interlock keeps them so: a partition that is not done gets a run (a *backfill*), one
that stops being done gets a run again (*self-healing*), and one whose ``complete``
condition holds without a job is done all the same.

The canonical partition string extends the one of :mod:`interlock.model.partitions` with the
dimensions in **declaration order**: ``2026-11-21|campaign=b|region=eu``.

Pure: the range is computed from a ``now`` given by the caller, and dynamic dimension values
(read from a sensor) come in as an argument.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import product
from zoneinfo import ZoneInfo

from interlock.errors import InputError
from interlock.model.partitions import parse_partition

__all__ = [
    "BackfillOrder",
    "BackfillSpec",
    "Dimension",
    "Granularity",
    "PartitionChecker",
    "PartitionState",
    "PartitionsSpec",
    "TimeAxis",
    "canonical_partition",
    "date_range",
    "desired_partitions",
    "dimension_values",
    "listed_values",
    "time_partitions",
]


class Granularity(StrEnum):
    """How long one partition of the time axis is."""

    DAILY = "daily"
    HOURLY = "hourly"


class BackfillOrder(StrEnum):
    """Which missing partitions the reconciler queues first."""

    NEWEST_FIRST = "newest-first"
    """Yesterday before last year: what people look at first is fixed first (default)."""
    OLDEST_FIRST = "oldest-first"
    """In date order: for pipelines whose partitions build on the one before."""


class PartitionState(StrEnum):
    """What one desired partition is doing; ``interlock partitions`` counts these."""

    DONE = "done"
    """Its ``complete`` condition holds (or, without one, its last run succeeded)."""
    MISSING = "missing"
    """Not done and nobody is working on it: the reconciler gives it a run."""
    WAITING = "waiting"
    """A run is open for it, waiting for its rules, its upstreams or a backfill slot."""
    RUNNING = "running"
    """Its job is launching or running."""
    FAILED = "failed"
    """Its run failed with every retry spent; not retried until its inputs change."""
    STALE = "stale"
    """A run worked on it for longer than allowed; the partition is eligible again."""


@dataclass(frozen=True, kw_only=True)
class TimeAxis:
    """``partitions.time``: the dates (or hours) a pipeline must have done."""

    granularity: Granularity = Granularity.DAILY
    start: date | None = None
    """The first partition's date; None when ``start`` is relative (:attr:`start_ago`)."""
    start_ago: timedelta | None = None
    """A relative start (``-90d``): that long before the end of the range."""
    end: date | None = None
    """The last date; None means today (in :attr:`timezone`) minus :attr:`lag`."""
    lag: timedelta = timedelta(0)
    """How far behind now the newest partition is (``1d``: yesterday is the newest)."""
    timezone: str = "UTC"
    """The zone whose days and hours the partitions name."""


@dataclass(frozen=True, kw_only=True)
class Dimension:
    """One dimension: static ``values``, or the list in a sensor reading's ``field``."""

    name: str
    values: tuple[str, ...] = ()
    sensor: str | None = None
    """The sensor key whose latest reading lists the values (dynamic dimension)."""
    field: str | None = None
    """The list field of that reading."""

    @property
    def is_dynamic(self) -> bool:
        """True when the values come from a sensor reading, so they can grow by themselves."""
        return self.sensor is not None


@dataclass(frozen=True, kw_only=True)
class PartitionsSpec:
    """``partitions``: the time axis times the dimensions, in declaration order."""

    time: TimeAxis = field(default_factory=TimeAxis)
    dimensions: tuple[Dimension, ...] = ()

    @property
    def sensor_keys(self) -> frozenset[str]:
        """The sensors dynamic dimensions read: a new value there is a new partition."""
        return frozenset(d.sensor for d in self.dimensions if d.sensor is not None)

    def dimension(self, name: str) -> Dimension | None:
        """The dimension called ``name``, if declared."""
        return next((d for d in self.dimensions if d.name == name), None)


@dataclass(frozen=True, kw_only=True)
class BackfillSpec:
    """``backfill``: how the reconciler works through missing partitions."""

    max_concurrent: int = 4
    """Runs of this pipeline launching or running at once, backfills and self-heals alike."""
    order: BackfillOrder = BackfillOrder.NEWEST_FIRST
    retry_failed_after: timedelta | None = None
    """A partition failed for good is tried again after this long; None: never by itself."""
    max_reruns: int = 3
    """How often ``interlock backfill`` may rerun one partition's run (``manual-backfill``
    and ``backfill-no-downstream`` together): a few deliberate re-backfills after fixes,
    not a script looping over the same range."""


# The range --------------------------------------------------------------------------------


def date_range(axis: TimeAxis, now: datetime) -> tuple[date, date] | None:
    """The first and last date of the axis at ``now``; None when the range is empty.

    The end is :attr:`TimeAxis.end` or, for ``today``, the date of ``now - lag`` in the
    axis's zone; a relative start counts back from that end (``-90d``: 91 days in all).
    """
    local_now = now.astimezone(ZoneInfo(axis.timezone))
    newest = (local_now - axis.lag).date()
    last = min(axis.end, newest) if axis.end is not None else newest
    first = axis.start if axis.start is not None else last - (axis.start_ago or timedelta(0))
    return (first, last) if first <= last else None


def time_partitions(axis: TimeAxis, now: datetime) -> list[str]:
    """Every partition of the time axis at ``now``, oldest first (no dimensions).

    Hourly: the wall-clock hours of each local day (23 or 25 on a DST day; a repeated hour
    is one partition), up to the hour of ``now - lag``.
    """
    bounds = date_range(axis, now)
    if bounds is None:
        return []
    first, last = bounds
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if axis.granularity is Granularity.DAILY:
        return [d.isoformat() for d in days]
    zone = ZoneInfo(axis.timezone)
    newest_hour = (now.astimezone(zone) - axis.lag).strftime("%Y-%m-%dT%H")
    hours = [h for d in days for h in _local_hours(d, zone)]
    return [h for h in hours if h <= newest_hour]


def _local_hours(day: date, zone: ZoneInfo) -> list[str]:
    """The distinct wall-clock hours of ``day`` in ``zone``, in order."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    utc_start, utc_end = start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))
    labels: list[str] = []
    moment = utc_start
    while moment < utc_end:
        label = moment.astimezone(zone).strftime("%Y-%m-%dT%H")
        if not labels or labels[-1] != label:
            labels.append(label)
        moment += timedelta(hours=1)
    return labels


def dimension_values(
    spec: PartitionsSpec, dynamic: Mapping[str, Sequence[str]]
) -> list[tuple[str, tuple[str, ...]]]:
    """Each dimension's values, in declaration order; dynamic ones from ``dynamic[name]``.

    A dynamic dimension whose sensor has not reported yet has no values (so no partitions
    yet), rather than an error: the first reading of the list creates them.
    """
    return [
        (d.name, tuple(dynamic.get(d.name, ())) if d.is_dynamic else d.values)
        for d in spec.dimensions
    ]


def listed_values(raw: object) -> list[str]:
    """A dynamic dimension's values from its reading's list field: strings, in order, once.

    Anything but a list (the field missing, a number) gives no values, rather than an error:
    the next reading of the list may fix it.
    """
    listed = raw if isinstance(raw, list) else []
    return list(dict.fromkeys(str(value) for value in listed))


def desired_partitions(
    spec: PartitionsSpec,
    now: datetime,
    dynamic: Mapping[str, Sequence[str]] | None = None,
) -> Iterator[str]:
    """Every desired partition at ``now`` as its canonical string, oldest date first.

    A generator: 365 days by 1,000 campaigns is 365,000 strings, and callers that filter
    (one date, ``--where campaign=a``) need not hold them all.
    """
    times = time_partitions(spec.time, now)
    axes = dimension_values(spec, dynamic or {})
    if not axes:
        yield from times
        return
    suffixes = [
        "".join(f"|{n}={v}" for n, v in zip([a[0] for a in axes], combo, strict=True))
        for combo in product(*(values for _, values in axes))
    ]
    for time_part in times:
        for suffix in suffixes:
            yield time_part + suffix


def canonical_partition(
    spec: PartitionsSpec, text: str, dynamic: Mapping[str, Sequence[str]] | None = None
) -> str:
    """``text`` as this pipeline's canonical partition, or an error saying what is wrong.

    Accepts the dimensions in any order (``|region=eu|campaign=b``) and the compact date
    form, and gives them back in declaration order. Checks the granularity, that every
    declared dimension is named once and nothing else is, and that a static dimension's
    value is one of its values (a dynamic one's too, when ``dynamic`` lists them).

    :raises InputError: on the ``partition`` field, naming the declared form.
    """
    parsed = parse_partition(text)
    example = _example(spec)
    hourly = spec.time.granularity is Granularity.HOURLY
    if parsed.is_hourly != hourly:
        kind = "hourly (YYYY-MM-DDTHH)" if hourly else "daily (YYYY-MM-DD)"
        raise InputError(
            f"{text!r} does not match this pipeline's {kind} partitions, e.g. {example}",
            field="partition",
        )
    given = dict(parsed.dimensions)
    declared = [d.name for d in spec.dimensions]
    if set(given) != set(declared) or len(given) != len(parsed.dimensions):
        raise InputError(
            f"{text!r} must name the dimensions {', '.join(declared) or '(none)'} once each, "
            f"e.g. {example}",
            field="partition",
        )
    for dimension in spec.dimensions:
        allowed = (
            dimension.values
            if not dimension.is_dynamic
            else tuple((dynamic or {}).get(dimension.name, ()))
        )
        value = given[dimension.name]
        if allowed and value not in allowed:
            raise InputError(
                f"{text!r}: {value!r} is not a value of dimension {dimension.name!r} "
                f"({_listing(allowed)})",
                field="partition",
            )
    head = str(parsed).split("|", 1)[0]
    return head + "".join(f"|{name}={given[name]}" for name in declared)


class PartitionChecker:
    """:func:`canonical_partition` for one pipeline, fast for text already in canonical form.

    A batch of 365,000 readings must not pay for a full parse of each partition: text that
    is already canonical (declared names in order, a real date, static values that exist)
    is accepted by a few string operations and set lookups; anything else goes through
    :func:`canonical_partition`, which reorders, accepts the compact date form and words the
    error.
    """

    def __init__(self, spec: PartitionsSpec) -> None:
        self.spec = spec
        self._names = tuple(d.name for d in spec.dimensions)
        self._allowed = tuple(
            frozenset(d.values) if not d.is_dynamic else None for d in spec.dimensions
        )
        self._head = 13 if spec.time.granularity is Granularity.HOURLY else 10

    def check(self, text: str) -> str:
        """``text`` in canonical form, or :class:`InputError` (see :func:`canonical_partition`)."""
        if isinstance(text, str) and self._is_canonical(text):
            return text
        return canonical_partition(self.spec, text)

    def _is_canonical(self, text: str) -> bool:
        head, *dims = text.split("|")
        if len(head) != self._head or len(dims) != len(self._names):
            return False
        if self._head == 13 and (head[10] != "T" or not head[11:].isdigit() or int(head[11:]) > 23):
            return False
        try:
            date.fromisoformat(head[:10])
        except ValueError:
            return False
        for dim, name, allowed in zip(dims, self._names, self._allowed, strict=True):
            given, sep, value = dim.partition("=")
            if not sep or given != name or not value:
                return False
            if allowed is not None and value not in allowed:
                return False
        return True


def _example(spec: PartitionsSpec) -> str:
    head = "2026-11-21T08" if spec.time.granularity is Granularity.HOURLY else "2026-11-21"
    parts = [f"|{d.name}={d.values[0] if d.values else 'x'}" for d in spec.dimensions]
    return head + "".join(parts)


def _listing(values: Sequence[str]) -> str:
    shown = ", ".join(values[:5])
    return shown + (f", … ({len(values)} in all)" if len(values) > 5 else "")
