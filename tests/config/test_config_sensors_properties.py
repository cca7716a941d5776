"""Properties of the ``sensors:`` reader, and the shipped ``examples/checkers`` project.

Any list of valid generated entries, written as YAML (JSON, which YAML 1.2 reads), parses
back to exactly those checkers: keys, kinds, configs and options as written, in order.
Any ``every`` below ten seconds is refused at its line. The example project validates.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from interlock.cli import main
from interlock.config import load_pipelines, load_sensors, parse_pipeline, shared_sensors_dir
from interlock.errors import ConfigError
from interlock.model.checkers import DEFAULT_HEARTBEAT, DEFAULT_HORIZON

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "checkers"

keys = st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,20}", fullmatch=True)
words = st.from_regex(r"[a-z0-9_/:.${}-]{1,20}", fullmatch=True)
settings_maps = st.dictionaries(
    st.from_regex(r"[a-z][a-zA-Z]{0,8}", fullmatch=True),
    st.one_of(words, st.integers(-1000, 1000), st.booleans()),
    max_size=3,
)
minutes = st.integers(min_value=1, max_value=600)


@st.composite
def kind_blocks(draw: st.DrawFn) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """``(what the entry writes, the kind, the config it must come out as)``."""
    form = draw(st.sampled_from(["sql", "path", "path-url", "http", "command", "custom"]))
    settings = draw(settings_maps)
    if form == "path-url":
        url = draw(words)
        return {"path": url}, "path", {"url": url}
    if form == "command":
        argv = draw(st.lists(words, min_size=1, max_size=4))
        return {"command": argv}, "command", {"command": argv}
    if form == "custom":
        name = draw(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True))
        name = f"x_{name}"  # never one edit from a built-in kind
        return {"kind": name, "config": settings}, name, settings
    return {form: settings}, form, settings


@st.composite
def entries(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A valid entry, and the fields its spec must have."""
    every = draw(minutes)
    written, kind, config = draw(kind_blocks())
    entry: dict[str, Any] = {"every": f"{every}m", **written}
    expected: dict[str, Any] = {
        "kind": kind,
        "config": config,
        "every": timedelta(minutes=every),
        "heartbeat": DEFAULT_HEARTBEAT,
        "horizon": DEFAULT_HORIZON,
        "concurrency": 4,
    }
    if draw(st.booleans()):
        timeout = draw(st.integers(min_value=1, max_value=every * 60))
        entry["timeout"], expected["timeout"] = f"{timeout}s", timedelta(seconds=timeout)
    if draw(st.booleans()):
        heartbeat = every * draw(st.integers(min_value=1, max_value=24))
        entry["heartbeat"], expected["heartbeat"] = f"{heartbeat}m", timedelta(minutes=heartbeat)
    if draw(st.booleans()):
        days = draw(st.integers(min_value=0, max_value=400))
        entry["horizon"], expected["horizon"] = f"{days}d", timedelta(days=days)
    if draw(st.booleans()):
        entry["concurrency"] = expected["concurrency"] = draw(st.integers(1, 64))
    return entry, expected


@given(st.lists(st.tuples(keys, entries()), max_size=5, unique_by=lambda pair: pair[0]))
def test_valid_entries_read_back_as_written(
    drawn: list[tuple[str, tuple[dict[str, Any], dict[str, Any]]]],
) -> None:
    """Generated valid entries parse to specs with the same keys, kinds, configs, options."""
    sensors = [{"key": key, **entry} for key, (entry, _) in drawn]
    document = {"pipeline": {"id": "p"}, "sensors": sensors}
    spec = parse_pipeline(json.dumps(document), source="p.yaml")
    assert [check.key for check in spec.sensors] == [key for key, _ in drawn]
    for check, (_, (_, expected)) in zip(spec.sensors, drawn, strict=True):
        assert check.pipeline_id == "p"
        assert (check.kind, dict(check.config), check.every) == (
            expected["kind"],
            expected["config"],
            expected["every"],
        )
        assert check.timeout == expected.get("timeout", min(timedelta(seconds=30), check.every))
        assert (check.heartbeat, check.horizon, check.concurrency) == (
            expected["heartbeat"],
            expected["horizon"],
            expected["concurrency"],
        )


@given(st.integers(min_value=1, max_value=9), st.integers(min_value=0, max_value=3))
def test_every_below_ten_seconds_is_refused_at_its_line(seconds: int, before: int) -> None:
    """However many good entries come first, the too-fast one is named at its own line."""
    good = "".join(f"  - {{key: k{i}, every: 1m, path: x}}\n" for i in range(before))
    text = f"pipeline: {{id: p}}\nsensors:\n{good}  - {{key: fast, every: {seconds}s, path: x}}\n"
    with pytest.raises(ConfigError) as info:
        parse_pipeline(text, source="p.yaml")
    (problem,) = info.value.problems
    assert (problem.line, problem.field) == (3 + before, f"sensors[{before}].every")


def test_example_project_loads_with_its_shared_checkers() -> None:
    """examples/checkers: a sql and a path checker in the pipeline, one shared checker."""
    (spec,) = load_pipelines(EXAMPLES / "pipelines")
    assert [(c.key, c.kind) for c in spec.sensors] == [("output", "sql"), ("raw-landed", "path")]
    folder = shared_sensors_dir(EXAMPLES / "pipelines")
    assert folder == EXAMPLES / "sensors"
    assert [(c.key, c.kind, c.pipeline_id) for c in load_sensors(folder)] == [
        ("warehouse-loaded", "path", None)
    ]


def test_validate_accepts_the_example_and_shows_its_checkers() -> None:
    """``interlock validate`` says ok and summarises each checker's key, pace and kind."""
    result = CliRunner().invoke(main, ["validate", str(EXAMPLES / "pipelines")])
    assert result.exit_code == 0, result.output
    assert "checks output every 5m (sql), raw-landed every 2m (path)" in result.output
