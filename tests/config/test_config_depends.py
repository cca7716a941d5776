"""``dependsOn``, ``onUpstreamRerun`` and ``job.maxUpstreamReruns`` in one pipeline file.

What the forms mean once loaded, the defaults, and every mistake one file can hold, each with
its line, field and fix. Line 1 is always ``pipeline: {id: p}``; a row's mistake starts on
line 2. The graph across files is ``test_config_depends_graph.py``'s.
"""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest
import yaml
from config_support import assert_problem, assert_sound, case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.config import parse_pipeline
from interlock.decide.plan import expected_granularity
from interlock.errors import ConfigError
from interlock.model import RunState
from interlock.model.dependencies import (
    Dependency,
    DependsOnSpec,
    MappingKind,
    PartitionMapping,
    UpstreamRerunPolicy,
    upstream_partitions,
)
from interlock.timing.schedule import fires_hourly, partition_granularity

ID = "pipeline: {id: p}\n"
DAILY = "schedule: {cron: '0 9 * * *'}\n"
HOURLY = "schedule: {cron: '5 * * * *'}\n"
OK = frozenset({RunState.SUCCEEDED})


def offset(**amount: int) -> PartitionMapping:
    """``{offset: ...}`` of ``timedelta(**amount)``."""
    return PartitionMapping(kind=MappingKind.OFFSET, offset=timedelta(**amount))


def depends(parse, body: str):
    """The DependsOnSpec of ``ID + body``."""
    spec = parse(ID + textwrap.dedent(body))
    return spec.depends_on


# Forms ---------------------------------------------------------------------------------------


def test_short_form_is_all_of_succeeded_with_lines(parse):
    """``dependsOn: [listings, searches]``: both must succeed, same partition; lines kept."""
    spec = depends(parse, "dependsOn:\n  - listings\n  - searches\n")
    assert spec == DependsOnSpec(
        all_of=(Dependency(pipeline="listings"), Dependency(pipeline="searches"))
    )
    assert [dep.line for dep in spec.all_of] == [3, 4]
    assert spec.dependencies[0].statuses == OK
    assert spec.dependencies[0].partition == PartitionMapping(kind=MappingKind.SAME)
    assert spec.dependencies[0].optional is False


def test_short_form_items_may_be_mappings(parse):
    """A fallback: ``[searches, {pipeline: listings, status: FAILED}]`` in one list."""
    spec = depends(parse, "dependsOn: [searches, {pipeline: listings, status: FAILED}]\n")
    assert spec.all_of == (
        Dependency(pipeline="searches"),
        Dependency(pipeline="listings", statuses=frozenset({RunState.FAILED})),
    )


def test_full_form_as_in_the_issue(parse):
    """operator, allOf and anyOf, statuses as one value or a list, in any case."""
    spec = depends(
        parse,
        """\
        dependsOn:
          operator: or
          allOf:
            - {pipeline: listings}
            - {pipeline: searches, status: [succeeded, Failed]}
          anyOf:
            - {pipeline: fx-rates-primary, optional: true}
            - fx-rates-backup
        """,
    )
    assert spec.operator == "OR"
    assert [dep.pipeline for dep in spec.all_of] == ["listings", "searches"]
    assert spec.all_of[1].statuses == {RunState.SUCCEEDED, RunState.FAILED}
    assert [(dep.pipeline, dep.optional) for dep in spec.any_of] == [
        ("fx-rates-primary", True),
        ("fx-rates-backup", False),
    ]
    assert [dep.line for dep in spec.dependencies] == [5, 6, 8, 9]


@pytest.mark.parametrize(
    ("schedule", "written", "expected"),
    [
        (DAILY, "same", PartitionMapping()),
        (DAILY, "Latest", PartitionMapping(kind=MappingKind.LATEST)),
        (DAILY, "{offset: -1d}", offset(days=-1)),
        (DAILY, "{offset: -7d}", offset(days=-7)),
        (HOURLY, "{offset: -1h}", offset(hours=-1)),
        (HOURLY, "{offset: -1d}", offset(days=-1)),
        (DAILY, "{all: hour}", PartitionMapping(kind=MappingKind.ALL)),
        ("", "{all: HOUR}", PartitionMapping(kind=MappingKind.ALL)),
        ("", "{offset: -2h}", offset(hours=-2)),
    ],
    ids=["same", "latest", "yesterday", "last-week", "last-hour", "hourly-yesterday",
         "all-hours", "all-hours-no-schedule", "hours-no-schedule"],
)  # fmt: skip
def test_each_partition_mapping(parse, schedule, written, expected):
    """Each mapping of the issue, on a pipeline whose partitions it fits."""
    spec = depends(parse, f"{schedule}dependsOn:\n  - {{pipeline: up, partition: {written}}}\n")
    assert spec.all_of[0].partition == expected


