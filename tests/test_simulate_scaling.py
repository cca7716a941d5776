"""The simulation at scale: same output as before, cost that follows the work, not the clock.

- Golden files: ``tests/data/simulate/*.out.*`` were recorded with the implementation before
  streaming and the indexes (commit 13a3bd5); the output must stay byte-identical. The text
  one was re-recorded when piped output stopped wrapping at 80 columns (whitespace at the old
  wrap points is all that changed).
- A reference simulation that scans every run (as that implementation did) agrees with the
  indexed one on random timelines.
- Idle time costs nothing; a reading, a timer and a decision touch only what they concern.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import interlock.simulation.engine
from interlock.cli import main
from interlock.config import load_pipeline_file, parse_pipeline
from interlock.decide.plan import local_partition
from interlock.decide.wake import woken_by_reading
from interlock.model import Decision, Event, ReadingSet, Run, RunState
from interlock.model.specs import PipelineSpec
from interlock.simulation.engine import UNDATED_WAKE_STATES, Simulation

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "simulate"
EXAMPLES = ROOT / "examples" / "pipelines"
GOLDEN = [
    ("gold-revenue", EXAMPLES / "gold-revenue.yaml", ()),
    ("month-end-close", EXAMPLES / "month-end-close.yaml", ()),
    ("streaming-rollup", EXAMPLES / "streaming-rollup.yaml", ()),
    (
        "gold-revenue-dryrun",
        EXAMPLES / "gold-revenue-dryrun.yaml",
        ("--until", "2026-12-10T00:00:00Z"),
    ),
    ("hourly-post", DATA / "hourly-post.yaml", ()),
    ("orders", DATA / "orders.yaml", ()),
]
START = datetime(2026, 11, 22, 6, tzinfo=UTC)
TRIGGER_ONLY = """
pipeline: {id: orders}
schedule:
  trigger: {key: landed, check: equals, field: status, value: ready}
validation:
  rules:
    - {key: landed, check: equals, field: status, value: ready}
job: {type: command, config: {command: ["true"]}}
"""
DAILY_CRON = """
pipeline: {id: daily}
schedule:
  cron: "0 8 * * *"
  evaluation: {window: 1h, interval: 30m}
validation:
  rules:
    - {key: rows, check: gte, field: count, value: 1}
