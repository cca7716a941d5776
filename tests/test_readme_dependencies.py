"""The README's dependsOn commands, run as written over the shipped example.

The block under "Pipelines that wait for other pipelines" is run literally under ``bash -e``
in a copy of ``examples/``, with this virtualenv's ``interlock`` on PATH: the example must
validate as one graph, replay a Monday where pipeline-x waits for both parents and reruns
after the listings fix, store into a fresh database, and draw its graph.
"""

from __future__ import annotations

from pathlib import Path

from tests.readme_support import readme_block, run_in_examples_copy


def dependencies_block() -> str:
    """The bash block of the README's dependsOn section, exactly as written."""
    return readme_block("### Pipelines that wait for other pipelines")


def test_the_readme_dependency_commands_run_as_written(tmp_path: Path) -> None:
    """Every line succeeds, and the replay shows the cascade the README promises."""
    result = run_in_examples_copy(dependencies_block(), tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    launches = [
        line for line in out.splitlines() if "JOB_TRIGGERED" in line and "pipeline-x " in line
    ]
    assert len(launches) == 2  # once after both parents, once after the listings fix
    assert "upstream-rerun rerun accepted" in out
    assert "pipeline-x-fallback [EXHAUSTED|FAILED]" in out  # the graph, drawn
    assert "listings: no run for 2026-11-23 yet" in out  # explain, upstream by upstream
