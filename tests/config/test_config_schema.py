"""Every schema error: the file, line, field path, message and fix a person sees.

Each case is a pipeline with exactly one mistake. Line 1 is always ``pipeline: {id: p}``, so
the mistakes start on line 2. Messages that mirror the Go ``ValidatePipelineConfig`` text are
compared exactly; the others by a fragment.
"""

from __future__ import annotations

import textwrap

import pytest

from interlock.specs import CalendarSpec

ID = "pipeline: {id: p}\n"
TRIGGER = "  trigger: {key: ready, check: exists}\n"


def one_problem(problems_of, body: str, **kwargs):
    """The single problem of ``ID + body``."""
    problems = problems_of(ID + textwrap.dedent(body), **kwargs)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


SCHEMA_ERRORS = [
    # --- pipeline -----------------------------------------------------------------------
    pytest.param("pipeline:\n  owner: me\n", 1, "pipeline.id", "missing required field",
                 "add `id:` under `pipeline`", id="id-missing"),
    pytest.param('pipeline:\n  id: ""\n', 2, "pipeline.id", "must not be empty",
                 "non-empty", id="id-empty"),
    pytest.param("pipeline:\n  id: 42\n", 2, "pipeline.id", "must be a string, got a number",
                 'quote it: "42"', id="id-number"),
    pytest.param("pipeline: gold\n", 1, "pipeline", "must be a mapping, got a string",
                 "key: value", id="pipeline-not-mapping"),
    pytest.param("schedule:\n  cron: '0 8 * * *'\n", 1, "pipeline.id", "missing required field",
                 "add `pipeline:`", id="pipeline-missing"),
    pytest.param("pipeline:\n  id: p\n  colour: red\n", 3, "pipeline.colour",
                 "unknown key `colour`", "allowed keys: `id`, `owner`, `description`",
                 id="unknown-key-no-match"),
    pytest.param("pipeline:\n  id: p\n  description: [a]\n", 3, "pipeline.description",
                 "must be a string, got a list", "write a string", id="description-list"),
]
SCHEMA_ERRORS_AFTER_ID = [
    # --- unknown keys ---------------------------------------------------------------------
    pytest.param("schedul: {}\n", 2, "schedul", "unknown key `schedul`",
                 "did you mean `schedule`?", id="root-typo"),
    pytest.param("sla:\n  deadline: '10:00'\n  expectedDurration: 30m\n", 4,
                 "sla.expectedDurration", "unknown key", "did you mean `expectedDuration`?",
                 id="sla-typo"),
    pytest.param("job:\n  type: command\n  max_retries: 2\n", 4, "job.max_retries",
                 "unknown key", "did you mean `maxRetries`?", id="snake-case"),
    pytest.param("postRun:\n  DriftField: x\n", 3, "postRun.DriftField", "unknown key",
                 "did you mean `driftField`?", id="wrong-case"),
    pytest.param("validation:\n  rules:\n    - {key: a, check: exists, feild: x}\n", 4,
                 "validation.rules[0].feild", "unknown key", "did you mean `field`?",
                 id="rule-typo"),
    # --- schedule -------------------------------------------------------------------------
    pytest.param("schedule:\n  cron: '0 8 * *'\n", 3, "schedule.cron", "has 4 field(s)",
                 '"0 8 * * *"', id="cron-fields"),
    pytest.param("schedule:\n  cron: '0 8 31 2 *'\n", 3, "schedule.cron", "never fires",
                 '"0 8 * * *"', id="cron-never"),
    pytest.param("schedule:\n  timezone: Europe/Berln\n", 3, "schedule.timezone",
                 'unknown time zone "Europe/Berln"', "did you mean `Europe/Berlin`?",
                 id="timezone-typo"),
    pytest.param("schedule:\n  timezone: Mars/Olympus\n", 3, "schedule.timezone",
                 "unknown time zone", "IANA", id="timezone-unknown"),
    pytest.param("schedule:\n  trigger: {check: exists}\n", 3, "schedule.trigger.key",
                 "missing required field", "add `key:` under `schedule.trigger`",
                 id="trigger-key-missing"),
    pytest.param("schedule:\n  trigger: {key: a, check: equal, field: s, value: x}\n", 3,
                 "schedule.trigger.check", 'unknown check "equal"', 'did you mean "equals"?',
                 id="trigger-check"),
    pytest.param("schedule:\n  trigger: {key: a, check: exists, deadline: 8am}\n", 3,
                 "schedule.trigger.deadline", '"8am" is not a clock time', ":MM",
                 id="trigger-deadline"),
    pytest.param("schedule:\n  trigger: ready\n", 3, "schedule.trigger",
                 "must be a mapping, got a string", "key: value", id="trigger-string"),
    pytest.param("schedule:\n  evaluation:\n    window: 1 hour\n", 4,
                 "schedule.evaluation.window",
                 'schedule.evaluation.window invalid Go duration "1 hour"', "1h30m",
                 id="window-invalid"),
    pytest.param("schedule:\n  evaluation: {interval: 0s}\n", 3, "schedule.evaluation.interval",
                 "must be > 0, got '0s'", "5m", id="interval-zero"),
    pytest.param("schedule:\n  evaluation: {window: -5m}\n", 3, "schedule.evaluation.window",
                 "must be > 0", "5m", id="window-negative"),
    pytest.param("schedule:\n  evaluation: {window: 3600}\n", 3, "schedule.evaluation.window",
                 "must be a duration string, got a number", 'did you mean "3600s"?',
                 id="window-number"),
    pytest.param("schedule:\n  include: {dates: []}\n", 3, "schedule.include.dates",
                 "schedule.include.dates must not be empty", "list the dates",
                 id="include-empty"),
    pytest.param("schedule:\n  include: {}\n", 3, "schedule.include.dates",
                 "schedule.include.dates must not be empty", "list the dates",
                 id="include-no-dates"),
    pytest.param("schedule:\n  include:\n    dates: ['2026-01-31', '2026-1-5']\n", 4,
                 "schedule.include.dates[1]",
                 'schedule.include.dates[1] invalid format "2026-1-5" (expected YYYY-MM-DD)',
                 "2026-01-31", id="include-format"),
    pytest.param("schedule:\n  include:\n    dates:\n      - '2026-02-30'\n", 5,
                 "schedule.include.dates[0]", 'invalid format "2026-02-30"', "real date",
                 id="include-not-a-day"),
    pytest.param("schedule:\n  cron: '0 8 * * *'\n  include:\n    dates: ['2026-01-31']\n", 4,
                 "schedule.include", "schedule.cron and schedule.include are mutually exclusive",
                 "not both", id="cron-xor-include"),
    pytest.param("schedule:\n  exclude: {weekends: 'yes'}\n", 3, "schedule.exclude.weekends",
                 "must be a boolean, got a string", "true or false", id="weekends-string"),
    pytest.param("schedule:\n  exclude:\n    dates: [2026/12/25]\n", 4,
                 "schedule.exclude.dates[0]", 'invalid format "2026/12/25"', "2026-01-31",
                 id="exclude-date"),
    pytest.param("schedule:\n  exclude: {holidays: [US, XX]}\n", 3,
                 "schedule.exclude.holidays[1]", "'XX' is not a country", "", id="holiday-code"),
    pytest.param("schedule:\n  exclude: {holidays: US-ZZ}\n", 3, "schedule.exclude.holidays",
                 "not a subdivision of US", "", id="holiday-subdivision"),
    pytest.param("schedule:\n  calendar: us-federal\n", 3, "schedule.calendar",
                 'unknown calendar "us-federal"', "no calendars are loaded",
                 id="calendar-none-loaded"),
    pytest.param("schedule:\n  time: ':30'\n", 3, "schedule.time", '":30" needs an hour',
                 '"08:00"', id="time-hourly"),
    pytest.param("schedule:\n  time: '8 am'\n", 3, "schedule.time", "is not a clock time",
                 "HH:MM", id="time-format"),
    # --- sla ------------------------------------------------------------------------------
    pytest.param("sla:\n  deadline: '25:00'\n", 3, "sla.deadline", '"25:00" is not a clock time',
                 "HH:MM", id="deadline-hour"),
    pytest.param("sla:\n  deadline: 10\n", 3, "sla.deadline", "must be a string, got a number",
                 'quote it: "10"', id="deadline-number"),
    pytest.param("sla:\n  expectedDuration: 30 minutes\n", 3, "sla.expectedDuration",
                 'sla.expectedDuration invalid Go duration "30 minutes"', "30s",
                 id="expected-duration"),
    pytest.param("schedule:\n" + TRIGGER + "sla:\n  maxDuration: 25h\n", 5, "sla.maxDuration",
                 "sla.maxDuration exceeds 24h (25h)", "at most 24h", id="max-duration-24h"),
    pytest.param("schedule:\n" + TRIGGER + "sla:\n  maxDuration: 4 hours\n", 5,
                 "sla.maxDuration", 'sla.maxDuration invalid Go duration "4 hours"', "1h30m",
                 id="max-duration-invalid"),
    pytest.param("sla:\n  maxDuration: 4h\n", 3, "sla.maxDuration",
                 "sla.maxDuration requires schedule.trigger (relative SLA needs a sensor signal)",
                 "add schedule.trigger", id="max-duration-trigger"),
    pytest.param("sla:\n  timezone: Nowhere/City\n", 3, "sla.timezone", "unknown time zone",
                 "IANA", id="sla-timezone"),
    pytest.param("sla:\n  critical: 'true'\n", 3, "sla.critical", "must be a boolean",
                 "without quotes", id="critical-string"),
    # --- validation -----------------------------------------------------------------------
    pytest.param("validation:\n  trigger: SOME\n", 3, "validation.trigger",
                 'validation.trigger "SOME" is not ALL or ANY', "use ALL or ANY",
                 id="mode-unknown"),
    pytest.param("validation:\n  trigger: ''\n", 3, "validation.trigger", "is not ALL or ANY",
                 "use ALL or ANY", id="mode-empty"),
    pytest.param("validation:\n  rules: {key: a, check: exists}\n", 3, "validation.rules",
                 "must be a list, got a mapping", "- item", id="rules-mapping"),
    pytest.param("validation:\n  rules:\n    - a\n", 4, "validation.rules[0]",
                 "must be a mapping, got a string", "key: value", id="rule-string"),
    pytest.param("validation:\n  rules:\n    -\n", 4, "validation.rules[0]", "empty rule item",
                 "key, check", id="rule-empty"),
    pytest.param("validation:\n  rules:\n    - {check: exists}\n", 4, "validation.rules[0].key",
                 "missing required field", "add `key:` under `validation.rules[0]`",
                 id="rule-key-missing"),
    pytest.param("validation:\n  rules:\n    - {key: a}\n", 4, "validation.rules[0].check",
                 "missing required field", "add `check:`", id="rule-check-missing"),
    pytest.param("validation:\n  rules:\n    - {key: a, check: exists}\n"
                 "    - {key: b, check: regex, field: s, value: x}\n", 5,
                 "validation.rules[1].check", 'unknown check "regex"', "use one of",
                 id="rule-check-unknown"),
    pytest.param("validation:\n  rules:\n    - key: a\n      check: gte\n      field: n\n"
                 "      value: lots\n", 7, "validation.rules[0].value",
                 'check "gte" needs a number', "value: 1000", id="rule-value"),
    pytest.param("validation:\n  rules:\n    - {key: a, check: gte, value: 1}\n", 4,
                 "validation.rules[0].field", 'check "gte" needs a field', "field:",
                 id="rule-field-missing"),
    pytest.param("validation:\n  rules:\n    - anyOf: []\n", 4, "validation.rules[0].anyOf",
                 "`anyOf` must list at least one rule", "add rules", id="group-empty"),
    pytest.param("validation:\n  rules:\n    - {allOf: [{key: a, check: exists}], anyOf: []}\n",
                 4, "validation.rules[0]", "either `allOf` or `anyOf`", "nest",
                 id="group-both"),
    pytest.param("validation:\n  rules:\n    - allOf:\n        - anyOf:\n"
                 "            - {key: a, check: age_lt, field: t, value: 3600}\n", 6,
                 "validation.rules[0].allOf[0].anyOf[0].value", "needs a duration string",
                 'did you mean "3600s"?', id="group-nested-rule"),
    pytest.param("validation:\n  rules:\n    - {allOf: [{key: a, check: exists}], key: b}\n", 4,
                 "validation.rules[0].key", "unknown key `key`", "allOf", id="group-extra-key"),
    # --- job ------------------------------------------------------------------------------
    pytest.param("job:\n  maxRetries: 1\n", 2, "job.type", "missing required field",
                 "add `type:` under `job`", id="job-type-missing"),
    pytest.param("job:\n  type: glu\n", 3, "job.type", 'unknown job type "glu"',
                 "did you mean `glue`?", id="job-type-typo"),
    pytest.param("job:\n  type: cron\n", 3, "job.type", 'unknown job type "cron"',
                 "use one of: `http`", id="job-type-unknown"),
    pytest.param("job:\n  type: command\n  config: [echo]\n", 4, "job.config",
                 "must be a mapping, got a list", "key: value", id="job-config-list"),
    pytest.param("job:\n  type: command\n  maxRetries: two\n", 4, "job.maxRetries",
                 "must be an integer, got a string", "from 0 to 10", id="retries-string"),
    pytest.param("job:\n  type: command\n  maxRetries: true\n", 4, "job.maxRetries",
                 "must be an integer, got a boolean", "from 0 to 10", id="retries-bool"),
    pytest.param("job:\n  type: command\n  maxRetries: 1.5\n", 4, "job.maxRetries",
                 "must be an integer, got a number", "whole number", id="retries-fraction"),
    pytest.param("job:\n  type: command\n  pollInterval: 60\n", 4, "job.pollInterval",
                 "must be a duration string", 'did you mean "60s"?', id="poll-interval-number"),
    pytest.param("job:\n  type: command\n  pollInterval: 0s\n", 4, "job.pollInterval",
                 "must be > 0", "30s", id="poll-interval-zero"),
    # --- postRun --------------------------------------------------------------------------
    pytest.param("postRun:\n  driftThreshold: -1\n", 3, "postRun.driftThreshold",
                 "must be a finite number ≥ 0, got -1", "≥ 0", id="drift-negative"),
    pytest.param("postRun:\n  driftThreshold: lots\n", 3, "postRun.driftThreshold",
                 "must be a number, got a string", "≥ 0", id="drift-string"),
    pytest.param("postRun:\n  driftThreshold: .nan\n", 3, "postRun.driftThreshold",
                 "finite", "≥ 0", id="drift-nan"),
    pytest.param("postRun:\n  driftField: ''\n", 3, "postRun.driftField", "must not be empty",
                 "sensor_count", id="drift-field-empty"),
    pytest.param("postRun:\n  sensorTimeout: forever\n", 3, "postRun.sensorTimeout",
                 'postRun.sensorTimeout invalid Go duration "forever"', "2d",
                 id="sensor-timeout"),
    pytest.param("postRun:\n  evaluation: {window: soon}\n", 3, "postRun.evaluation.window",
                 "invalid Go duration", "", id="post-run-evaluation"),
    pytest.param("postRun:\n  rules:\n    - {key: a, check: exist}\n", 4,
                 "postRun.rules[0].check", 'unknown check "exist"', 'did you mean "exists"?',
                 id="post-run-rule"),
    # --- dryRun ---------------------------------------------------------------------------
    pytest.param("dryRun: 'yes'\n", 2, "dryRun", "must be a boolean, got a string",
                 "true or false", id="dry-run-string"),
    pytest.param("schedule:\n" + TRIGGER + "dryRun: true\n", 4, "dryRun",
                 "dryRun requires job.type to be configured", "add job.type",
                 id="dry-run-job"),
    pytest.param("job: {type: command}\ndryRun: true\n", 3, "dryRun",
                 "dryRun requires schedule.trigger (sensor-driven evaluation)",
                 "add schedule.trigger", id="dry-run-trigger"),
]