job: {type: command, config: {command: ["true"]}}
"""


@pytest.mark.parametrize(("name", "pipeline", "options"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_json_output_is_byte_identical_to_the_recorded_one(
    name: str, pipeline: Path, options: tuple[str, ...]
) -> None:
    """Valid timelines print exactly what they printed before this rewrite."""
    timeline = DATA / f"{name}.jsonl"
    result = CliRunner().invoke(
        main, ["simulate", str(pipeline), "--readings", str(timeline), "--json", *options]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (DATA / f"{name}.out.jsonl").read_text(encoding="utf-8")


@pytest.mark.parametrize("columns", ["40", "80", "300"])
def test_text_output_is_byte_identical_to_the_recorded_one(
    monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    """The human output too: through a pipe one event is one line, whatever the terminal width.

    Re-recorded when output stopped wrapping at 80 columns (only the wrap points changed).
    """
    monkeypatch.setenv("COLUMNS", columns)
    timeline = DATA / "gold-revenue.jsonl"
    result = CliRunner().invoke(
        main, ["simulate", str(EXAMPLES / "gold-revenue.yaml"), "--readings", str(timeline)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (DATA / "gold-revenue.out.txt").read_text(encoding="utf-8")
    assert len(result.stdout.splitlines()) == 30  # the timeline's events, one line each


def test_text_output_prints_markup_in_messages_as_is(tmp_path: Path) -> None:
    """A job message like ``[/x]`` is text, not rich markup (it raised MarkupError)."""
    (tmp_path / "p.yaml").write_text(TRIGGER_ONLY, encoding="utf-8")
    (tmp_path / "t.jsonl").write_text(
        '{"at": "2026-11-22T08:00:00Z", "key": "landed", "data": {"status": "ready"}}\n'
        '{"at": "2026-11-22T08:30:00Z", "job": "failed", "message": "bad [/x] and [bold]y"}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["simulate", str(tmp_path / "p.yaml"), "--readings", str(tmp_path / "t.jsonl")]
    )
    assert result.exit_code == 0, result.output
    assert "job failed: bad [/x] and [bold]y" in result.stdout


# A reference: the simulation as it was, scanning every run -------------------------------


class ScanningSimulation(Simulation):
    """Finds due timers, woken runs and the latest launch by scanning every run."""

    def advance_to(self, until: datetime) -> None:
        """The earliest due run among all runs, again and again."""
        while True:
            due = [r for r in self.runs.values() if r.next_check_at and r.next_check_at <= until]
            if not due:
                break
            first = min(due, key=lambda r: (r.next_check_at or until, r.partition))
            self.now = max(self.now, first.next_check_at or until)
            self._decide(first.partition)
        self.now = max(self.now, until)

    def _woken_by(self, key: str, partition: str | None, at: datetime) -> list[str]:
        return [
            r.partition
            for r in self.runs.values()
            if woken_by_reading(self.pipeline, r, key=key, partition=partition, now=at)
        ]

    def _launched(self, partition: str | None) -> Run | None:
        live = [
            r
            for r in self.runs.values()
            if r.state in (RunState.LAUNCHING, RunState.RUNNING, RunState.SHADOWED)
            and (partition is None or r.partition == partition)
        ]
        return max(live, key=lambda r: (r.launched_at or self.start, r.partition), default=None)

    def _readings_for(self, partition: str) -> ReadingSet:  # noqa: ARG002 - sees them all
        return ReadingSet.of(self.readings.values())


def random_inputs(seed: int, count: int) -> Iterator[tuple[str, datetime, dict[str, Any]]]:
    """Readings (undated, dated, key-suffixed), job outcomes and reruns, in time order."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    moment = START
    keys = ["upstream-complete", "row-count", "freshness", "landed", "rows", "month-end-ready"]
    for _ in range(count):
        moment += timedelta(minutes=rng.choice([0, 1, 5, 20, 60, 240]))
        day = moment.date().isoformat()
        roll = rng.random()
        if roll < 0.12:
            status = rng.choice(["succeeded", "failed", "running"])
            yield "job", moment, {"status": status, "category": rng.choice([None, "PERMANENT"])}
        elif roll < 0.17:
            yield "rerun", moment, {"partition": day, "reason": rng.choice(["manual", "late-data"])}
        else:
            key = rng.choice(keys)
            data = {
                "status": "ready",
                "count": rng.choice([5, 5000]),
                "updatedAt": moment.isoformat(),
            }
            partition = day if rng.random() < 0.3 else None
            if partition is None and rng.random() < 0.1:
                key = f"{key}#{day.replace('-', '')}"
            yield "reading", moment, {"key": key, "data": data, "partition": partition}


def play(sim: Simulation, inputs: Iterator[tuple[str, datetime, dict[str, Any]]]) -> None:
    """Feed ``inputs`` to ``sim`` and run the clock one day past the last."""
    last = sim.start
    for kind, moment, args in inputs:
        if kind == "job":
            sim.job_outcome(args["status"], at=moment, category=args["category"])
        elif kind == "rerun":
            sim.rerun(args["partition"], at=moment, reason=args["reason"])
        else:
            sim.put_reading(args["key"], args["data"], at=moment, partition=args["partition"])
        last = moment
    sim.advance_to(last + timedelta(days=1))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize(
    "example",
    ["gold-revenue", "gold-revenue-dryrun", "month-end-close", "streaming-rollup", "hourly-post"],
)
def test_indexed_simulation_agrees_with_scanning_every_run(seed: int, example: str) -> None:
    """Same events and final runs as the reference, on random timelines of 150 inputs."""
    folder = DATA if example == "hourly-post" else EXAMPLES
    spec = load_pipeline_file(folder / f"{example}.yaml")
    indexed = Simulation(spec, start=START)
    reference = ScanningSimulation(spec, start=START)
    play(indexed, random_inputs(seed, 150))
    play(reference, random_inputs(seed, 150))
    assert indexed.events == reference.events
    assert indexed.runs == reference.runs


# Cost follows the work -----------------------------------------------------------------------


class CountingRuns(dict[str, Run]):
    """A runs dict that counts whole-dict scans (``values``, ``items``, iteration)."""

    scans = 0

    def values(self) -> Any:
        """Count, then the values."""
        CountingRuns.scans += 1
        return super().values()

    def items(self) -> Any:
        """Count, then the items."""
        CountingRuns.scans += 1
        return super().items()

    def __iter__(self) -> Any:
        CountingRuns.scans += 1
        return super().__iter__()


def spec_of(text: str) -> PipelineSpec:
    """A pipeline written inline."""
    return parse_pipeline(text, source="<test>")