@pytest.mark.parametrize(
    ("day", "upstream_zone", "count", "first", "last"),
    [
        ("2026-11-23", "Europe/Berlin", 24, "2026-11-23T00", "2026-11-23T23"),
        ("2026-11-23", "UTC", 24, "2026-11-22T23", "2026-11-23T22"),
        ("2026-03-29", "Europe/Berlin", 23, "2026-03-29T00", "2026-03-29T23"),
        ("2026-03-29", "UTC", 23, "2026-03-28T23", "2026-03-29T21"),
        ("2026-10-25", "Europe/Berlin", 24, "2026-10-25T00", "2026-10-25T23"),
        ("2026-10-25", "UTC", 25, "2026-10-24T22", "2026-10-25T22"),
    ],
)
def test_all_hours_across_dst_as_documented(parse, day, upstream_zone, count, first, last):  # noqa: PLR0917
    """docs/dependencies.md's table: a Berlin day's hours, named on the upstream's clock."""
    spec = parse(
        ID
        + "schedule: {cron: '0 9 * * *', timezone: Europe/Berlin}\n"
        + "dependsOn: [{pipeline: hours, partition: {all: hour}}]\n"
    )
    (dep,) = spec.depends_on.all_of
    hours = upstream_partitions(
        dep, day, timezone=spec.schedule.timezone, upstream_timezone=upstream_zone
    )
    assert (len(hours), hours[0], hours[-1]) == (count, first, last)
    assert len(set(hours)) == len(hours)


def test_defaults_without_dependencies(parse):
    """No dependsOn: none, rerun on an upstream rerun, a budget of two upstream reruns."""
    spec = parse(ID + "job: {type: mock}\n")
    assert spec.depends_on is None
    assert spec.upstream_ids == frozenset()
    assert spec.on_upstream_rerun is UpstreamRerunPolicy.RERUN
    assert spec.job is not None
    assert spec.job.max_upstream_reruns == 2


@pytest.mark.parametrize("policy", ["rerun", "alert", "ignore", "Alert"])
def test_on_upstream_rerun_and_budget(parse, policy):
    """``onUpstreamRerun`` and ``job.maxUpstreamReruns`` are read as written."""
    spec = parse(
        ID
        + f"dependsOn: [up]\nonUpstreamRerun: {policy}\njob: {{type: mock, maxUpstreamReruns: 0}}\n"
    )
    assert spec.on_upstream_rerun is UpstreamRerunPolicy(policy.lower())
    assert spec.job is not None
    assert spec.job.max_upstream_reruns == 0


def test_dependencies_change_the_config_hash(parse):
    """A changed status is a new config version (stored, and reloaded by serve)."""
    first = parse(ID + "dependsOn: [{pipeline: up, status: SUCCEEDED}]\n")
    second = parse(ID + "dependsOn: [{pipeline: up, status: FAILED}]\n")
    assert first.config_hash != second.config_hash


# Mistakes in one file ------------------------------------------------------------------------

ALLOWED = "SUCCEEDED, FAILED, EXHAUSTED, CANCELLED"

