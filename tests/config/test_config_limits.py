"""The loader's limits: sizes, depths and values too big to use are problems, never crashes.

A fuzzing run found files that made ``validate``, ``apply`` and ``serve`` die with a traceback
(``OverflowError``, ``RecursionError``, ``UnicodeEncodeError``) or take seconds to reject.
Each limit here is documented where it is defined and named in the problem it produces.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from interlock.config import (
    MAX_DURATION,
    MAX_FILE_BYTES,
    MAX_NESTING,
    MAX_RULE_GROUP_DEPTH,
    load_pipeline_file,
    load_pipelines,
    parse_pipeline,
)
from interlock.config._yaml import REWORD_LIMIT, _CLoader
from interlock.errors import ConfigError, ConfigProblem
from interlock.model.durations import DurationTooLargeError, parse_duration

TRIGGER = "schedule:\n  trigger: {key: up, check: exists}\n"
DURATION_FIELDS = [
    pytest.param("schedule:\n  evaluation:\n    window: VALUE\n", 5, "schedule.evaluation.window"),
    pytest.param(
        "schedule:\n  evaluation:\n    interval: VALUE\n", 5, "schedule.evaluation.interval"
    ),
    pytest.param("sla:\n  expectedDuration: VALUE\n", 4, "sla.expectedDuration"),
    pytest.param("job:\n  type: mock\n  pollInterval: VALUE\n", 5, "job.pollInterval"),
    pytest.param("postRun:\n  sensorTimeout: VALUE\n", 4, "postRun.sensorTimeout"),
    pytest.param("postRun:\n  evaluation: {window: VALUE}\n", 4, "postRun.evaluation.window"),
]
HUGE_DURATIONS = [
    "99999999999999999d",  # overflows timedelta (the fuzzer's value)
    "1" + "0" * 400 + "h",  # overflows a float: infinity
    "9" * 30 + "ms",
    "999999999d",  # the largest timedelta: would overflow `now + window` at run time
    "36501d",  # one day over the documented maximum
    "5215w",
]


def problems(text: str, source: str = "p.yaml") -> tuple[ConfigProblem, ...]:
    """The problems of a document that must be refused."""
    with pytest.raises(ConfigError) as info:
        parse_pipeline(text, source=source)
    return info.value.problems


def only(found: tuple[ConfigProblem, ...]) -> ConfigProblem:
    """The single problem found (shown in full when there are more)."""
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


@pytest.mark.parametrize("value", HUGE_DURATIONS)
@pytest.mark.parametrize(("section", "line", "field"), DURATION_FIELDS)
def test_a_huge_duration_is_a_problem_in_every_field(section, line, field, value):
    """Every duration field refuses values past 100 years, naming the largest it accepts."""
    text = "pipeline:\n  id: p\n" + section.replace("VALUE", value)
    problem = only(problems(text))
    assert (problem.file, problem.line, problem.field) == ("p.yaml", line, field)
    assert problem.message == f"{value} is too large; the largest accepted is 36500d (100 years)"
    assert "36500d" in problem.fix


@pytest.mark.parametrize("value", HUGE_DURATIONS)
def test_a_huge_max_duration_exceeds_its_own_limit(value):
    """``sla.maxDuration`` has a tighter limit (24h) and says so, however long the value."""
    problem = only(problems(f"pipeline:\n  id: p\n{TRIGGER}sla:\n  maxDuration: {value}\n"))
    assert (problem.line, problem.field) == (6, "sla.maxDuration")
    assert problem.message == f"exceeds 24h ({value})"


def test_a_huge_negative_duration_is_refused_as_negative():
    """``-99999999999999999d`` is wrong for its sign first: durations here are positive."""
    problem = only(problems("pipeline:\n  id: p\nsla:\n  expectedDuration: -99999999999999999d\n"))
    assert problem.field == "sla.expectedDuration"
    assert problem.message == "must be ≥ 0, got '-99999999999999999d'"


@pytest.mark.parametrize("value", ["36500d", "5214w", "876000h"])
def test_the_largest_duration_is_accepted(value):
    """Exactly 100 years (36500d) is still a valid window."""
    spec = parse_pipeline(f"pipeline:\n  id: p\nschedule:\n  evaluation: {{window: {value}}}\n")
    assert spec.schedule.evaluation.window <= MAX_DURATION == timedelta(days=36500)


@pytest.mark.parametrize(
    "value", ["99999999999999999d", "1" + "0" * 400 + "s", "-" + "9" * 20 + "w"]
)
def test_parse_duration_reports_overflow_as_a_value_error(value):
    """The parser says "too large" as a ValueError, so every caller's error handling holds."""
    with pytest.raises(DurationTooLargeError, match="too large") as info:
        parse_duration(value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        pytest.param(
            "postRun: {driftThreshold: 1" + "0" * 400 + "}", "postRun.driftThreshold", id="float"
        ),
        pytest.param(
            "job: {type: mock, maxRetries: " + "9" * 5000 + "}", "job.maxRetries", id="str"
        ),
        pytest.param(
            "job: {type: mock, config: {x: 0x" + "f" * 5000 + "}}", "job.config.x", id="hex"
        ),
        pytest.param(
            "postRun: {driftThreshold: 18446744073709551616}", "postRun.driftThreshold", id="2**64"
        ),
    ],
)
def test_an_integer_past_64_bits_is_a_problem(text, field):
    """Integers no float or str can take (``OverflowError``, ``ValueError``) are refused early."""
    problem = only(problems(f"pipeline: {{id: p}}\n{text}\n"))
    assert (problem.line, problem.field) == (2, field)
    assert problem.message.endswith("does not fit in 64 bits")
    assert len(problem.message) < 80  # the digits are not all repeated back
    assert "quote it" in problem.fix


