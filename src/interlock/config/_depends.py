"""Build :class:`DependsOnSpec` from ``dependsOn``, and read ``onUpstreamRerun``.

Two forms, one meaning. ``dependsOn: [listings, searches]`` is an ``allOf`` of upstreams
that must succeed; the full form ``{operator, allOf, anyOf}`` adds a group of which one must
hold, and how the two combine. Each entry is a pipeline id or a mapping ``{pipeline, status,
partition, optional}``.

What one file can get wrong is reported here, with its line: a status that is not a final
run state, a mapping this pipeline's own partitions cannot use (``{all: hour}`` on an hourly
pipeline, ``offset: -1h`` on a daily one), an offset that is zero or not whole hours, the
same upstream twice with the same mapping (their run states would share one label), a
pipeline depending on itself, and an empty ``dependsOn``. What needs the other pipelines
(unknown ids, cycles, the upstream's granularity) is :mod:`interlock.config._graph`'s.
Words such as ``and``, ``succeeded``, ``Latest`` are accepted in any case, as
``validation.trigger`` is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from interlock.config._check import Checker, suggestion
from interlock.config._yaml import YamlPath
from interlock.model import RunState
from interlock.model.dependencies import (
    FINAL_UPSTREAM_STATES,
    Dependency,
    DependsOnSpec,
    MappingKind,
    PartitionMapping,
    UpstreamRerunPolicy,
)
from interlock.model.durations import parse_duration

__all__ = ["MAX_OFFSET", "STATUSES", "OwnPartitions", "read_depends_on", "read_rerun_policy"]

MAX_OFFSET = timedelta(days=366)
"""The furthest ``partition: {offset: ...}`` reaches, either way: a year (year-over-year)."""

STATUSES = tuple(state.value for state in RunState if state in FINAL_UPSTREAM_STATES)
"""The statuses a dependency may wait for, in the order the docs list them."""

_GROUP_KEYS = ("operator", "allOf", "anyOf")
_ENTRY_KEYS = ("pipeline", "status", "partition", "optional")
_MAPPING_KEYS = ("offset", "all")
_MAPPING_WORDS = ("same", "latest")
_HOUR = timedelta(hours=1)
_DIMENSION_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_TIME_WORDS = frozenset(
    {"minute", "minutes", "hours", "day", "days", "date", "week", "weeks", "month", "months"}
)
_DAY = timedelta(days=1)
_SHAPES = "same, latest, {offset: -1d}, {all: hour} or {all: <dimension>}"
_ENTRY_FIX = "write `- listings` or `- {pipeline: listings, status: SUCCEEDED}`"
_OFFSET_FIX = "use a whole number of hours or days, e.g. -1d (yesterday's) or -1h"
_POLICIES = tuple(policy.value for policy in UpstreamRerunPolicy)


_Entry = tuple[YamlPath, Dependency]
"""A dependency and where it is written (for problems that name the entry)."""


@dataclass(frozen=True, kw_only=True)
class OwnPartitions:
    """What the entries of one file are checked against: its id and its partitions' size."""

    pipeline_id: str | None
    granularity: Literal["hourly", "daily"] | None


def read_rerun_policy(c: Checker, raw: object, *, has_depends_on: bool) -> UpstreamRerunPolicy:
    """``onUpstreamRerun``: rerun (default), alert or ignore; only with ``dependsOn``."""
    path: YamlPath = ("onUpstreamRerun",)
    text = c.string(path, raw)
    if text is None:
        return UpstreamRerunPolicy.RERUN
    word = text.strip().lower()
    if word not in _POLICIES:
        fix = suggestion(text, _POLICIES, listing="use one of")
        c.report(path, f'"{text}" is not rerun, alert or ignore', fix)
        return UpstreamRerunPolicy.RERUN
    if not has_depends_on:
        fix = "add `dependsOn`, or remove `onUpstreamRerun`"
        c.report(path, "has no effect without dependsOn (there is no upstream)", fix, at_key=True)
    return UpstreamRerunPolicy(word)


