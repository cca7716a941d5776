"""``interlock graph``: the ``dependsOn`` graph of the stored pipelines, as text or a diagram.

The text view is a tree a person reads top-down: by default the roots (pipelines that need
nothing) first and under each what depends on it; ``PIPELINE --upstream`` turns it round
(what PIPELINE needs, recursively). A pipeline reached twice (a diamond) is printed in full
once and then as ``(see above)``. ``--format mermaid`` and ``dot`` are for pasting into
docs and Graphviz; ``--json`` is for scripts (:class:`interlock.schemas.GraphOut`).
"""

from __future__ import annotations

import json

import click
from rich.markup import escape

from interlock.app.graph import DependencyGraph, Direction, GraphEdge, dependency_graph
from interlock.cli._common import db_option, fail, json_option, open_db, print_line
from interlock.errors import InterlockError

__all__ = ["graph", "render_dot", "render_mermaid", "render_text"]


@click.command()
@click.argument("pipeline", required=False)
@click.option("--upstream", "direction", flag_value="upstream", help="What PIPELINE needs.")
@click.option(
    "--downstream",
    "direction",
    flag_value="downstream",
    default=True,
    help="What depends on PIPELINE (the default).",
)
@click.option(
    "--format",
    "form",
    type=click.Choice(["text", "mermaid", "dot"]),
    default="text",
    show_default=True,
    help="An indented tree, a Mermaid flowchart, or Graphviz dot.",
)
@db_option
@json_option
def graph(
    pipeline: str | None, direction: Direction, form: str, db: str | None, *, as_json: bool
) -> None:
    """The dependency graph of the stored pipelines (dependsOn), upstream → downstream."""
    whole = dependency_graph(open_db(db).specs())
    try:
        shown = whole.around(pipeline, direction) if pipeline is not None else whole
    except InterlockError as exc:
        fail(exc)
    if as_json:
        _print_json(shown)
    elif not shown.edges and form == "text":
        click.echo(_empty(whole, pipeline, direction))
    elif form == "mermaid":
        click.echo(render_mermaid(shown))
    elif form == "dot":
        click.echo(render_dot(shown))
    else:
        for line in render_text(shown, pipeline, direction):
            print_line(escape(line))


def _empty(whole: DependencyGraph, pipeline: str | None, direction: Direction) -> str:
    """The sentence for a graph without edges, saying what would put one there."""
    if pipeline is not None:
        what = "needs no other pipeline" if direction == "upstream" else "has no downstreams"
        return f"{pipeline} {what} (no dependsOn names it)"
    if not whole.nodes:
        return "no pipelines are stored; run interlock apply PATH first"
    count = len(whole.nodes)
    return f"no dependencies: none of the {count} stored pipelines has dependsOn"


def _edge_text(name: str, edge: GraphEdge | None) -> str:
    notes = edge.annotations() if edge is not None else ()
    return f"{name} [{', '.join(notes)}]" if notes else name


def render_text(shown: DependencyGraph, pipeline: str | None, direction: Direction) -> list[str]:
    """The indented tree; every edge's non-default parts in brackets after the child."""
    starts = (pipeline,) if pipeline is not None else shown.roots()
    lines: list[str] = []
    printed: set[str] = set()

    def walk(name: str, edge: GraphEdge | None, depth: int, path: tuple[str, ...]) -> None:
        text = "  " * depth + _edge_text(name, edge)
        if name in printed or name in path:
            lines.append(text + " (see above)")
            return
        printed.add(name)
        node = next((n for n in shown.nodes if n.id == name), None)
        if node is not None and not node.loaded:
            text += " (not stored)"
        elif node is not None and node.paused:
            text += " (paused)"
        lines.append(text)
        if direction == "upstream":
            for e in shown.upstream_of(name):
                walk(e.upstream, e, depth + 1, (*path, name))
        else:
            for e in shown.downstream_of(name):
                walk(e.downstream, e, depth + 1, (*path, name))

    for start in starts:
        walk(start, None, 0, ())
    return lines


def _label(edge: GraphEdge) -> str:
    return ", ".join(edge.annotations())


def render_mermaid(shown: DependencyGraph) -> str:
    """``graph LR`` with one node line per pipeline (ids as quoted labels) and its edges.

    Node ids are ``n0``, ``n1``, … and the pipeline id is the quoted label: a pipeline id
    may hold characters Mermaid reads as syntax (``-->``, brackets, quotes).
    """
    ids = {node.id: f"n{index}" for index, node in enumerate(shown.nodes)}
    lines = ["graph LR"]
    lines.extend(f'  {ids[node.id]}["{_mermaid_text(node.id)}"]' for node in shown.nodes)
    for edge in shown.edges:
        label = _label(edge)
        arrow = f'-->|"{_mermaid_text(label)}"|' if label else "-->"
        lines.append(f"  {ids[edge.upstream]} {arrow} {ids[edge.downstream]}")
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: quotes and markup-like characters as entities."""
    return "".join(f"#{ord(ch)};" if ch in '"#<>&|' else ch for ch in text)


def render_dot(shown: DependencyGraph) -> str:
    """``digraph interlock { "a" -> "b"; }``: every id a quoted, escaped dot string."""
    lines = ["digraph interlock {", "  rankdir=LR;"]
    lines.extend(f"  {_dot_text(node.id)};" for node in shown.nodes)
    for edge in shown.edges:
        label = _label(edge)
        attrs = f" [label={_dot_text(label)}]" if label else ""
        lines.append(f"  {_dot_text(edge.upstream)} -> {_dot_text(edge.downstream)}{attrs};")
    lines.append("}")
    return "\n".join(lines)


def _dot_text(text: str) -> str:
    """A dot quoted string: JSON's escaping of backslashes and quotes is dot's too."""
    return json.dumps(text, ensure_ascii=False)


def _print_json(shown: DependencyGraph) -> None:
    from interlock.schemas import GraphEdgeOut, GraphNodeOut, GraphOut, dumps  # noqa: PLC0415

    out = GraphOut(
        nodes=[GraphNodeOut(id=n.id, loaded=n.loaded, paused=n.paused) for n in shown.nodes],
        edges=[
            GraphEdgeOut(
                from_=e.upstream,
                to=e.downstream,
                label=e.label,
                status=list(e.statuses),
                mapping=e.mapping,
                optional=e.optional,
                group=e.group,
            )
            for e in shown.edges
        ],
    )
    click.echo(dumps(out, indent=2, ensure_ascii=False))
