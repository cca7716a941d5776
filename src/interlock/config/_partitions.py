"""Build the desired state from ``partitions``, ``complete`` and ``backfill``.

``partitions`` declares which partitions must exist and be done: a ``time`` axis (daily or
hourly, from ``start`` to ``end`` minus ``lag``, in a zone) crossed with any number of
``dimensions``, each a static list of ``values`` or the list ``field`` of a ``sensor``
reading. ``complete`` says what "done" means for one partition (the same shape as
``validation``), and ``backfill`` how the reconciler works through what is missing.

What one file can get wrong is reported here with its line and a fix: a start that is not a
date nor ``-90d``, a start after a fixed end, an unknown zone, a dimension name the partition
string cannot carry (or one that would read as the date), a value holding ``|`` or ``=``, the
same value twice, a dimension with both or neither of its two forms, and the sections that
mean nothing alone (``complete`` or ``backfill`` without ``partitions``; ``partitions`` with
neither a job to build them nor a ``complete`` to recognise them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from interlock.config._check import MAX_DURATION, Checker, suggestion
from interlock.config._rules import read_rule_block
from interlock.config._schedule import read_timezone
from interlock.config._yaml import YamlPath, render_path
from interlock.model.conditions import Condition
from interlock.model.desired import (
    BackfillOrder,
    BackfillSpec,
    Dimension,
    Granularity,
    PartitionsSpec,
    TimeAxis,
)
from interlock.model.durations import DurationTooLargeError, parse_duration

__all__ = [
    "DESIRED_STATE_KEYS",
    "MAX_CONCURRENT",
    "check_desired_state",
    "read_backfill",
    "read_complete",
    "read_partitions",
]

DESIRED_STATE_KEYS = ("partitions", "complete", "backfill")
"""The top-level keys of desired state, in the order the docs write them."""

MAX_CONCURRENT = 10_000
"""The most runs ``backfill.maxConcurrent`` lets one pipeline have at once."""
MAX_BACKFILL_RERUNS = 100
"""The highest ``backfill.maxReruns``: a budget, not a way around one."""

_PARTITIONS_KEYS = ("time", "dimensions")
_TIME_KEYS = ("granularity", "start", "end", "lag", "timezone")
_DIMENSION_KEYS = ("values", "sensor", "field")
_BACKFILL_KEYS = ("maxConcurrent", "order", "retryFailedAfter", "maxReruns")
_GRANULARITIES = tuple(g.value for g in Granularity)
_ORDERS = tuple(o.value for o in BackfillOrder)
_RESERVED_NAMES = ("date", "hour")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_RELATIVE = re.compile(r"^-(\d+)d$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_START_FIX = 'write a date such as 2026-01-01, or days back from the end such as "-90d"'
_END_FIX = "write a date such as 2026-12-31, or `today`"
_DIMENSION_FIX = "write {values: [a, b, c]} or {sensor: campaign-list, field: ids}, one of them"


def read_partitions(c: Checker, raw: object, *, default_zone: str) -> PartitionsSpec | None:
    """``partitions``: the time axis and the dimensions; None when absent or unusable.

    ``default_zone`` is the pipeline's ``schedule.timezone``: days are named in the zone the
    pipeline already runs in unless ``partitions.time.timezone`` says otherwise.
    """
    path: YamlPath = ("partitions",)
    if raw is None:
        if c.doc.key_lines.get(path) is not None:
            fix = "add `time: {start: 2026-01-01}` under it, or remove `partitions`"
            c.report(path, "is empty", fix, at_key=True)
        return None
    section = c.mapping(path, raw, _PARTITIONS_KEYS)
    if section is None:
        return None
    time_raw = section.get("time")
    if time_raw is None:
        fix = "add `time: {granularity: daily, start: 2026-01-01}` under `partitions`"
        c.report((*path, "time"), "missing required field", fix, at_key=True)
    axis = None if time_raw is None else _time_axis(c, (*path, "time"), time_raw, default_zone)
    dimensions = _dimensions(c, (*path, "dimensions"), section)
    if axis is None or dimensions is None:
        return None
    return PartitionsSpec(time=axis, dimensions=dimensions)


def _time_axis(c: Checker, path: YamlPath, raw: object, default_zone: str) -> TimeAxis | None:
    """``partitions.time``: granularity, start (required), end, lag and zone."""
    section = c.mapping(path, raw, _TIME_KEYS)
    if section is None:
        return None
    granularity = _granularity(c, (*path, "granularity"), section.get("granularity"))
    start = _start(c, (*path, "start"), section.get("start"))
    end = _end(c, (*path, "end"), section.get("end"))
    lag = c.duration((*path, "lag"), section.get("lag"), allow_zero=True)
    zone_raw = section.get("timezone")
    zone = default_zone if zone_raw is None else read_timezone(c, (*path, "timezone"), zone_raw)
    if granularity is None or start is None or end is None:
        return None
    if isinstance(start, date) and isinstance(end, date) and start > end:
        message = f"{start.isoformat()} is after end {end.isoformat()} (no partition)"
        fix = "move start before end, or write `end: today`"
        c.report((*path, "start"), message, fix)
        return None
    return TimeAxis(
        granularity=granularity,
        start=start if isinstance(start, date) else None,
        start_ago=start if isinstance(start, timedelta) else None,
        end=end if isinstance(end, date) else None,
        lag=lag or timedelta(0),
        timezone=zone,
    )


def _granularity(c: Checker, path: YamlPath, raw: object) -> Granularity | None:
    """``granularity``: daily (default) or hourly, in any case."""
    text = c.string(path, raw)
    if text is None:
        return Granularity.DAILY if raw is None else None
    word = text.strip().lower()
    if word not in _GRANULARITIES:
        fix = suggestion(text, _GRANULARITIES, listing="use one of")
        c.report(path, f'"{text}" is not daily or hourly', fix)
        return None
    return Granularity(word)


def _start(c: Checker, path: YamlPath, raw: object) -> date | timedelta | None:
    """``start``: an ISO date, or ``-90d`` (that many days before the end of the range)."""
    if raw is None:
        c.report(path, "missing required field", _START_FIX, at_key=True)
        return None
    text = raw.strip() if isinstance(raw, str) else None
    relative = _RELATIVE.match(text) if text is not None else None
    if relative is None:
        return _date(c, path, raw, "start", _START_FIX)
    days = int(relative.group(1))
    if days > MAX_DURATION.days:
        message = f"{text} reaches back further than {MAX_DURATION.days} days"
        c.report(path, message, f"use at most -{MAX_DURATION.days}d, or a date")
        return None
    return timedelta(days=days)


def _end(c: Checker, path: YamlPath, raw: object) -> date | str | None:
    """``end``: an ISO date, or ``today`` (the default: the range keeps growing)."""
    if raw is None or (isinstance(raw, str) and raw.strip().lower() == "today"):
        return "today"
    return _date(c, path, raw, "end", _END_FIX)


def _date(c: Checker, path: YamlPath, raw: object, name: str, fix: str) -> date | None:
    """A ``YYYY-MM-DD`` date, written as text or handed over by YAML as a date.

    A moment (``datetime``) is refused, not cut to its date: which day it names depends on
    a zone the file did not give.
    """
    if isinstance(raw, datetime):
        c.report(path, f"{raw.isoformat()} is a moment, not a date", fix)
        return None
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and _DATE.match(raw.strip()):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            c.report(path, f'"{raw}" is not a real date', fix)
            return None
    if isinstance(raw, str) and raw.strip().startswith(("-", "+")):
        hint = "only a start may be relative" if name == "end" else "count back in whole days"
        c.report(path, f'"{raw}" is not a date ({hint})', fix)
        return None
    shown = f'"{raw}"' if isinstance(raw, str) else repr(raw)
    c.report(path, f"{shown} is not a date", fix)
    return None


def _dimensions(
    c: Checker, path: YamlPath, section: Mapping[str, object]
) -> tuple[Dimension, ...] | None:
    """``dimensions``: name → ``{values}`` or ``{sensor, field}``, declaration order kept."""
    if "dimensions" not in section:
        return ()
    raw = section["dimensions"]
    if render_path(path) in c.doc.reported:  # a key the YAML layer refused, said already
        return None
    if not isinstance(raw, dict) or not raw:
        message = "is empty" if raw is None or raw == {} else "must be a mapping of names"
        fix = "write `campaign: {values: [a, b]}` under it, or remove `dimensions`"
        c.report(path, message, fix)
        return None
    dimensions: list[Dimension] = []
    ok = True
    for name, spec in raw.items():
        dimension = _dimension(c, (*path, name), name, spec)
        ok = ok and dimension is not None
        if dimension is not None:
            dimensions.append(dimension)
    return tuple(dimensions) if ok else None


def _dimension(c: Checker, path: YamlPath, name: object, raw: object) -> Dimension | None:
    """One dimension: its name checked, then exactly one of its two forms."""
    if not _dimension_name_ok(c, path, name):
        return None
    section = c.mapping(path, raw, _DIMENSION_KEYS)
    if section is None:
        if raw is None:
            c.report(path, f"dimension {name!r} is empty", _DIMENSION_FIX, at_key=True)
        return None
    has_values = "values" in section
    has_sensor = "sensor" in section or "field" in section
    if has_values == has_sensor:
        if not isinstance(raw, dict) or len(section) == len(raw):  # not on top of a typo
            both, neither = "has both values and sensor", "has neither values nor sensor"
            message = both if has_values else neither
            c.report(path, f"dimension {name!r} {message}", _DIMENSION_FIX, at_key=True)
        return None
    if has_values:
        values = _values(c, (*path, "values"), section["values"])
        return None if values is None else Dimension(name=str(name), values=values)
    sensor = c.string((*path, "sensor"), section.get("sensor"), required=True)
    field_name = c.string((*path, "field"), section.get("field"), required=True)
    if sensor is None or field_name is None:
        return None
    return Dimension(name=str(name), sensor=sensor.strip(), field=field_name.strip())


def _dimension_name_ok(c: Checker, path: YamlPath, name: object) -> bool:
    """A name the partition string can carry (``|name=value``) and not the date's own."""
    fix = "use letters, digits, `_`, `.` or `-`, e.g. campaign"
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        c.report(path, f"{str(name)!r} is not a valid dimension name", fix, at_key=True)
        return False
    if name.lower() in _RESERVED_NAMES:
        message = f"{name!r} is the time axis's own name, not a dimension"
        c.report(path, message, "rename it, e.g. `day_type`", at_key=True)
        return False
    return True


