"""Every mistake in ``partitions``, ``complete``, ``backfill`` and ``job.maxSelfHeals``.

Each row is a pipeline with exactly one mistake and the one problem it must produce: its
line, field, a fragment of the message and of the fix. Line 1 is always
``pipeline: {id: p}``; a row's mistake starts on line 2.
"""

from __future__ import annotations

import textwrap

import pytest
from config_support import assert_problem, assert_sound, case

ID = "pipeline: {id: p}\n"
JOB = "job: {type: mock}\n"
COMPLETE = "complete: {rules: [{key: output, check: exists}]}\n"


def time(axis: str) -> str:
    """``partitions:`` with ``time: <axis>`` on line 3, and a job after it."""
    return f"partitions:\n  time: {axis}\n{JOB}"


def dims(body: str) -> str:
    """``partitions:`` with a valid time on line 3 and ``dimensions:`` from line 4."""
    return f"partitions:\n  time: {{start: 2026-01-01}}\n  dimensions:\n{body}{JOB}"


# fmt: off
PARTITIONS_ERRORS = [
    # --- the section --------------------------------------------------------------------
    case("partitions:\n" + JOB, 2, "partitions",
         "is empty", "add `time: {start: 2026-01-01}`", "partitions-null"),
    case("partitions: [daily]\n" + JOB, 2, "partitions",
         "must be a mapping, got a list", "key: value", "partitions-list"),
    case("partitions: {dimensions: {c: {values: [a]}}}\n" + JOB, 2, "partitions.time",
         "missing required field", "add `time: {granularity: daily", "time-missing"),
    case("partitions: {tme: {start: 2026-01-01}, time: {start: 2026-01-01}}\n" + JOB, 2,
         "partitions.tme", "unknown key `tme`", "did you mean `time`?", "partitions-typo"),
    case("partitions: {time: {start: 2026-01-01}}\n", 2, "partitions",
         "without a job needs `complete`", "add `job:`", "no-job-no-complete"),
    # --- time ---------------------------------------------------------------------------
    case(time("{}"), 3, "partitions.time.start",
         "missing required field", "-90d", "time-empty"),
    case(time("[2026-01-01]"), 3, "partitions.time",
         "must be a mapping, got a list", "key: value", "time-list"),
    case(time("{end: today}"), 3, "partitions.time.start",
         "missing required field", "-90d", "start-missing"),
    case(time("{start: yesterday}"), 3, "partitions.time.start",
         '"yesterday" is not a date', 'days back from the end such as "-90d"', "start-word"),
    case(time("{start: 2026-02-30}"), 3, "partitions.time.start",
         '"2026-02-30" is not a real date', "2026-01-01", "start-not-real"),
    case(time("{start: -12h}"), 3, "partitions.time.start",
         '"-12h" is not a date (count back in whole days)', "-90d", "start-hours"),
    case(time("{start: -2w}"), 3, "partitions.time.start",
         "count back in whole days", "-90d", "start-weeks"),
    case(time("{start: 20260101}"), 3, "partitions.time.start",
         "20260101 is not a date", "2026-01-01", "start-number"),
    case(time("{start: -40000d}"), 3, "partitions.time.start",
         "-40000d reaches back further than 36500 days", "at most -36500d", "start-too-far"),
    case(time("{start: 2026-03-01, end: 2026-02-01}"), 3, "partitions.time.start",
         "2026-03-01 is after end 2026-02-01", "move start before end", "start-after-end"),
    case(time("{start: 2026-01-01, end: tomorrow}"), 3, "partitions.time.end",
         '"tomorrow" is not a date', "or `today`", "end-word"),
    case(time("{start: 2026-01-01, end: -1d}"), 3, "partitions.time.end",
         "only a start may be relative", "or `today`", "end-relative"),
    case(time("{granularity: weekly, start: 2026-01-01}"), 3, "partitions.time.granularity",
         '"weekly" is not daily or hourly', "use one of: `daily`, `hourly`", "granularity"),
    case(time("{granularity: dayly, start: 2026-01-01}"), 3, "partitions.time.granularity",
         "is not daily or hourly", "did you mean `daily`?", "granularity-typo"),
    case(time("{start: 2026-01-01, lag: 1 day}"), 3, "partitions.time.lag",
         'invalid Go duration "1 day"', "2d", "lag-garbage"),
    case(time("{start: 2026-01-01, lag: -1d}"), 3, "partitions.time.lag",
         "must be ≥ 0", "duration", "lag-negative"),
    case(time("{start: 2026-01-01, lag: 1}"), 3, "partitions.time.lag",
         "must be a duration string, got a number", 'did you mean "1s"?', "lag-number"),
    case(time("{start: 2026-01-01, timezone: Europe/Berln}"), 3, "partitions.time.timezone",
         'unknown time zone "Europe/Berln"', "did you mean `Europe/Berlin`?", "zone"),
    case(time("{start: 2026-01-01, timzone: UTC}"), 3, "partitions.time.timzone",
         "unknown key `timzone`", "did you mean `timezone`?", "time-typo"),
    # --- dimensions ---------------------------------------------------------------------
    case("partitions:\n  time: {start: 2026-01-01}\n  dimensions: {}\n" + JOB, 4,
         "partitions.dimensions", "is empty", "campaign: {values: [a, b]}", "dimensions-empty"),
    case("partitions:\n  time: {start: 2026-01-01}\n  dimensions: [campaign]\n" + JOB, 4,
         "partitions.dimensions", "must be a mapping of names", "campaign: {values",
         "dimensions-list"),
    case(dims("    date: {values: [a]}\n"), 5, "partitions.dimensions.date",
         "'date' is the time axis's own name", "rename it", "name-date"),
    case(dims("    Hour: {values: [a]}\n"), 5, "partitions.dimensions.Hour",
         "'Hour' is the time axis's own name", "rename it", "name-hour"),
    case(dims("    'my campaign': {values: [a]}\n"), 5, "partitions.dimensions.my campaign",
         "'my campaign' is not a valid dimension name", "letters, digits", "name-space"),
    case(dims('    "c\\n": {values: [a]}\n'), 5, r"partitions.dimensions.c\n",
         "is not a valid dimension name", "e.g. campaign", "name-newline"),
    case(dims("    'a=b': {values: [a]}\n"), 5, "partitions.dimensions.a=b",
         "is not a valid dimension name", "e.g. campaign", "name-equals"),
    case(dims("    campaign:\n"), 5, "partitions.dimensions.campaign",
         "dimension 'campaign' is empty", "{values: [a, b, c]}", "dimension-null"),
    case(dims("    campaign: {}\n"), 5, "partitions.dimensions.campaign",
         "has neither values nor sensor", "{sensor: campaign-list, field: ids}",
         "dimension-neither"),
    case(dims("    campaign: {values: [a], sensor: s, field: f}\n"), 5,
         "partitions.dimensions.campaign", "has both values and sensor", "one of them",
         "dimension-both"),
    case(dims("    campaign: {valeus: [a]}\n"), 5, "partitions.dimensions.campaign.valeus",
         "unknown key `valeus`", "did you mean `values`?", "dimension-typo"),
    case(dims("    campaign: [a, b]\n"), 5, "partitions.dimensions.campaign",
         "must be a mapping, got a list", "key: value", "dimension-bare-list"),
    case(dims("    campaign: {values: []}\n"), 5, "partitions.dimensions.campaign.values",
         "must list at least one value", "values: [a, b, c]", "values-empty"),
    case(dims("    campaign: {values: a}\n"), 5, "partitions.dimensions.campaign.values",
         "must be a list, got a string", "`- item`", "values-scalar"),
    case(dims("    campaign:\n      values: [a, b, a]\n"), 6,
         "partitions.dimensions.campaign.values[2]", "'a' is listed twice",
         "already item 0", "value-twice"),
    case(dims("    tier:\n      values: [1, '1']\n"), 6,
         "partitions.dimensions.tier.values[1]", "'1' is listed twice", "already item 0",
         "value-twice-as-text"),
    case(dims("    campaign: {values: [a, 'b|c']}\n"), 5,
         "partitions.dimensions.campaign.values[1]", "'b|c' holds `|` or `=`",
         "without `|` and `=`", "value-pipe"),
    case(dims("    campaign: {values: ['k=v']}\n"), 5,
         "partitions.dimensions.campaign.values[0]", "'k=v' holds `|` or `=`",
         "without `|` and `=`", "value-equals"),
    case(dims("    campaign: {values: [' a']}\n"), 5,
         "partitions.dimensions.campaign.values[0]", "has spaces at its ends",
         "without leading or trailing spaces", "value-spaces"),
    case(dims("    campaign: {values: [a, ~]}\n"), 5,
         "partitions.dimensions.campaign.values[1]", "empty list item", "remove the `-`",
         "value-null"),
    case(dims("    flag: {values: [true, b]}\n"), 5,
         "partitions.dimensions.flag.values[0]",
         "must be a string or a whole number, got a boolean", 'quote it: "true"',
         "value-boolean"),
    case(dims("    tier: {values: [1, 1e3]}\n"), 5, "partitions.dimensions.tier.values[1]",
         "must be a string or a whole number, got a number", 'quote it: "1000.0"',
         "value-fraction"),
    case(dims("    1: {values: [a]}\n"), 5, "partitions.dimensions",
         "key '1' is not a string", 'quote it: "1"', "name-number"),
    case(dims("    campaign: {values: [[a]]}\n"), 5,
         "partitions.dimensions.campaign.values[0]", "got a list", "write a text value",
         "value-list"),
    case(dims("    campaign: {sensor: campaign-list}\n"), 5,
         "partitions.dimensions.campaign.field", "missing required field",
         "add `field:` under `partitions.dimensions.campaign`", "sensor-without-field"),
    case(dims("    campaign: {field: ids}\n"), 5,
         "partitions.dimensions.campaign.sensor", "missing required field",
         "add `sensor:`", "field-without-sensor"),
    case(dims("    campaign: {sensor: '', field: ids}\n"), 5,
         "partitions.dimensions.campaign.sensor", "must not be empty", "non-empty",
         "sensor-blank"),
    # --- complete -----------------------------------------------------------------------
    case(COMPLETE, 2, "complete", "needs `partitions`",
         "add `partitions:` with a `time:` axis, or remove `complete`", "complete-alone"),
    case("partitions: {time: {start: 2026-01-01}}\ncomplete:\n", 3, "complete",
         "lists no rule", "add `rules:`", "complete-null"),
    case("partitions: {time: {start: 2026-01-01}}\ncomplete: {trigger: ALL}\n", 3,
         "complete.rules", "lists no rule", "or remove `complete`", "complete-no-rules"),
    case("partitions: {time: {start: 2026-01-01}}\n" + JOB
         + "complete: {trigger: SOME, rules: [{key: k, check: exists}]}\n", 4,
         "complete.trigger", '"SOME" is not ALL or ANY', "use ALL or ANY", "complete-trigger"),
    case("partitions: {time: {start: 2026-01-01}}\n"
          "complete: {rule: [], rules: [{key: k, check: exists}]}\n", 3,
         "complete.rule", "unknown key `rule`", "did you mean `rules`?", "complete-typo"),
    case("partitions: {time: {start: 2026-01-01}}\n"
          "complete:\n  rules:\n    - {key: output, check: bigger, value: 1}\n", 5,
         "complete.rules[0].check", "bigger", "", "complete-bad-check"),
    # --- backfill -----------------------------------------------------------------------
    case("backfill: {maxConcurrent: 2}\n" + JOB, 2, "backfill", "needs `partitions`",
         "or remove `backfill`", "backfill-alone"),
    case(time("{start: 2026-01-01}") + "backfill: {maxConcurrent: 0}\n", 5,
         "backfill.maxConcurrent", "0 out of range [1,10000]", "from 1 to 10000",
         "concurrent-zero"),
    case(time("{start: 2026-01-01}") + "backfill: {maxReruns: -1}\n", 5,
         "backfill.maxReruns", "-1 out of range [0,100]", "from 0 to 100",
         "reruns-negative"),
    case(time("{start: 2026-01-01}") + "backfill: {maxConcurrent: four}\n", 5,
         "backfill.maxConcurrent", "must be an integer, got a string", "whole number",
         "concurrent-word"),
    case(time("{start: 2026-01-01}") + "backfill: {order: newest}\n", 5, "backfill.order",
         '"newest" is not newest-first or oldest-first', "did you mean `newest-first`?",
         "order-typo"),
    case(time("{start: 2026-01-01}") + "backfill: {order: random}\n", 5, "backfill.order",
         "is not newest-first or oldest-first", "use one of: `newest-first`, `oldest-first`",
         "order-unknown"),
    case(time("{start: 2026-01-01}") + "backfill: {retryFailedAfter: forever}\n", 5,
         "backfill.retryFailedAfter", '"forever" is not a duration or never',
         "write e.g. 7d, or `never`", "retry-word"),
    case(time("{start: 2026-01-01}") + "backfill: {retryFailedAfter: 0s}\n", 5,
         "backfill.retryFailedAfter", "must be > 0", "duration", "retry-zero"),
    case(time("{start: 2026-01-01}") + "backfill: {maxConcurent: 2}\n", 5,
         "backfill.maxConcurent", "unknown key", "did you mean `maxConcurrent`?",
         "backfill-typo"),
    case(time("{start: 2026-01-01}") + "backfill: [4]\n", 5, "backfill",
         "must be a mapping, got a list", "key: value", "backfill-list"),
    # --- job.maxSelfHeals and the root --------------------------------------------------
    case("job: {type: mock, maxSelfHeals: -1}\n", 2, "job.maxSelfHeals",
         "-1 out of range [0,100]", "from 0 to 100", "self-heals-negative"),
    case("job: {type: mock, maxSelfHeals: 3.5}\n", 2, "job.maxSelfHeals",
         "must be an integer", "whole number", "self-heals-fraction"),
    case("job: {type: mock, maxSelfHeal: 3}\n", 2, "job.maxSelfHeal",
         "unknown key", "did you mean `maxSelfHeals`?", "self-heals-typo"),
    case("partition: {time: {start: 2026-01-01}}\n" + JOB, 2, "partition",
         "unknown key `partition`", "did you mean `partitions`?", "root-typo"),
    case("completed: {rules: []}\n" + JOB, 2, "completed",
         "unknown key `completed`", "did you mean `complete`?", "root-typo-complete"),
]
# fmt: on


