"""The documented ``interlock simulate`` of the partitions example: its command and its output.

``tests/data/simulate/campaign-january.out.jsonl`` is the recorded ``--json`` output of the
example; like the other golden files there, the output must stay byte-identical (a change is
a change of a public contract, re-recorded on purpose).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from interlock.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "simulate-partitions.md"
GOLDEN = ROOT / "tests" / "data" / "simulate" / "campaign-january.out.jsonl"
EXAMPLE = ["examples/partitions/campaign-report.yaml", "--readings"]


def documented_command() -> list[str]:
    """The arguments of the ``interlock simulate`` command the doc shows."""
    found = re.search(
        r"^\$ interlock (simulate .+)$", DOC.read_text(encoding="utf-8"), re.MULTILINE
    )
    assert found is not None, "docs/simulate-partitions.md shows no interlock simulate command"
    return shlex.split(found.group(1))


def run(args: list[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """``interlock ARGS`` from the repository root, as the doc runs it; its output."""
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_documented_command_tells_the_story_the_doc_tells(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Six backfills at 06:00, one satisfied by hand, one healed, the next day backfilled."""
    args = documented_command()
    assert args[:2] == ["simulate", *EXAMPLE[:1]]
    output = run(args, monkeypatch)
    opened_at_start = re.findall(r"^2026-01-08T06:00:00Z RUN_OPENED +(\S+)", output, re.MULTILINE)
    assert opened_at_start == [
        "2026-01-07|campaign=newsletter",
        "2026-01-06|campaign=spring-sale",
        "2026-01-05|campaign=summer-sale",
        "2026-01-04|campaign=newsletter",
        "2026-01-02|campaign=spring-sale",
        "2026-01-01|campaign=summer-sale",
    ]
    assert "PARTITION_SATISFIED        2026-01-01|campaign=summer-sale" in output
    assert "PARTITION_MISSING          2026-01-03|campaign=newsletter" in output
    assert (
        "2026-01-08T23:00:00Z RUN_OPENED                 2026-01-08|campaign=newsletter" in output
    )
    for shown in re.findall(
        r"^(2026-\S+ [A-Z_]+ .+)$", DOC.read_text(encoding="utf-8"), re.MULTILINE
    ):
        assert shown in output.splitlines()


def test_the_json_output_of_the_example_is_byte_identical_to_the_recorded_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ``--json`` lines of the example are the recorded ones, byte for byte."""
    output = run([*documented_command(), "--json"], monkeypatch)
    assert output == GOLDEN.read_text(encoding="utf-8")
