"""Truth tables for every check and every coercion, and the Go Interlock's rule vectors.

Each table row is one sensor value against one rule value; ids name the case so a failure
reads as a sentence. The Go vectors are kept verbatim where our behaviour matches, and
commented where we diverge on purpose.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from interlock.model import Reading
from interlock.rules import Rule, evaluate_rule
from interlock.rules.checks import go_string, to_number

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
"""The ``now`` of the Go age vectors."""

NOW_EPOCH = int(NOW.timestamp())


def reading(**data: Any) -> Reading:
    """A reading of key ``k`` that arrived at ``NOW``, with ``data`` as its fields."""
    return Reading(key="k", data=data, updated_at=NOW)


def outcome(check: str, field: str, value: Any, data: dict[str, Any] | None) -> tuple[bool, str]:
    """``(passed, reason)`` of one rule on key ``k``; ``data=None`` means no reading."""
    rule = Rule(key="k", check=check, field=field, value=value)
    result = evaluate_rule(rule, None if data is None else reading(**data), NOW)
    return result.passed, result.reason


def ago(**delta: float) -> str:
    """An RFC 3339 timestamp ``delta`` before ``NOW``."""
    return (NOW - timedelta(**delta)).isoformat()


# --- the Go Interlock's rule vectors (engine_test.go, config_test.go) ----------------------


def rule(check: str, field: str = "", value: Any = None) -> Rule:
    """A rule on key ``k``."""
    return Rule(key="k", check=check, field=field, value=value)


STATUS_COMPLETE = rule("equals", "status", "COMPLETE")
COUNT_GTE_100 = rule("gte", "count", 100)
RATE_LTE = rule("lte", "rate", 0.05)
COUNT_GT_100 = rule("gt", "count", 100)
MS_LT_500 = rule("lt", "ms", 500)
FRESH_1H = rule("age_lt", "updatedAt", "1h")
RECENT = {"updatedAt": ago(minutes=1)}

GO_VECTORS = [
    # Go passes with an empty reason; every Evaluation here carries one, so only pass is checked.
    pytest.param(STATUS_COMPLETE, {"status": "COMPLETE"}, True, "", id="equals-pass"),
    pytest.param(STATUS_COMPLETE, {"status": "PENDING"}, False, "PENDING", id="equals-fail"),
    pytest.param(COUNT_GTE_100, {"count": 150}, True, "", id="gte-150"),
    pytest.param(COUNT_GTE_100, {"count": 50}, False, "50", id="gte-50"),
    pytest.param(RATE_LTE, {"rate": 0.03}, True, "", id="lte-0.03"),
    pytest.param(RATE_LTE, {"rate": 0.10}, False, "0.1 lte 0.05 is false", id="lte-0.10"),
    pytest.param(COUNT_GT_100, {"count": 101}, True, "", id="gt-101"),
    pytest.param(COUNT_GT_100, {"count": 100}, False, "100 gt 100 is false", id="gt-100"),
    pytest.param(COUNT_GT_100, {"count": 50}, False, "50 gt 100 is false", id="gt-50"),
    pytest.param(MS_LT_500, {"ms": 200}, True, "", id="lt-200"),
    pytest.param(MS_LT_500, {"ms": 500}, False, "500 lt 500 is false", id="lt-500"),
    pytest.param(rule("exists"), {"ts": "2026-03-01T11:00:00Z"}, True, "", id="exists"),
    pytest.param(rule("exists"), None, False, "sensor key", id="exists-nil"),
    pytest.param(FRESH_1H, {"updatedAt": ago(minutes=30)}, True, "", id="age-30m"),
    pytest.param(FRESH_1H, {"updatedAt": ago(hours=2)}, False, "exceeds", id="age-2h"),
    # Go fails "not a string timestamp": we read a number as epoch seconds, so 12345 is
    # 1970-01-01T03:25:45Z, decades older than 1h.
    pytest.param(FRESH_1H, {"updatedAt": 12345}, False, "exceeds", id="age-number"),
    pytest.param(
        FRESH_1H,
        {"updatedAt": "not-a-timestamp"},
        False,
        "not a valid RFC3339 timestamp",
        id="age-bad-timestamp",
    ),
    pytest.param(
        rule("age_lt", "updatedAt", 3600), RECENT, False, "not a duration string", id="age-int"
    ),
    # Go says "not a valid Go duration"; we accept d and w too, so the text drops "Go".
    pytest.param(
        rule("age_lt", "updatedAt", "not-a-duration"),
        RECENT,
        False,
        "not a valid duration",
        id="age-bad-duration",
    ),
    pytest.param(
        rule("equals", "status", "DONE"),
        {"other": "value"},
        False,
        "not found in sensor data",
        id="field-missing",
    ),
    pytest.param(
        rule("regex", "status", "D.*"), {"status": "DONE"}, False, "unknown operator", id="regex"
    ),
    pytest.param(
        COUNT_GTE_100, {"count": "not-a-number"}, False, "is not numeric", id="field-not-numeric"
    ),
    pytest.param(
        rule("gte", "count", "not-a-number"),
        {"count": 100},
        False,
        "rule value not-a-number is not numeric",
        id="rule-value-not-numeric",
    ),
    pytest.param(rule("gte", "count", "100"), {"count": "150"}, True, "", id="gte-strings"),
    pytest.param(COUNT_GTE_100, {"count": 150}, True, "", id="gte-int"),
    # Go's int64 case: Python has one int type (int64 extremes are in test_to_number).
    pytest.param(MS_LT_500, {"ms": 200}, True, "", id="lt-int64"),
    pytest.param(rule("equals", "ok", True), {"ok": True}, True, "", id="equals-bool"),
    pytest.param(rule("equals", "n", 42), {"n": 42}, True, "", id="equals-42"),
]


@pytest.mark.parametrize(("go_rule", "data", "passed", "says"), GO_VECTORS)
def test_go_vectors(go_rule: Rule, data: dict[str, Any] | None, passed: bool, says: str) -> None:
    """Every single-rule vector of the Go Interlock gives the Go outcome and reason text."""
    result = evaluate_rule(go_rule, None if data is None else reading(**data), NOW)
    assert result.passed is passed
    assert says in result.reason
    assert result.reason


@pytest.mark.parametrize(
    ("value", "number"),
    [
        pytest.param(7, 7.0, id="int"),
        pytest.param(2**63 - 1, float(2**63 - 1), id="int64-max"),
        pytest.param(1.5, 1.5, id="float"),
        pytest.param(Decimal("2.5"), 2.5, id="decimal"),
        pytest.param("150", 150.0, id="numeric-string"),
        pytest.param("-1.5e3", -1500.0, id="exponent-string"),
        pytest.param("inf", math.inf, id="inf-string"),
        pytest.param(10**400, math.inf, id="huge-int"),
        pytest.param("abc", None, id="abc"),
        pytest.param("", None, id="empty-string"),
        pytest.param(" 1", None, id="leading-space"),
        pytest.param("1_000", None, id="underscore"),
        pytest.param("١٢", None, id="non-ascii-digits"),
        pytest.param(True, None, id="bool"),
        pytest.param(None, None, id="nil"),
        pytest.param({"a": 1}, None, id="map"),
        pytest.param([1], None, id="list"),
    ],
)
def test_to_number(value: Any, number: float | None) -> None:
    """Go's toFloat64: numbers and ParseFloat strings; not bools, nil, maps or lists."""
    assert to_number(value) == number


