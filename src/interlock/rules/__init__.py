"""The rule engine: a condition tree of rules, evaluated purely against readings.

Rules are the safety constraints of a pipeline (``row-count.count gte 1000``), combined with
ALL / ANY into a :data:`Condition`. :func:`evaluate` turns a condition, the readings a run
sees and one ``now`` into an :class:`Evaluation` tree that explains every node;
:func:`rule_problems` checks a rule statically when the config is loaded. Nothing in this
package does I/O.
"""

from __future__ import annotations

from interlock.rules.evaluate import evaluate, evaluate_rule, rule_problems
from interlock.rules.keys import condition_keys
from interlock.rules.tree import CHECKS, AllOf, AnyOf, Condition, Evaluation, Rule

__all__ = [
    "CHECKS",
    "AllOf",
    "AnyOf",
    "Condition",
    "Evaluation",
    "Rule",
    "condition_keys",
    "evaluate",
    "evaluate_rule",
    "rule_problems",
]
