"""Shared builders for the decision-core tests: YAML pipelines and a clock shorthand."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

from interlock.config import parse_pipeline
from interlock.model.specs import PipelineSpec

GOLD_REVENUE = """
pipeline:
  id: gold-revenue
schedule:
  cron: "0 8 * * *"
  timezone: UTC
  trigger: {key: upstream-complete, check: equals, field: status, value: ready}
  evaluation: {window: 1h, interval: 5m}
sla:
  deadline: "10:00"
  expectedDuration: 30m
validation:
  trigger: ALL
  rules:
    - {key: upstream-complete, check: equals, field: status, value: ready}
    - {key: row-count, check: gte, field: count, value: 1000}
    - {key: freshness, check: age_lt, field: updatedAt, value: 2h}
job:
  type: command
  config: {command: ["true"]}
  maxRetries: 2
postRun:
  rules:
    - {key: row-count, check: gte, field: count, value: 1000}
  driftField: count
  driftThreshold: 10
  sensorTimeout: 2h
"""


def pipeline(text: str = GOLD_REVENUE, **_: object) -> PipelineSpec:
    """Parse a pipeline YAML document written inline in a test."""
    return parse_pipeline(textwrap.dedent(text), source="<test>")


def at(clock: str, day: str = "2026-11-23") -> datetime:
    """``at("08:05")`` → 2026-11-23T08:05Z (a Monday, no US holiday)."""
    return datetime.fromisoformat(f"{day}T{clock}:00+00:00").astimezone(UTC)
