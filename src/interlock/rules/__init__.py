"""The rule engine: a condition tree of rules, evaluated purely against readings.

Rules are the safety constraints of a pipeline (``row-count.count gte 1000``), combined with
ALL / ANY into a :data:`Condition`. :func:`evaluate` turns a condition, the readings a run
sees and one ``now`` into an :class:`Evaluation` tree that explains every node;
:func:`rule_problems` checks a rule statically when the config is loaded. Nothing in this
package does I/O. The tree itself lives in :mod:`interlock.model.conditions` (pure data, below
``model`` in the layers) and is re-exported here for convenience.
"""

from __future__ import annotations

from interlock.model.conditions import (
    CHECKS,
    AllOf,
    AnyOf,
    Condition,
    Evaluation,
    Rule,
    condition_keys,
)
from interlock.rules.evaluate import evaluate, evaluate_rule, rule_problems

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
