"""Moved to :mod:`interlock.conditions`; kept while the tree is being reorganised."""

from __future__ import annotations

from interlock.conditions import CHECKS, AllOf, AnyOf, Condition, Evaluation, Rule

__all__ = ["CHECKS", "AllOf", "AnyOf", "Condition", "Evaluation", "Rule"]
