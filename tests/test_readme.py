"""The README's two set-up commands, run as a new user would from a clean clone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    """The commands of the README's first code block, without comments."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.DOTALL)
    assert block is not None
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_run_and_test_commands() -> None:
    """Exactly two commands; the second is what CI runs."""
    run, test = readme_commands()
    assert run == "./scripts/interlock demo"
    assert test == "./scripts/test"
    assert "exec scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_run_command_from_a_clean_clone(tmp_path: Path) -> None:
    """A clean clone installs itself and runs the demo on SQLite to a summary (short run)."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--local", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
    run, _ = readme_commands()
    result = subprocess.run(
        [*run.split(), "--seconds", "12"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "summary" in result.stdout
    assert "orders-daily" in result.stdout
    assert "SUCCEEDED" in result.stdout
    assert (clone / ".interlock-demo" / "demo.db").exists()