def test_a_hundred_idle_years_cost_no_decision() -> None:
    """A trigger-only pipeline with nothing due: advancing 100 years decides nothing."""
    sim = Simulation(spec_of(TRIGGER_ONLY), start=START)
    sim.put_reading("landed", {"status": "ready"}, at=START)
    sim.job_outcome("succeeded", at=START + timedelta(minutes=5))
    before = len(sim.decisions)
    sim.advance_to(START + timedelta(days=365 * 100))
    assert len(sim.decisions) == before
    sim.put_reading("landed", {"status": "ready"}, at=START + timedelta(days=365 * 100))
    assert [e.type for e in sim.events[-3:]] == ["RUN_OPENED", "VALIDATION_PASSED", "JOB_TRIGGERED"]


def test_timers_readings_and_launches_never_scan_every_run() -> None:
    """Two years of daily runs: no whole scan of the runs per timer, reading or job line."""
    sim = Simulation(spec_of(DAILY_CRON), start=START)
    sim.runs = CountingRuns(sim.runs)
    CountingRuns.scans = 0
    moment = START
    for _ in range(730):
        moment += timedelta(days=1)
        sim.put_reading("rows", {"count": 5}, at=moment.replace(hour=8, minute=10))
        sim.job_outcome("succeeded", at=moment.replace(hour=8, minute=40))
        sim.put_reading("rows", {"count": 5}, at=moment.replace(hour=12), partition="2026-11-23")
    assert len(sim.runs) > 730
    assert CountingRuns.scans == 0


def test_a_reading_asks_the_wake_rule_only_about_runs_it_may_wake(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a year of daily runs, an undated reading checks a handful of runs, not 365."""
    sim = Simulation(spec_of(DAILY_CRON), start=START)
    sim.advance_to(START + timedelta(days=365))
    asked: list[str] = []

    def counting(pipeline: PipelineSpec, run: Run, **kwargs: Any) -> bool:
        asked.append(run.partition)
        return woken_by_reading(pipeline, run, **kwargs)

    monkeypatch.setattr(interlock.simulation.engine, "woken_by_reading", counting)
    sim.put_reading("rows", {"count": 1}, at=START + timedelta(days=365, hours=3))
    assert len(sim.runs) > 365
    assert len(asked) <= 2, asked


def test_a_decision_sees_only_its_partition_and_undated_readings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A dated reading per day for a year: each decision gets a few readings, not 365."""
    sizes: list[int] = []
    real = interlock.simulation.engine.decide

    def measuring(
        pipeline: PipelineSpec, run: Run, readings: ReadingSet, **kwargs: Any
    ) -> Decision:
        sizes.append(len(readings.readings))
        return real(pipeline, run, readings, **kwargs)

    monkeypatch.setattr(interlock.simulation.engine, "decide", measuring)
    sim = Simulation(spec_of(DAILY_CRON), start=START)
    for day in range(365):
        moment = START + timedelta(days=day)
        sim.put_reading("rows", {"count": 1}, at=moment, partition=moment.date().isoformat())
        sim.put_reading("other", {"count": 1}, at=moment)
    assert len(sim.readings) > 365
    assert max(sizes) <= 2


def test_streaming_keeps_nothing_and_sees_every_event() -> None:
    """``record=False`` keeps no events or decisions; ``on_event`` gets the same events."""
    spec = load_pipeline_file(EXAMPLES / "gold-revenue.yaml")
    seen: list[Event] = []
    streaming = Simulation(spec, start=START, on_event=seen.append, record=False)
    recording = Simulation(spec, start=START)
    play(streaming, random_inputs(7, 300))
    play(recording, random_inputs(7, 300))
    assert streaming.events == []
    assert streaming.decisions == []
    assert seen == recording.events
    assert len(seen) > 20


@pytest.mark.parametrize("state", list(RunState))
@pytest.mark.parametrize("today", [True, False])
@pytest.mark.parametrize("finished_hours_ago", [1, 1000])
def test_undated_wake_states_cover_the_wake_rule(
    state: RunState, today: bool, finished_hours_ago: int
) -> None:
    """If the one wake rule wakes a run for an undated reading, the simulation asks about it.

    Only runs in UNDATED_WAKE_STATES, and today's run, are asked; this fails if the rule in
    ``decide/wake.py`` starts waking runs of another state.
    """
    spec = spec_of(TRIGGER_ONLY)
    now = START + timedelta(days=3)
    done = now - timedelta(hours=finished_hours_ago)
    partition = local_partition("UTC", now) if today else "2026-11-20"
    run = Run(
        pipeline_id=spec.id,
        partition=partition,
        state=state,
        created_at=START,
        launched_at=done,
        finished_at=done,
    )
    for key in ("landed", "other"):
        if woken_by_reading(spec, run, key=key, partition=None, now=now):
            assert state in UNDATED_WAKE_STATES or today
