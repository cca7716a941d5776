"""Files, directories and calendars: what is read, and every problem across all of them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from config_support import assert_problem, case

from interlock.config import load_calendars, load_pipeline_file, load_pipelines
from interlock.errors import ConfigError, ConfigProblem
from interlock.model.specs import CalendarSpec

CALENDAR = """\
name: us-federal
days: [Saturday, SUN]
dates: ["2026-01-01", "2026-12-25"]
"""


def write(path: Path, text: str) -> Path:
    """Write dedented ``text`` to ``path`` (creating directories) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def pipeline(pipeline_id: str, extra: str = "") -> str:
    """A minimal valid pipeline document."""
    return f"pipeline:\n  id: {pipeline_id}\n{extra}"


def problems_of(path: Path) -> tuple[ConfigProblem, ...]:
    """The problems ``load_pipelines(path)`` raises."""
    with pytest.raises(ConfigError) as info:
        load_pipelines(path)
    return info.value.problems


def test_directory_loads_yaml_and_yml_sorted_not_recursive(tmp_path):
    """``*.yaml`` and ``*.yml`` directly in the directory load in name order; others are skipped."""
    write(tmp_path / "b.yml", pipeline("b"))
    write(tmp_path / "a.yaml", pipeline("a"))
    write(tmp_path / "notes.txt", "not: yaml: at all")
    write(tmp_path / "sub" / "c.yaml", pipeline("c"))
    specs = load_pipelines(tmp_path)
    assert [spec.id for spec in specs] == ["a", "b"]
    assert [spec.source for spec in specs] == [str(tmp_path / "a.yaml"), str(tmp_path / "b.yml")]


def test_single_file(tmp_path):
    """A file path loads just that file, keeping the path as given in ``source``."""
    path = write(tmp_path / "p.yaml", pipeline("p"))
    (spec,) = load_pipelines(path)
    assert (spec.id, spec.source) == ("p", str(path))


def test_empty_directory_has_no_pipelines(tmp_path):
    """A directory with no pipeline files loads nothing (and is not an error here)."""
    assert load_pipelines(tmp_path) == ()


def test_problems_are_collected_across_all_files(tmp_path):
    """Every bad file contributes its problems to one ConfigError; good files do not."""
    write(tmp_path / "a.yaml", pipeline("a", "job: {type: command, maxRetries: 11}\n"))
    write(tmp_path / "b.yaml", pipeline("b"))
    write(tmp_path / "c.yaml", "pipeline: {id: c\n")
    problems = problems_of(tmp_path)
    assert [(Path(p.file).name, p.line, p.field) for p in problems] == [
        ("a.yaml", 3, "job.maxRetries"),
        ("c.yaml", 2, ""),
    ]


def test_duplicate_pipeline_ids_name_both_files(tmp_path):
    """Two files with the same ``pipeline.id`` are an error at the second file's id line."""
    first = write(tmp_path / "a.yaml", pipeline("gold"))
    second = write(tmp_path / "b.yaml", "# copy\npipeline:\n  owner: me\n  id: gold\n")
    (problem,) = problems_of(tmp_path)
    assert (problem.file, problem.line, problem.field) == (str(second), 4, "pipeline.id")
    assert problem.message == f'duplicate pipeline id "gold" (also in {first}:2)'
    assert problem.fix == "give each pipeline its own pipeline.id"


def test_missing_path_is_a_problem(tmp_path):
    """A path that does not exist is a problem, not an OSError."""
    (problem,) = problems_of(tmp_path / "nope")
    assert (problem.line, problem.message) == (None, "no such file or directory")


def test_unreadable_file_is_a_problem(tmp_path):
    """A file that cannot be read is a problem naming it."""
    with pytest.raises(ConfigError) as info:
        load_pipeline_file(tmp_path)  # a directory cannot be read as a file
    (problem,) = info.value.problems
    assert problem.file == str(tmp_path)
    assert problem.message.startswith("cannot read:")


