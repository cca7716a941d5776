"""Every schema error: the file, line, field path, message and fix a person sees.

Each case is a pipeline with exactly one mistake. Line 1 is always ``pipeline: {id: p}``, so
the mistakes start on line 2. Messages that mirror the Go ``ValidatePipelineConfig`` text are
given in full, without the field Go puts first (the problem line names it already); the
others, and the fixes, as fragments.
"""

from __future__ import annotations

import textwrap

import pytest
from config_support import assert_problem, case

from interlock.model.specs import CalendarSpec

ID = "pipeline: {id: p}\n"
TRIGGER = "  trigger: {key: ready, check: exists}\n"


def one_problem(problems_of, body: str, **kwargs):
    """The single problem of ``ID + body``."""
    problems = problems_of(ID + textwrap.dedent(body), **kwargs)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# fmt: off
SCHEMA_ERRORS = [
    case("pipeline:\n  owner: me\n", 1, "pipeline.id",
         "missing required field", "add `id:` under `pipeline`", "id-missing"),
    case('pipeline:\n  id: ""\n', 2, "pipeline.id",
         "must not be empty", "non-empty", "id-empty"),
    case("pipeline:\n  id: 42\n", 2, "pipeline.id",
         "must be a string, got a number", 'quote it: "42"', "id-number"),
    case("pipeline: gold\n", 1, "pipeline",
         "must be a mapping, got a string", "key: value", "pipeline-not-mapping"),
    case("schedule:\n  cron: '0 8 * * *'\n", 1, "pipeline.id",
         "missing required field", "add `pipeline:`", "pipeline-missing"),
    case("pipeline:\n  id: p\n  colour: red\n", 3, "pipeline.colour",
         "unknown key `colour`",
         "allowed keys: `id`, `owner`, `description`", "unknown-key-no-match"),
    case("pipeline:\n  id: p\n  description: [a]\n", 3, "pipeline.description",
         "must be a string, got a list", "write a string", "description-list"),
]

