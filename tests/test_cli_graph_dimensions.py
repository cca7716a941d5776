"""``interlock graph`` over a dimension mapping: the edge says ``all campaigns of the day``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from interlock.app import Interlock
from interlock.cli import main
from interlock.controller.clock import FakeClock

CLICKS = """
pipeline: {id: clicks}
partitions:
  time: {start: 2026-11-01, end: 2026-11-30}
  dimensions:
    campaign: {values: [a, b, c]}
job: {type: mock}
"""

REPORT = """
pipeline: {id: report}
schedule: {cron: "0 9 * * *", timezone: UTC}
dependsOn: [{pipeline: clicks, partition: {all: campaign}}]
job: {type: mock}
"""


def test_the_graph_reads_the_dimension_mapping_as_words(tmp_path: Path) -> None:
    """The report hangs under clicks, annotated with the mapping in words."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "clicks.yaml").write_text(CLICKS, encoding="utf-8")
    (folder / "report.yaml").write_text(REPORT, encoding="utf-8")
    il = Interlock(
        db=f"sqlite:///{tmp_path}/i.db",
        pipelines=folder,
        clock=FakeClock(datetime(2026, 11, 23, 7, tzinfo=UTC)),
    )
    try:
        il.apply()
        result = CliRunner().invoke(main, ["graph", "--db", str(il.store.engine.url)])
    finally:
        il.close()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["clicks", "  report [all campaigns of the day]"]
