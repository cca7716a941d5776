"""docs/checkers.md "Writing your own checker": the example works as documented.

The Python block is installed as a real package on a tmp ``sys.path`` entry with the
documented entry point, then run through the registry and the checker runner.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interlock.app import Interlock
from interlock.checkers.registry import checker_factory
from interlock.controller.checks import CheckRunner
from interlock.controller.clock import FakeClock
from interlock.errors import InputError
from interlock.model.checkers import SensorCheckSpec
from interlock.model.specs import PipelineSpec

DOC = Path(__file__).parents[2] / "docs" / "checkers.md"
REPORT = """
pipeline: {id: report}
partitions:
  time: {granularity: daily, start: 2026-11-28, end: 2026-11-30, timezone: UTC}
complete:
  rules: [{key: output, check: gte, field: rows, value: 1}]
job: {type: mock}
"""


def _block(language: str, marker: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    return next(block for block in blocks if marker in block)


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[None]:
    """The documented package and its entry point, importable for this test only."""
    site = tmp_path / "site"
    (site / "acme_checks").mkdir(parents=True)
    (site / "acme_checks" / "__init__.py").write_text(_block("python", "class CsvRowsChecker"))
    toml = _block("toml", "interlock.checkers")
    name, _, target = toml.splitlines()[-1].partition("=")
    entry = f"{name.strip()} = {target.strip().strip(chr(34))}"  # TOML string → INI value
    dist = site / "acme_checks-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-checks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[interlock.checkers]\n{entry}\n")
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("acme_checks", None)
        importlib.invalidate_caches()


@pytest.mark.usefixtures("installed")
def test_documented_checker_records_rows_per_day(tmp_path: Path) -> None:
    """Two days' files exist, one does not: three readings, the missing one ``rows: 0``."""
    data = tmp_path / "exports"
    data.mkdir()
    (data / "2026-11-28.csv").write_text("id\n1\n2\n3\n")
    (data / "2026-11-29.csv").write_text("id\n1\n")
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "report.yaml").write_text(REPORT)
    clock = FakeClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    il = Interlock(db=f"sqlite:///{tmp_path}/il.db", pipelines=tmp_path / "pipelines", clock=clock)
    il.apply()
    check = SensorCheckSpec(
        key="output",
        kind="csv-rows",
        every=timedelta(minutes=5),
        config={"path": f"{data}/${{date}}.csv"},
        pipeline_id="report",
    )

    def specs() -> Mapping[str, PipelineSpec]:
        return {"report": replace(il.specs()["report"], sensors=(check,))}

    outcome = CheckRunner(il.store, specs, clock).run_due()
    il.close()
    assert outcome[0].ok
    assert [(o.partition, dict(o.data)) for o in outcome[0].recorded] == [
        ("2026-11-28", {"exists": True, "rows": 3}),
        ("2026-11-29", {"exists": True, "rows": 1}),
        ("2026-11-30", {"exists": False, "rows": 0}),
    ]


@pytest.mark.usefixtures("installed")
def test_documented_checker_refuses_a_config_without_path() -> None:
    """The example validates its config when built, naming the field."""
    with pytest.raises(InputError, match=r"^path: expected path"):
        checker_factory("csv-rows")({})
