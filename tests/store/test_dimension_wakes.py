"""Wake plans across dimensions: an upstream partition routed to the downstream runs it may free.

Pure: the routes are what ``dependency_index`` holds. A dimension only the downstream has
becomes a pattern, applied as a LIKE in which nothing but the wildcard is special.
"""

from __future__ import annotations

import pytest

from interlock.model.dependencies import MappingKind, PartitionMapping
from interlock.store._routing import DependencyRoute, plan_dependency_wakes
from interlock.store._statements import like_pattern


def route(mapping: PartitionMapping, dimensions: tuple[str, ...] | None) -> DependencyRoute:
    """An entry of ``report`` on the upstream, both in UTC, the report scheduled."""
    return DependencyRoute(
        downstream_id="report",
        label="up",
        mapping=mapping,
        timezone="UTC",
        upstream_timezone="UTC",
        opens_runs=False,
        downstream_dimensions=dimensions,
    )


def test_a_campaign_settling_wakes_its_day_under_all_campaigns():
    """``{all: campaign}``: campaign b of the 21st wakes the report's 21st, no pattern."""
    every = PartitionMapping(kind=MappingKind.ALL, dimension="campaign")
    plan = plan_dependency_wakes("2026-11-21|campaign=b", [route(every, ())])
    assert plan.wake == {("report", "2026-11-21")}
    assert not plan.wake_matching


def test_a_dimensionless_day_wakes_every_campaign_of_it():
    """``same`` from campaigns onto a plain day: one pattern, nothing opened."""
    plan = plan_dependency_wakes("2026-11-21", [route(PartitionMapping(), ("campaign",))])
    assert plan.wake_matching == {("report", "2026-11-21|campaign=*")}
    assert not plan.wake
    assert not plan.open_runs


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("2026-11-21|campaign=*", "2026-11-21|campaign=%"),
        ("2026-11-21|campaign=*|region=eu_1", "2026-11-21|campaign=%|region=eu\\_1"),
        ("2026-11-21|cost_center=100%", "2026-11-21|cost\\_center=100\\%"),
    ],
    ids=["wildcard", "underscore-is-literal", "percent-is-literal"],
)
def test_like_patterns_escape_everything_but_the_wildcard(pattern, expected):
    """A value's own ``_`` or ``%`` must not match other partitions."""
    assert like_pattern(pattern) == expected
