"""Properties of the rule engine that must hold for any input, checked with hypothesis.

Sensor data arrives from outside and rule values from hand-written YAML, so the engine must be
total (never raise), the combinators must mean exactly ALL and ANY at every depth, and the
numeric and age checks must never contradict themselves.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from interlock.model import Reading
from interlock.rules import CHECKS, AllOf, AnyOf, Condition, Evaluation, Rule, evaluate
from interlock.rules.checks import to_number

OFFSETS = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=5, minutes=30)),
        timezone(-timedelta(hours=8)),
        timezone(timedelta(minutes=19, seconds=32)),
    ]
)
INSTANTS = st.datetimes(timezones=OFFSETS)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.from_regex(r"-?\d{1,16}(\.\d{0,4})?(e-?\d{1,3})?", fullmatch=True)
    | st.from_regex(
        r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})", fullmatch=True
    )
    | INSTANTS.map(datetime.isoformat)
    | st.from_regex(r"-?(\d{1,22}(\.\d{0,3})?(ns|us|ms|s|m|h|d|w)){1,3}", fullmatch=True)
)
"""JSON scalars, plus the strings the checks coerce: numbers, timestamps and durations."""

JSONISH = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = st.sampled_from(["f", "updatedAt", "absent"])


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    """Any rule on one of three keys, with any check name and any JSON-ish value."""
    return Rule(
        key=draw(st.sampled_from(["a", "b", "c"])),
        check=draw(st.sampled_from([*CHECKS, "regex", ""])),
        field=draw(FIELDS),
        value=draw(JSONISH),
    )


CONDITIONS: st.SearchStrategy[Condition] = st.recursive(
    rules(),
    lambda inner: (
        st.builds(AllOf, children=st.lists(inner, max_size=4).map(tuple))
        | st.builds(AnyOf, children=st.lists(inner, max_size=4).map(tuple))
    ),
    max_leaves=12,
)


@st.composite
def readings(draw: st.DrawFn) -> dict[str, Reading]:
    """Readings for some of the keys ``a b c``, each with arbitrary ``f`` / ``updatedAt``."""
    found: dict[str, Reading] = {}
    for key in draw(st.sets(st.sampled_from(["a", "b", "c"]))):
        data = draw(st.dictionaries(st.sampled_from(["f", "updatedAt", "x"]), JSONISH, max_size=3))
        found[key] = Reading(key=key, data=data, updated_at=draw(INSTANTS))
    return found


def walk(result: Evaluation) -> list[Evaluation]:
    """Every node of an evaluation tree, root first."""
    return [result, *(node for child in result.children for node in walk(child))]


def same_shape(condition: Condition, result: Evaluation) -> bool:
    """True when ``result`` mirrors ``condition`` node for node."""
    if isinstance(condition, Rule):
        return result.kind == "rule" and result.key == condition.key and not result.children
    return (
        result.kind == condition.kind
        and len(result.children) == len(condition.children)
        and all(map(same_shape, condition.children, result.children))
    )


@given(
    condition=CONDITIONS, seen=readings(), now=INSTANTS, partition=st.none() | st.text(max_size=10)
)
def test_evaluate_is_total(
    condition: Condition, seen: dict[str, Reading], now: datetime, partition: str | None
) -> None:
    """Evaluate never raises, mirrors the tree's shape, and explains every node."""
    result = evaluate(condition, seen, now, partition=partition)
    assert same_shape(condition, result)
    assert all(node.reason for node in walk(result))


@given(condition=CONDITIONS, seen=readings(), now=INSTANTS)
def test_combinators_mean_all_and_any(
    condition: Condition, seen: dict[str, Reading], now: datetime
) -> None:
    """At every depth, ALL passes iff every child passes and ANY iff some child passes."""
    for node in walk(evaluate(condition, seen, now)):
        if node.kind == "all":
            assert node.passed is all(child.passed for child in node.children)
        elif node.kind == "any":
            assert node.passed is any(child.passed for child in node.children)


NUMERIC_INPUTS = (
    st.integers()
    | st.floats()
    | st.floats().map(repr)
    | st.integers().map(str)
    | st.booleans()
    | st.none()
    | st.text(max_size=6)
)


def passes(
    check: str, seen: Any, value: Any, now: datetime = datetime(2026, 1, 1, tzinfo=UTC)
) -> bool:
    """Whether ``check`` with rule ``value`` passes on a reading whose field ``f`` is ``seen``."""
    rule = Rule(key="k", check=check, field="f", value=value)
    reading = Reading(key="k", data={"f": seen}, updated_at=now)
    return evaluate(rule, {"k": reading}, now).passed


@given(seen=NUMERIC_INPUTS, value=NUMERIC_INPUTS)
def test_gt_and_lte_never_both_hold(seen: Any, value: Any) -> None:
    """``gt`` and ``lte`` on the same inputs are never both true (and the same for lt/gte)."""
    assert not (passes("gt", seen, value) and passes("lte", seen, value))
    assert not (passes("lt", seen, value) and passes("gte", seen, value))


@given(seen=NUMERIC_INPUTS, value=NUMERIC_INPUTS)
def test_gt_or_lte_holds_for_comparable_numbers(seen: Any, value: Any) -> None:
    """When both sides are numeric and not NaN, exactly one of ``gt`` / ``lte`` holds."""
    left, right = to_number(seen), to_number(value)
    comparable = (
        left is not None and right is not None and not (math.isnan(left) or math.isnan(right))
    )
    assert (passes("gt", seen, value) != passes("lte", seen, value)) is comparable


@given(
    stamp=SCALARS,
    limit=st.from_regex(r"\d{1,6}(s|m|h|d)", fullmatch=True),
    now=INSTANTS,
)
def test_age_lt_and_age_gt_never_both_hold(stamp: Any, limit: str, now: datetime) -> None:
    """A timestamp cannot be both younger and older than the same threshold."""
    assert not (passes("age_lt", stamp, limit, now) and passes("age_gt", stamp, limit, now))
