"""Pipelines with ``dependsOn`` in a real store, until the YAML loader reads ``dependsOn``.

The stored document is YAML, re-parsed by every process; the loader for ``dependsOn`` is
not there yet, so :func:`with_dependencies` lays the specs' ``depends_on`` over what the
store's documents parse to (``interlock.app.unpack_document``), the way a loaded YAML file
will carry it. :func:`deciding_with_upstreams` makes the controller pass what the upstream
runs are doing to ``decide()`` (loaded by :func:`interlock.app.upstreams.load_upstream`,
read-only over the store) until the store's own upstream loading lands.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

import interlock.app
import interlock.controller.loop
from interlock.app.upstreams import load_upstream
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


def deciding_with_upstreams(monkeypatch: pytest.MonkeyPatch, il: interlock.app.Interlock) -> None:
    """The controller's ``decide()`` sees the upstream runs (what ``explain`` sees)."""
    real = interlock.controller.loop.decide

    def decide(spec: PipelineSpec, run: Any, readings: Any, **kw: Any) -> Any:
        upstream = load_upstream(il.store, il.specs(), spec, run.partition)
        return real(spec, run, readings, upstream, **kw)

    monkeypatch.setattr(interlock.controller.loop, "decide", decide)


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
