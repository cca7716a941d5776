"""The checks a rule can name, and the Go coercions they depend on.

Pipeline configs are shared with the Go Interlock, so a rule must mean the same thing in both:
``equals`` compares Go ``%v`` renderings (``1.0`` equals ``1``, ``true`` equals ``"true"``),
and the numeric checks coerce both sides the way ``strconv.ParseFloat`` would (numbers and
numeric strings yes; bools, nulls, maps and lists no). :func:`go_string` and :func:`to_number`
hold those rules in one place, so :func:`run_check` (evaluation) and :func:`value_problems`
(the static check at config load) cannot drift apart.

Two deliberate divergences from Go (docs/go-compatibility.md, Gaps closed): ``age_gt`` exists, and
the age checks also accept epoch seconds or milliseconds, because freshness fields are often written
as numbers.

Everything here is pure and total: a check never raises on odd sensor data; it fails with a
reason a person can act on.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple, TypeAlias

from interlock.model.durations import format_duration, parse_duration

__all__ = [
    "AGE_CHECKS",
    "NUMERIC_CHECKS",
    "CheckInput",
    "Outcome",
    "go_string",
    "run_check",
    "to_number",
    "value_problems",
]

NUMERIC_CHECKS: Mapping[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
"""Numeric check name → the comparison it applies to (field, rule value)."""

AGE_CHECKS = frozenset({"age_lt", "age_gt"})
"""Checks on the age of a timestamp field, against a duration string."""

_EPOCH_MS_FROM = 1e12
"""Epoch numbers at or above this are milliseconds (1e12 s is the year 33658)."""

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)",
    re.ASCII,
)
"""RFC 3339 with a required offset; offsets with seconds are let in because Python's
``isoformat()`` writes them (``Reading.field_value`` falls back to it for ``updatedAt``)."""
_SHOWN_CHARS = 80
"""Longest rendering of a value inside a reason; longer values are cut with an ellipsis."""

_DURATION_HINT = "use e.g. 30s, 5m, 1h30m, 2d"

_Number: TypeAlias = int | float | Decimal | Fraction
_NUMBER_TYPES = (int, float, Decimal, Fraction)
"""What counts as a number: JSON and YAML numbers, and ``Decimal`` as boto3 decodes them."""


class CheckInput(NamedTuple):
    """What a check sees: the field name and value, the rule's value, and the instant."""

    field: str
    seen: Any
    value: Any
    now: datetime


Outcome: TypeAlias = tuple[bool, str]
"""``(passed, reason)``; the reason is written for passes too."""


class _Refused(Exception):  # noqa: N818 - internal control flow, never escapes this module
    """A value could not be coerced; ``reason`` says which and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- Go %v rendering -------------------------------------------------------------------


def go_string(value: Any) -> str:
    """Render ``value`` as Go's ``fmt.Sprintf("%v", v)`` would after a JSON/YAML decode."""
    if isinstance(value, Mapping):
        items = sorted((go_string(k), go_string(v)) for k, v in value.items())
        return "map[" + " ".join(f"{k}:{v}" for k, v in items) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_string(item) for item in value) + "]"
    return _go_scalar(value)