@pytest.mark.parametrize(("body", "expected"), PARTITIONS_ERRORS)
def test_each_mistake_is_one_problem_at_its_line(problems_of, body, expected):
    """One mistake, one problem: file, line, field, message and fix."""
    problems = problems_of(ID + body)
    assert len(problems) == 1, [str(p) for p in problems]
    assert_problem(problems[0], "p.yaml", expected)
    assert_sound(tuple(problems), "p.yaml", ID + body)


def test_every_mistake_of_a_file_is_reported_at_once(problems_of):
    """Five mistakes in three sections: five problems, each at its own line."""
    body = textwrap.dedent(
        """\
        partitions:
          time: {granularity: weekly, start: 2026-01-01}
          dimensions:
            campaign: {values: [a, a]}
            region: {sensor: regions}
        backfill: {order: sideways}
        job: {type: mock, maxSelfHeals: 1000}
        """
    )
    problems = problems_of(ID + body)
    assert [(p.line, p.field) for p in problems] == [
        (3, "partitions.time.granularity"),
        (5, "partitions.dimensions.campaign.values[1]"),
        (6, "partitions.dimensions.region.field"),
        (7, "backfill.order"),
        (8, "job.maxSelfHeals"),
    ]


def test_a_problem_prints_as_file_line_field_message_and_fix(problems_of):
    """What a person sees: ``p.yaml:3: partitions.time.start: ... (fix)`` on one line."""
    (problem,) = problems_of(ID + time("{start: soon}"))
    assert str(problem) == (
        'p.yaml:3: partitions.time.start: "soon" is not a date '
        '(write a date such as 2026-01-01, or days back from the end such as "-90d")'
    )