def _values(c: Checker, path: YamlPath, raw: object) -> tuple[str, ...] | None:
    """``values``: a non-empty list of distinct scalars, each kept as text."""
    items = c.sequence(path, raw)
    if items is None:
        if raw is None:
            c.report(path, "must list at least one value", "write values: [a, b, c]")
        return None
    if not items:
        c.report(path, "must list at least one value", "write values: [a, b, c]")
        return None
    values: list[str] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        value = _value(c, (*path, index), item)
        if value is None:
            continue
        if value in seen:
            message = f"{value!r} is listed twice"
            c.report((*path, index), message, f"remove it: it is already item {seen[value]}")
            continue
        seen[value] = index
        values.append(value)
    return tuple(values) if len(values) == len(items) else None


def _value(c: Checker, path: YamlPath, raw: object) -> str | None:
    """One dimension value: a string or an integer, without ``|``, ``=`` or edge spaces.

    A fraction is refused rather than turned into text: ``1e3`` and ``1.10`` would become
    ``1000.0`` and ``1.1``, values nobody wrote.
    """
    if raw is None:
        c.report(path, "empty list item", "write a value or remove the `-` line")
        return None
    if isinstance(raw, bool | float) or not isinstance(raw, str | int):
        fix = "write a text value"
        if isinstance(raw, bool | float):  # ``1e3`` would become "1000.0": say it as text
            fix = f'quote it: "{str(raw).lower()}"'
        c.expect(path, raw, "a string or a whole number", fix)
        return None
    text = str(raw)
    if "|" in text or "=" in text:
        message = f"{text!r} holds `|` or `=`, which separate dimensions in a partition"
        c.report(path, message, "write the value without `|` and `=`")
        return None
    if not text.strip() or text != text.strip():
        message = f"{text!r} is blank or has spaces at its ends"
        c.report(path, message, "write the value without leading or trailing spaces")
        return None
    return text


