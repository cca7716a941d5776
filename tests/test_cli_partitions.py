"""``interlock partitions``: counts, the heat-map, who works on what, and the JSON contract.

Over a real SQLite store: five days by three campaigns (a fixed end, so "today" does not move
the range), the sensors reported twelve outputs, and the controller started a moment ago.
"""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from interlock.abc import ReadingInput
from interlock.app import Interlock
from interlock.cli import main
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import MockBackend
from interlock.schemas import PartitionsOut

REPORT = """
pipeline: {id: report}
partitions:
  time: {start: 2026-11-01, end: 2026-11-05}
  dimensions:
    campaign: {values: [a, b, c]}
complete:
  rules: [{key: output, check: gte, field: rows, value: 1}]
backfill: {maxConcurrent: 2}
job: {type: mock}
"""
PLAIN = "pipeline: {id: plain}\nschedule: {cron: '0 6 * * *'}\njob: {type: mock}\n"
UNREPORTED = {"2026-11-03|campaign=a", "2026-11-03|campaign=b", "2026-11-05|campaign=c"}


@pytest.fixture
def db(tmp_path: Path) -> str:
    """The store after the controller started: two backfills running, one waiting."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "report.yaml").write_text(textwrap.dedent(REPORT), encoding="utf-8")
    (folder / "plain.yaml").write_text(PLAIN, encoding="utf-8")
    url = f"sqlite:///{tmp_path}/interlock.db"
    il = Interlock(
        db=url,
        pipelines=folder,
        clock=FakeClock(datetime.now(UTC)),  # the CLI reads the real clock: jobs just started
        backends=lambda _t: MockBackend(lambda _r: "running"),
    )
    il.apply()
    il.put_readings(
        [
            ReadingInput(key="output", data={"rows": 1}, pipeline_id="report", partition=p)
            for p in (f"2026-11-0{d}|campaign={c}" for d in range(1, 6) for c in "abc")
            if p not in UNREPORTED
        ]
    )
    controller = il.controller(ControllerSettings(workers=0))
    controller.bootstrap()
    controller.run_until_idle()
    il.close()
    return url


def run(*args: str) -> Result:
    """``interlock ARGS``."""
    return CliRunner().invoke(main, list(args))


def test_counts_heat_map_and_who_works_on_what(db: str) -> None:
    """One screen: how many in each state, a cell per day and campaign, the open work."""
    result = run("partitions", "report", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "report: 15 partitions (date by campaign)"
    assert "done 12" in lines[1]
    assert "2026-11-03  r w #" in lines  # newest first: the 5th's c and the 3rd's a run
    assert "2026-11-05  # # r" in lines
    waiting = next(line for line in lines if line.startswith("waiting "))
    assert "2026-11-03|campaign=b" in waiting
    assert "free slot" in waiting


def test_json_contract(db: str) -> None:
    """``--json`` is :class:`PartitionsOut`: every state counted, the not-done ones listed."""
    result = run("partitions", "report", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    PartitionsOut.model_validate(data)
    assert list(data) == ["pipeline", "dimensions", "total", "counts", "partitions", "truncated"]
    assert data["counts"] == {
        "done": 12,
        "missing": 0,
        "waiting": 1,
        "running": 2,
        "failed": 0,
        "stale": 0,
    }
    assert [p["partition"] for p in data["partitions"]] == sorted(UNREPORTED)
    assert data["partitions"][0]["run"]["reason"] == "backfill"


def test_state_and_where_select(db: str) -> None:
    """``--state done --where campaign=c``: four of the five days."""
    result = run("partitions", "report", "--db", db, "--state", "done", "--where", "campaign=c")
    data = json.loads(
        run(
            "partitions", "report", "--db", db, "--json", "--state", "done", "--where", "campaign=c"
        ).output
    )
    assert result.exit_code == 0
    assert data["total"] == 4
    assert all(p["partition"].endswith("|campaign=c") for p in data["partitions"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("partitions", "reprot"), "did you mean 'report'"),
        (("partitions", "plain"), "plain declares no partitions"),
        (("partitions", "report", "--where", "region=eu"), "report has no dimension 'region'"),
        (("partitions", "report", "--where", "campaign"), "--where takes NAME=VALUE"),
    ],
)
def test_mistakes_are_one_line_and_exit_non_zero(db: str, args: tuple[str, ...], message: str):
    """A typo or a question the pipeline cannot answer: a sentence, never a traceback."""
    result = run(*args, "--db", db)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