def read_depends_on(
    c: Checker, root: Mapping[str, object], own: OwnPartitions
) -> DependsOnSpec | None:
    """``dependsOn`` in either form, each entry checked; None when the key is absent."""
    path: YamlPath = ("dependsOn",)
    if "dependsOn" not in root:
        return None
    raw = root["dependsOn"]
    if isinstance(raw, list):
        if not raw:
            fix = "name at least one, or remove `dependsOn`"
            c.report(path, "lists no upstream pipeline", fix)
        entries = _entries(c, path, raw, own)
        _duplicates(c, entries)
        return DependsOnSpec(all_of=tuple(dep for _, dep in entries))
    if isinstance(raw, dict):
        return _groups(c, path, raw, own)
    if raw is None:
        fix = "list the upstream pipelines, e.g. `dependsOn: [listings]`, or remove `dependsOn`"
        c.report(path, "is empty", fix, at_key=True)
    else:
        fix = "write `dependsOn: [listings, searches]` or `dependsOn: {allOf: [...]}`"
        c.expect(path, raw, "a list or a mapping", fix)
    return None


def _groups(
    c: Checker, path: YamlPath, raw: Mapping[str, object], own: OwnPartitions
) -> DependsOnSpec:
    """The full form: ``allOf`` (all must hold), ``anyOf`` (one must), and ``operator``."""
    section = c.mapping(path, raw, _GROUP_KEYS) or {}
    operator = _operator(c, (*path, "operator"), section.get("operator"))
    all_of = _group(c, (*path, "allOf"), section, own)
    any_of = _group(c, (*path, "anyOf"), section, own)
    if "allOf" not in section and "anyOf" not in section:
        if len(section) == len(raw):  # not when a misspelt group was reported already
            fix = "add `allOf:` (all must hold) or `anyOf:` (one must hold), or both"
            c.report(path, "lists no upstream pipeline", fix, at_key=True)
    elif operator == "OR" and not ("allOf" in section and "anyOf" in section):
        message = "OR combines allOf with anyOf, and only one of them is given"
        fix = "for `any one of these`, list them under anyOf and drop operator"
        c.report((*path, "operator"), message, fix)
    _duplicates(c, all_of + any_of)
    return DependsOnSpec(
        operator=operator,
        all_of=tuple(dep for _, dep in all_of),
        any_of=tuple(dep for _, dep in any_of),
    )


def _group(
    c: Checker, path: YamlPath, section: Mapping[str, object], own: OwnPartitions
) -> tuple[_Entry, ...]:
    """One ``allOf`` / ``anyOf`` list; present and empty is a mistake, not a no-op."""
    name = str(path[-1])
    if name not in section:
        return ()
    raw = section[name]
    if raw is None or raw == []:
        c.report(path, f"`{name}` lists no upstream pipeline", f"name one, or remove `{name}`")
        return ()
    items = c.sequence(path, raw)
    return () if items is None else _entries(c, path, items, own)


def _entries(
    c: Checker, path: YamlPath, items: list[object], own: OwnPartitions
) -> tuple[_Entry, ...]:
    """The dependencies of a list (bad items are reported and left out)."""
    entries: list[_Entry] = []
    for index, item in enumerate(items):
        item_path: YamlPath = (*path, index)
        dep = _entry(c, item_path, item, own)
        if dep is not None:
            entries.append((item_path, dep))
    return tuple(entries)


def _entry(c: Checker, path: YamlPath, raw: object, own: OwnPartitions) -> Dependency | None:
    """One entry: a pipeline id, or ``{pipeline, status, partition, optional}``."""
    if isinstance(raw, dict):
        return _entry_mapping(c, path, raw, own)
    if raw is None:
        c.report(path, "empty list item", "write a pipeline id or remove the `-` line")
        return None
    if not isinstance(raw, str):
        fix = f'quote it: "{raw}"' if isinstance(raw, int | float) else _ENTRY_FIX
        c.expect(path, raw, "a pipeline id or a mapping", fix)
        return None
    pipeline_id = c.string(path, raw, required=True)
    if pipeline_id is None or _depends_on_itself(c, path, pipeline_id, own):
        return None
    return Dependency(pipeline=pipeline_id, line=c.doc.line(path))


