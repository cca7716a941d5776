"""Condition trees: ALL / ANY truth tables, nesting, explanations, and the Go mode vectors.

The leaves here are simple ``equals`` rules on sensors that exist or not, so each table is
about the combinators alone; the checks have their own tables in ``test_rule_checks.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from interlock.model import Reading, ReadingSet
from interlock.rules import AllOf, AnyOf, Condition, Evaluation, Rule, evaluate, evaluate_rule

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
ARRIVED = NOW - timedelta(minutes=7)


def reading(key: str, **data: Any) -> Reading:
    """A reading of ``key`` that arrived seven minutes before ``NOW``."""
    return Reading(key=key, data=data, updated_at=ARRIVED)


PASS = Rule(key="flag", check="equals", field="ok", value=True)
FAIL = Rule(key="flag", check="equals", field="ok", value=False)
READINGS = {"flag": reading("flag", ok=True)}


def leaves(pattern: str) -> tuple[Condition, ...]:
    """``"TF"`` → a passing and a failing rule, in that order."""
    return tuple(PASS if char == "T" else FAIL for char in pattern)


@pytest.mark.parametrize(
    ("pattern", "passed", "reason"),
    [
        pytest.param("", True, "no rules; ALL of nothing passes", id="empty-is-vacuous"),
        pytest.param("T", True, "1 of 1 rule passed", id="T"),
        pytest.param("F", False, "0 of 1 rule passed; ALL needs every rule", id="F"),
        pytest.param("TT", True, "2 of 2 rules passed", id="TT"),
        pytest.param("TF", False, "1 of 2 rules passed; ALL needs every rule", id="TF"),
        pytest.param("FT", False, "1 of 2 rules passed; ALL needs every rule", id="FT"),
        pytest.param("TTF", False, "2 of 3 rules passed; ALL needs every rule", id="TTF"),
    ],
)
def test_all_truth_table(pattern: str, passed: bool, reason: str) -> None:
    """ALL passes iff every child passes; with no children it passes (Go semantics)."""
    result = evaluate(AllOf(children=leaves(pattern)), READINGS, NOW)
    assert (result.passed, result.reason, result.kind) == (passed, reason, "all")


@pytest.mark.parametrize(
    ("pattern", "passed", "reason"),
    [
        pytest.param("", False, "no rules; ANY of nothing fails", id="empty-fails"),
        pytest.param("T", True, "1 of 1 rule passed", id="T"),
        pytest.param("F", False, "0 of 1 rule passed; ANY needs at least one", id="F"),
        pytest.param("TF", True, "1 of 2 rules passed", id="TF"),
        pytest.param("FT", True, "1 of 2 rules passed", id="FT"),
        pytest.param("FF", False, "0 of 2 rules passed; ANY needs at least one", id="FF"),
    ],
)
def test_any_truth_table(pattern: str, passed: bool, reason: str) -> None:
    """ANY passes iff some child passes; with no children it fails (Go semantics)."""
    result = evaluate(AnyOf(children=leaves(pattern)), READINGS, NOW)
    assert (result.passed, result.reason, result.kind) == (passed, reason, "any")


@pytest.mark.parametrize("node", [AllOf, AnyOf], ids=["all", "any"])
def test_no_short_circuit(node: type[AllOf | AnyOf]) -> None:
    """Every child is evaluated and explained, even after the outcome is known."""
    children = (FAIL, PASS) if node is AllOf else (PASS, FAIL)
    result = evaluate(node(children=children), READINGS, NOW)
    assert len(result.children) == 2
    assert [child.passed for child in result.children] == [c is PASS for c in children]
    assert all(child.reason for child in result.children)


# --- the Go Interlock's ALL / ANY mode vectors -------------------------------------------

A_OK = Rule(key="a", check="equals", field="status", value="OK")
B_10 = Rule(key="b", check="gte", field="n", value=10)
B_100 = Rule(key="b", check="gte", field="n", value=100)
AB = {"a": reading("a", status="OK"), "b": reading("b", n=20)}


def test_go_all_both_pass() -> None:
    """ALL [equals a OK, gte b 10] with a OK, b 20 passes and both results are true."""
    result = evaluate(AllOf(children=(A_OK, B_10)), AB, NOW)
    assert result.passed
    assert [child.passed for child in result.children] == [True, True]


def test_go_all_fails_any_passes() -> None:
    """ALL [.., gte b 100] with b 20 fails; ANY on the same data passes."""
    assert not evaluate(AllOf(children=(A_OK, B_100)), AB, NOW).passed
    assert evaluate(AnyOf(children=(A_OK, B_100)), AB, NOW).passed


def test_go_any_both_failing() -> None:
    """ANY with both rules failing fails."""
    both_fail = (Rule(key="a", check="equals", field="status", value="NO"), B_100)
    assert not evaluate(AnyOf(children=both_fail), AB, NOW).passed


def test_go_all_with_missing_sensor() -> None:
    """ALL with a rule on a missing sensor fails, and the reason names the sensor key."""
    result = evaluate(AllOf(children=(B_10,)), {}, NOW)
    assert not result.passed
    assert "sensor key" in result.children[0].reason
    assert "b" in result.children[0].reason


def test_go_all_nil_rules() -> None:
    """ALL with no rules passes with no results."""
    result = evaluate(AllOf(), {}, NOW)
    assert result.passed
    assert result.children == ()


def test_go_mode_any_one_pass_one_fail() -> None:
    """Mode ``any`` / ``Any`` with one passing and one failing rule passes.

    Parsing the mode string (``any``, ``Any``, and ``UNKNOWN_MODE`` or ``""`` meaning ALL) is
    the config loader's job; by the time rules are evaluated, the mode is an AnyOf or AllOf.
    """
    assert evaluate(AnyOf(children=(A_OK, B_100)), AB, NOW).passed
    assert not evaluate(AllOf(children=(A_OK, B_100)), AB, NOW).passed


# --- nesting and explanations ------------------------------------------------------------

ROW_COUNT = Rule(key="row-count", check="gte", field="count", value=1000)
FRESH = Rule(key="freshness", check="age_lt", field="updatedAt", value="2h")
STATUS_DONE = Rule(key="upstream", check="equals", field="status", value="DONE")
STATUS_SKIPPED = Rule(key="upstream", check="equals", field="status", value="SKIPPED")
NESTED = AllOf(children=(ROW_COUNT, AnyOf(children=(STATUS_DONE, STATUS_SKIPPED)), FRESH))


@pytest.mark.parametrize(
    ("count", "status", "passed", "children"),
    [
        pytest.param(1500, "DONE", True, [True, True, True], id="all-hold"),
        pytest.param(1500, "SKIPPED", True, [True, True, True], id="any-second-branch"),
        pytest.param(1500, "WAIT", False, [True, False, True], id="any-fails"),
        pytest.param(50, "DONE", False, [False, True, True], id="count-low"),
        pytest.param(50, "WAIT", False, [False, False, True], id="both-fail"),
    ],
)
def test_all_containing_any(count: int, status: str, passed: bool, children: list[bool]) -> None:
    """An ALL with an ANY inside passes only when its own children and the ANY hold."""
    readings = {
        "row-count": reading("row-count", count=count),
        "upstream": reading("upstream", status=status),
        "freshness": reading("freshness"),
    }
    result = evaluate(NESTED, readings, NOW, partition="2026-11-22")
    assert result.passed is passed
    assert [child.passed for child in result.children] == children
    assert [child.kind for child in result.children] == ["rule", "any", "rule"]
    inner = result.children[1]
    assert [leaf.passed for leaf in inner.children] == [status == "DONE", status == "SKIPPED"]


def test_operators_build_the_same_tree() -> None:
    """``a & (b | c)`` evaluates like the explicit AllOf / AnyOf tree."""
    readings = {"row-count": reading("row-count", count=5), "upstream": reading("upstream")}
    built = ROW_COUNT & (STATUS_DONE | STATUS_SKIPPED)
    explicit = AllOf(children=(ROW_COUNT, AnyOf(children=(STATUS_DONE, STATUS_SKIPPED))))
    assert evaluate(built, readings, NOW) == evaluate(explicit, readings, NOW)


def test_leaf_records_what_was_seen() -> None:
    """A leaf names its key, the reading's time and the field value it saw."""
    result = evaluate(ROW_COUNT, {"row-count": reading("row-count", count=1500)}, NOW)
    assert result == Evaluation(
        label="row-count.count gte 1000",
        passed=True,
        reason="count 1500 gte 1000",
        kind="rule",
        key="row-count",
        reading_at=ARRIVED,
        value=1500,
    )


