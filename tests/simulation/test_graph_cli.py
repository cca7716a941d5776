"""``interlock simulate DIR``: a directory of pipelines on one clock, lines naming their pipeline.

The YAML loader of ``dependsOn`` lands separately, so the dependency is laid over the loaded
specs here (``load_pipelines`` wrapped); everything else is the real command.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from graph_support import depending

import interlock.config
from interlock.cli import main
from interlock.model.specs import PipelineSpec

JOB = "job: {type: command, config: {command: ['true']}, maxRetries: 0, maxCodeRetries: 0}"
FILES = {
    "listings.yaml": f"pipeline: {{id: listings}}\nschedule: {{cron: '0 6 * * *'}}\n{JOB}\n",
    "searches.yaml": f"pipeline: {{id: searches}}\nschedule: {{cron: '0 6 * * *'}}\n{JOB}\n",
    "pipeline-x.yaml": (
        "pipeline: {id: pipeline-x}\n"
        "validation: {rules: [{key: rows, check: gte, field: count, value: 10}]}\n"
        f"{JOB}\n"
    ),
}


def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: Sequence[str]) -> Path:
    """The three pipelines (pipeline-x depending on both) and a timeline; returns the folder."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    real = interlock.config.load_pipelines

    def with_dependencies(path: Path) -> tuple[PipelineSpec, ...]:
        """The real loader, with pipeline-x depending on listings and searches."""
        return tuple(
            depending(s, ["listings", "searches"]) if s.id == "pipeline-x" else s
            for s in real(path)
        )

    monkeypatch.setattr(interlock.config, "load_pipelines", with_dependencies)
    return folder


def simulate(folder: Path, *extra: str) -> tuple[int, str]:
    """Run ``interlock simulate`` on the folder's timeline; exit code and output."""
    timeline = folder.parent / "t.jsonl"
    result = CliRunner().invoke(
        main, ["simulate", str(folder), "--readings", str(timeline), *extra]
    )
    return result.exit_code, result.output


def test_a_directory_runs_as_one_graph_and_prints_whose_events_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pipeline-x launches right after the second upstream; every event names its pipeline."""
    folder = project(
        tmp_path,
        monkeypatch,
        [
            (
                '{"at": "2026-11-23T00:00:00Z", "key": "rows", "data": {"count": 50}, '
                '"partition": "2026-11-23"}'
            ),
            '{"at": "2026-11-23T06:20:00Z", "job": "succeeded", "pipeline": "listings"}',
            (
                '{"at": "2026-11-23T06:45:00Z", "job": "succeeded", "pipeline": "searches", '
                '"partition": "2026-11-23"}'
            ),
            '{"at": "2026-11-23T07:00:00Z", "job": "succeeded", "pipeline": "pipeline-x"}',
        ],
    )
    code, output = simulate(folder, "--json", "--until", "2026-11-23T12:00:00Z")
    assert code == 0, output
    events = [json.loads(line) for line in output.splitlines()]
    launched = [(e["pipeline"], e["at"]) for e in events if e["type"] == "JOB_TRIGGERED"]
    assert launched == [
        ("listings", "2026-11-23T06:00:00Z"),
        ("searches", "2026-11-23T06:00:00Z"),
        ("pipeline-x", "2026-11-23T06:45:00Z"),
    ]
    assert {e["pipeline"] for e in events} == {"listings", "searches", "pipeline-x"}
    assert set(events[0]) == {"at", "type", "pipeline", "partition", "message", "detail"}
    assert [e["type"] for e in events if e["pipeline"] == "pipeline-x"][-1] == "JOB_COMPLETED"


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (
            '{"at": "2026-11-23T06:20:00Z", "job": "succeeded"}',
            "line 1.pipeline: name the pipeline: 3 are simulated (listings, pipeline-x, searches)",
        ),
        (
            '{"at": "2026-11-23T06:20:00Z", "job": "succeeded", "pipeline": "listing"}',
            "line 1.pipeline: no pipeline 'listing' is simulated; did you mean 'listings'?",
        ),
        (
            '{"at": "2026-11-23T06:20:00Z", "rerun": "2026-11-23"}',
            "line 1.pipeline: name the pipeline: 3 are simulated",
        ),
        (
            '{"at": "2026-11-23T06:20:00Z", "key": "rows", "data": {}, "pipeline": 7}',
            "line 1.pipeline: must be a string, got int",
        ),
    ],
)
def test_an_ambiguous_or_unknown_target_is_one_error_naming_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, words: str
) -> None:
    """A job line without a target, or with an unknown one, stops the replay at that line."""
    folder = project(tmp_path, monkeypatch, [line])
    code, output = simulate(folder, "--json")
    assert code == 2, output
    assert "Traceback" not in output
    assert output.strip().splitlines()[-1].startswith(f"error: {words}"), output


def test_one_file_accepts_its_own_id_and_refuses_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one pipeline file, ``pipeline`` must be its id; lines before a bad one replay."""
    folder = project(
        tmp_path,
        monkeypatch,
        [
            '{"at": "2026-11-23T06:20:00Z", "job": "succeeded", "pipeline": "listings"}',
            '{"at": "2026-11-23T06:30:00Z", "job": "succeeded", "pipeline": "searches"}',
        ],
    )
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            str(folder / "listings.yaml"),
            "--readings",
            str(tmp_path / "t.jsonl"),
            "--json",
        ],
    )
    assert result.exit_code == 2, result.output
    types = [json.loads(x)["type"] for x in result.output.splitlines()[:-1]]
    assert types[-1] == "JOB_COMPLETED"  # line 1 was replayed
    assert "line 2.pipeline: no pipeline 'searches' is simulated" in result.output.splitlines()[-1]
