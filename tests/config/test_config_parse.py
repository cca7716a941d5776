"""Valid documents: defaults, the condition tree, and the values each field becomes."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

import interlock.config
from interlock.config import JOB_TYPES, parse_pipeline
from interlock.model.conditions import AllOf, AnyOf, Rule
from interlock.model.specs import (
    CalendarSpec,
    EvaluationSpec,
    ExcludeSpec,
    PostRunSpec,
    ScheduleSpec,
    TriggerSpec,
)

A = Rule(key="a", check="exists")
B = Rule(key="b", check="gte", field="n", value=1)
C = Rule(key="c", check="equals", field="s", value="ok")
RULES = """\
    - {key: a, check: exists}
    - {key: b, check: gte, field: n, value: 1}
"""


def test_all_is_exported():
    """Every name in ``interlock.config.__all__`` exists."""
    for name in interlock.config.__all__:
        assert hasattr(interlock.config, name)


def test_only_an_id_is_valid_and_gets_the_go_defaults(parse):
    """``pipeline.id`` alone is a complete config; every other field has its Go default."""
    spec = parse("pipeline: {id: p}\n")
    assert spec.id == "p"
    assert (spec.owner, spec.description) == ("", "")
    assert spec.schedule == ScheduleSpec()
    assert spec.schedule.evaluation == EvaluationSpec(
        window=timedelta(hours=1), interval=timedelta(minutes=5)
    )
    assert spec.validation == AllOf()
    assert (spec.sla, spec.job, spec.post_run, spec.dry_run) == (None, None, None, False)
    assert spec.source == "p.yaml"


def test_source_defaults_to_string_marker():
    """Without ``source`` the spec (and any problem) names ``<string>``."""
    assert parse_pipeline("pipeline: {id: p}").source == "<string>"


def test_config_hash_is_sha256_of_canonical_json(parse):
    """The hash ignores key order, comments and layout, and changes with any value."""
    spec = parse("pipeline: {id: p, owner: me}  # comment\n")
    same = parse("pipeline:\n  owner: me\n  id: p\n")
    other = parse("pipeline: {id: p, owner: you}\n")
    canonical = json.dumps({"pipeline": {"id": "p", "owner": "me"}}, separators=(",", ":"))
    assert spec.config_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert same.config_hash == spec.config_hash
    assert other.config_hash != spec.config_hash


@pytest.mark.parametrize(
    ("mode", "kind"),
    [("ALL", AllOf), ("all", AllOf), ("All", AllOf), ("ANY", AnyOf), ("any", AnyOf)],
)
def test_validation_mode_is_case_insensitive(parse, mode, kind):
    """``validation.trigger`` is ALL or ANY in any case, and picks the combinator."""
    spec = parse(f"pipeline: {{id: p}}\nvalidation:\n  trigger: {mode}\n  rules:\n{RULES}")
    assert spec.validation == kind(children=(A, B))


def test_validation_defaults_to_all(parse):
    """Without ``trigger`` the rules are combined with ALL (Go's default)."""
    spec = parse(f"pipeline: {{id: p}}\nvalidation:\n  rules:\n{RULES}")
    assert spec.validation == AllOf(children=(A, B))


def test_nested_groups_compile_recursively(parse):
    """``allOf`` / ``anyOf`` items nest to any depth: ``a AND (b OR (c AND a))``."""
    spec = parse(
        """\
        pipeline: {id: p}
        validation:
          trigger: ALL
          rules:
            - {key: a, check: exists}
            - anyOf:
                - {key: b, check: gte, field: n, value: 1}
                - allOf:
                    - {key: c, check: equals, field: s, value: ok}
                    - {key: a, check: exists}
        """
    )
    assert spec.validation == AllOf(children=(A, AnyOf(children=(B, AllOf(children=(C, A))))))


def test_trigger_becomes_a_rule_with_its_deadline(parse):
    """``schedule.trigger`` compiles to TriggerSpec(condition=Rule, deadline)."""
    spec = parse(
        """\
        pipeline: {id: p}
        schedule:
          trigger: {key: c, check: equals, field: s, value: ok, deadline: ":30"}
        """
    )
    assert spec.schedule.trigger == TriggerSpec(condition=C, deadline=":30")
    assert spec.sensor_keys == {"c"}


def test_full_schedule(parse):
    """Every schedule field lands in the spec with its parsed value."""
    spec = parse(
        """\
        pipeline: {id: p}
        schedule:
          cron: "0  8 * * 1-5"
          timezone: America/New_York
          evaluation: {window: 1d, interval: 90s}
          exclude:
            weekends: true
            dates: ["2026-12-24"]
            holidays: [US, us-ny]
          time: "07:45"
        """
    )
    schedule = spec.schedule
    assert schedule.cron == "0 8 * * 1-5"
    assert schedule.timezone == "America/New_York"
    assert schedule.evaluation == EvaluationSpec(
        window=timedelta(days=1), interval=timedelta(seconds=90)
    )
    assert schedule.exclude == ExcludeSpec(
        weekends=True, dates=frozenset({"2026-12-24"}), holidays=("US", "us-ny")
    )
    assert schedule.time == "07:45"


def test_holidays_may_be_a_single_code(parse):
    """``exclude.holidays: US`` is the same as ``[US]``."""
    spec = parse("pipeline: {id: p}\nschedule:\n  exclude: {holidays: US}\n")
    assert spec.schedule.exclude.holidays == ("US",)


def test_include_dates_and_calendar(parse):
    """Inclusion dates stay strings in order; a calendar name resolves to its spec."""
    federal = CalendarSpec(name="us-federal", weekdays=frozenset({5, 6}))
    spec = parse(
        """\
        pipeline: {id: p}
        schedule:
          include:
            dates: [2026-01-31, "2026-02-28"]
          calendar: us-federal
        """,
        calendars={"us-federal": federal},
    )
    assert spec.schedule.include_dates == ("2026-01-31", "2026-02-28")
    assert spec.schedule.calendar is federal


@pytest.mark.parametrize("zone", ["", "UTC"])
def test_empty_timezone_means_utc(parse, zone):
    """An empty or UTC zone is UTC, as Go's ``LoadLocation("")``."""
    spec = parse(f'pipeline: {{id: p}}\nschedule:\n  timezone: "{zone}"\n')
    assert spec.schedule.timezone == "UTC"


def test_sla_fields(parse):
    """Deadline, durations, zone and critical flag are parsed; ``:MM`` is allowed."""
    spec = parse(
        """\
        pipeline: {id: p}
        schedule:
          trigger: {key: a, check: exists}
        sla:
          deadline: ":45"
          expectedDuration: 0s
          maxDuration: 24h
          timezone: Europe/Berlin
          critical: true
        """
    )
    assert spec.sla is not None
    assert spec.sla.deadline == ":45"
    assert spec.sla.expected_duration == timedelta(0)
    assert spec.sla.max_duration == timedelta(hours=24)
    assert (spec.sla.timezone, spec.sla.critical) == ("Europe/Berlin", True)


def test_job_fields_and_defaults(parse):
    """Budgets default as in Go; config is kept as written; 0 poll window means 3600s."""
    spec = parse(
        """\
        pipeline: {id: p}
        job:
          type: command
          config:
            command: [python3, -c, "print('${date}')"]
            env: {A: "1"}
          jobPollWindowSeconds: 0
        """
    )
    assert spec.job is not None
    assert spec.job.type == "command"
    assert spec.job.config == {"command": ["python3", "-c", "print('${date}')"], "env": {"A": "1"}}
    assert (spec.job.max_retries, spec.job.max_code_retries) == (0, 1)
    assert (spec.job.max_drift_reruns, spec.job.max_manual_reruns) == (1, 1)
    assert spec.job.poll_window == timedelta(seconds=3600)
    assert spec.job.poll_interval == timedelta(seconds=60)


def test_job_budgets_and_polling(parse):
    """Explicit budgets, poll window and ``pollInterval`` override the defaults."""
    spec = parse(
        """\
        pipeline: {id: p}
        job: {type: mock, maxRetries: 3, maxCodeRetries: 0, maxDriftReruns: 5,
              maxManualReruns: 0, jobPollWindowSeconds: 120, pollInterval: 15s}
        """
    )
    assert spec.job is not None
    assert (spec.job.max_retries, spec.job.max_code_retries) == (3, 0)
    assert (spec.job.max_drift_reruns, spec.job.max_manual_reruns) == (5, 0)
    assert spec.job.poll_window == timedelta(seconds=120)
    assert spec.job.poll_interval == timedelta(seconds=15)


@pytest.mark.parametrize("job_type", JOB_TYPES)
def test_every_job_type_is_accepted(parse, job_type):
    """Every registered backend (``interlock.backends``) is a valid ``job.type`` value."""
    assert parse(f"pipeline: {{id: p}}\njob: {{type: {job_type}}}\n").job.type == job_type


def test_post_run(parse):
    """``postRun.rules`` compile to ALL; timeout and drift settings are parsed."""
    spec = parse(
        """\
        pipeline: {id: p}
        postRun:
          rules:
            - {key: a, check: exists}
            - {key: b, check: gte, field: n, value: 1}
          evaluation: {window: 2h, interval: 10m}
          sensorTimeout: 30m
          driftField: row_count
          driftThreshold: 5
        """
    )
    assert spec.post_run == PostRunSpec(
        condition=AllOf(children=(A, B)),
        sensor_timeout=timedelta(minutes=30),
        drift_field="row_count",
        drift_threshold=5.0,
    )


def test_post_run_defaults(parse):
    """An empty ``postRun`` gets Go's defaults: 2h timeout, ``sensor_count``, threshold 0."""
    spec = parse("pipeline: {id: p}\npostRun: {}\n")
    assert spec.post_run == PostRunSpec()


def test_dry_run(parse):
    """``dryRun: true`` with a job type and a trigger is valid."""
    spec = parse(
        """\
        pipeline: {id: p}
        schedule: {trigger: {key: a, check: exists}}
        job: {type: command}
        dryRun: true
        """
    )
    assert spec.dry_run is True


def test_yaml_1_2_scalars_as_in_go(parse):
    """Unquoted ``10:00`` stays a string (not base-60 600) and ``yes`` is not a boolean."""
    spec = parse(
        """\
        pipeline: {id: p}
        sla: {deadline: 10:00}
        validation:
          rules:
            - {key: a, check: equals, field: ok, value: yes}
            - {key: b, check: equals, field: n, value: 010}
        """
    )
    assert spec.sla is not None
    assert spec.sla.deadline == "10:00"
    assert spec.validation == AllOf(
        children=(
            Rule(key="a", check="equals", field="ok", value="yes"),
            Rule(key="b", check="equals", field="n", value=10),
        )
    )


def test_null_sections_are_absent(parse):
    """A section written with no value (``sla:``) is the same as no section."""
    spec = parse("pipeline: {id: p}\nschedule:\nsla:\njob:\npostRun:\nvalidation:\ndryRun:\n")
    assert (spec.sla, spec.job, spec.post_run, spec.dry_run) == (None, None, None, False)


def test_merge_keys_are_supported(parse):
    """``<<: *anchor`` merges a mapping; explicit keys override it."""
    spec = parse(
        """\
        pipeline: {id: p}
        validation:
          rules:
            - &base {key: a, check: exists}
            - {<<: *base, key: b}
        """
    )
    assert spec.validation == AllOf(children=(A, Rule(key="b", check="exists")))