@pytest.mark.parametrize(("text", "line", "field", "message", "fix"), SCHEMA_ERRORS)
def test_pipeline_section_errors(problems_of, text, line, field, message, fix):
    """A mistake in or around ``pipeline`` is reported at its line, field and with a fix."""
    problems = problems_of(text)
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert (problem.file, problem.line, problem.field) == ("p.yaml", line, field)
    assert message in problem.message
    assert fix in problem.fix


@pytest.mark.parametrize(("body", "line", "field", "message", "fix"), SCHEMA_ERRORS_AFTER_ID)
def test_schema_errors(problems_of, body, line, field, message, fix):
    """Each schema mistake is one problem at its line and field path, with a fix."""
    problem = one_problem(problems_of, body)
    assert (problem.file, problem.line, problem.field) == ("p.yaml", line, field)
    assert message in problem.message
    assert fix in problem.fix


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
    """Out-of-range budgets use Go's exact message: ``job.maxRetries 11 out of range [0,10]``."""
    value = low - 1 if side == "below" else high + 1
    problem = one_problem(problems_of, f"job:\n  type: command\n  {name}: {value}\n")
    assert problem.line == 4
    assert problem.field == f"job.{name}"
    assert problem.message == f"job.{name} {value} out of range [{low},{high}]"
    assert problem.fix == f"use a value from {low} to {high}"


