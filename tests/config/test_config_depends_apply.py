"""``apply`` and ``validate`` refuse a broken dependency graph, through the real SQLite store.

``apply FILE`` joins the stored pipelines: its upstreams may be stored, and what it changes
may break a stored downstream. A refused apply stores nothing and exits 1 with the problems,
as for any config error; ``validate DIR`` (and several paths) show the same problems.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from interlock.app import Interlock
from interlock.cli import main
from interlock.errors import ConfigError

DAILY = "schedule: {cron: '0 9 * * *'}\n"
HOURLY = "schedule: {cron: '5 * * * *'}\n"


def doc(pipeline_id: str, body: str = "") -> str:
    """A pipeline with a mock job; ``body`` adds its schedule and dependsOn."""
    return f"pipeline: {{id: {pipeline_id}}}\n{body}job: {{type: mock}}\n"


def write(path: Path, text: str) -> Path:
    """``text`` in ``path`` (folders made as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def il(tmp_path: Path):
    """An installation whose store already holds listings and searches (daily)."""
    installation = Interlock(db=f"sqlite:///{tmp_path}/interlock.db")
    write(tmp_path / "upstreams/listings.yaml", doc("listings", DAILY))
    write(tmp_path / "upstreams/searches.yaml", doc("searches", DAILY))
    installation.apply(tmp_path / "upstreams")
    yield installation
    installation.close()


def stored(il: Interlock) -> dict[str, int]:
    """Stored pipeline id → version."""
    return {p.id: p.version for p in il.store.stored_pipelines()}


def test_a_file_may_name_stored_upstreams(il, tmp_path):
    """pipeline-x applied on its own: both upstreams are stored, so it is accepted."""
    path = write(
        tmp_path / "x.yaml", doc("pipeline-x", DAILY + "dependsOn: [listings, searches]\n")
    )
    report = il.apply(path)
    assert report.added == ("pipeline-x",)
    assert il.spec("pipeline-x").upstream_ids == {"listings", "searches"}


def test_an_unknown_upstream_is_refused_and_nothing_is_stored(il, tmp_path):
    """A typo in an upstream id: one problem with a did-you-mean from the stored ids."""
    before = stored(il)
    path = write(tmp_path / "x.yaml", doc("pipeline-x", "dependsOn: [listings, serches]\n"))
    with pytest.raises(ConfigError) as info:
        il.apply(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.field) == (str(path), 2, "dependsOn.allOf[1]")
    assert problem.message == 'unknown upstream pipeline "serches"'
    assert problem.fix == "did you mean `searches`?"
    assert stored(il) == before


def test_a_cycle_through_stored_pipelines_is_refused(il, tmp_path):
    """X waits for listings; a new listings waiting for x would close a loop: refused."""
    il.apply(write(tmp_path / "x.yaml", doc("pipeline-x", "dependsOn: [listings]\n")))
    before = stored(il)
    looping = write(
        tmp_path / "new/listings.yaml", doc("listings", DAILY + "dependsOn: [pipeline-x]\n")
    )
    with pytest.raises(ConfigError) as info:
        il.apply(looping)
    (problem,) = info.value.problems
    assert "dependency cycle listings → pipeline-x → listings" in problem.message
    assert (problem.file, problem.line) == (str(looping), 3)
    assert stored(il) == before


def test_changing_an_upstream_may_break_a_stored_downstream(il, tmp_path):
    """Listings turning hourly leaves daily pipeline-x's `same` with nothing to match."""
    x = write(tmp_path / "x.yaml", doc("pipeline-x", DAILY + "dependsOn: [listings]\n"))
    il.apply(x)
    before = stored(il)
    with pytest.raises(ConfigError) as info:
        il.apply(write(tmp_path / "new/listings.yaml", doc("listings", HOURLY)))
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(x), 3)
    assert "pipeline-x has daily partitions and listings hourly ones" in problem.message
    assert stored(il) == before


def test_a_stored_downstream_is_seen_however_its_key_is_spelt(il, tmp_path):
    """Apply parses only stored files that may depend on others: an escaped key still does."""
    spelt = "pipeline: {id: pipeline-x}\n" + DAILY + '"depends\\x4fn": [listings]\n'
    x = write(tmp_path / "x.yaml", spelt + "job: {type: mock}\n")
    il.apply(x)
    assert il.spec("pipeline-x").upstream_ids == {"listings"}
    write(tmp_path / "plain/other.yaml", doc("other", DAILY))
    il.apply(tmp_path / "plain")  # stored pipelines without dependencies count by id
    with pytest.raises(ConfigError) as info:
        il.apply(write(tmp_path / "new/listings.yaml", doc("listings", HOURLY)))
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(x), 3)