def test_to_number_nan_string() -> None:
    """``"NaN"`` parses (as ParseFloat does), and every comparison with it is then false."""
    number = to_number("NaN")
    assert number is not None
    assert math.isnan(number)


# --- Go %v rendering -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(True, "true", id="true"),
        pytest.param(False, "false", id="false"),
        pytest.param(42, "42", id="int"),
        pytest.param(1.0, "1", id="whole-float"),
        pytest.param(150.0, "150", id="float-150"),
        pytest.param(0.1, "0.1", id="float-0.1"),
        pytest.param(-0.0, "-0", id="negative-zero"),
        pytest.param(1e20, "100000000000000000000", id="1e20"),
        pytest.param(1e21, "1e+21", id="1e21"),
        pytest.param(1e-5, "1e-05", id="1e-5"),
        pytest.param(0.0001, "0.0001", id="1e-4"),
        pytest.param(math.nan, "NaN", id="nan"),
        pytest.param(-math.inf, "-Inf", id="-inf"),
        pytest.param(Decimal("1.50"), "1.5", id="decimal"),
        pytest.param(None, "<nil>", id="nil"),
        pytest.param("1.0", "1.0", id="string-kept"),
        pytest.param([1, "a", 2.0], "[1 a 2]", id="list"),
        pytest.param({"b": 2, "a": [True]}, "map[a:[true] b:2]", id="map-sorted"),
        pytest.param(10**5000, "+Inf", id="int-too-long-for-str"),
    ],
)
def test_go_string(value: Any, text: str) -> None:
    """Values render as Go's ``%v`` would after a JSON decode."""
    assert go_string(value) == text


