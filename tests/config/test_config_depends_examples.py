"""The dependency example (``examples/dependencies``) loads, and means what its comments say."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from interlock.cli import main
from interlock.config import load_pipelines
from interlock.model import RunState
from interlock.model.dependencies import MappingKind, UpstreamRerunPolicy

FOLDER = Path(__file__).resolve().parents[2] / "examples" / "dependencies"


def test_the_example_loads_as_one_graph():
    """Listings + searches → pipeline-x, and a fallback on listings ending without success."""
    specs = {spec.id: spec for spec in load_pipelines(FOLDER)}
    assert sorted(specs) == ["listings", "pipeline-x", "pipeline-x-fallback", "searches"]
    x, fallback = specs["pipeline-x"], specs["pipeline-x-fallback"]
    assert x.depends_on is not None
    assert [(d.pipeline, d.statuses, d.partition.kind) for d in x.depends_on.all_of] == [
        ("listings", {RunState.SUCCEEDED}, MappingKind.SAME),
        ("searches", {RunState.SUCCEEDED}, MappingKind.SAME),
    ]
    assert x.on_upstream_rerun is UpstreamRerunPolicy.RERUN
    assert x.job is not None
    assert x.job.max_upstream_reruns == 2
    assert fallback.depends_on is not None
    (dependency,) = fallback.depends_on.dependencies
    assert dependency.pipeline == "listings"
    assert dependency.statuses == {RunState.FAILED, RunState.EXHAUSTED}
    assert fallback.on_upstream_rerun is UpstreamRerunPolicy.IGNORE
    assert not specs["listings"].upstream_ids
    assert not specs["searches"].upstream_ids


def test_the_example_validates():
    """``interlock validate examples/dependencies``: four ok lines, exit 0."""
    result = CliRunner().invoke(main, ["validate", str(FOLDER)])
    assert result.exit_code == 0, result.output
    assert [line.split()[:2] for line in result.stdout.splitlines()] == [
        ["ok", "listings"],
        ["ok", "pipeline-x-fallback"],
        ["ok", "pipeline-x"],
        ["ok", "searches"],
    ]