# fmt: off
DEPENDS_ERRORS = [
    # --- shape ---------------------------------------------------------------------------
    case("dependsOn: []\n", 2, "dependsOn",
         "lists no upstream pipeline", "name at least one", "empty-list"),
    case("dependsOn:\n", 2, "dependsOn", "is empty", "dependsOn: [listings]", "null"),
    case("dependsOn: {}\n", 2, "dependsOn",
         "lists no upstream pipeline", "add `allOf:`", "empty-mapping"),
    case("dependsOn: {operator: AND}\n", 2, "dependsOn",
         "lists no upstream pipeline", "add `allOf:`", "operator-only"),
    case("dependsOn: {allOf: []}\n", 2, "dependsOn.allOf",
         "`allOf` lists no upstream pipeline", "remove `allOf`", "empty-all-of"),
    case("dependsOn: listings\n", 2, "dependsOn",
         "must be a list or a mapping, got a string", "dependsOn: [listings, searches]",
         "bare-string"),
    case("dependsOn: [listings, ~]\n", 2, "dependsOn[1]",
         "empty list item", "write a pipeline id", "null-item"),
    case("dependsOn: [42]\n", 2, "dependsOn[0]",
         "must be a pipeline id or a mapping, got a number", 'quote it: "42"', "number-item"),
    case("dependsOn: [[a]]\n", 2, "dependsOn[0]",
         "must be a pipeline id or a mapping, got a list", "- {pipeline: listings", "list-item"),
    case("dependsOn: ['  ']\n", 2, "dependsOn[0]", "must not be empty", "non-empty", "blank-id"),
    # --- unknown keys, with suggestions --------------------------------------------------
    case("dependsOn: {allof: [a]}\n", 2, "dependsOn.allof",
         "unknown key `allof`", "did you mean `allOf`?", "group-typo"),
    case("dependsOn:\n  - {pipeline: a, statuses: FAILED}\n", 3, "dependsOn[0].statuses",
         "unknown key `statuses`", "did you mean `status`?", "entry-typo"),
    case("dependsOn:\n  - {pipeline: a, optinal: true}\n", 3, "dependsOn[0].optinal",
         "unknown key `optinal`", "did you mean `optional`?", "optional-typo"),
    case("dependsOn:\n  - {status: FAILED}\n", 3, "dependsOn[0].pipeline",
         "missing required field", "add `pipeline:` under `dependsOn[0]`", "pipeline-missing"),
    case("dependson: [a]\n", 2, "dependson",
         "unknown key `dependson`", "did you mean `dependsOn`?", "root-typo"),
    case("onUpstreamReruns: alert\ndependsOn: [a]\n", 2, "onUpstreamReruns",
         "unknown key", "did you mean `onUpstreamRerun`?", "policy-key-typo"),
    case("job: {type: mock, maxUpstreamRerun: 1}\n", 2, "job.maxUpstreamRerun",
         "unknown key", "did you mean `maxUpstreamReruns`?", "budget-key-typo"),
    # --- status --------------------------------------------------------------------------
    case("dependsOn:\n  - {pipeline: a, status: DONE}\n", 3, "dependsOn[0].status",
         f'"DONE" is not a status a dependency can wait for ({ALLOWED})',
         "use one of: `SUCCEEDED`", "status-unknown"),
    case("dependsOn:\n  - {pipeline: a, status: SUCEEDED}\n", 3, "dependsOn[0].status",
         "is not a status", "did you mean `SUCCEEDED`?", "status-typo"),
    case("dependsOn:\n  - {pipeline: a, status: RUNNING}\n", 3, "dependsOn[0].status",
         f'"RUNNING" is not a final run state (a dependency waits for one: {ALLOWED})',
         "use one of", "status-not-final"),
    case("dependsOn:\n  - {pipeline: a, status: [SUCCEEDED, SHADOWED]}\n", 3,
         "dependsOn[0].status[1]", '"SHADOWED" is not a final run state', "use one of",
         "status-in-list"),
    case("dependsOn:\n  - {pipeline: a, status: []}\n", 3, "dependsOn[0].status",
         "lists no status", "remove `status`", "status-empty"),
    case("dependsOn:\n  - {pipeline: a, status: 1}\n", 3, "dependsOn[0].status",
         "must be a status or a list of them, got a number", "status: [SUCCEEDED, FAILED]",
         "status-number"),
    # --- operator, onUpstreamRerun, maxUpstreamReruns ------------------------------------
    case("dependsOn: {operator: XOR, allOf: [a], anyOf: [b]}\n", 2, "dependsOn.operator",
         '"XOR" is not AND or OR', "use AND", "operator-unknown"),
    case("dependsOn: {operator: OR, anyOf: [a, b]}\n", 2, "dependsOn.operator",
         "OR combines allOf with anyOf", "list them under anyOf", "or-one-group"),
    case("dependsOn: [a]\nonUpstreamRerun: sometimes\n", 3, "onUpstreamRerun",
         '"sometimes" is not rerun, alert or ignore', "use one of: `rerun`, `alert`, `ignore`",
         "policy-unknown"),
    case("dependsOn: [a]\nonUpstreamRerun: rerun-once\n", 3, "onUpstreamRerun",
         "is not rerun, alert or ignore", "did you mean `rerun`?", "policy-typo"),
    case("onUpstreamRerun: alert\n", 2, "onUpstreamRerun",
         "has no effect without dependsOn", "add `dependsOn`", "policy-without-deps"),
    case("job: {type: mock, maxUpstreamReruns: 11}\n", 2, "job.maxUpstreamReruns",
         "11 out of range [0,10]", "from 0 to 10", "budget-range"),
    # --- partition -----------------------------------------------------------------------
    case("dependsOn:\n  - {pipeline: a, partition: yesterday}\n", 3, "dependsOn[0].partition",
         'unknown partition mapping "yesterday"', "{all: hour} or {all: <dimension>}",
         "mapping-unknown"),
    case("dependsOn:\n  - {pipeline: a, partition: -1d}\n", 3, "dependsOn[0].partition",
         'unknown partition mapping "-1d"', "write {offset: -1d}", "offset-bare"),
    case("dependsOn:\n  - {pipeline: a, partition: {offset: -1d, all: hour}}\n", 3,
         "dependsOn[0].partition", "names both offset and all", "one of them", "mapping-both"),
    case("dependsOn:\n  - {pipeline: a, partition: {ofset: -1d}}\n", 3,
         "dependsOn[0].partition.ofset", "unknown key", "did you mean `offset`?", "offset-typo"),
    case("dependsOn:\n  - {pipeline: a, partition: {offset: 0s}}\n", 3,
         "dependsOn[0].partition.offset", "an offset of zero is the same partition",
         "`partition: same`", "offset-zero"),
    case("dependsOn:\n  - {pipeline: a, partition: {offset: -90m}}\n", 3,
         "dependsOn[0].partition.offset", "-90m is not a whole number of hours", "-1h",
         "offset-minutes"),
    case("dependsOn:\n  - {pipeline: a, partition: {offset: -400d}}\n", 3,
         "dependsOn[0].partition.offset", "-400d is further than a year", "366d",
         "offset-too-far"),
    case("dependsOn:\n  - {pipeline: a, partition: {offset: yesterday}}\n", 3,
         "dependsOn[0].partition.offset", 'invalid offset "yesterday"', "-1d", "offset-garbage"),
    case("dependsOn:\n  - {pipeline: a, partition: {offset: -1}}\n", 3,
         "dependsOn[0].partition.offset", "must be a duration string, got a number",
         'did you mean "-1d"?', "offset-number"),
    case(DAILY + "dependsOn:\n  - {pipeline: a, partition: {offset: -1h}}\n", 4,
         "dependsOn[0].partition.offset",
         "-1h is not a whole number of days, and this pipeline has daily partitions",
         "use whole days, e.g. -1d", "offset-sub-day-on-daily"),
    case(DAILY + "dependsOn:\n  - {pipeline: a, partition: {offset: -25h}}\n", 4,
         "dependsOn[0].partition.offset", "-25h is not a whole number of days",
         "use whole days", "offset-25h-on-daily"),
    case(HOURLY + "dependsOn:\n  - {pipeline: a, partition: {all: hour}}\n", 4,
         "dependsOn[0].partition.all", "this pipeline has hourly partitions",
         "`partition: same`", "all-hours-on-hourly"),
    case("dependsOn:\n  - {pipeline: a, partition: {all: day}}\n", 3,
         "dependsOn[0].partition.all", '"day" is not a granularity `all` takes',
         "{all: hour}", "all-days"),
    # --- the same upstream twice, itself -------------------------------------------------
    case("dependsOn:\n  - a\n  - {pipeline: a, status: FAILED}\n", 4, "dependsOn[1]",
         '"a" is listed twice with the same partition mapping', "merge it with line 3",
         "twice"),
    case("dependsOn:\n  allOf: [a]\n  anyOf:\n    - {pipeline: a, partition: same}\n", 5,
         "dependsOn.anyOf[0]", "listed twice", "merge it with line 3", "twice-across-groups"),
    case("dependsOn: [p]\n", 2, "dependsOn[0]",
         '"p" depends on itself', "dependsOn names other pipelines", "itself-short"),
    case("dependsOn:\n  anyOf:\n    - {pipeline: p, partition: {offset: -1d}}\n", 4,
         "dependsOn.anyOf[0].pipeline", "depends on itself", "remove it", "itself-offset"),
]
# fmt: on


