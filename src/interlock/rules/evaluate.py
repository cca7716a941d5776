"""Evaluate a condition tree against the readings a run sees, and check rules statically.

:func:`evaluate` is **pure**: no I/O, no clock, no logging. The caller resolves the readings for
the run's partition (:meth:`interlock.model.ReadingSet.view`) and passes one ``now``, so every
rule in a cycle sees the same instant, and the same inputs always give the same
:class:`~interlock.model.conditions.Evaluation`. The controller performs all effects.

Every node is evaluated, with no short-circuit, as in Go: an explanation must say why *each*
rule holds or not, not just the first one that failed. Every node carries a reason, passes
included, so ``explain`` can show what was seen without re-deriving it.

:func:`rule_problems` is the static half: the config loader calls it to reject at load time a
rule that could never pass (an unknown check, a missing field, a value of the wrong kind),
instead of letting it fail every cycle at run time.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import datetime

from interlock.model import Reading
from interlock.model.conditions import CHECKS, AllOf, AnyOf, Condition, Evaluation, Rule
from interlock.rules.checks import CheckInput, run_check, value_problems

__all__ = ["evaluate", "evaluate_rule", "rule_problems"]

_ALIASES = {
    "==": "equals",
    "=": "equals",
    "eq": "equals",
    "!=": "not_equals",
    "ne": "not_equals",
    "neq": "not_equals",
    ">": "gt",
    ">=": "gte",
    "ge": "gte",
    "<": "lt",
    "<=": "lte",
    "le": "lte",
    "exist": "exists",
}
"""Spellings people write for a check, mapped to the check they mean (for the fix hint)."""


def evaluate(
    condition: Condition,
    readings: Mapping[str, Reading],
    now: datetime,
    *,
    partition: str | None = None,
) -> Evaluation:
    """Evaluate every node of ``condition``; the result tree has the same shape.

    Pure: ``readings`` maps a sensor key to the reading the run sees (already resolved for the
    partition), ``now`` is the one instant used for every rule, and ``partition`` only words
    the reason for a missing reading. Never raises on odd sensor data or rule values.
    """
    if isinstance(condition, Rule):
        reading = readings.get(condition.key)
        return evaluate_rule(condition, reading, now, partition=partition)
    children = tuple(
        evaluate(child, readings, now, partition=partition) for child in condition.children
    )
    if isinstance(condition, AllOf):
        return _combine(condition, children, passed=all(c.passed for c in children))
    return _combine(condition, children, passed=any(c.passed for c in children))


def evaluate_rule(
    rule: Rule,
    reading: Reading | None,
    now: datetime,
    *,
    partition: str | None = None,
) -> Evaluation:
    """Evaluate one rule against the reading of its key (None when there is none). Pure."""
    if reading is None:
        where = f"no reading for {partition}" if partition is not None else "no reading"
        reason = f"sensor key {rule.key} does not exist ({where})"
        return _leaf(rule, None, passed=False, reason=reason)
    if rule.check == "exists":
        return _leaf(rule, reading, passed=True, reason=f"sensor key {rule.key} exists")
    present, seen = reading.field_value(rule.field)
    if rule.check not in CHECKS:
        reason = f'unknown operator "{rule.check}"'
        return _leaf(rule, reading, passed=False, reason=reason, value=seen)
    if not present:
        reason = f'field "{rule.field}" not found in sensor data for {rule.key}'
        return _leaf(rule, reading, passed=False, reason=reason)
    passed, reason = run_check(rule.check, CheckInput(rule.field, seen, rule.value, now))
    return _leaf(rule, reading, passed=passed, reason=reason, value=seen)


def _leaf(
    rule: Rule,
    reading: Reading | None,
    *,
    passed: bool,
    reason: str,
    value: object = None,
) -> Evaluation:
    return Evaluation(
        label=rule.label,
        passed=passed,
        reason=reason,
        kind=rule.kind,
        key=rule.key,
        reading_at=reading.updated_at if reading is not None else None,
        value=value,
    )


def _combine(
    node: AllOf | AnyOf,
    children: tuple[Evaluation, ...],
    *,
    passed: bool,
) -> Evaluation:
    reason = _combined_reason(node, children, passed=passed)
    return Evaluation(
        label=node.label, passed=passed, reason=reason, kind=node.kind, children=children
    )


def _combined_reason(
    node: AllOf | AnyOf,
    children: tuple[Evaluation, ...],
    *,
    passed: bool,
) -> str:
    """``2 of 3 rules passed; ALL needs every rule``: the count, and the need when it failed."""
    total = len(children)
    if total == 0:
        outcome = "passes" if passed else "fails"
        return f"no rules; {node.label} of nothing {outcome}"
    count = sum(1 for child in children if child.passed)
    text = f"{count} of {total} {'rule' if total == 1 else 'rules'} passed"
    if passed:
        return text
    need = "every rule" if isinstance(node, AllOf) else "at least one"
    return f"{text}; {node.label} needs {need}"


def rule_problems(rule: Rule) -> list[tuple[str, str, str]]:
    """``(field_name, message, fix)`` for each reason ``rule`` can never work; [] if none.

    ``field_name`` is the rule's own field at fault: ``check``, ``field`` or ``value``. Used
    by the config loader, so a bad rule fails at load time with a fix, not every cycle.
    """
    if rule.check not in CHECKS:
        return [("check", f'unknown check "{rule.check}"', _check_fix(rule.check))]
    if rule.check == "exists":
        return []  # exists ignores field and value, as in Go
    problems: list[tuple[str, str, str]] = []
    if not rule.field:
        fix = f"add the field of the {rule.key} reading to check, e.g. field: count"
        problems.append(("field", f'check "{rule.check}" needs a field', fix))
    problems.extend(
        ("value", message, fix) for message, fix in value_problems(rule.check, rule.value)
    )
    return problems


def _check_fix(check: str) -> str:
    """``did you mean "age_gt"?`` when a close spelling exists, else the list of checks."""
    lowered = check.strip().lower()
    guess = _ALIASES.get(lowered)
    if guess is None:
        close = difflib.get_close_matches(lowered, CHECKS, n=1)
        guess = close[0] if close else None
    if guess is not None:
        return f'did you mean "{guess}"?'
    return "use one of: " + ", ".join(CHECKS)
