"""Compile rule lists from YAML into the condition tree (:mod:`interlock.model.conditions`).

A rule item is ``{key, check, field, value}`` as in Go. Interlock adds nested groups: an item
may instead be ``{allOf: [...]}`` or ``{anyOf: [...]}`` whose items are rules or groups again,
so ``A and (B or C)`` needs no second pipeline. Go configs never contain these keys, so they
load unchanged. Groups nest at most :data:`MAX_RULE_GROUP_DEPTH` deep, far below what would
strain the recursion of compiling and evaluating them. Static problems of a rule (unknown
check, a value the check can never accept) come from :func:`interlock.rules.rule_problems`,
so config load and evaluation agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from interlock.model.conditions import AllOf, AnyOf, Condition, Rule
from interlock.rules import rule_problems

if TYPE_CHECKING:
    from interlock.config._check import Checker
    from interlock.config._yaml import YamlPath

__all__ = [
    "MAX_RULE_GROUP_DEPTH",
    "RULE_BLOCK_KEYS",
    "RULE_KEYS",
    "compile_items",
    "compile_rule",
    "read_rule_block",
]

MAX_RULE_GROUP_DEPTH = 16
"""How deep ``allOf`` / ``anyOf`` groups may nest; real rules need three levels at most."""

RULE_KEYS = ("key", "check", "field", "value")
"""The keys of one rule item, in the order the docs write them."""

RULE_BLOCK_KEYS = ("trigger", "rules")
"""The keys of a rule block (``validation``, ``complete``): how rules combine, and the rules."""

_GROUPS: dict[str, type[AllOf | AnyOf]] = {"allOf": AllOf, "anyOf": AnyOf}


def read_rule_block(c: Checker, path: YamlPath, raw: object) -> Condition:
    """A rule block: ``rules`` combined by ``trigger`` (ALL or ANY, any case; ALL by default).

    ``validation`` and ``complete`` share it, so the two read and fail alike.
    """
    section = c.mapping(path, raw, RULE_BLOCK_KEYS) or {}
    mode = c.string((*path, "trigger"), section.get("trigger"))
    children = compile_items(c, (*path, "rules"), section.get("rules"))
    if mode is not None and mode.strip().upper() not in {"ALL", "ANY"}:
        c.report((*path, "trigger"), f'"{mode}" is not ALL or ANY', "use ALL or ANY")
    if mode is not None and mode.strip().upper() == "ANY":
        return AnyOf(children=children)
    return AllOf(children=children)


def compile_items(c: Checker, path: YamlPath, raw: object) -> tuple[Condition, ...]:
    """The conditions of a YAML rule list; bad items are reported and left out."""
    items = c.sequence(path, raw) or []
    compiled = (compile_item(c, (*path, index), item) for index, item in enumerate(items))
    return tuple(condition for condition in compiled if condition is not None)


def compile_item(c: Checker, path: YamlPath, raw: object) -> Condition | None:
    """One list item: a rule, or an ``allOf`` / ``anyOf`` group of items."""
    if isinstance(raw, dict) and any(name in raw for name in _GROUPS):
        return _compile_group(c, path, raw)
    item = c.mapping(path, raw, (*RULE_KEYS, *_GROUPS))
    if item is None:
        if raw is None:
            c.report(path, "empty rule item", "write key, check, field and value under `-`")
        return None
    return compile_rule(c, path, item)


def _compile_group(c: Checker, path: YamlPath, raw: dict[str, object]) -> Condition | None:
    """``{allOf: [...]}`` → :class:`AllOf`, ``{anyOf: [...]}`` → :class:`AnyOf`."""
    names = [name for name in _GROUPS if name in raw]
    if len(names) > 1:
        fix = "nest one group inside the other"
        c.report(path, "a group has either `allOf` or `anyOf`, not both", fix)
        return None
    name = names[0]
    if sum(part in _GROUPS for part in path) >= MAX_RULE_GROUP_DEPTH:
        fix = "flatten them: an allOf directly inside an allOf is the same as one allOf"
        c.report(path, f"rule groups nest more than {MAX_RULE_GROUP_DEPTH} deep", fix)
        return None
    c.mapping(path, raw, (name,))
    children = compile_items(c, (*path, name), raw[name])
    if not children:
        if isinstance(raw[name], list) and not raw[name]:
            c.report((*path, name), f"`{name}` must list at least one rule", "add rules or drop it")
        return None
    return _GROUPS[name](children=children)


def compile_rule(c: Checker, path: YamlPath, item: object) -> Rule | None:
    """A :class:`Rule` from a mapping already checked for unknown keys."""
    if not isinstance(item, dict):
        return None
    key = c.string((*path, "key"), item.get("key"), required=True)
    check = c.string((*path, "check"), item.get("check"), required=True)
    field_name = c.string((*path, "field"), item.get("field"))
    if key is None or check is None:
        return None
    rule = Rule(key=key, check=check, field=field_name or "", value=item.get("value"))
    for name, message, fix in rule_problems(rule):
        c.report((*path, name), message, fix)
    return rule
