"""Which sensor keys a condition reads (used to route a reading to the runs it may wake)."""

from __future__ import annotations

from interlock.rules.tree import Condition, Rule

__all__ = ["condition_keys"]


def condition_keys(condition: Condition) -> frozenset[str]:
    """Every ``key`` named by a rule anywhere in the tree."""
    if isinstance(condition, Rule):
        return frozenset({condition.key})
    return frozenset(key for child in condition.children for key in condition_keys(child))