@pytest.mark.parametrize(("body", "expected"), DEPENDS_ERRORS)
def test_each_mistake_is_one_problem_at_its_line(problems_of, body, expected):
    """One mistake, one problem: file, line, field, message and fix."""
    problems = problems_of(ID + body)
    assert len(problems) == 1, [str(p) for p in problems]
    assert_problem(problems[0], "p.yaml", expected)


def test_every_mistake_of_a_file_is_reported_at_once(problems_of):
    """Four mistakes in four entries: four problems, in line order."""
    problems = problems_of(
        ID
        + DAILY
        + textwrap.dedent(
            """\
            dependsOn:
              allOf:
                - {pipeline: a, status: DONE}
                - {pipeline: b, partition: {offset: -1h}}
                - p
              anyOf:
                - {pipeline: c, partition: {all: minute}}
            """
        )
    )
    assert [(p.line, p.field) for p in problems] == [
        (5, "dependsOn.allOf[0].status"),
        (6, "dependsOn.allOf[1].partition.offset"),
        (7, "dependsOn.allOf[2]"),
        (9, "dependsOn.anyOf[0].partition.all"),
    ]


def test_a_pipeline_without_a_schedule_may_map_either_way(parse):
    """Its partitions come from its upstreams: -1h and {all: hour} are both its own choice."""
    spec = depends(
        parse,
        "dependsOn:\n"
        "  - {pipeline: a, partition: {offset: -1h}}\n"
        "  - {pipeline: b, partition: {all: hour}}\n",
    )
    assert [dep.partition.kind for dep in spec.all_of] == [MappingKind.OFFSET, MappingKind.ALL]


