"""The README's desired-state commands, run as written over the shipped example.

The block under "Keeping every partition done" is run literally under ``bash -e`` in a copy
of ``examples/``: the example validates, replays its January week, is stored, a reading
satisfies one partition, and ``partitions`` reports it as the README says.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.readme_support import readme_block, run_in_examples_copy


def partitions_block() -> str:
    """The bash block of the README's partitions section, exactly as written."""
    return readme_block("### Keeping every partition done")


def test_the_readme_partition_commands_run_as_written(tmp_path: Path) -> None:
    """Every line succeeds; the reading sent by hand makes its partition done."""
    result = run_in_examples_copy(partitions_block(), tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "PARTITION_SATISFIED        2026-01-01|campaign=summer-sale" in out  # the replay
    assert "PARTITION_MISSING          2026-01-03|campaign=newsletter" in out
    assert "campaign-report:" in out
    assert "missing  2026-01-01|campaign=newsletter  no run yet" in out  # oldest first
    done = json.loads(out[out.index("{\n") :])
    assert done["counts"]["done"] == 1
    assert [p["partition"] for p in done["partitions"]] == ["2026-11-30|campaign=newsletter"]