# --- equals, not_equals, in ------------------------------------------------------------

EQUALITY = [
    pytest.param("COMPLETE", "COMPLETE", True, id="same-string"),
    pytest.param("complete", "COMPLETE", False, id="case-sensitive"),
    pytest.param(1.0, 1, True, id="float-1.0-is-1"),
    pytest.param("1.0", 1, False, id="string-1.0-is-not-1"),
    pytest.param("1", 1, True, id="string-1-is-1"),
    pytest.param(True, "true", True, id="bool-vs-string"),
    pytest.param(True, 1, False, id="bool-is-not-1"),
    pytest.param(None, None, True, id="nil-nil"),
    pytest.param(None, "", False, id="nil-vs-empty"),
    pytest.param(0.1, "0.1", True, id="float-vs-string"),
    pytest.param([1, 2], [1.0, 2.0], True, id="lists-by-%v"),
]


@pytest.mark.parametrize(("seen", "value", "same"), EQUALITY)
def test_equals(seen: Any, value: Any, same: bool) -> None:
    """``equals`` compares Go ``%v`` renderings, case-sensitively."""
    assert outcome("equals", "f", value, {"f": seen})[0] is same


@pytest.mark.parametrize(("seen", "value", "same"), EQUALITY)
def test_not_equals(seen: Any, value: Any, same: bool) -> None:
    """``not_equals`` is exactly the negation of ``equals`` when the field exists."""
    assert outcome("not_equals", "f", value, {"f": seen})[0] is not same


@pytest.mark.parametrize(
    ("check", "seen", "passed", "reason"),
    [
        pytest.param("equals", "DONE", True, "status DONE equals DONE", id="equals-pass"),
        pytest.param("equals", "WAIT", False, "status expected DONE, got WAIT", id="equals-fail"),
        pytest.param("not_equals", "WAIT", True, "status WAIT not_equals DONE", id="neq-pass"),
        pytest.param(
            "not_equals", "DONE", False, "status DONE not_equals DONE is false", id="neq-fail"
        ),
    ],
)
def test_equality_reasons(check: str, seen: str, passed: bool, reason: str) -> None:
    """Equality checks explain passes and failures with both renderings."""
    assert outcome(check, "status", "DONE", {"status": seen}) == (passed, reason)


