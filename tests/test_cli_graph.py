"""``interlock graph`` and the upstreams in ``status``, over pipelines stored in a real store.

Before: there was no way to see the dependsOn graph, and ``status`` did not say what a
pipeline waits on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tests.deps_support import dep, needs, pipeline_yaml, with_dependencies

from interlock.app import Interlock
from interlock.cli import main
from interlock.controller.clock import FakeClock
from interlock.model import RunState
from interlock.model.dependencies import DependsOnSpec, MappingKind, PartitionMapping
from interlock.schemas import GraphOut

YESTERDAY = PartitionMapping(kind=MappingKind.OFFSET, offset=timedelta(days=-1))
GRAPH = {
    # Scout24: pipeline-x needs listings and searches; a fallback runs when listings fails.
    "pipeline-x": needs("listings", "searches"),
    "fallback": DependsOnSpec(
        all_of=(dep("listings", statuses=frozenset({RunState.FAILED, RunState.SUCCEEDED})),)
    ),
    # A diamond a → b, c → d; d also wants yesterday's a (optional) and one of two fx feeds.
    "b": needs("a"),
    "c": needs("a"),
    "d": DependsOnSpec(
        all_of=(dep("b"), dep("c"), dep("a", partition=YESTERDAY, optional=True)),
        any_of=(dep("fx-primary"), dep("fx-backup")),
    ),
}
IDS = (
    "listings",
    "searches",
    "pipeline-x",
    "fallback",
    "a",
    "b",
    "c",
    "d",
    "fx-primary",
    "fx-backup",
    "orders",
)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The pipelines above applied to a SQLite store; ``--db`` for it."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    for name in IDS:
        (folder / f"{name}.yaml").write_text(pipeline_yaml(name), encoding="utf-8")
    with_dependencies(monkeypatch, GRAPH)
    il = Interlock(
        db=f"sqlite:///{tmp_path}/i.db",
        pipelines=folder,
        clock=FakeClock(datetime(2026, 11, 23, 7, tzinfo=UTC)),
    )
    il.apply()
    yield ["--db", str(il.store.engine.url)]
    il.close()


def run(*args: str) -> Result:
    """The CLI as a pipe sees it."""
    return CliRunner().invoke(main, list(args))


def test_text_tree_starts_at_the_roots_and_labels_non_default_edges(db: list[str]) -> None:
    """Roots first; a diamond's sink printed once, then ``(see above)``; options in brackets."""
    result = run("graph", *db)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:5] == [
        "a",
        "  b",
        "    d",
        "  c",
        "    d (see above)",
    ]
    assert "  d [offset -1d, optional] (see above)" in lines
    assert "listings" in lines
    assert "  fallback [FAILED|SUCCEEDED]" in lines
    assert "  pipeline-x" in lines
    assert "  d [anyOf] (see above)" in lines or "  d [anyOf]" in lines
    assert "orders" in lines  # a pipeline without dependencies is a root with no children


def test_upstream_and_downstream_views_of_one_pipeline(db: list[str]) -> None:
    """``--upstream``: what it needs, recursively; ``--downstream``: what needs it."""
    up = run("graph", "d", "--upstream", *db).stdout.splitlines()
    assert up[0] == "d"
    assert up[1:3] == ["  b", "    a"]
    assert "  a [offset -1d, optional] (see above)" in up
    assert "  fx-primary [anyOf]" in up
    down = run("graph", "listings", "--downstream", *db).stdout.splitlines()
    assert down == ["listings", "  fallback [FAILED|SUCCEEDED]", "  pipeline-x"]
    assert run("graph", "listings", *db).stdout.splitlines() == down  # downstream by default


def test_mermaid_and_dot(db: list[str]) -> None:
    """Quoted labels and ids, one edge per dependency, labels for non-default edges."""
    mermaid = run("graph", "listings", "--format", "mermaid", *db).stdout.splitlines()
    assert mermaid[0] == "graph LR"
    assert '  n0["fallback"]' in mermaid
    assert '  n1 -->|"FAILED#124;SUCCEEDED"| n0' in mermaid
    assert "  n1 --> n2" in mermaid
    dot = run("graph", "listings", "--format", "dot", *db).stdout
    assert dot.startswith("digraph interlock {")
    assert '  "listings" -> "pipeline-x";' in dot
    assert '  "listings" -> "fallback" [label="FAILED|SUCCEEDED"];' in dot
    assert dot.rstrip().endswith("}")


def test_json_nodes_and_edges(db: list[str]) -> None:
    """``{nodes, edges:[{from,to,label,status,mapping,optional,group}]}``, pinned."""
    shown = json.loads(run("graph", "d", "--upstream", "--json", *db).stdout)
    GraphOut.model_validate(shown)
    assert [n["id"] for n in shown["nodes"]] == ["a", "b", "c", "d", "fx-backup", "fx-primary"]
    offset = next(e for e in shown["edges"] if e["label"] == "a (offset -1d)")
    assert offset == {
        "from": "a",
        "to": "d",
        "label": "a (offset -1d)",
        "status": ["SUCCEEDED"],
        "mapping": "offset -1d",
        "optional": True,
        "group": "allOf",
    }
    assert {e["from"] for e in shown["edges"] if e["group"] == "anyOf"} == {
        "fx-primary",
        "fx-backup",
    }


def test_unknown_pipeline_is_one_line_with_a_did_you_mean(db: list[str]) -> None:
    """A typo is refused in one line naming the near miss, exit 2, never a traceback."""
    result = run("graph", "listngs", *db)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "did you mean 'listings'?" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_empty_graph_is_a_sentence(tmp_path: Path) -> None:
    """An installation with no pipelines yet: what to do, exit 0."""
    Interlock(db=f"sqlite:///{tmp_path}/empty.db").close()
    result = run("graph", "--db", f"sqlite:///{tmp_path}/empty.db")
    assert result.exit_code == 0, result.output
    assert result.stdout == "no pipelines are stored; run interlock apply PATH first\n"


def test_status_shows_direct_upstreams(db: list[str]) -> None:
    """A column in the table; ``upstreams`` in each JSON item, beside RunOut's keys."""
    table = run("status", "pipeline-x", *db).stdout
    assert "upstreams" in table.splitlines()[1] or "upstreams" in table
    assert "listings, searches" in table
    items = json.loads(run("status", "--json", *db).stdout)
    by_pipeline = {item["pipeline"]: item for item in items}
    assert by_pipeline["pipeline-x"]["upstreams"] == ["listings", "searches"]
    assert by_pipeline["orders"]["upstreams"] == []
    assert set(by_pipeline["orders"]) == {
        "pipeline",
        "partition",
        "state",
        "attempt",
        "openedAt",
        "finishedAt",
        "nextCheckAt",
        "upstreams",
    }
