"""The README's state-checker commands, run as written over the shipped example."""

from __future__ import annotations

from pathlib import Path

from tests.readme_support import readme_block, run_in_examples_copy


def test_the_readme_checker_commands_run_as_written(tmp_path: Path) -> None:
    """The example validates with its checkers, is stored, and ``sensors`` lists them."""
    result = run_in_examples_copy(readme_block("### Interlock looks for itself"), tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "checks output every 5m (sql)" in out  # validate's line
    assert "daily-report/output" in out  # interlock sensors
    assert "daily-report/raw-landed" in out