@pytest.mark.parametrize(
    ("rule", "partition", "reason"),
    [
        pytest.param(
            ROW_COUNT,
            "2026-11-22",
            "sensor key row-count does not exist (no reading for 2026-11-22)",
            id="dated",
        ),
        pytest.param(
            ROW_COUNT, None, "sensor key row-count does not exist (no reading)", id="undated"
        ),
        pytest.param(
            Rule(key="row-count", check="exists"),
            "2026-11-22",
            "sensor key row-count does not exist (no reading for 2026-11-22)",
            id="exists",
        ),
    ],
)
def test_missing_reading(rule: Rule, partition: str | None, reason: str) -> None:
    """Without a reading, every check fails and says which sensor and partition."""
    result = evaluate(rule, {}, NOW, partition=partition)
    assert (result.passed, result.reason) == (False, reason)
    assert (result.key, result.reading_at, result.value) == ("row-count", None, None)


def test_missing_field_reason() -> None:
    """A reading without the rule's field fails and names the field and the sensor."""
    result = evaluate(ROW_COUNT, {"row-count": reading("row-count", rows=5)}, NOW)
    assert result.reason == 'field "count" not found in sensor data for row-count'
    assert result.reading_at == ARRIVED


def test_exists_ignores_field_and_value() -> None:
    """``exists`` passes on any reading, whatever field and value the rule names."""
    rule = Rule(key="k", check="exists", field="nope", value=[1, 2])
    result = evaluate_rule(rule, reading("k"), NOW)
    assert (result.passed, result.reason) == (True, "sensor key k exists")


