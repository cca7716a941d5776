"""Dimension mapping in ``dependsOn``: which upstream partitions a partition with dimensions needs.

``same`` projects the downstream partition onto the dimensions the upstream declares (in the
upstream's order); ``{all: campaign}`` needs every campaign of the date; the inverse, which
routes an upstream run's final state to the downstream runs it may unblock, answers a
``name=*`` pattern for a dimension only the downstream has. A property checks that the two
directions agree for random dimension sets and mappings.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from decide_support import at, pipeline
from hypothesis import given
from hypothesis import strategies as st

from interlock.decide.dependencies import DependencyStatus, evaluate_dependencies
from interlock.model import RunState
from interlock.model.dependencies import (
    Dependency,
    MappingKind,
    PartitionMapping,
    UpstreamRun,
    UpstreamState,
    downstream_partitions,
    matches,
    upstream_partitions,
)

SAME = PartitionMapping()
ALL_CAMPAIGNS = PartitionMapping(kind=MappingKind.ALL, dimension="campaign")
YESTERDAY = PartitionMapping(kind=MappingKind.OFFSET, offset=timedelta(days=-1))
UTC = {"timezone": "UTC", "upstream_timezone": "UTC"}


def needs(mapping, partition, upstream_dimensions, values=()):
    """The upstream partitions ``partition`` needs through ``mapping``."""
    dep = Dependency(pipeline="up", partition=mapping)
    return upstream_partitions(
        dep, partition, **UTC, upstream_dimensions=upstream_dimensions, dimension_values=values
    )


def wakes(mapping, upstream_partition, downstream_dimensions):
    """The downstream partitions (or patterns) an upstream run of ``upstream_partition`` wakes."""
    dep = Dependency(pipeline="up", partition=mapping)
    return downstream_partitions(
        dep, upstream_partition, **UTC, downstream_dimensions=downstream_dimensions
    )


@pytest.mark.parametrize(
    ("mapping", "partition", "upstream_dims", "values", "expected"),
    [
        (ALL_CAMPAIGNS, "2026-11-21", ("campaign",), ("a", "b", "c"),
         ("2026-11-21|campaign=a", "2026-11-21|campaign=b", "2026-11-21|campaign=c")),
        (ALL_CAMPAIGNS, "2026-11-21|region=eu", ("campaign", "region"), ("a", "b"),
         ("2026-11-21|campaign=a|region=eu", "2026-11-21|campaign=b|region=eu")),
        (ALL_CAMPAIGNS, "2026-11-21", ("campaign",), (), ()),
        (SAME, "2026-11-21|campaign=b", (), (), ("2026-11-21",)),
        (SAME, "2026-11-21|campaign=b|region=eu", ("region", "campaign"), (),
         ("2026-11-21|region=eu|campaign=b",)),
        (SAME, "2026-11-21|campaign=b", None, (), ("2026-11-21|campaign=b",)),
        (YESTERDAY, "2026-11-21|region=eu|campaign=b", ("region", "campaign"), (),
         ("2026-11-20|region=eu|campaign=b",)),
    ],
    ids=["all-campaigns-of-the-day", "all-campaigns-keeps-region", "no-campaigns-yet",
         "same-onto-dimensionless", "same-in-upstream-order", "undeclared-passes-through",
         "offset-keeps-dimensions-in-order"],
)  # fmt: skip
def test_upstream_partitions_with_dimensions(mapping, partition, upstream_dims, values, expected):
    """What a downstream partition waits for, spelt in the upstream's canonical form."""
    assert needs(mapping, partition, upstream_dims, values) == expected


@pytest.mark.parametrize(
    ("mapping", "upstream_partition", "downstream_dims", "expected"),
    [
        (ALL_CAMPAIGNS, "2026-11-21|campaign=b", (), ("2026-11-21",)),
        (ALL_CAMPAIGNS, "2026-11-21|campaign=b|region=eu", ("region",),
         ("2026-11-21|region=eu",)),
        (SAME, "2026-11-21", ("campaign",), ("2026-11-21|campaign=*",)),
        (SAME, "2026-11-21|region=eu|campaign=b", ("campaign", "region"),
         ("2026-11-21|campaign=b|region=eu",)),
        (ALL_CAMPAIGNS, "2026-11-21", (), ()),
    ],
    ids=["campaign-settles-its-day", "keeps-region", "day-wakes-every-campaign",
         "downstream-order", "no-campaign-wakes-nothing"],
)  # fmt: skip
def test_downstream_partitions_with_dimensions(
    mapping, upstream_partition, downstream_dims, expected
):
    """What an upstream partition coming to rest wakes, in the downstream's form."""
    assert wakes(mapping, upstream_partition, downstream_dims) == expected