@pytest.mark.parametrize("value", ["18446744073709551615", "-9223372036854775808", "0x" + "f" * 16])
def test_integers_in_64_bits_load(value):
    """Go's ``int64`` and ``uint64`` ranges both load, as Go's yaml.v3 reads them."""
    spec = parse_pipeline(f"pipeline: {{id: p}}\njob: {{type: mock, config: {{x: {value}}}}}\n")
    assert spec.job is not None
    assert spec.job.config["x"] == int(value, 0)


def nested_groups(depth: int) -> str:
    """A pipeline whose first rule is ``depth`` allOf groups deep, one per line."""
    lines = ["pipeline:", "  id: p", "validation:", "  rules:"]
    for level in range(depth):
        indent = "    " + "  " * level
        lines.append(f"{indent}- allOf:")
    lines.append("    " + "  " * depth + "- {key: a, check: exists}")
    return "\n".join(lines) + "\n"


def group_path(depth: int) -> str:
    """``validation.rules[0].allOf[0]...``: the field of the group at ``depth`` (1-based)."""
    return "validation.rules[0]" + ".allOf[0]" * (depth - 1)


def test_rule_groups_up_to_the_limit_load():
    """Groups nested exactly as deep as the limit are a valid pipeline."""
    spec = parse_pipeline(nested_groups(MAX_RULE_GROUP_DEPTH))
    assert spec.validation.children


def test_rule_groups_one_past_the_limit_are_one_problem():
    """The group one past the limit is named with its line, field and the limit."""
    too_deep = MAX_RULE_GROUP_DEPTH + 1
    problem = only(problems(nested_groups(too_deep)))
    assert (problem.line, problem.field) == (4 + too_deep, group_path(too_deep))
    assert problem.message == f"rule groups nest more than {MAX_RULE_GROUP_DEPTH} deep"
    assert "flatten" in problem.fix


@pytest.mark.parametrize("depth", [198, 244])
def test_rule_groups_nested_hundreds_deep_are_refused(depth):
    """The fuzzer's depths (and deeper) name the first group past the limit, not a crash.

    The document is also deeper than any YAML the loader reads, which is a second problem.
    """
    found = problems(nested_groups(depth))
    too_deep = MAX_RULE_GROUP_DEPTH + 1
    problem = next(p for p in found if p.message.startswith("rule groups"))
    assert (problem.line, problem.field) == (4 + too_deep, group_path(too_deep))
    assert problem.message == f"rule groups nest more than {MAX_RULE_GROUP_DEPTH} deep"
    assert "flatten" in problem.fix


