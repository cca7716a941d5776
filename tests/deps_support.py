"""Pipelines with ``dependsOn`` in a real store, built in code rather than written in YAML.

The stored document is YAML, re-parsed by every process; :func:`with_dependencies` lays the
specs' ``depends_on`` over what the store's documents parse to
(``interlock.app.unpack_document``), the way a loaded YAML file carries it. The controller
loads what the upstream runs are doing itself (``SqlStore.load_upstream``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

import interlock.app
from interlock.model.dependencies import Dependency, DependsOnSpec, PartitionMapping
from interlock.model.specs import PipelineSpec


def needs(*pipelines: str, any_of: tuple[Dependency, ...] = ()) -> DependsOnSpec:
    """``allOf`` of plain SUCCEEDED/same dependencies, plus ``any_of``."""
    return DependsOnSpec(all_of=tuple(Dependency(pipeline=p) for p in pipelines), any_of=any_of)


def dep(pipeline: str, **options: Any) -> Dependency:
    """One dependency with options (statuses, partition, optional)."""
    if "partition" in options and not isinstance(options["partition"], PartitionMapping):
        raise TypeError("partition must be a PartitionMapping")
    return Dependency(pipeline=pipeline, **options)


def with_dependencies(monkeypatch: pytest.MonkeyPatch, graph: Mapping[str, DependsOnSpec]) -> None:
    """Every stored spec of a pipeline in ``graph`` gets that ``depends_on``."""
    parse = interlock.app.unpack_document

    def unpack(document: str) -> PipelineSpec:
        spec = parse(document)
        found = graph.get(spec.id)
        return spec if found is None else replace(spec, depends_on=found)

    monkeypatch.setattr(interlock.app, "unpack_document", unpack)


def pipeline_yaml(pipeline_id: str, *, rules: str = "") -> str:
    """A daily 08:00 UTC pipeline with a 1h window; ``rules`` gate it on a sensor."""
    rule_lines = rules or "[]"
    return textwrap.dedent(
        f"""
        pipeline: {{id: {pipeline_id}}}
        schedule:
          cron: "0 8 * * *"
          timezone: UTC
          evaluation: {{window: 1h, interval: 5m}}
        validation:
          rules: {rule_lines}
        job: {{type: mock, pollInterval: 1m}}
        """
    )