@pytest.mark.parametrize(
    ("seen", "value", "passed", "says"),
    [
        pytest.param("DONE", ["DONE", "SKIPPED"], True, "status DONE in [DONE SKIPPED]", id="hit"),
        pytest.param(
            "WAIT",
            ["DONE", "SKIPPED"],
            False,
            "expected one of [DONE SKIPPED], got WAIT",
            id="miss",
        ),
        pytest.param(1.0, [1, 2], True, "in [1 2]", id="float-matches-int"),
        pytest.param("1.0", [1, 2], False, "got 1.0", id="string-1.0-misses-int"),
        pytest.param(True, ["true"], True, "in [true]", id="bool-matches-string"),
        pytest.param("DONE", [], False, "expected one of []", id="empty-list"),
        pytest.param("DONE", "DONE", False, "rule value DONE is not a list", id="not-a-list"),
        pytest.param("DONE", None, False, "rule value <nil> is not a list", id="no-value"),
    ],
)
def test_in(seen: Any, value: Any, passed: bool, says: str) -> None:
    """``in`` passes iff the field's ``%v`` equals the ``%v`` of some list element."""
    got_passed, reason = outcome("in", "status", value, {"status": seen})
    assert got_passed is passed
    assert says in reason


# --- numeric checks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seen", "value", "expected"),
    [
        pytest.param(5, 10, {"gt": False, "gte": False, "lt": True, "lte": True}, id="below"),
        pytest.param(10, 10, {"gt": False, "gte": True, "lt": False, "lte": True}, id="equal"),
        pytest.param(15, 10, {"gt": True, "gte": True, "lt": False, "lte": False}, id="above"),
        pytest.param(10.0, "10", {"gt": False, "gte": True, "lt": False, "lte": True}, id="mixed"),
        pytest.param("1e3", 999.5, {"gt": True, "gte": True, "lt": False, "lte": False}, id="exp"),
        pytest.param(-1, 0, {"gt": False, "gte": False, "lt": True, "lte": True}, id="negative"),
        pytest.param(
            Decimal("0.5"), 0.5, {"gt": False, "gte": True, "lt": False, "lte": True}, id="decimal"
        ),
        pytest.param("NaN", 1, {"gt": False, "gte": False, "lt": False, "lte": False}, id="nan"),
    ],
)
def test_numeric_truth_table(seen: Any, value: Any, expected: dict[str, bool]) -> None:
    """``gt gte lt lte`` compare both sides as floats, NaN comparing false."""
    for check, passed in expected.items():
        assert outcome(check, "n", value, {"n": seen})[0] is passed, check


@pytest.mark.parametrize(
    ("seen", "value", "reason"),
    [
        pytest.param(True, 1, 'field "n" value true is not numeric', id="bool-field"),
        pytest.param(None, 1, 'field "n" value <nil> is not numeric', id="nil-field"),
        pytest.param({"a": 1}, 1, 'field "n" value map[a:1] is not numeric', id="map-field"),
        pytest.param([1], 1, 'field "n" value [1] is not numeric', id="list-field"),
        pytest.param(" 5", 1, 'field "n" value  5 is not numeric', id="spaced-field"),
        pytest.param(5, True, "rule value true is not numeric", id="bool-value"),
        pytest.param(5, None, "rule value <nil> is not numeric", id="nil-value"),
        pytest.param(5, [1], "rule value [1] is not numeric", id="list-value"),
    ],
)
def test_numeric_refusals(seen: Any, value: Any, reason: str) -> None:
    """Bools, nil, maps, lists and padded strings are not numeric on either side."""
    assert outcome("gte", "n", value, {"n": seen}) == (False, reason)


@pytest.mark.parametrize(
    ("seen", "passed", "reason"),
    [
        pytest.param(1500, True, "count 1500 gte 1000", id="pass"),
        pytest.param(50, False, "count 50 gte 1000 is false", id="fail"),
        pytest.param("1500.0", True, "count 1500 gte 1000", id="string-rendered-as-float"),
    ],
)
def test_numeric_reasons(seen: Any, passed: bool, reason: str) -> None:
    """Numeric reasons show the field and both coerced numbers, passes included."""
    assert outcome("gte", "count", 1000, {"count": seen}) == (passed, reason)


