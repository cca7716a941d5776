"""``rule_problems``: the static check the config loader runs on every rule at load time.

Each row is one rule and the ``(field_name, message, fix)`` triples it should produce; a good
rule produces none. Messages are matched by substring, fixes exactly where they are a hint
the user copies.
"""

from __future__ import annotations

from typing import Any

import pytest

from interlock.rules import CHECKS, Rule, rule_problems


def rule(check: str, field: str = "f", value: Any = None) -> Rule:
    """A rule on key ``k`` (the key is not checked here)."""
    return Rule(key="k", check=check, field=field, value=value)


@pytest.mark.parametrize(
    "good",
    [
        pytest.param(rule("exists", field=""), id="exists-bare"),
        pytest.param(rule("exists", field="", value=[]), id="exists-ignores-value"),
        pytest.param(rule("equals", value="COMPLETE"), id="equals"),
        pytest.param(rule("equals", value=False), id="equals-false"),
        pytest.param(rule("not_equals", value=0), id="not-equals-zero"),
        pytest.param(rule("in", value=["A", "B"]), id="in"),
        pytest.param(rule("gte", value=1000), id="gte-int"),
        pytest.param(rule("lt", value=0.5), id="lt-float"),
        pytest.param(rule("gt", value="100"), id="gt-numeric-string"),
        pytest.param(rule("age_lt", field="updatedAt", value="2h"), id="age-lt"),
        pytest.param(rule("age_gt", field="updatedAt", value="1d"), id="age-gt-days"),
    ],
)
def test_good_rules_have_no_problems(good: Rule) -> None:
    """A rule that can work returns no problems."""
    assert rule_problems(good) == []


@pytest.mark.parametrize(
    ("check", "fix"),
    [
        pytest.param("age_gte", 'did you mean "age_gt"?', id="typo"),
        pytest.param("equal", 'did you mean "equals"?', id="missing-s"),
        pytest.param("GTE", 'did you mean "gte"?', id="upper-case"),
        pytest.param(">=", 'did you mean "gte"?', id="symbol"),
        pytest.param("!=", 'did you mean "not_equals"?', id="not-equal-symbol"),
        pytest.param("regex", "use one of: " + ", ".join(CHECKS), id="no-close-match"),
    ],
)
def test_unknown_check(check: str, fix: str) -> None:
    """An unknown check is the only problem reported, with a suggestion or the list."""
    assert rule_problems(rule(check, value=1)) == [("check", f'unknown check "{check}"', fix)]


@pytest.mark.parametrize(
    ("bad", "problems"),
    [
        pytest.param(
            rule("gte", field="", value=1),
            [("field", 'check "gte" needs a field')],
            id="no-field",
        ),
        pytest.param(
            rule("equals"),
            [("value", 'check "equals" needs a value')],
            id="no-value",
        ),
        pytest.param(
            rule("lte", field=""),
            [("field", 'check "lte" needs a field'), ("value", 'check "lte" needs a value')],
            id="no-field-no-value",
        ),
        pytest.param(rule("in", value=[]), [("value", "needs a non-empty list")], id="in-empty"),
        pytest.param(rule("in", value="A"), [("value", "needs a non-empty list")], id="in-scalar"),
        pytest.param(rule("gte", value="many"), [("value", "needs a number")], id="gte-word"),
        pytest.param(rule("gt", value=True), [("value", "needs a number")], id="gt-bool"),
        pytest.param(rule("lt", value=[1]), [("value", "needs a number")], id="lt-list"),
        pytest.param(rule("gte", value="NaN"), [("value", "never pass with NaN")], id="nan"),
        pytest.param(rule("age_lt", value="2 hours"), [("value", "duration")], id="age-words"),
        pytest.param(rule("age_gt", value=True), [("value", "duration")], id="age-bool"),
        pytest.param(rule("equals", value=["A", "B"]), [("value", "one value")], id="eq-list"),
        pytest.param(rule("not_equals", value={"a": 1}), [("value", "one value")], id="neq-map"),
    ],
)
def test_bad_rules(bad: Rule, problems: list[tuple[str, str]]) -> None:
    """Each problem names the rule field at fault, says what is wrong and how to fix it."""
    found = rule_problems(bad)
    assert [name for name, _, _ in found] == [name for name, _ in problems]
    for (_, message, fix), (_, expected) in zip(found, problems, strict=True):
        assert expected in message
        assert fix


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        pytest.param(3600, 'did you mean "3600s"?', id="int-seconds"),
        pytest.param("90", 'did you mean "90s"?', id="numeric-string"),
        pytest.param("soon", "use e.g. 30s, 5m, 1h30m, 2d", id="word"),
    ],
)
def test_age_value_fix(value: Any, fix: str) -> None:
    """A bare number for an age check suggests the same number of seconds."""
    [(name, message, got_fix)] = rule_problems(rule("age_lt", value=value))
    assert (name, got_fix) == ("value", fix)
    assert message.startswith('check "age_lt" needs a duration string')