SCHEMA_ERRORS_AFTER_ID = [
    # --- unknown keys --------------------------------------------------------------------
    case("schedul: {}\n", 2, "schedul",
         "unknown key `schedul`", "did you mean `schedule`?", "root-typo"),
    case("sla:\n  deadline: '10:00'\n  expectedDurration: 30m\n", 4, "sla.expectedDurration",
         "unknown key", "did you mean `expectedDuration`?", "sla-typo"),
    case("job:\n  type: command\n  max_retries: 2\n", 4, "job.max_retries",
         "unknown key", "did you mean `maxRetries`?", "snake-case"),
    case("postRun:\n  DriftField: x\n", 3, "postRun.DriftField",
         "unknown key", "did you mean `driftField`?", "wrong-case"),
    case(
        "validation:\n  rules:\n    - {key: a, check: exists, feild: x}\n",
        4, "validation.rules[0].feild",
        "unknown key", "did you mean `field`?", "rule-typo",
    ),
    # --- schedule ------------------------------------------------------------------------
    case("schedule:\n  cron: '0 8 * *'\n", 3, "schedule.cron",
         "has 4 field(s)", '"0 8 * * *"', "cron-fields"),
    case("schedule:\n  cron: '0 8 31 2 *'\n", 3, "schedule.cron",
         "never fires", '"0 8 * * *"', "cron-never"),
    case("schedule:\n  timezone: Europe/Berln\n", 3, "schedule.timezone",
         'unknown time zone "Europe/Berln"', "did you mean `Europe/Berlin`?", "timezone-typo"),
    case("schedule:\n  timezone: Mars/Olympus\n", 3, "schedule.timezone",
         "unknown time zone", "IANA", "timezone-unknown"),
    case("schedule:\n  trigger: {check: exists}\n", 3, "schedule.trigger.key",
         "missing required field", "add `key:` under `schedule.trigger`", "trigger-key-missing"),
    case(
        "schedule:\n  trigger: {key: a, check: equal, field: s, value: x}\n",
        3, "schedule.trigger.check",
        'unknown check "equal"', 'did you mean "equals"?', "trigger-check",
    ),
    case(
        "schedule:\n  trigger: {key: a, check: exists, deadline: 8am}\n",
        3, "schedule.trigger.deadline",
        '"8am" is not a clock time', ":MM", "trigger-deadline",
    ),
    case("schedule:\n  trigger: ready\n", 3, "schedule.trigger",
         "must be a mapping, got a string", "key: value", "trigger-string"),
    case("schedule:\n  evaluation:\n    window: 1 hour\n", 4, "schedule.evaluation.window",
         'invalid Go duration "1 hour"', "1h30m", "window-invalid"),
    case("schedule:\n  evaluation: {interval: 0s}\n", 3, "schedule.evaluation.interval",
         "must be > 0, got '0s'", "5m", "interval-zero"),
    case("schedule:\n  evaluation: {window: -5m}\n", 3, "schedule.evaluation.window",
         "must be > 0", "5m", "window-negative"),
    case("schedule:\n  evaluation: {window: 3600}\n", 3, "schedule.evaluation.window",
         "must be a duration string, got a number", 'did you mean "3600s"?', "window-number"),
    case("schedule:\n  include: {dates: []}\n", 3, "schedule.include.dates",
         "must not be empty", "list the dates", "include-empty"),
    case("schedule:\n  include: {}\n", 3, "schedule.include.dates",
         "must not be empty", "list the dates", "include-no-dates"),
    case(
        "schedule:\n  include:\n    dates: ['2026-01-31', '2026-1-5']\n",
        4, "schedule.include.dates[1]",
        'invalid format "2026-1-5" (expected YYYY-MM-DD)',
        "2026-01-31", "include-format",
    ),
    case(
        "schedule:\n  include:\n    dates:\n      - '2026-02-30'\n",
        5, "schedule.include.dates[0]",
        'invalid format "2026-02-30"', "real date", "include-not-a-day",
    ),
    case(
        "schedule:\n  cron: '0 8 * * *'\n  include:\n    dates: ['2026-01-31']\n",
        4, "schedule.include",
        "cannot be used with schedule.cron (they are mutually exclusive)",
        "not both", "cron-xor-include",
    ),
    case("schedule:\n  exclude: {weekends: 'yes'}\n", 3, "schedule.exclude.weekends",
         "must be a boolean, got a string", "true or false", "weekends-string"),
    case("schedule:\n  exclude:\n    dates: [2026/12/25]\n", 4, "schedule.exclude.dates[0]",
         'invalid format "2026/12/25"', "2026-01-31", "exclude-date"),
    case("schedule:\n  exclude: {holidays: [US, XX]}\n", 3, "schedule.exclude.holidays[1]",
         "'XX' is not a country", "", "holiday-code"),
    case("schedule:\n  exclude: {holidays: US-ZZ}\n", 3, "schedule.exclude.holidays",
         "not a subdivision of US", "", "holiday-subdivision"),
    case("schedule:\n  calendar: us-federal\n", 3, "schedule.calendar",
         'unknown calendar "us-federal"', "no calendars are loaded", "calendar-none-loaded"),
    case("schedule:\n  time: ':30'\n", 3, "schedule.time",
         '":30" needs an hour', '"08:00"', "time-hourly"),
    case("schedule:\n  time: '8 am'\n", 3, "schedule.time",
         "is not a clock time", "HH:MM", "time-format"),
    # --- sla -----------------------------------------------------------------------------
    case("sla:\n  deadline: '25:00'\n", 3, "sla.deadline",
         '"25:00" is not a clock time', "HH:MM", "deadline-hour"),
    case("sla:\n  deadline: 10\n", 3, "sla.deadline",
         "must be a string, got a number", 'quote it: "10"', "deadline-number"),
    case("sla:\n  expectedDuration: 30 minutes\n", 3, "sla.expectedDuration",
         'invalid Go duration "30 minutes"', "30s", "expected-duration"),
    case(
        "schedule:\n  trigger: {key: ready, check: exists}\nsla:\n  maxDuration: 25h\n",
        5, "sla.maxDuration",
        "exceeds 24h (25h)", "at most 24h", "max-duration-24h",
    ),
    case(
        "schedule:\n  trigger: {key: ready, check: exists}\nsla:\n  maxDuration: 4 hours\n",
        5, "sla.maxDuration",
        'invalid Go duration "4 hours"', "1h30m", "max-duration-invalid",
    ),
    case("sla:\n  maxDuration: 4h\n", 3, "sla.maxDuration",
         "requires schedule.trigger (relative SLA needs a sensor signal)",
         "add schedule.trigger", "max-duration-trigger"),
    case("sla:\n  timezone: Nowhere/City\n", 3, "sla.timezone",
         "unknown time zone", "IANA", "sla-timezone"),
    case("sla:\n  critical: 'true'\n", 3, "sla.critical",
         "must be a boolean", "without quotes", "critical-string"),
    # --- validation ----------------------------------------------------------------------
    case("validation:\n  trigger: SOME\n", 3, "validation.trigger",
         '"SOME" is not ALL or ANY', "use ALL or ANY", "mode-unknown"),
    case("validation:\n  trigger: ''\n", 3, "validation.trigger",
         "is not ALL or ANY", "use ALL or ANY", "mode-empty"),
    case("validation:\n  rules: {key: a, check: exists}\n", 3, "validation.rules",
         "must be a list, got a mapping", "- item", "rules-mapping"),
    case("validation:\n  rules:\n    - a\n", 4, "validation.rules[0]",
         "must be a mapping, got a string", "key: value", "rule-string"),
    case("validation:\n  rules:\n    -\n", 4, "validation.rules[0]",
         "empty rule item", "key, check", "rule-empty"),
    case("validation:\n  rules:\n    - {check: exists}\n", 4, "validation.rules[0].key",
         "missing required field", "add `key:` under `validation.rules[0]`", "rule-key-missing"),
    case("validation:\n  rules:\n    - {key: a}\n", 4, "validation.rules[0].check",
         "missing required field", "add `check:`", "rule-check-missing"),
    case(
        "validation:\n  rules:\n    - {key: a, check: exists}\n"
        "    - {key: b, check: regex, field: s, value: x}\n",
        5, "validation.rules[1].check",
        'unknown check "regex"', "use one of", "rule-check-unknown",
    ),
    case(
        "validation:\n  rules:\n    - key: a\n      check: gte\n      field: n\n"
        "      value: lots\n",
        7, "validation.rules[0].value",
        'check "gte" needs a number', "value: 1000", "rule-value",
    ),
    case(
        "validation:\n  rules:\n    - {key: a, check: gte, value: 1}\n",
        4, "validation.rules[0].field",
        'check "gte" needs a field', "field:", "rule-field-missing",
    ),
    case("validation:\n  rules:\n    - anyOf: []\n", 4, "validation.rules[0].anyOf",
         "`anyOf` must list at least one rule", "add rules", "group-empty"),
    case(
        "validation:\n  rules:\n    - {allOf: [{key: a, check: exists}], anyOf: []}\n",
        4, "validation.rules[0]",
        "either `allOf` or `anyOf`", "nest", "group-both",
    ),
    case(
        "validation:\n  rules:\n    - allOf:\n        - anyOf:\n"
        "            - {key: a, check: age_lt, field: t, value: 3600}\n",
        6, "validation.rules[0].allOf[0].anyOf[0].value",
        "needs a duration string", 'did you mean "3600s"?', "group-nested-rule",
    ),
    case(
        "validation:\n  rules:\n    - {allOf: [{key: a, check: exists}], key: b}\n",
        4, "validation.rules[0].key",
        "unknown key `key`", "allOf", "group-extra-key",
    ),
    # --- job -----------------------------------------------------------------------------
    case("job:\n  maxRetries: 1\n", 2, "job.type",
         "missing required field", "add `type:` under `job`", "job-type-missing"),
    case("job:\n  type: comand\n", 3, "job.type",
         'unknown job type "comand"', "did you mean `command`?", "job-type-typo"),
    case("job:\n  type: cron\n", 3, "job.type",
         'unknown job type "cron"', "use one of: `command`, `http`, `mock`", "job-type-unknown"),
    case("job:\n  type: glue\n", 3, "job.type",  # Go has it; no backend here yet
         'unknown job type "glue"', "use one of: `command`", "job-type-not-built"),
    case("job:\n  type: command\n  config: [echo]\n", 4, "job.config",
         "must be a mapping, got a list", "key: value", "job-config-list"),
    case("job:\n  type: command\n  maxRetries: two\n", 4, "job.maxRetries",
         "must be an integer, got a string", "from 0 to 10", "retries-string"),
    case("job:\n  type: command\n  maxRetries: true\n", 4, "job.maxRetries",
         "must be an integer, got a boolean", "from 0 to 10", "retries-bool"),
    case("job:\n  type: command\n  maxRetries: 1.5\n", 4, "job.maxRetries",
         "must be an integer, got a number", "whole number", "retries-fraction"),
    case("job:\n  type: command\n  pollInterval: 60\n", 4, "job.pollInterval",
         "must be a duration string", 'did you mean "60s"?', "poll-interval-number"),
    case("job:\n  type: command\n  pollInterval: 0s\n", 4, "job.pollInterval",
         "must be > 0", "30s", "poll-interval-zero"),
    # --- postRun -------------------------------------------------------------------------
    case("postRun:\n  driftThreshold: -1\n", 3, "postRun.driftThreshold",
         "must be a finite number ≥ 0, got -1", "≥ 0", "drift-negative"),
    case("postRun:\n  driftThreshold: lots\n", 3, "postRun.driftThreshold",
         "must be a number, got a string", "≥ 0", "drift-string"),
    case("postRun:\n  driftThreshold: .nan\n", 3, "postRun.driftThreshold",
         "finite", "≥ 0", "drift-nan"),
    case("postRun:\n  driftField: ''\n", 3, "postRun.driftField",
         "must not be empty", "sensor_count", "drift-field-empty"),
    case("postRun:\n  sensorTimeout: forever\n", 3, "postRun.sensorTimeout",
         'invalid Go duration "forever"', "2d", "sensor-timeout"),
    case("postRun:\n  evaluation: {window: soon}\n", 3, "postRun.evaluation.window",
         "invalid Go duration", "", "post-run-evaluation"),
    case("postRun:\n  rules:\n    - {key: a, check: exist}\n", 4, "postRun.rules[0].check",
         'unknown check "exist"', 'did you mean "exists"?', "post-run-rule"),
    # --- dryRun --------------------------------------------------------------------------
    case("dryRun: 'yes'\n", 2, "dryRun",
         "must be a boolean, got a string", "true or false", "dry-run-string"),
    case("schedule:\n  trigger: {key: ready, check: exists}\ndryRun: true\n", 4, "dryRun",
         "requires job.type to be configured", "add job.type", "dry-run-job"),
    case("job: {type: command}\ndryRun: true\n", 3, "dryRun",
         "requires schedule.trigger (sensor-driven evaluation)",
         "add schedule.trigger", "dry-run-trigger"),
]
# fmt: on


