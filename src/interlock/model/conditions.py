"""The condition tree: rules combined with ALL / ANY, as immutable values (pure data).

YAML compiles to this tree and nothing else (``validation``, ``schedule.trigger`` and
``postRun.rules`` all become a :data:`Condition`). Leaves are :class:`Rule`; inner nodes are
:class:`AllOf` and :class:`AnyOf`. ``a & b`` and ``a | b`` build trees in Python code and
tests. Evaluation lives in :mod:`interlock.rules.evaluate` and returns an
:class:`Evaluation` tree of the same shape, which is what ``explain`` and the dashboard show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeAlias

__all__ = [
    "CHECKS",
    "AllOf",
    "AnyOf",
    "Condition",
    "Evaluation",
    "Rule",
    "condition_keys",
    "rules_of",
]

CHECKS = (
    "exists",
    "equals",
    "not_equals",
    "in",
    "gt",
    "gte",
    "lt",
    "lte",
    "age_lt",
    "age_gt",
)
"""Every check a rule may name, in the order the docs list them."""


class _Combinable:
    """``&`` and ``|`` for every node, so trees read like the logic they express."""

    def __and__(self, other: Condition) -> AllOf:
        return AllOf(children=(self, other))  # type: ignore[arg-type]

    def __or__(self, other: Condition) -> AnyOf:
        return AnyOf(children=(self, other))  # type: ignore[arg-type]


@dataclass(frozen=True, kw_only=True)
class Rule(_Combinable):
    """One check on one field of one sensor's reading (``count gte 1000``).

    ``value`` is the YAML value as written (a JSON scalar, or a list for ``in``); coercion
    happens at evaluation time with the Go semantics (docs/go-compatibility.md, Rule checks).
    """

    key: str
    check: str
    field: str = ""
    value: Any = None

    kind: Literal["rule"] = "rule"

    @property
    def label(self) -> str:
        """``row-count.count gte 1000`` — what the explanation shows for this leaf."""
        if self.check == "exists":
            return f"{self.key} exists"
        target = f"{self.key}.{self.field}" if self.field else self.key
        return f"{target} {self.check} {self.value!r}"


@dataclass(frozen=True, kw_only=True)
class AllOf(_Combinable):
    """Passes when every child passes; vacuously true with no children (Go semantics)."""

    children: tuple[Condition, ...] = ()
    kind: Literal["all"] = "all"

    @property
    def label(self) -> str:
        """``ALL`` — the combinator's name in explanations."""
        return "ALL"


@dataclass(frozen=True, kw_only=True)
class AnyOf(_Combinable):
    """Passes when at least one child passes; false with no children (Go semantics)."""

    children: tuple[Condition, ...] = ()
    kind: Literal["any"] = "any"

    @property
    def label(self) -> str:
        """``ANY`` — the combinator's name in explanations."""
        return "ANY"


Condition: TypeAlias = Rule | AllOf | AnyOf


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    """The explainable result of evaluating one node.

    ``reason`` is a sentence a person can act on (``count 50 gte 1000 is false``,
    ``sensor row-count has no reading for 2026-11-22``). For leaves, ``key``, ``reading_at``
    and ``value`` record what was seen, so an explanation names the exact input.
    """

    label: str
    passed: bool
    reason: str
    kind: str
    key: str | None = None
    reading_at: datetime | None = None
    value: Any = None
    children: tuple[Evaluation, ...] = field(default=())

    def failing(self) -> tuple[Evaluation, ...]:
        """The failing leaves that make this node fail, in tree order (none if it passed)."""
        if self.passed:
            return ()
        if not self.children:
            return (self,)
        return tuple(leaf for child in self.children for leaf in child.failing())

    def to_dict(self) -> Mapping[str, Any]:
        """A JSON-ready form with stable ``kind`` strings (stored with every decision).

        Declared and checked by :class:`interlock.schemas.EvaluationOut`, which is built
        from this form: a key added here must be added there (its models refuse extras).
        """
        data: dict[str, Any] = {
            "kind": self.kind,
            "label": self.label,
            "passed": self.passed,
            "reason": self.reason,
        }
        if self.key is not None:
            data["key"] = self.key
            data["readingAt"] = self.reading_at.isoformat() if self.reading_at else None
            data["value"] = self.value
        if self.children:
            data["children"] = [child.to_dict() for child in self.children]
        return data


def rules_of(condition: Condition) -> tuple[Rule, ...]:
    """Every rule (leaf) in the tree, in order."""
    if isinstance(condition, Rule):
        return (condition,)
    return tuple(rule for child in condition.children for rule in rules_of(child))


def condition_keys(condition: Condition) -> frozenset[str]:
    """Every ``key`` named by a rule anywhere in the tree."""
    return frozenset(rule.key for rule in rules_of(condition))
