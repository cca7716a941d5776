"""Status dependencies between pipelines: what ``dependsOn`` means once loaded. Pure data.

A downstream run for partition P waits for its upstreams' runs of the partitions P maps to
(:class:`PartitionMapping`) to reach an accepted state (``status``, SUCCEEDED by default).
``allOf`` dependencies must all hold, at least one ``anyOf`` dependency must hold, and
``operator`` says how the two groups combine. The decision core gets what the upstreams are
doing as :class:`UpstreamState` values (the controller and ``simulate`` load them), so it
stays a pure function of its inputs.

The mapping functions here are the one written rule both directions use: a downstream run
asks which upstream partitions it needs (:func:`upstream_partitions`), and an upstream's
final state asks which downstream partitions it may unblock (:func:`downstream_partitions`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from interlock.model import RunState
from interlock.model.partitions import parse_partition

if TYPE_CHECKING:
    from interlock.model.specs import PipelineSpec

__all__ = [
    "FINAL_UPSTREAM_STATES",
    "WILDCARD",
    "Dependency",
    "DependsOnSpec",
    "MappingKind",
    "PartitionMapping",
    "UpstreamRerunPolicy",
    "UpstreamRun",
    "UpstreamState",
    "downstream_partitions",
    "format_offset",
    "join_partition",
    "matches",
    "plural",
    "split_partition",
    "upstream_partitions",
]

_UTC = ZoneInfo("UTC")

WILDCARD = "*"
"""A dimension value in a wake pattern that stands for every value (see :func:`matches`)."""

FINAL_UPSTREAM_STATES = frozenset(
    {RunState.SUCCEEDED, RunState.FAILED, RunState.EXHAUSTED, RunState.CANCELLED}
)
"""The states a dependency's ``status`` may name: where an upstream run comes to rest."""


class MappingKind(StrEnum):
    """How a downstream partition maps to the upstream partition(s) it needs."""

    SAME = "same"
    """The same partition."""
    OFFSET = "offset"
    """An earlier (or later) one: ``{offset: -1d}`` is yesterday's."""
    ALL = "all"
    """Every hourly partition of the downstream's day (``{all: hour}``), or every value of
    one of the upstream's dimensions for the downstream's date (``{all: campaign}``)."""
    LATEST = "latest"
    """The upstream's latest run in a final state, whatever its partition."""


@dataclass(frozen=True, kw_only=True)
class PartitionMapping:
    """``partition:`` of one dependency; ``same`` unless the YAML says otherwise."""

    kind: MappingKind = MappingKind.SAME
    offset: timedelta = timedelta(0)
    """For ``offset``: added to the downstream partition's start (``-1d``, ``-1h``)."""
    dimension: str | None = None
    """For ``all``: the upstream dimension whose every value is needed; None: every hour."""

    def describe(self) -> str:
        """``same``, ``offset -1d``, ``all hours of the day``, ``all campaigns of the day``."""
        if self.kind is MappingKind.OFFSET:
            return f"offset {format_offset(self.offset)}"
        if self.kind is MappingKind.ALL and self.dimension is not None:
            return f"all {plural(self.dimension)} of the day"
        if self.kind is MappingKind.ALL:
            return "all hours of the day"
        return self.kind.value


class UpstreamRerunPolicy(StrEnum):
    """``onUpstreamRerun``: what a consumed upstream partition succeeding again does."""

    RERUN = "rerun"
    """Rerun the downstream partition that consumed it (budget ``job.maxUpstreamReruns``)."""
    ALERT = "alert"
    """Only say ``UPSTREAM_RERUN``."""
    IGNORE = "ignore"
    """Nothing."""


@dataclass(frozen=True, kw_only=True)
class Dependency:
    """One entry of ``allOf`` / ``anyOf``: an upstream pipeline in an accepted state."""

    pipeline: str
    statuses: frozenset[RunState] = frozenset({RunState.SUCCEEDED})
    partition: PartitionMapping = field(default_factory=PartitionMapping)
    optional: bool = False
    """Waited for only when the upstream is expected to run for the partition (not paused,
    not excluded by its calendar that day)."""
    line: int = field(default=0, compare=False)
    """The YAML line it was declared on, for load-time errors about the graph (0: unknown)."""

    @property
    def label(self) -> str:
        """The name a run's dependency state is kept under: the id, plus a non-``same`` mapping.

        Unique within one pipeline's ``dependsOn``: the loader refuses two entries on the
        same upstream with the same mapping.
        """
        if self.partition.kind is MappingKind.SAME:
            return self.pipeline
        return f"{self.pipeline} ({self.partition.describe()})"

    def accepts(self, state: RunState) -> bool:
        """Tell whether an upstream run in ``state`` satisfies this dependency."""
        return state in self.statuses


