"""``dependsOn`` across pipelines: unknown ids, cycles and mappings, refused before anything runs.

A directory is one graph (``load_pipelines``, ``interlock validate DIR``); ``apply`` checks
the graph the new files would join, stored pipelines included, and stores nothing when it is
broken. The cycle check is compared with :mod:`graphlib` on random graphs.
"""

from __future__ import annotations

import graphlib
import itertools
import random
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.config import (
    check_dependency_graph,
    dependency_cycles,
    load_pipeline_file,
    load_pipelines,
)
from interlock.errors import ConfigError
from interlock.model.dependencies import Dependency, DependsOnSpec
from interlock.model.specs import PipelineSpec, ScheduleSpec

DAILY = "schedule: {cron: '0 9 * * *'}"
HOURLY = "schedule: {cron: '5 * * * *'}"


def pipeline(pipeline_id: str, depends: str = "", schedule: str = "") -> str:
    """A pipeline document: its id, an optional schedule line and a dependsOn block."""
    lines = [f"pipeline: {{id: {pipeline_id}}}", schedule, textwrap.dedent(depends).strip()]
    return "\n".join(line for line in [*lines, "job: {type: mock}"] if line) + "\n"


def write(folder: Path, **documents: str) -> Path:
    """Each document as ``<name>.yaml`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def problems_in(folder: Path) -> list[str]:
    """Every problem of loading ``folder``, as printed, with the folder left out."""
    with pytest.raises(ConfigError) as info:
        load_pipelines(folder)
    return [str(problem).replace(f"{folder}/", "") for problem in info.value.problems]


# The graph of a directory --------------------------------------------------------------------


def test_a_sound_graph_loads(tmp_path):
    """Listings + searches → pipeline-x, a fallback on listings FAILED, a daily roll-up of hours."""
    folder = write(
        tmp_path,
        listings=pipeline("listings", schedule=DAILY),
        searches=pipeline("searches", schedule=DAILY),
        x=pipeline("pipeline-x", "dependsOn: [listings, searches]", DAILY),
        fallback=pipeline("fallback", "dependsOn: [{pipeline: listings, status: FAILED}]"),
        hours=pipeline("hours", schedule=HOURLY),
        day=pipeline(
            "day",
            "dependsOn: [{pipeline: hours, partition: {all: hour}},"
            " {pipeline: day-before, partition: latest}]",
            DAILY,
        ),
        before=pipeline(
            "day-before", "dependsOn: [{pipeline: listings, partition: {offset: -1d}}]"
        ),
    )
    specs = {spec.id: spec for spec in load_pipelines(folder)}
    assert specs["pipeline-x"].upstream_ids == {"listings", "searches"}
    assert specs["day"].upstream_ids == {"hours", "day-before"}


def test_unknown_upstream_names_the_downstream_file_and_line(tmp_path):
    """With a did-you-mean when an id is close, else how to fix it."""
    folder = write(
        tmp_path,
        listings=pipeline("listings"),
        x=pipeline("pipeline-x", "dependsOn:\n  - listngs\n  - {pipeline: searches}"),
    )
    assert problems_in(folder) == [
        (
            'x.yaml:3: dependsOn.allOf[0]: unknown upstream pipeline "listngs"'
            " (did you mean `listings`?)"
        ),
        (
            'x.yaml:4: dependsOn.allOf[1]: unknown upstream pipeline "searches"'
            ' (define pipeline "searches" here or apply it first, or fix the id)'
        ),
    ]


def test_a_cycle_names_every_pipeline_in_order_once(tmp_path):
    """The cycle a → b → c → a, in data order, at the edge that closes it: a waits for c."""
    folder = write(
        tmp_path,
        a=pipeline("a", "dependsOn: [c]"),
        b=pipeline("b", "dependsOn: [a]"),
        c=pipeline("c", "dependsOn:\n  anyOf: [b, d]"),
        d=pipeline("d"),
    )
    assert problems_in(folder) == [
        (
            "a.yaml:2: dependsOn.allOf[0]: dependency cycle a → b → c → a: every pipeline on"
            " it waits for itself (remove one of its dependencies, e.g. this one: a waits for c)"
        )
    ]


def test_two_loops_two_problems_and_the_rest_of_a_tangle_is_named(tmp_path):
    """Each loop once; pipelines of the same loop off the reported cycle are named."""
    folder = write(
        tmp_path,
        a=pipeline("a", "dependsOn: [b]"),
        b=pipeline("b", "dependsOn: [a, c]"),
        c=pipeline("c", "dependsOn: [b]"),
        x=pipeline("x", "dependsOn: [y]"),
        y=pipeline("y", "dependsOn: [x]"),
    )
    problems = problems_in(folder)
    assert len(problems) == 2
    assert "dependency cycle a → b → a" in problems[0]
    assert "(also in this loop: c)" in problems[0]
    assert problems[0].startswith("a.yaml:2: dependsOn.allOf[0]")
    assert "dependency cycle x → y → x" in problems[1]


@pytest.mark.parametrize(
    ("upstream", "downstream", "message", "fix"),
    [
        (DAILY, "{pipeline: up, partition: {all: hour}}",
         "{all: hour} waits for hourly partitions, and up has daily ones", "`partition: same`"),
        (DAILY, "{pipeline: up, partition: {offset: -1h}}",
         "offset -1h names an hour, and up has daily partitions", "whole days"),
        (HOURLY, "{pipeline: up}",
         "down has daily partitions and up hourly ones: `same` never finds a run of up",
         "{all: hour}"),
        (HOURLY, "{pipeline: up, partition: {offset: -1d}}",
         "`offset -1d` never finds a run of up", "{all: hour}"),
    ],
    ids=["all-hours-of-a-daily-upstream", "hour-offset-on-daily-upstream",
         "same-daily-on-hourly", "offset-daily-on-hourly"],
)  # fmt: skip
def test_a_mapping_the_upstream_cannot_serve(tmp_path, upstream, downstream, message, fix):
    """Mappings to partitions the upstream never has would wait silently: refused."""
    schedule = "" if "offset: -1h" in downstream else DAILY
    folder = write(
        tmp_path,
        up=pipeline("up", schedule=upstream),
        down=pipeline("down", f"dependsOn:\n  - {downstream}", schedule),
    )
    (problem,) = problems_in(folder)
    line = 4 if schedule else 3  # the dependency's own line, below the schedule
    assert problem.startswith(f"down.yaml:{line}: dependsOn.allOf[0].partition: ")
    assert message in problem
    assert fix in problem


def test_an_hourly_pipeline_on_a_daily_one_is_told_to_use_latest(tmp_path):
    """Each hour of today needs today's daily run: no mapping names it, `latest` comes close."""
    folder = write(
        tmp_path,
        up=pipeline("up", schedule=DAILY),
        down=pipeline("down", "dependsOn: [up]", HOURLY),
    )
    (problem,) = problems_in(folder)
    assert "down has hourly partitions and up daily ones" in problem
    assert "use `partition: latest`" in problem


