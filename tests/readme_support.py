"""The README's bash blocks, for the tests that run them exactly as written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