@dataclass(frozen=True, kw_only=True)
class DependsOnSpec:
    """``dependsOn``: the ``allOf`` and ``anyOf`` groups and how they combine."""

    operator: Literal["AND", "OR"] = "AND"
    all_of: tuple[Dependency, ...] = ()
    any_of: tuple[Dependency, ...] = ()

    @property
    def dependencies(self) -> tuple[Dependency, ...]:
        """Every dependency, ``allOf`` first, in declaration order."""
        return self.all_of + self.any_of

    @property
    def upstream_ids(self) -> frozenset[str]:
        """The upstream pipelines named."""
        return frozenset(dep.pipeline for dep in self.dependencies)

    def holds(self, arrived: Mapping[str, bool]) -> bool:
        """Combine per-dependency verdicts (label → met) by the groups and ``operator``."""
        all_met = all(arrived.get(dep.label, False) for dep in self.all_of)
        any_met = any(arrived.get(dep.label, False) for dep in self.any_of)
        if not self.any_of:
            return all_met
        if not self.all_of:
            return any_met
        return (all_met and any_met) if self.operator == "AND" else (all_met or any_met)


@dataclass(frozen=True, kw_only=True)
class UpstreamRun:
    """What a downstream decision knows of one upstream run."""

    pipeline_id: str
    partition: str
    state: RunState
    attempt: int = 0
    launched_at: datetime | None = None
    finished_at: datetime | None = None
    message: str = ""
    """The run's own summary: what it is doing, or why it ended (from its explanation)."""
    cascades: bool = True
    """False when its latest attempt was a ``backfill --no-downstream``: the runs that
    consumed an earlier attempt are not rerun for it (``onUpstreamRerun``)."""

    @property
    def attempt_id(self) -> str:
        """``pipeline/partition/attempt``: the attempt a match is recorded against."""
        return f"{self.pipeline_id}/{self.partition}/{self.attempt}"


@dataclass(frozen=True, kw_only=True)
class UpstreamState:
    """One upstream pipeline as one downstream run sees it (an input of ``decide()``).

    ``runs`` holds the upstream's runs of the partitions the run maps to (absent: none yet);
    ``latest`` its latest run in a final state (for ``latest``). ``spec`` is None when the
    upstream is not loaded (it was removed): such a dependency never arrives.
    ``expected_duration`` is the median of its last successful attempts (else its
    ``sla.expectedDuration``), for the SLA-at-risk prediction; ``upstream`` holds, when the
    loader was asked for it, the same view one level further up.
    """

    spec: PipelineSpec | None
    runs: Mapping[str, UpstreamRun] = field(default_factory=dict)
    latest: UpstreamRun | None = None
    expected_duration: timedelta | None = None
    upstream: Mapping[str, UpstreamState] = field(default_factory=dict)
    dimension_values: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """The current values of the upstream's dynamic dimensions (name → values), read from
    its sensor; what ``{all: campaign}`` expands over when the values are not static."""


# Partition mapping -------------------------------------------------------------------------


def plural(name: str) -> str:
    """``campaign`` → ``campaigns``: how a dimension reads in ``all campaigns of the day``."""
    return f"{name} values" if name.endswith("s") else f"{name}s"


def split_partition(partition: str) -> tuple[str, dict[str, str]]:
    """``2026-11-21|campaign=b`` → (``2026-11-21``, {campaign: b}), dimensions in their order."""
    head, *dims = partition.split("|")
    return head, {name: value for name, _, value in (d.partition("=") for d in dims)}


def join_partition(head: str, dimensions: Mapping[str, str], names: Sequence[str]) -> str:
    """``head`` with the dimensions ``names`` in that order; one not given is ``name=*``.

    The wildcard is what :func:`downstream_partitions` answers for a downstream dimension the
    upstream partition does not carry: every value of it may be unblocked.
    """
    return head + "".join(f"|{name}={dimensions.get(name, WILDCARD)}" for name in names)


def matches(pattern: str, partition: str) -> bool:
    """Tell whether ``partition`` is ``pattern`` with each ``*`` value filled in."""
    head, wanted = split_partition(pattern)
    their_head, given = split_partition(partition)
    return (
        head == their_head
        and list(wanted) == list(given)
        and all(v in (WILDCARD, given[k]) for k, v in wanted.items())
    )


def _shift(head: str, offset: timedelta) -> str:
    """A partition head (date or hour) moved by ``offset`` on its own wall-clock axis."""
    parsed = parse_partition(head)
    if parsed.is_hourly:
        start = datetime(
            parsed.day.year, parsed.day.month, parsed.day.day, parsed.hour or 0, tzinfo=_UTC
        )
        moved = start + offset  # wall-clock arithmetic: partitions name local hours
        return str(replace(parsed, day=moved.date(), hour=moved.hour))
    return str(replace(parsed, day=parsed.day + timedelta(days=offset.days)))


def format_offset(offset: timedelta) -> str:
    """``-1d``, ``-1h``, ``+2d``: the YAML spelling of an offset."""
    sign = "-" if offset < timedelta(0) else "+"
    hours = int(abs(offset).total_seconds()) // 3600
    return f"{sign}{hours // 24}d" if hours % 24 == 0 else f"{sign}{hours}h"


