r"""The loader is total over hostile input: a spec or a ConfigError, never another exception.

A fuzzing run of 22,000 files found 66 that escaped as ``OverflowError``, ``RecursionError`` or
``UnicodeEncodeError``. These properties feed the loader what it found and more: any text
(lone surrogates included), any bytes in a file (invalid UTF-8 included), and documents shaped
like pipelines whose values are huge numbers, odd durations, deep nesting and ``"\ud800"``.
Every problem must name its file, point at a real line or none, and print as one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from config_support import assert_sound
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.config import JOB_TYPES, load_pipelines, parse_pipeline
from interlock.errors import ConfigError, ConfigProblem

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "examples/pipelines/gold-revenue.yaml"
).read_bytes()

ANY_CHARACTER = st.characters(exclude_categories=())
"""Every code point, surrogates included (hypothesis leaves those out by default)."""
ODD_DURATIONS = st.sampled_from(
    [
        "99999999999999999d",
        "1" + "0" * 400 + "h",
        "999999999d",
        "36500d",
        "36501d",
        "-99999999999999999d",
        "0",
        "-0s",
        ".5m",
        "1.h",
        "1h1h",
        "1e3s",
        "5",
        "1µs",
        "\u0661\u0662h",  # Arabic-Indic digits: \d matches them
        "",
        " 5m ",
    ]
) | st.from_regex(r"-?[0-9]{1,25}(\.[0-9]{0,5})?(ns|us|ms|s|m|h|d|w)", fullmatch=True)
HUGE_NUMBERS = st.sampled_from([10**400, -(10**400), 2**63, 2**64 + 1, 1e308, -1e308, 5e-324])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | HUGE_NUMBERS
    | st.floats()
    | ODD_DURATIONS
    | st.sampled_from(["ALL", "ANY", "UTC", "0 8 * * *", "10:00", "exists", "gte", *JOB_TYPES])
    | st.text(ANY_CHARACTER, max_size=10)
)
KEYS = st.sampled_from(
    ["key", "check", "field", "value", "allOf", "anyOf", "id", "type"]
) | st.text(ANY_CHARACTER, max_size=6)
NODES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
RULES = st.fixed_dictionaries(
    {"key": st.text(max_size=5) | SCALARS, "check": st.sampled_from(["exists", "gte", "age_lt"])},
    optional={"field": SCALARS, "value": SCALARS | ODD_DURATIONS},
)


def nest(depth: int, kind: str, inner: object) -> object:
    """``inner`` wrapped ``depth`` times in a group, a list or a mapping (iteratively)."""
    for _ in range(depth):
        if kind in {"allOf", "anyOf"}:
            inner = {kind: [inner]}
        else:
            inner = [inner] if kind == "list" else {"x": inner}
    return inner


NESTING_KINDS = st.sampled_from(["allOf", "anyOf", "list", "map"])
DEEP = st.builds(nest, st.integers(0, 80), NESTING_KINDS, RULES | NODES)
"""Nesting from none through the limits (16 rule groups, 64 levels) to past them.

Kept within what ``yaml.safe_dump`` (recursive) can write; the nesting test goes deeper.
"""


def field(typed: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """A field's value: mostly the type it wants, sometimes anything at all."""
    return typed | NODES | DEEP


PIPELINES = st.fixed_dictionaries(
    {"pipeline": st.fixed_dictionaries({"id": field(st.just("p") | st.text(ANY_CHARACTER))})},
    optional={
        "schedule": st.fixed_dictionaries(
            {},
            optional={
                "evaluation": field(
                    st.fixed_dictionaries(
                        {}, optional={"window": field(ODD_DURATIONS), "interval": ODD_DURATIONS}
                    )
                ),
                "trigger": field(RULES),
                "cron": field(st.just("0 8 * * *")),
                "timezone": field(st.text(ANY_CHARACTER, max_size=8)),
            },
        ),
        "sla": st.fixed_dictionaries(
            {},
            optional={
                "expectedDuration": field(ODD_DURATIONS),
                "maxDuration": field(ODD_DURATIONS),
                "deadline": field(st.just("10:00")),
            },
        ),
        "validation": st.fixed_dictionaries(
            {"rules": st.lists(field(RULES), max_size=3)},
            optional={"trigger": field(st.sampled_from(["ALL", "ANY"]))},
        ),
        "job": st.fixed_dictionaries(
            {"type": field(st.sampled_from(JOB_TYPES))},
            optional={
                "pollInterval": field(ODD_DURATIONS),
                "maxRetries": field(HUGE_NUMBERS | st.integers()),
                "jobPollWindowSeconds": field(HUGE_NUMBERS),
                "config": NODES,
            },
        ),
        "postRun": st.fixed_dictionaries(
            {},
            optional={
                "sensorTimeout": field(ODD_DURATIONS),
                "driftThreshold": field(HUGE_NUMBERS | st.floats()),
                "rules": st.lists(field(RULES), max_size=2),
            },
        ),
        "dryRun": field(st.booleans()),
    },
)
"""Documents shaped like pipelines, so the builder reaches every section and field."""