@pytest.mark.parametrize(("text", "expected"), SCHEMA_ERRORS)
def test_pipeline_section_errors(problems_of, text, expected):
    """A mistake in or around ``pipeline`` is reported at its line, field and with a fix."""
    problems = problems_of(text)
    assert len(problems) == 1, [str(p) for p in problems]
    assert_problem(problems[0], "p.yaml", expected)


@pytest.mark.parametrize(("body", "expected"), SCHEMA_ERRORS_AFTER_ID)
def test_schema_errors(problems_of, body, expected):
    """Each schema mistake is one problem at its line and field path, with a fix."""
    assert_problem(one_problem(problems_of, body), "p.yaml", expected)


@pytest.mark.parametrize(("body", "expected"), SCHEMA_ERRORS_AFTER_ID)
def test_no_message_repeats_its_field(problems_of, body, expected):
    """``field: message`` names the field once (not ``x.window: x.window invalid …``)."""
    problem = one_problem(problems_of, body)
    assert problem.field == expected.field
    if problem.field:
        assert not problem.message.startswith(problem.field), str(problem)
        assert f"{problem.field}: {problem.field}" not in str(problem)


RANGES = [
    ("maxRetries", 0, 10),
    ("maxCodeRetries", 0, 3),
    ("maxDriftReruns", 0, 5),
    ("maxManualReruns", 0, 5),
    ("jobPollWindowSeconds", 60, 86400),
]


