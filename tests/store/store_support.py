"""Shared fixtures' data for the store tests: one pipeline and one moment."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ETL = """
pipeline: {id: etl}
schedule:
  trigger: {key: upstream, check: equals, field: status, value: ready}
validation:
  rules: [{key: rows, check: gte, field: count, value: 10}]
job: {type: mock}
"""
"""A trigger pipeline reading ``upstream`` (trigger) and ``rows`` (a rule)."""