def dump(document: object, *, as_json: bool) -> str:
    r"""JSON (ASCII, so surrogates and controls arrive as ``\u`` escapes) or block YAML."""
    if as_json:
        return json.dumps(document)
    return yaml.safe_dump(document, allow_unicode=True)


def check_text(text: str) -> None:
    """``parse_pipeline`` returns a spec, or raises a ConfigError whose problems are sound."""
    try:
        spec = parse_pipeline(text, source="fuzz.yaml")
    except ConfigError as exc:
        assert_sound(exc.problems, "fuzz.yaml", text)
    else:
        assert spec.id


@settings(max_examples=300, deadline=None)
@given(st.text(ANY_CHARACTER, max_size=300))
def test_any_text_even_with_surrogates_is_a_spec_or_a_config_error(text):
    """Arbitrary code points, lone surrogates included, never escape as another exception."""
    check_text(text)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PIPELINES, st.booleans())
def test_any_pipeline_shaped_document_is_a_spec_or_a_config_error(document, as_json):
    """Huge numbers, odd durations, surrogate escapes and deep nesting in every section."""
    check_text(dump(document, as_json=as_json))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 900),
    NESTING_KINDS,
    RULES | SCALARS,
    st.sampled_from(["validation.rules", "job.config", "top"]),
)
def test_nesting_at_any_depth_is_a_spec_or_a_config_error(depth, kind, inner, where):
    """Hundreds of levels of lists, mappings or rule groups: a problem at the limit, at most.

    Written as JSON (flow style): up to 900 levels libyaml parses, then converting stops.
    """
    deep = nest(depth, kind, inner)
    document: dict[str, object] = {"pipeline": {"id": "p"}}
    if where == "validation.rules":
        document["validation"] = {"rules": [deep]}
    elif where == "job.config":
        document["job"] = {"type": "mock", "config": {"x": deep}}
    else:
        document["deep"] = deep
    check_text(json.dumps(document))


BYTES = st.binary(max_size=300) | st.builds(
    lambda at, junk: EXAMPLE[:at] + junk + EXAMPLE[at:],
    st.integers(0, len(EXAMPLE)),
    st.binary(min_size=1, max_size=6),
)
"""Any bytes, and the example with a few bytes spliced in (invalid UTF-8, NULs, BOMs)."""


@settings(max_examples=250, deadline=None)
@given(data=BYTES)
def test_any_bytes_in_a_file_are_a_spec_or_a_config_error(tmp_path_factory, data):
    """What ``validate`` reads from disk: any bytes give specs or sound problems."""
    path = tmp_path_factory.getbasetemp() / "fuzz.yaml"
    path.write_bytes(data)
    try:
        specs = load_pipelines(path)
    except ConfigError as exc:
        assert_sound(exc.problems, str(path), data.decode("utf-8", "replace"))
    else:
        assert [spec.source for spec in specs] == [str(path)]


@given(st.text(ANY_CHARACTER), st.text(ANY_CHARACTER), st.text(ANY_CHARACTER))
def test_a_problem_is_always_one_printable_line(file, field_path, message):
    """Whatever text a problem is built from, it prints as one line that encodes to UTF-8."""
    problem = ConfigProblem(
        file=file or "f", line=3, field=field_path, message=message, fix=message
    )
    text = str(problem)
    assert len(text.splitlines()) == 1
    assert text.isprintable()
    text.encode("utf-8")
    if message.isprintable():
        assert problem.message == message  # printable text is kept exactly as written