def test_non_utf8_file_is_a_problem_with_its_line(tmp_path):
    """Bytes that are not UTF-8 are reported at their line."""
    path = tmp_path / "p.yaml"
    path.write_bytes(b"pipeline:\n  id: caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_pipeline_file(path)
    (problem,) = info.value.problems
    assert (problem.line, problem.message, problem.fix) == (
        2,
        "not UTF-8 text",
        "save the file as UTF-8",
    )


@pytest.mark.parametrize("layout", ["inside", "beside"])
def test_calendars_are_found_inside_or_beside_the_directory(tmp_path, layout):
    """``<dir>/calendars/`` or ``<dir>/../calendars/`` resolves ``schedule.calendar``."""
    pipelines = tmp_path / "pipelines"
    calendars = pipelines / "calendars" if layout == "inside" else tmp_path / "calendars"
    write(calendars / "us.yaml", CALENDAR)
    write(pipelines / "p.yaml", pipeline("p", "schedule:\n  calendar: us-federal\n"))
    for path in (pipelines, pipelines / "p.yaml"):
        (spec,) = load_pipelines(path)
        assert spec.schedule.calendar == CalendarSpec(
            name="us-federal",
            weekdays=frozenset({5, 6}),
            dates=frozenset({"2026-01-01", "2026-12-25"}),
            source=str(calendars / "us.yaml"),
        )


def test_calendar_problems_are_reported_with_pipeline_problems(tmp_path):
    """A bad calendar file fails the load, and so does a pipeline naming a missing calendar."""
    write(tmp_path / "calendars" / "bad.yaml", "name: bad\ndays: [funday]\n")
    write(tmp_path / "p.yaml", pipeline("p", "schedule:\n  calendar: bad\n"))
    problems = problems_of(tmp_path)
    assert [(Path(p.file).name, p.line, p.field) for p in problems] == [
        ("bad.yaml", 2, "days[0]"),
        ("p.yaml", 4, "schedule.calendar"),
    ]
    assert (
        problems[1].fix
        == "no calendars are loaded: add calendars/<name>.yaml beside the pipelines directory"
    )


def test_load_pipeline_file_with_calendars(tmp_path):
    """``load_pipeline_file`` resolves calendar names from the mapping it is given."""
    federal = CalendarSpec(name="us-federal")
    path = write(tmp_path / "p.yaml", pipeline("p", "schedule:\n  calendar: us-federal\n"))
    spec = load_pipeline_file(path, calendars={"us-federal": federal})
    assert spec.schedule.calendar is federal


def test_load_calendars(tmp_path):
    """Day names are case-insensitive (full or three letters); dates are kept as strings."""
    write(tmp_path / "us.yaml", CALENDAR)
    write(tmp_path / "weekend.yml", "name: weekend\ndescription: no work\ndays: [sat, sunday]\n")
    calendars = load_calendars(tmp_path)
    assert sorted(calendars) == ["us-federal", "weekend"]
    assert calendars["us-federal"].weekdays == {5, 6}
    assert calendars["us-federal"].dates == {"2026-01-01", "2026-12-25"}
    assert calendars["weekend"].dates == frozenset()


# fmt: off
CALENDAR_PROBLEMS = [
    case("days: [saturday]\n", 1, "name",
         "missing required field", "add `name:`", "name-missing"),
    case("name: x\ndays: [funday]\n", 2, "days[0]",
         'unknown day "funday"', "monday", "bad-day"),
    case("name: x\ndays: saturday\n", 2, "days",
         "must be a list", "- item", "days-not-list"),
    case("name: x\ndates:\n  - 2026-13-01\n", 3, "dates[0]",
         'invalid format "2026-13-01" (expected YYYY-MM-DD)', "real date", "bad-date"),
    case("name: x\nexclusions: {}\n", 2, "exclusions",
         "unknown key `exclusions`", "allowed keys", "unknown-key"),
    case("- x\n", 1, "",
         "the document must be a mapping", "name", "not-mapping"),
    case("name: [x\n", 2, "",
         "expected ',' or ']'", "indentation", "syntax"),
]
# fmt: on


@pytest.mark.parametrize(("text", "expected"), CALENDAR_PROBLEMS)
def test_calendar_problems(tmp_path, text, expected):
    """Each calendar mistake is a problem with its line, field and fix."""
    path = write(tmp_path / "c.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_calendars(path)
    (problem,) = info.value.problems
    assert_problem(problem, str(path), expected)


def test_duplicate_calendar_names(tmp_path):
    """Two calendars with one name are an error naming the first file."""
    first = write(tmp_path / "a.yaml", "name: x\n")
    write(tmp_path / "b.yaml", "# again\nname: x\n")
    with pytest.raises(ConfigError) as info:
        load_calendars(tmp_path)
    (problem,) = info.value.problems
    assert (Path(problem.file).name, problem.line, problem.field) == ("b.yaml", 2, "name")
    assert problem.message == f'duplicate calendar name "x" (also in {first})'