def _hours_of_day(day: date, timezone: str, upstream_timezone: str) -> tuple[str, ...]:
    """The hourly partitions (in the upstream's zone) that start on ``day`` in ``timezone``.

    An upstream hour belongs to the downstream day in which it *starts*: the one rule
    :func:`downstream_partitions` inverts, so the two agree even between zones whose offsets
    differ by a half hour (the hour that straddles midnight belongs to one day only). 23 or 25
    hours on a DST day; a wall-clock hour that repeats in the upstream's zone is one partition.
    """
    zone, target = ZoneInfo(timezone), ZoneInfo(upstream_timezone)
    start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(_UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    local = start.astimezone(target)
    boundary = local.replace(minute=0, second=0, microsecond=0)
    moment = (boundary if boundary == local else boundary + timedelta(hours=1)).astimezone(_UTC)
    hours: list[str] = []
    while moment < end:
        label = moment.astimezone(target).strftime("%Y-%m-%dT%H")
        if label not in hours:
            hours.append(label)
        moment += timedelta(hours=1)
    return tuple(hours)


def _day_of_hour(head: str, timezone: str, upstream_timezone: str) -> str | None:
    """The downstream day (in ``timezone``) an upstream hour starts in; None for a date."""
    parsed = parse_partition(head)
    if not parsed.is_hourly:
        return None
    day = parsed.day
    moment = datetime(
        day.year, day.month, day.day, parsed.hour or 0, tzinfo=ZoneInfo(upstream_timezone)
    )
    return moment.astimezone(ZoneInfo(timezone)).date().isoformat()


def upstream_partitions(  # noqa: PLR0913 - the entry, the partition, what both sides declare
    dependency: Dependency,
    partition: str,
    *,
    timezone: str,
    upstream_timezone: str,
    upstream_dimensions: Sequence[str] | None = None,
    dimension_values: Sequence[str] = (),
) -> tuple[str, ...] | None:
    """The upstream partitions a downstream run of ``partition`` needs; None for ``latest``.

    ``timezone`` is the downstream's schedule zone (whose day ``{all: hour}`` covers) and
    ``upstream_timezone`` the upstream's (whose wall clock its hourly partitions name).
    ``upstream_dimensions`` are the dimensions the upstream declares, in its order (None: it
    declares no ``partitions``, and the downstream's dimensions pass through unchanged): the
    partition is projected onto them, so a downstream ``2026-11-21|campaign=b`` needs a
    dimensionless upstream's ``2026-11-21``. For ``{all: campaign}``, ``dimension_values``
    are the upstream's current campaigns: one upstream partition per value (none known yet:
    none needed, and the caller waits on the downstream's own partition name).
    """
    mapping = dependency.partition
    if mapping.kind is MappingKind.LATEST:
        return None
    head, dims = split_partition(partition)
    if mapping.kind is MappingKind.OFFSET:
        heads: tuple[str, ...] = (_shift(head, mapping.offset),)
    elif mapping.kind is MappingKind.ALL and mapping.dimension is None:
        heads = _hours_of_day(parse_partition(head).day, timezone, upstream_timezone)
    else:
        heads = (head,)
    choices = [dims]
    if mapping.dimension is not None:
        choices = [{**dims, mapping.dimension: value} for value in dimension_values]
    found: list[str] = []
    for choice in choices:
        names = list(choice) if upstream_dimensions is None else upstream_dimensions
        found.extend(join_partition(h, choice, names) for h in heads)
    return tuple(dict.fromkeys(found))


def downstream_partitions(
    dependency: Dependency,
    upstream_partition: str,
    *,
    timezone: str,
    upstream_timezone: str,
    downstream_dimensions: Sequence[str] | None = None,
) -> tuple[str, ...] | None:
    """The downstream partitions an upstream run of ``upstream_partition`` may unblock.

    The inverse of :func:`upstream_partitions`; None for ``latest`` (every open run of the
    downstream may be waiting for it). ``downstream_dimensions`` are the downstream's
    declared dimensions in its order (None: the upstream's pass through); one the upstream
    partition does not carry comes back as ``name=*`` (every value of it: see
    :func:`matches`), and the ``{all: X}`` dimension is dropped.
    """
    mapping = dependency.partition
    if mapping.kind is MappingKind.LATEST:
        return None
    head, dims = split_partition(upstream_partition)
    if mapping.kind is MappingKind.OFFSET:
        head = _shift(head, -mapping.offset)
    elif mapping.kind is MappingKind.ALL and mapping.dimension is None:
        day = _day_of_hour(head, timezone, upstream_timezone)
        if day is None:
            return ()
        head = day
    elif mapping.dimension is not None:
        if mapping.dimension not in dims:
            return ()
        dims.pop(mapping.dimension)
    names = list(dims) if downstream_dimensions is None else downstream_dimensions
    return (join_partition(head, dims, names),)