def read_complete(c: Checker, root: Mapping[str, object]) -> Condition | None:
    """``complete``: rules combined by ``trigger``, exactly as ``validation``; None if absent.

    Present and empty is refused: no rules would hold for every partition, done or not.
    """
    path: YamlPath = ("complete",)
    if "complete" not in root:
        return None
    raw = root["complete"]
    condition = read_rule_block(c, path, raw)
    section = raw if isinstance(raw, dict) else {}
    if raw is None or (isinstance(raw, dict) and not section.get("rules")):
        fix = "add `rules:` that hold when one partition is done, or remove `complete`"
        c.report((*path, "rules") if raw else path, "lists no rule", fix, at_key=True)
    return condition


def read_backfill(c: Checker, raw: object) -> BackfillSpec:
    """``backfill``: maxConcurrent (4), order, retryFailedAfter (never), maxReruns (3)."""
    path: YamlPath = ("backfill",)
    section = c.mapping(path, raw, _BACKFILL_KEYS) or {}
    defaults = BackfillSpec()
    concurrent = c.integer(
        (*path, "maxConcurrent"), section.get("maxConcurrent"), 1, MAX_CONCURRENT
    )
    reruns = c.integer((*path, "maxReruns"), section.get("maxReruns"), 0, MAX_BACKFILL_RERUNS)
    return BackfillSpec(
        max_concurrent=defaults.max_concurrent if concurrent is None else concurrent,
        order=_order(c, (*path, "order"), section.get("order")),
        retry_failed_after=_retry_after(c, (*path, "retryFailedAfter"), section),
        max_reruns=defaults.max_reruns if reruns is None else reruns,
    )