# The granularity the checks use is decide's ---------------------------------------------------

GRANULARITY_CASES = [
    ("schedule: {cron: '0 9 * * *'}\n", "daily"),
    ("schedule: {cron: '*/15 9 * * *'}\n", "daily"),
    ("schedule: {cron: '0 8-17 * * *'}\n", "hourly"),
    ("schedule: {cron: '5 * * * *'}\n", "hourly"),
    ("schedule: {include: {dates: ['2026-01-31']}}\n", "daily"),
    ("schedule: {trigger: {key: k, check: exists, deadline: '10:00'}}\n", "daily"),
    ("schedule: {trigger: {key: k, check: exists, deadline: ':30'}}\n", "hourly"),
    ("schedule: {trigger: {key: k, check: exists}}\nsla: {deadline: ':45'}\n", "hourly"),
    ("schedule: {trigger: {key: k, check: exists}}\n", None),
    ("sla: {deadline: '10:00'}\n", None),
    ("", None),
]


@pytest.mark.parametrize(("body", "expected"), GRANULARITY_CASES)
def test_partition_granularity_agrees_with_decide(parse, body, expected):
    """The loader's rule is the one decide plans runs and accepts reruns by."""
    spec = parse(ID + body)
    assert partition_granularity(spec.schedule, spec.sla) == expected
    if spec.schedule.cron:
        assert fires_hourly(spec.schedule.cron) == (expected == "hourly")
    elif spec.schedule.include_dates:
        assert expected == "daily"
    else:
        assert expected_granularity(spec) == expected


# Total over hostile dependsOn values ----------------------------------------------------------

WORDS = ["a", "p", "SUCCEEDED", "failed", "RUNNING", "same", "latest", "hour", "-1d", "-1h",
         "0s", "-90m", "99999999999999999d", "AND", "OR", "rerun", "\ud800", "x\ny"]  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats()
    | st.sampled_from(WORDS)
    | st.text(max_size=6)
)
ENTRY = SCALARS | st.fixed_dictionaries(
    {},
    optional={
        "pipeline": SCALARS,
        "status": SCALARS | st.lists(SCALARS, max_size=3),
        "partition": SCALARS
        | st.dictionaries(st.sampled_from(["offset", "all", "x"]), SCALARS, max_size=2),
        "optional": SCALARS,
    },
)
DEPENDS = (
    st.lists(ENTRY, max_size=4)
    | st.fixed_dictionaries(
        {},
        optional={
            "operator": SCALARS,
            "allOf": st.lists(ENTRY, max_size=3) | SCALARS,
            "anyOf": st.lists(ENTRY, max_size=3) | SCALARS,
        },
    )
    | SCALARS
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DEPENDS, SCALARS, st.sampled_from(["", DAILY, HOURLY]))
def test_any_depends_on_is_a_spec_or_sound_problems(depends_on, policy, schedule):
    """Whatever dependsOn holds: a spec, or problems with a file, a real line, one line each."""
    document = {"pipeline": {"id": "p"}, "dependsOn": depends_on, "onUpstreamRerun": policy}
    text = schedule + yaml.safe_dump(document, allow_unicode=True)
    try:
        spec = parse_pipeline(text, source="fuzz.yaml")
    except ConfigError as exc:
        assert_sound(exc.problems, "fuzz.yaml", text)
    else:
        assert spec.depends_on is not None
        assert spec.depends_on.dependencies
        assert "p" not in spec.upstream_ids
        labels = [dep.label for dep in spec.depends_on.dependencies]
        assert len(labels) == len(set(labels))