@pytest.mark.parametrize(("name", "low", "high"), RANGES)
def test_go_range_bounds_are_valid(parse, name, low, high):
    """Both ends of every Go range are accepted."""
    for value in (low, high):
        parse(f"{ID}job:\n  type: command\n  {name}: {value}\n")


def test_unknown_calendar_lists_the_known_ones(problems_of):
    """An unknown calendar name is an error whose fix lists the loaded calendars."""
    calendars = {
        name: CalendarSpec(name=name) for name in ("uk-banking", "us-federal")
    }
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
        "sla.maxDuration exceeds 24h (30h)",
        "sla.maxDuration requires schedule.trigger (relative SLA needs a sensor signal)",
    ]


def test_dry_run_reports_both_prerequisites(problems_of):
    """``dryRun: true`` with neither a job nor a trigger names both, at the dryRun line."""
    problems = problems_of(ID + "dryRun: true\n")
    assert [(p.line, p.field) for p in problems] == [(2, "dryRun"), (2, "dryRun")]
    assert {p.message.split(" (")[0] for p in problems} == {
        "dryRun requires job.type to be configured",
        "dryRun requires schedule.trigger",
    }


def test_problem_renders_as_file_line_field_message_fix(problems_of):
    """``str(problem)`` is the line editors and CI understand."""
    problem = one_problem(problems_of, "job:\n  type: command\n  maxRetries: 11\n")
    assert str(problem) == (
        "p.yaml:4: job.maxRetries: job.maxRetries 11 out of range [0,10] (use a value from 0 to 10)"
    )
