"""Input limits: what a reading, a partition and a pipeline id may be. Pure: no I/O.

Why this exists: SQLite stores almost anything (a NUL in a key, a 10,000-character
partition), PostgreSQL refuses the same values halfway through a transaction with a driver
error, and Python's own ``json`` module overflows its stack on deeply nested values. So every
input is checked here, once and before any database, and both engines (and the in-memory
``simulate``) accept exactly the same inputs. Every refusal is an :class:`InputError` that
names the field and the limit.

- sensor key: 1 to :data:`MAX_KEY_LENGTH` (300) characters, without its ``#date`` suffix;
- partition: at most :data:`MAX_PARTITION_LENGTH` (200) characters;
- pipeline id: 1 to :data:`MAX_PIPELINE_ID_LENGTH` (200) characters;
- rerun reason: 1 to :data:`MAX_REASON_LENGTH` (100) characters;
- reading data: a JSON object of at most :data:`MAX_READING_BYTES` (1 MiB) as compact UTF-8
  JSON, nested at most :data:`MAX_JSON_DEPTH` (64) levels.

The lengths are the database columns' (``schema.py``), so no engine ever truncates or refuses.
Keys, partitions and pipeline ids may not contain control characters (NUL included) or lone
surrogates (see :data:`FORBIDDEN_CHARACTERS`). Data keys must be strings — ``{1: "a"}`` is
refused rather than silently turned into ``{"1": "a"}``, which could merge two keys — and
NaN and Infinity are refused because JSON cannot represent them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, NoReturn

from interlock.errors import InputError
from interlock.model.partitions import parse_partition, partition_from_fields, split_key

__all__ = [
    "FORBIDDEN_CHARACTERS",
    "MAX_JSON_DEPTH",
    "MAX_KEY_LENGTH",
    "MAX_PARTITION_LENGTH",
    "MAX_PIPELINE_ID_LENGTH",
    "MAX_READING_BYTES",
    "MAX_REASON_LENGTH",
    "CheckedReading",
    "check_data",
    "check_message",
    "check_partition",
    "check_pipeline_id",
    "check_reading",
    "check_reason",
    "check_text",
    "parse_json",
]

MAX_KEY_LENGTH = 300
"""Characters in a sensor key (without its ``#date`` suffix); the ``readings.key`` column."""

MAX_PARTITION_LENGTH = 200
"""Characters in a partition, as given and in canonical form; the ``partition`` columns."""

MAX_PIPELINE_ID_LENGTH = 200
"""Characters in a pipeline id; the ``pipelines.id`` and ``readings.scope`` columns."""

MAX_REASON_LENGTH = 100
"""Characters in a rerun reason, which becomes the attempt's ``attempts.reason`` column."""

MAX_JSON_DEPTH = 64
"""Nesting levels of reading data; ``{"a": 1}`` is 1 level, ``{"a": [1]}`` is 2.

Far below the ~1,000 levels at which Python's ``json`` overflows, and far above any real
sensor payload."""

MAX_READING_BYTES = 1 << 20
"""Bytes of one reading's data as compact UTF-8 JSON (1 MiB): readings are small facts
("rows: 5200"), not payloads, and each one is kept in the history forever."""

FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters (C0, DEL, C1; NUL included) and lone surrogates: PostgreSQL cannot
store a NUL, UTF-8 cannot encode a lone surrogate, and neither belongs in a name."""

_NOT_TEXT = re.compile(r"[\x00\ud800-\udfff]")
"""What even free text (a job's message, a cancel reason) may not hold: NUL and lone
surrogates. Newlines and tabs are fine there."""

_CONTAINERS = (dict, list, tuple)
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, check_circular=False, separators=(",", ":")
)
"""Compact JSON, the form :data:`MAX_READING_BYTES` measures; built once (``json.dumps``
with any option builds an encoder per call). No circular check: the depth walk refuses
cycles first."""
_ELEMENT_BUDGET = MAX_READING_BYTES // 2
"""A container of n elements takes at least 2n + 1 bytes of JSON, so more elements in
total than this is over :data:`MAX_READING_BYTES` for sure (the walk can stop early)."""


class CheckedReading(NamedTuple):
    """A reading that passed every limit: what the store writes and ``simulate`` replays.

    ``key`` is without its ``#date`` suffix; ``partition`` is canonical (explicit, else from
    the key suffix, else from the ``date``/``hour`` fields) or None for an undated reading;
    ``data`` is a shallow copy of the input, stored as its JSON text.
    """

    key: str
    partition: str | None
    data: dict[str, Any]


def check_reading(
    key: object, partition: object, data: object, *, where: str = "reading"
) -> CheckedReading:
    """Check one reading against every limit and resolve its partition.

    ``where`` prefixes the field of any error (``readings[3]`` gives ``readings[3].data``).

    :raises InputError: naming the field (``key``, ``partition`` or ``data``) and the limit.
    """
    full_key = check_text(key, field=f"{where}.key", what="sensor key", limit=None)
    base, from_key = split_key(full_key)
    _check_length(base, field=f"{where}.key", what="sensor key", limit=MAX_KEY_LENGTH)
    checked_data = check_data(data, field=f"{where}.data")
    if partition is not None and partition != "":
        resolved: str | None = check_partition(partition, field=f"{where}.partition")
    else:
        resolved = from_key or partition_from_fields(checked_data)
    return CheckedReading(key=base, partition=resolved, data=checked_data)


def check_text(value: object, *, field: str, what: str, limit: int | None) -> str:
    """A non-empty string of at most ``limit`` characters without forbidden characters."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string, got {type(value).__name__}", field=field)
    if not value:
        raise InputError(f"{what} must not be empty", field=field)
    if limit is not None:
        _check_length(value, field=field, what=what, limit=limit)
    _check_characters(value, field=field, what=what)
    return value