def test_a_pattern_matches_every_value_and_nothing_else():
    """``campaign=*`` stands for any campaign of that day, and only of that day."""
    assert matches("2026-11-21|campaign=*", "2026-11-21|campaign=b")
    assert not matches("2026-11-21|campaign=*", "2026-11-22|campaign=b")
    assert not matches("2026-11-21|campaign=*|region=eu", "2026-11-21|campaign=b|region=us")
    assert not matches("2026-11-21|campaign=*", "2026-11-21")


def test_the_label_reads_as_words():
    """``explain`` and ``interlock graph`` say ``all campaigns of the day``."""
    dep = Dependency(pipeline="clicks", partition=ALL_CAMPAIGNS)
    assert dep.label == "clicks (all campaigns of the day)"
    status = PartitionMapping(kind=MappingKind.ALL, dimension="status")
    assert status.describe() == "all status values of the day"


NAMES = ["campaign", "region", "device", "market"]
VALUES = st.lists(st.sampled_from(["a", "b", "c", "eu", "x-1"]), min_size=1, max_size=3)


@st.composite
def shapes(draw):
    """Two pipelines' dimensions, a mapping valid between them, and a downstream partition."""
    down = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3))
    shared = draw(st.lists(st.sampled_from(down), unique=True)) if down else []
    kind = draw(st.sampled_from(["same", "offset", "all"]))
    every = None
    extra = [n for n in NAMES if n not in down]
    if kind == "all" and extra:
        every = draw(st.sampled_from(extra))
    up = draw(st.permutations([*shared, *([every] if every else [])]))
    mapping = {
        "same": SAME,
        "offset": YESTERDAY,
        "all": PartitionMapping(kind=MappingKind.ALL, dimension=every) if every else SAME,
    }[kind]
    day = draw(st.sampled_from(["2026-11-21", "2026-03-29", "2026-01-01"]))
    partition = day + "".join(f"|{n}={draw(st.sampled_from(['a', 'b', 'eu']))}" for n in down)
    return mapping, down, up, partition, draw(VALUES)


@given(shapes())
def test_every_needed_upstream_partition_maps_back_to_the_one_that_needs_it(shape):
    """The two directions agree: whatever a partition needs wakes it when it comes to rest."""
    mapping, down, up, partition, values = shape
    needed = needs(mapping, partition, up, values)
    assert needed
    for upstream_partition in needed:
        back = wakes(mapping, upstream_partition, down)
        assert back is not None
        assert any(matches(pattern, partition) for pattern in back), (upstream_partition, back)


UP = """
pipeline: {id: clicks}
schedule: {cron: "0 6 * * *", timezone: UTC}
partitions:
  time: {granularity: daily, start: 2026-11-01, end: 2026-11-30}
  dimensions:
    campaign: {sensor: campaign-list, field: ids}
job: {type: command, config: {command: ["true"]}}
"""

DOWN = """
pipeline: {id: report}
schedule: {cron: "0 9 * * *", timezone: UTC}
dependsOn: [{pipeline: clicks, partition: {all: campaign}}]
job: {type: command, config: {command: ["true"]}}
"""


def test_all_dynamic_campaigns_must_succeed_and_the_check_names_them():
    """A report day waits for each campaign the upstream's sensor lists, then arrives."""
    up, down = pipeline(UP), pipeline(DOWN)

    def state(*succeeded: str) -> dict[str, UpstreamState]:
        runs = {
            f"2026-11-21|campaign={c}": UpstreamRun(
                pipeline_id="clicks", partition=f"2026-11-21|campaign={c}",
                state=RunState.SUCCEEDED,
            )
            for c in succeeded
        }  # fmt: skip
        values = {"campaign": ["a", "b", "c"]}
        return {"clicks": UpstreamState(spec=up, runs=runs, dimension_values=values)}

    waiting = evaluate_dependencies(down, "2026-11-21", state("a", "b"), at("09:00"))
    assert waiting is not None
    assert not waiting.passed
    (check,) = waiting.checks
    assert check.partitions == tuple(f"2026-11-21|campaign={c}" for c in "abc")
    assert check.status is not DependencyStatus.ARRIVED
    done = evaluate_dependencies(down, "2026-11-21", state("a", "b", "c"), at("09:00"))
    assert done is not None
    assert done.passed
