"""The README's state-checker commands, run as written over the shipped example."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.readme_support import readme_block

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_the_readme_checker_commands_run_as_written(tmp_path: Path) -> None:
    """The example validates with its checkers, is stored, and ``sensors`` lists them."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-e", "-c", readme_block("### Interlock looks for itself")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "checks output every 5m (sql)" in out  # validate's line
    assert "daily-report/output" in out  # interlock sensors
    assert "daily-report/raw-landed" in out