def test_a_whole_folder_may_replace_what_it_depends_on(il, tmp_path):
    """The new versions count, not the stored ones: listings hourly and x on all its hours."""
    folder = tmp_path / "next"
    write(folder / "listings.yaml", doc("listings", HOURLY))
    write(
        folder / "x.yaml",
        doc("pipeline-x", DAILY + "dependsOn: [{pipeline: listings, partition: {all: hour}}]\n"),
    )
    report = il.apply(folder)
    assert (report.added, report.changed) == (("pipeline-x",), ("listings",))


def test_cli_apply_refused_prints_the_problems_and_exits_1(tmp_path):
    """``interlock apply FILE``: the problem line on stderr, exit 1, the database unchanged."""
    db = ["--db", f"sqlite:///{tmp_path}/cli.db"]
    runner = CliRunner()
    write(tmp_path / "up/listings.yaml", doc("listings", DAILY))
    assert runner.invoke(main, ["apply", str(tmp_path / "up"), *db]).exit_code == 0
    bad = write(tmp_path / "x.yaml", doc("pipeline-x", "dependsOn: [listngs]\n"))
    result = runner.invoke(main, ["apply", str(bad), *db])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        (
            f'{bad}:2: dependsOn.allOf[0]: unknown upstream pipeline "listngs"'
            " (did you mean `listings`?)"
        )
    ]
    listed = runner.invoke(main, ["pipelines", "--json", *db])
    assert [p["id"] for p in json.loads(listed.stdout)] == ["listings"]


# validate ------------------------------------------------------------------------------------


@pytest.fixture
def graph(tmp_path: Path) -> Path:
    """A folder with a cycle and an unknown upstream."""
    folder = tmp_path / "pipelines"
    write(folder / "a.yaml", doc("a", "dependsOn: [b]\n"))
    write(folder / "b.yaml", doc("b", "dependsOn: [a]\n"))
    write(folder / "x.yaml", doc("x", "dependsOn: [listings]\n"))
    return folder


def test_validate_dir_shows_graph_problems(graph):
    """Like every other problem: ``file:line: field: message (fix)``, a count, exit 1."""
    result = CliRunner().invoke(main, ["validate", str(graph)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        (
            f"{graph}/a.yaml:2: dependsOn.allOf[0]: dependency cycle a → b → a: every pipeline"
            " on it waits for itself (remove one of its dependencies, e.g. this one: a waits"
            " for b)"
        ),
        (
            f'{graph}/x.yaml:2: dependsOn.allOf[0]: unknown upstream pipeline "listings"'
            ' (define pipeline "listings" here or apply it first, or fix the id)'
        ),
        "2 problems found",
    ]


def test_validate_json_lists_graph_problems(graph):
    """``--json``: the same problems as objects."""
    result = CliRunner().invoke(main, ["validate", "--json", str(graph)])
    assert result.exit_code == 1
    assert [(p["file"], p["line"], p["field"]) for p in json.loads(result.stdout)] == [
        (str(graph / "a.yaml"), 2, "dependsOn.allOf[0]"),
        (str(graph / "x.yaml"), 2, "dependsOn.allOf[0]"),
    ]


def test_validate_several_paths_checks_them_as_one_graph(graph, tmp_path):
    """``validate pipelines/*.yaml``: the cycle across two files is found; one file alone is ok."""
    runner = CliRunner()
    both = runner.invoke(main, ["validate", str(graph / "a.yaml"), str(graph / "b.yaml")])
    assert both.exit_code == 1
    assert "dependency cycle a → b → a" in both.stderr
    alone = runner.invoke(main, ["validate", str(graph / "x.yaml")])
    assert alone.exit_code == 0, alone.output
    upstream = write(tmp_path / "elsewhere/listings.yaml", doc("listings"))
    joined = runner.invoke(main, ["validate", str(graph / "x.yaml"), str(upstream)])
    assert joined.exit_code == 0, joined.output
