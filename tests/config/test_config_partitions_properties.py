"""Properties of the ``partitions`` reader, and the shipped examples that use it.

Any valid generated block parses, keeps the dimensions in the order written with their
values as written, and yields exactly one partition per day and combination, each of
whose strings reads back as itself. The examples of every folder still validate.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.cli import main
from interlock.config import load_pipelines, parse_pipeline
from interlock.model.desired import (
    BackfillOrder,
    Granularity,
    canonical_partition,
    desired_partitions,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)

names = st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True).filter(
    lambda name: name.lower() not in {"date", "hour"}
)
texts = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Cf", "Cn", "Co", "Zl", "Zp"), blacklist_characters="|="
    ),
    min_size=1,
    max_size=10,
).filter(lambda text: text == text.strip() and bool(text))
scalars = st.one_of(texts, st.integers(min_value=-(10**6), max_value=10**6))
value_lists = st.lists(scalars, min_size=1, max_size=4, unique_by=str)
static = value_lists.map(lambda values: {"values": values})
dynamic = st.fixed_dictionaries({"sensor": names, "field": names})
dimension_maps = st.lists(
    st.tuples(names, st.one_of(static, dynamic)), max_size=3, unique_by=lambda pair: pair[0]
)


@st.composite
def blocks(draw: st.DrawFn) -> dict[str, object]:
    """A valid ``partitions`` block with a fixed end (so the range is known)."""
    start = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 11, 1)))
    end = start + timedelta(days=draw(st.integers(min_value=0, max_value=4)))
    time: dict[str, object] = {"start": start.isoformat(), "end": end.isoformat()}
    granularity = draw(st.sampled_from(["daily", "DAILY", "Daily", None]))
    if granularity is not None:
        time["granularity"] = granularity
    zone = draw(st.sampled_from([None, "UTC", "Europe/Berlin", "America/Sao_Paulo"]))
    if zone is not None:
        time["timezone"] = zone
    block: dict[str, object] = {"time": time}
    dimensions = draw(dimension_maps)
    if dimensions:
        block["dimensions"] = dict(dimensions)
    return block


def document(block: dict[str, object]) -> str:
    """A pipeline with ``block`` as its partitions and a job, in JSON (a subset of YAML).

    JSON quotes every string, so what the generator drew is what the file says: no value
    turns into a YAML number or boolean on the way. Characters are written as themselves,
    as a person would (an escaped surrogate pair is refused by the YAML layer, rightly).
    """
    root = {"pipeline": {"id": "p"}, "partitions": block, "job": {"type": "mock"}}
    return json.dumps(root, ensure_ascii=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block=blocks())
def test_any_valid_block_round_trips(block):
    """Order and values kept, one partition per day and combination, each canonical."""
    spec = parse_pipeline(document(block), source="p.yaml")
    partitions = spec.partitions
    assert partitions is not None
    written = block.get("dimensions", {})
    assert isinstance(written, dict)
    assert [d.name for d in partitions.dimensions] == list(written)
    for dimension, raw in zip(partitions.dimensions, written.values(), strict=True):
        assert dimension.values == tuple(str(v) for v in raw.get("values", ()))
        assert (dimension.sensor, dimension.field) == (raw.get("sensor"), raw.get("field"))
    time = block["time"]
    assert isinstance(time, dict)
    assert partitions.time.granularity is Granularity.DAILY
    assert partitions.time.timezone == time.get("timezone", "UTC")
    days = (date.fromisoformat(time["end"]) - date.fromisoformat(time["start"])).days + 1
    found = {d.name: ("x", "y") for d in partitions.dimensions if d.is_dynamic}
    sizes = [len(found.get(d.name, d.values)) for d in partitions.dimensions]
    every = list(desired_partitions(partitions, NOW, found))
    assert len(every) == len(set(every)) == days * math.prod(sizes)
    for partition in every[:: max(1, len(every) // 5)]:
        assert canonical_partition(partitions, partition, found) == partition


@settings(max_examples=60, deadline=None)
@given(
    concurrent=st.integers(min_value=1, max_value=10_000),
    order=st.sampled_from(["newest-first", "OLDEST-FIRST", "Newest-First"]),
    retry=st.one_of(st.just("never"), st.integers(min_value=1, max_value=999).map("{}h".format)),
)
def test_any_valid_backfill_block_parses(concurrent, order, retry):
    """Every in-range value of each backfill key reads back as written."""
    backfill = {"maxConcurrent": concurrent, "order": order, "retryFailedAfter": retry}
    root = {
        "pipeline": {"id": "p"},
        "partitions": {"time": {"start": "-7d"}},
        "backfill": backfill,
        "job": {"type": "mock"},
    }
    spec = parse_pipeline(json.dumps(root), source="p.yaml")
    assert spec.backfill.max_concurrent == concurrent
    assert spec.backfill.order is BackfillOrder(order.lower())
    expected = None if retry == "never" else timedelta(hours=int(retry[:-1]))
    assert spec.backfill.retry_failed_after == expected


def test_the_partitions_example_loads_as_its_comments_say():
    """A static campaign list with a job, and a dynamic partner list made done by hand."""
    specs = {spec.id: spec for spec in load_pipelines(EXAMPLES / "partitions")}
    report, uploads = specs["campaign-report"], specs["partner-uploads"]
    assert report.partitions is not None
    assert report.partitions.dimensions[0].values == ("spring-sale", "summer-sale", "newsletter")
    assert report.job is not None
    assert report.job.max_self_heals == 3
    assert uploads.partitions is not None
    assert uploads.job is None
    assert uploads.partitions.time.start_ago == timedelta(days=30)
    assert uploads.sensor_keys == {"partner-list", "upload-landed"}


@pytest.mark.parametrize("folder", ["pipelines", "dependencies", "orchestrators", "partitions"])
def test_every_example_folder_still_validates(folder):
    """``interlock validate examples/<folder>``: exit 0, one ok line per file."""
    result = CliRunner().invoke(main, ["validate", str(EXAMPLES / folder)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(list((EXAMPLES / folder).glob("*.yaml")))
    assert all(line.startswith("ok  ") for line in lines)
