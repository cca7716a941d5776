"""``explain`` follows unmet dependencies upstream: what each upstream does and, recursively, why.

Before: ``explain`` decided without the upstream runs (every dependency "not loaded"), and
said nothing of why an upstream was not done; ``--json`` kept dependencies as a loose dict.
The runs here are decided by the real controller over the real SQLite store on a fake clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tests.deps_support import needs, pipeline_yaml, with_dependencies

from interlock.app import Interlock
from interlock.cli import main
from interlock.controller.clock import FakeClock
from interlock.controller.loop import ControllerSettings
from interlock.jobs import MockBackend
from interlock.schemas import ExplainOut

RAW_RULES = "[{key: rows, check: gte, field: count, value: 1000}]"
DAY = "2026-11-23"


@pytest.fixture
def chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Interlock]:
    """raw-events (waits on rows ≥ 1000, sees 50) ← listings ← pipeline-x, at 08:20."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    for name, rules in (("raw-events", RAW_RULES), ("listings", ""), ("pipeline-x", "")):
        (folder / f"{name}.yaml").write_text(pipeline_yaml(name, rules=rules), encoding="utf-8")
    with_dependencies(
        monkeypatch, {"listings": needs("raw-events"), "pipeline-x": needs("listings")}
    )
    clock = FakeClock(datetime(2026, 11, 23, 7, tzinfo=UTC))
    backend = MockBackend(lambda _request: "running")
    il = Interlock(
        db=f"sqlite:///{tmp_path}/i.db", pipelines=folder, clock=clock, backends=lambda _t: backend
    )
    il.apply()
    controller = il.controller(ControllerSettings(workers=0))
    clock.set(datetime(2026, 11, 23, 8, 10, tzinfo=UTC))
    il.put_reading("raw-events", "rows", {"count": 50})
    controller.run_until_idle()
    clock.set(datetime(2026, 11, 23, 8, 20, tzinfo=UTC))
    controller.run_until_idle()
    yield il
    il.close()


def run(*args: str) -> Result:
    """The CLI as a pipe sees it."""
    return CliRunner().invoke(main, list(args))


def db_of(il: Interlock) -> list[str]:
    """``--db`` for the installation."""
    return ["--db", str(il.store.engine.url)]


def test_explain_names_the_upstream_and_why_it_waits_three_levels_up(chain: Interlock) -> None:
    """pipeline-x waits for listings, which waits for raw-events, which waits for its rows."""
    result = run("explain", "pipeline-x", DAY, *db_of(chain))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = lines.index("  dependencies: waiting")
    tree = lines[start + 1 :]
    assert tree[0].startswith("    listings: WAITING: ")
    assert tree[1].startswith("      raw-events: WAITING: ")
    assert "count 50 gte 1000 is false" in tree[1]


def test_explain_json_gives_the_same_tree(chain: Interlock) -> None:
    """``checks[0].upstream`` is listings' node; its ``checks[0].upstream`` is raw-events'."""
    result = run("explain", "pipeline-x", "--partition", DAY, "--json", *db_of(chain))
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    ExplainOut.model_validate(shown)  # the documented shape, closed
    deps = shown["explanation"]["dependencies"]
    assert deps["passed"] is False
    check = deps["checks"][0]
    assert (check["label"], check["status"], check["accepts"]) == (
        "listings",
        "WAITING",
        ["SUCCEEDED"],
    )
    assert check["blocking"]["pipeline"] == "listings"
    listings = check["upstream"]
    assert (listings["pipeline"], listings["partition"], listings["state"]) == (
        "listings",
        DAY,
        "WAITING",
    )
    assert listings["cut"] == ""
    raw = listings["dependencies"]["checks"][0]["upstream"]
    assert (raw["pipeline"], raw["state"], raw["dependencies"]) == ("raw-events", "WAITING", None)
    assert "count 50 gte 1000 is false" in raw["waitingFor"]
    assert set(check) == {
        "label",
        "pipeline",
        "status",
        "accepts",
        "mapping",
        "optional",
        "partitions",
        "matched",
        "blocking",
        "reason",
        "upstream",
    }
    assert set(listings) == {
        "pipeline",
        "partition",
        "state",
        "summary",
        "waitingFor",
        "dependencies",
        "cut",
    }


def test_a_paused_required_upstream_is_named(chain: Interlock) -> None:
    """Listings paused, no run of it for the 25th: pipeline-x is blocked, not silently waiting."""
    chain.pause("listings", reason="backfill")
    result = run("explain", "pipeline-x", "2026-11-25", *db_of(chain))
    assert result.exit_code == 0, result.output
    assert "  dependencies: blocked" in result.stdout
    assert "    blocked: listings is paused" in result.stdout


def test_explain_of_a_pipeline_without_dependencies_is_unchanged(chain: Interlock) -> None:
    """No dependencies line, no extra keys: ``dependencies`` stays null in JSON."""
    result = run("explain", "raw-events", DAY, *db_of(chain))
    assert "dependencies" not in result.stdout
    shown = json.loads(run("explain", "raw-events", DAY, "--json", *db_of(chain)).stdout)
    assert shown["explanation"]["dependencies"] is None
