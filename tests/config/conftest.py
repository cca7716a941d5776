"""Shared helpers for the config loader tests: parse text and collect the problems."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from interlock.config import parse_pipeline
from interlock.errors import ConfigError, ConfigProblem
from interlock.model.specs import CalendarSpec, PipelineSpec

ProblemsOf = Callable[..., list[ConfigProblem]]
Parse = Callable[..., PipelineSpec]


@pytest.fixture
def problems_of() -> ProblemsOf:
    """Parse dedented YAML that must be invalid; return its problems."""

    def run(text: str, calendars: Mapping[str, CalendarSpec] | None = None) -> list[ConfigProblem]:
        with pytest.raises(ConfigError) as info:
            parse_pipeline(textwrap.dedent(text), source="p.yaml", calendars=calendars)
        return list(info.value.problems)

    return run


@pytest.fixture
def parse() -> Parse:
    """Parse dedented YAML that must be valid."""

    def run(text: str, **kwargs: Any) -> PipelineSpec:
        return parse_pipeline(textwrap.dedent(text), source="p.yaml", **kwargs)

    return run