def test_long_values_are_cut_in_reasons() -> None:
    """A huge field value is shortened in the reason, so explanations stay readable."""
    _, reason = outcome("gte", "n", 1, {"n": "x" * 500})
    assert len(reason) < 150
    assert "…" in reason


# --- age checks ------------------------------------------------------------------------

AGE_FIELDS = [
    pytest.param(ago(minutes=30), True, id="rfc3339-offset"),
    pytest.param((NOW - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"), True, id="zulu"),
    pytest.param("2026-03-01t11:30:00z", True, id="lowercase-t-z"),
    pytest.param("2026-03-01T13:30:00+02:00", True, id="other-offset"),
    pytest.param("2026-03-01T11:30:00.123456789Z", True, id="nanoseconds"),
    # Python writes offsets with seconds (old local-mean-time zones); the fallback uses it.
    pytest.param("2026-03-01T11:49:32+00:19:32", True, id="offset-with-seconds"),
    pytest.param(ago(hours=2), False, id="rfc3339-old"),
    pytest.param(NOW_EPOCH - 1800, True, id="epoch-seconds"),
    pytest.param(NOW_EPOCH - 1800.5, True, id="epoch-seconds-float"),
    pytest.param((NOW_EPOCH - 1800) * 1000, True, id="epoch-millis"),
    pytest.param(str(NOW_EPOCH - 1800), True, id="epoch-seconds-string"),
    pytest.param(str((NOW_EPOCH - 7200) * 1000), False, id="epoch-millis-string-old"),
    pytest.param(NOW_EPOCH - 7200, False, id="epoch-seconds-old"),
]


@pytest.mark.parametrize(("stamp", "fresh"), AGE_FIELDS)
def test_age_lt_timestamp_forms(stamp: Any, fresh: bool) -> None:
    """``age_lt 1h`` reads RFC 3339 strings (offset or Z) and epoch seconds or millis."""
    assert outcome("age_lt", "updatedAt", "1h", {"updatedAt": stamp})[0] is fresh


@pytest.mark.parametrize(("stamp", "fresh"), AGE_FIELDS)
def test_age_gt_timestamp_forms(stamp: Any, fresh: bool) -> None:
    """``age_gt 1h`` is the opposite of ``age_lt 1h`` away from the boundary."""
    assert outcome("age_gt", "updatedAt", "1h", {"updatedAt": stamp})[0] is not fresh


@pytest.mark.parametrize(
    ("check", "stamp", "passed"),
    [
        pytest.param("age_lt", ago(hours=1), False, id="lt-exactly-at-limit"),
        pytest.param("age_gt", ago(hours=1), False, id="gt-exactly-at-limit"),
        pytest.param("age_lt", ago(minutes=59, seconds=59), True, id="lt-just-under"),
        pytest.param("age_gt", ago(hours=1, microseconds=1), True, id="gt-just-over"),
        pytest.param("age_lt", ago(hours=-3), True, id="lt-future-passes"),
        pytest.param("age_gt", ago(hours=-3), False, id="gt-future-fails"),
    ],
)
def test_age_boundaries(check: str, stamp: str, passed: bool) -> None:
    """Both age checks are strict; a timestamp in the future is age < 0."""
    assert outcome(check, "updatedAt", "1h", {"updatedAt": stamp})[0] is passed


@pytest.mark.parametrize(
    ("value", "stamp", "passed"),
    [
        pytest.param("1d", ago(hours=23), True, id="days"),
        pytest.param("1w", ago(days=8), False, id="weeks"),
        pytest.param("1h30m", ago(minutes=89), True, id="compound"),
        pytest.param("1.5h", ago(minutes=91), False, id="fraction"),
        pytest.param("300ms", ago(seconds=0.2), True, id="millis"),
    ],
)
def test_age_durations(value: str, stamp: str, passed: bool) -> None:
    """Rule values use the Go duration syntax plus ``d`` and ``w``."""
    assert outcome("age_lt", "updatedAt", value, {"updatedAt": stamp})[0] is passed


@pytest.mark.parametrize(
    ("value", "stamp", "says"),
    [
        pytest.param("1h", "2026-03-01T12:00:00", "not a valid RFC3339", id="no-offset"),
        pytest.param("1h", "2026-03-01", "not a valid RFC3339", id="date-only"),
        pytest.param("1h", "2026-13-01T00:00:00Z", "not a valid RFC3339", id="month-13"),
        pytest.param("1h", "2026-03-01 12:00:00Z", "not a valid RFC3339", id="space"),
        pytest.param("1h", True, "not a string timestamp", id="bool"),
        pytest.param("1h", None, "not a string timestamp", id="nil"),
        pytest.param("1h", {"at": 1}, "not a string timestamp", id="map"),
        pytest.param("1h", "nan", "not a valid timestamp", id="nan-epoch"),
        pytest.param(True, ago(minutes=1), "not a duration string", id="bool-value"),
        pytest.param(None, ago(minutes=1), "not a duration string", id="nil-value"),
        pytest.param("", ago(minutes=1), "not a valid duration", id="empty-value"),
        pytest.param("5 minutes", ago(minutes=1), "not a valid duration", id="words-value"),
        pytest.param("9" * 20 + "h", ago(minutes=1), "not a valid duration", id="overflow-value"),
    ],
)
def test_age_refusals(value: Any, stamp: Any, says: str) -> None:
    """Unreadable timestamps and durations fail with a reason naming the problem."""
    for check in ("age_lt", "age_gt"):
        passed, reason = outcome(check, "updatedAt", value, {"updatedAt": stamp})
        assert not passed
        assert says in reason


@pytest.mark.parametrize(
    ("check", "stamp", "reason"),
    [
        pytest.param(
            "age_lt", ago(minutes=30), "updatedAt age 30m0s is under threshold 1h", id="lt-pass"
        ),
        pytest.param(
            "age_lt", ago(hours=2), "updatedAt age 2h0m0s exceeds threshold 1h", id="lt-fail"
        ),
        pytest.param(
            "age_gt", ago(hours=2), "updatedAt age 2h0m0s exceeds threshold 1h", id="gt-pass"
        ),
        pytest.param(
            "age_gt",
            ago(hours=-1),
            "updatedAt age -1h0m0s (timestamp is in the future) is not over threshold 1h",
            id="gt-future",
        ),
    ],
)
def test_age_reasons(check: str, stamp: str, reason: str) -> None:
    """Age reasons show the age in Go duration form and the threshold as written."""
    assert outcome(check, "updatedAt", "1h", {"updatedAt": stamp})[1] == reason


def test_updated_at_falls_back_to_arrival_time() -> None:
    """Without an ``updatedAt`` field, the age checks use when the reading arrived."""
    rule = Rule(key="k", check="age_lt", field="updatedAt", value="1h")
    fresh = Reading(key="k", data={}, updated_at=NOW - timedelta(minutes=10))
    stale = Reading(key="k", data={}, updated_at=NOW - timedelta(hours=3))
    assert evaluate_rule(rule, fresh, NOW).passed
    assert not evaluate_rule(rule, stale, NOW).passed


def test_sensor_updated_at_wins_over_arrival_time() -> None:
    """A sensor's own ``updatedAt`` field is used even if it arrived just now."""
    rule = Rule(key="k", check="age_lt", field="updatedAt", value="1h")
    result = evaluate_rule(rule, reading(updatedAt=ago(hours=5)), NOW)
    assert not result.passed
    assert result.value == ago(hours=5)


# --- unknown checks --------------------------------------------------------------------


@pytest.mark.parametrize("check", ["regex", "GTE", "age_gte", "", ">="])
def test_unknown_check_fails(check: str) -> None:
    """A check outside the known set fails at run time with ``unknown operator``."""
    assert outcome(check, "f", 1, {"f": 1}) == (False, f'unknown operator "{check}"')
