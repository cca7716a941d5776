"""``dependsOn`` across dimensions: ``{all: campaign}`` and ``same`` between partition shapes.

``{all: campaign}`` is read from one file (only its spelling can be wrong there); whether the
upstream has that dimension, and whether ``same`` can pick a value of every dimension the
upstream declares, is checked over the directory, at the dependency's line.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from interlock.config import load_pipelines
from interlock.errors import ConfigError
from interlock.model.dependencies import MappingKind

DAILY = "schedule: {cron: '0 9 * * *'}"
TIME = "  time: {granularity: daily, start: 2026-11-01, end: 2026-11-30}"


def pipeline(pipeline_id: str, dimensions: str | None, depends: str = "") -> str:
    """A daily pipeline with ``partitions`` (``dimensions`` None: none declared)."""
    parts = ""
    if dimensions is not None:
        parts = "partitions:\n" + TIME + "\n"
        if dimensions:
            parts += "  dimensions:\n" + textwrap.indent(dimensions, "    ") + "\n"
    deps = f"dependsOn:\n  - {depends}\n" if depends else ""
    return f"pipeline: {{id: {pipeline_id}}}\n{DAILY}\n{deps}{parts}job: {{type: mock}}\n"


CAMPAIGNS = "campaign: {values: [a, b, c]}"
REGIONS = "region: {values: [eu, us]}"


def load(folder: Path, **documents: str) -> dict[str, object]:
    """Write each document as ``<name>.yaml`` and load the directory."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return {spec.id: spec for spec in load_pipelines(folder)}


def problems(folder: Path, **documents: str) -> list[str]:
    """Every problem of loading the documents, as printed, without the folder."""
    with pytest.raises(ConfigError) as info:
        load(folder, **documents)
    return [str(p).replace(f"{folder}/", "") for p in info.value.problems]


def test_all_campaigns_loads_and_reads_naturally(tmp_path):
    """A daily roll-up of every campaign: the mapping names the dimension and reads as words."""
    specs = load(
        tmp_path,
        up=pipeline("up", f"{CAMPAIGNS}\n{REGIONS}"),
        down=pipeline("down", REGIONS, "{pipeline: up, partition: {all: campaign}}"),
    )
    dep = specs["down"].depends_on.all_of[0]  # type: ignore[attr-defined]
    assert dep.partition.kind is MappingKind.ALL
    assert dep.partition.dimension == "campaign"
    assert dep.label == "up (all campaigns of the day)"


def test_same_from_a_campaign_pipeline_onto_a_dimensionless_one_loads(tmp_path):
    """A per-campaign downstream may wait for a daily upstream: the date is all it shares."""
    specs = load(
        tmp_path, up=pipeline("up", ""), down=pipeline("down", CAMPAIGNS, "{pipeline: up}")
    )
    assert specs["down"].upstream_ids == {"up"}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("up_dims", "down_dims", "entry", "message", "fix"),
    [
        (CAMPAIGNS, "", "{pipeline: up, partition: {all: campain}}",
         "{all: campain}: up has no dimension 'campain'", "did you mean `campaign`?"),
        ("", "", "{pipeline: up, partition: {all: campaign}}",
         "up has no dimension 'campaign'", "declare it under partitions.dimensions of up"),
        (CAMPAIGNS, CAMPAIGNS, "{pipeline: up, partition: {all: campaign}}",
         "down has dimension 'campaign' too", "`partition: same`"),
        (CAMPAIGNS, "", "{pipeline: up}",
         "up has dimension 'campaign' and down does not", "`partition: {all: campaign}`"),
        (f"{CAMPAIGNS}\n{REGIONS}", REGIONS, "{pipeline: up, partition: {offset: -1d}}",
         "up has dimension 'campaign' and down does not", "{all: campaign}"),
        (f"{CAMPAIGNS}\n{REGIONS}", "", "{pipeline: up, partition: {all: campaign}}",
         "up has dimension 'region' and down does not", "{all: region}"),
    ],
    ids=["misspelt", "dimensionless-upstream", "own-dimension", "same-drops-campaign",
         "offset-drops-campaign", "all-campaigns-drops-region"],
)  # fmt: skip
def test_a_dimension_mapping_the_upstream_cannot_serve(  # noqa: PLR0917
    tmp_path, up_dims, down_dims, entry, message, fix
):
    """Each mistake is one problem at the dependency's line, naming the fix."""
    (problem,) = problems(
        tmp_path, up=pipeline("up", up_dims), down=pipeline("down", down_dims, entry)
    )
    assert problem.startswith("down.yaml:4: dependsOn.allOf[0].partition: ")
    assert message in problem
    assert fix in problem


def test_a_time_word_is_not_taken_for_a_dimension(tmp_path):
    """``{all: day}`` is refused in the file itself: it is a granularity, not a dimension."""
    (problem,) = problems(
        tmp_path, down=pipeline("down", "", "{pipeline: down2, partition: {all: day}}")
    )
    assert "dependsOn[0].partition.all" in problem
    assert '"day" is not a granularity `all` takes' in problem
    assert "{all: campaign}" in problem