def _go_scalar(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _go_int(value)
    if isinstance(value, _NUMBER_TYPES):
        return _go_float(_real_to_float(value))
    return value if isinstance(value, str) else str(value)


def _go_float(number: float) -> str:
    """Go's ``%v`` for float64: shortest digits, exponent below 1e-4 or from 1e21."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    shortest = Decimal(repr(number))
    if not -4 <= shortest.adjusted() < 21:
        return repr(number)  # Python and Go agree here: 1e-05, 1.5e+21
    text = format(shortest, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _go_int(value: int) -> str:
    """Decimal digits; ints too long for ``str()`` (over 4300 digits) render as a float."""
    try:
        return str(value)
    except ValueError:
        return _go_float(_real_to_float(value))


def _real_to_float(value: _Number) -> float:
    """``float(value)``; out-of-range values become infinities and sNaN a NaN, never errors."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
    except ValueError:  # Decimal("sNaN") refuses float()
        return math.nan


def _shown(value: Any) -> str:
    """``go_string(value)``, cut to a length that keeps a reason readable."""
    text = go_string(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


# --- numeric coercion ------------------------------------------------------------------


def to_number(value: Any) -> float | None:
    """The float Go's ``toFloat64`` would produce, or None if the value is not numeric.

    Bools are not numeric although Python's ``bool`` is an ``int``. Strings follow
    ``strconv.ParseFloat``: ASCII only, no surrounding spaces and no ``_`` separators (all of
    which Python's ``float()`` would otherwise accept). ``Decimal`` (from DynamoDB) counts.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, _NUMBER_TYPES):
        return _real_to_float(value)
    if isinstance(value, str) and value.isascii() and value == value.strip() and "_" not in value:
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _field_number(check: CheckInput) -> float:
    number = to_number(check.seen)
    if number is None:
        raise _Refused(f'field "{check.field}" value {_shown(check.seen)} is not numeric')
    return number


def _rule_number(value: Any) -> float:
    number = to_number(value)
    if number is None:
        raise _Refused(f"rule value {_shown(value)} is not numeric")
    return number


# --- timestamps and durations ----------------------------------------------------------


def _timestamp_seconds(field: str, seen: Any) -> float:
    """Epoch seconds of an RFC 3339 string, or of epoch seconds / milliseconds."""
    number = to_number(seen)
    if number is not None:
        if not math.isfinite(number):
            raise _Refused(f'field "{field}" value {_shown(seen)} is not a valid timestamp')
        return number / 1000 if number >= _EPOCH_MS_FROM else number
    if not isinstance(seen, str):
        raise _Refused(
            f'field "{field}" value {_shown(seen)} is not a string timestamp '
            "(use RFC 3339 or epoch seconds)"
        )
    if _RFC3339.fullmatch(seen) is None:
        raise _invalid_timestamp(field, seen)
    try:
        return datetime.fromisoformat(seen.upper()).timestamp()
    except ValueError:  # matches the shape, but e.g. month 13
        raise _invalid_timestamp(field, seen) from None


def _invalid_timestamp(field: str, seen: str) -> _Refused:
    return _Refused(
        f'field "{field}" value {_shown(seen)} is not a valid RFC3339 timestamp '
        "(e.g. 2026-03-01T12:00:00Z)"
    )


def _rule_duration(value: Any) -> timedelta:
    if not isinstance(value, str):
        raise _Refused(f"rule value {_shown(value)} is not a duration string ({_DURATION_HINT})")
    try:
        return parse_duration(value)
    except (ValueError, OverflowError):
        raise _Refused(
            f"rule value {_shown(value)} is not a valid duration ({_DURATION_HINT})"
        ) from None


def _seconds_text(seconds: float) -> str:
    """Go-style duration text (``1h30m0s``), even for ages no timedelta can hold."""
    if abs(seconds) < 8e13:
        return format_duration(timedelta(seconds=seconds))
    return f"{seconds:g}s"


# --- the checks ------------------------------------------------------------------------


def _equals(check: CheckInput) -> Outcome:
    got, want = go_string(check.seen), go_string(check.value)
    if got == want:
        return True, f"{check.field} {_shown(got)} equals {_shown(want)}"
    return False, f"{check.field} expected {_shown(want)}, got {_shown(got)}"


def _not_equals(check: CheckInput) -> Outcome:
    got, want = go_string(check.seen), go_string(check.value)
    if got != want:
        return True, f"{check.field} {_shown(got)} not_equals {_shown(want)}"
    return False, f"{check.field} {_shown(got)} not_equals {_shown(want)} is false"


def _in(check: CheckInput) -> Outcome:
    if not isinstance(check.value, list | tuple):
        raise _Refused(f"rule value {_shown(check.value)} is not a list")
    got = go_string(check.seen)
    allowed = _shown(check.value)
    if any(go_string(item) == got for item in check.value):
        return True, f"{check.field} {_shown(got)} in {allowed}"
    return False, f"{check.field} expected one of {allowed}, got {_shown(got)}"


def _numeric(name: str) -> Callable[[CheckInput], Outcome]:
    compare = NUMERIC_CHECKS[name]

    def check_numeric(check: CheckInput) -> Outcome:
        got = _field_number(check)
        want = _rule_number(check.value)
        text = f"{check.field} {_go_float(got)} {name} {_go_float(want)}"
        return (True, text) if compare(got, want) else (False, f"{text} is false")

    return check_numeric


def _age(check: CheckInput) -> tuple[float, timedelta, str]:
    """``(age in seconds, threshold, "field age X")`` for the age checks."""
    limit = _rule_duration(check.value)
    age = check.now.timestamp() - _timestamp_seconds(check.field, check.seen)
    future = " (timestamp is in the future)" if age < 0 else ""
    return age, limit, f"{check.field} age {_seconds_text(age)}{future}"


def _age_lt(check: CheckInput) -> Outcome:
    age, limit, text = _age(check)
    if age < limit.total_seconds():
        return True, f"{text} is under threshold {check.value}"
    return False, f"{text} exceeds threshold {check.value}"


def _age_gt(check: CheckInput) -> Outcome:
    age, limit, text = _age(check)
    if age > limit.total_seconds():
        return True, f"{text} exceeds threshold {check.value}"
    return False, f"{text} is not over threshold {check.value}"


_RUNNERS: Mapping[str, Callable[[CheckInput], Outcome]] = {
    "equals": _equals,
    "not_equals": _not_equals,
    "in": _in,
    **{name: _numeric(name) for name in NUMERIC_CHECKS},
    "age_lt": _age_lt,
    "age_gt": _age_gt,
}


def run_check(check_name: str, check: CheckInput) -> Outcome:
    """Apply the field check ``check_name`` (anything but ``exists``); never raises."""
    runner = _RUNNERS.get(check_name)
    if runner is None:
        return False, f'unknown operator "{check_name}"'
    try:
        return runner(check)
    except _Refused as refused:
        return False, refused.reason


# --- static problems with a rule value ---------------------------------------------------


def value_problems(check_name: str, value: Any) -> list[tuple[str, str]]:
    """``(message, fix)`` for a rule value that can never work with ``check_name``."""
    if value is None:
        return [(f'check "{check_name}" needs a value', _value_example(check_name))]
    if check_name in NUMERIC_CHECKS:
        return _numeric_value_problems(check_name, value)
    if check_name in AGE_CHECKS:
        return _duration_value_problems(check_name, value)
    if check_name == "in" and (not isinstance(value, list | tuple) or not value):
        return [(f'check "in" needs a non-empty list, got {_shown(value)}', "write value: [A, B]")]
    if check_name in {"equals", "not_equals"} and isinstance(value, Mapping | list | tuple):
        message = f'check "{check_name}" compares one value, got {_shown(value)}'
        return [(message, 'use check "in" to allow several values')]
    return []


def _numeric_value_problems(check_name: str, value: Any) -> list[tuple[str, str]]:
    number = to_number(value)
    if number is None:
        message = f'check "{check_name}" needs a number, got {_shown(value)}'
        return [(message, "write a number, e.g. value: 1000")]
    if math.isnan(number):
        return [(f'check "{check_name}" can never pass with NaN', "write a number")]
    return []


def _duration_value_problems(check_name: str, value: Any) -> list[tuple[str, str]]:
    try:
        _rule_duration(value)
    except _Refused:
        message = f'check "{check_name}" needs a duration string, got {_shown(value)}'
        number = to_number(value)
        fix = _DURATION_HINT
        if number is not None and math.isfinite(number):
            fix = f'did you mean "{_go_float(number)}s"?'
        return [(message, fix)]
    return []


def _value_example(check_name: str) -> str:
    if check_name in NUMERIC_CHECKS:
        return "add a number, e.g. value: 1000"
    if check_name in AGE_CHECKS:
        return 'add a duration, e.g. value: "2h"'
    if check_name == "in":
        return "add a list, e.g. value: [COMPLETE, SKIPPED]"
    return "add the expected value, e.g. value: COMPLETE"