@pytest.mark.parametrize(("name", "low", "high"), RANGES)
@pytest.mark.parametrize("side", ["below", "above"])
def test_go_range_errors(problems_of, name, low, high, side):
    """Out-of-range budgets use Go's words: ``job.maxRetries: 11 out of range [0,10]``."""
    value = low - 1 if side == "below" else high + 1
    problem = one_problem(problems_of, f"job:\n  type: command\n  {name}: {value}\n")
    assert problem.line == 4
    assert problem.field == f"job.{name}"
    assert problem.message == f"{value} out of range [{low},{high}]"
    assert problem.fix == f"use a value from {low} to {high}"


@pytest.mark.parametrize(("name", "low", "high"), RANGES)
def test_go_range_bounds_are_valid(parse, name, low, high):
    """Both ends of every Go range are accepted."""
    for value in (low, high):
        parse(f"{ID}job:\n  type: command\n  {name}: {value}\n")


def test_unknown_calendar_lists_the_known_ones(problems_of):
    """An unknown calendar name is an error whose fix lists the loaded calendars."""
    calendars = {name: CalendarSpec(name=name) for name in ("uk-banking", "us-federal")}
    problem = one_problem(problems_of, "schedule:\n  calendar: us-fed\n", calendars=calendars)
    assert (problem.line, problem.field) == (3, "schedule.calendar")
    assert problem.fix == "known calendars: `uk-banking`, `us-federal`"