def test_rule_groups_thousands_deep_are_a_nesting_problem():
    """Past what libyaml takes (10,000 groups), the nesting limit speaks, cleanly."""
    rule = "{allOf: [" * 10_000 + "{key: a, check: exists}" + "]}" * 10_000
    problem = only(problems(f"pipeline: {{id: p}}\nvalidation:\n  rules: [{rule}]\n"))
    assert problem.message == f"nested more than {MAX_NESTING} levels deep"
    assert problem.line == 3
    assert problem.field == ""  # libyaml stopped it, at 1,000 levels: there is no node yet


def test_rule_groups_thousands_deep_in_a_small_file_name_the_field():
    """Under 64 KiB the pure-Python parser finds the same limit and names the field."""
    rule = "{allOf: [" * 2_000 + "{key: a, check: exists}" + "]}" * 2_000
    problem = only(problems(f"pipeline: {{id: p}}\nvalidation:\n  rules: [{rule}]\n"))
    assert problem.message == f"nested more than {MAX_NESTING} levels deep"
    assert problem.line == 3
    assert problem.field.startswith("validation.rules[0].allOf[0].allOf[0]")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        pytest.param("[" * 10_000 + "]" * 10_000, "[0]" * MAX_NESTING, id="flow-10000"),
        pytest.param("- " * 10_000 + "x\n", "[0]" * MAX_NESTING, id="block-10000"),
        pytest.param("[" * 1_000_000, "", id="flow-1000000-unclosed-past-64-KiB"),
        pytest.param(
            "x: {" * 500 + "}" * 500, ".".join("x" * MAX_NESTING), id="flow-500-parsed-by-libyaml"
        ),
    ],
)
def test_any_nesting_depth_is_a_clean_problem(text, field):
    """However deep the nesting, it is refused at the documented limit, quickly."""
    started = time.perf_counter()
    found = problems(text)
    assert time.perf_counter() - started < 2
    problem = next(p for p in found if "nested" in p.message)
    assert problem.message == f"nested more than {MAX_NESTING} levels deep"
    assert (problem.line, problem.field) == (1, field)


def merged(depth: int) -> str:
    """A pipeline whose ``job.config`` is ``depth`` merges deep: ``{<<: {<<: ... {}}}``."""
    merges = "{<<: " * depth + "{}" + "}" * depth
    return f"pipeline: {{id: p}}\njob: {{type: mock, config: {merges}}}\n"


def test_nested_merges_flatten_into_one_mapping():
    """Merges nest without adding levels: 60 of them are one empty mapping."""
    spec = parse_pipeline(merged(60))
    assert spec.job is not None
    assert spec.job.config == {}


def test_merges_nested_a_thousand_deep_are_a_problem():
    """Flattening that many merges recurses too deep: one clean problem, not a crash."""
    problem = only(problems(merged(990)))
    assert problem.message == "document is too large or deep"


def test_nesting_through_aliases_is_limited_too():
    """Aliases can nest deeper than the text does; the converted document is still bounded."""
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [[[[*a{i - 1}]]]]" for i in range(1, 20)]
    problem = next(p for p in problems("\n".join(lines)) if "nested" in p.message)
    assert problem.message == f"nested more than {MAX_NESTING} levels deep"
    assert problem.field.startswith("a16")


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        pytest.param('pipeline:\n  id: "\\ud800"\n', 2, "pipeline.id", id="pipeline-id"),
        pytest.param('pipeline:\n  id: p\n  owner: "a\\udfffb"\n', 3, "pipeline.owner", id="value"),
        pytest.param('pipeline:\n  id: p\n  "\\ud800": x\n', 3, "pipeline", id="key"),
        pytest.param(
            'pipeline: {id: p}\njob: {type: mock, config: {x: ["\\ud83d\\ude00"]}}\n',
            2,
            "job.config.x[0]",
            id="utf-16-pair",
        ),
    ],
)
def test_a_lone_surrogate_is_a_problem(text, line, field):
    r"""A ``\ud800`` escape is half a UTF-16 pair, not a character: refused where it is."""
    problem = only(problems(text))
    assert (problem.line, problem.field) == (line, field)
    assert "lone surrogate" in problem.message
    assert "\\U0001F600" in problem.fix
    str(problem).encode("utf-8")  # printable anywhere: the surrogate itself is escaped