def test_mappings_without_a_known_granularity_are_left_to_the_runtime(tmp_path):
    """A trigger pipeline without a deadline has no partitions of its own to compare."""
    trigger = "schedule: {trigger: {key: k, check: exists}}"
    folder = write(
        tmp_path,
        up=pipeline("up", schedule=trigger),
        down=pipeline("down", "dependsOn: [{pipeline: up, partition: {all: hour}}]", DAILY),
        late=pipeline("late", "dependsOn: [{pipeline: up, partition: latest}]", HOURLY),
    )
    assert {spec.id for spec in load_pipelines(folder)} == {"up", "down", "late"}


def test_a_broken_file_hides_unknown_ids_but_not_cycles(tmp_path):
    """The id may be the broken file's, so no "unknown" guess; a cycle among the rest is sure."""
    folder = write(
        tmp_path,
        broken="pipeline: {id: listings}\nschedule: {cron: nope}\n",
        x=pipeline("pipeline-x", "dependsOn: [listings]"),
        a=pipeline("a", "dependsOn: [b]"),
        b=pipeline("b", "dependsOn: [a]"),
    )
    problems = problems_in(folder)
    assert [p.split(":")[0] for p in problems] == ["broken.yaml", "a.yaml"]
    assert "dependency cycle a → b → a" in problems[1]


def test_one_file_is_not_a_graph(tmp_path):
    """Its upstreams live elsewhere: ``load_pipeline_file``, ``load_pipelines(file)`` accept it."""
    path = write(tmp_path, x=pipeline("pipeline-x", "dependsOn: [listings]")) / "x.yaml"
    assert load_pipeline_file(path).upstream_ids == {"listings"}
    assert load_pipelines(path)[0].upstream_ids == {"listings"}
    with pytest.raises(ConfigError):
        load_pipelines(tmp_path)