def _entry_mapping(
    c: Checker, path: YamlPath, raw: Mapping[str, object], own: OwnPartitions
) -> Dependency | None:
    """``{pipeline, status, partition, optional}``: only ``pipeline`` is required."""
    section = c.mapping(path, raw, _ENTRY_KEYS) or {}
    id_path: YamlPath = (*path, "pipeline")
    pipeline_id = c.string(id_path, section.get("pipeline"), required=True)
    statuses = _statuses(c, (*path, "status"), section.get("status"))
    mapping = _mapping(c, (*path, "partition"), section.get("partition"), own)
    optional = c.boolean((*path, "optional"), section.get("optional"))
    if pipeline_id is None or statuses is None or mapping is None:
        return None
    if _depends_on_itself(c, id_path, pipeline_id, own):
        return None
    return Dependency(
        pipeline=pipeline_id,
        statuses=statuses,
        partition=mapping,
        optional=bool(optional),
        line=c.doc.line(path),
    )


def _depends_on_itself(c: Checker, path: YamlPath, pipeline_id: str, own: OwnPartitions) -> bool:
    """Report (and tell) a pipeline naming itself: its run would wait for itself forever."""
    if pipeline_id != own.pipeline_id:
        return False
    fix = "remove it: dependsOn names other pipelines"
    c.report(path, f'"{pipeline_id}" depends on itself (a run cannot wait for itself)', fix)
    return True


def _statuses(c: Checker, path: YamlPath, raw: object) -> frozenset[RunState] | None:
    """``status``: one final run state or a list of them; SUCCEEDED when absent."""
    if raw is None:
        return frozenset({RunState.SUCCEEDED})
    if isinstance(raw, str):
        items: list[tuple[YamlPath, object]] = [(path, raw)]
    elif isinstance(raw, list):
        items = [((*path, index), item) for index, item in enumerate(raw)]
    else:
        fix = "write status: SUCCEEDED, or a list such as status: [SUCCEEDED, FAILED]"
        c.expect(path, raw, "a status or a list of them", fix)
        return None
    if not items:
        c.report(path, "lists no status", "name one (SUCCEEDED, FAILED, ...) or remove `status`")
        return None
    states = [_status(c, item_path, item) for item_path, item in items]
    if any(state is None for state in states):
        return None
    return frozenset(state for state in states if state is not None)


def _status(c: Checker, path: YamlPath, raw: object) -> RunState | None:
    """One status: a run state an upstream run comes to rest in."""
    text = c.string(path, raw, required=True)
    if text is None:
        return None
    word = text.strip().upper()
    if word in STATUSES:
        return RunState(word)
    allowed = ", ".join(STATUSES)
    if word in RunState.__members__:
        message = f'"{text}" is not a final run state (a dependency waits for one: {allowed})'
    else:
        message = f'"{text}" is not a status a dependency can wait for ({allowed})'
    c.report(path, message, suggestion(word, STATUSES, listing="use one of"))
    return None


def _operator(c: Checker, path: YamlPath, raw: object) -> Literal["AND", "OR"]:
    """``operator``: AND (the default) or OR, in any case."""
    text = c.string(path, raw)
    if text is None:
        return "AND"
    word = text.strip().upper()
    if word == "OR":
        return "OR"
    if word != "AND":
        c.report(path, f'"{text}" is not AND or OR', "use AND (both groups) or OR (either)")
    return "AND"


def _mapping(
    c: Checker, path: YamlPath, raw: object, own: OwnPartitions
) -> PartitionMapping | None:
    """``partition``: same (default), latest, ``{offset: D}``, ``{all: hour}`` / ``{all: X}``."""
    if raw is None:
        return PartitionMapping()
    if isinstance(raw, str):
        return _mapping_word(c, path, raw)
    if not isinstance(raw, dict):
        c.expect(path, raw, "same, latest or a mapping", f"write {_SHAPES}")
        return None
    section = c.mapping(path, raw, _MAPPING_KEYS) or {}
    if len(section) != 1:
        if section or not raw:  # an unknown key alone was reported already
            message = "names both offset and all" if section else "names no mapping"
            c.report(path, message, "write {offset: -1d} or {all: hour}, one of them")
        return None
    if "offset" in section:
        return _offset(c, (*path, "offset"), section["offset"], own)
    return _all_hours(c, (*path, "all"), section["all"], own)


