"""``partitions``, ``complete``, ``backfill`` and ``job.maxSelfHeals``: what each form means.

The accepted forms and their defaults, once loaded; every mistake is
``test_config_partitions_errors.py``'s. Line 1 is always ``pipeline: {id: p}``.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from interlock.cli import main
from interlock.model.conditions import AllOf, AnyOf, Rule
from interlock.model.desired import (
    BackfillOrder,
    BackfillSpec,
    Dimension,
    Granularity,
    PartitionsSpec,
    TimeAxis,
    canonical_partition,
    desired_partitions,
)

ID = "pipeline: {id: p}\n"
JOB = "job: {type: mock}\n"
OUTPUT_RULE = Rule(key="output", check="gte", field="rows", value=1)


def load(parse, body: str):
    """The spec of ``ID + body``."""
    return parse(ID + textwrap.dedent(body))


def axis_of(parse, time: str, schedule: str = ""):
    """The TimeAxis of a pipeline with ``partitions: {time: <time>}`` and a job."""
    spec = load(parse, f"{schedule}partitions:\n  time: {time}\n{JOB}")
    assert spec.partitions is not None
    return spec.partitions.time


def test_the_issue_example_loads_as_written(parse):
    """The configuration block of issue 11, key for key."""
    spec = load(
        parse,
        """\
        partitions:
          time: {granularity: daily, start: 2026-01-01, end: today, lag: 1d,
                 timezone: Europe/Berlin}
          dimensions:
            campaign: {values: [a, b, c]}
        complete:
          trigger: ALL
          rules: [{key: output, check: gte, field: rows, value: 1}]
        backfill: {maxConcurrent: 4, order: newest-first, retryFailedAfter: 7d}
        job: {type: mock, maxSelfHeals: 3}
        """,
    )
    assert spec.partitions == PartitionsSpec(
        time=TimeAxis(
            granularity=Granularity.DAILY,
            start=date(2026, 1, 1),
            lag=timedelta(days=1),
            timezone="Europe/Berlin",
        ),
        dimensions=(Dimension(name="campaign", values=("a", "b", "c")),),
    )
    assert spec.complete == AllOf(children=(OUTPUT_RULE,))
    assert spec.backfill == BackfillSpec(
        max_concurrent=4, order=BackfillOrder.NEWEST_FIRST, retry_failed_after=timedelta(days=7)
    )
    assert spec.job is not None
    assert spec.job.max_self_heals == 3
    assert spec.sensor_keys == {"output"}


def test_the_loaded_spec_yields_the_issue_partition_strings(parse):
    """What config declares is what the model enumerates: ``2026-01-01|campaign=a`` first."""
    spec = load(
        parse,
        "partitions:\n  time: {start: 2026-01-01, end: 2026-01-02}\n"
        "  dimensions: {campaign: {values: [a, b]}, region: {values: [eu]}}\n" + JOB,
    )
    assert spec.partitions is not None
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert list(desired_partitions(spec.partitions, now)) == [
        "2026-01-01|campaign=a|region=eu",
        "2026-01-01|campaign=b|region=eu",
        "2026-01-02|campaign=a|region=eu",
        "2026-01-02|campaign=b|region=eu",
    ]
    assert canonical_partition(spec.partitions, "2026-01-02|region=eu|campaign=b") == (
        "2026-01-02|campaign=b|region=eu"
    )


@pytest.mark.parametrize(
    ("time", "schedule", "expected"),
    [
        ("{start: 2026-01-01}", "", TimeAxis(start=date(2026, 1, 1))),
        ("{start: '2026-01-01'}", "", TimeAxis(start=date(2026, 1, 1))),
        ("{start: -90d}", "", TimeAxis(start_ago=timedelta(days=90))),
        ("{start: '-0d'}", "", TimeAxis(start_ago=timedelta(0))),
        ("{start: -30d, end: 2026-03-31}", "",
         TimeAxis(start_ago=timedelta(days=30), end=date(2026, 3, 31))),
        ("{start: 2026-01-01, end: 2026-01-01}", "",
         TimeAxis(start=date(2026, 1, 1), end=date(2026, 1, 1))),
        ("{start: 2026-01-01, end: TODAY}", "", TimeAxis(start=date(2026, 1, 1))),
        ("{granularity: Hourly, start: 2026-01-01}", "",
         TimeAxis(granularity=Granularity.HOURLY, start=date(2026, 1, 1))),
        ("{start: 2026-01-01, lag: 2h}", "",
         TimeAxis(start=date(2026, 1, 1), lag=timedelta(hours=2))),
        ("{start: 2026-01-01, lag: 0s}", "", TimeAxis(start=date(2026, 1, 1))),
        ("{start: 2026-01-01}", "schedule: {timezone: America/New_York}\n",
         TimeAxis(start=date(2026, 1, 1), timezone="America/New_York")),
        ("{start: 2026-01-01, timezone: Asia/Tokyo}", "schedule: {timezone: America/New_York}\n",
         TimeAxis(start=date(2026, 1, 1), timezone="Asia/Tokyo")),
    ],
    ids=["iso-date", "quoted-date", "relative", "relative-zero", "relative-with-fixed-end",
         "one-day", "today-any-case", "hourly-any-case", "lag", "zero-lag",
         "zone-from-schedule", "own-zone-wins"],
)  # fmt: skip
def test_each_time_axis_form(parse, time, schedule, expected):
    """Every accepted way to write ``partitions.time``, with the defaults filled in."""
    assert axis_of(parse, time, schedule) == expected


def test_defaults_of_an_axis_are_daily_utc_today_no_lag(parse):
    """Only ``start`` is required: daily, up to today, no lag, in UTC."""
    axis = axis_of(parse, "{start: 2026-01-01}")
    assert (axis.granularity, axis.end, axis.lag, axis.timezone) == (
        Granularity.DAILY,
        None,
        timedelta(0),
        "UTC",
    )


def test_a_date_object_from_yaml_is_accepted():
    """A YAML layer that hands over ``datetime.date`` (as PyYAML does) gets the same axis."""
    from interlock.config._check import Checker  # noqa: PLC0415  (the reader itself)
    from interlock.config._partitions import read_partitions  # noqa: PLC0415
    from interlock.config._yaml import parse_yaml  # noqa: PLC0415

    doc, _ = parse_yaml("partitions: {}\n", "p.yaml")
    assert doc is not None
    checker = Checker(doc=doc, source="p.yaml")
    raw = {"time": {"start": date(2026, 1, 1), "end": date(2026, 2, 1)}}
    spec = read_partitions(checker, raw, default_zone="UTC")
    assert not checker.problems
    assert spec == PartitionsSpec(time=TimeAxis(start=date(2026, 1, 1), end=date(2026, 2, 1)))


def test_a_moment_from_yaml_is_refused_not_cut_to_a_date():
    """A ``datetime`` names a day only in some zone: the problem says so, at the field."""
    from interlock.config._check import Checker  # noqa: PLC0415  (the reader itself)
    from interlock.config._partitions import read_partitions  # noqa: PLC0415
    from interlock.config._yaml import parse_yaml  # noqa: PLC0415

    doc, _ = parse_yaml("partitions: {}\n", "p.yaml")
    assert doc is not None
    checker = Checker(doc=doc, source="p.yaml")
    raw = {"time": {"start": datetime(2026, 1, 1, 23, tzinfo=UTC)}}
    assert read_partitions(checker, raw, default_zone="UTC") is None
    (problem,) = checker.problems
    assert problem.field == "partitions.time.start"
    assert "2026-01-01T23:00:00+00:00 is a moment, not a date" in problem.message


def test_dimensions_keep_declaration_order_and_values_become_text(parse):
    """Names in file order (not sorted); a whole number is a value: ``1`` is ``"1"``."""
    spec = load(
        parse,
        """\
        partitions:
          time: {start: 2026-01-01}
          dimensions:
            region: {values: [eu, us]}
            campaign: {sensor: campaign-list, field: ids}
            tier: {values: [1, '2.5', gold]}
        job: {type: mock}
        """,
    )
    assert spec.partitions is not None
    assert spec.partitions.dimensions == (
        Dimension(name="region", values=("eu", "us")),
        Dimension(name="campaign", sensor="campaign-list", field="ids"),
        Dimension(name="tier", values=("1", "2.5", "gold")),
    )
    assert spec.partitions.dimensions[1].is_dynamic
    assert spec.sensor_keys == {"campaign-list"}


def test_complete_reads_like_validation_and_its_keys_are_read(parse):
    """``trigger: any`` and nested groups, exactly as ``validation`` takes them."""
    spec = load(
        parse,
        """\
        partitions: {time: {start: -7d}}
        complete:
          trigger: any
          rules:
            - {key: output, check: gte, field: rows, value: 1}
            - anyOf: [{key: manual-load, check: exists}]
        """,
    )
    assert spec.complete == AnyOf(
        children=(OUTPUT_RULE, AnyOf(children=(Rule(key="manual-load", check="exists"),)))
    )
    assert spec.job is None  # allowed: complete says when a partition is done without one
    assert spec.sensor_keys == {"output", "manual-load"}


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("", BackfillSpec()),
        ("backfill: {}\n", BackfillSpec()),
        ("backfill: {maxConcurrent: 1}\n", BackfillSpec(max_concurrent=1)),
        ("backfill: {order: Oldest-First}\n", BackfillSpec(order=BackfillOrder.OLDEST_FIRST)),
        ("backfill: {retryFailedAfter: never}\n", BackfillSpec(retry_failed_after=None)),
        ("backfill: {retryFailedAfter: 12h}\n",
         BackfillSpec(retry_failed_after=timedelta(hours=12))),
        ("backfill: {maxReruns: 0}\n", BackfillSpec(max_reruns=0)),
    ],
    ids=["absent", "empty", "one-at-a-time", "oldest-first", "never", "12h", "no-re-backfill"],
)  # fmt: skip
def test_each_backfill_form(parse, block, expected):
    """Defaults 4 / newest-first / never, and each key alone."""
    spec = load(parse, "partitions: {time: {start: 2026-01-01}}\n" + JOB + block)
    assert spec.backfill == expected


def test_backfill_defaults_are_the_documented_ones():
    """Four at a time, newest first, a failed partition never retried by itself."""
    assert BackfillSpec() == BackfillSpec(
        max_concurrent=4, order=BackfillOrder.NEWEST_FIRST, retry_failed_after=None
    )


@pytest.mark.parametrize(("written", "expected"), [("", 3), (", maxSelfHeals: 0", 0),
                                                    (", maxSelfHeals: 100", 100)])  # fmt: skip
def test_max_self_heals(parse, written, expected):
    """``job.maxSelfHeals``: 3 by default; 0 turns self-healing off."""
    spec = load(parse, f"job: {{type: mock{written}}}\n")
    assert spec.job is not None
    assert spec.job.max_self_heals == expected


def test_a_pipeline_without_partitions_has_no_desired_state(parse):
    """Nothing changes for the pipelines that existed before: no partitions, no complete."""
    spec = load(parse, JOB)
    assert (spec.partitions, spec.complete, spec.backfill) == (None, None, BackfillSpec())


def test_partitions_size_the_dependency_mapping_checks(parse):
    """An hourly axis allows ``{offset: -1h}`` though the pipeline has no hourly schedule."""
    spec = load(
        parse,
        "partitions: {time: {granularity: hourly, start: -2d}}\n" + JOB
        + "dependsOn: [{pipeline: up, partition: {offset: -1h}}]\n",
    )  # fmt: skip
    assert spec.depends_on is not None
    assert spec.depends_on.all_of[0].partition.offset == timedelta(hours=-1)


@pytest.mark.parametrize(
    ("partitions", "shown"),
    [
        ("{time: {start: 2026-01-01}, dimensions: {campaign: {values: [a, b, c]}}}",
         "partitions daily 2026-01-01..today \u00d7 campaign(3) · complete 1 rule (ALL)"),
        (("{time: {granularity: hourly, start: -90d, end: 2026-12-31, lag: 1d,"
          " timezone: Europe/Berlin}, dimensions: {c: {sensor: list, field: ids}}}"),
         "partitions hourly -90d..2026-12-31 Europe/Berlin lag 1d \u00d7 c(list.ids) · complete"),
    ],
    ids=["static", "dynamic-with-zone-and-lag"],
)  # fmt: skip
def test_validate_shows_the_partitions(tmp_path, partitions, shown):
    """``interlock validate``: one line per pipeline saying its range and its dimensions."""
    path = tmp_path / "p.yaml"
    path.write_text(
        f"{ID}partitions: {partitions}\n"
        "complete: {rules: [{key: output, check: gte, field: rows, value: 1}]}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert shown in result.stdout


def test_a_new_campaign_is_a_new_config_version(parse):
    """Adding campaign ``d`` changes the config hash: ``apply`` stores it, ``serve`` reloads."""
    base = "partitions:\n  time: {start: 2026-01-01}\n  dimensions:\n"
    first = load(parse, base + "    campaign: {values: [a, b, c]}\n" + JOB)
    second = load(parse, base + "    campaign: {values: [a, b, c, d]}\n" + JOB)
    assert first.config_hash != second.config_hash


def test_apply_stores_the_desired_state_and_loads_it_back(tmp_path):
    """Through the real SQLite store: the spec read back has the same partitions and budgets."""
    from interlock.app import Interlock  # noqa: PLC0415  (the store only for this test)

    path = tmp_path / "report.yaml"
    path.write_text(
        ID + "partitions:\n  time: {start: -30d, lag: 1d}\n"
        "  dimensions: {campaign: {values: [a, b]}, partner: {sensor: partners, field: ids}}\n"
        "complete: {rules: [{key: output, check: gte, field: rows, value: 1}]}\n"
        "backfill: {maxConcurrent: 2, order: oldest-first}\n"
        "job: {type: mock, maxSelfHeals: 5}\n",
        encoding="utf-8",
    )
    installation = Interlock(db=f"sqlite:///{tmp_path}/interlock.db")
    try:
        installation.apply(path)
        spec = installation.spec("p")
    finally:
        installation.close()
    assert spec.partitions is not None
    assert [d.name for d in spec.partitions.dimensions] == ["campaign", "partner"]
    assert spec.partitions.time.start_ago == timedelta(days=30)
    assert spec.backfill == BackfillSpec(max_concurrent=2, order=BackfillOrder.OLDEST_FIRST)
    assert spec.complete == AllOf(children=(OUTPUT_RULE,))
    assert spec.job is not None
    assert spec.job.max_self_heals == 5
