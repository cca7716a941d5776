"""The README's bash blocks, for the tests that run them exactly as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def readme_block(heading: str) -> str:
    """The first ``bash`` block under the README heading matching ``heading`` (a regex).

    The section runs to the next heading of level two, so ``###`` sections work too.
    """
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(rf"^{heading}.*?\n(.*?)(?=^## )", text, re.DOTALL | re.MULTILINE)
    assert section is not None, f"README.md lost its section {heading!r}"
    block = re.search(r"^```bash\n(.*?)^```", section.group(1), re.DOTALL | re.MULTILINE)
    assert block is not None, f"the README section {heading!r} has no bash block"
    return block.group(1)


def run_in_examples_copy(block: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``block`` under ``bash -e`` in a copy of ``examples/``, this venv's ``interlock`` first."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-e", "-c", block],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