def _mapping_word(c: Checker, path: YamlPath, raw: str) -> PartitionMapping | None:
    """``same`` or ``latest``; a near miss (``offset``, ``-1d``) is told its mapping form."""
    word = raw.strip().lower()
    if word in _MAPPING_WORDS:
        return PartitionMapping(kind=MappingKind(word))
    fix = f"write {_SHAPES}"
    if word in _MAPPING_KEYS:
        fix = "write it as a mapping: {offset: -1d} or {all: hour}"
    elif word.startswith(("-", "+")):
        fix = f"write {{offset: {raw.strip()}}}"
    c.report(path, f'unknown partition mapping "{raw}"', fix)
    return None


def _offset(c: Checker, path: YamlPath, raw: object, own: OwnPartitions) -> PartitionMapping | None:
    """``{offset: -1d}``: a whole number of hours, not zero, within a year, sized to fit."""
    if not isinstance(raw, str):
        fix = (
            f'did you mean "{raw}d"?'
            if isinstance(raw, int) and not isinstance(raw, bool)
            else _OFFSET_FIX
        )
        c.expect(path, raw, "a duration string", fix)
        return None
    try:
        offset = parse_duration(raw)
    except ValueError:
        c.report(path, f'invalid offset "{raw}"', _OFFSET_FIX)
        return None
    problem = _offset_problem(offset, raw.strip(), own)
    if problem is not None:
        c.report(path, *problem)
        return None
    return PartitionMapping(kind=MappingKind.OFFSET, offset=offset)


def _offset_problem(offset: timedelta, text: str, own: OwnPartitions) -> tuple[str, str] | None:
    """Why ``offset`` names no partition this pipeline could need, and the fix; None if fine."""
    if not offset:
        return "an offset of zero is the same partition", "write `partition: same`"
    if abs(offset) > MAX_OFFSET:
        return f"{text} is further than a year", "use at most 366d either way"
    if offset % _HOUR:
        return f"{text} is not a whole number of hours", _OFFSET_FIX
    if own.granularity == "daily" and offset % _DAY:
        message = f"{text} is not a whole number of days, and this pipeline has daily partitions"
        return message, "use whole days, e.g. -1d"
    return None


def _all_hours(
    c: Checker, path: YamlPath, raw: object, own: OwnPartitions
) -> PartitionMapping | None:
    """``{all: hour}`` (every hourly partition of a daily day) or ``{all: campaign}``.

    A dimension name is checked against the upstream's declared dimensions where the
    upstream is known (``_graph``); here only its spelling, and the time words it is not.
    """
    word = raw.strip() if isinstance(raw, str) else None
    if word is None or not _DIMENSION_NAME.fullmatch(word) or word.lower() in _TIME_WORDS:
        shown = f'"{raw}"' if isinstance(raw, str) else "null" if raw is None else str(raw)
        message = f"{shown} is not a granularity `all` takes (only hour) nor a dimension name"
        fix = "write {all: hour} (every hour of the day) or {all: campaign} (every value)"
        c.report(path, message, fix)
        return None
    if word.lower() != "hour":
        return PartitionMapping(kind=MappingKind.ALL, dimension=word)
    if own.granularity == "hourly":
        message = "this pipeline has hourly partitions; {all: hour} is for a daily one"
        fix = "use `partition: same` to wait for the same hour"
        c.report(path, message, fix)
        return None
    return PartitionMapping(kind=MappingKind.ALL)


def _duplicates(c: Checker, entries: tuple[_Entry, ...]) -> None:
    """Two entries on one upstream with one mapping would share a label: refuse the second."""
    first: dict[str, Dependency] = {}
    for path, dep in entries:
        earlier = first.setdefault(dep.label, dep)
        if earlier is dep:
            continue
        message = f'"{dep.pipeline}" is listed twice with the same partition mapping'
        fix = f"merge it with line {earlier.line}: status takes a list, e.g. [SUCCEEDED, FAILED]"
        c.report(path, message, fix)