def check_pipeline_id(value: object, *, field: str = "pipeline") -> str:
    """A pipeline id as a sensor or a person names it (its existence is the caller's check)."""
    return check_text(value, field=field, what="pipeline id", limit=MAX_PIPELINE_ID_LENGTH)


def check_reason(value: object, *, field: str = "reason") -> str:
    """A rerun reason (``backfill``, ``manual``): a short name, kept with the attempt."""
    return check_text(value, field=field, what="reason", limit=MAX_REASON_LENGTH)


def check_message(value: object, *, field: str) -> str:
    """Free text for people (may be empty, may span lines) that every database can store."""
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {type(value).__name__}", field=field)
    bad = _NOT_TEXT.search(value)
    if bad is not None:
        raise InputError(
            f"contains U+{ord(bad.group()):04X} at position {bad.start()}; NUL and lone "
            "surrogates are not text",
            field=field,
        )
    return value


def check_partition(value: object, *, field: str = "partition") -> str:
    """The canonical form of a partition given by a user.

    Surrounding whitespace is ignored, as :func:`~interlock.model.partitions.parse_partition` does.
    """
    if not isinstance(value, str):
        raise InputError(
            f"partition must be a string such as 2026-11-22, got {type(value).__name__}",
            field=field,
        )
    _check_length(value, field=field, what="partition", limit=MAX_PARTITION_LENGTH)
    try:
        canonical = str(parse_partition(value))
    except InputError as exc:
        raise InputError(str(exc).removeprefix("partition: "), field=field) from exc
    _check_characters(canonical, field=field, what="partition")
    _check_length(canonical, field=field, what="partition", limit=MAX_PARTITION_LENGTH)
    return canonical


def _check_length(value: str, *, field: str, what: str, limit: int) -> None:
    if len(value) > limit:
        raise InputError(
            f"{what} is {len(value):,} characters; the limit is {limit} characters",
            field=field,
        )


def _check_characters(value: str, *, field: str, what: str) -> None:
    bad = FORBIDDEN_CHARACTERS.search(value)
    if bad is not None:
        raise InputError(
            f"{what} contains U+{ord(bad.group()):04X} at position {bad.start()}; control "
            "characters (NUL included) and lone surrogates are not allowed",
            field=field,
        )