def test_every_problem_in_a_file_is_reported(problems_of):
    """Collection does not stop at the first mistake: each section reports its own."""
    problems = problems_of(
        """\
        pipeline: {id: p}
        schedule: {timezone: Nowhere/City, cron: "bad"}
        sla: {deadline: "99:99"}
        validation: {trigger: MOST}
        job: {type: command, maxRetries: 11, maxCodeRetries: 9}
        dryRun: maybe
        """
    )
    fields = [p.field for p in problems]
    assert fields == [
        "schedule.cron",
        "schedule.timezone",
        "sla.deadline",
        "validation.trigger",
        "job.maxRetries",
        "job.maxCodeRetries",
        "dryRun",
    ]
    assert [p.line for p in problems] == [2, 2, 3, 4, 5, 5, 6]


def test_max_duration_over_24h_without_trigger_reports_both(problems_of):
    """Go reports both the 24h limit and the missing trigger; so do we."""
    problems = problems_of(ID + "sla:\n  maxDuration: 30h\n")
    assert [p.message for p in problems] == [
        "exceeds 24h (30h)",
        "requires schedule.trigger (relative SLA needs a sensor signal)",
    ]


def test_dry_run_reports_both_prerequisites(problems_of):
    """``dryRun: true`` with neither a job nor a trigger names both, at the dryRun line."""
    problems = problems_of(ID + "dryRun: true\n")
    assert [(p.line, p.field) for p in problems] == [(2, "dryRun"), (2, "dryRun")]
    assert {p.message.split(" (")[0] for p in problems} == {
        "requires job.type to be configured",
        "requires schedule.trigger",
    }


def test_problem_renders_as_file_line_field_message_fix(problems_of):
    """``str(problem)`` is the line editors and CI understand."""
    problem = one_problem(problems_of, "job:\n  type: command\n  maxRetries: 11\n")
    assert str(problem) == (
        "p.yaml:4: job.maxRetries: 11 out of range [0,10] (use a value from 0 to 10)"
    )