def test_readings_are_matched_by_key_exactly() -> None:
    """A rule sees only the reading under its own key, not similar ones."""
    readings = {"row-count#2026-11-22": reading("row-count#2026-11-22", count=5000)}
    assert not evaluate(ROW_COUNT, readings, NOW).passed


def test_works_with_a_resolved_reading_set() -> None:
    """``ReadingSet.view`` output feeds ``evaluate``: the partition's reading wins."""
    dated = Reading(key="row-count", data={"count": 5000}, updated_at=ARRIVED, partition="P")
    undated = Reading(key="row-count", data={"count": 5}, updated_at=ARRIVED)
    view = ReadingSet.of([undated, dated]).view("P")
    assert evaluate(ROW_COUNT, view, NOW, partition="P").passed
    assert not evaluate(ROW_COUNT, ReadingSet.of([undated]).view("P"), NOW).passed


def test_evaluate_is_repeatable() -> None:
    """Same inputs, same result: no clock and no hidden state."""
    readings = {"row-count": reading("row-count", count=5), "upstream": reading("upstream")}
    assert evaluate(NESTED, readings, NOW) == evaluate(NESTED, readings, NOW)


def test_to_dict_is_json_ready() -> None:
    """The evaluation of a nested tree serialises with stable kinds and every reason."""
    readings = {"row-count": reading("row-count", count=5)}
    data = evaluate(NESTED, readings, NOW).to_dict()
    assert data["kind"] == "all"
    assert [child["kind"] for child in data["children"]] == ["rule", "any", "rule"]
    assert data["children"][0]["readingAt"] == ARRIVED.isoformat()
    assert all(child["reason"] for child in data["children"])
