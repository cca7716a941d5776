"""Check ``dependsOn`` across a set of pipelines: ids, cycles, and partition sizes that fit.

One file cannot tell whether its upstream exists, whether the graph loops back to it, or
whether its upstream's partitions are hourly. :func:`check_dependency_graph` answers those
over every pipeline that will be loaded together (a directory, or what ``apply`` would store),
before any of it is accepted: a cycle would leave every pipeline on it waiting forever, an
unknown id would never arrive, and a mapping to partitions the upstream never has would
wait silently. Pure: specs in, problems out, in a deterministic order.

A problem names the downstream file and the dependency's line. Its field is the entry's
place in the full form (``dependsOn.allOf[1]``): the short form ``dependsOn: [a, b]`` is an
``allOf``. Arrows in a cycle follow the data (``a → b``: ``b`` waits for ``a``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping
from typing import Literal

from interlock.config._check import suggestion
from interlock.errors import ConfigProblem
from interlock.model.dependencies import Dependency, MappingKind, format_offset
from interlock.model.specs import PipelineSpec
from interlock.timing.schedule import partition_granularity

__all__ = ["check_dependency_graph", "dependency_cycles"]

_Granularity = Literal["hourly", "daily"] | None
_DAY_SECONDS = 24 * 3600


def check_dependency_graph(
    specs: Iterable[PipelineSpec],
    *,
    complete: bool = True,
    known_ids: Collection[str] = (),
) -> list[ConfigProblem]:
    """Every problem of the ``dependsOn`` graph of ``specs``, sorted by file, line and field.

    ``complete=False`` says some pipelines of the set failed to load: an upstream id not
    among ``specs`` may be one of them, so unknown ids are not reported then (cycles and
    mappings among the loaded ones still are). ``known_ids`` are pipelines of the set given
    by id only (``apply`` does not parse stored pipelines without dependencies): naming one
    is fine, and a mapping onto one is not checked, so the caller passes the spec of every
    upstream it wants checked. Of two specs with one id the first counts (the duplicate is
    the loader's problem).
    """
    by_id: dict[str, PipelineSpec] = {}
    for spec in specs:
        by_id.setdefault(spec.id, spec)
    problems: list[ConfigProblem] = []
    for spec in by_id.values():
        for field, dep in _entries(spec):
            upstream = by_id.get(dep.pipeline)
            if upstream is None:
                if complete and dep.pipeline not in known_ids:
                    problems.append(_unknown(spec, field, dep, [*by_id, *known_ids]))
                continue
            problem = _mapping_problem(spec, field, dep, upstream) or _dimension_problem(
                spec, field, dep, upstream
            )
            if problem is not None:
                problems.append(problem)
    problems.extend(_cycle_problem(cycle, rest, by_id) for cycle, rest in _loops(by_id))
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.field, p.message))


def _entries(spec: PipelineSpec) -> list[tuple[str, Dependency]]:
    """Each dependency of ``spec`` with its field in the full form."""
    if spec.depends_on is None:
        return []
    return [
        (f"dependsOn.{group}[{index}]", dep)
        for group, deps in (("allOf", spec.depends_on.all_of), ("anyOf", spec.depends_on.any_of))
        for index, dep in enumerate(deps)
    ]


def _problem(spec: PipelineSpec, field: str, line: int, message: str, fix: str) -> ConfigProblem:
    return ConfigProblem(file=spec.source, line=line or None, field=field, message=message, fix=fix)


def _unknown(
    spec: PipelineSpec, field: str, dep: Dependency, known: Iterable[str]
) -> ConfigProblem:
    """An upstream no loaded (or stored) pipeline has: it would never arrive."""
    others = sorted({pipeline_id for pipeline_id in known if pipeline_id != spec.id})
    fix = suggestion(dep.pipeline, others) if others else ""
    if not fix.startswith("did you mean"):
        fix = f'define pipeline "{dep.pipeline}" here or apply it first, or fix the id'
    message = f'unknown upstream pipeline "{dep.pipeline}"'
    return _problem(spec, field, dep.line, message, fix)


def _granularity(spec: PipelineSpec) -> _Granularity:
    return partition_granularity(spec.schedule, spec.sla)


def _mapping_problem(
    spec: PipelineSpec, field: str, dep: Dependency, upstream: PipelineSpec
) -> ConfigProblem | None:
    """A mapping to upstream partitions the upstream never has: it would wait for ever.

    Only where both sides are known: a pipeline whose partitions come from its readings or
    its upstreams has no granularity of its own to check.
    """
    own, theirs = _granularity(spec), _granularity(upstream)
    mapping = dep.partition
    field = f"{field}.partition"
    name = upstream.id
    by_hours = mapping.kind is MappingKind.ALL and mapping.dimension is None
    if by_hours and theirs == "daily":
        message = f"{{all: hour}} waits for hourly partitions, and {name} has daily ones"
        fix = "use `partition: same`, or an offset of whole days, for a daily upstream"
        return _problem(spec, field, dep.line, message, fix)
    if (
        mapping.kind is MappingKind.OFFSET
        and theirs == "daily"
        and mapping.offset.total_seconds() % _DAY_SECONDS
    ):
        shown = format_offset(mapping.offset)
        message = f"offset {shown} names an hour, and {name} has daily partitions"
        return _problem(spec, field, dep.line, message, "use whole days, e.g. -1d")
    if by_hours or mapping.kind is MappingKind.LATEST:
        return None
    if own is None or theirs is None or own == theirs:
        return None
    message = (
        f"{spec.id} has {own} partitions and {name} {theirs} ones:"
        f" `{mapping.describe()}` never finds a run of {name}"
    )
    if own == "daily":
        fix = "use `partition: {all: hour}` for every hour of its day, or `partition: latest`"
    else:
        fix = "use `partition: latest`, or give both pipelines the same granularity"
    return _problem(spec, field, dep.line, message, fix)


def _dimensions(spec: PipelineSpec) -> tuple[str, ...] | None:
    """The dimensions ``spec`` declares, in order; None without ``partitions``."""
    return None if spec.partitions is None else tuple(d.name for d in spec.partitions.dimensions)


def _dimension_problem(
    spec: PipelineSpec, field: str, dep: Dependency, upstream: PipelineSpec
) -> ConfigProblem | None:
    """A dimension mapping that names no partition of the upstream, or cannot pick one.

    ``{all: campaign}`` needs ``campaign`` among the upstream's dimensions and not among the
    downstream's own (there, ``same`` keeps it); ``same`` and ``offset`` keep every dimension
    both declare, and a dimension only the upstream has would leave them no value to use.
    """
    if dep.partition.kind is MappingKind.LATEST:
        return None
    theirs, own = _dimensions(upstream) or (), _dimensions(spec) or ()
    field, name, every = f"{field}.partition", upstream.id, dep.partition.dimension
    if every is not None and every not in theirs:
        message = f"{{all: {every}}}: {name} has no dimension {every!r}"
        fix = (
            suggestion(every, theirs, listing=f"{name}'s dimensions")
            if theirs
            else f"declare it under partitions.dimensions of {name}, or use `partition: same`"
        )
        return _problem(spec, field, dep.line, message, fix)
    if every is not None and every in own:
        message = f"{spec.id} has dimension {every!r} too: {{all: {every}}} would need every value"
        fix = "use `partition: same` to wait for the same value"
        return _problem(spec, field, dep.line, message, fix)
    lacking = [d for d in theirs if d not in own and d != every]
    if not lacking:
        return None
    message = (
        f"{name} has dimension {lacking[0]!r} and {spec.id} does not:"
        f" `{dep.partition.describe()}` cannot tell which of its values to wait for"
    )
    fix = f"use `partition: {{all: {lacking[0]}}}` to wait for every {lacking[0]} of the day"
    return _problem(spec, field, dep.line, message, fix)


# Cycles --------------------------------------------------------------------------------------


def dependency_cycles(specs: Mapping[str, PipelineSpec]) -> list[tuple[str, ...]]:
    """One cycle per loop of the graph, as ids in data order, closed (``a, b, c, a``).

    A loop is a strongly connected component with an edge inside it (a self-dependency
    included). Its cycle is the shortest one through the component's smallest id, so the
    same graph always gives the same cycles, each once; fixing it may reveal another one
    through the same component. Iterative throughout: 10,000 pipelines deep is fine.
    """
    return [cycle for cycle, _ in _loops(specs)]


def _loops(specs: Mapping[str, PipelineSpec]) -> list[tuple[tuple[str, ...], frozenset[str]]]:
    """Each loop's cycle (see :func:`dependency_cycles`) with the whole component."""
    feeds = _feeds(specs)
    loops = []
    for component in _components(feeds):
        start = min(component)
        if len(component) == 1 and start not in feeds[start]:
            continue
        loops.append((_shortest_cycle(start, component, feeds), component))
    return sorted(loops, key=lambda loop: loop[0])


def _feeds(specs: Mapping[str, PipelineSpec]) -> dict[str, list[str]]:
    """Upstream id → the downstream ids it feeds, sorted; only pipelines in ``specs``."""
    feeds: dict[str, set[str]] = {pipeline_id: set() for pipeline_id in specs}
    for spec in specs.values():
        for upstream in spec.upstream_ids:
            if upstream in feeds:
                feeds[upstream].add(spec.id)
    return {pipeline_id: sorted(downstreams) for pipeline_id, downstreams in feeds.items()}


def _components(feeds: Mapping[str, list[str]]) -> list[frozenset[str]]:
    """Tarjan's strongly connected components, without recursion (a chain may be long)."""
    tarjan = _Tarjan(feeds)
    for root in sorted(feeds):
        if root not in tarjan.index:
            tarjan.visit(root)
    return tarjan.components


class _Tarjan:
    """The state of one run of Tarjan's algorithm, its depth-first walk kept on a list."""

    def __init__(self, feeds: Mapping[str, list[str]]) -> None:
        self.feeds = feeds
        self.index: dict[str, int] = {}
        self.low: dict[str, int] = {}
        self.stack: list[str] = []
        self.on_stack: set[str] = set()
        self.components: list[frozenset[str]] = []

    def visit(self, root: str) -> None:
        """Walk everything reachable from ``root``: (node, next child to look at) frames."""
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                self.index[node] = self.low[node] = len(self.index)
                self.stack.append(node)
                self.on_stack.add(node)
            if child < len(self.feeds[node]):
                work.append((node, child + 1))
                nxt = self.feeds[node][child]
                if nxt not in self.index:
                    work.append((nxt, 0))
                elif nxt in self.on_stack:
                    self.low[node] = min(self.low[node], self.index[nxt])
                continue
            self.finish(node)
            if work:  # back in the parent's frame: it reaches what its child reaches
                parent = work[-1][0]
                self.low[parent] = min(self.low[parent], self.low[node])

    def finish(self, node: str) -> None:
        """``node`` is done: when it is its component's root, pop the component."""
        if self.low[node] != self.index[node]:
            return
        members = set()
        while True:
            member = self.stack.pop()
            self.on_stack.discard(member)
            members.add(member)
            if member == node:
                break
        self.components.append(frozenset(members))


def _shortest_cycle(
    start: str, component: frozenset[str], feeds: Mapping[str, list[str]]
) -> tuple[str, ...]:
    """Breadth first from ``start`` inside its component, back to ``start``."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in feeds[node]:
            if nxt == start:
                chain = [node]
                while chain[-1] != start:
                    chain.append(came_from[chain[-1]])
                return (*reversed(chain), start)
            if nxt in component and nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    msg = f"{start} is in a loop with no way back"  # pragma: no cover - a component is one
    raise AssertionError(msg)


def _cycle_problem(
    cycle: tuple[str, ...], component: frozenset[str], specs: Mapping[str, PipelineSpec]
) -> ConfigProblem:
    """The cycle, at the edge that closes it: the first pipeline's dependency on the last.

    Other pipelines of the same loop are named too, so one problem shows the whole tangle.
    """
    first, last = cycle[0], cycle[-2]
    spec = specs[first]
    field, dep = next((f, d) for f, d in _entries(spec) if d.pipeline == last)
    message = f"dependency cycle {' → '.join(cycle)}: every pipeline on it waits for itself"
    others = sorted(component - set(cycle))
    if others:
        message += f" (also in this loop: {', '.join(others)})"
    fix = f"remove one of its dependencies, e.g. this one: {first} waits for {last}"
    return _problem(spec, field, dep.line, message, fix)