def _order(c: Checker, path: YamlPath, raw: object) -> BackfillOrder:
    """``order``: newest-first (default) or oldest-first, in any case."""
    text = c.string(path, raw)
    if text is None:
        return BackfillOrder.NEWEST_FIRST
    word = text.strip().lower()
    if word not in _ORDERS:
        fix = suggestion(text, _ORDERS, listing="use one of")
        c.report(path, f'"{text}" is not newest-first or oldest-first', fix)
        return BackfillOrder.NEWEST_FIRST
    return BackfillOrder(word)


def _retry_after(c: Checker, path: YamlPath, section: Mapping[str, object]) -> timedelta | None:
    """``retryFailedAfter``: a duration, or ``never`` (the default: failed stays failed)."""
    raw = section.get("retryFailedAfter")
    if isinstance(raw, str) and raw.strip().lower() == "never":
        return None
    if isinstance(raw, str) and not _is_duration(raw):
        c.report(path, f'"{raw}" is not a duration or never', "write e.g. 7d, or `never`")
        return None
    return c.duration(path, raw)


def _is_duration(text: str) -> bool:
    """True when ``text`` is a duration (too long ones too: :meth:`Checker.duration` says so)."""
    try:
        parse_duration(text)
    except DurationTooLargeError:
        return True
    except ValueError:
        return False
    return True


def check_desired_state(c: Checker, root: Mapping[str, object]) -> None:
    """The sections that mean nothing without the others, reported at their keys."""
    has_partitions = root.get("partitions") is not None
    for name in ("complete", "backfill"):
        if name in root and not has_partitions and "partitions" not in root:
            message = "needs `partitions` (it is about the partitions kept done)"
            fix = f"add `partitions:` with a `time:` axis, or remove `{name}`"
            c.report((name,), message, fix, at_key=True)
    if has_partitions and root.get("job") is None and "complete" not in root:
        message = "without a job needs `complete` (nothing could make a partition done)"
        fix = "add `job:` to build the partitions, or `complete:` rules that say when one is"
        c.report(("partitions",), message, fix, at_key=True)
