"""What the ``sql`` checker makes of result rows: partitions and JSON reading data. Pure.

Split from :mod:`interlock.checkers.sql` so the mapping rules (which column is which part of
a partition, how a ``Decimal`` or a ``datetime`` becomes JSON) are plain functions tested by
tables and properties, without a database.

A partition is written the way the pipeline declares it: the date (``YYYY-MM-DD``), then
``THH`` when an ``hour`` column is mapped, then ``|name=value`` for every other mapped part
*in the order the ``partition`` mapping lists them*. That order must be the pipeline's
declaration order of its dimensions, because readings are matched to partitions by their
exact string.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from interlock.checkers.base import CheckError, Observation
from interlock.model.partitions import normalize_date

__all__ = ["ABSENT", "json_value", "partition_of", "rows_to_observations"]

ABSENT: Mapping[str, Any] = {"exists": False}
"""The observation of a partition asked for but absent from the result.

Not ``{"rows": 0}``: the checker cannot know which columns mean "how much" (``count(*)``
is 0 for no rows, ``max(loaded_at)`` is not). A reading without the fields it had is what
"the rows are gone" means: every rule on a field (``gte rows 1``) stops holding because the
field is missing, the reading differs from the last one so change-only recording records
it, and ``{check: equals, field: exists, value: false}`` can name the absence directly.
Present rows carry ``"exists": true`` for the same reason.
"""


def json_value(value: Any, column: str) -> Any:
    """``value`` from a result column as JSON: what a reading may hold.

    ``Decimal`` → int when integral, else float; ``date``/``time`` → ISO; ``datetime`` → ISO
    with its zone (a naive one is taken as UTC, as warehouses mostly store); ``UUID`` →
    string; ``timedelta`` → seconds; lists and mappings (JSON columns) recursively.

    :raises CheckError: for bytes (not text; select ``hex(col)`` or ``encode(col, 'hex')``),
        a non-finite number, or a type with no JSON form, naming the column.
    """
    if value is None or isinstance(value, bool | str | int):
        return value
    for kind, convert in _SCALARS:
        if isinstance(value, kind):
            return convert(value, column)
    if isinstance(value, Mapping):
        return {str(k): json_value(v, column) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v, column) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        msg = (
            f"column {column!r} is binary; select a text form of it "
            "(hex(col) on SQLite, encode(col, 'hex') on PostgreSQL)"
        )
        raise CheckError(msg)
    msg = f"column {column!r} holds a {type(value).__name__}, which has no JSON form; cast it"
    raise CheckError(msg)


def _datetime(value: datetime, _column: str) -> str:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.isoformat()


def _finite(value: float, column: str) -> float:
    if not math.isfinite(value):
        msg = f"column {column!r} is {value} (not a JSON number); filter or coalesce it"
        raise CheckError(msg)
    return value


def _decimal(value: Decimal, column: str) -> int | float:
    if not value.is_finite():
        msg = f"column {column!r} is {value} (not a JSON number); filter or coalesce it"
        raise CheckError(msg)
    if value == value.to_integral_value():
        return int(value)
    return float(value)


_SCALARS: tuple[tuple[type, Callable[[Any, str], Any]], ...] = (
    (float, _finite),
    (Decimal, _decimal),
    (datetime, _datetime),  # before date: a datetime is a date
    (date, lambda v, _c: v.isoformat()),
    (time, lambda v, _c: v.isoformat()),
    (uuid.UUID, lambda v, _c: str(v)),
    (timedelta, lambda v, _c: v.total_seconds()),
)


def partition_of(
    row: Mapping[str, Any], parts: Mapping[str, str], memo: dict[Any, str] | None = None
) -> str:
    """The canonical partition of ``row``, ``parts`` mapping partition parts to its columns.

    ``date`` accepts a date, a datetime (its day) or text starting ``YYYY-MM-DD`` /
    ``YYYYMMDD``; ``hour`` an integer 0-23 or its text; any other part the column's value
    as text, in ``parts`` order. ``memo`` remembers each part already converted: 36,500
    rows hold only 365 days and 100 campaigns, so most rows are two dict lookups.

    :raises CheckError: for a NULL or unreadable partition column, naming it and the fix.
    """
    memo = {} if memo is None else memo
    text = _part(memo, "date", row, parts["date"])
    if "hour" in parts:
        text += _part(memo, "hour", row, parts["hour"])
    for name, column in parts.items():
        if name not in ("date", "hour"):
            text += _part(memo, name, row, column)
    return text


def _part(memo: dict[Any, str], name: str, row: Mapping[str, Any], column: str) -> str:
    """One part of the partition string (``2026-03-25``, ``T07``, ``|campaign=501``)."""
    value = _cell(row, column)
    key: tuple[str, type, Any] | None = (name, type(value), value)
    try:
        return memo[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable value (a JSON column): convert it every time
        key = None
    if name == "date":
        text = _day(value, column)
    elif name == "hour":
        text = f"T{_hour(value, column):02d}"
    else:
        text = f"|{name}={_dimension(value, column)}"
    if key is not None:
        memo[key] = text
    return text


def _cell(row: Mapping[str, Any], column: str) -> Any:
    value = row[column]
    if value is None:
        msg = (
            f"partition column {column!r} is NULL in a result row; "
            f"add 'where {column} is not null' to the query"
        )
        raise CheckError(msg)
    return value


def _day(value: Any, column: str) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    day = None
    if isinstance(value, str):
        day = normalize_date(value[:10] if "-" in value else value[:8])
    if day is None:
        msg = f"partition column {column!r} holds {value!r}, not a date (YYYY-MM-DD)"
        raise CheckError(msg)
    return day


def _hour(value: Any, column: str) -> int:
    try:
        hour = int(value)
    except (TypeError, ValueError):
        hour = -1
    if isinstance(value, bool) or not 0 <= hour <= 23:
        msg = f"partition column {column!r} holds {value!r}, not an hour 0-23"
        raise CheckError(msg)
    return hour


def _dimension(value: Any, column: str) -> str:
    text = str(json_value(value, column))
    if not text or "|" in text or "=" in text:
        msg = (
            f"partition column {column!r} holds {text!r}; "
            "a dimension value is non-empty, without | or ="
        )
        raise CheckError(msg)
    return text


def rows_to_observations(
    rows: Sequence[Mapping[str, Any]],
    parts: Mapping[str, str] | None,
    fields: Sequence[str],
    asked: Sequence[str | None],
) -> list[Observation]:
    """One observation per result row, then :data:`ABSENT` for each asked partition not seen.

    Without ``parts`` the result is one undated observation (no row: :data:`ABSENT`).

    :raises CheckError: for two rows of one partition, several rows without ``parts``, or a
        value :func:`json_value` or :func:`partition_of` refuses.
    """
    if parts is None:
        if len(rows) > 1:
            msg = f"the query returned {len(rows)} rows; without 'partition' it must return one"
            raise CheckError(msg)
        return [Observation(None, _data(rows[0], fields) if rows else dict(ABSENT))]
    seen: dict[str, Observation] = {}
    memo: dict[Any, str] = {}
    for row in rows:
        partition = partition_of(row, parts, memo)
        if partition in seen:
            msg = f"two result rows for partition {partition}; group by the partition columns"
            raise CheckError(msg)
        seen[partition] = Observation(partition, _data(row, fields))
    missing = [p for p in dict.fromkeys(asked) if p is not None and p not in seen]
    return [*seen.values(), *(Observation(p, dict(ABSENT)) for p in missing)]


def _data(row: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    data = {}
    for column in fields:
        value = row[column]
        data[column] = value if type(value) in _PLAIN else json_value(value, column)
    data["exists"] = True
    return data


_PLAIN = frozenset({str, int, bool, type(None)})
"""Types that are JSON already: the common case, kept off the slower conversion path."""