def test_problems_do_not_depend_on_the_order_of_the_specs(tmp_path):
    """The same graph in any order gives the same problems in the same order."""
    folder = write(
        tmp_path,
        a=pipeline("a", "dependsOn: [c, nope]"),
        b=pipeline("b", "dependsOn: [a]"),
        c=pipeline("c", "dependsOn: [b, {pipeline: hours, partition: {offset: -1h}}]"),
        d=pipeline("d", "dependsOn: [d2]"),
        d2=pipeline("d2", "dependsOn: [d]"),
        hours=pipeline("hours", schedule=DAILY),
    )
    specs = list(load_pipelines(folder, check_graph=False))
    expected = check_dependency_graph(specs)
    assert len(expected) == 4
    for seed in range(10):
        random.Random(seed).shuffle(specs)  # noqa: S311 - an order, not a secret
        assert check_dependency_graph(specs) == expected


def test_a_long_chain_closed_at_the_end_is_one_cycle():
    """10,000 pipelines deep: no recursion limit, one cycle naming all of them."""
    count = 10_000
    specs = [_spec(f"p{i:05d}", [f"p{(i + 1) % count:05d}"]) for i in range(count)]
    (cycle,) = dependency_cycles({spec.id: spec for spec in specs})
    assert len(cycle) == count + 1
    assert cycle[0] == cycle[-1] == "p00000"
    assert cycle[1] == f"p{count - 1:05d}"  # p09999 waits for p00000: the data flows that way


# Cycles against a reference ------------------------------------------------------------------


def _spec(pipeline_id: str, upstreams: list[str]) -> PipelineSpec:
    """A spec with ``dependsOn: upstreams`` (the check reads only ids, edges and schedules)."""
    deps = tuple(Dependency(pipeline=up, line=i + 2) for i, up in enumerate(upstreams))
    return PipelineSpec(
        id=pipeline_id,
        schedule=ScheduleSpec(),
        depends_on=DependsOnSpec(all_of=deps) if deps else None,
        source=f"{pipeline_id}.yaml",
    )


GRAPHS = st.integers(1, 9).flatmap(
    lambda n: st.lists(
        st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n, unique=True
    ).map(lambda edges: (n, edges))
)
"""Random directed graphs on up to 9 pipelines (self-loops included): (nodes, down→up edges)."""


@settings(max_examples=500, deadline=None)
@given(GRAPHS)
def test_cycles_are_found_iff_graphlib_finds_one_and_are_real(graph):
    """A cycle is reported iff graphlib finds one, and each is real and reported once.

    Real: a closed path along edges of the graph, no pipeline twice. Once: no two reported
    cycles share a pipeline, and each is one problem in its first pipeline's file.
    """
    n, edges = graph
    ids = [f"n{i}" for i in range(n)]
    upstreams = {pipeline_id: [] for pipeline_id in ids}
    for down, up in edges:
        upstreams[ids[down]].append(ids[up])
    specs = {pipeline_id: _spec(pipeline_id, ups) for pipeline_id, ups in upstreams.items()}
    try:
        graphlib.TopologicalSorter(upstreams).prepare()
        has_cycle = False
    except graphlib.CycleError:
        has_cycle = True
    cycles = dependency_cycles(specs)
    assert bool(cycles) == has_cycle
    seen: set[str] = set()
    for cycle in cycles:
        assert len(cycle) >= 2
        assert cycle[0] == cycle[-1] == min(cycle)
        for upstream, downstream in itertools.pairwise(cycle):
            assert upstream in upstreams[downstream]  # downstream waits for upstream
        members = set(cycle[:-1])
        assert len(members) == len(cycle) - 1  # a simple cycle: no pipeline twice
        assert not members & seen
        seen |= members
    problems = [p for p in check_dependency_graph(specs.values()) if "cycle" in p.message]
    assert len(problems) == len(cycles)
    for cycle, problem in zip(cycles, sorted(problems, key=lambda p: p.file), strict=True):
        assert " → ".join(cycle) in problem.message
        assert problem.file == f"{cycle[0]}.yaml"
