"""The shipped examples load, and mean what the Go README says they mean."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from interlock.config import load_calendars, load_pipeline_file, load_pipelines
from interlock.model.conditions import AllOf, Rule
from interlock.model.specs import PipelineSpec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PIPELINES = EXAMPLES / "pipelines"


@pytest.fixture(scope="module")
def specs() -> dict[str, PipelineSpec]:
    """Every example pipeline by id, loaded as ``interlock validate examples/pipelines`` does."""
    return {spec.id: spec for spec in load_pipelines(PIPELINES)}


def test_every_example_loads(specs):
    """All six examples load together (unique ids, calendars found)."""
    assert sorted(specs) == [
        "batch-precondition",
        "gold-revenue",
        "gold-revenue-dryrun",
        "month-end-close",
        "silver-daily",
        "streaming-rollup",
    ]


@pytest.mark.parametrize("path", sorted(PIPELINES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_file_runs_a_local_command_job(path):
    """Each example loads on its own and uses a local ``command`` job with an argv list."""
    spec = load_pipeline_file(path)
    assert spec.job is not None
    assert spec.job.type == "command"
    assert isinstance(spec.job.config["command"], list)


def test_gold_revenue(specs):
    """The README's full example: cron 08:00, trigger, 3 rules, SLA 10:00/30m, 2 retries."""
    spec = specs["gold-revenue"]
    assert (spec.owner, spec.description) == (
        "analytics-team",
        "Gold-tier revenue aggregation pipeline",
    )
    assert (spec.schedule.cron, spec.schedule.timezone) == ("0 8 * * *", "UTC")
    assert spec.schedule.trigger is not None
    assert spec.schedule.trigger.condition == Rule(
        key="upstream-complete", check="equals", field="status", value="ready"
    )
    assert spec.schedule.evaluation.window == timedelta(hours=1)
    assert spec.schedule.evaluation.interval == timedelta(minutes=5)
    assert spec.sla is not None
    assert (spec.sla.deadline, spec.sla.expected_duration) == ("10:00", timedelta(minutes=30))
    assert spec.validation == AllOf(
        children=(
            Rule(key="upstream-complete", check="equals", field="status", value="ready"),
            Rule(key="row-count", check="gte", field="count", value=1000),
            Rule(key="freshness", check="age_lt", field="updatedAt", value="2h"),
        )
    )
    assert spec.job is not None
    assert spec.job.max_retries == 2
    assert spec.sensor_keys == {"upstream-complete", "row-count", "freshness"}


def test_gold_revenue_dry_run(specs):
    """The shadow-mode example is a dry run with a trigger and a job type."""
    spec = specs["gold-revenue-dryrun"]
    assert spec.dry_run is True
    assert spec.schedule.cron is None
    assert spec.schedule.trigger is not None
    assert spec.job is not None


def test_batch_precondition(specs):
    """Cron-driven, two rules, a 1h window checked every 5m."""
    spec = specs["batch-precondition"]
    assert spec.schedule.cron == "0 8 * * *"
    assert spec.schedule.trigger is None
    assert isinstance(spec.validation, AllOf)
    assert len(spec.validation.children) == 2


def test_streaming_rollup(specs):
    """Opens when consumer lag is ≤ 30s; re-checks every 2m for 30m."""
    spec = specs["streaming-rollup"]
    assert spec.schedule.trigger is not None
    assert spec.schedule.trigger.condition == Rule(
        key="consumer-lag", check="lte", field="lag_seconds", value=30
    )
    assert spec.schedule.evaluation.window == timedelta(minutes=30)
    assert spec.schedule.evaluation.interval == timedelta(minutes=2)
    assert isinstance(spec.validation, AllOf)
    assert len(spec.validation.children) == 3


def test_cross_pipeline_silver_daily(specs):
    """Waits for a boolean written by the upstream pipeline (a YAML boolean, not a string)."""
    spec = specs["silver-daily"]
    assert spec.validation == AllOf(
        children=(Rule(key="daily-status", check="equals", field="all_hours_complete", value=True),)
    )


def test_month_end_close(specs):
    """Inclusion dates instead of cron, an 8h window, and a 4h relative SLA."""
    spec = specs["month-end-close"]
    assert spec.schedule.cron is None
    assert spec.schedule.include_dates == ("2026-01-31", "2026-02-28", "2026-03-31")
    assert spec.schedule.evaluation.window == timedelta(hours=8)
    assert spec.schedule.evaluation.interval == timedelta(minutes=10)
    assert spec.sla is not None
    assert spec.sla.max_duration == timedelta(hours=4)


def test_us_federal_calendar():
    """The Go example calendar: weekends and the ten 2026 federal holidays."""
    calendar = load_calendars(EXAMPLES / "calendars")["us-federal"]
    assert calendar.weekdays == {5, 6}
    assert calendar.dates == {
        "2026-01-01",
        "2026-01-19",
        "2026-02-16",
        "2026-05-25",
        "2026-07-03",
        "2026-07-04",
        "2026-09-07",
        "2026-11-26",
        "2026-11-27",
        "2026-12-25",
    }


def test_orchestrator_examples_load_as_http_jobs_keyed_by_run_key():
    """The Airflow and Prefect examples load, and name each attempt by ``${runKey}``."""
    specs = {s.id: s for s in load_pipelines(EXAMPLES / "orchestrators")}
    assert sorted(specs) == ["daily-sales", "nightly-export"]
    for spec in specs.values():
        assert spec.job is not None
        assert spec.job.type == "http"
        assert "${runKey}" in str(spec.job.config["body"])