def test_a_raw_surrogate_in_text_is_a_problem():
    """Text handed to ``parse_pipeline`` with a surrogate code point is refused, not crashed."""
    problem = only(problems("pipeline:\n  id: p\n  owner: a\ud800b\n"))
    assert problem.line == 3
    assert "#xd800" in problem.message
    str(problem).encode("utf-8")


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("a\\nb", "a\\nb"),
        ("a\\r\\nb", "a\\r\\nb"),
        ("a\\x1bb", "a\\x1bb"),
        ("a\\u2028b", "a\\u2028b"),
        ("a\\x85b", "a\\x85b"),
        ("a\\tb", "a\\tb"),
    ],
)
def test_a_value_with_a_line_break_gives_a_one_line_message(value, escaped):
    """A quoted value holding a newline or control character is shown escaped, on one line."""
    problem = only(problems(f'pipeline:\n  id: p\nschedule:\n  timezone: "{value}"\n'))
    assert problem.message == f'unknown time zone "{escaped}"'
    assert len(str(problem).splitlines()) == 1


def test_a_key_with_a_line_break_gives_a_one_line_message():
    """Unknown keys are quoted in the field and the message: both stay on one line."""
    problem = only(problems('pipeline:\n  id: p\n  "own\\ner": x\n'))
    assert problem.field == "pipeline.own\\ner"
    assert len(str(problem).splitlines()) == 1


def test_a_file_over_the_size_limit_is_refused_quickly(tmp_path):
    """A file over 1 MiB is one problem naming the file, its size and the limit, unparsed."""
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"pipeline:\n  id: p\n" + b"x: [\n" * (MAX_FILE_BYTES // 4))
    size = path.stat().st_size
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_pipelines(tmp_path)
    assert time.perf_counter() - started < 0.5
    problem = only(info.value.problems)
    assert (problem.file, problem.line, problem.field) == (str(path), None, "")
    assert problem.message == f"file is {size:,} bytes; the limit is 1,048,576 bytes (1 MiB)"
    assert "split" in problem.fix


def test_a_file_at_the_size_limit_is_read(tmp_path):
    """Exactly 1 MiB is allowed: the limit is on the bytes, comments included."""
    head = b"pipeline:\n  id: p\n"
    path = tmp_path / "p.yaml"
    path.write_bytes(head + b"#" * (MAX_FILE_BYTES - len(head) - 1) + b"\n")
    assert path.stat().st_size == MAX_FILE_BYTES == 1024 * 1024
    assert load_pipeline_file(path).id == "p"


@pytest.mark.skipif(_CLoader is None, reason="PyYAML built without libyaml")
def test_a_large_broken_file_is_worded_by_libyaml(tmp_path):
    """Past 64 KiB a syntax error keeps libyaml's words: the seconds-slow re-parse is skipped."""
    rules = "    - {key: k, check: exists}\n" * (REWORD_LIMIT // 30)
    path = tmp_path / "big.yaml"
    path.write_text(f"pipeline: {{id: p}}\nvalidation:\n  rules:\n{rules}  x: [\n")
    with pytest.raises(ConfigError) as info:
        load_pipeline_file(path)
    problem = only(info.value.problems)
    assert problem.line == 4 + REWORD_LIMIT // 30 + 1
    assert "did not find expected node content" in problem.message  # libyaml's phrase


def test_text_over_the_size_limit_is_refused():
    """``parse_pipeline`` applies the same limit to text (counted in UTF-8 bytes)."""
    text = "pipeline:\n  id: p\n# " + "é" * (MAX_FILE_BYTES // 2) + "\n"
    problem = only(problems(text, source="big.yaml"))
    assert problem.file == "big.yaml"
    assert problem.message.startswith(f"file is {len(text.encode()):,} bytes; the limit is")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_file_is_refused_without_reading_it_all():
    """A device that never ends is cut off just past the limit, with no size to report."""
    with pytest.raises(ConfigError) as info:
        load_pipeline_file(Path("/dev/zero"))
    problem = only(info.value.problems)
    assert problem.message == "file is over 1,048,576 bytes; the limit is 1,048,576 bytes (1 MiB)"