def check_data(data: object, *, field: str) -> dict[str, Any]:
    """Reading data: a JSON object within :data:`MAX_JSON_DEPTH` and :data:`MAX_READING_BYTES`.

    The nesting is walked without recursion *before* encoding (``json.dumps`` would itself
    overflow on deep values); the encoding then finds non-JSON values, NaN and lone
    surrogates in one pass in C, so a small flat reading costs little more than the encode.
    """
    if not isinstance(data, Mapping):
        raise InputError(
            f"reading data must be a JSON object, got {type(data).__name__}", field=field
        )
    copy = dict(data)
    _check_structure(copy, field)
    try:
        text = _ENCODER.encode(copy)
    except ValueError as exc:  # NaN, Infinity, or an int past Python's 4,300-digit limit
        nan = "Out of range float" in str(exc)
        reason = (
            "NaN and Infinity are not JSON numbers (a number past 1.8e308, such as 1e400,"
            " reads as Infinity)"
            if nan
            else f"reading data is not JSON: {exc}"
        )
        raise InputError(reason, field=field) from exc
    except TypeError as exc:  # a set, bytes, datetime, ...
        raise InputError(f"reading data is not JSON: {exc}", field=field) from exc
    size = len(text) if text.isascii() else _utf8_size(text, field)
    if size > MAX_READING_BYTES:
        _too_large(f"{size:,} bytes", field)
    return copy


def _check_structure(data: dict[str, Any], field: str) -> None:
    """Depth, string keys and element count, with an explicit stack instead of recursion.

    Cycles need no check of their own: a cycle is infinitely deep.
    """
    budget = _ELEMENT_BUDGET
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InputError(
                f"reading data is nested deeper than the limit of {MAX_JSON_DEPTH} levels",
                field=field,
            )
        budget -= len(value)
        if budget < 0:
            _too_large(f"more than {_ELEMENT_BUDGET:,} values", field)
        if isinstance(value, dict):
            for key, child in value.items():
                if not isinstance(key, str):
                    _non_string_key(key, field)
                if isinstance(child, _CONTAINERS):
                    stack.append((child, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in value if isinstance(child, _CONTAINERS))


def _non_string_key(key: object, field: str) -> NoReturn:
    raise InputError(
        f"data keys must be strings, got {type(key).__name__} {key!r} (it would be stored as "
        "a string and could overwrite another key)",
        field=field,
    )


def _utf8_size(text: str, field: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        char = exc.object[exc.start]
        raise InputError(
            f"reading data contains a lone surrogate U+{ord(char):04X}, which is not Unicode "
            "text (UTF-8 cannot encode it)",
            field=field,
        ) from exc


def _too_large(size: str, field: str) -> NoReturn:
    raise InputError(
        f"reading data is {size} as JSON; the limit is {MAX_READING_BYTES:,} bytes (1 MiB)",
        field=field,
    )


_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
"""A JSON string (skipped whole, so brackets inside it do not count) or a bracket."""


def parse_json(text: str, *, field: str) -> Any:
    """Parse JSON text from a user (the CLI's ``--json``, ``field=value``) within the limits.

    The size and nesting are checked on the text before ``json.loads`` (which overflows on
    about 1,000 levels); duplicate object keys and NaN/Infinity are refused, not merged.
    Reading data parsed here still goes through :func:`check_data`.

    :raises InputError: naming ``field`` and the limit.
    :raises json.JSONDecodeError: when the text is not JSON at all.
    """
    if len(text) > MAX_READING_BYTES:
        _too_large(f"{len(text):,} characters", field)
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise InputError(
                    f"JSON is nested deeper than the limit of {MAX_JSON_DEPTH} levels",
                    field=field,
                )
        elif bracket in "]}":
            depth -= 1
    return json.loads(text, object_pairs_hook=_unique_keys(field), parse_constant=_no_nan(field))


def _unique_keys(field: str) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    raise InputError(f"JSON object has the key {key!r} twice", field=field)
                seen.add(key)
        return result

    return build


def _no_nan(field: str) -> Callable[[str], NoReturn]:
    def refuse(constant: str) -> NoReturn:
        raise InputError(f"{constant} is not a JSON number", field=field)

    return refuse
