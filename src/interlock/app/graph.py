"""The dependency graph of the stored pipelines (``interlock graph``). Pure over the specs.

Every ``dependsOn`` entry is one edge, upstream → downstream: the direction data flows and
wake-ups travel, so a root is a pipeline that needs nothing. An edge keeps what makes it
more than an arrow (the states it accepts, its partition mapping, ``optional``, its group),
because "why does ``pipeline-x`` not run on Mondays" is often answered by one of those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from interlock.errors import UnknownPipelineError
from interlock.model import RunState
from interlock.model.dependencies import MappingKind
from interlock.model.specs import PipelineSpec

__all__ = ["DependencyGraph", "GraphEdge", "GraphNode", "dependency_graph"]

Direction = Literal["upstream", "downstream"]


@dataclass(frozen=True, kw_only=True)
class GraphNode:
    """One pipeline of the graph; ``loaded`` False for an upstream named but not stored."""

    id: str
    loaded: bool = True
    paused: bool = False


@dataclass(frozen=True, kw_only=True)
class GraphEdge:
    """One dependency: ``downstream`` needs ``upstream`` in one of ``statuses``."""

    upstream: str
    downstream: str
    label: str
    """The dependency's label in the downstream's explanation (``fx (offset -1d)``)."""
    statuses: tuple[str, ...]
    mapping: str
    """``same``, ``offset -1d``, ``all hours of the day``, ``latest``."""
    optional: bool
    group: Literal["allOf", "anyOf"]

    def annotations(self) -> tuple[str, ...]:
        """What differs from the plain default (SUCCEEDED, same, required, allOf), in order.

        ``("SUCCEEDED|FAILED", "offset -1d", "optional", "anyOf")``; empty for a plain edge,
        so the common case stays one bare name in the tree.
        """
        parts: list[str] = []
        if self.statuses != (RunState.SUCCEEDED.value,):
            parts.append("|".join(self.statuses))
        if self.mapping != MappingKind.SAME.value:
            parts.append(self.mapping)
        if self.optional:
            parts.append("optional")
        if self.group == "anyOf":
            parts.append("anyOf")
        return tuple(parts)


@dataclass(frozen=True, kw_only=True)
class DependencyGraph:
    """Nodes by id and edges in (downstream, declaration) order."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]

    def upstream_of(self, pipeline_id: str) -> tuple[GraphEdge, ...]:
        """The edges into ``pipeline_id``: what it needs, in declaration order."""
        return tuple(edge for edge in self.edges if edge.downstream == pipeline_id)

    def downstream_of(self, pipeline_id: str) -> tuple[GraphEdge, ...]:
        """The edges out of ``pipeline_id``: what needs it, by downstream id."""
        return tuple(edge for edge in self.edges if edge.upstream == pipeline_id)

    def roots(self) -> tuple[str, ...]:
        """The pipelines that need nothing, by id: where the downstream view starts."""
        needing = {edge.downstream for edge in self.edges}
        return tuple(node.id for node in self.nodes if node.id not in needing)

    def around(self, pipeline_id: str, direction: Direction) -> DependencyGraph:
        """The part of the graph reachable from ``pipeline_id`` one way, itself included.

        :raises UnknownPipelineError: when no node has that id (with a did-you-mean).
        """
        ids = {node.id for node in self.nodes}
        if pipeline_id not in ids:
            raise UnknownPipelineError(pipeline_id, known=ids)
        step = self.upstream_of if direction == "upstream" else self.downstream_of
        reached, todo = {pipeline_id}, [pipeline_id]
        while todo:
            for edge in step(todo.pop()):
                other = edge.upstream if direction == "upstream" else edge.downstream
                if other not in reached:
                    reached.add(other)
                    todo.append(other)
        return DependencyGraph(
            nodes=tuple(node for node in self.nodes if node.id in reached),
            edges=tuple(e for e in self.edges if e.upstream in reached and e.downstream in reached),
        )


def dependency_graph(specs: Mapping[str, PipelineSpec]) -> DependencyGraph:
    """The graph of ``specs``: one edge per ``dependsOn`` entry, nodes sorted by id."""
    edges: list[GraphEdge] = []
    for spec in sorted(specs.values(), key=lambda s: s.id):
        if spec.depends_on is None:
            continue
        for group, deps in (("allOf", spec.depends_on.all_of), ("anyOf", spec.depends_on.any_of)):
            edges.extend(
                GraphEdge(
                    upstream=dep.pipeline,
                    downstream=spec.id,
                    label=dep.label,
                    statuses=tuple(sorted(state.value for state in dep.statuses)),
                    mapping=dep.partition.describe(),
                    optional=dep.optional,
                    group="allOf" if group == "allOf" else "anyOf",
                )
                for dep in deps
            )
    named = {edge.upstream for edge in edges} - set(specs)
    nodes = [GraphNode(id=s.id, paused=s.paused is not None) for s in specs.values()]
    nodes.extend(GraphNode(id=name, loaded=False) for name in named)
    return DependencyGraph(nodes=tuple(sorted(nodes, key=lambda n: n.id)), edges=tuple(edges))
